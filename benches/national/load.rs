//! Load: wrk for reads, this benchmark's own client for posts (each post
//! needs its unit's token and figures that differ from the stored ones),
//! and the references for posts: pgbench, and one SQLite connection,
//! running the service's own write statements.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::process::Command;
use tokio::task::JoinSet;

use crate::dataset::{Counters, LastDay, RECEIVED, counters_json};
use crate::procs::{LOAD_CORE, SERVER_CORE, which};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

// ------------------------------------------------------------------ wrk

pub struct WrkResult {
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Socket errors and non-2xx/3xx answers.
    pub errors: u64,
}

/// wrk with one thread on the load core. The timeout is long so that slow
/// answers count in the percentiles instead of vanishing as timeouts.
pub async fn wrk(url: &str, connections: u32, seconds: u64) -> anyhow::Result<WrkResult> {
    let out = Command::new("taskset")
        .args(["-c", &LOAD_CORE.to_string()])
        .arg(which("wrk")?)
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "60s",
            "--latency",
            url,
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<WrkResult> {
    let mut result = WrkResult {
        requests: 0,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        errors: 0,
    };
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => result.p50_ms = duration_ms(v)?,
            ["99%", v] => result.p99_ms = duration_ms(v)?,
            [_, "requests", "in", ..] if line.starts_with("0 ") => {
                result.p50_ms = f64::NAN;
                result.p99_ms = f64::NAN;
            }
            [n, "requests", "in", ..] => result.requests = n.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => result.errors += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                result.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    // No answer at all within the window is a result too (a page too slow
    // to render 64 times in the window); only missing output is an error.
    text.contains(" requests in ").then_some(result)
}

fn duration_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    })
}

// ---------------------------------------------------------------- posts

/// A unit that posts: its token, and the last day's figures as stored.
struct PostUnit {
    token: String,
    counters: Counters,
    /// `received` as stored; each post sends one more, so that every post
    /// is a new revision and raises the board's total of `received` by
    /// exactly one (row 1b counts on it).
    received: AtomicU64,
}

pub struct Poster {
    url: String,
    day: String,
    /// The units' codes, in the order of `units`.
    codes: Vec<String>,
    units: Vec<PostUnit>,
    /// Makes every Idempotency-Key of this process unique.
    tag: String,
    seq: AtomicU64,
    next: AtomicUsize,
}

#[derive(Clone, Copy)]
pub struct Outcome {
    pub status: u16,
    pub latency: Duration,
    /// When the answer had arrived.
    pub done: Instant,
    /// The board version the answer names, if it names one.
    pub version: Option<u64>,
}

impl Poster {
    /// `units`: (code, token) in data-set order, matching `last`.
    pub fn new(base: &str, day: &str, units: Vec<(String, String)>, last: &[LastDay]) -> Poster {
        Poster {
            url: format!("{base}/api/v1/reports"),
            day: day.to_string(),
            codes: units.iter().map(|(code, _)| code.clone()).collect(),
            units: units
                .into_iter()
                .zip(last)
                .map(|((_, token), l)| PostUnit {
                    token,
                    counters: l.counters,
                    received: AtomicU64::new(l.counters[RECEIVED]),
                })
                .collect(),
            tag: format!("{}-{}", std::process::id(), chrono::Utc::now().timestamp()),
            seq: AtomicU64::new(0),
            next: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Posts a new revision of the last day for unit `i`, with an
    /// Idempotency-Key as an integrating system would send.
    pub async fn post(&self, client: &reqwest::Client, i: usize) -> Outcome {
        let unit = &self.units[i];
        let received = unit.received.load(Ordering::SeqCst) + 1;
        let mut counters = unit.counters;
        counters[RECEIVED] = received;
        let body = format!(
            "{{\"day\":\"{}\",\"counters\":{}}}",
            self.day,
            counters_json(&counters)
        );
        let key = format!(
            "bench-{}-{}",
            self.tag,
            self.seq.fetch_add(1, Ordering::SeqCst)
        );
        let started = Instant::now();
        let answer = client
            .post(&self.url)
            .header("authorization", format!("Bearer {}", unit.token))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body)
            .send()
            .await;
        let (status, text) = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.bytes().await.unwrap_or_default())
            }
            Err(_) => (0, Default::default()),
        };
        let done = Instant::now();
        if (200..300).contains(&status) {
            unit.received.store(received, Ordering::SeqCst);
        }
        let version = serde_json::from_slice::<Value>(&text).ok().and_then(|v| {
            v.get("version")
                .or_else(|| v.pointer("/standing/version"))
                .and_then(Value::as_u64)
        });
        Outcome {
            status,
            latency: done - started,
            done,
            version,
        }
    }
}

impl Poster {
    /// Posts every unit's new revision of the last day as one batch, with
    /// an integration token, as the province's information system would.
    /// Returns the status, the time from the first byte sent to the answer,
    /// and the items sent.
    pub async fn post_batch(
        &self,
        client: &reqwest::Client,
        base: &str,
        token: &str,
    ) -> (u16, Duration, usize) {
        let mut items = Vec::with_capacity(self.units.len());
        let mut sent = Vec::with_capacity(self.units.len());
        for (code, unit) in self.codes.iter().zip(&self.units) {
            let received = unit.received.load(Ordering::SeqCst) + 1;
            let mut counters = unit.counters;
            counters[RECEIVED] = received;
            items.push(format!(
                "{{\"unit\":\"{code}\",\"day\":\"{}\",\"counters\":{}}}",
                self.day,
                counters_json(&counters)
            ));
            sent.push(received);
        }
        let body = format!("{{\"reports\":[{}]}}", items.join(","));
        let started = Instant::now();
        let answer = client
            .post(format!("{base}/api/v1/reports/batch"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body)
            .timeout(Duration::from_secs(600))
            .send()
            .await;
        let status = match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                let _ = r.bytes().await;
                status
            }
            Err(_) => 0,
        };
        let took = started.elapsed();
        if (200..300).contains(&status) {
            for (unit, received) in self.units.iter().zip(sent) {
                unit.received.store(received, Ordering::SeqCst);
            }
        }
        (status, took, items.len())
    }
}

#[derive(Default)]
pub struct PostStats {
    pub outcomes: Vec<Outcome>,
    pub elapsed: Duration,
}

impl PostStats {
    pub fn ok(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| (200..300).contains(&o.status))
    }

    pub fn acknowledged(&self) -> usize {
        self.ok().count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.acknowledged()
    }

    /// Non-2xx answers by status (0: no answer).
    pub fn refusals(&self) -> BTreeMap<u16, usize> {
        let mut by = BTreeMap::new();
        for o in self
            .outcomes
            .iter()
            .filter(|o| !(200..300).contains(&o.status))
        {
            *by.entry(o.status).or_default() += 1;
        }
        by
    }

    pub fn per_second(&self) -> f64 {
        self.acknowledged() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn latency_ms(&self, p: f64) -> f64 {
        let v: Vec<f64> = self
            .ok()
            .map(|o| o.latency.as_secs_f64() * 1000.0)
            .collect();
        percentile(v, p)
    }
}

/// `connections` units posting back to back for `window`: connection c
/// cycles through units c, c + connections, c + 2·connections… so no two
/// connections ever write the same unit (as with pgbench's clients).
pub async fn closed_loop(
    poster: Arc<Poster>,
    client: &reqwest::Client,
    connections: usize,
    window: Duration,
) -> PostStats {
    let started = Instant::now();
    let deadline = started + window;
    let mut tasks = JoinSet::new();
    for c in 0..connections.min(poster.len()) {
        let (poster, client) = (poster.clone(), client.clone());
        tasks.spawn(async move {
            let mine: Vec<usize> = (c..poster.len()).step_by(connections).collect();
            let mut outcomes = Vec::new();
            for &i in mine.iter().cycle() {
                if Instant::now() >= deadline {
                    break;
                }
                outcomes.push(poster.post(&client, i).await);
            }
            outcomes
        });
    }
    let mut stats = PostStats::default();
    while let Some(done) = tasks.join_next().await {
        stats.outcomes.extend(done.unwrap_or_default());
    }
    stats.elapsed = started.elapsed();
    stats
}

/// Posts at a steady `rate` for `window`, whatever the answers take (an
/// open loop: a slow server does not slow the arrivals), round-robin over
/// all units.
pub async fn paced(
    poster: Arc<Poster>,
    client: &reqwest::Client,
    rate: f64,
    window: Duration,
) -> PostStats {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut tasks = JoinSet::new();
    while started.elapsed() < window {
        tick.tick().await;
        let (poster, client) = (poster.clone(), client.clone());
        let i = poster.next.fetch_add(1, Ordering::SeqCst) % poster.len();
        tasks.spawn(async move { poster.post(&client, i).await });
    }
    let mut stats = PostStats::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(o) = done {
            stats.outcomes.push(o);
        }
    }
    stats.elapsed = started.elapsed();
    stats
}

/// One read of the board by the freshness probe of row 1b.
pub struct Probe {
    pub started: Instant,
    /// The board's total of `received` (the denominator of online submission).
    pub received_total: u64,
}

/// Reads `url` every `every` until `until`; keeps when each read started
/// and the board's total of `received`.
pub async fn probe_board(
    client: &reqwest::Client,
    url: &str,
    until: Instant,
    every: Duration,
) -> anyhow::Result<Vec<Probe>> {
    let mut probes = Vec::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < until {
        tick.tick().await;
        let started = Instant::now();
        probes.push(Probe {
            started,
            received_total: board_received_total(client, url).await?,
        });
    }
    Ok(probes)
}

pub async fn board_received_total(client: &reqwest::Client, url: &str) -> anyhow::Result<u64> {
    let body: Value = client.get(url).send().await?.json().await?;
    body.pointer("/totals/criteria/online_submission/denominator")
        .and_then(Value::as_u64)
        .context("the board has no totals.criteria.online_submission.denominator")
}

// ----------------------------------------------------------- references

pub struct PgbenchResult {
    pub tps: f64,
    pub failed: u64,
}

/// The pgbench script: the statements of `Store::save_report`.
pub const PGBENCH_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/national/save_report.pgbench"
);

/// pgbench with `clients` clients (one thread, on the load core) running
/// the service's write statements for `seconds`, prepared as sqlx prepares
/// them.
pub async fn pgbench(
    url: &str,
    clients: usize,
    seconds: u64,
    vars: &[(&str, String)],
) -> anyhow::Result<PgbenchResult> {
    let mut attempt = 0;
    let out = loop {
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", &LOAD_CORE.to_string()])
            .arg(which("pgbench")?)
            .args(["-n", "-M", "prepared", "-j", "1"])
            .arg(format!("-c{clients}"))
            .arg(format!("-T{seconds}"))
            .args(["-f", PGBENCH_SCRIPT]);
        for (k, v) in vars {
            cmd.arg("-D").arg(format!("{k}={v}"));
        }
        let out = cmd
            .arg(url)
            .stdin(Stdio::null())
            .output()
            .await
            .context("cannot run pgbench")?;
        // A shared PostgreSQL may have its connections taken for a while
        // by other users' test suites: wait for them rather than fail.
        if !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("too many clients")
            && attempt < 12
        {
            attempt += 1;
            println!("      pgbench: PostgreSQL has too many clients; trying again in 5 s");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        break out;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    let mut tps = None;
    let mut failed = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("tps = ") {
            tps = rest.split_whitespace().next().and_then(|v| v.parse().ok());
        }
        if let Some(rest) = line.strip_prefix("number of failed transactions: ") {
            failed = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    Ok(PgbenchResult {
        tps: tps.with_context(|| format!("no tps in pgbench output:\n{text}"))?,
        failed,
    })
}

/// The statements `Store::save_report` runs on SQLite for one report (a
/// new revision of an existing day, with an Idempotency-Key), round-robin
/// over the units: `warm_up` transactions as one script, then `count` more
/// as `shards` scripts, shard k holding the units i with i % shards == k
/// (no two scripts write the same unit). The values the service reads back
/// (report id, revision, revision id) are written in as they will be in
/// the copied database. It must follow `save_report`
/// (src/store/reports.rs): change both together.
pub fn sqlite_scripts(
    units: &[(String, i64)],
    last: &[LastDay],
    day: &str,
    warm_up: usize,
    count: usize,
    shards: usize,
) -> (String, Vec<String>) {
    let (mut warm, mut timed) = (String::new(), vec![String::new(); shards]);
    let mut state: Vec<(i64, Counters)> = last.iter().map(|l| (l.revision, l.counters)).collect();
    let now = chrono::Utc::now().timestamp_millis();
    for n in 0..warm_up + count {
        let i = n % units.len();
        let (code, unit_id) = &units[i];
        let report_id = last[i].report_id;
        let (revision, counters) = &mut state[i];
        *revision += 1;
        counters[RECEIVED] += 1;
        let json = counters_json(counters);
        let body = format!(
            "{{\"counters\":{json},\"day\":\"{day}\",\"late\":false,\"note\":null,\"revision\":{revision},\"unchanged\":false,\"unit\":{{\"code\":\"{code}\",\"group\":\"bench\",\"name\":\"Đơn vị {code}\"}}}}"
        );
        let hash = format!("{:064x}", n as u128 * 0x9E37_79B9_7F4A_7C15);
        let script = if n < warm_up {
            &mut warm
        } else {
            &mut timed[i % shards]
        };
        script.push_str(&format!(
            "SELECT id, competition_id, code, name, group_code, parent, active, token_hash FROM units WHERE token_hash = 'reference-{unit_id}' AND active = 1;\n\
             BEGIN IMMEDIATE;\n\
             SELECT request_hash, created, body FROM idempotency_keys WHERE principal = 'unit:{unit_id}' AND key = 'reference-{n}';\n\
             SELECT id, revision, counters, late FROM reports WHERE unit_id = {unit_id} AND day = '{day}';\n\
             UPDATE reports SET revision = {revision}, counters = '{json}', corrected = MAX(corrected, 0), updated_at = {now} WHERE id = {report_id};\n\
             INSERT INTO revisions (report_id, revision, counters, note, actor_kind, actor, reason, address, late, created_at) \
             VALUES ({report_id}, {revision}, '{json}', NULL, 'unit', '{code}', NULL, '127.0.0.1', 0, {now}) RETURNING id;\n\
             UPDATE reports SET last_revision_id = last_insert_rowid() WHERE id = {report_id};\n\
             INSERT INTO idempotency_keys (principal, key, request_hash, created, body, created_at) \
             VALUES ('unit:{unit_id}', 'reference-{n}', '{hash}', 0, '{body}', {now});\n\
             SELECT unit_id, day, counters, last_revision_id FROM reports WHERE unit_id IN ({unit_id}) ORDER BY unit_id, day;\n\
             COMMIT;\n"
        ));
    }
    (warm, timed)
}

/// The SQLite reference, run as its own process (this benchmark's binary
/// with `--sqlite-reference DB WARM TIMED…`, pinned to the server core):
/// connections with the service's pragmas through sqlx, so through the
/// very SQLite library the service links (sqlx's bundled build), one per
/// TIMED script, as many as the service's pool. Syncs the file system, runs
/// the warm-up script, then times the TIMED scripts run at once, each on
/// its connection a transaction at a time; prints the microseconds taken.
///
/// Several connections, because that is what the service gets from SQLite:
/// writers take turns, but a connection's checkpoint (copying the WAL back
/// into the database, every 1,000 pages) runs while the others commit. One
/// connection stops for each of its checkpoints; with the 10,000 units'
/// reports spread over the whole file, that made it 5 to 10 times slower
/// than the service.
pub fn sqlite_reference_main(args: &[String]) -> anyhow::Result<()> {
    use sqlx::Connection;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use std::str::FromStr;
    let [db, warm, timed @ ..] = args else {
        bail!("usage: --sqlite-reference DB WARM_UP.sql TIMED.sql…");
    };
    let warm = std::fs::read_to_string(warm)?;
    let timed: Vec<String> = timed
        .iter()
        .map(std::fs::read_to_string)
        .collect::<Result<_, _>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{db}"))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // The copy just made is written back now, and whatever the disk
        // still owes for it lands on the untimed part.
        let synced = std::process::Command::new("sync")
            .arg("-f")
            .arg(db)
            .status()?;
        if !synced.success() {
            bail!("sync -f {db} failed");
        }
        let mut connections = Vec::new();
        for _ in 0..timed.len().max(1) {
            connections.push(sqlx::SqliteConnection::connect_with(&options).await?);
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(warm))
            .execute(&mut connections[0])
            .await?;
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        for (mut conn, script) in connections.into_iter().zip(timed) {
            tasks.spawn(async move {
                // A transaction at a time, so that the connections take turns.
                for transaction in script.split_inclusive("COMMIT;\n") {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(transaction.to_string()))
                        .execute(&mut conn)
                        .await?;
                }
                conn.close().await
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        println!("{}", started.elapsed().as_micros());
        anyhow::Ok(())
    })
}

/// Runs [`sqlite_reference_main`] on the server core, where the service
/// runs the same statements; returns the time of the timed part.
pub async fn sqlite_reference(
    db: &Path,
    warm: &Path,
    timed: &[PathBuf],
) -> anyhow::Result<Duration> {
    let out = Command::new("taskset")
        .args(["-c", &SERVER_CORE.to_string()])
        .arg(std::env::current_exe()?)
        .arg("--sqlite-reference")
        .arg(db)
        .arg(warm)
        .args(timed)
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run the SQLite reference")?;
    if !out.status.success() {
        bail!(
            "the SQLite reference failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let micros: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .context("the SQLite reference printed no time")?;
    Ok(Duration::from_micros(micros))
}

// ------------------------------------------------------------ statistics

/// Nearest-rank percentile (`p` in 0..=100); NaN for no values.
pub fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub fn median(v: &[f64]) -> f64 {
    let v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    percentile(v, 50.0)
}
