//! Organisers scoped to competitions: one deployment serving two
//! provinces. The organiser of Cao Bằng can neither read nor change Lạng
//! Sơn's competition — through the admin pages, the admin API, the public
//! API or a download — and every refusal leaves the store as it was; a
//! deployment-wide administrator reaches both; the command line grants and
//! withdraws competitions.

mod support;

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use sqlx::Row;
use support::web::{COUNTER_FIELDS, Web};
use support::{Db, LANG_SON, TestApp, UNITS, backends, counters, report, spawn_app};
use thidua::clock::Clock;
use thidua::competition::Competition;

const OTHER: &str = "cao-bang-2025";
const PASSWORD: &str = "mat-khau-cao-bang-2025";

/// Lạng Sơn's app with a second province's competition beside it (the same
/// week, units and rules under another code), an organiser of that
/// province alone (`sonv-cb`, with a password and an API token), and the
/// tokens of the second competition's units.
struct TwoProvinces {
    app: TestApp,
    other_id: i64,
    own_id: i64,
    scoped_token: String,
    other_units: HashMap<String, String>,
}

async fn two_provinces(db: Db) -> TwoProvinces {
    let backend = backends().into_iter().find(|b| b.0 == db).unwrap();
    let app = spawn_app(backend).await;
    let store = app.state.store();
    let now = app.clock.now();
    let definition = LANG_SON
        .replace("lang-son-2025", OTHER)
        .replace("tỉnh Lạng Sơn", "tỉnh Cao Bằng")
        .replace("name = \"Tuần lễ", "name = \"Cao Bằng: Tuần lễ");
    let other = Competition::parse(&definition).unwrap();
    store.apply_competition(&other, false, now).await.unwrap();
    let record = store.competition(OTHER).await.unwrap().unwrap();
    let rows = thidua::units::parse_csv(UNITS, &other).unwrap();
    store.import_units(record.id, &rows, now).await.unwrap();
    let mut other_units = HashMap::new();
    let mut hashes = Vec::new();
    for unit in store.units(record.id).await.unwrap() {
        let t = thidua::token::generate();
        hashes.push((unit.id, thidua::token::hash(&t)));
        other_units.insert(unit.code.clone(), t);
    }
    store.rotate_unit_tokens(&hashes, now).await.unwrap();
    app.state.catalog().reload().await.unwrap();
    app.state.sync().rebuild_all().await.unwrap();
    store
        .upsert_scoped_organizer(
            "sonv-cb",
            &thidua::password::hash(PASSWORD).unwrap(),
            Some(&[record.id]),
            "tests",
            now,
        )
        .await
        .unwrap();
    let scoped_token = thidua::token::generate();
    store
        .add_organizer_token(
            "sonv-cb",
            &thidua::token::hash(&scoped_token),
            "tests",
            None,
            now,
        )
        .await
        .unwrap()
        .unwrap();
    let own_id = store
        .competition(&app.competition.slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    TwoProvinces {
        app,
        other_id: record.id,
        own_id,
        scoped_token,
        other_units,
    }
}

/// What a refusal must leave as it was: the revisions, the audit log, the
/// integrations, the units' tokens and Lạng Sơn's state.
async fn footprint(app: &TestApp) -> Vec<String> {
    let pool = app.state.store().pool();
    let mut seen = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM revisions",
        "SELECT COUNT(*) AS n FROM audit_log WHERE action <> 'organizer.login'",
        "SELECT COUNT(*) AS n FROM integrations",
        "SELECT COUNT(*) AS n FROM organizer_competitions",
    ] {
        let n: i64 = sqlx::query(sql).fetch_one(pool).await.unwrap().get("n");
        seen.push(format!("{sql}: {n}"));
    }
    for row in sqlx::query("SELECT code, token_hash FROM units ORDER BY competition_id, code")
        .fetch_all(pool)
        .await
        .unwrap()
    {
        let code: String = row.get("code");
        let hash: Option<String> = row.get("token_hash");
        seen.push(format!("{code}: {hash:?}"));
    }
    let record = app
        .state
        .store()
        .competition(&app.competition.slug)
        .await
        .unwrap()
        .unwrap();
    seen.push(format!(
        "frozen {:?} final {:?}",
        record.frozen_at, record.finalized_at
    ));
    seen
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = match method {
        "GET" => app.client.get(app.url(path)),
        _ => app.client.post(app.url(path)),
    }
    .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn correction(slug: &str, unit: &str) -> Value {
    json!({
        "competition": slug,
        "unit": unit,
        "reason": "Sửa theo công văn",
        "day": "2025-10-06",
        "counters": {"received": 9, "received_online": 9, "fee_required": 0,
                     "paid_online": 0, "results_issued": 1, "results_signed": 1},
    })
}

#[tokio::test]
async fn an_organiser_of_one_province_cannot_touch_another_through_the_api() {
    for db in [Db::Sqlite, Db::Postgres] {
        if !backends().iter().any(|b| b.0 == db) {
            continue;
        }
        let p = two_provinces(db).await;
        let app = &p.app;
        let lang_son = app.competition.slug.as_str();
        let token = p.scoped_token.as_str();
        let (status, _) = app
            .post_report("SNV", &report("2025-10-06", counters(10, 8, 2, 1, 5, 5)))
            .await;
        assert_eq!(status, 201);
        let before = footprint(app).await;
        let board_before = app.board("all", None).await;

        let import_csv = "unit_code,day,received,received_online,fee_required,paid_online,results_issued,results_signed\nSNV,2025-10-06,1,1,0,0,1,1\n";
        let refused: Vec<(&str, String, Option<Value>)> = vec![
            (
                "GET",
                format!("/api/v1/admin/export?competition={lang_son}&format=json"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/admin/export?competition={lang_son}&format=csv"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/admin/import-template?competition={lang_son}"),
                None,
            ),
            ("GET", format!("/admin/print?competition={lang_son}"), None),
            (
                "POST",
                format!("/api/v1/admin/freeze?competition={lang_son}"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/admin/finalize?competition={lang_son}"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/admin/reopen?competition={lang_son}"),
                Some(json!({"reason": "thử"})),
            ),
            (
                "POST",
                "/api/v1/reports".into(),
                Some(correction(lang_son, "SNV")),
            ),
        ];
        for (method, path, body) in refused {
            let (status, answer) = send(app, method, &path, token, body).await;
            assert_eq!(status, 403, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "forbidden", "{path}: {answer}");
        }
        // The import as a body, refused before a line is read.
        let response = app
            .client
            .post(app.url(&format!(
                "/api/v1/admin/import?competition={lang_son}&reason=nhap"
            )))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(import_csv)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "forbidden");
        assert_eq!(footprint(app).await, before, "nothing changed");
        assert_eq!(app.board("all", None).await, board_before);

        // Their own competition is theirs to read and change, and the one
        // they get when they name none.
        let (status, export) =
            send(app, "GET", "/api/v1/admin/export?format=json", token, None).await;
        assert_eq!(status, 200, "{export}");
        assert!(export.to_string().contains(OTHER), "{export}");
        let (status, answer) = send(
            app,
            "POST",
            "/api/v1/reports",
            token,
            Some(correction(OTHER, "SNV")),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        let (status, answer) = send(app, "POST", "/api/v1/admin/freeze", token, None).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["frozen"], true);
        let frozen = app.state.store().competition(OTHER).await.unwrap().unwrap();
        assert!(frozen.frozen_at.is_some());
        let record = app
            .state
            .store()
            .competition(lang_son)
            .await
            .unwrap()
            .unwrap();
        assert!(record.frozen_at.is_none(), "Lạng Sơn is not frozen");

        // The deployment-wide administrator reaches both.
        for slug in [lang_son, OTHER] {
            let (status, _) = send(
                app,
                "GET",
                &format!("/api/v1/admin/export?competition={slug}&format=json"),
                &app.admin_token,
                None,
            )
            .await;
            assert_eq!(status, 200, "{slug}");
            let (status, answer) = send(
                app,
                "POST",
                "/api/v1/reports",
                &app.admin_token,
                Some(correction(slug, "STC")),
            )
            .await;
            assert!(status == 201 || status == 200, "{slug}: {answer}");
        }
        let (status, _) = send(
            app,
            "POST",
            &format!("/api/v1/admin/freeze?competition={lang_son}"),
            &app.admin_token,
            None,
        )
        .await;
        assert_eq!(status, 200);
        let _ = p.other_units.len();
    }
}

async fn login(app: &TestApp) -> (Web, String) {
    let web = Web::new(app);
    let signed_in = web.login_admin("sonv-cb", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let page = web.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    (web, csrf)
}

#[tokio::test]
async fn an_organiser_of_one_province_cannot_touch_another_on_the_admin_pages() {
    for db in [Db::Sqlite, Db::Postgres] {
        if !backends().iter().any(|b| b.0 == db) {
            continue;
        }
        let p = two_provinces(db).await;
        let app = &p.app;
        let lang_son = app.competition.slug.as_str();
        let (status, _) = app
            .post_report("SNV", &report("2025-10-06", counters(10, 8, 2, 1, 5, 5)))
            .await;
        assert_eq!(status, 201);
        let (web, csrf) = login(app).await;
        // The dashboard without a competition is theirs.
        let home = web.get("/admin").await;
        assert!(home.body.contains(OTHER), "their competition");
        assert!(!home.body.contains(&format!("competition={lang_son}")));
        assert!(
            !home.body.contains(&format!("value=\"{lang_son}\"")),
            "no choice of Lạng Sơn"
        );
        let before = footprint(app).await;

        for path in [
            "/admin",
            "/admin/audit",
            "/admin/report",
            "/admin/units",
            "/admin/import",
            "/admin/reminders",
            "/admin/integrations",
            "/admin/finalize",
            "/admin/tokens/all",
            "/admin/account",
        ] {
            let page = web
                .get(&format!(
                    "{path}?competition={lang_son}&unit=SNV&day=2025-10-06"
                ))
                .await;
            assert_eq!(page.status, 403, "{path}");
            assert!(page.content_type.starts_with("text/html"), "{path}");
            assert!(!page.body.contains("SNV"), "{path}: nothing of it shown");
        }
        let mut value_fields: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("competition", lang_son),
            ("unit", "SNV"),
            ("day", "2025-10-06"),
            ("reason", "Sửa"),
        ];
        value_fields.extend(
            COUNTER_FIELDS
                .into_iter()
                .zip(["1", "1", "0", "0", "1", "1"]),
        );
        let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("/admin/report", value_fields),
            (
                "/admin/competition/freeze",
                vec![("csrf", &csrf), ("competition", lang_son)],
            ),
            (
                "/admin/competition/finalize",
                vec![
                    ("csrf", &csrf),
                    ("competition", lang_son),
                    ("confirm", "1"),
                    ("early", "1"),
                ],
            ),
            (
                "/admin/tokens",
                vec![
                    ("csrf", &csrf),
                    ("competition", lang_son),
                    ("unit", "SNV"),
                    ("format", "page"),
                ],
            ),
            (
                "/admin/integrations",
                vec![
                    ("csrf", &csrf),
                    ("competition", lang_son),
                    ("name", "Cổng một cửa"),
                ],
            ),
            (
                "/admin/units",
                vec![
                    ("csrf", &csrf),
                    ("competition", lang_son),
                    ("code", "XYZ"),
                    ("name", "Đơn vị lạ"),
                    ("group", "so-nganh"),
                ],
            ),
            (
                "/admin/units/SNV",
                vec![
                    ("csrf", &csrf),
                    ("competition", lang_son),
                    ("name", "Bị đổi"),
                    ("group", "so-nganh"),
                    ("active", "1"),
                ],
            ),
        ];
        for (path, fields) in posts {
            let page = web.post_form(path, &fields).await;
            assert_eq!(page.status, 403, "{path}: {}", page.body);
        }
        // Another organiser's API tokens are neither shown nor revocable.
        let account = web
            .get(&format!("/admin/account?competition={OTHER}"))
            .await;
        assert_eq!(account.status, 200);
        assert!(!account.body.contains("ban-to-chuc"), "{}", account.body);
        let theirs = app
            .state
            .store()
            .organizer_tokens(Some("ban-to-chuc"))
            .await
            .unwrap();
        let revoke = format!("/admin/account/tokens/{}/revoke", theirs[0].id);
        let page = web
            .post_form(&revoke, &[("csrf", &csrf), ("competition", OTHER)])
            .await;
        assert_eq!(page.status, 404, "{}", page.body);
        let (status, _) = send(
            app,
            "GET",
            &format!("/api/v1/admin/export?competition={lang_son}&format=json"),
            &app.admin_token,
            None,
        )
        .await;
        assert_eq!(status, 200, "the administrator's token still works");
        assert_eq!(footprint(app).await, before, "nothing changed");
        // Lạng Sơn's unit still posts with its code: not renewed.
        let (status, answer) = app
            .post_report("STC", &report("2025-10-06", counters(3, 3, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 201, "{answer}");

        // Their own competition works as before.
        let own = web
            .post_form(
                "/admin/competition/freeze",
                &[("csrf", &csrf), ("competition", OTHER)],
            )
            .await;
        assert_eq!(own.status, 303, "{}", own.body);
        let frozen = app.state.store().competition(OTHER).await.unwrap().unwrap();
        assert!(frozen.frozen_at.is_some());
        let audit = web.get(&format!("/admin/audit?competition={OTHER}")).await;
        assert_eq!(audit.status, 200);
        // Another organiser's sign-in is no line of theirs.
        let admin = Web::new(app);
        app.add_organizer("quan-tri", "mat-khau-quan-tri-1").await;
        assert_eq!(
            admin
                .login_admin("quan-tri", "mat-khau-quan-tri-1")
                .await
                .status,
            303
        );
        let audit = web
            .get(&format!("/admin/audit?competition={OTHER}&logins=1"))
            .await;
        assert!(!audit.body.contains("quan-tri"), "{}", audit.body);
        let audit = admin
            .get(&format!("/admin/audit?competition={lang_son}&logins=1"))
            .await;
        assert_eq!(audit.status, 200);
        assert!(audit.body.contains("sonv-cb"), "the administrator sees all");
        // The administrator's pages reach Lạng Sơn, and offer both.
        let page = admin.get(&format!("/admin?competition={lang_son}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains(&format!("<option value=\"{OTHER}\">Cao Bằng: Tuần lễ"))
        );
        assert!(
            page.body
                .contains(&format!("<option value=\"{lang_son}\" selected>")),
            "{}",
            page.body
        );
        let _ = (p.own_id, p.other_id);
    }
}

#[tokio::test]
async fn an_organiser_granted_nothing_reaches_nothing() {
    let p = two_provinces(Db::Sqlite).await;
    let app = &p.app;
    let store = app.state.store();
    assert_eq!(
        store
            .withdraw_organizer("sonv-cb", thidua::store::Grant::Competition(p.other_id))
            .await
            .unwrap(),
        Some(true)
    );
    let (status, answer) = send(
        app,
        "GET",
        "/api/v1/admin/export?format=json",
        &p.scoped_token,
        None,
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    let web = Web::new(app);
    assert_eq!(web.login_admin("sonv-cb", PASSWORD).await.status, 303);
    assert_eq!(web.get("/admin").await.status, 403);
    // Granted the deployment, they reach both.
    store
        .grant_organizer(
            "sonv-cb",
            thidua::store::Grant::Deployment,
            "tests",
            app.clock.now(),
        )
        .await
        .unwrap();
    assert_eq!(web.get("/admin").await.status, 200);
    for slug in [app.competition.slug.as_str(), OTHER] {
        assert_eq!(
            web.get(&format!("/admin/audit?competition={slug}"))
                .await
                .status,
            200
        );
    }
    // A token of a removed organiser opens nothing.
    assert_eq!(
        store.organizer_scope("nobody").await.unwrap(),
        thidua::scope::Scope::none()
    );
}

fn thidua(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(args)
        .env("THIDUA_DATABASE_URL", db)
        .env_remove("THIDUA_REDIS_URL")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_command_line_grants_and_withdraws_competitions() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let root = env!("CARGO_MANIFEST_DIR");
    let lang_son = format!("{root}/data/lang-son-2025.toml");
    let units = format!("{root}/data/lang-son-units.csv");
    let other = dir.path().join("cao-bang.toml");
    std::fs::write(&other, LANG_SON.replace("lang-son-2025", OTHER)).unwrap();
    let other = other.display().to_string();
    let o = thidua(
        &db,
        &["init", "--competition", &lang_son, "--units", &units],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = thidua(
        &db,
        &["init", "--competition", &other, "--units", &units],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));

    // Scoped from the start.
    let o = thidua(
        &db,
        &[
            "admin",
            "add-user",
            "sonv-cb",
            "--password-stdin",
            "--competition",
            OTHER,
        ],
        Some("mat-khau-cao-bang\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains(&format!("scoped to {OTHER}")),
        "{}",
        out(&o)
    );
    // Without a competition: deployment-wide, as before.
    let o = thidua(
        &db,
        &["admin", "add-user", "quan-tri", "--password-stdin"],
        Some("mat-khau-quan-tri\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("deployment-wide"), "{}", out(&o));
    // A password reset keeps the scope.
    let o = thidua(
        &db,
        &["admin", "add-user", "sonv-cb", "--password-stdin"],
        Some("mat-khau-moi-cao-bang\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(!out(&o).contains("deployment-wide"), "{}", out(&o));

    let list = || {
        let o = thidua(&db, &["admin", "list"], None);
        assert!(o.status.success(), "{}", out(&o));
        out(&o)
    };
    let line = |listing: &str, name: &str| {
        listing
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} in {listing}"))
            .to_string()
    };
    let listing = list();
    assert!(line(&listing, "sonv-cb").ends_with(OTHER), "{listing}");
    assert!(
        line(&listing, "quan-tri").ends_with("deployment-wide"),
        "{listing}"
    );

    let o = thidua(
        &db,
        &[
            "admin",
            "grant",
            "sonv-cb",
            "--competition",
            "lang-son-2025",
        ],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let scope = line(&list(), "sonv-cb");
    assert!(
        scope.ends_with(&format!("{OTHER}, lang-son-2025")),
        "{scope}"
    );
    let o = thidua(
        &db,
        &["admin", "withdraw", "sonv-cb", "--competition", OTHER],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(line(&list(), "sonv-cb").ends_with("\tlang-son-2025"));
    let o = thidua(
        &db,
        &["admin", "withdraw", "quan-tri", "--deployment"],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(line(&list(), "quan-tri").ends_with("no competition"));

    // Mistakes fail in one line, changing nothing.
    for args in [
        vec!["admin", "grant", "sonv-cb", "--competition", "khong-co"],
        vec!["admin", "grant", "nobody", "--competition", OTHER],
        vec!["admin", "grant", "sonv-cb"],
    ] {
        let o = thidua(&db, &args, None);
        assert!(!o.status.success(), "{args:?}");
    }
    assert!(line(&list(), "sonv-cb").ends_with("\tlang-son-2025"));

    // Every grant and withdrawal is in the audit log.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let actions: Vec<String> = rt.block_on(async {
        let store = thidua::store::Store::open(&db).await.unwrap();
        sqlx::query(
            "SELECT action FROM audit_log WHERE action LIKE 'organizer.%' AND action NOT IN ('organizer.add', 'organizer.password') ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("action"))
        .collect()
    });
    assert_eq!(
        actions,
        [
            "organizer.grant",
            "organizer.grant",
            "organizer.withdraw",
            "organizer.withdraw"
        ]
    );
}
