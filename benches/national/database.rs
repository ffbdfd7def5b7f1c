//! Loading the generated reports straight into the `reports` and
//! `revisions` tables (migrations/*/0001_core.sql): PostgreSQL `COPY`,
//! SQLite multi-row inserts in one transaction. Going through the API would
//! take hours for 300,000 reports and would measure the ingest path, which
//! rows 4 and 5 measure on their own.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Row};

use crate::dataset::{DataSet, SLUG, counters_json};

pub async fn any_pool(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

/// A PostgreSQL database of this run, `thidua_bench_<time>_<random>`.
pub struct PgDatabase {
    pub url: String,
    pub name: String,
    admin: AnyPool,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> anyhow::Result<PgDatabase> {
        let admin = any_pool(admin_url).await?;
        let name = format!(
            "thidua_bench_{}_{}",
            chrono::Utc::now().format("%Y%m%d%H%M%S"),
            std::process::id()
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let (head, _) = admin_url
            .rsplit_once('/')
            .context("the database URL names no database")?;
        Ok(PgDatabase {
            url: format!("{head}/{name}"),
            name,
            admin,
        })
    }

    /// Server processes serving this database's clients: their CPU time is
    /// the service's, as much as its own. Autovacuum workers are not: they
    /// come and go on their own schedule.
    pub async fn backend_pids(&self) -> Vec<u32> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pid FROM pg_stat_activity WHERE datname = '{}' AND backend_type = 'client backend'",
            self.name
        )))
        .fetch_all(&self.admin)
        .await
        .unwrap_or_default();
        rows.iter()
            .filter_map(|r| r.try_get::<i32, _>("pid").ok())
            .map(|p| p as u32)
            .collect()
    }

    pub async fn drop_database(self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin)
            .await
        {
            eprintln!("warning: could not drop database {}: {e}", self.name);
        }
        self.admin.close().await;
    }
}

/// The competition's id and its units' ids by code, as `thidua init` made them.
pub async fn unit_ids(url: &str) -> anyhow::Result<(i64, HashMap<String, i64>)> {
    let pool = any_pool(url).await?;
    let competition: i64 = sqlx::query("SELECT id FROM competitions WHERE slug = $1")
        .bind(SLUG)
        .fetch_one(&pool)
        .await
        .context("the benchmark competition is missing")?
        .try_get("id")?;
    let rows = sqlx::query("SELECT id, code FROM units WHERE competition_id = $1")
        .bind(competition)
        .fetch_all(&pool)
        .await?;
    let mut ids = HashMap::new();
    for row in rows {
        ids.insert(row.try_get::<String, _>("code")?, row.try_get("id")?);
    }
    pool.close().await;
    Ok((competition, ids))
}

/// `COPY`s every report and revision, then sets the sequences and the
/// planner statistics as a database that has been running would have them.
pub async fn load_postgres(
    url: &str,
    data: &DataSet,
    competition: i64,
    ids: &HashMap<String, i64>,
) -> anyhow::Result<usize> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let mut count = 0;
    let mut buf = String::new();
    let mut copy = conn
        .copy_in_raw(
            "COPY reports (id, competition_id, unit_id, day, revision, counters, late, corrected, \
             last_revision_id, created_at, updated_at) FROM STDIN",
        )
        .await?;
    let mut chunks = Vec::new();
    data.for_each_report(ids, |r| {
        let (last_id, counters, at) = r.revisions[r.revisions.len() - 1];
        let created = r.revisions[0].2;
        let _ = writeln!(
            buf,
            "{}\t{competition}\t{}\t{}\t{}\t{}\t0\t0\t{last_id}\t{created}\t{at}",
            r.id,
            r.unit_id,
            r.day.format("%Y-%m-%d"),
            r.revisions.len(),
            counters_json(&counters),
        );
        count += 1;
        if buf.len() > 1 << 20 {
            chunks.push(std::mem::take(&mut buf));
        }
    })?;
    chunks.push(buf);
    for chunk in chunks.drain(..) {
        copy.send(chunk.into_bytes()).await?;
    }
    copy.finish().await?;

    let mut buf = String::new();
    let mut copy = conn
        .copy_in_raw(
            "COPY revisions (id, report_id, revision, counters, note, actor_kind, actor, reason, \
             address, late, created_at) FROM STDIN",
        )
        .await?;
    data.for_each_report(ids, |r| {
        for (n, (id, counters, at)) in r.revisions.iter().enumerate() {
            let _ = writeln!(
                buf,
                "{id}\t{}\t{}\t{}\t\\N\tunit\t{}\t\\N\t127.0.0.1\t0\t{at}",
                r.id,
                n + 1,
                counters_json(counters),
                r.unit.code,
            );
        }
        if buf.len() > 1 << 20 {
            chunks.push(std::mem::take(&mut buf));
        }
    })?;
    chunks.push(buf);
    for chunk in chunks {
        copy.send(chunk.into_bytes()).await?;
    }
    copy.finish().await?;
    for sql in [
        "SELECT setval('reports_id_seq', (SELECT MAX(id) FROM reports))",
        "SELECT setval('revisions_id_seq', (SELECT MAX(id) FROM revisions))",
        "VACUUM (ANALYZE) reports",
        "VACUUM (ANALYZE) revisions",
    ] {
        sqlx::raw_sql(sql).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(count)
}

/// Inserts every report and revision in one transaction (500 rows a
/// statement), then folds the WAL into the database file so that it can be
/// copied on its own.
pub async fn load_sqlite(
    url: &str,
    data: &DataSet,
    competition: i64,
    ids: &HashMap<String, i64>,
) -> anyhow::Result<usize> {
    let pool = any_pool(url).await?;
    let mut tx = pool.begin().await?;
    let mut statements = Vec::new();
    let mut reports = String::new();
    let mut revisions = String::new();
    let (mut in_reports, mut in_revisions, mut count) = (0, 0, 0);
    const REPORTS: &str = "INSERT INTO reports (id, competition_id, unit_id, day, revision, counters, late, \
         corrected, last_revision_id, created_at, updated_at) VALUES ";
    const REVISIONS: &str = "INSERT INTO revisions (id, report_id, revision, counters, note, actor_kind, \
         actor, reason, address, late, created_at) VALUES ";
    data.for_each_report(ids, |r| {
        let (last_id, counters, at) = r.revisions[r.revisions.len() - 1];
        reports.push_str(if in_reports == 0 { REPORTS } else { "," });
        let _ = write!(
            reports,
            "({},{competition},{},'{}',{},'{}',0,0,{last_id},{},{at})",
            r.id,
            r.unit_id,
            r.day.format("%Y-%m-%d"),
            r.revisions.len(),
            counters_json(&counters),
            r.revisions[0].2,
        );
        in_reports += 1;
        count += 1;
        if in_reports == 500 {
            statements.push(std::mem::take(&mut reports));
            in_reports = 0;
        }
        for (n, (id, counters, at)) in r.revisions.iter().enumerate() {
            revisions.push_str(if in_revisions == 0 { REVISIONS } else { "," });
            let _ = write!(
                revisions,
                "({id},{},{},'{}',NULL,'unit','{}',NULL,'127.0.0.1',0,{at})",
                r.id,
                n + 1,
                counters_json(counters),
                r.unit.code.replace('\'', "''"),
            );
            in_revisions += 1;
            if in_revisions == 500 {
                statements.push(std::mem::take(&mut revisions));
                in_revisions = 0;
            }
        }
    })?;
    // Reports before the revisions that reference them.
    statements.push(reports);
    statements.push(revisions);
    statements.sort_by_key(|s| !s.starts_with("INSERT INTO reports"));
    for sql in statements.into_iter().filter(|s| !s.is_empty()) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(count)
}
