//! The test harness: `spawn_app` starts a real `thidua` service on port 0
//! over a fresh database (SQLite file, or a new PostgreSQL database) and a
//! ranking (in process, or Redis under a unique key prefix), with the
//! Lạng Sơn competition, its units, their tokens and an admin token.
//!
//! PostgreSQL and Redis tests run when `TEST_DATABASE_URL` and
//! `TEST_REDIS_URL` are set; with `THIDUA_REQUIRE_SERVICES=1` (as in CI) a
//! missing one fails the run instead of being skipped.

#![allow(dead_code)]

pub mod browser;
pub mod cluster;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use thidua::clock::ManualClock;
use thidua::competition::Competition;
use thidua::config::Config;
use thidua::ranking::Ranking;
use thidua::state::AppState;
use thidua::store::Store;

pub const LANG_SON: &str = include_str!("../../data/lang-son-2025.toml");
pub const UNITS: &str = include_str!("../../data/lang-son-units.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    Memory,
    Redis,
}

/// Every storage × ranking combination this run can test.
pub fn backends() -> Vec<(Db, Rank)> {
    let require = std::env::var("THIDUA_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    let pg = std::env::var("TEST_DATABASE_URL").is_ok();
    let redis = std::env::var("TEST_REDIS_URL").is_ok();
    if require {
        assert!(
            pg,
            "THIDUA_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set"
        );
        assert!(
            redis,
            "THIDUA_REQUIRE_SERVICES=1 but TEST_REDIS_URL is not set"
        );
    }
    let mut all = vec![(Db::Sqlite, Rank::Memory)];
    if redis {
        all.push((Db::Sqlite, Rank::Redis));
    }
    if pg {
        all.push((Db::Postgres, Rank::Memory));
    }
    if pg && redis {
        all.push((Db::Postgres, Rank::Redis));
    }
    all
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::random::<u64>())
}

/// A fresh database URL for one test.
pub async fn fresh_database(db: Db) -> (String, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/thidua.db", dir.path().display());
            (url, Some(dir))
        }
        Db::Postgres => {
            let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            // The creation time is in the name so that later runs can drop
            // what earlier ones left behind.
            let now = chrono::Utc::now().timestamp();
            let name = unique(&format!("thidua_test_{now}_"));
            let admin = Store::connect(&base).await.expect("connect to PostgreSQL");
            drop_stale_databases(&admin, now - 3600).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await
                .expect("create test database");
            admin.pool().close().await;
            let (head, _) = base.rsplit_once('/').expect("database URL with a name");
            (format!("{head}/{name}"), None)
        }
    }
}

/// Drops test databases created more than an hour ago (a run can't still
/// be using them), so the shared server does not fill up.
async fn drop_stale_databases(admin: &Store, before: i64) {
    use sqlx::Row;
    use std::sync::atomic::{AtomicBool, Ordering};
    // Once per test process is enough.
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = sqlx::query(
        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'thidua_test_%'",
    )
    .fetch_all(admin.pool())
    .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get("datname");
        let created = name
            .strip_prefix("thidua_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|t| t.parse::<i64>().ok());
        // Names without a time come from older runs: drop them too.
        if created.is_none_or(|t| t < before) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(admin.pool())
            .await;
        }
    }
}

pub async fn fresh_ranking(rank: Rank) -> (Ranking, String) {
    match rank {
        Rank::Memory => (Ranking::memory(), String::new()),
        Rank::Redis => {
            let url = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL");
            let prefix = unique("test") + ":";
            (Ranking::redis(&url, &prefix).await.expect("redis"), prefix)
        }
    }
}

/// The HTTP client of a test app: a request that gets no answer fails the
/// test after five minutes, naming itself, rather than waiting without end.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .expect("HTTP client")
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub competition: Competition,
    /// Unit code → bearer token.
    pub tokens: HashMap<String, String>,
    pub admin_token: String,
    pub database_url: String,
    pub redis_prefix: String,
    pub backend: (Db, Rank),
    _dir: Option<tempfile::TempDir>,
}

/// 10:00 on the competition's first day, Hà Nội time.
pub fn first_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-10-06T10:00:00+07:00")
        .unwrap()
        .with_timezone(&Utc)
}

pub async fn spawn_app(backend: (Db, Rank)) -> TestApp {
    spawn_app_with(backend, LANG_SON, first_morning()).await
}

pub async fn spawn_app_with(backend: (Db, Rank), definition: &str, now: DateTime<Utc>) -> TestApp {
    spawn_app_full(backend, definition, UNITS, now).await
}

/// A service over any competition file and units CSV.
pub async fn spawn_app_full(
    backend: (Db, Rank),
    definition: &str,
    units_csv: &str,
    now: DateTime<Utc>,
) -> TestApp {
    let ranking = fresh_ranking(backend.1).await;
    spawn_app_on(backend, definition, units_csv, now, ranking).await
}

/// A service on a fresh database with a given ranking (e.g. a private Redis).
pub async fn spawn_app_on(
    backend: (Db, Rank),
    definition: &str,
    units_csv: &str,
    now: DateTime<Utc>,
    (ranking, redis_prefix): (Ranking, String),
) -> TestApp {
    let (database_url, dir) = fresh_database(backend.0).await;
    let store = Store::open(&database_url).await.expect("open store");
    let competition = Competition::parse(definition).expect("competition");
    store
        .apply_competition(&competition, false, now)
        .await
        .expect("apply");
    let record = store.competition(&competition.slug).await.unwrap().unwrap();
    let rows = thidua::units::parse_csv(units_csv, &competition).expect("units");
    store
        .import_units(record.id, &rows, now)
        .await
        .expect("import");
    let mut tokens = HashMap::new();
    let mut hashes = Vec::new();
    for unit in store.units(record.id).await.expect("units") {
        let t = thidua::token::generate();
        hashes.push((unit.id, thidua::token::hash(&t)));
        tokens.insert(unit.code.clone(), t);
    }
    store
        .rotate_unit_tokens(&hashes, now)
        .await
        .expect("tokens");
    let admin_token = thidua::token::generate();
    // An organiser's tokens need its account; this one signs in by token only.
    store
        .upsert_organizer("ban-to-chuc", "!", now)
        .await
        .expect("organiser");
    store
        .add_organizer_token(
            "ban-to-chuc",
            &thidua::token::hash(&admin_token),
            "tests",
            None,
            now,
        )
        .await
        .expect("admin token")
        .expect("the organiser exists");
    let clock = ManualClock::new(now);
    let config = test_config(&database_url, &redis_prefix);
    let state = AppState::new(store, ranking, clock.clone(), config)
        .await
        .expect("state");
    state.sync().rebuild_all().await.expect("rebuild");
    let addr = serve(state.clone()).await;
    let app = TestApp {
        addr,
        base: format!("http://{addr}"),
        client: client(),
        state,
        clock,
        competition,
        tokens,
        admin_token,
        database_url,
        redis_prefix,
        backend,
        _dir: dir,
    };
    app.wait_ready().await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Polls `/readyz` until it answers 200.
    pub async fn wait_ready(&self) {
        for _ in 0..500 {
            if let Ok(r) = self.client.get(self.url("/readyz")).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("service never became ready");
    }

    pub fn token(&self, code: &str) -> &str {
        &self.tokens[code]
    }

    pub async fn post_report(&self, code: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/reports"))
            .bearer_auth(self.token(code))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_as_admin(&self, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/reports"))
            .bearer_auth(&self.admin_token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits until the boards of every competition show every change the
    /// ranking has: boards are rebuilt in the background, a few
    /// milliseconds after a report.
    pub async fn settle(&self) {
        for selected in self.state.catalog().all() {
            self.state
                .boards()
                .settled(&selected.record.competition.slug)
                .await;
        }
    }

    /// `GET path`, as anyone, once the boards show every change.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.settle().await;
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `GET path` revalidating a copy with ETag `etag`.
    pub async fn get_if_none_match(&self, path: &str, etag: &str) -> reqwest::Response {
        self.settle().await;
        self.client
            .get(self.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap()
    }

    /// `POST path` with the organiser's API token and no body.
    pub async fn post_as_organizer(&self, path: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        self.settle().await;
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn board(&self, board: &str, day: Option<NaiveDate>) -> Value {
        let mut path = format!("/api/v1/leaderboard?board={board}");
        if let Some(d) = day {
            path.push_str(&format!("&day={d}"));
        }
        let (status, body) = self.get_json(&path).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Creates an organiser login (argon2, as `thidua admin add-user` does).
    pub async fn add_organizer(&self, name: &str, password: &str) {
        self.state
            .store()
            .upsert_organizer(
                name,
                &thidua::password::hash(password).unwrap(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }

    /// How many revisions the database holds, to prove refusals wrote nothing.
    pub async fn revision_count(&self) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM revisions")
            .fetch_one(self.state.store().pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    }
}

/// The entry of unit `code` on a leaderboard body.
pub fn entry<'a>(board: &'a Value, code: &str) -> &'a Value {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit"]["code"] == code)
        .unwrap_or_else(|| panic!("{code} is not ranked: {board}"))
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A valid set of Lạng Sơn counters.
pub fn counters(
    received: u64,
    online: u64,
    fee: u64,
    paid: u64,
    issued: u64,
    signed: u64,
) -> Value {
    json!({
        "received": received, "received_online": online,
        "fee_required": fee, "paid_online": paid,
        "results_issued": issued, "results_signed": signed,
    })
}

pub fn report(day: &str, counters: Value) -> Value {
    json!({"day": day, "counters": counters})
}

/// A second `thidua` instance sharing `app`'s database and Redis key prefix,
/// as behind a load balancer. Only meaningful with a Redis ranking: an
/// in-process ranking cannot be shared between instances.
pub async fn spawn_second_instance(app: &TestApp) -> TestApp {
    assert_eq!(
        app.backend.1,
        Rank::Redis,
        "instances share a ranking only through Redis"
    );
    app.another_instance(|_| {}).await
}

/// A service like `spawn_app`'s, whose configuration `tweak` adjusts (e.g.
/// small rate limits). It serves the same fresh database, units and tokens.
pub async fn spawn_app_with_config(
    backend: (Db, Rank),
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let mut first = spawn_app(backend).await;
    let mut app = first.another_instance(tweak).await;
    app._dir = first._dir.take();
    app
}

fn test_config(database_url: &str, redis_prefix: &str) -> Config {
    let mut config = Config::for_database(database_url);
    config.redis_prefix = redis_prefix.to_string();
    config.ingest_per_minute = 100_000;
    config
}

/// Serves `state` on a free port.
async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(thidua::http::serve(state, listener));
    addr
}

impl TestApp {
    /// The state of another service process over this app's database and
    /// ranking (the same Redis prefix, or a new in-process ranking) and on
    /// its clock: a restart, or another instance behind the load balancer.
    pub async fn another_state(&self, tweak: impl FnOnce(&mut Config)) -> AppState {
        let store = Store::open(&self.database_url).await.expect("open store");
        let ranking = match self.backend.1 {
            Rank::Memory => Ranking::memory(),
            Rank::Redis => {
                let url = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL");
                Ranking::redis(&url, &self.redis_prefix)
                    .await
                    .expect("redis")
            }
        };
        let mut config = test_config(&self.database_url, &self.redis_prefix);
        tweak(&mut config);
        AppState::new(store, ranking, self.clock.clone(), config)
            .await
            .expect("state")
    }

    /// Another instance, serving HTTP, with its ranking rebuilt.
    pub async fn another_instance(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let state = self.another_state(tweak).await;
        state.sync().rebuild_all().await.expect("rebuild");
        let addr = serve(state.clone()).await;
        let app = TestApp {
            addr,
            base: format!("http://{addr}"),
            client: client(),
            state,
            clock: self.clock.clone(),
            competition: self.competition.clone(),
            tokens: self.tokens.clone(),
            admin_token: self.admin_token.clone(),
            database_url: self.database_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            backend: self.backend,
            _dir: None,
        };
        app.wait_ready().await;
        app
    }
}
