//! `/metrics` as Prometheus tooling reads it: every metric the service
//! records has its help text, and `promtool check metrics` accepts the
//! exposition. promtool comes with Debian's `prometheus` package; without
//! it the promtool half is skipped with a note, unless
//! `THIDUA_REQUIRE_PROMTOOL=1` (as in CI), where it is a failure.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{Db, Rank, counters, report, spawn_app};

const METRICS: [&str; 10] = [
    "thidua_http_requests_total",
    "thidua_http_request_seconds",
    "thidua_reports_accepted_total",
    "thidua_reports_refused_total",
    "thidua_ranking_update_seconds",
    "thidua_sse_viewers",
    "thidua_job_runs_total",
    "thidua_job_failures_total",
    "thidua_reconcile_drift_total",
    "thidua_reconcile_last_drift",
];

#[tokio::test]
async fn every_metric_has_help_and_promtool_accepts_them() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    // Make every metric appear: a report accepted and one refused, pages
    // served, a viewer, a job run and failure, a reconciliation.
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(2, 1, 0, 0, 1, 1)))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(1, 2, 0, 0, 1, 1)))
        .await;
    assert_eq!(status, 422);
    let viewer = thidua::metrics::sse_viewer_connected();
    thidua::metrics::job_ran("close");
    thidua::metrics::job_failed("remind");
    thidua::metrics::reconcile_drift(0);
    let text = app.get("/metrics").await.text().await.unwrap();
    drop(viewer);

    for name in METRICS {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("# HELP {name} "))),
            "{name} has no help text in:\n{text}"
        );
    }

    let require = std::env::var("THIDUA_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1");
    let Ok(mut promtool) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            !require,
            "THIDUA_REQUIRE_PROMTOOL=1 but promtool is missing (apt-get install prometheus)"
        );
        eprintln!("note: promtool not installed; skipping `promtool check metrics`");
        return;
    };
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
