//! The national benchmark: rebuilds the national data set and prints the
//! table of the performance issue — each figure beside a reference measured
//! in the same run, on the same machine, minutes apart.
//!
//! ```sh
//! cargo bench --bench national                      # 10,000 units × 30 days, 3 runs
//! cargo bench --bench national -- --units 500 --days 3 --runs 1   # CI: does the harness run?
//! cargo bench --bench national -- --only 1,4,9      # some rows
//! ```
//!
//! How it measures, and why:
//! - The service (and its own Redis) runs pinned to core 0, every load tool
//!   on core 1. On two cores the load tool saturates its core long before a
//!   fast server does, so requests per second would compare the load tools;
//!   the reads are compared by **server CPU time per request** instead:
//!   utime + stime from /proc of every thread of the server process (for
//!   the service also its Redis and the PostgreSQL backends serving its
//!   database), from just before the load until the server has gone quiet
//!   after it, divided by the requests the server counted (its
//!   `thidua_http_requests_total`; for nginx, wrk's count).
//! - The references serve the same bytes (nginx, one worker on core 0,
//!   files saved from the service's own answers) or run the service's own
//!   write statements (pgbench; for SQLite, as many connections as the
//!   service's pool, through the same SQLite library the service links).
//! - Every row runs `--runs` times, reference and service alternating
//!   first; the table shows medians (row 1b's freshness shows the worst).
//! - Needs: wrk, nginx, pgbench, psql, redis-server, taskset, prlimit,
//!   chrt; PostgreSQL at `THIDUA_BENCH_DATABASE_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/test`), where it creates and
//!   drops `thidua_bench_*` databases. It starts its own Redis on a free
//!   port and stops everything it started, by PID.
//!
//! Exit status: 0 when every row ran (whatever the figures), 1 if
//! something failed to run; with `--check-targets`, also 1 when a target
//! is missed.

mod database;
mod dataset;
mod load;
mod procs;
mod sse;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::database::PgDatabase;
use crate::dataset::{DataSet, LastDay, SLUG};
use crate::load::{Poster, median, percentile};
use crate::procs::{LOAD_CORE, Meter, Proc, SERVER_CORE, StaticFile, memory_mb};

const THIDUA: &str = env!("CARGO_BIN_EXE_thidua");
/// Connections reading, and units posting at once (the issue's figures).
const CONNECTIONS: usize = 64;
/// Posts per second while the board is read (rows 1b and 8).
const POST_RATE: f64 = 200.0;
/// Connections the service keeps to SQLite (`Store::connect`), and so the
/// SQLite reference's.
const SQLITE_POOL: usize = 4;

const ROWS: [&str; 12] = [
    "1", "1b", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11",
];

struct Args {
    units: usize,
    days: u32,
    runs: usize,
    seconds: u64,
    viewers: usize,
    only: Option<BTreeSet<String>>,
    check_targets: bool,
    keep: bool,
    database_url: String,
}

const USAGE: &str = "cargo bench --bench national -- [--units N] [--days D] [--runs R] \
[--seconds S] [--viewers V] [--only 1,1b,2,…] [--check-targets] [--keep]

  --units N        units in the data set (default 10000; the 3,321 communes and wards, then departments)
  --days D         competition days, one report per unit-day (default 30)
  --runs R         runs per row; the table shows medians (default 3)
  --seconds S      length of each load (default 10; 3 below 5,000 units)
  --viewers V      event streams for row 7 (default 10000; 500 below 5,000 units)
  --only LIST      rows to run, of 1,1b,2,3,4,5,6,7,8,9,10,11 (1b runs with 8, 4 with 6, 11 after 4)
  --check-targets  exit 1 when a target is missed
  --keep           keep the work files (logs, SQLite databases, nginx root) under target/tmp";

impl Args {
    fn parse() -> anyhow::Result<Args> {
        let mut raw = std::env::args().skip(1).peekable();
        let mut args = Args {
            units: 10_000,
            days: 30,
            runs: 3,
            seconds: 0,
            viewers: 0,
            only: None,
            check_targets: false,
            keep: false,
            database_url: std::env::var("THIDUA_BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        };
        while let Some(arg) = raw.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || -> anyhow::Result<String> {
                inline
                    .clone()
                    .or_else(|| raw.next())
                    .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
            };
            match name.as_str() {
                // cargo bench passes --bench to every bench binary.
                "--bench" => {}
                "--units" => args.units = value()?.parse().context("--units")?,
                "--days" => args.days = value()?.parse().context("--days")?,
                "--runs" => args.runs = value()?.parse().context("--runs")?,
                "--seconds" => args.seconds = value()?.parse().context("--seconds")?,
                "--viewers" => args.viewers = value()?.parse().context("--viewers")?,
                "--only" => {
                    let rows: BTreeSet<String> =
                        value()?.split(',').map(|r| r.trim().to_string()).collect();
                    if let Some(bad) = rows.iter().find(|r| !ROWS.contains(&r.as_str())) {
                        bail!("unknown row {bad:?}\n\n{USAGE}");
                    }
                    args.only = Some(rows);
                }
                "--check-targets" => args.check_targets = true,
                "--keep" => args.keep = true,
                "-h" | "--help" => bail!("{USAGE}"),
                other => bail!("unknown argument {other:?}\n\n{USAGE}"),
            }
        }
        let large = args.units >= 5_000;
        if args.seconds == 0 {
            args.seconds = if large { 10 } else { 3 };
        }
        if args.viewers == 0 {
            args.viewers = if large { 10_000 } else { 500 };
        }
        if args.runs == 0 {
            bail!("--runs must be at least 1");
        }
        Ok(args)
    }

    fn wants(&self, row: &str) -> bool {
        let together = |a: &str, b: &str| row == a || row == b;
        self.only.as_ref().is_none_or(|only| {
            only.contains(row)
                || (together("1b", "8") && (only.contains("1b") || only.contains("8")))
                || (together("4", "6") && (only.contains("4") || only.contains("6")))
                // 1b compares with row 1's reference.
                || (row == "1" && (only.contains("1b") || only.contains("8")))
        })
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }
}

fn main() -> ExitCode {
    // The SQLite reference of row 5 runs as a child of the benchmark.
    let raw: Vec<String> = std::env::args().collect();
    if raw.get(1).map(String::as_str) == Some("--sqlite-reference") {
        return match load::sqlite_reference_main(&raw[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(2);
        }
    };
    // Before the runtime exists: every thread it starts inherits the core.
    if let Err(e) = procs::pin_self(LOAD_CORE) {
        eprintln!("national benchmark failed: {e:#}");
        return ExitCode::FAILURE;
    }
    procs::prioritise_self();
    let fds = match procs::raise_fd_limit() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("national benchmark failed: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("national benchmark failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut table = Table::default();
    let outcome = runtime.block_on(async {
        let needs_pg = ["1", "1b", "2", "3", "4", "6", "7", "8", "9", "10", "11"]
            .iter()
            .any(|r| args.wants(r));
        let pg = match needs_pg {
            true => Some(PgDatabase::create(&args.database_url).await?),
            false => None,
        };
        let result = tokio::select! {
            r = run(&args, fds, pg.as_ref(), &mut table) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        if let Some(pg) = pg {
            pg.drop_database().await;
        }
        result
    });
    table.print(&args);
    match outcome {
        Err(e) => {
            eprintln!("\nnational benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
        Ok(()) if args.check_targets && table.missed() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
    }
}

async fn run(
    args: &Args,
    fds: u64,
    pg: Option<&PgDatabase>,
    table: &mut Table,
) -> anyhow::Result<()> {
    for tool in [
        "wrk",
        "nginx",
        "pgbench",
        "psql",
        "redis-server",
        "taskset",
        "prlimit",
        "chrt",
    ] {
        procs::which(tool)?;
    }
    let dir = tempfile::Builder::new()
        .prefix("national-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let data = DataSet::national(args.units, args.days)?;
    let communes = data.units.iter().filter(|u| u.commune).count();
    println!(
        "data set: {} units ({communes} communes and wards, {} departments) on {} province boards, \
         {} days, {} reports ({}% revised); loads of {} s, {} run(s); work files in {}",
        data.units.len(),
        data.units.len() - communes,
        data.provinces.len(),
        data.days,
        data.units.len() * data.days as usize,
        5,
        args.seconds,
        args.runs,
        dir.path().display(),
    );
    let _logs = KeepLogs(dir.path().to_path_buf());
    std::fs::write(dir.path().join("competition.toml"), data.competition_toml())?;
    std::fs::write(dir.path().join("units.csv"), data.units_csv())?;
    let viewers = args.viewers.min(fds.saturating_sub(256) as usize);
    if viewers < args.viewers {
        println!("row 7: {viewers} event streams only (open-file limit {fds})");
    }
    if let Some(pg) = pg {
        postgres_rows(args, &data, dir.path(), pg, viewers, table).await?;
    }
    if args.wants("5") {
        sqlite_row(args, &data, dir.path(), table).await?;
    }
    if args.keep {
        println!("work files kept in {}", dir.keep().display());
    }
    Ok(())
}

/// Copies the logs of the service, nginx and Redis out of the work
/// directory when the run ends, however it ends, so that a surprising
/// figure can be looked into afterwards.
struct KeepLogs(PathBuf);

impl Drop for KeepLogs {
    fn drop(&mut self) {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("national-logs");
        let _ = std::fs::remove_dir_all(&target);
        let _ = std::fs::create_dir_all(&target);
        for entry in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let _ = std::fs::copy(&path, target.join(entry.file_name()));
            }
        }
        println!("logs in {}", target.display());
    }
}

// ------------------------------------------------------------ service

/// The `thidua` binary with one backend's environment.
struct Thidua {
    env: Vec<(String, String)>,
}

impl Thidua {
    fn new(database_url: &str, redis_url: Option<&str>, data: &DataSet) -> Thidua {
        let mut env = vec![
            ("THIDUA_DATABASE_URL".into(), database_url.to_string()),
            ("THIDUA_NOW".into(), data.now()),
            // The limiter is per token and is not what is measured here.
            ("THIDUA_INGEST_PER_MINUTE".into(), "100000000".into()),
            ("THIDUA_LOG".into(), "info".into()),
            // Row 7's ten thousand event streams and the reports beside
            // them: more than the default cap of connections.
            ("THIDUA_MAX_CONNECTIONS".into(), "30000".into()),
        ];
        if let Some(url) = redis_url {
            env.push(("THIDUA_REDIS_URL".into(), url.to_string()));
            env.push(("THIDUA_REDIS_PREFIX".into(), "bench:".into()));
        }
        Thidua { env }
    }

    /// Runs a command of the CLI on `core`; its stdout, or its stderr as the error.
    async fn command(&self, core: u32, args: &[&str]) -> anyhow::Result<String> {
        let mut cmd = tokio::process::Command::new("taskset");
        cmd.args(["-c", &core.to_string(), THIDUA]).args(args);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIDUA_")) {
            cmd.env_remove(k);
        }
        let out = cmd
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .output()
            .await?;
        if !out.status.success() {
            bail!(
                "thidua {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `thidua init`, then the reports loaded straight into the database.
    async fn prepare(
        &self,
        dir: &Path,
        data: &DataSet,
        name: &str,
        url: &str,
    ) -> anyhow::Result<Prepared> {
        let tokens_path = dir.join(format!("tokens-{name}.csv"));
        let started = Instant::now();
        self.command(
            LOAD_CORE,
            &[
                "init",
                "--competition",
                &dir.join("competition.toml").display().to_string(),
                "--units",
                &dir.join("units.csv").display().to_string(),
                "--tokens-out",
                &tokens_path.display().to_string(),
            ],
        )
        .await?;
        let (competition, ids) = database::unit_ids(url).await?;
        let reports = if url.starts_with("postgres") {
            database::load_postgres(url, data, competition, &ids).await?
        } else {
            database::load_sqlite(url, data, competition, &ids).await?
        };
        let mut tokens: HashMap<String, String> = HashMap::new();
        for row in csv::Reader::from_path(&tokens_path)?.records() {
            let row = row?;
            tokens.insert(row[0].to_string(), row[1].to_string());
        }
        let units = data
            .units
            .iter()
            .map(|u| {
                let token = tokens
                    .get(&u.code)
                    .with_context(|| format!("no token for {}", u.code))?;
                Ok((u.code.clone(), token.clone()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let unit_ids = data
            .units
            .iter()
            .map(|u| (u.code.clone(), ids[&u.code]))
            .collect();
        println!(
            "{name}: {} units and {reports} reports loaded in {:.1} s",
            units.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(Prepared {
            competition,
            units,
            unit_ids,
            last: data.last_days(&ids)?,
        })
    }

    /// `thidua serve` on the server core; ready when `/readyz` answers 200
    /// and the start-up work (ranking rebuild, catching up on the closing of
    /// past days) is over.
    async fn serve(
        &self,
        dir: &Path,
        name: &str,
        client: &reqwest::Client,
        meter_extra: &[u32],
        pg: Option<&PgDatabase>,
    ) -> anyhow::Result<(Proc, u16)> {
        let port = procs::free_port()?;
        let mut env = self.env.clone();
        env.push(("THIDUA_BIND".into(), format!("127.0.0.1:{port}")));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIDUA_")) {
            if !env.iter().any(|(e, _)| *e == k) {
                env.push((k, String::new()));
            }
        }
        let env: Vec<(String, String)> = env.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let started = Instant::now();
        let mut proc = Proc::spawn(
            "thidua",
            SERVER_CORE,
            Path::new(THIDUA),
            &["serve"],
            &env,
            &dir.join(format!("thidua-{name}.log")),
        )?;
        procs::wait_ready(
            client,
            &format!("http://127.0.0.1:{port}/readyz"),
            &mut proc,
            Duration::from_secs(900),
        )
        .await?;
        let mut pids = vec![proc.pid];
        pids.extend_from_slice(meter_extra);
        let meter = Meter { pids, pg };
        if !meter
            .settle(Duration::from_secs(2), Duration::from_secs(900))
            .await
        {
            bail!("the service never went idle after start-up");
        }
        proc.check_running()?;
        println!(
            "{name}: service ready and idle in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok((proc, port))
    }
}

struct Prepared {
    competition: i64,
    /// (code, token) in data-set order.
    units: Vec<(String, String)>,
    /// (code, database id) in data-set order.
    unit_ids: Vec<(String, i64)>,
    last: Vec<LastDay>,
}

/// What the service's own metrics say, around a window.
#[derive(Clone, Copy, PartialEq)]
struct Counts {
    /// GET requests of one route answered: counts what the load tool
    /// abandoned at the end of a window too.
    served: Option<u64>,
    /// Reconciliations run (each rebuilds the ranking from the database).
    reconciliations: Option<u64>,
}

async fn counts(client: &reqwest::Client, base: &str, route: &str) -> Counts {
    let text = match client.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let value = |line: &str| line.rsplit(' ').next()?.parse::<f64>().ok();
    let label = format!("route=\"{route}\"");
    let served: Vec<f64> = text
        .lines()
        .filter(|l| {
            l.starts_with("thidua_http_requests_total{")
                && l.contains(&label)
                && l.contains("method=\"GET\"")
        })
        .filter_map(value)
        .collect();
    let reconciliations = text
        .lines()
        .find(|l| l.starts_with("thidua_job_runs_total{") && l.contains("job=\"reconcile\""))
        .and_then(value)
        .or(if text.is_empty() { None } else { Some(0.0) });
    Counts {
        served: (!served.is_empty()).then(|| served.iter().sum::<f64>() as u64),
        reconciliations: reconciliations.map(|v| v as u64),
    }
}

/// Requests served between two counts, if the service counted them.
fn served_between(before: Counts, after: Counts) -> Option<u64> {
    match (before.served, after.served) {
        (Some(b), Some(a)) if a > b => Some(a - b),
        _ => None,
    }
}

/// Whether the periodic reconciliation (a full rebuild of the ranking,
/// every five minutes) ran between two counts: its seconds of CPU would
/// land on the one window that happened to overlap it.
fn reconciled_between(before: Counts, after: Counts) -> bool {
    before.reconciliations != after.reconciliations
}

/// Waits (polling `/readyz`) until the service's ranking is not marked
/// stale: after a load that made ranking updates fail, the service serves
/// boards from the database until its rebuild has run, and that belongs to
/// the load that caused it, not to the next row.
async fn wait_fresh(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let stale = match client.get(format!("{base}/readyz")).send().await {
            Ok(r) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v.pointer("/ranking/stale").and_then(Value::as_bool))
                .unwrap_or(false),
            Err(_) => true,
        };
        if !stale {
            if started.elapsed() > Duration::from_secs(1) {
                println!(
                    "      waited {:.0} s for the service to rebuild a stale ranking",
                    started.elapsed().as_secs_f64()
                );
            }
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("the service's ranking stayed stale for 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ------------------------------------------------------------- reads

/// A read the table compares with nginx serving the same bytes.
struct Read {
    row: &'static str,
    figure: String,
    path: String,
    route: &'static str,
    target: f64,
    available: Result<(), String>,
    file: Option<StaticFile>,
}

struct ReadRun {
    cpu_per_request: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Timeouts, socket errors and non-2xx answers: the percentiles leave
    /// them out, so the row cannot pass with any.
    errors: u64,
}

/// wrk against `url` for the window; CPU of `meter` per request. One
/// request first, outside the window: both servers serve from memory
/// what they have served once (the service's cold cache under 64
/// connections at once is a start-up effect; row 1b measures what
/// changing boards cost). A window the service's reconciliation overlapped
/// is measured again, once.
async fn measure_read(
    args: &Args,
    client: &reqwest::Client,
    url: &str,
    meter: &Meter<'_>,
    service: Option<(&str, &str)>,
) -> anyhow::Result<ReadRun> {
    if let Some((base, _)) = service {
        wait_fresh(client, base).await?;
    }
    client.get(url).send().await?.bytes().await?;
    let mut attempt = 0;
    loop {
        let before = match service {
            Some((base, route)) => Some(counts(client, base, route).await),
            None => None,
        };
        let cpu0 = meter.sample().await;
        let w = load::wrk(url, CONNECTIONS as u32, args.seconds).await?;
        meter
            .settle(Duration::from_millis(400), Duration::from_secs(120))
            .await;
        let cpu1 = meter.sample().await;
        let after = match service {
            Some((base, route)) => Some(counts(client, base, route).await),
            None => None,
        };
        if let (Some(b), Some(a)) = (before, after)
            && reconciled_between(b, a)
            && attempt == 0
        {
            println!("      the reconciliation ran during this window: measuring again");
            attempt += 1;
            continue;
        }
        // Without the server's count: what wrk received, plus one request in
        // flight per connection when it stopped.
        let requests = before
            .zip(after)
            .and_then(|(b, a)| served_between(b, a))
            .unwrap_or(w.requests + CONNECTIONS as u64);
        return Ok(ReadRun {
            cpu_per_request: Meter::seconds(&cpu0, &cpu1) / requests as f64,
            per_second: w.requests as f64 / args.seconds as f64,
            p50_ms: w.p50_ms,
            p99_ms: w.p99_ms,
            // No answer within the window: every connection waited in vain.
            errors: w.errors
                + if w.requests == 0 {
                    CONNECTIONS as u64
                } else {
                    0
                },
        });
    }
}

/// Fetches what a read answers, decides whether the endpoint exists yet,
/// and keeps the bytes for nginx.
async fn fetch_read(client: &reqwest::Client, base: &str, read: &mut Read) -> anyhow::Result<()> {
    let r = client.get(format!("{base}{}", read.path)).send().await?;
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let body = r.bytes().await?.to_vec();
    if status.is_client_error() {
        read.available = Err(format!("answers {status}"));
        return Ok(());
    }
    if !status.is_success() {
        bail!("{} answered {status}", read.path);
    }
    read.figure = format!("{} ({})", read.figure, size(body.len()));
    read.file = Some(StaticFile {
        path: format!("/ref/{}", read.row),
        content_type,
        body,
    });
    Ok(())
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    }
}

fn entries(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("entries").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.pointer("/unit/code").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------- PostgreSQL

async fn postgres_rows(
    args: &Args,
    data: &DataSet,
    dir: &Path,
    pg: &PgDatabase,
    viewers: usize,
    table: &mut Table,
) -> anyhow::Result<()> {
    let client = load::client();
    let (redis, redis_port) = procs::start_redis(dir).await?;
    let redis_url = format!("redis://127.0.0.1:{redis_port}");
    let thidua = Thidua::new(&pg.url, Some(&redis_url), data);
    let prepared = thidua.prepare(dir, data, "postgres", &pg.url).await?;
    let started = Instant::now();
    thidua
        .command(SERVER_CORE, &["rebuild-ranking", "--competition", SLUG])
        .await?;
    println!(
        "postgres: ranking rebuilt in Redis in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The first start closes every past day at once (a month of deadlines
    // caught up); a service that ran through the month closed them one by
    // one. Start again for what a restart looks like: the ranking rebuilt,
    // nothing to catch up.
    let (first, _) = thidua
        .serve(dir, "postgres-first", &client, &[redis.pid], Some(pg))
        .await?;
    drop(first);
    let (mut service, port) = thidua
        .serve(dir, "postgres", &client, &[redis.pid], Some(pg))
        .await?;
    let idle_rss = memory_mb(service.pid, "VmRSS").unwrap_or(f64::NAN);
    let base = format!("http://127.0.0.1:{port}");
    let meter = Meter {
        pids: vec![service.pid, redis.pid],
        pg: Some(pg),
    };
    let day = data.last_day().format("%Y-%m-%d").to_string();
    let poster = Arc::new(Poster::new(
        &base,
        &day,
        prepared.units.clone(),
        &prepared.last,
    ));
    let mut runs = Runs::default();

    // What the reads will ask for: a mid-board unit for `around`, the
    // province board closest to 250 units.
    let full = client
        .get(format!("{base}/api/v1/leaderboard?board=all"))
        .send()
        .await?
        .bytes()
        .await?;
    let ranked = entries(&full);
    let middle = ranked
        .get(ranked.len() / 2)
        .cloned()
        .unwrap_or_else(|| data.units[0].code.clone());
    let (group, group_size) = data
        .board_sizes()
        .into_iter()
        .min_by_key(|(_, n)| n.abs_diff(250))
        .context("no boards")?;
    let mut reads = vec![
        Read {
            row: "1",
            figure: "`GET /api/v1/leaderboard?board=all&limit=100`".into(),
            path: "/api/v1/leaderboard?board=all&limit=100".into(),
            route: "/api/v1/leaderboard",
            target: 0.8,
            available: Ok(()),
            file: None,
        },
        Read {
            row: "2a",
            figure: format!("`?around={middle}&limit=21` (mid-board unit)"),
            path: format!("/api/v1/leaderboard?board=all&around={middle}&limit=21"),
            route: "/api/v1/leaderboard",
            target: 0.8,
            available: Ok(()),
            file: None,
        },
        Read {
            row: "2b",
            figure: format!("`?board={group}` ({group_size} units, whole board)"),
            path: format!("/api/v1/leaderboard?board={group}"),
            route: "/api/v1/leaderboard",
            target: 0.8,
            available: Ok(()),
            file: None,
        },
        Read {
            row: "2c",
            figure: "`?board=all&q=thanh` (search, accents optional)".into(),
            path: "/api/v1/leaderboard?board=all&q=thanh".into(),
            route: "/api/v1/leaderboard",
            target: 0.8,
            available: Ok(()),
            file: None,
        },
        Read {
            row: "3a",
            figure: "`GET /` (board of all units, first page)".into(),
            path: "/".into(),
            route: "/",
            target: 0.7,
            available: Ok(()),
            file: None,
        },
        Read {
            row: "3b",
            figure: format!("`GET /?board={group}`"),
            path: format!("/?board={group}"),
            route: "/",
            target: 0.7,
            available: Ok(()),
            file: None,
        },
    ];
    reads.retain(|r| args.wants(&r.row[..1]));
    for read in &mut reads {
        fetch_read(&client, &base, read).await?;
    }
    // The read path of this branch ignores parameters it does not know:
    // check that `around` and `q` were honoured, not just answered.
    for read in &mut reads {
        let Some(file) = &read.file else { continue };
        let codes = entries(&file.body);
        match read.row {
            "2a" if !(codes.contains(&middle) && codes.len() <= 21) => {
                read.available = Err(format!("`around` ignored: {middle} not among the answer"));
            }
            "2c" if codes.is_empty() || codes.len() >= ranked.len() => {
                read.available = Err("`q` ignored: the whole board came back".into());
            }
            _ => {}
        }
        if read.available.is_err() {
            read.file = None;
        }
    }
    let files: Vec<StaticFile> = reads.iter_mut().filter_map(|r| r.file.take()).collect();
    let nginx = if files.is_empty() {
        None
    } else {
        Some(procs::start_nginx(dir, &files, &client).await?)
    };

    for run in 0..args.runs {
        println!("— run {}/{}", run + 1, args.runs);
        let reference_first = run % 2 == 0;
        if let Some((_, nginx_port, worker)) = &nginx {
            let nginx_meter = Meter {
                pids: vec![*worker],
                pg: None,
            };
            for read in reads.iter().filter(|r| r.available.is_ok()) {
                let ours = format!("{base}{}", read.path);
                let theirs = format!("http://127.0.0.1:{nginx_port}/ref/{}", read.row);
                let (t, n) = if reference_first {
                    let n = measure_read(args, &client, &theirs, &nginx_meter, None).await?;
                    let t = measure_read(args, &client, &ours, &meter, Some((&base, read.route)))
                        .await?;
                    (t, n)
                } else {
                    let t = measure_read(args, &client, &ours, &meter, Some((&base, read.route)))
                        .await?;
                    let n = measure_read(args, &client, &theirs, &nginx_meter, None).await?;
                    (t, n)
                };
                println!(
                    "  {:<3} thidua {} CPU/request, {}/s, p50 {} p99 {} | nginx {} CPU/request, {}/s | ratio {}",
                    read.row,
                    time_ms(t.cpu_per_request * 1000.0),
                    count(t.per_second),
                    time_ms(t.p50_ms),
                    time_ms(t.p99_ms),
                    time_ms(n.cpu_per_request * 1000.0),
                    count(n.per_second),
                    ratio(n.cpu_per_request / t.cpu_per_request),
                );
                let r = read.row;
                runs.push(r, "cpu", t.cpu_per_request);
                runs.push(r, "rps", t.per_second);
                runs.push(r, "p99", t.p99_ms);
                runs.push(r, "nginx_cpu", n.cpu_per_request);
                runs.push(r, "nginx_rps", n.per_second);
                runs.push(r, "ratio", n.cpu_per_request / t.cpu_per_request);
                runs.push(r, "errors", (t.errors + n.errors) as f64);
                if t.errors + n.errors > 0 {
                    println!(
                        "      errors or timeouts: thidua {}, nginx {}",
                        t.errors, n.errors
                    );
                }
            }
        }
        if args.wants("1b") && reads.iter().any(|r| r.row == "1" && r.available.is_ok()) {
            fresh_reads(args, &client, &base, &meter, &poster, &mut runs).await?;
        }
        if args.wants("4") || args.wants("11") {
            ingest(
                args,
                &client,
                port,
                &poster,
                pg,
                &prepared,
                &day,
                reference_first,
                &mut runs,
            )
            .await?;
        }
        if args.wants("11") {
            batch(&thidua, &client, &base, &poster, &mut runs).await?;
        }
        service.check_running()?;
    }
    if args.wants("7") {
        live_viewers(
            args,
            &client,
            port,
            &poster,
            service.pid,
            viewers,
            &mut runs,
        )
        .await?;
    }
    if args.wants("9") {
        for run in 0..args.runs {
            rebuild(&thidua, pg, prepared.competition, run % 2 == 0, &mut runs).await?;
        }
    }
    service.check_running()?;
    let peak_rss = memory_mb(service.pid, "VmHWM").unwrap_or(f64::NAN);
    drop(nginx);
    service.stop();

    // ------------------------------------------------------------ table
    for read in &reads {
        let r = read.row;
        let target = match r {
            "1" => "ratio ≥ 0.8; p99 ≤ 10 ms",
            "2a" | "2b" | "2c" => "ratio ≥ 0.8",
            _ => "ratio ≥ 0.7",
        };
        let figure = format!("{}, {CONNECTIONS} connections", read.figure);
        match &read.available {
            Err(why) => table.unavailable(r, figure, "nginx, same bytes", target, why),
            Ok(()) => {
                let ratio_m = runs.median(r, "ratio");
                let p99 = runs.median(r, "p99");
                let errors = runs.max(r, "errors");
                let pass = ratio_m >= read.target && (r != "1" || p99 <= 10.0) && errors == 0.0;
                table.row(
                    r,
                    figure,
                    format!(
                        "{} CPU/request{}; {}/s; p99 {}{}",
                        time_ms(runs.median(r, "cpu") * 1000.0),
                        runs.spread(r, "cpu", |v| time_ms(v * 1000.0)),
                        count(runs.median(r, "rps")),
                        time_ms(p99),
                        if errors > 0.0 {
                            format!("; up to {errors:.0} errors, timeouts or unanswered in a run")
                        } else {
                            String::new()
                        }
                    ),
                    format!(
                        "nginx {} CPU/request; {}/s",
                        time_ms(runs.median(r, "nginx_cpu") * 1000.0),
                        count(runs.median(r, "nginx_rps"))
                    ),
                    Some(ratio_m),
                    target,
                    pass,
                );
            }
        }
    }
    if args.wants("1b") && runs.has("1b", "ratio") {
        let (ratio_m, p99, lag) = (
            runs.median("1b", "ratio"),
            runs.median("1b", "p99"),
            runs.max("1b", "lag"),
        );
        table.row(
            "1b",
            format!(
                "row 1 while reports arrive at {POST_RATE:.0}/s (posts' own CPU, measured alone, subtracted)"
            ),
            format!(
                "{} CPU/read{}; {}/s; p99 {}; board behind the last 2xx by at most {}",
                time_ms(runs.median("1b", "cpu") * 1000.0),
                runs.spread("1b", "cpu", |v| time_ms(v * 1000.0)),
                count(runs.median("1b", "rps")),
                time_ms(p99),
                time_ms(lag)
            ),
            format!(
                "nginx {} CPU/request (row 1)",
                time_ms(runs.median("1", "nginx_cpu") * 1000.0)
            ),
            Some(ratio_m),
            "ratio ≥ 0.5; p99 ≤ 10 ms; ≤ 250 ms behind",
            ratio_m >= 0.5 && p99 <= 10.0 && lag <= 250.0,
        );
    }
    if args.wants("4") && runs.has("4", "ratio") {
        let ratio_m = runs.median("4", "ratio");
        table.row(
            "4",
            format!(
                "`POST /api/v1/reports`, {CONNECTIONS} units at once, PostgreSQL + Redis, committed before 2xx"
            ),
            format!(
                "{}/s{}; p50 {} p99 {}{}",
                count(runs.median("4", "rps")),
                runs.spread("4", "rps", count),
                time_ms(runs.median("4", "p50")),
                time_ms(runs.median("4", "p99")),
                refused_note(&runs, "4", "refused")
            ),
            format!(
                "pgbench, save_report's statements, {CONNECTIONS} clients: {}/s{}",
                count(runs.median("4", "pgbench")),
                runs.spread("4", "pgbench", count)
            ),
            Some(ratio_m),
            "ratio ≥ 0.85",
            ratio_m >= 0.85 && runs.max("4", "refused") == 0.0,
        );
    }
    if args.wants("6") && runs.has("6", "p99") {
        let p99 = runs.median("6", "p99");
        let unseen = runs.max("6", "unseen");
        let how = if runs.has("6", "exact") {
            "matched by board version"
        } else {
            "first event after the 2xx: the answer names no board version"
        };
        table.row(
            "6",
            "a report's 2xx → a `board` event at an SSE subscriber, during row 4".into(),
            format!(
                "p50 {} p99 {} ({how}){}",
                time_ms(runs.median("6", "p50")),
                time_ms(p99),
                if unseen > 0.0 {
                    format!("; up to {unseen:.0} reports a run never followed by an event")
                } else {
                    String::new()
                }
            ),
            "—".into(),
            None,
            "p99 ≤ 100 ms",
            p99 <= 100.0 && unseen == 0.0,
        );
    }
    if args.wants("7") && runs.has("7", "p99") {
        let (p99, rss) = (runs.median("7", "p99"), runs.max("7", "rss"));
        let missing = runs.max("7", "missing");
        table.row(
            "7",
            format!("{viewers} `/events` subscribers on one instance; one change reaches all"),
            format!(
                "p50 {} p99 {}; RSS {rss:.0} MB{}",
                time_ms(runs.median("7", "p50")),
                time_ms(p99),
                if missing > 0.0 {
                    format!("; {missing:.0} never received it")
                } else {
                    String::new()
                }
            ),
            "—".into(),
            None,
            "p99 ≤ 300 ms; RSS ≤ 128 MB",
            p99 <= 300.0 && rss <= 128.0 && missing == 0.0,
        );
    }
    if args.wants("8") && runs.has("8", "ratio") {
        let ratio_m = runs.median("8", "ratio");
        table.row(
            "8",
            format!("posts ({POST_RATE:.0}/s) while {CONNECTIONS} connections read the board"),
            format!(
                "p50 {}{}",
                time_ms(runs.median("8", "mixed")),
                refused_note(&runs, "8", "refused")
            ),
            format!(
                "posts alone: p50 {}{}",
                time_ms(runs.median("8", "alone")),
                refused_note(&runs, "8", "refused_alone")
            ),
            Some(ratio_m),
            "ratio ≤ 2",
            ratio_m <= 2.0 && runs.max("8", "refused") == 0.0,
        );
    }
    if args.wants("11") && runs.has("11", "ratio") {
        let ratio_m = runs.median("11", "ratio");
        table.row(
            "11",
            format!(
                "`POST /api/v1/reports/batch`: {} units' day in one request",
                count(runs.median("11", "items"))
            ),
            format!(
                "{}/s ({} for the batch)",
                count(runs.median("11", "rps")),
                time_ms(runs.median("11", "ms"))
            ),
            format!(
                "single reports (row 4): {}/s",
                count(runs.median("4", "rps"))
            ),
            Some(ratio_m),
            "ratio ≥ 5",
            ratio_m >= 5.0,
        );
    }
    if args.wants("9") && runs.has("9", "ratio") {
        let (secs, ratio_m) = (runs.median("9", "rebuild"), runs.median("9", "ratio"));
        table.row(
            "9",
            format!(
                "`thidua rebuild-ranking` from {} reports",
                count(data.units.len() as f64 * f64::from(data.days))
            ),
            format!("{secs:.2} s"),
            format!(
                "`psql \\copy` of the same rows to /dev/null: {:.2} s",
                runs.median("9", "copy")
            ),
            Some(ratio_m),
            "≤ 3 s and ratio ≤ 3",
            secs <= 3.0 && ratio_m <= 3.0,
        );
    }
    if args.wants("10") {
        table.row(
            "10",
            "RSS idle after start-up (a restart: ranking rebuilt); peak (VmHWM) during the rows above".into(),
            format!("idle {idle_rss:.0} MB; peak {peak_rss:.0} MB"),
            "—".into(),
            None,
            "≤ 40 MB idle; ≤ 256 MB peak",
            idle_rss <= 40.0 && peak_rss <= 256.0,
        );
    }
    drop(redis);
    Ok(())
}

/// Rows 1b and 8: the posts alone at a steady rate, then the same posts
/// while wrk reads the board and a probe checks how far behind the last
/// acknowledged report the board is.
async fn fresh_reads(
    args: &Args,
    client: &reqwest::Client,
    base: &str,
    meter: &Meter<'_>,
    poster: &Arc<Poster>,
    runs: &mut Runs,
) -> anyhow::Result<()> {
    let board = format!("{base}/api/v1/leaderboard?board=all&limit=100");
    let route = "/api/v1/leaderboard";
    wait_fresh(client, base).await?;
    // The posts alone: their CPU is subtracted from the mixed window.
    let cpu0 = meter.sample().await;
    let alone = load::paced(poster.clone(), client, POST_RATE, args.window()).await;
    meter
        .settle(Duration::from_millis(400), Duration::from_secs(120))
        .await;
    let cpu1 = meter.sample().await;
    check_posts("posts alone", &alone, runs, "8", "refused_alone")?;
    let posts_cpu = Meter::seconds(&cpu0, &cpu1) / alone.acknowledged() as f64;

    // The board as it stands once nothing moves: the probe's baseline.
    let mut baseline = load::board_received_total(client, &board).await?;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = load::board_received_total(client, &board).await?;
        if again == baseline {
            break;
        }
        baseline = again;
    }
    let before = counts(client, base, route).await;
    let cpu0 = meter.sample().await;
    let until = Instant::now() + args.window();
    let (w, mixed, probes) = tokio::join!(
        load::wrk(&board, CONNECTIONS as u32, args.seconds),
        load::paced(poster.clone(), client, POST_RATE, args.window()),
        load::probe_board(client, &board, until, Duration::from_millis(20)),
    );
    meter
        .settle(Duration::from_millis(400), Duration::from_secs(120))
        .await;
    let cpu1 = meter.sample().await;
    let after = counts(client, base, route).await;
    let (w, probes) = (w?, probes?);
    check_posts("posts during reads", &mixed, runs, "8", "refused")?;
    if reconciled_between(before, after) {
        println!("      the reconciliation ran during this window");
    }
    let reads = served_between(before, after)
        .unwrap_or(w.requests + CONNECTIONS as u64 + probes.len() as u64);
    let read_cpu = Meter::seconds(&cpu0, &cpu1) - posts_cpu * mixed.acknowledged() as f64;
    let cpu = read_cpu.max(0.0) / reads as f64;

    // Each post raised the board's total of `received` by one: a read that
    // shows n of them is behind by the time since the (n+1)-th 2xx, if that
    // had arrived before the read started.
    let mut acks: Vec<Instant> = mixed.ok().map(|o| o.done).collect();
    acks.sort();
    let mut lag: f64 = 0.0;
    for p in &probes {
        let shown = p.received_total.saturating_sub(baseline) as usize;
        if let Some(first_missing) = acks.get(shown)
            && *first_missing < p.started
        {
            lag = lag.max((p.started - *first_missing).as_secs_f64() * 1000.0);
        }
    }
    let nginx = runs.last("1", "nginx_cpu");
    println!(
        "  1b  thidua {} CPU/read ({} reads, posts' {} each subtracted), p99 {}, at most {} behind | ratio {}",
        time_ms(cpu * 1000.0),
        reads,
        time_ms(posts_cpu * 1000.0),
        time_ms(w.p99_ms),
        time_ms(lag),
        ratio(nginx / cpu),
    );
    println!(
        "  8   posts p50 {} with reads, {} alone",
        time_ms(mixed.latency_ms(50.0)),
        time_ms(alone.latency_ms(50.0))
    );
    runs.push("1b", "cpu", cpu);
    runs.push("1b", "rps", w.requests as f64 / args.seconds as f64);
    runs.push("1b", "p99", w.p99_ms);
    runs.push("1b", "lag", lag);
    runs.push("1b", "ratio", nginx / cpu);
    runs.push("8", "mixed", mixed.latency_ms(50.0));
    runs.push("8", "alone", alone.latency_ms(50.0));
    runs.push(
        "8",
        "ratio",
        mixed.latency_ms(50.0) / alone.latency_ms(50.0),
    );
    Ok(())
}

/// Refused posts are a result (a service that answers 503 under load
/// misses its target), kept as `refused` of `row`; no post acknowledged
/// at all means the row could not be measured.
fn check_posts(
    what: &str,
    stats: &load::PostStats,
    runs: &mut Runs,
    row: &str,
    key: &str,
) -> anyhow::Result<()> {
    if stats.acknowledged() == 0 {
        bail!(
            "{what}: no post acknowledged; by status (0: no answer): {:?}",
            stats.refusals()
        );
    }
    if stats.failed() > 0 {
        println!(
            "      {what}: {} of {} not acknowledged, by status (0: no answer): {:?}",
            stats.failed(),
            stats.outcomes.len(),
            stats.refusals()
        );
    }
    runs.push(row, key, stats.failed() as f64);
    Ok(())
}

/// "; up to N posts refused in a run" when some were.
fn refused_note(runs: &Runs, row: &str, key: &str) -> String {
    match runs.max(row, key) {
        n if n > 0.0 => format!("; up to {n:.0} posts a run not acknowledged"),
        _ => String::new(),
    }
}

/// Rows 4 and 6: posts from 64 units at once against pgbench running
/// save_report's statements with 64 clients; an SSE subscriber notes when
/// each acknowledged report shows up as a `board` event.
#[allow(clippy::too_many_arguments)]
async fn ingest(
    args: &Args,
    client: &reqwest::Client,
    port: u16,
    poster: &Arc<Poster>,
    pg: &PgDatabase,
    prepared: &Prepared,
    day: &str,
    reference_first: bool,
    runs: &mut Runs,
) -> anyhow::Result<()> {
    let first = prepared
        .unit_ids
        .iter()
        .map(|(_, id)| *id)
        .min()
        .unwrap_or(1);
    let last = prepared
        .unit_ids
        .iter()
        .map(|(_, id)| *id)
        .max()
        .unwrap_or(1);
    if (last - first + 1) as usize != prepared.unit_ids.len() {
        bail!("unit ids are not contiguous; the pgbench script picks units by id range");
    }
    let vars = [
        ("first_unit", first.to_string()),
        ("units", prepared.unit_ids.len().to_string()),
        ("clients", CONNECTIONS.to_string()),
        ("day", day.to_string()),
        ("now", chrono::Utc::now().timestamp_millis().to_string()),
    ];
    let reference = || load::pgbench(&pg.url, CONNECTIONS, args.seconds, &vars);
    let mut pgbench_tps = None;
    if reference_first {
        pgbench_tps = Some(reference().await?);
    }
    wait_fresh(client, &format!("http://127.0.0.1:{port}")).await?;
    let addr = ([127, 0, 0, 1], port).into();
    let mut viewer = sse::open(addr, 1, 1).await?;
    let stats = load::closed_loop(poster.clone(), client, CONNECTIONS, args.window()).await;
    // Keep listening until an event arrives after the last 2xx (or give
    // up after 5 s: those reports then count as never seen).
    let last_ack = stats.ok().map(|o| o.done).max();
    let mut arrivals = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(a)) = tokio::time::timeout_at(deadline, viewer.arrivals.recv()).await {
        let after_last = last_ack.is_some_and(|t| a.at >= t);
        arrivals.push(a);
        if after_last {
            break;
        }
    }
    drop(viewer);
    check_posts("posts", &stats, runs, "4", "refused")?;
    let pgbench_result = match pgbench_tps {
        Some(r) => r,
        None => reference().await?,
    };
    if pgbench_result.failed > 0 {
        bail!("pgbench: {} failed transactions", pgbench_result.failed);
    }
    let exact = stats.ok().all(|o| o.version.is_some());
    let mut delays = Vec::new();
    for o in stats.ok() {
        let seen = arrivals.iter().find(|a| match (o.version, a.version) {
            (Some(v), Some(av)) if exact => av >= v && a.at >= o.done - Duration::from_secs(60),
            _ => a.at >= o.done,
        });
        if let Some(a) = seen {
            delays.push(a.at.saturating_duration_since(o.done).as_secs_f64() * 1000.0);
        }
    }
    let rps = stats.per_second();
    println!(
        "  4   thidua {}/s (p50 {} p99 {}) | pgbench {}/s | ratio {}",
        count(rps),
        time_ms(stats.latency_ms(50.0)),
        time_ms(stats.latency_ms(99.0)),
        count(pgbench_result.tps),
        ratio(rps / pgbench_result.tps)
    );
    println!(
        "  6   2xx → board event p50 {} p99 {} ({} of {} reports seen)",
        time_ms(percentile(delays.clone(), 50.0)),
        time_ms(percentile(delays.clone(), 99.0)),
        delays.len(),
        stats.acknowledged()
    );
    runs.push("4", "rps", rps);
    runs.push("4", "p50", stats.latency_ms(50.0));
    runs.push("4", "p99", stats.latency_ms(99.0));
    runs.push("4", "pgbench", pgbench_result.tps);
    runs.push("4", "ratio", rps / pgbench_result.tps);
    runs.push("6", "unseen", (stats.acknowledged() - delays.len()) as f64);
    if !delays.is_empty() {
        runs.push("6", "p50", percentile(delays.clone(), 50.0));
        runs.push("6", "p99", percentile(delays, 99.0));
    }
    if exact {
        runs.push("6", "exact", 1.0);
    }
    Ok(())
}

/// Row 11: every unit's figures for the last day in one batch request
/// (an integration token, one transaction, one ranking write), in reports
/// a second beside row 4's single reports a second, measured just before
/// on the same service.
async fn batch(
    thidua: &Thidua,
    client: &reqwest::Client,
    base: &str,
    poster: &Arc<Poster>,
    runs: &mut Runs,
) -> anyhow::Result<()> {
    let token = thidua
        .command(
            SERVER_CORE,
            &["integration", "token", "--competition", SLUG, "benchmark"],
        )
        .await?
        .trim()
        .to_string();
    wait_fresh(client, base).await?;
    let (status, took, items) = poster.post_batch(client, base, &token).await;
    if !(200..300).contains(&status) {
        bail!("the batch of {items} reports was answered {status}");
    }
    let rps = items as f64 / took.as_secs_f64();
    let single = runs.last("4", "rps");
    println!(
        "  11  batch of {} reports in {} = {}/s | single reports {}/s | ratio {}",
        count(items as f64),
        time_ms(took.as_secs_f64() * 1000.0),
        count(rps),
        count(single),
        ratio(rps / single)
    );
    runs.push("11", "items", items as f64);
    runs.push("11", "ms", took.as_secs_f64() * 1000.0);
    runs.push("11", "rps", rps);
    runs.push("11", "ratio", rps / single);
    Ok(())
}

/// Row 7: `viewers` event streams; one report at a time, paced beyond the
/// coalescing interval so that each change is announced on its own.
async fn live_viewers(
    args: &Args,
    client: &reqwest::Client,
    port: u16,
    poster: &Arc<Poster>,
    service: u32,
    viewers: usize,
    runs: &mut Runs,
) -> anyhow::Result<()> {
    wait_fresh(client, &format!("http://127.0.0.1:{port}")).await?;
    let started = Instant::now();
    let mut streams = sse::open(([127, 0, 0, 1], port).into(), viewers, 256).await?;
    println!(
        "  7   {viewers} event streams open in {:.1} s; service RSS {:.0} MB",
        started.elapsed().as_secs_f64(),
        memory_mb(service, "VmRSS").unwrap_or(f64::NAN)
    );
    for wave in 0..args.runs {
        // Pacing, not readiness: the service coalesces events per stream
        // over 250 ms, and this row measures one change on its own.
        tokio::time::sleep(Duration::from_millis(600)).await;
        while streams.arrivals.try_recv().is_ok() {}
        let sent = Instant::now();
        let outcome = poster.post(client, wave % poster.len()).await;
        if !(200..300).contains(&outcome.status) {
            bail!("row 7: the change was refused ({})", outcome.status);
        }
        let mut first: HashMap<usize, Instant> = HashMap::new();
        let deadline = sent + Duration::from_secs(10);
        while first.len() < viewers {
            match tokio::time::timeout_at(deadline.into(), streams.arrivals.recv()).await {
                Ok(Some(a)) if a.at >= sent => {
                    first.entry(a.viewer).or_insert(a.at);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let delays: Vec<f64> = first
            .values()
            .map(|at| at.saturating_duration_since(outcome.done).as_secs_f64() * 1000.0)
            .collect();
        let rss = memory_mb(service, "VmRSS").unwrap_or(f64::NAN);
        println!(
            "  7   change {}: {} of {viewers} streams, p50 {} p99 {} after the 2xx; RSS {rss:.0} MB",
            wave + 1,
            delays.len(),
            time_ms(percentile(delays.clone(), 50.0)),
            time_ms(percentile(delays.clone(), 99.0)),
        );
        runs.push("7", "missing", (viewers - delays.len()) as f64);
        runs.push("7", "p50", percentile(delays.clone(), 50.0));
        runs.push("7", "p99", percentile(delays, 99.0));
        runs.push("7", "rss", rss);
    }
    Ok(())
}

/// Row 9: the CLI's rebuild against reading the same rows with psql.
async fn rebuild(
    thidua: &Thidua,
    pg: &PgDatabase,
    competition: i64,
    reference_first: bool,
    runs: &mut Runs,
) -> anyhow::Result<()> {
    // The query of Store::current_reports, which the rebuild reads.
    let copy = format!(
        "\\copy (SELECT unit_id, day, counters, last_revision_id FROM reports WHERE competition_id = {competition}) to '/dev/null'"
    );
    let bare = || async {
        let started = Instant::now();
        let out = tokio::process::Command::new("taskset")
            .args(["-c", &SERVER_CORE.to_string()])
            .arg(procs::which("psql")?)
            .args(["-X", "-q", "-c", &copy, &pg.url])
            .output()
            .await?;
        if !out.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        anyhow::Ok(started.elapsed().as_secs_f64())
    };
    let full = || async {
        let started = Instant::now();
        thidua
            .command(SERVER_CORE, &["rebuild-ranking", "--competition", SLUG])
            .await?;
        anyhow::Ok(started.elapsed().as_secs_f64())
    };
    let (ours, theirs) = if reference_first {
        let theirs = bare().await?;
        (full().await?, theirs)
    } else {
        let ours = full().await?;
        (ours, bare().await?)
    };
    println!(
        "  9   rebuild-ranking {ours:.2} s | psql \\copy {theirs:.2} s | ratio {}",
        ratio(ours / theirs)
    );
    runs.push("9", "rebuild", ours);
    runs.push("9", "copy", theirs);
    runs.push("9", "ratio", ours / theirs);
    Ok(())
}

// -------------------------------------------------------------- SQLite

/// Row 5: the posts of row 4 on SQLite (in-process ranking, the default
/// single-instance setup) against the service's number of connections running save_report's
/// statements with the service's pragmas on a copy of the same database.
async fn sqlite_row(
    args: &Args,
    data: &DataSet,
    dir: &Path,
    table: &mut Table,
) -> anyhow::Result<()> {
    let client = load::client();
    let db_dir = dir.join("sqlite");
    std::fs::create_dir_all(&db_dir)?;
    let db = db_dir.join("thidua.db");
    let url = format!("sqlite://{}", db.display());
    let thidua = Thidua::new(&url, None, data);
    let prepared = thidua.prepare(dir, data, "sqlite", &url).await?;
    let pristine = db_dir.join("pristine.db");
    std::fs::copy(&db, &pristine)?;
    let (mut service, port) = thidua.serve(dir, "sqlite", &client, &[], None).await?;
    let day = data.last_day().format("%Y-%m-%d").to_string();
    let poster = Arc::new(Poster::new(
        &format!("http://127.0.0.1:{port}"),
        &day,
        prepared.units.clone(),
        &prepared.last,
    ));
    // Size the reference's work to the window from a short first pass.
    let trial = reference_sqlite(&db_dir, &pristine, &prepared, &day, 200).await?;
    let transactions = ((200.0 / trial) * args.seconds as f64).clamp(200.0, 200_000.0) as usize;
    let mut runs = Runs::default();
    for run in 0..args.runs {
        let reference = || reference_sqlite(&db_dir, &pristine, &prepared, &day, transactions);
        let service_window = || async {
            sync_fs(&db).await?;
            anyhow::Ok(load::closed_loop(poster.clone(), &client, CONNECTIONS, args.window()).await)
        };
        let (stats, secs) = if run % 2 == 0 {
            let secs = reference().await?;
            (service_window().await?, secs)
        } else {
            let stats = service_window().await?;
            (stats, reference().await?)
        };
        check_posts("posts (SQLite)", &stats, &mut runs, "5", "refused")?;
        let tps = transactions as f64 / secs;
        println!(
            "  5   thidua {}/s (p50 {} p99 {}) | reference {}/s | ratio {}",
            count(stats.per_second()),
            time_ms(stats.latency_ms(50.0)),
            time_ms(stats.latency_ms(99.0)),
            count(tps),
            ratio(stats.per_second() / tps)
        );
        runs.push("5", "rps", stats.per_second());
        runs.push("5", "p50", stats.latency_ms(50.0));
        runs.push("5", "p99", stats.latency_ms(99.0));
        runs.push("5", "reference", tps);
        runs.push("5", "ratio", stats.per_second() / tps);
        service.check_running()?;
    }
    service.stop();
    let ratio_m = runs.median("5", "ratio");
    table.row(
        "5",
        format!("row 4 on SQLite (in-process ranking), {CONNECTIONS} units at once"),
        format!(
            "{}/s{}; p50 {} p99 {}{}",
            count(runs.median("5", "rps")),
            runs.spread("5", "rps", count),
            time_ms(runs.median("5", "p50")),
            time_ms(runs.median("5", "p99")),
            refused_note(&runs, "5", "refused")
        ),
        format!(
            "save_report's statements and pragmas, {SQLITE_POOL} connections, same SQLite library: {}/s{}",
            count(runs.median("5", "reference")),
            runs.spread("5", "reference", count)
        ),
        Some(ratio_m),
        "ratio ≥ 0.5",
        ratio_m >= 0.5 && runs.max("5", "refused") == 0.0,
    );
    Ok(())
}

/// Runs `transactions` of save_report's statements on a fresh copy of the
/// freshly loaded database; returns the seconds they took.
///
/// The statements go through the SQLite library the service links (sqlx's
/// bundled build), on as many connections as the service's pool, not the
/// sqlite3 shell: Debian's shell is another SQLite build that syncs with
/// fdatasync where the bundled one calls fsync, it has one connection
/// (see `load::sqlite_reference_main`), and on this machine it measured
/// anywhere from 135 to 4,177 transactions a second minutes apart.
///
/// The file system is synced first, then, in one connection (so that the
/// WAL keeps what it was given), an untimed part absorbs what the disk
/// still owes for the copy just made and brings the WAL to the size it
/// keeps in service (the running service's WAL has long reached it; while
/// the WAL file still grows, each commit's sync also writes file-system
/// metadata); then the timed part.
///
/// While it runs, a spinner at idle priority keeps the server core from
/// halting: on a virtual machine a lone process waiting for each commit's
/// sync lets its vCPU halt, and waking it costs milliseconds per commit.
/// The service under load never leaves its core idle, so without the
/// spinner the reference would measure the hypervisor. The spinner only
/// gets what nothing else wants.
async fn reference_sqlite(
    db_dir: &Path,
    pristine: &Path,
    prepared: &Prepared,
    day: &str,
    transactions: usize,
) -> anyhow::Result<f64> {
    let copy: PathBuf = db_dir.join("reference.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    std::fs::copy(pristine, &copy)?;
    // SQLite checkpoints at 1,000 WAL pages; a report writes about 6: a
    // thousand reports go through several checkpoints.
    let (warm, timed) = load::sqlite_scripts(
        &prepared.unit_ids,
        &prepared.last,
        day,
        1000,
        transactions,
        SQLITE_POOL,
    );
    let warm_path = db_dir.join("warm-up.sql");
    std::fs::write(&warm_path, warm)?;
    let mut timed_paths = Vec::new();
    for (k, script) in timed.into_iter().enumerate() {
        let path = db_dir.join(format!("reference-{k}.sql"));
        std::fs::write(&path, script)?;
        timed_paths.push(path);
    }
    let spinner = Proc::spawn(
        "idle spinner",
        SERVER_CORE,
        &procs::which("chrt")?,
        &["--idle", "0", "sh", "-c", "while :; do :; done"],
        &[],
        &db_dir.join("spinner.log"),
    )?;
    let elapsed = load::sqlite_reference(&copy, &warm_path, &timed_paths).await;
    drop(spinner);
    Ok(elapsed?.as_secs_f64())
}

/// Flushes the file system of `path`: the service's window and the
/// reference's start alike from clean pages.
async fn sync_fs(path: &Path) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("sync")
        .arg("-f")
        .arg(path)
        .status()
        .await?;
    if !status.success() {
        bail!("sync -f {} failed", path.display());
    }
    Ok(())
}

// --------------------------------------------------------------- results

/// Per-run values by row and name.
#[derive(Default)]
struct Runs(BTreeMap<(String, String), Vec<f64>>);

impl Runs {
    fn push(&mut self, row: &str, name: &str, v: f64) {
        self.0
            .entry((row.to_string(), name.to_string()))
            .or_default()
            .push(v);
    }

    fn values(&self, row: &str, name: &str) -> &[f64] {
        self.0
            .get(&(row.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn has(&self, row: &str, name: &str) -> bool {
        !self.values(row, name).is_empty()
    }

    fn median(&self, row: &str, name: &str) -> f64 {
        median(self.values(row, name))
    }

    fn max(&self, row: &str, name: &str) -> f64 {
        self.values(row, name)
            .iter()
            .copied()
            .fold(f64::NAN, f64::max)
    }

    /// " (runs: lowest–highest)" when there were several runs: on a shared
    /// machine the spread says as much as the median.
    fn spread(&self, row: &str, name: &str, show: impl Fn(f64) -> String) -> String {
        let v = self.values(row, name);
        if v.len() < 2 {
            return String::new();
        }
        let low = v.iter().copied().fold(f64::INFINITY, f64::min);
        let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!(" (runs: {}–{})", show(low), show(high))
    }

    fn last(&self, row: &str, name: &str) -> f64 {
        self.values(row, name).last().copied().unwrap_or(f64::NAN)
    }
}

enum Verdict {
    Pass,
    Fail,
    NotAvailable(String),
}

struct Line {
    row: String,
    figure: String,
    measured: String,
    reference: String,
    ratio: Option<f64>,
    target: String,
    verdict: Verdict,
}

#[derive(Default)]
struct Table(Vec<Line>);

impl Table {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        row: &str,
        figure: String,
        measured: String,
        reference: String,
        ratio: Option<f64>,
        target: &str,
        pass: bool,
    ) {
        self.0.push(Line {
            row: row.into(),
            figure,
            measured,
            reference,
            ratio,
            target: target.into(),
            verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        });
    }

    fn unavailable(&mut self, row: &str, figure: String, reference: &str, target: &str, why: &str) {
        self.0.push(Line {
            row: row.into(),
            figure,
            measured: "—".into(),
            reference: reference.into(),
            ratio: None,
            target: target.into(),
            verdict: Verdict::NotAvailable(why.into()),
        });
    }

    fn missed(&self) -> bool {
        self.0.iter().any(|l| matches!(l.verdict, Verdict::Fail))
    }

    fn print(&self, args: &Args) {
        if self.0.is_empty() {
            return;
        }
        let order = |r: &str| {
            let n: u32 = r
                .trim_end_matches(char::is_alphabetic)
                .parse()
                .unwrap_or(99);
            (n, r.to_string())
        };
        let mut lines: Vec<&Line> = self.0.iter().collect();
        lines.sort_by_key(|l| order(&l.row));
        println!(
            "\nNational benchmark: {} units × {} days, medians of {} run(s), loads of {} s \
             (service and nginx on core {SERVER_CORE}, load on core {LOAD_CORE})\n",
            args.units, args.days, args.runs, args.seconds
        );
        println!("| # | figure | measured | reference (same run) | ratio | target | |");
        println!("|---|---|---|---|---|---|---|");
        for l in lines {
            let verdict = match &l.verdict {
                Verdict::Pass => "pass".to_string(),
                Verdict::Fail => "**fail**".to_string(),
                Verdict::NotAvailable(why) => format!("not available: {why}"),
            };
            println!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                l.row,
                l.figure,
                l.measured,
                l.reference,
                l.ratio.map(ratio).unwrap_or_else(|| "—".into()),
                l.target,
                verdict
            );
        }
    }
}

/// Milliseconds as µs, ms or s with about three significant digits.
fn time_ms(ms: f64) -> String {
    let sig = |v: f64, unit: &str| {
        let decimals = if v >= 100.0 {
            0
        } else if v >= 10.0 {
            1
        } else {
            2
        };
        format!("{v:.decimals$} {unit}")
    };
    if ms.is_nan() {
        "—".into()
    } else if ms == 0.0 {
        "0 ms".into()
    } else if ms < 1.0 {
        sig(ms * 1000.0, "µs")
    } else if ms < 1000.0 {
        sig(ms, "ms")
    } else {
        sig(ms / 1000.0, "s")
    }
}

/// A count with thousands separators.
fn count(v: f64) -> String {
    if v.is_nan() {
        return "—".into();
    }
    if v < 10.0 {
        return format!("{v:.1}");
    }
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(r: f64) -> String {
    if r.is_nan() || r.is_infinite() {
        "—".into()
    } else if r >= 10.0 || r == 0.0 {
        format!("{r:.1}")
    } else if r >= 0.1 {
        format!("{r:.3}")
    } else {
        // Two significant digits however small: 0.00055.
        let decimals = (-r.log10()).ceil() as usize + 1;
        format!("{r:.decimals$}")
    }
}
