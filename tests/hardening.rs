//! Hostile requests (SPEC §8, §13): each test is one finding of the
//! attacker's review — numbers past every limit, text no database can
//! store, slow and idle connections, forged forwarding headers, organiser
//! credentials, refusals in the wrong shape, the organiser locked out by
//! strangers, panics and missing security headers.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::web::Web;
use support::{Db, Rank, counters, report};

/// The storage backends this run has (both databases when PostgreSQL is there).
fn databases() -> Vec<(Db, Rank)> {
    support::backends()
        .into_iter()
        .filter(|(_, rank)| *rank == Rank::Memory)
        .collect()
}

fn thidua(db: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(args)
        .env("THIDUA_DATABASE_URL", db)
        .env_remove("THIDUA_REDIS_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON error shape of SPEC §8, with its code.
fn assert_error_shape(status: u16, content_type: &str, body: &Value, expected: (u16, &str)) {
    assert_eq!(status, expected.0, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}: {body}"
    );
    assert_eq!(body["error"]["code"], expected.1, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

async fn raw(app: &support::TestApp, method: reqwest::Method, path: &str) -> (u16, String, Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn paging_past_every_integer_answers_instead_of_panicking() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (s, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201);
    for path in [
        "/api/v1/leaderboard?offset=1&limit=18446744073709551615",
        "/api/v1/leaderboard?offset=18446744073709551615&limit=18446744073709551615",
        "/api/v1/leaderboard?q=xa&offset=18446744073709551615&limit=18446744073709551615",
        "/api/v1/leaderboard?around=06040&limit=18446744073709551615",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body["entries"].is_array(), "{path}: {body}");
    }
    for path in [
        "/api/v1/leaderboard?limit=18446744073709551616",
        "/api/v1/leaderboard?offset=-1",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    // Days at the ends of the calendar: an answer, never a 5xx.
    for path in [
        "/api/v1/leaderboard?day=0001-01-01",
        "/api/v1/leaderboard?day=9999-12-31",
        "/api/v1/units/06040?day=0001-01-01",
        "/api/v1/reports?day=9999-12-31",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(app.token("06040"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status < 500 && body.is_object(), "{path}: {status} {body}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn control_characters_are_refused_with_422_naming_the_field_on_both_databases() {
    for backend in databases() {
        let app = support::spawn_app(backend).await;
        let before = app.revision_count().await;
        let with_note = json!({"day": "2025-10-06", "counters": counters(10, 9, 0, 0, 0, 0),
                               "note": "a\u{0}b"});
        let (s, body) = app.post_report("06040", &with_note).await;
        assert_eq!(s, 422, "{backend:?}: {body}");
        assert!(body["error"]["fields"]["note"].is_string(), "{body}");

        let by_organizer = json!({"unit": "06040", "day": "2025-10-06", "reason": "sửa\u{0}",
                                  "counters": counters(10, 9, 0, 0, 0, 0)});
        let (s, body) = app.post_as_admin(&by_organizer).await;
        assert_eq!(s, 422, "{backend:?}: {body}");
        assert!(body["error"]["fields"]["reason"].is_string(), "{body}");

        // An import line whose note holds a NUL: the line is named.
        let csv = "unit_code,day,received,received_online,fee_required,paid_online,results_issued,results_signed,note\n\
                   06040,2025-10-06,10,9,0,0,0,0,x\u{0}y\n";
        let r = app
            .client
            .post(app.url("/api/v1/admin/import?reason=gi%E1%BA%A5y"))
            .bearer_auth(&app.admin_token)
            .body(csv)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{backend:?}: {body}");
        assert!(
            body["error"]["fields"].to_string().contains("line."),
            "{body}"
        );
        // And the import's reason.
        let r = app
            .client
            .post(app.url("/api/v1/admin/import?reason=a%00b"))
            .bearer_auth(&app.admin_token)
            .body(csv.replace('\u{0}', ""))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{backend:?}: {body}");
        assert!(body["error"]["fields"]["reason"].is_string(), "{body}");

        // The organiser login, before any session.
        let web = Web::new(&app);
        let login = web.get("/admin/login").await;
        let page = web
            .post_form(
                "/admin/login",
                &[
                    ("csrf", &login.csrf()),
                    ("name", "x\u{0}"),
                    ("password", "p"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{backend:?}: {}", page.body);

        // Paths and query parameters that reach SQL.
        for path in [
            "/api/v1/units/06%00",
            "/api/v1/reports?day=2025-10-06%00",
            "/api/v1/leaderboard?competition=%00",
        ] {
            let r = app
                .client
                .get(app.url(path))
                .bearer_auth(app.token("06040"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{backend:?} {path}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "validation", "{body}");
        }
        assert_eq!(
            app.revision_count().await,
            before,
            "{backend:?}: nothing written"
        );
    }
}

#[tokio::test]
async fn refusals_before_any_handler_have_the_json_error_shape() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (s, ct, body) = raw(
        &app,
        reqwest::Method::GET,
        "/api/v1/leaderboard?board=all&board=x",
    )
    .await;
    assert_error_shape(s, &ct, &body, (400, "bad_request"));
    let (s, ct, body) = raw(&app, reqwest::Method::GET, "/api/v1/units/%ff").await;
    assert_error_shape(s, &ct, &body, (400, "bad_request"));
    let r = app
        .client
        .delete(app.url("/api/v1/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers().contains_key("allow"));
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    assert_error_shape(405, &ct, &body, (405, "method_not_allowed"));
}

#[tokio::test]
async fn an_import_over_its_limit_is_told_the_import_limit() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let body = vec![b'a'; 16 * 1024 * 1024 + 1];
    let r = app
        .client
        .post(app.url("/api/v1/admin/import?reason=x"))
        .bearer_auth(&app.admin_token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("16 MiB"), "{message}");
    // A JSON body keeps its own limit.
    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .bearer_auth(app.token("06040"))
        .header("content-type", "application/json")
        .body(vec![b' '; 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("64 KiB")
    );
}

/// Whether the server closed `stream` (read returns 0 or an error) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> (bool, String) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (true, text(&got)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return (false, text(&got));
            }
            Err(_) => return (true, text(&got)),
        }
        if started.elapsed() > limit {
            return (false, text(&got));
        }
    }
}

#[tokio::test]
async fn slow_headers_slow_bodies_and_idle_connections_are_closed() {
    let app = support::spawn_app_with_config((Db::Sqlite, Rank::Memory), |c| {
        c.header_timeout = 1;
        c.body_timeout = 1;
    })
    .await;
    let addr = app.addr;
    let token = app.token("06040").to_string();
    let outcome = tokio::task::spawn_blocking(move || {
        // Headers that never end.
        let mut slow_headers = TcpStream::connect(addr).unwrap();
        slow_headers
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        // A body that never ends.
        let mut slow_body = TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {token}\r\nContent-Length: 1000\r\n\r\n{{\"day\""
        );
        slow_body.write_all(head.as_bytes()).unwrap();
        // A keep-alive connection left idle after its answer.
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let limit = Duration::from_secs(6);
        (
            closed_within(&mut slow_headers, limit),
            closed_within(&mut slow_body, limit),
            closed_within(&mut idle, limit),
        )
    })
    .await
    .unwrap();
    assert!(outcome.0.0, "slow headers still open: {:?}", outcome.0.1);
    assert!(outcome.1.0, "slow body still open: {:?}", outcome.1.1);
    // The slow body is answered, not dropped in silence.
    assert!(outcome.1.1.starts_with("HTTP/1.1 408"), "{:?}", outcome.1.1);
    assert!(outcome.2.0, "idle connection still open");
    assert!(outcome.2.1.starts_with("HTTP/1.1 200"), "{:?}", outcome.2.1);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn connections_past_the_cap_wait_and_are_served_without_accept_errors() {
    let app = support::spawn_app_with_config((Db::Sqlite, Rank::Memory), |c| {
        c.max_connections = 8;
        c.header_timeout = 2;
    })
    .await;
    // Fill every slot with connections that send nothing.
    let hogs: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(app.addr).unwrap())
        .collect();
    // One more is queued by the kernel, not refused, and answered as soon
    // as the header timeout frees a slot.
    let started = Instant::now();
    let r = app
        .client
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(8));
    drop(hogs);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    for trusted in [true, false] {
        let app = support::spawn_app_with_config((Db::Sqlite, Rank::Memory), |c| {
            c.login_per_minute = 2;
            if trusted {
                c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
            }
        })
        .await;
        app.add_organizer("sonoivu", "mật khẩu đủ dài 123").await;
        // Three logins through the balancer, for three different clients.
        for (i, client) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
            .iter()
            .enumerate()
        {
            let web = Web::new(&app);
            let login = web.get("/admin/login").await;
            let r = app
                .client
                .post(app.url("/admin/login"))
                .header("x-forwarded-for", format!("198.51.100.9, {client}"))
                .header(
                    "cookie",
                    format!("thidua_login={}", web.cookie("thidua_login").unwrap()),
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body(support::web::urlencoded(&[
                    ("csrf", &login.csrf()),
                    ("name", &format!("nobody{i}")),
                    ("password", "wrong"),
                ]))
                .send()
                .await
                .unwrap();
            let limited = r.status() == 429;
            // Trusted: each client has its own allowance. Untrusted: all
            // share the balancer's address, and the third is refused.
            assert_eq!(limited, !trusted && i == 2, "trusted={trusted} login {i}");
        }
        // The audit log records the client, not the balancer.
        let web = Web::new(&app);
        let login = web.get("/admin/login").await;
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = no_redirects
            .post(app.url("/admin/login"))
            .header("forwarded", "for=192.0.2.44;proto=https")
            .header(
                "cookie",
                format!("thidua_login={}", web.cookie("thidua_login").unwrap()),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(support::web::urlencoded(&[
                ("csrf", &login.csrf()),
                ("name", "sonoivu"),
                ("password", "mật khẩu đủ dài 123"),
            ]))
            .send()
            .await
            .unwrap();
        if !trusted {
            // The address allowance is spent; that is the finding.
            assert_eq!(r.status(), 429);
            continue;
        }
        assert_eq!(r.status(), 303);
        use sqlx::Row;
        let row = sqlx::query("SELECT details FROM audit_log WHERE action = 'organizer.login'")
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        let details: String = row.get("details");
        assert!(details.contains("192.0.2.44"), "{details}");
    }
}

#[tokio::test]
async fn strangers_failing_at_an_account_do_not_lock_its_organiser_out() {
    let app = support::spawn_app_with_config((Db::Sqlite, Rank::Memory), |c| {
        c.login_per_minute = 3;
    })
    .await;
    app.add_organizer("sonoivu", "mật khẩu đủ dài 123").await;
    let organiser = Web::new(&app);
    let page = organiser
        .login_admin("sonoivu", "mật khẩu đủ dài 123")
        .await;
    assert_eq!(page.status, 303);
    assert!(organiser.cookie("thidua_device").is_some());
    let dashboard = organiser.get("/admin").await;
    let logout = organiser
        .post_form("/admin/logout", &[("csrf", &dashboard.csrf())])
        .await;
    assert_eq!(logout.status, 303);
    // Someone else guesses until the account is refused.
    let stranger = Web::new(&app);
    let mut refused = false;
    for _ in 0..6 {
        refused |= stranger.login_admin("sonoivu", "đoán mò").await.status == 429;
    }
    assert!(refused, "the stranger was never limited");
    // The organiser's own browser still gets in.
    let page = organiser
        .login_admin("sonoivu", "mật khẩu đủ dài 123")
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    // A device cookie of another account does not help the stranger.
    stranger.set_cookie("thidua_device", &organiser.cookie("thidua_device").unwrap());
    assert_eq!(stranger.login_admin("khac", "x").await.status, 429);
}

#[tokio::test]
async fn organiser_tokens_expire_are_listed_and_revoked_and_need_an_organiser() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let o = thidua(&db, &["admin", "token", "ghost"], None);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("no organiser \"ghost\""),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).trim().is_empty(), "a token was printed");
    let o = thidua(
        &db,
        &["admin", "add-user", "sonoivu", "--password-stdin"],
        Some("mật khẩu đủ dài 123\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = thidua(
        &db,
        &[
            "admin",
            "token",
            "sonoivu",
            "--label",
            "xuất file",
            "--expires-in",
            "30",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let secret = text(&o.stdout).trim().to_string();
    let listed = text(&thidua(&db, &["admin", "tokens"], None).stdout);
    assert!(
        listed.contains("xuất file") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the listing shows the secret");

    // The service takes it, then refuses it once revoked.
    let store = thidua::store::Store::open(&db).await.unwrap();
    let now = chrono::Utc::now();
    let hash = thidua::token::hash(&secret);
    assert_eq!(
        store
            .organizer_by_token_hash(&hash, now)
            .await
            .unwrap()
            .as_deref(),
        Some("sonoivu")
    );
    // Thirty days on, it has expired.
    assert_eq!(
        store
            .organizer_by_token_hash(&hash, now + chrono::Duration::days(31))
            .await
            .unwrap(),
        None
    );
    let listed = text(&thidua(&db, &["admin", "tokens", "sonoivu"], None).stdout);
    assert!(
        !listed.contains("\t-\tactive"),
        "last use not recorded: {listed}"
    );
    let id = listed
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let o = thidua(&db, &["admin", "revoke", &id], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        store.organizer_by_token_hash(&hash, now).await.unwrap(),
        None
    );
    assert!(text(&thidua(&db, &["admin", "tokens"], None).stdout).contains("revoked"));
    assert!(
        !thidua(&db, &["admin", "revoke", &id], None)
            .status
            .success()
    );
}

#[tokio::test]
async fn a_password_reset_ends_the_organisers_sessions() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    app.add_organizer("sonoivu", "mật khẩu đủ dài 123").await;
    let laptop = Web::new(&app);
    let phone = Web::new(&app);
    assert_eq!(
        laptop
            .login_admin("sonoivu", "mật khẩu đủ dài 123")
            .await
            .status,
        303
    );
    assert_eq!(
        phone
            .login_admin("sonoivu", "mật khẩu đủ dài 123")
            .await
            .status,
        303
    );
    // Changed from the laptop: the phone's session ends, the laptop's stays.
    let account = laptop.get("/admin/account").await;
    assert_eq!(account.status, 200);
    let changed = laptop
        .post_form(
            "/admin/account/password",
            &[
                ("csrf", &account.csrf()),
                ("current", "mật khẩu đủ dài 123"),
                ("password", "mật khẩu mới dài hơn"),
                ("confirm", "mật khẩu mới dài hơn"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(laptop.get("/admin").await.status, 200);
    let phone_page = phone.get("/admin").await;
    assert_eq!(phone_page.status, 303);
    assert_eq!(phone_page.location.as_deref(), Some("/admin/login"));
    // A reset from the command line ends every session.
    let o = thidua(
        &app.database_url,
        &["admin", "add-user", "sonoivu", "--password-stdin"],
        Some("một mật khẩu khác nữa\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(laptop.get("/admin").await.status, 303);
}

#[tokio::test]
async fn organiser_tokens_are_issued_and_revoked_from_the_admin_page() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    app.add_organizer("sonoivu", "mật khẩu đủ dài 123").await;
    let web = Web::new(&app);
    assert_eq!(
        web.login_admin("sonoivu", "mật khẩu đủ dài 123")
            .await
            .status,
        303
    );
    let account = web.get("/admin/account").await;
    let issued = web
        .post_form(
            "/admin/account/tokens",
            &[
                ("csrf", &account.csrf()),
                ("label", "cổng một cửa"),
                ("expires_in", "90"),
            ],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let start = issued.body.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let secret = &issued.body[start..start + 64];
    let export = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/admin/export?format=json"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(export(secret.to_string()).await, 200);
    let tokens = app
        .state
        .store()
        .organizer_tokens(Some("sonoivu"))
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].label, "cổng một cửa");
    assert!(tokens[0].last_used_at.is_some());
    let page = web.get("/admin/account").await;
    assert!(!page.body.contains(secret), "the token is shown again");
    let revoked = web
        .post_form(
            &format!("/admin/account/tokens/{}/revoke", tokens[0].id),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(export(secret.to_string()).await, 401);
}

#[tokio::test]
async fn a_unit_code_rotated_from_the_command_line_ends_its_web_session() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let web = Web::new(&app);
    let login = web.login_unit("06040", app.token("06040")).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let form = web.get("/report").await;
    assert_eq!(form.status, 200);
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = thidua(
        &app.database_url,
        &[
            "units",
            "tokens",
            "--competition",
            "lang-son-2025",
            "--unit",
            "06040",
            "--out",
            out.path().to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let before = app.revision_count().await;
    let saved = web
        .post_form(
            "/report",
            &[
                ("csrf", &form.csrf()),
                ("day", "2025-10-06"),
                ("counters.received", "10"),
                ("counters.received_online", "9"),
                ("counters.fee_required", "0"),
                ("counters.paid_online", "0"),
                ("counters.results_issued", "0"),
                ("counters.results_signed", "0"),
            ],
        )
        .await;
    assert_eq!(saved.status, 401, "{}", saved.body);
    assert_eq!(app.revision_count().await, before);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    for path in [
        "/",
        "/units/06040",
        "/report",
        "/admin/login",
        "/api/v1/leaderboard",
        "/nowhere",
    ] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn a_panic_under_a_handler_answers_a_json_500() {
    use axum::routing::get;
    use tower::ServiceExt;
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let routes = axum::Router::new().route(
        "/boom",
        get(|| async {
            let digits: Vec<u32> = Vec::new();
            // An index past the end: the kind of bug the layer is the last resort for.
            digits[usize::from(digits.is_empty())].to_string()
        }),
    );
    let service = thidua::http::protect(routes, &app.state).with_state(app.state.clone());
    let response = service
        .oneshot(
            axum::http::Request::get("/boom")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("content-security-policy"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        !body.to_string().contains("index out of bounds"),
        "panic message leaked: {body}"
    );
}

#[tokio::test]
async fn pages_break_no_rule_of_their_content_security_policy() {
    use fantoccini::Locator;
    let app = support::spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (s, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 4, 3, 8, 8)))
        .await;
    assert_eq!(s, 201);
    app.add_organizer("sonoivu", "mật khẩu đủ dài 123").await;
    app.settle().await;
    let Some(browser) = support::browser::Browser::open(1280, 900).await else {
        return;
    };
    let c = &browser.client;
    let csp_errors = |errors: Vec<String>| -> Vec<String> {
        errors
            .into_iter()
            .filter(|e| e.contains("Content Security Policy"))
            .collect()
    };
    for path in [
        "/",
        "/?tv=1",
        "/?board=xa-phuong&lang=en",
        "/units/06040",
        "/report",
        "/admin/login",
    ] {
        c.goto(&app.url(path)).await.unwrap();
    }
    c.goto(&app.url("/admin/login")).await.unwrap();
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys("sonoivu")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("mật khẩu đủ dài 123")
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action='/admin/login'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    for path in [
        "/admin",
        "/admin/report",
        "/admin/import",
        "/admin/reminders",
        "/admin/audit",
        "/admin/units",
        "/admin/account",
        "/admin/tokens/all",
        "/admin/finalize",
        "/admin/print",
    ] {
        c.goto(&app.url(path)).await.unwrap();
        let here = c.current_url().await.unwrap();
        assert!(here.path().starts_with("/admin"), "{path} → {here}");
        assert_ne!(here.path(), "/admin/login", "not signed in at {path}");
    }
    let blocked = csp_errors(browser.console_errors().await);
    assert!(blocked.is_empty(), "{blocked:#?}");
    // The check can fail: an inline script is blocked and reported.
    c.execute(
        "const s = document.createElement('script'); s.textContent = 'window.x = 1'; \
         document.body.appendChild(s);",
        vec![],
    )
    .await
    .unwrap();
    assert!(!csp_errors(browser.console_errors().await).is_empty());
    browser.close().await;
}
