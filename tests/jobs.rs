//! Scheduled jobs (SPEC §11) with a clock the tests move: a day closes at
//! its deadline, late reports are marked, a restart catches up exactly once,
//! two instances never run the same job twice, the reminder reaches its
//! webhook, and the competition freezes and finalizes on time.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use support::*;
use thidua::jobs;
use thidua::state::AppState;

const SLUG: &str = "lang-son-2025";

fn at(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(local)
        .unwrap()
        .with_timezone(&Utc)
}

/// A second service process on the same database (a restart, or another
/// instance behind the load balancer), sharing the test's clock.
async fn another_instance(app: &TestApp, webhook: Option<String>) -> AppState {
    app.another_state(|c| c.webhook_url = webhook).await
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind.to_string())
        .fetch_one(app.state.store().pool())
        .await
        .unwrap()
        .get::<i64, _>("n")
}

async fn snapshots(app: &TestApp, day: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) AS n FROM board_snapshots WHERE day = $1",
        day,
    )
    .await
}

async fn job_rows(app: &TestApp, run_key: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) AS n FROM job_runs WHERE run_key = $1",
        run_key,
    )
    .await
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    count(
        app,
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
        action,
    )
    .await
}

async fn post_some(app: &TestApp, day: &str) {
    for (code, c) in [
        ("06040", counters(10, 10, 4, 4, 8, 8)),
        ("SNV", counters(10, 7, 4, 2, 8, 5)),
        ("STC", counters(20, 19, 0, 0, 10, 10)),
    ] {
        let (status, body) = app.post_report(code, &report(day, c)).await;
        assert!(status == 201 || status == 200, "{status} {body}");
    }
}

#[tokio::test]
async fn a_day_closes_at_its_deadline() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        post_some(&app, "2025-10-06").await;
        let before = jobs::run_due(&app.state).await;
        assert!(before.failed.is_empty(), "{before:?}");
        assert!(
            !before.ran.iter().any(|k| k.starts_with("close:")),
            "{before:?}"
        );
        assert_eq!(snapshots(&app, "2025-10-06").await, 0);

        // One minute before the deadline: still open (and the reminder of
        // the 6th, missed at 16:00, is not sent the next morning).
        app.clock.set(at("2025-10-07T08:59:00+07:00"));
        assert!(jobs::run_due(&app.state).await.ran.is_empty());
        assert_eq!(snapshots(&app, "2025-10-06").await, 0);

        app.clock.set(at("2025-10-07T09:00:00+07:00"));
        let report = jobs::run_due(&app.state).await;
        assert_eq!(report.ran, vec![format!("close:{SLUG}:2025-10-06")]);
        assert!(report.failed.is_empty(), "{report:?}");
        // One snapshot per board: all, so-nganh, xa-phuong.
        assert_eq!(snapshots(&app, "2025-10-06").await, 3);
        let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
        let closings = app
            .state
            .store()
            .day_closings(selected.record.id)
            .await
            .unwrap();
        assert_eq!(closings.len(), 1);
        let closing = &closings[0];
        let active = selected.active_units().count();
        assert_eq!(closing.missing.len(), active - 3, "{closing:?}");
        assert!(!closing.missing.contains(&"06040".to_string()));
        assert!(closing.missing.contains(&"SXD".to_string()));
        assert!(closing.late.is_empty());
        assert_eq!(audits(&app, "day.close").await, 1);

        // The snapshot feeds rank changes: the board now compares with it.
        let board = app.board("all", None).await;
        let thatkhe = support::entry(&board, "06040");
        assert_eq!(thatkhe["rank_change"], 0, "{thatkhe}");
        // The snapshot holds the ranks as they were.
        let body: String = sqlx::query(
            "SELECT body FROM board_snapshots WHERE day = '2025-10-06' AND board = 'all'",
        )
        .fetch_one(app.state.store().pool())
        .await
        .unwrap()
        .get("body");
        let ranks: serde_json::Map<String, Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(ranks.len(), 3);
        assert_eq!(ranks["06040"], thatkhe["rank"]);

        // Running again changes nothing.
        assert!(jobs::run_due(&app.state).await.ran.is_empty());
        assert_eq!(job_rows(&app, &format!("close:{SLUG}:2025-10-06")).await, 1);
    }
}

#[tokio::test]
async fn a_report_after_the_deadline_is_late() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        post_some(&app, "2025-10-06").await;
        app.clock.set(at("2025-10-07T09:30:00+07:00"));
        // The unit itself is refused…
        let (status, body) = app
            .post_report("SXD", &report("2025-10-06", counters(5, 5, 0, 0, 5, 5)))
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "day_closed");
        // …the organiser may still enter it, and it is marked late.
        let mut late = report("2025-10-06", counters(5, 5, 0, 0, 5, 5));
        late["unit"] = "SXD".into();
        late["reason"] = "Sở gửi văn bản giấy".into();
        let (status, body) = app.post_as_admin(&late).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["late"], true);

        // The close runs after it (a catch-up): SXD is late, not missing.
        let report = jobs::run_due(&app.state).await;
        assert!(report.ran.contains(&format!("close:{SLUG}:2025-10-06")));
        let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
        let closing = app
            .state
            .store()
            .day_closings(selected.record.id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(closing.late, vec!["SXD".to_string()]);
        assert!(!closing.missing.contains(&"SXD".to_string()));
        // The snapshot is the board at the deadline: without the late report.
        let body: String = sqlx::query(
            "SELECT body FROM board_snapshots WHERE day = '2025-10-06' AND board = 'so-nganh'",
        )
        .fetch_one(app.state.store().pool())
        .await
        .unwrap()
        .get("body");
        assert!(!body.contains("SXD"), "{body}");
        let rows = app.state.store().reports(selected.record.id).await.unwrap();
        let sxd = selected.unit("SXD").unwrap().id;
        assert!(rows.iter().any(|r| r.unit_id == sxd && r.late));
    }
}

#[tokio::test]
async fn a_restart_after_missed_deadlines_catches_up_exactly_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        post_some(&app, "2025-10-06").await;
        // The service was down from Monday to Thursday morning.
        app.clock.set(at("2025-10-09T10:00:00+07:00"));
        let restarted = another_instance(&app, None).await;
        let report = jobs::run_due(&restarted).await;
        assert_eq!(
            report.ran,
            vec![
                format!("close:{SLUG}:2025-10-06"),
                format!("close:{SLUG}:2025-10-07"),
                format!("close:{SLUG}:2025-10-08"),
            ],
            "{report:?}"
        );
        // Neither the restarted instance nor the old one runs them again.
        assert!(jobs::run_due(&restarted).await.ran.is_empty());
        assert!(jobs::run_due(&app.state).await.ran.is_empty());
        let again = another_instance(&app, None).await;
        assert!(jobs::run_due(&again).await.ran.is_empty());
        for day in ["2025-10-06", "2025-10-07", "2025-10-08"] {
            assert_eq!(snapshots(&app, day).await, 3, "{day}");
            assert_eq!(job_rows(&app, &format!("close:{SLUG}:{day}")).await, 1);
        }
        assert_eq!(snapshots(&app, "2025-10-09").await, 0);
        assert_eq!(audits(&app, "day.close").await, 3);
        // The missed reminders of closed days are not sent late.
        assert!(!report.ran.iter().any(|k| k.starts_with("remind:")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_run_the_same_job_twice() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        post_some(&app, "2025-10-06").await;
        let a = another_instance(&app, None).await;
        let b = another_instance(&app, None).await;
        for (deadline, day) in [
            ("2025-10-07T09:00:00+07:00", "2025-10-06"),
            ("2025-10-08T09:00:00+07:00", "2025-10-07"),
            ("2025-10-09T09:00:00+07:00", "2025-10-08"),
        ] {
            app.clock.set(at(deadline));
            let (ra, rb) = tokio::join!(
                tokio::spawn({
                    let a = a.clone();
                    async move { jobs::run_due(&a).await }
                }),
                tokio::spawn({
                    let b = b.clone();
                    async move { jobs::run_due(&b).await }
                }),
            );
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            assert!(
                ra.failed.is_empty() && rb.failed.is_empty(),
                "{ra:?} {rb:?}"
            );
            let key = format!("close:{SLUG}:{day}");
            let runs = ra.ran.iter().chain(&rb.ran).filter(|k| **k == key).count();
            assert_eq!(runs, 1, "{ra:?} {rb:?}");
            assert_eq!(job_rows(&app, &key).await, 1);
            assert_eq!(snapshots(&app, day).await, 3);
        }
        assert_eq!(audits(&app, "day.close").await, 3);
    }
}

#[derive(Clone, Default)]
struct Hook {
    calls: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

async fn hook(State(hook): State<Hook>, Json(body): Json<Value>) -> StatusCode {
    let n = hook.calls.fetch_add(1, Ordering::SeqCst);
    hook.bodies.lock().unwrap().push(body);
    // The first delivery fails: the job must retry.
    if n == 0 {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

#[tokio::test]
async fn the_reminder_lists_missing_units_and_reaches_the_webhook() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    post_some(&app, "2025-10-06").await;
    let hook_state = Hook::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(hook_state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let state = another_instance(&app, Some(url)).await;

    app.clock.set(at("2025-10-06T15:59:00+07:00"));
    assert!(jobs::run_due(&state).await.ran.is_empty());
    app.clock.set(at("2025-10-06T16:00:00+07:00"));
    let report = jobs::run_due(&state).await;
    assert_eq!(report.ran, vec![format!("remind:{SLUG}:2025-10-06")]);

    assert_eq!(hook_state.calls.load(Ordering::SeqCst), 2);
    let body = hook_state.bodies.lock().unwrap()[1].clone();
    let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
    let active = selected.active_units().count();
    assert_eq!(body["day"], "2025-10-06");
    assert_eq!(body["count"], active - 3);
    let missing = body["missing"].as_array().unwrap();
    assert!(missing.iter().any(|u| u["code"] == "SXD"));
    assert!(!missing.iter().any(|u| u["code"] == "06040"));

    // Stored for the admin page, with the delivery outcome.
    let reminders = app
        .state
        .store()
        .reminders(selected.record.id)
        .await
        .unwrap();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].missing.len(), active - 3);
    assert_eq!(reminders[0].delivery.as_deref(), Some("sent"));
    // Once only.
    assert!(jobs::run_due(&state).await.ran.is_empty());
    assert_eq!(hook_state.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_webhook_that_refuses_does_not_fail_the_reminder() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    // Nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let err = jobs::deliver(
        &url,
        &serde_json::json!({}),
        3,
        std::time::Duration::from_millis(5),
    )
    .await
    .unwrap_err();
    assert!(err.contains("after 3 attempts"), "{err}");
    let _ = app;
}

#[tokio::test]
async fn freeze_and_finalize_happen_on_time_once() {
    for backend in backends() {
        let definition = LANG_SON.replace(
            "# freeze_at = \"2025-10-10T12:00:00+07:00\"",
            "freeze_at = \"2025-10-10T12:00:00+07:00\"",
        );
        assert_ne!(definition, LANG_SON);
        let app = spawn_app_with(backend, &definition, first_morning()).await;
        post_some(&app, "2025-10-06").await;

        app.clock.set(at("2025-10-10T12:00:00+07:00"));
        let report = jobs::run_due(&app.state).await;
        assert!(
            report
                .ran
                .contains(&format!("freeze:{SLUG}:2025-10-10T05:00:00Z")),
            "{report:?}"
        );
        assert_eq!(audits(&app, "competition.freeze").await, 1);
        assert_eq!(
            app.board("all", None).await["competition"]["status"],
            "frozen"
        );
        assert!(jobs::run_due(&app.state).await.ran.is_empty());

        app.clock.set(at("2025-10-11T09:00:00+07:00"));
        let report = jobs::run_due(&app.state).await;
        assert_eq!(
            report.ran,
            vec![
                format!("close:{SLUG}:2025-10-10"),
                format!("finalize:{SLUG}")
            ]
        );
        let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
        assert!(selected.record.is_final());
        assert_eq!(
            app.board("all", None).await["competition"]["status"],
            "final"
        );
        assert_eq!(audits(&app, "competition.finalize").await, 1);

        // Re-opened by the organiser: the job does not finalize it again.
        app.state
            .lifecycle()
            .reopen(&selected, "ban-to-chuc", "Sửa số liệu")
            .await
            .unwrap();
        app.clock.set(at("2025-10-11T10:00:00+07:00"));
        assert!(jobs::run_due(&app.state).await.ran.is_empty());
        assert!(
            !app.state
                .catalog()
                .competition(Some(SLUG))
                .unwrap()
                .record
                .is_final()
        );
    }
}

#[tokio::test]
async fn reconciliation_counts_drift_once_per_slot() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    post_some(&app, "2025-10-06").await;
    // A fresh instance has an empty in-process ranking: everything drifts.
    let fresh = another_instance(&app, None).await;
    let drift = jobs::reconcile(&fresh).await.unwrap();
    assert!(drift.is_some_and(|d| d > 0), "{drift:?}");
    // The same slot does not run twice, on any instance.
    assert_eq!(jobs::reconcile(&app.state).await.unwrap(), None);
    app.clock
        .advance(chrono::Duration::minutes(jobs::RECONCILE_MINUTES));
    assert_eq!(jobs::reconcile(&fresh).await.unwrap(), Some(0));

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("thidua_reconcile_drift_total"),
        "{metrics}"
    );
    assert!(metrics.contains("thidua_job_runs_total{job=\"reconcile\"}"));
    assert!(metrics.contains("thidua_reports_accepted_total"));
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("thidua_http_requests_total{")
                && l.contains("route=\"/api/v1/reports\"")
                && l.contains("status=\"201\"")
        })
        .unwrap_or_else(|| panic!("{metrics}"));
    let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3.0, "{line}");
}

#[tokio::test]
async fn a_claim_left_by_a_dead_instance_is_taken_over_after_the_lease() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let store = app.state.store();
        let now = at("2025-10-07T09:00:00+07:00");
        let key = format!("close:{SLUG}:2025-10-06");
        // At the deadline an instance claimed the close and died before finishing it.
        assert!(
            store
                .claim_job("close", &key, now, jobs::LEASE)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_job("close", &key, now, jobs::LEASE)
                .await
                .unwrap()
        );
        app.clock.set(at("2025-10-07T09:05:00+07:00"));
        // Within the lease nobody else runs it…
        let report = jobs::run_due(&app.state).await;
        assert!(!report.ran.contains(&key), "{report:?}");
        assert_eq!(snapshots(&app, "2025-10-06").await, 0);
        // …after it, the next tick does, once.
        app.clock
            .set(now + jobs::LEASE + chrono::Duration::minutes(1));
        let report = jobs::run_due(&app.state).await;
        assert_eq!(report.ran, vec![key.clone()]);
        assert_eq!(snapshots(&app, "2025-10-06").await, 3);
        assert_eq!(job_rows(&app, &key).await, 1);
        assert!(jobs::run_due(&app.state).await.ran.is_empty());
    }
}
