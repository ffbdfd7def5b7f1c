//! The province system's batch feed: `POST /api/v1/reports/batch` with an
//! integration token. A whole country's units in one request, one
//! transaction and one ranking write; one bad item refuses everything and
//! is named; retries answer once; tokens are scoped, listed and revocable.

mod support;

use serde_json::{Value, json};
use support::web::Web;
use support::{
    Db, LANG_SON, Rank, TestApp, backends, counters, first_morning, report, spawn_app,
    spawn_app_full,
};
use thidua::competition::{Board, Status};
use thidua::leaderboard::{self, BoardSpec};
use thidua::ranking::{Period, sync};
use thidua::report::Counters;
use thidua::store::CurrentReport;

const DAY: &str = "2025-10-06";

/// Issues an integration token for the app's competition.
async fn integration(app: &TestApp, name: &str) -> (i64, String) {
    let selected = app.state.catalog().competition(None).unwrap();
    let issued = thidua::integrations::issue(
        app.state.store(),
        selected.record.id,
        name,
        "ban-to-chuc",
        first_morning(),
    )
    .await
    .unwrap();
    (issued.id, issued.token)
}

async fn post_batch(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/reports/batch"))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn item(unit: &str, day: &str, counters: Value) -> Value {
    json!({"unit": unit, "day": day, "counters": counters})
}

/// The figures of the `i`-th unit: varied enough for ties, full marks and
/// a unit with nothing fee-bearing.
fn figures(i: u64) -> Value {
    let received = 10 + i % 37;
    let fee = i % 5;
    counters(
        received,
        received - i % 4,
        fee,
        fee / 2,
        received / 2,
        received / 2 - i % 3,
    )
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.state.store().pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

/// The whole-period board computed from `items` alone (not from the
/// store), as the reference computation makes it.
fn expected_board(app: &TestApp, items: &[Value]) -> Value {
    let selected = app.state.catalog().competition(None).unwrap();
    let reports: Vec<CurrentReport> = items
        .iter()
        .map(|i| CurrentReport {
            unit_id: selected.unit(i["unit"].as_str().unwrap()).unwrap().id,
            day: support::day(i["day"].as_str().unwrap()),
            counters: serde_json::from_value::<Counters>(i["counters"].clone()).unwrap(),
            stamp: 1,
        })
        .collect();
    let entries = sync::period_entries(
        &selected.record.competition,
        &selected.units,
        &reports,
        Period::Whole,
    );
    let board = leaderboard::build(&BoardSpec {
        selected: &selected,
        board: &Board::All,
        period: Period::Whole,
        entries: &entries,
        version: 0,
        status: Status::Open,
        as_of: first_morning(),
        previous_ranks: None,
    });
    serde_json::to_value(&board).unwrap()
}

#[tokio::test]
async fn ten_thousand_units_in_one_batch_are_one_transaction_and_one_board_change() {
    let all = backends();
    // The lightest and the heaviest set-up: 10,000 units take a while.
    let mut chosen = vec![all[0]];
    if let Some(last) = all.last().filter(|b| **b != all[0]) {
        chosen.push(*last);
    }
    let mut units = String::from("code,name,group\n");
    for i in 0..10_000 {
        units.push_str(&format!("X{i:05},Xã số {i},xa-phuong\n"));
    }
    for backend in chosen {
        let app = spawn_app_full(backend, LANG_SON, &units, first_morning()).await;
        let (_, token) = integration(&app, "Hệ thống một cửa").await;
        let items: Vec<Value> = (0..10_000u64)
            .map(|i| item(&format!("X{i:05}"), DAY, figures(i)))
            .collect();
        let slug = app.competition.slug.clone();
        let before = app.state.sync().ranking().version(&slug).await.unwrap();

        let (status, body) = post_batch(&app, &token, None, &json!({"reports": items})).await;
        assert_eq!(status, 201, "{backend:?}: {body}");
        assert_eq!(body["reports"], 10_000);
        assert_eq!(body["created"], 10_000);
        assert_eq!(body["ranked"], true);

        // One ranking write: the version moved once, so viewers see one change.
        let after = app.state.sync().ranking().version(&slug).await.unwrap();
        assert_eq!(after, before + 1, "{backend:?}: one ranking write");
        // Recorded as the integration, one revision per item.
        let n = count(
            &app,
            "SELECT COUNT(*) FROM revisions WHERE actor_kind = 'integration' AND actor = 'Hệ thống một cửa'",
        )
        .await;
        assert_eq!(n, 10_000, "{backend:?}");

        // The served board equals the exact computation from the figures sent.
        let (_, served) = app.get_json("/api/v1/leaderboard?board=all").await;
        let expected = expected_board(&app, &items);
        for key in ["entries", "unranked", "totals", "total_entries"] {
            assert_eq!(served[key], expected[key], "{backend:?}: {key}");
        }
        assert!(served["total_entries"].as_u64().unwrap() > 9_000);

        // The same figures again change nothing and write no revision.
        let (status, body) = post_batch(&app, &token, None, &json!({"reports": items})).await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(body["unchanged"], 10_000);
        assert_eq!(app.revision_count().await, 10_000);
    }
}

/// A batch that brings new, changed and identical figures writes what
/// single reports would: a new report, the next revision of a changed one
/// (its row pointing at that revision), nothing for the same figures.
#[tokio::test]
async fn a_batch_creates_revises_and_leaves_alone_as_single_reports_do() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (_, token) = integration(&app, "Một cửa").await;
        for (unit, figures) in [
            ("SNV", counters(20, 18, 4, 2, 10, 9)),
            ("STC", counters(8, 8, 0, 0, 4, 4)),
        ] {
            let (status, body) = app.post_report(unit, &report(DAY, figures)).await;
            assert_eq!(status, 201, "{backend:?}: {body}");
        }
        let body = json!({"reports": [
            item("SNV", DAY, counters(20, 20, 4, 4, 10, 10)),
            item("STC", DAY, counters(8, 8, 0, 0, 4, 4)),
            item("06001", DAY, counters(7, 6, 1, 1, 3, 3)),
        ]});
        let (status, receipt) = post_batch(&app, &token, None, &body).await;
        assert_eq!(status, 201, "{backend:?}: {receipt}");
        assert_eq!(
            [
                &receipt["created"],
                &receipt["updated"],
                &receipt["unchanged"]
            ],
            [&json!(1), &json!(1), &json!(1)],
            "{backend:?}: {receipt}"
        );
        assert_eq!(app.revision_count().await, 4, "{backend:?}");
        let revision = |code: &str| {
            format!(
                "SELECT r.revision FROM reports r JOIN units u ON u.id = r.unit_id WHERE u.code = '{code}'"
            )
        };
        assert_eq!(count(&app, &revision("SNV")).await, 2, "{backend:?}");
        assert_eq!(count(&app, &revision("STC")).await, 1, "{backend:?}");
        assert_eq!(count(&app, &revision("06001")).await, 1, "{backend:?}");
        // Every row points at its current revision, which has its figures.
        let pointing = count(
            &app,
            "SELECT COUNT(*) FROM reports r JOIN revisions v ON v.id = r.last_revision_id \
             WHERE v.report_id = r.id AND v.revision = r.revision AND v.counters = r.counters",
        )
        .await;
        assert_eq!(pointing, 3, "{backend:?}");
        let board = app.board("all", None).await;
        let online = |code: &str| {
            support::entry(&board, code)["criteria"]["online_submission"]["numerator"].clone()
        };
        assert_eq!(online("SNV"), 20, "{backend:?}");
        assert_eq!(online("STC"), 8, "{backend:?}");
        assert_eq!(online("06001"), 6, "{backend:?}");
    }
}

#[tokio::test]
async fn one_bad_item_refuses_the_batch_and_is_named() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (_, token) = integration(&app, "Một cửa").await;
        let good = |code: &str| item(code, DAY, counters(20, 18, 4, 2, 10, 9));
        let body = json!({"reports": [
            good("SNV"),
            good("STC"),
            // More online than received.
            item("SXD", DAY, counters(5, 6, 0, 0, 0, 0)),
            // A unit the competition does not have.
            good("NOPE"),
            // The same unit and day twice.
            good("SNV"),
            // Not an object.
            "SNV",
            // Tomorrow is not open yet.
            item("06001", "2025-10-07", counters(1, 1, 0, 0, 0, 0)),
            // No unit.
            report(DAY, counters(1, 1, 0, 0, 0, 0)),
        ]});
        let (status, refusal) = post_batch(&app, &token, None, &body).await;
        assert_eq!(status, 422, "{backend:?}: {refusal}");
        assert_eq!(refusal["error"]["code"], "validation");
        let items = refusal["error"]["items"].as_array().unwrap();
        let named = |index: u64| {
            items
                .iter()
                .find(|e| e["index"] == index)
                .unwrap_or_else(|| panic!("item {index} is not named: {refusal}"))
        };
        assert_eq!(named(2)["unit"], "SXD");
        assert_eq!(named(2)["field"], "counters.received_online");
        assert_eq!(named(3)["code"], "unknown_unit");
        assert_eq!(named(4)["code"], "duplicate");
        assert!(named(4)["message"].as_str().unwrap().contains("reports[0]"));
        assert_eq!(named(5)["unit"], Value::Null);
        assert_eq!(named(6)["unit"], "06001");
        assert_eq!(named(6)["field"], "day");
        assert_eq!(named(7)["field"], "unit");
        assert!(
            items
                .iter()
                .all(|e| ![0, 1].contains(&e["index"].as_u64().unwrap()))
        );
        // The flat field map says the same, item by item.
        assert!(
            refusal["error"]["fields"]["reports[2].counters.received_online"].is_string(),
            "{refusal}"
        );
        // Nothing was written, nothing ranked.
        assert_eq!(app.revision_count().await, 0, "{backend:?}");
        let board = app.board("all", None).await;
        assert_eq!(board["total_entries"], 0, "{backend:?}");
    }
}

#[tokio::test]
async fn a_retried_batch_is_answered_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (_, token) = integration(&app, "Một cửa").await;
        let body = json!({"reports": [
            item("SNV", DAY, counters(20, 18, 4, 2, 10, 9)),
            item("06001", DAY, counters(7, 7, 1, 1, 3, 3)),
        ]});
        let (status, first) = post_batch(&app, &token, Some("day-1"), &body).await;
        assert_eq!(status, 201, "{backend:?}: {first}");
        assert_eq!(first["created"], 2);
        let (status, again) = post_batch(&app, &token, Some("day-1"), &body).await;
        assert_eq!(
            (status, &again),
            (201, &first),
            "{backend:?}: the first answer"
        );
        assert_eq!(app.revision_count().await, 2);
        // The key with other figures is a conflict, not a write.
        let other = json!({"reports": [item("SNV", DAY, counters(20, 20, 4, 4, 10, 10))]});
        let (status, conflict) = post_batch(&app, &token, Some("day-1"), &other).await;
        assert_eq!(status, 409, "{backend:?}: {conflict}");
        assert_eq!(conflict["error"]["code"], "idempotency_conflict");
        assert_eq!(app.revision_count().await, 2);
        let board = app.board("all", None).await;
        assert_eq!(
            support::entry(&board, "SNV")["criteria"]["online_submission"]["numerator"],
            18
        );
    }
}

#[tokio::test]
async fn tokens_are_for_the_batch_only_and_stop_when_revoked() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (id, token) = integration(&app, "Một cửa").await;
    let body = json!({"reports": [item("SNV", DAY, counters(20, 18, 4, 2, 10, 9))]});
    // A unit's or an organiser's token is not an integration's.
    let (status, _) = post_batch(&app, app.token("SNV"), None, &body).await;
    assert_eq!(status, 403);
    let (status, _) = post_batch(&app, &app.admin_token, None, &body).await;
    assert_eq!(status, 403);
    // An integration's token posts batches only.
    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&token)
        .json(&report(DAY, counters(20, 18, 4, 2, 10, 9)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.revision_count().await, 0);

    let (status, _) = post_batch(&app, &token, None, &body).await;
    assert_eq!(status, 201);
    let selected = app.state.catalog().competition(None).unwrap();
    let listed = app
        .state
        .store()
        .integrations(selected.record.id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "last use is shown");

    thidua::integrations::revoke(
        app.state.store(),
        selected.record.id,
        id,
        "ban-to-chuc",
        first_morning(),
    )
    .await
    .unwrap();
    let (status, refusal) = post_batch(&app, &token, None, &body).await;
    assert_eq!(status, 401, "{refusal}");
    // Revoking twice says there is nothing to revoke.
    let again = thidua::integrations::revoke(
        app.state.store(),
        selected.record.id,
        id,
        "ban-to-chuc",
        first_morning(),
    )
    .await;
    assert!(again.is_err());
    let audit = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('integration.create', 'integration.revoke')",
    )
    .await;
    assert_eq!(audit, 2);
}

#[tokio::test]
async fn an_empty_or_oversized_batch_is_refused() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (_, token) = integration(&app, "Một cửa").await;
    let (status, body) = post_batch(&app, &token, None, &json!({"reports": []})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = post_batch(&app, &token, None, &json!({"items": []})).await;
    assert_eq!(status, 400, "{body}");
    let many: Vec<Value> = (0..=thidua::submit::MAX_ITEMS)
        .map(|_| item("SNV", DAY, counters(1, 1, 0, 0, 0, 0)))
        .collect();
    let (status, body) = post_batch(&app, &token, None, &json!({"reports": many})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["reports"].is_string());
    assert_eq!(app.revision_count().await, 0);
}

#[tokio::test]
async fn an_organiser_issues_and_revokes_integrations_on_the_admin_page() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    app.add_organizer("sonv", "mat-khau-dai-du-16").await;
    let web = Web::new(&app);
    web.login_admin("sonv", "mat-khau-dai-du-16").await;
    let page = web.get("/admin/integrations").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let slug = app.competition.slug.clone();
    let issued = web
        .post_form(
            "/admin/integrations",
            &[
                ("csrf", csrf.as_str()),
                ("competition", slug.as_str()),
                ("name", "Cổng một cửa tỉnh"),
            ],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    // The token is on this answer only; it works at once.
    let start = issued.body.find("<code class=\"token\">").unwrap() + 20;
    let token = &issued.body[start..start + 64];
    let body = json!({"reports": [item("SNV", DAY, counters(20, 18, 4, 2, 10, 9))]});
    assert_eq!(post_batch(&app, token, None, &body).await.0, 201);
    let listed = web.get("/admin/integrations").await;
    assert!(listed.body.contains("Cổng một cửa tỉnh"));
    assert!(!listed.body.contains(token), "the token is shown once");

    let id = support::web::hidden(&listed.body, "revoke").unwrap();
    let revoked = web
        .post_form(
            "/admin/integrations",
            &[
                ("csrf", csrf.as_str()),
                ("competition", slug.as_str()),
                ("revoke", id.as_str()),
            ],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(post_batch(&app, token, None, &body).await.0, 401);
    // A blank name is refused on the page, nothing issued.
    let blank = web
        .post_form(
            "/admin/integrations",
            &[
                ("csrf", csrf.as_str()),
                ("competition", slug.as_str()),
                ("name", "  "),
            ],
        )
        .await;
    assert_eq!(blank.status, 422);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM integrations").await,
        1,
        "nothing more issued"
    );
}
