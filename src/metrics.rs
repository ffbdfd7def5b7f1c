//! Prometheus metrics: one global recorder, the request middleware, the live
//! viewer gauge, and the names of the counters jobs keep.
//!
//! The recorder is process-wide while `AppState`s are not (tests make many),
//! so it is installed once and shared.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder on first use. `None` if another recorder was
/// installed first (metrics then go there, and `/metrics` says so).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Every metric's help text and unit. Prometheus tooling (`promtool check
/// metrics`) wants a `# HELP` line for each; the exporter writes one only
/// for metrics described here. Every metric the service records is listed,
/// wherever it is recorded.
fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "thidua_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "thidua_http_request_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern"
    );
    describe_counter!(
        "thidua_reports_accepted_total",
        "Daily reports committed to the database (API, forms, corrections, imports)"
    );
    describe_counter!(
        "thidua_reports_refused_total",
        "Daily reports refused, by reason"
    );
    describe_histogram!(
        "thidua_ranking_update_seconds",
        Unit::Seconds,
        "Time to update the live ranking after a committed report"
    );
    describe_gauge!(
        "thidua_sse_viewers",
        "Live viewers connected to the board's event stream"
    );
    describe_counter!("thidua_job_runs_total", "Scheduled job runs, by job");
    describe_counter!(
        "thidua_job_failures_total",
        "Scheduled job runs that failed, by job"
    );
    describe_counter!(
        "thidua_reconcile_drift_total",
        "Ranking entries the reconciliation found different from the database"
    );
    describe_gauge!(
        "thidua_reconcile_last_drift",
        "Ranking entries the latest reconciliation found different"
    );
}

/// The Prometheus text exposition of every metric.
pub fn render() -> Option<String> {
    let handle = install()?;
    handle.run_upkeep();
    Some(handle.render())
}

/// Counts requests by route (the pattern, never the raw path, so that unit
/// codes do not explode the label set), method and status.
pub async fn track_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    ::metrics::counter!("thidua_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    ::metrics::histogram!("thidua_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One connected live viewer (SSE); the gauge goes down when it is dropped,
/// however the connection ends.
#[must_use = "the viewer counts as connected only while the guard lives"]
pub struct SseViewer(());

pub fn sse_viewer_connected() -> SseViewer {
    ::metrics::gauge!("thidua_sse_viewers").increment(1.0);
    SseViewer(())
}

impl Drop for SseViewer {
    fn drop(&mut self) {
        ::metrics::gauge!("thidua_sse_viewers").decrement(1.0);
    }
}

pub fn job_ran(job: &'static str) {
    ::metrics::counter!("thidua_job_runs_total", "job" => job).increment(1);
}

pub fn job_failed(job: &'static str) {
    ::metrics::counter!("thidua_job_failures_total", "job" => job).increment(1);
}

/// Entries the reconciliation found different between the ranking and the store.
pub fn reconcile_drift(drift: usize) {
    ::metrics::counter!("thidua_reconcile_drift_total").increment(drift as u64);
    ::metrics::gauge!("thidua_reconcile_last_drift").set(drift as f64);
}
