//! The unit form (`/report`): login with unit code and access code, a day's
//! figures with field-level Vietnamese messages, the unit's standing after a
//! save, CSRF, session expiry, and the rate limits on logins and ingest.

mod support;

use serde_json::json;
use support::web::{COUNTER_FIELDS, Web, hidden};
use support::{backends, counters, report, spawn_app, spawn_app_with_config};

const UNIT: &str = "SNV";

fn figures<'a>(csrf: &'a str, day: &'a str, values: [&'a str; 6]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("csrf", csrf), ("day", day)];
    fields.extend(COUNTER_FIELDS.into_iter().zip(values));
    fields
}

/// A unit code that exists in the test data.
fn some_unit(app: &support::TestApp) -> String {
    if app.tokens.contains_key(UNIT) {
        return UNIT.to_string();
    }
    let mut codes: Vec<_> = app.tokens.keys().cloned().collect();
    codes.sort();
    codes[0].clone()
}

fn other_unit(app: &support::TestApp, not: &str) -> String {
    let mut codes: Vec<_> = app.tokens.keys().filter(|c| *c != not).cloned().collect();
    codes.sort();
    codes[0].clone()
}

#[tokio::test]
async fn a_unit_signs_in_posts_figures_and_sees_its_rank() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = some_unit(&app);
        let web = Web::new(&app);

        let login = web.get("/report").await;
        assert_eq!(login.status, 200);
        assert!(login.body.contains("Mã truy cập"), "{}", login.body);
        assert!(login.body.contains("name=\"csrf\""));

        let signed_in = web.login_unit(&code, app.token(&code)).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(signed_in.location.as_deref(), Some("/report?lang=vi"));
        assert!(web.cookie("thidua_unit").is_some());

        let form = web.get("/report").await;
        assert_eq!(form.status, 200);
        // The form is generated from the competition's counters.
        for counter in &app.competition.counters {
            assert!(form.body.contains(&counter.label), "{}", counter.label);
            assert!(
                form.body
                    .contains(&format!("name=\"counters.{}\"", counter.key))
            );
        }
        assert_eq!(hidden(&form.body, "day").as_deref(), Some("2025-10-06"));
        let csrf = form.csrf();

        // Online above the total: refused next to the field, nothing written.
        let bad = web
            .post_form(
                "/report",
                &figures(&csrf, "2025-10-06", ["10", "12", "4", "4", "8", "8"]),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body
                .contains("không được lớn hơn tổng số hồ sơ tiếp nhận"),
            "{}",
            bad.body
        );
        assert!(bad.body.contains("aria-describedby=\"e-received_online\""));
        // What the user typed is kept.
        assert!(bad.body.contains("value=\"12\""));
        // A non-number is named too.
        let bad = web
            .post_form(
                "/report",
                &figures(&csrf, "2025-10-06", ["10", "9", "4", "bốn", "8", ""]),
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("phải là số nguyên"), "{}", bad.body);
        assert!(bad.body.contains("Thiếu"), "{}", bad.body);
        assert_eq!(app.revision_count().await, 0);

        // Thousands written the Vietnamese way are the number they show.
        let saved = web
            .post_form(
                "/report",
                &figures(&csrf, "2025-10-06", ["1.000", "9", "4", "4", "8", "8"]),
            )
            .await;
        // POST-redirect-GET: reloading the answer sends nothing again.
        assert_eq!(saved.status, 303, "{}", saved.body);
        let location = saved.location.unwrap();
        assert!(
            location.contains("saved=1") && location.contains("day=2025-10-06"),
            "{location}"
        );
        let good = web.get(&location).await;
        assert_eq!(good.status, 200, "{}", good.body);
        assert!(
            good.body
                .contains("name=\"counters.received\" value=\"1000\"")
        );
        let saved = web
            .post_form(
                "/report",
                &figures(&csrf, "2025-10-06", ["10", "9", "4", "4", "8", "8"]),
            )
            .await;
        assert_eq!(saved.status, 303);
        let good = web.get(&saved.location.unwrap()).await;
        assert_eq!(good.status, 200, "{}", good.body);
        assert!(good.body.contains("(lần cập nhật thứ 2)"), "{}", good.body);
        assert!(
            good.body.contains("Đã lưu số liệu ngày 06/10/2025"),
            "{}",
            good.body
        );
        assert!(good.body.contains("id=\"new-rank\">1<"), "{}", good.body);
        assert_eq!(app.revision_count().await, 2);

        // The board has it, through the same write path as the API.
        let board = app.board("all", None).await;
        let entry = board["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["unit"]["code"] == code.as_str())
            .expect("the unit is ranked");
        assert_eq!(entry["rank"], 1);

        // The form is pre-filled with the day's current values and the history lists it.
        let again = web.get("/report?day=2025-10-06").await;
        assert!(
            again
                .body
                .contains("name=\"counters.received_online\" value=\"9\"")
        );
        assert!(again.body.contains("06/10/2025"));
        assert!(again.body.contains("Lịch sử báo cáo"));

        // Posting the same figures changes nothing and says so.
        let same = web
            .post_form(
                "/report",
                &figures(&csrf, "2025-10-06", ["10", "9", "4", "4", "8", "8"]),
            )
            .await;
        assert_eq!(same.status, 303);
        let same = web.get(&same.location.unwrap()).await;
        assert!(same.body.contains("không thay đổi"), "{}", same.body);
        assert_eq!(app.revision_count().await, 2);

        // Logging out ends the session: the same cookie no longer opens the form.
        let cookie = web.cookie("thidua_unit").unwrap();
        let out = web.post_form("/report/logout", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, 303);
        assert!(web.cookie("thidua_unit").is_none());
        web.set_cookie("thidua_unit", &cookie);
        let after = web.get("/report").await;
        assert!(after.body.contains("Đăng nhập"), "{}", after.body);
        assert!(!after.body.contains("name=\"counters.received\""));
    }
}

#[tokio::test]
async fn a_unit_can_never_write_another_unit() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let mine = some_unit(&app);
        let theirs = other_unit(&app, &mine);

        // Form: my access code with their unit code does not sign in.
        let web = Web::new(&app);
        let refused = web.login_unit(&theirs, app.token(&mine)).await;
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains("không đúng"), "{}", refused.body);
        assert!(web.cookie("thidua_unit").is_none());

        // Form: signed in as me, a smuggled unit field is ignored; I write only mine.
        assert_eq!(web.login_unit(&mine, app.token(&mine)).await.status, 303);
        let csrf = web.get("/report").await.csrf();
        let mut fields = figures(&csrf, "2025-10-06", ["10", "9", "4", "4", "8", "8"]);
        fields.push(("unit", theirs.as_str()));
        assert_eq!(web.post_form("/report", &fields).await.status, 303);

        // API: my token cannot name another unit.
        let mut body = report("2025-10-06", counters(5, 5, 1, 1, 5, 5));
        body["unit"] = json!(theirs);
        let (status, answer) = app.post_report(&mine, &body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"]["fields"]["unit"].is_string());

        let theirs_unit = app
            .state
            .store()
            .units(app.state.catalog().competition(None).unwrap().record.id)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.code == theirs)
            .unwrap();
        assert!(
            app.state
                .store()
                .unit_reports(theirs_unit.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(app.revision_count().await, 1);
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_write_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let code = some_unit(&app);
        let web = Web::new(&app);

        // Login form: the token must repeat the login cookie.
        let _ = web.get("/report").await;
        let no_token = web
            .post_form(
                "/report/login",
                &[("code", code.as_str()), ("access_code", app.token(&code))],
            )
            .await;
        assert_eq!(no_token.status, 403);
        assert!(web.cookie("thidua_unit").is_none());

        assert_eq!(web.login_unit(&code, app.token(&code)).await.status, 303);
        let csrf = web.get("/report").await.csrf();
        let values = ["10", "9", "4", "4", "8", "8"];
        let mut missing = figures("", "2025-10-06", values);
        missing.remove(0);
        assert_eq!(web.post_form("/report", &missing).await.status, 403);
        let wrong = "0".repeat(csrf.len());
        let refused = web
            .post_form("/report", &figures(&wrong, "2025-10-06", values))
            .await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("CSRF"), "{}", refused.body);
        // People get a page, not JSON.
        assert!(refused.content_type.starts_with("text/html"), "{refused:?}");
        assert_eq!(app.revision_count().await, 0);

        // Another session's token does not work in mine either.
        let other = Web::new(&app);
        assert_eq!(other.login_unit(&code, app.token(&code)).await.status, 303);
        let theirs = other.get("/report").await.csrf();
        assert_ne!(theirs, csrf);
        let cross = web
            .post_form("/report", &figures(&theirs, "2025-10-06", values))
            .await;
        assert_eq!(cross.status, 403);
        assert_eq!(app.revision_count().await, 0);

        // Without any session, a post is refused too.
        let anonymous = Web::new(&app);
        let page = anonymous
            .post_form("/report", &figures(&csrf, "2025-10-06", values))
            .await;
        assert_eq!(page.status, 401);
        assert_eq!(app.revision_count().await, 0);
    }
}

#[tokio::test]
async fn the_form_speaks_english_on_request() {
    let app = spawn_app(backends()[0]).await;
    let code = some_unit(&app);
    let web = Web::new(&app);
    let login = web.get("/report?lang=en").await;
    assert!(login.body.contains("Sign in to report figures"));
    assert!(login.body.contains("<html lang=\"en\">"));
    let csrf = login.csrf();
    let signed_in = web
        .post_form(
            "/report/login",
            &[
                ("csrf", csrf.as_str()),
                ("code", code.as_str()),
                ("access_code", app.token(&code)),
                ("lang", "en"),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/report?lang=en"));
    let form = web.get("/report?lang=en").await;
    assert!(
        form.body.contains("Send figures for 6 Oct 2025"),
        "{}",
        form.body
    );
    let response = app
        .client
        .get(app.url("/report"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(response.text().await.unwrap().contains("Access code"));
}

#[tokio::test]
async fn sessions_expire() {
    let app = spawn_app(backends()[0]).await;
    let code = some_unit(&app);
    let web = Web::new(&app);
    assert_eq!(web.login_unit(&code, app.token(&code)).await.status, 303);
    assert!(
        web.get("/report")
            .await
            .body
            .contains("name=\"counters.received\"")
    );
    app.clock.advance(chrono::Duration::hours(13));
    let later = web.get("/report").await;
    assert!(!later.body.contains("name=\"counters.received\""));
    assert!(later.body.contains("Đăng nhập báo cáo số liệu"));
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site() {
    let app = spawn_app(backends()[0]).await;
    let code = some_unit(&app);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client.get(app.url("/report")).send().await.unwrap();
    let set = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let token = cookie.split_once('=').unwrap().1.to_string();
    let body = support::web::urlencoded(&[
        ("csrf", &token),
        ("code", &code),
        ("access_code", app.token(&code)),
    ]);
    let signed_in = client
        .post(app.url("/report/login"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("thidua_unit="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "no HTTPS in tests: {session}");
}

#[tokio::test]
async fn repeated_bad_logins_get_429_with_retry_after() {
    let app = spawn_app_with_config(backends()[0], |c| c.login_per_minute = 3).await;
    let code = some_unit(&app);
    let web = Web::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let page = web.login_unit(&code, "wrong-code").await;
        statuses.push(page.status);
        if page.status == 429 {
            let secs: u64 = page.retry_after.expect("Retry-After").parse().unwrap();
            assert!((1..=60).contains(&secs));
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // Even the right code waits: guessing cannot outrun the limit.
    assert_eq!(web.login_unit(&code, app.token(&code)).await.status, 429);
    assert!(web.cookie("thidua_unit").is_none());
}

#[tokio::test]
async fn ingest_over_the_per_token_limit_gets_429() {
    let app = spawn_app_with_config(backends()[0], |c| c.ingest_per_minute = 3).await;
    let code = some_unit(&app);
    let other = other_unit(&app, &code);
    let mut statuses = Vec::new();
    for received in 0..5u64 {
        let body = report("2025-10-06", counters(10 + received, 5, 1, 1, 5, 5));
        statuses.push(app.post_report(&code, &body).await.0);
    }
    assert_eq!(statuses, [201, 200, 200, 429, 429]);
    let response = app
        .client
        .post(app.url("/api/v1/reports"))
        .bearer_auth(app.token(&code))
        .json(&report("2025-10-06", counters(99, 5, 1, 1, 5, 5)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(app.revision_count().await, 3);
    // Another token from the same address is not limited: never per address alone.
    let (status, _) = app
        .post_report(&other, &report("2025-10-06", counters(3, 3, 0, 0, 3, 3)))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_closed_day_is_shown_read_only_with_the_reason() {
    let app = spawn_app(backends()[0]).await;
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(10, 9, 4, 4, 8, 8)))
        .await;
    assert_eq!(status, 201);
    // 09:00 the next day: day 1 is closed.
    app.clock.advance(chrono::Duration::hours(23));
    let web = Web::new(&app);
    assert_eq!(web.login_unit("snv", app.token("SNV")).await.status, 303);
    let closed = web.get("/report?day=2025-10-06").await;
    assert_eq!(closed.status, 200);
    assert!(
        closed.body.contains("id=\"closed-reason\""),
        "{}",
        closed.body
    );
    assert!(closed.body.contains("Đã hết hạn báo cáo ngày 06/10/2025"));
    assert!(
        closed.body.contains("value=\"10\" readonly"),
        "the figures are shown"
    );
    assert!(
        !closed.body.contains("name=\"counters.received\""),
        "nothing to send"
    );
    assert!(!closed.body.contains("action=\"/report\" class=\"figures\""));
    // Today's form is still open.
    let open = web.get("/report?day=2025-10-07").await;
    assert!(open.body.contains("name=\"counters.received\""));
    // A hand-made post for the closed day is refused and writes nothing.
    let csrf = open.csrf();
    let before = app.revision_count().await;
    let refused = web
        .post_form(
            "/report",
            &figures(&csrf, "2025-10-06", ["11", "9", "4", "4", "8", "8"]),
        )
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(app.revision_count().await, before);
}
