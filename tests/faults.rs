//! What must hold under faults (SPEC §13): Redis going away and coming
//! back, the database refusing connections, and `kill -9` of the service.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Db, Rank, counters, report};
use thidua::ranking::Ranking;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn required() -> bool {
    std::env::var("THIDUA_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A private Redis for this test alone, so it can be stopped.
fn start_redis(port: u16) -> Option<Child> {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(c) => Some(c),
        Err(e) if !required() => {
            eprintln!("skipping: redis-server unavailable ({e})");
            None
        }
        Err(e) => panic!("redis-server unavailable: {e}"),
    }
}

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn redis_outage_loses_nothing_and_heals_without_restart() {
    let port = free_port();
    let Some(mut redis) = start_redis(port) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{port}");
    until("redis", async || {
        redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .is_ok()
    })
    .await;
    let ranking = Ranking::redis(&url, "").await.unwrap();
    let app = support::spawn_app_on(
        (Db::Sqlite, Rank::Redis),
        support::LANG_SON,
        support::UNITS,
        support::first_morning(),
        (ranking, String::new()),
    )
    .await;
    let (s, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201);

    redis.kill().unwrap();
    redis.wait().unwrap();
    // Reports are still accepted, and the board is served from the database.
    let started = Instant::now();
    let (s, body) = app
        .post_report("06001", &report("2025-10-06", counters(10, 10, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201, "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let board = app.board("all", None).await;
    let codes: Vec<&str> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["06001", "06040"]);

    // Redis returns empty; the ranking is rebuilt without a restart.
    let mut redis = start_redis(port).unwrap();
    until("ranking rebuilt", async || {
        let (status, ready) = app.get_json("/readyz").await;
        status == 200 && ready["ranking"]["stale"] == Value::Bool(false)
    })
    .await;
    let mut con = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let members: Vec<String> =
        redis::AsyncCommands::zrange(&mut con, "thidua:{lang-son-2025}:board:all:total", 0, -1)
            .await
            .unwrap();
    assert_eq!(members, ["06001", "06040"]);
    let again = app.board("all", None).await;
    assert_eq!(again["entries"], board["entries"]);
    redis.kill().unwrap();
    redis.wait().unwrap();
}

#[tokio::test]
async fn database_refusing_connections_answers_503_and_recovers() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        assert!(!required(), "TEST_DATABASE_URL is required");
        return;
    }
    let app = support::spawn_app((Db::Postgres, Rank::Memory)).await;
    let (s, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201);
    let board = app.board("all", None).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin = thidua::store::Store::connect(&std::env::var("TEST_DATABASE_URL").unwrap())
        .await
        .unwrap();
    let set = |allow: bool| {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"
        )))
    };
    set(false).execute(admin.pool()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )))
    .execute(admin.pool())
    .await
    .unwrap();

    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .bearer_auth(app.token("06001"))
        .json(&report("2025-10-06", counters(5, 5, 0, 0, 0, 0)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    // Reads keep serving the last board.
    let during = app.board("all", None).await;
    assert_eq!(during["entries"], board["entries"]);

    set(true).execute(admin.pool()).await.unwrap();
    let (s, body) = app
        .post_report("06001", &report("2025-10-06", counters(5, 5, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201, "{body}");
}

struct Service {
    child: Child,
    base: String,
}

fn spawn_service(db: &str, port: u16) -> Service {
    let child = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(["serve"])
        .env("THIDUA_DATABASE_URL", db)
        .env("THIDUA_BIND", format!("127.0.0.1:{port}"))
        .env("THIDUA_NOW", "2025-10-06T10:00:00+07:00")
        .env("THIDUA_INGEST_PER_MINUTE", "1000000")
        .env_remove("THIDUA_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Service {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    until("service ready", async || {
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/thidua.db", dir.path().display());
    let tokens = dir.path().join("tokens.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args([
            "init",
            "--competition",
            "data/lang-son-2025.toml",
            "--units",
            "data/lang-son-units.csv",
            "--tokens-out",
        ])
        .arg(&tokens)
        .env("THIDUA_DATABASE_URL", &db)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let tokens: Vec<(String, String)> = csv::Reader::from_path(&tokens)
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(tokens.len(), 79);

    let port = free_port();
    let mut service = spawn_service(&db, port);
    let client = reqwest::Client::new();
    wait_ready(&client, &service.base).await;
    // Post from several tasks; kill -9 while they are in flight.
    let mut tasks = Vec::new();
    for chunk in tokens.chunks(20) {
        let chunk = chunk.to_vec();
        let client = client.clone();
        let base = service.base.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for round in 1..=20u64 {
                for (code, token) in &chunk {
                    let body = report("2025-10-06", counters(100 + round, 100, 0, 0, 0, 0));
                    let sent = client
                        .post(format!("{base}/api/v1/reports"))
                        .bearer_auth(token)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            acknowledged.push((code.clone(), round))
                        }
                        _ => return acknowledged,
                    }
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    service.child.kill().unwrap(); // SIGKILL
    service.child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    assert!(
        acknowledged.len() > 20,
        "too few reports before the kill: {}",
        acknowledged.len()
    );

    let mut service = spawn_service(&db, port);
    wait_ready(&client, &service.base).await;
    // The latest acknowledged revision of each unit is there (or a later one).
    let mut last: std::collections::HashMap<String, u64> = Default::default();
    for (code, round) in acknowledged {
        let e = last.entry(code).or_default();
        *e = (*e).max(round);
    }
    for (code, token) in &tokens {
        let Some(round) = last.get(code) else {
            continue;
        };
        let r: Value = client
            .get(format!("{}/api/v1/reports", service.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let received = r["reports"][0]["counters"]["received"].as_u64().unwrap();
        assert!(
            received >= 100 + round,
            "{code}: stored {received}, acknowledged {}",
            100 + round
        );
        let revisions = r["reports"][0]["revisions"].as_array().unwrap().len() as u64;
        assert!(
            revisions >= *round,
            "{code}: {revisions} revisions, acknowledged {round}"
        );
    }
    service.child.kill().unwrap();
    service.child.wait().unwrap();
}
