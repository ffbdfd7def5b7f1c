//! The organiser's workspace (`/admin`) and admin API: access control,
//! corrections with a reason and their audit, the status matrix, token
//! rotation, units, freeze / finalize / re-open, and final standings that
//! never move.

mod support;

use serde_json::{Value, json};
use support::web::{COUNTER_FIELDS, Web, hidden};
use support::{TestApp, backends, counters, report, spawn_app, spawn_app_with_config};

const ADMIN: &str = "nguyen.van.a";
const PASSWORD: &str = "mật khẩu đủ dài 2025";

async fn with_organizer(app: &TestApp) -> Web {
    app.add_organizer(ADMIN, PASSWORD).await;
    let web = Web::new(app);
    let login = web.login_admin(ADMIN, PASSWORD).await;
    assert_eq!(login.status, 303, "{}", login.body);
    assert_eq!(login.location.as_deref(), Some("/admin"));
    web
}

async fn post_api(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.post(app.url(path));
    if let Some(t) = bearer {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts the form that adds a unit.
async fn add_unit(
    web: &Web,
    csrf: &str,
    code: &str,
    name: &str,
    group: &str,
) -> support::web::Page {
    web.post_form(
        "/admin/units",
        &[
            ("csrf", csrf),
            ("code", code),
            ("name", name),
            ("group", group),
        ],
    )
    .await
}

/// Posts the correction form as the signed-in organiser.
async fn correct(
    web: &Web,
    csrf: &str,
    unit: &str,
    day: &str,
    values: [&str; 6],
    reason: &str,
) -> support::web::Page {
    web.post_form(
        "/admin/report",
        &correction(csrf, unit, day, values, reason),
    )
    .await
}

fn correction<'a>(
    csrf: &'a str,
    unit: &'a str,
    day: &'a str,
    values: [&'a str; 6],
    reason: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("unit", unit),
        ("day", day),
        ("reason", reason),
    ];
    fields.extend(COUNTER_FIELDS.into_iter().zip(values));
    fields
}

#[tokio::test]
async fn admin_pages_and_endpoints_refuse_anonymous_and_unit_credentials() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let anonymous = Web::new(&app);
        for path in ["/admin", "/admin/audit", "/admin/units", "/admin/report"] {
            let page = anonymous.get(path).await;
            assert_eq!(page.status, 303, "{path}");
            assert_eq!(page.location.as_deref(), Some("/admin/login"), "{path}");
        }
        for path in [
            "/admin/competition/finalize",
            "/admin/tokens",
            "/admin/report",
        ] {
            let page = anonymous.post_form(path, &[("confirm", "1")]).await;
            assert_eq!(page.status, 303, "{path}");
        }
        for path in ["/api/v1/admin/finalize", "/api/v1/admin/freeze"] {
            assert_eq!(post_api(&app, path, None, None).await.0, 401, "{path}");
            let (status, body) = post_api(&app, path, Some(app.token("SNV")), None).await;
            assert_eq!(status, 403, "{path} {body}");
            assert_eq!(body["error"]["code"], "forbidden");
        }
        let (status, _) = post_api(
            &app,
            "/api/v1/admin/reopen",
            Some(app.token("SNV")),
            Some(json!({"reason": "x"})),
        )
        .await;
        assert_eq!(status, 403);

        // A unit's bearer token on the pages: 403.
        let response = app
            .client
            .get(app.url("/admin"))
            .bearer_auth(app.token("SNV"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);

        // A unit's web session: 403 on pages and on the admin API.
        let unit = Web::new(&app);
        assert_eq!(unit.login_unit("SNV", app.token("SNV")).await.status, 303);
        assert_eq!(unit.get("/admin").await.status, 403);
        let page = unit
            .post_form("/admin/competition/finalize", &[("confirm", "1")])
            .await;
        assert_eq!(page.status, 403);
        let cookie = format!("thidua_unit={}", unit.cookie("thidua_unit").unwrap());
        let response = app
            .client
            .post(app.url("/api/v1/admin/finalize"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);

        // A unit's access code is not an organiser password.
        let web = Web::new(&app);
        assert_eq!(web.login_admin("SNV", app.token("SNV")).await.status, 401);

        let selected = app.state.catalog().competition(None).unwrap();
        assert!(!selected.record.is_final());
        assert!(selected.record.frozen_at.is_none());
    }
}

#[tokio::test]
async fn an_organiser_corrects_a_day_with_a_reason_and_it_is_audited() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(10, 5, 4, 2, 8, 4)))
            .await;
        assert_eq!(status, 201);
        let web = with_organizer(&app).await;

        let dashboard = web.get("/admin").await;
        assert_eq!(dashboard.status, 200);
        assert!(dashboard.body.contains("id=\"status-matrix\""));
        assert!(dashboard.body.contains("Sở Tài chính"));
        assert!(dashboard.body.contains("Đúng hạn"));
        assert!(dashboard.body.contains("Chưa nộp"));
        assert!(dashboard.body.contains("<span class=\"code\">STC</span>"));
        let filtered = web.get("/admin?group=xa-phuong").await;
        assert_eq!(filtered.status, 200);
        assert!(!filtered.body.contains("<span class=\"code\">STC</span>"));

        let form = web.get("/admin/report?unit=STC&day=2025-10-06").await;
        assert_eq!(form.status, 200);
        assert!(
            form.body
                .contains("name=\"counters.received_online\" value=\"5\"")
        );
        let csrf = form.csrf();
        let before = app.revision_count().await;

        // Without a reason, nothing is written.
        let page = correct(
            &web,
            &csrf,
            "STC",
            "2025-10-06",
            ["10", "9", "4", "4", "8", "8"],
            " ",
        )
        .await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("Cần ghi lý do"));
        // Without the CSRF token, nothing is written.
        let page = correct(
            &web,
            "",
            "STC",
            "2025-10-06",
            ["10", "9", "4", "4", "8", "8"],
            "lý do",
        )
        .await;
        assert_eq!(page.status, 403);
        // Invalid figures are named by field.
        let page = correct(
            &web,
            &csrf,
            "STC",
            "2025-10-06",
            ["10", "11", "4", "4", "8", "8"],
            "sửa",
        )
        .await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("không được lớn hơn"));
        assert_eq!(app.revision_count().await, before);

        // After the deadline the organiser may still correct (late, with reason).
        app.clock.advance(chrono::Duration::days(2));
        // (A new working day: sign in again.)
        let web = with_organizer(&app).await;
        let csrf = web
            .get("/admin/report?unit=STC&day=2025-10-06")
            .await
            .csrf();
        let reason = "Đơn vị gửi công văn <b>đính chính</b> số 12/CV";
        let page = correct(
            &web,
            &csrf,
            "STC",
            "2025-10-06",
            ["10", "9", "4", "4", "8", "8"],
            reason,
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Đã lưu"), "{}", page.body);
        assert_eq!(app.revision_count().await, before + 1);

        // The public board has the corrected figures.
        let board = app.board("all", None).await;
        let entry = support::entry(&board, "STC");
        assert_eq!(entry["criteria"]["online_submission"]["numerator"], 9);

        // The audit log says who, what, why — escaped, and searchable.
        let audit = web.get("/admin/audit?q=c%C3%B4ng+v%C4%83n").await;
        assert_eq!(audit.status, 200);
        assert!(audit.body.contains(ADMIN));
        assert!(audit.body.contains("Nhập/sửa số liệu thay đơn vị"));
        assert!(
            audit.body.contains("&#60;b&#62;đính chính&#60;/b&#62;"),
            "{}",
            audit.body
        );
        assert!(!audit.body.contains("<b>đính chính"));
        let none = web.get("/admin/audit?q=kh%C3%B4ng-c%C3%B3-g%C3%AC").await;
        assert!(!none.body.contains("đính chính"));

        // The matrix marks the day corrected; the unit sees it in its history.
        let dashboard = web.get("/admin").await;
        assert!(dashboard.body.contains("st st-corrected"));
        assert!(
            dashboard.body.contains("Thiếu"),
            "day 2 has passed its deadline"
        );
        let revisions = app
            .state
            .store()
            .corrections(app.state.catalog().competition(None).unwrap().record.id)
            .await
            .unwrap();
        assert_eq!(revisions.len(), 1);
        assert_eq!(revisions[0].writer.reason.as_deref(), Some(reason));
        assert_eq!(revisions[0].writer.actor, ADMIN);
    }
}

#[tokio::test]
async fn after_finalize_the_standings_never_change() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        for (code, online) in [("SNV", 9), ("STC", 7), ("SXD", 10)] {
            let (status, _) = app
                .post_report(
                    code,
                    &report("2025-10-06", counters(10, online, 2, 2, 5, 5)),
                )
                .await;
            assert_eq!(status, 201);
        }
        let (status, body) =
            post_api(&app, "/api/v1/admin/finalize", Some(&app.admin_token), None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["finalized"], true);
        assert_eq!(body["status"], "final");
        let (status, body) =
            post_api(&app, "/api/v1/admin/finalize", Some(&app.admin_token), None).await;
        assert_eq!(status, 200);
        assert_eq!(body["finalized"], false, "finalizing twice is a no-op");

        let fetch = || async {
            let r = app.get("/api/v1/leaderboard?board=all").await;
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap()
        };
        let frozen = fetch().await;
        let parsed: Value = serde_json::from_slice(&frozen).unwrap();
        assert_eq!(parsed["competition"]["status"], "final");
        assert_eq!(parsed["entries"][0]["unit"]["code"], "SXD");

        // Every way of changing figures is refused with 409 competition_final.
        let (status, body) = app
            .post_report("STC", &report("2025-10-06", counters(10, 10, 2, 2, 5, 5)))
            .await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["code"], "competition_final");
        let mut by_admin = report("2025-10-06", counters(10, 10, 2, 2, 5, 5));
        by_admin["unit"] = json!("STC");
        by_admin["reason"] = json!("đính chính");
        let (status, body) = app.post_as_admin(&by_admin).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "competition_final");
        let web = with_organizer(&app).await;
        let csrf = web
            .get("/admin/report?unit=STC&day=2025-10-06")
            .await
            .csrf();
        let page = correct(
            &web,
            &csrf,
            "STC",
            "2025-10-06",
            ["10", "10", "2", "2", "5", "5"],
            "sửa",
        )
        .await;
        assert_eq!(page.status, 409);
        assert!(page.body.contains("kết quả chính thức"));
        let unit = Web::new(&app);
        assert_eq!(unit.login_unit("SNV", app.token("SNV")).await.status, 303);
        let csrf = unit.get("/report").await.csrf();
        let page = unit
            .post_form(
                "/report",
                &[
                    ("csrf", csrf.as_str()),
                    ("day", "2025-10-06"),
                    ("counters.received", "10"),
                    ("counters.received_online", "10"),
                    ("counters.fee_required", "2"),
                    ("counters.paid_online", "2"),
                    ("counters.results_issued", "5"),
                    ("counters.results_signed", "5"),
                ],
            )
            .await;
        assert_eq!(page.status, 409);

        // Later days and a moving clock do not move the final board.
        app.clock.advance(chrono::Duration::days(1));
        assert_eq!(
            fetch().await,
            frozen,
            "final standings are byte-for-byte unchanged"
        );
        let html = app.get("/").await;
        assert_eq!(html.status(), 200);

        // Re-opening needs a reason, and is audited.
        let (status, body) = post_api(
            &app,
            "/api/v1/admin/reopen",
            Some(&app.admin_token),
            Some(json!({"reason": "  "})),
        )
        .await;
        assert_eq!(status, 422);
        assert!(body["error"]["fields"]["reason"].is_string());
        let (status, body) = post_api(
            &app,
            "/api/v1/admin/reopen",
            Some(&app.admin_token),
            Some(json!({"reason": "Khiếu nại của xã được chấp nhận"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["reopened"], true);
        // (The organiser's session of the morning has expired by now.)
        let web = with_organizer(&app).await;
        let audit = web.get("/admin/audit").await;
        assert!(audit.body.contains("Khiếu nại của xã được chấp nhận"));
        assert!(audit.body.contains("Công bố kết quả chính thức"));
    }
}

#[tokio::test]
async fn freeze_and_finalize_from_the_dashboard() {
    let app = spawn_app(backends()[0]).await;
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(10, 5, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let web = with_organizer(&app).await;
    let csrf = web.get("/admin").await.csrf();
    let done = web
        .post_form("/admin/competition/freeze", &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, 303);
    assert!(done.location.unwrap().contains("done=freeze"));
    let public = app.board("all", None).await;
    assert_eq!(public["competition"]["status"], "frozen");
    // Reports keep flowing; the public board stays, the organiser sees live.
    app.clock.advance(chrono::Duration::minutes(5));
    let (status, _) = app
        .post_report("STC", &report("2025-10-06", counters(10, 10, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let public = app.board("all", None).await;
    let listed = |b: &Value, code: &str| {
        b["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["unit"]["code"] == code)
    };
    assert!(!listed(&public, "STC"), "public board frozen");
    let dashboard = web.get("/admin").await;
    assert!(
        dashboard.body.contains("Sở Tài chính</li>")
            || dashboard.body.contains("Sở Tài chính <span")
    );

    // Finalizing on day 1 of 5 goes through a page that says how many
    // units it fixes and that the week is not over.
    assert!(dashboard.body.contains("href=\"/admin/finalize?"));
    let confirm = web.get("/admin/finalize").await;
    assert_eq!(confirm.status, 200);
    let units = app.tokens.len();
    assert!(
        confirm
            .body
            .contains(&format!("{units} đơn vị trên 3 bảng xếp hạng")),
        "{}",
        confirm.body
    );
    assert!(
        confirm
            .body
            .contains("Tuần thi đua chưa kết thúc: hôm nay là ngày 1/5")
    );
    assert!(confirm.body.contains("name=\"early\""));
    let not_final = || {
        !app.state
            .catalog()
            .competition(None)
            .unwrap()
            .record
            .is_final()
    };
    // Without the boxes, or with only the first one, nothing happens.
    for fields in [
        vec![("csrf", csrf.as_str())],
        vec![("csrf", &csrf), ("confirm", "1")],
    ] {
        let not_yet = web.post_form("/admin/competition/finalize", &fields).await;
        assert_eq!(not_yet.status, 303);
        let back = not_yet.location.unwrap();
        assert!(
            back.starts_with("/admin/finalize?") && back.contains("done=confirm"),
            "{back}"
        );
        assert!(not_final());
    }
    let asked_again = web.get("/admin/finalize?done=confirm").await;
    assert!(asked_again.body.contains("Cần đánh dấu các ô xác nhận"));
    let done = web
        .post_form(
            "/admin/competition/finalize",
            &[("csrf", &csrf), ("confirm", "1"), ("early", "1")],
        )
        .await;
    assert!(done.location.unwrap().contains("done=finalize"));
    assert!(
        app.state
            .catalog()
            .competition(None)
            .unwrap()
            .record
            .is_final()
    );

    // The session also works on the admin API, with the CSRF header.
    let cookie = format!("thidua_admin={}", web.cookie("thidua_admin").unwrap());
    let without = app
        .client
        .post(app.url("/api/v1/admin/finalize"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let with = app
        .client
        .post(app.url("/api/v1/admin/finalize"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
    let body: Value = with.json().await.unwrap();
    assert_eq!(body["finalized"], false);
}

#[tokio::test]
async fn rotating_a_token_retires_the_old_one() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let web = with_organizer(&app).await;
        let old = app.token("STC").to_string();
        let unit = Web::new(&app);
        assert_eq!(unit.login_unit("STC", &old).await.status, 303);

        let csrf = web.get("/admin").await.csrf();
        let page = web
            .post_form(
                "/admin/tokens",
                &[("csrf", &csrf), ("unit", "STC"), ("format", "page")],
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("chỉ hiển thị một lần"));
        let start = page.body.find("<code>").unwrap() + 6;
        let end = start + page.body[start..].find("</code>").unwrap();
        let new = page.body[start..end].to_string();
        // A code a person can type: seven groups of four, base32.
        assert_eq!(new.len(), 34, "{new}");
        assert_eq!(new.split('-').count(), 7, "{new}");
        assert!(page.body.contains("data:text/csv"));

        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 401, "the old token no longer works");
        let fresh = app
            .client
            .post(app.url("/api/v1/reports"))
            .bearer_auth(&new)
            .json(&report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), 201);
        // The unit's open web session ended with its old code.
        assert!(
            !unit
                .get("/report")
                .await
                .body
                .contains("name=\"counters.received\"")
        );

        // The printed code works typed in lowercase with spaces, with the
        // unit code in lowercase too.
        let typed = new.to_lowercase().replace('-', " ");
        let again = Web::new(&app);
        assert_eq!(again.login_unit("stc", &typed).await.status, 303);
        assert!(
            again
                .get("/report")
                .await
                .body
                .contains("name=\"counters.received\"")
        );

        // Renewal without a unit renews nothing: there is no "all" default.
        let count = app.tokens.len();
        let none = web
            .post_form(
                "/admin/tokens",
                &[("csrf", &csrf), ("unit", ""), ("format", "csv")],
            )
            .await;
        assert_eq!(none.status, 303);
        assert!(none.location.unwrap().contains("done=choose-unit"));
        assert_eq!(again.get("/report").await.status, 200);
        assert!(
            again
                .get("/report")
                .await
                .body
                .contains("name=\"counters.received\""),
            "STC's session survives"
        );

        // Every unit at once only after a page that says how many.
        let confirm = web.get("/admin/tokens/all").await;
        assert_eq!(confirm.status, 200);
        assert!(
            confirm
                .body
                .contains(&format!("{count} đơn vị đang hoạt động sẽ nhận mã mới")),
            "{}",
            confirm.body
        );
        assert!(
            confirm
                .body
                .contains(&format!("name=\"confirm\" value=\"{count}\""))
        );
        for confirmed in [None, Some("3")] {
            let mut fields = vec![("csrf", csrf.as_str()), ("scope", "all"), ("format", "csv")];
            if let Some(c) = confirmed {
                fields.push(("confirm", c));
            }
            let refused = web.post_form("/admin/tokens", &fields).await;
            assert_eq!(refused.status, 303, "{confirmed:?}");
            assert!(refused.location.unwrap().starts_with("/admin/tokens/all?"));
        }
        let (status, _) = app
            .post_report("SNV", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 201, "nothing was renewed without confirmation");
        let count_text = count.to_string();
        let csv = web
            .post_form(
                "/admin/tokens",
                &[
                    ("csrf", &csrf),
                    ("scope", "all"),
                    ("confirm", &count_text),
                    ("format", "csv"),
                ],
            )
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type.starts_with("text/csv"));
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "code,token");
        assert_eq!(lines.len() - 1, app.tokens.len());
        let snv = lines.iter().find(|l| l.starts_with("SNV,")).unwrap();
        let snv_token = snv.split(',').nth(1).unwrap();
        let ok = app
            .client
            .post(app.url("/api/v1/reports"))
            .bearer_auth(snv_token)
            .json(&report("2025-10-06", counters(1, 2, 0, 0, 1, 1)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            ok.status(),
            422,
            "the new code is accepted (the figures are not)"
        );
        let audit = web.get("/admin/audit?action=units.tokens").await;
        assert!(audit.body.contains("Cấp lại mã truy cập"));
        assert!(
            audit
                .body
                .contains(&format!("{count} đơn vị nhận mã truy cập mới"))
        );
        assert!(audit.body.contains("1 đơn vị nhận mã truy cập mới"));
    }
}

#[tokio::test]
async fn units_are_added_renamed_and_deactivated_never_deleted() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 201);
        let web = with_organizer(&app).await;
        let page = web.get("/admin/units").await;
        assert_eq!(page.status, 200);
        let csrf = page.csrf();

        let added = add_unit(
            &web,
            &csrf,
            "BQL-KKT",
            "Ban Quản lý Khu kinh tế <Đồng Đăng>",
            "so-nganh",
        )
        .await;
        assert_eq!(added.status, 303, "{}", added.body);
        let list = web.get("/admin/units").await;
        assert!(
            list.body
                .contains("Ban Quản lý Khu kinh tế &#60;Đồng Đăng&#62;")
        );
        assert!(!list.body.contains("<Đồng Đăng>"));
        let selected = app.state.catalog().competition(None).unwrap();
        assert!(selected.unit("BQL-KKT").is_some());

        let duplicate = add_unit(&web, &csrf, "STC", "X", "so-nganh").await;
        assert_eq!(duplicate.status, 422);
        let bad_group = add_unit(&web, &csrf, "NEW1", "X", "không-có").await;
        assert_eq!(bad_group.status, 422);

        // Rename and deactivate a unit that has reports: it stays, inactive.
        let updated = web
            .post_form(
                "/admin/units/STC",
                &[
                    ("csrf", &csrf),
                    ("name", "Sở Tài chính tỉnh"),
                    ("group", "so-nganh"),
                ],
            )
            .await;
        assert_eq!(updated.status, 303);
        let selected = app.state.catalog().competition(None).unwrap();
        let stc = selected.unit("STC").unwrap();
        assert_eq!(stc.name, "Sở Tài chính tỉnh");
        assert!(!stc.active);
        assert_eq!(app.revision_count().await, 1);
        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(2, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 401, "an inactive unit cannot post");
        let form = Web::new(&app);
        assert_eq!(form.login_unit("STC", app.token("STC")).await.status, 401);

        // Without CSRF nothing changes.
        let refused = web
            .post_form(
                "/admin/units/SNV",
                &[("name", "Bị đổi"), ("group", "so-nganh"), ("active", "1")],
            )
            .await;
        assert_eq!(refused.status, 403);
        assert_eq!(
            app.state
                .catalog()
                .competition(None)
                .unwrap()
                .unit("SNV")
                .unwrap()
                .name,
            "Sở Nội vụ"
        );
        let audit = web.get("/admin/audit").await;
        assert!(audit.body.contains("Thêm đơn vị"));
        assert!(audit.body.contains("Sửa thông tin đơn vị"));
    }
}

#[tokio::test]
async fn a_unit_moved_to_another_group_leaves_the_old_groups_board() {
    fn listed(board: &Value, code: &str) -> bool {
        board["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["unit"]["code"] == code)
    }
    let day = support::day("2025-10-06");
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(2, 2, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 201);
        // The answer's rank in the group comes from the ranking's own board
        // of the group: STC, ahead, is counted there.
        let (status, snv) = app
            .post_report("SNV", &report("2025-10-06", counters(2, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 201);
        assert_eq!(snv["standing"]["board"], "so-nganh", "{snv}");
        assert_eq!(snv["standing"]["rank"], 2, "{backend:?}: {snv}");
        assert!(listed(&app.board("so-nganh", None).await, "STC"));
        assert!(listed(&app.board("so-nganh", Some(day)).await, "STC"));

        let web = with_organizer(&app).await;
        let csrf = web.get("/admin/units").await.csrf();
        let moved = web
            .post_form(
                "/admin/units/STC",
                &[
                    ("csrf", &csrf),
                    ("name", "Sở Tài chính"),
                    ("group", "xa-phuong"),
                    ("active", "1"),
                ],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.body);
        // A correction of the same day rewrites the unit's entries with
        // its new group.
        let (status, _) = app
            .post_report("STC", &report("2025-10-06", counters(4, 4, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 200);
        // STC left the group's board in the ranking too: SNV leads it now.
        let (status, snv) = app
            .post_report("SNV", &report("2025-10-06", counters(4, 1, 0, 0, 1, 1)))
            .await;
        assert_eq!(status, 200);
        assert_eq!(snv["standing"]["board"], "so-nganh", "{snv}");
        assert_eq!(snv["standing"]["rank"], 1, "{backend:?}: {snv}");
        for period in [None, Some(day)] {
            let old = app.board("so-nganh", period).await;
            let new = app.board("xa-phuong", period).await;
            assert!(
                !listed(&old, "STC"),
                "{backend:?} {period:?}: still on its old group's board"
            );
            assert!(
                listed(&new, "STC"),
                "{backend:?} {period:?}: not on its new group's board"
            );
            assert!(listed(&app.board("all", period).await, "STC"));
        }
    }
}

#[tokio::test]
async fn organiser_logins_are_rate_limited_and_sessions_end() {
    // A small limit: argon2 in a debug build is slow enough to refill a large one.
    let app = spawn_app_with_config(backends()[0], |c| c.login_per_minute = 3).await;
    let web = with_organizer(&app).await;
    let csrf = hidden(&web.get("/admin").await.body, "csrf").unwrap();
    let out = web.post_form("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(web.get("/admin").await.status, 303);

    let attacker = Web::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(attacker.login_admin(ADMIN, "sai mật khẩu").await.status);
    }
    assert_eq!(statuses, [401, 401, 429]);
    let page = attacker.login_admin(ADMIN, PASSWORD).await;
    assert_eq!(page.status, 429, "even the right password waits");
    let secs: u64 = page.retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&secs));
    assert!(attacker.cookie("thidua_admin").is_none());
}

#[tokio::test]
async fn organiser_sessions_expire_after_a_working_day() {
    let app = spawn_app(backends()[0]).await;
    let web = with_organizer(&app).await;
    assert_eq!(web.get("/admin").await.status, 200);
    app.clock.advance(chrono::Duration::hours(7));
    assert_eq!(web.get("/admin").await.status, 200);
    app.clock.advance(chrono::Duration::hours(2));
    let expired = web.get("/admin").await;
    assert_eq!(expired.status, 303);
    assert_eq!(expired.location.as_deref(), Some("/admin/login"));
}

#[tokio::test]
async fn the_export_links_of_the_admin_page_work_with_the_session() {
    let app = spawn_app(backends()[0]).await;
    let anonymous = Web::new(&app);
    assert_eq!(
        anonymous
            .get("/api/v1/admin/export?format=json")
            .await
            .status,
        401
    );
    let unit = Web::new(&app);
    assert_eq!(unit.login_unit("SNV", app.token("SNV")).await.status, 303);
    assert_eq!(
        unit.get("/api/v1/admin/export?format=json").await.status,
        403
    );
    let web = with_organizer(&app).await;
    let dashboard = web.get("/admin").await;
    assert!(dashboard.body.contains("/api/v1/admin/export?competition="));
    let export = web.get("/api/v1/admin/export?format=json").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.content_type.starts_with("application/json"));
    let print = web.get("/admin/print").await;
    assert_eq!(print.status, 200);
}

#[tokio::test]
async fn access_letters_print_one_page_per_unit_with_a_qr_code() {
    let app = spawn_app(backends()[0]).await;
    let web = with_organizer(&app).await;
    let csrf = web.get("/admin").await.csrf();
    let letters = web
        .post_form(
            "/admin/tokens",
            &[("csrf", &csrf), ("unit", "06040"), ("format", "letters")],
        )
        .await;
    assert_eq!(letters.status, 200);
    let html = &letters.body;
    assert!(html.contains("@page { size: A4"));
    assert_eq!(html.matches("<article class=\"letter\">").count(), 1);
    assert!(html.contains("Xã Thất Khê"));
    assert!(html.contains("Sở Nội vụ tỉnh Lạng Sơn"));
    assert!(html.contains("<svg"), "an inline QR code");
    // The QR code and the instructions open the form with the unit filled
    // in; the access code is never in a link.
    let address = format!("{}/report", app.base);
    assert!(html.contains(&address), "{html}");
    let start = html.find("<p class=\"access\">").unwrap() + "<p class=\"access\">".len();
    let code = &html[start..start + 34];
    assert_eq!(code.split('-').count(), 7, "{code}");
    assert!(!html.contains(&format!("token={code}")));
    let form = web
        .get("/report?unit=06040&competition=lang-son-2025")
        .await;
    assert!(form.body.contains("name=\"code\" value=\"06040\""));
    // The letter's code is the unit's new code.
    let unit = Web::new(&app);
    assert_eq!(unit.login_unit("06040", code).await.status, 303);
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences_and_filters_by_unit() {
    let app = spawn_app(backends()[0]).await;
    let web = with_organizer(&app).await;
    let csrf = web.get("/admin").await.csrf();
    for (unit, reason) in [("SNV", "Số liệu giấy"), ("STC", "Đơn vị gửi nhầm")] {
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("unit", unit),
            ("day", "2025-10-06"),
            ("reason", reason),
        ];
        for f in COUNTER_FIELDS {
            fields.push((f, "3"));
        }
        let saved = web.post_form("/admin/report", &fields).await;
        assert_eq!(saved.status, 200, "{}", saved.body);
    }
    let everything = web.get("/admin/audit").await;
    assert!(
        everything.body.contains("Sở Nội vụ (SNV)"),
        "units named, not just coded"
    );
    assert!(
        everything
            .body
            .contains("Số liệu ngày 06/10/2025, lần cập nhật 1")
    );
    assert!(!everything.body.contains("{&#34;"), "no raw JSON");
    assert!(
        !everything.body.contains("Đăng nhập quản trị</td>"),
        "sign-ins are left out by default"
    );
    let snv = web.get("/admin/audit?unit=SNV").await;
    assert!(snv.body.contains("Số liệu giấy"));
    assert!(!snv.body.contains("Đơn vị gửi nhầm"));
    let logins = web.get("/admin/audit?logins=1").await;
    assert!(logins.body.contains("Đăng nhập quản trị"));
    let same_day = web.get("/admin/audit?day=06%2F10%2F2025").await;
    assert!(
        same_day.body.contains("Số liệu giấy"),
        "days as people write them"
    );
    assert!(same_day.body.contains("value=\"06/10/2025\""));
    let other_day = web.get("/admin/audit?day=2025-10-07").await;
    assert!(!other_day.body.contains("Số liệu giấy"));
    let by_actor = web
        .get(&format!("/admin/audit?actor={ADMIN}&action=report.correct"))
        .await;
    assert!(by_actor.body.contains("Đơn vị gửi nhầm"));
    assert!(
        by_actor.body.contains("Trang 1/1 · 2 mục"),
        "{}",
        by_actor.body
    );
    let english = web.get("/admin/audit?unit=SNV&lang=en").await;
    assert!(english.body.contains("Figures entered for a unit"));
    assert!(english.body.contains("Figures for 6 Oct 2025, revision 1"));
    // The language switch stays on the page, with its filter.
    assert!(
        english
            .body
            .contains("href=\"/admin/audit?unit=SNV&#38;lang=vi\"")
            || english
                .body
                .contains("href=\"/admin/audit?unit=SNV&amp;lang=vi\""),
        "{}",
        english.body
    );
}

#[tokio::test]
async fn the_reminder_list_is_on_the_admin_page() {
    let app = spawn_app(backends()[0]).await;
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
        .await;
    assert_eq!(status, 201);
    // 16:00 on the first day: the reminder runs without a webhook.
    app.clock.advance(chrono::Duration::hours(6));
    let selected = app.state.catalog().competition(None).unwrap();
    let missing = thidua::jobs::remind(&app.state, &selected, support::day("2025-10-06"))
        .await
        .unwrap();
    assert_eq!(missing.len(), app.tokens.len() - 1);
    let (status, _) = app
        .post_report("STC", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
        .await;
    assert_eq!(status, 201);
    let web = with_organizer(&app).await;
    let page = web.get("/admin/reminders").await;
    assert_eq!(page.status, 200);
    let count = app.tokens.len() - 1;
    assert!(
        page.body.contains(&format!("{count} đơn vị chưa báo cáo")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Chưa cấu hình webhook"));
    assert!(page.body.contains("Xã Thất Khê"));
    assert!(
        page.body.contains("đã báo cáo sau khi nhắc"),
        "STC reported since"
    );
}
