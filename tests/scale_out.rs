//! Three `thidua serve` processes behind nginx, configured with
//! `deploy/nginx/thidua.conf` as shipped (only its ports rewritten), on
//! PostgreSQL and a Redis Cluster of three masters started for this test.
//!
//! Units post their figures through nginx, spread over the instances; live
//! viewers watch `/events` through nginx. Halfway through, the instance
//! holding the most viewers is killed (SIGKILL). Its viewers reconnect
//! through nginx with `Last-Event-ID`; writers retry what failed with their
//! `Idempotency-Key`. At the end every viewer has seen the last version,
//! every acknowledged report is on the board, the board served by each
//! remaining instance equals the exact computation from the figures sent,
//! and the day close that was due when the instances started ran once.
//!
//! The figures of the run are written to `target/scale-out.txt` (the README
//! quotes them; `.ci/run` prints them).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::cluster::{Cluster, free_port, required};
use support::{Db, counters};
use thidua::competition::{Board, Status};
use thidua::leaderboard::{self, BoardSpec};
use thidua::ranking::{Period, sync};
use thidua::report::Counters;
use thidua::store::{CurrentReport, Store};

/// The instances' clock: the second day of the Lạng Sơn week, an hour
/// after the first day's deadline (so its close is due at start-up).
const NOW: &str = "2025-10-07T10:00:00+07:00";
const DAY: &str = "2025-10-07";
const CLOSED: &str = "2025-10-06";
const SLUG: &str = "lang-son-2025";
const VIEWERS: usize = 6;
const WRITERS: usize = 4;
const ROUNDS: u64 = 5;

/// A child process stopped (by its PID) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx, stopped with SIGTERM so that its master takes its worker down
/// with it (a SIGKILL would leave the worker running, orphaned).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let stopped = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if stopped {
            let _ = self.0.wait();
        } else {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn nginx_available() -> bool {
    Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn thidua(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_thidua"));
    command
        .env("THIDUA_DATABASE_URL", database)
        .env_remove("THIDUA_REDIS_URL")
        .env_remove("THIDUA_NOW");
    command
}

async fn until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The nginx configuration of `deploy/`, with the test's ports, inside a
/// main configuration that keeps every file nginx writes in `dir`. Each
/// response names the instance that answered (for the test only).
fn nginx_config(dir: &Path, listen: u16, instances: &[u16]) -> PathBuf {
    let shipped = std::fs::read_to_string("deploy/nginx/thidua.conf").unwrap();
    let mut site = shipped.replace("listen 80;", &format!("listen 127.0.0.1:{listen};"));
    for (i, port) in instances.iter().enumerate() {
        let shipped_port = format!("127.0.0.1:{}", 8081 + i);
        assert!(
            site.contains(&shipped_port),
            "{shipped_port} in the shipped file"
        );
        site = site.replace(&shipped_port, &format!("127.0.0.1:{port}"));
    }
    std::fs::write(dir.join("thidua.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "worker_processes 1;
error_log {d}/error.log warn;
pid {d}/nginx.pid;
user root;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    add_header X-Upstream $upstream_addr always;
    include {d}/thidua.conf;
}}
"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, main).unwrap();
    path
}

/// The figures of unit number `i` in round `r`.
fn figures(i: usize, r: u64) -> Value {
    let i = i as u64;
    let received = 20 + i % 7;
    counters(received, received - (i + r) % 5, 4, 2 + r % 3, 10, 5 + r)
}

/// What one live viewer saw.
#[derive(Default, Debug)]
struct Seen {
    versions: Vec<u64>,
    /// Which instance (port) served each connection.
    upstreams: Vec<String>,
    reconnects: usize,
}

/// A viewer of `/events` through nginx that reconnects with
/// `Last-Event-ID` whenever its stream ends, until `stop` is set and it
/// has seen `target`.
async fn viewer(
    base: String,
    seen: Arc<std::sync::Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    target: Arc<AtomicU64>,
) {
    let client = reqwest::Client::new();
    loop {
        let last = seen.lock().unwrap().versions.last().copied();
        let mut request = client.get(format!("{base}/events"));
        if let Some(id) = last {
            request = request.header("last-event-id", id.to_string());
        }
        let Ok(response) = request.send().await else {
            seen.lock().unwrap().reconnects += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let upstream = response
            .headers()
            .get("x-upstream")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().upstreams.push(upstream);
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        loop {
            let done = stop.load(Ordering::SeqCst)
                && seen.lock().unwrap().versions.last().copied()
                    == Some(target.load(Ordering::SeqCst));
            if done {
                return;
            }
            let chunk = match tokio::time::timeout(Duration::from_millis(200), body.next()).await {
                Err(_) => continue,
                Ok(Some(Ok(chunk))) => chunk,
                Ok(_) => break,
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let message: String = buffer.drain(..end + 2).collect();
                if let Some(id) = message
                    .lines()
                    .find_map(|l| l.strip_prefix("id:"))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    seen.lock().unwrap().versions.push(id);
                }
            }
        }
        // The stream ended: the instance went away. Reconnect through nginx.
        seen.lock().unwrap().reconnects += 1;
    }
}

/// Posts one report through nginx, retrying with the same key until an
/// answer that is not a gateway or availability failure.
async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (u16, usize) {
    let mut retries = 0;
    loop {
        let sent = client
            .post(format!("{base}/api/v1/reports"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await;
        match sent.map(|r| r.status().as_u16()) {
            Ok(status) if !matches!(status, 502..=504) => return (status, retries),
            _ => {
                retries += 1;
                assert!(retries < 100, "{key} never answered");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test]
async fn three_instances_behind_nginx_survive_losing_one() {
    if !nginx_available() || std::env::var("TEST_DATABASE_URL").is_err() {
        assert!(!required(), "nginx and PostgreSQL are required");
        eprintln!("skipping: nginx or PostgreSQL unavailable");
        return;
    }
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (database, _) = support::fresh_database(Db::Postgres).await;

    // Set up as an organiser would: init writes the units' access codes.
    let tokens_csv = dir.path().join("tokens.csv");
    let init = thidua(&database)
        .args(["init", "--competition", "data/lang-son-2025.toml"])
        .args(["--units", "data/lang-son-units.csv", "--tokens-out"])
        .arg(&tokens_csv)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let tokens: Vec<(String, String)> = csv::Reader::from_path(&tokens_csv)
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();

    // Three instances, started together: each runs the catch-up of due jobs.
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut instances: Vec<Option<Process>> = ports
        .iter()
        .map(|port| {
            let log = std::fs::File::create(dir.path().join(format!("thidua-{port}.log"))).unwrap();
            let child = thidua(&database)
                .arg("serve")
                .env("THIDUA_REDIS_URL", cluster.url())
                .env("THIDUA_BIND", format!("127.0.0.1:{port}"))
                .env("THIDUA_NOW", NOW)
                .env("THIDUA_INGEST_PER_MINUTE", "100000")
                .env("THIDUA_TRUSTED_PROXIES", "127.0.0.1")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            Some(Process(child))
        })
        .collect();
    let client = reqwest::Client::new();
    for port in &ports {
        until("an instance ready", Duration::from_secs(60), async || {
            client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
    }

    // nginx with the shipped configuration.
    let listen = free_port();
    let config = nginx_config(dir.path(), listen, &ports);
    let checked = Command::new("nginx")
        .args(["-t", "-q", "-p"])
        .arg(dir.path())
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let _nginx = Nginx(
        Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{listen}");
    until("nginx", Duration::from_secs(20), async || {
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;

    // Live viewers through nginx.
    let stop = Arc::new(AtomicBool::new(false));
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let seen: Vec<Arc<std::sync::Mutex<Seen>>> = (0..VIEWERS).map(|_| Arc::default()).collect();
    let viewers: Vec<_> = seen
        .iter()
        .map(|s| {
            tokio::spawn(viewer(
                base.clone(),
                s.clone(),
                stop.clone(),
                target.clone(),
            ))
        })
        .collect();
    until(
        "every viewer connected",
        Duration::from_secs(20),
        async || seen.iter().all(|s| !s.lock().unwrap().upstreams.is_empty()),
    )
    .await;
    // The instance to kill: the one serving the most viewers.
    let mut load: HashMap<u16, usize> = HashMap::new();
    for s in &seen {
        let upstream = s.lock().unwrap().upstreams[0].clone();
        let port: u16 = upstream.rsplit(':').next().unwrap().parse().unwrap();
        *load.entry(port).or_default() += 1;
    }
    let (&victim_port, &victim_viewers) = load.iter().max_by_key(|(_, n)| **n).unwrap();
    let victim = ports.iter().position(|p| *p == victim_port).unwrap();

    // Writers: every unit's figures, round after round, through nginx.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let retried = Arc::new(AtomicUsize::new(0));
    let total = tokens.len() * ROUNDS as usize;
    let indexed: Vec<(usize, String, String)> = tokens
        .iter()
        .enumerate()
        .map(|(i, (code, token))| (i, code.clone(), token.clone()))
        .collect();
    let mut writers = Vec::new();
    for part in indexed.chunks(indexed.len().div_ceil(WRITERS)) {
        let (part, base, acknowledged, retried) = (
            part.to_vec(),
            base.clone(),
            acknowledged.clone(),
            retried.clone(),
        );
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for r in 1..=ROUNDS {
                for (i, code, token) in &part {
                    let body = json!({"day": DAY, "counters": figures(*i, r)});
                    let key = format!("{code}-{r}");
                    let (status, retries) = post(&client, &base, token, &key, &body).await;
                    assert!(matches!(status, 200 | 201), "{code} round {r}: {status}");
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                    retried.fetch_add(retries, Ordering::SeqCst);
                }
            }
        }));
    }
    until("half the reports", Duration::from_secs(120), async || {
        acknowledged.load(Ordering::SeqCst) >= total / 2
    })
    .await;
    let killed_at = acknowledged.load(Ordering::SeqCst);
    instances[victim] = None; // SIGKILL, by PID.
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(acknowledged.load(Ordering::SeqCst), total);

    // The exact board from the figures sent (the last round of each unit).
    let store = Store::open(&database).await.unwrap();
    let clock: thidua::clock::SharedClock =
        thidua::clock::ManualClock::new(chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into());
    let catalog = thidua::catalog::Catalog::new(store.clone(), clock);
    catalog.reload().await.unwrap();
    let selected = catalog.competition(Some(SLUG)).unwrap();
    let sent: Vec<CurrentReport> = indexed
        .iter()
        .map(|(i, code, _)| CurrentReport {
            unit_id: selected.unit(code).unwrap().id,
            day: support::day(DAY),
            counters: serde_json::from_value::<Counters>(figures(*i, ROUNDS)).unwrap(),
            stamp: 1,
        })
        .collect();
    let entries = sync::period_entries(
        &selected.record.competition,
        &selected.units,
        &sent,
        Period::Whole,
    );
    let expected = serde_json::to_value(leaderboard::build(&BoardSpec {
        selected: &selected,
        board: &Board::All,
        period: Period::Whole,
        entries: &entries,
        version: 0,
        status: Status::Open,
        as_of: chrono::Utc::now(),
        previous_ranks: None,
    }))
    .unwrap();
    let exact = |board: &Value| {
        ["entries", "unranked", "totals", "total_entries"]
            .iter()
            .all(|k| board[*k] == expected[*k])
    };
    // Each remaining instance, asked directly, and nginx serve that board.
    let mut answers: Vec<String> = ports
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, p)| format!("http://127.0.0.1:{p}"))
        .collect();
    answers.push(base.clone());
    for at in &answers {
        until("the exact board", Duration::from_secs(30), async || {
            let r = client
                .get(format!("{at}/api/v1/leaderboard?board=all"))
                .send()
                .await
                .unwrap();
            r.status() == 200 && exact(&r.json::<Value>().await.unwrap())
        })
        .await;
    }

    // Every viewer sees the last version, in order.
    let mut redis = redis::cluster::ClusterClient::new(
        cluster
            .ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}")),
    )
    .unwrap()
    .get_async_connection()
    .await
    .unwrap();
    let last: u64 = redis::AsyncCommands::get(&mut redis, format!("thidua:{{{SLUG}}}:version"))
        .await
        .unwrap();
    target.store(last, Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    for v in viewers {
        tokio::time::timeout(Duration::from_secs(30), v)
            .await
            .expect("every viewer reaches the last version")
            .unwrap();
    }
    let mut reconnects = 0;
    let mut events = 0;
    for s in &seen {
        let s = s.lock().unwrap();
        assert!(
            s.versions.windows(2).all(|w| w[0] <= w[1]),
            "versions in order: {s:?}"
        );
        assert_eq!(s.versions.last(), Some(&last));
        reconnects += s.reconnects;
        events += s.versions.len();
    }
    assert!(
        reconnects >= victim_viewers,
        "the killed instance's {victim_viewers} viewers reconnected ({reconnects})"
    );
    let moved = seen
        .iter()
        .filter(|s| {
            let s = s.lock().unwrap();
            s.upstreams[0].ends_with(&format!(":{victim_port}")) && s.upstreams.len() > 1
        })
        .count();
    assert_eq!(
        moved, victim_viewers,
        "their viewers moved to another instance"
    );

    // Every acknowledged report is stored once: the last round of each unit.
    use sqlx::Row;
    let revisions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM revisions")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n");
    // The first two rounds' figures may repeat for some units (unchanged,
    // no revision), never more than one revision per acknowledged post.
    assert!(revisions as usize <= total && revisions as usize >= tokens.len());
    // The day due for closing at start-up was closed exactly once.
    let closes: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'day.close' AND details LIKE $1",
    )
    .bind(format!("%\"{CLOSED}\"%"))
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(closes, 1, "one instance closed {CLOSED}");

    let figures = format!(
        "three instances behind nginx on PostgreSQL and a three-master Redis Cluster\n\
         reports acknowledged: {total} of {total} ({} units × {ROUNDS} rounds), {} retries after the kill (same Idempotency-Key)\n\
         instance on port {victim_port} killed (SIGKILL) after {killed_at} reports, serving {victim_viewers} of {VIEWERS} viewers\n\
         viewers that saw the last version (v{last}): {VIEWERS} of {VIEWERS}; events received: {events}; reconnections through nginx: {reconnects}\n\
         boards equal to the exact computation: {} of {} (each remaining instance and nginx)\n\
         day close of {CLOSED} run: {closes} time(s) by 3 instances started together\n",
        tokens.len(),
        retried.load(Ordering::SeqCst),
        answers.len(),
        answers.len(),
    );
    eprint!("{figures}");
    std::fs::create_dir_all("target").unwrap();
    std::fs::write("target/scale-out.txt", figures).unwrap();
}
