//! The web service: `router(state)` builds every route; `serve` binds it.

pub mod admin;
pub mod events;
pub mod extract;
pub mod ingest;
pub mod openapi;
pub mod operations;
pub mod pages;
pub mod public;
pub mod unit_form;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/v1/reports",
            get(ingest::get_reports).post(ingest::post_report),
        )
        .route("/api/v1/leaderboard", get(public::get_leaderboard))
        .route("/api/v1/units/{code}", get(public::get_unit))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(public::healthz))
        .route("/readyz", get(public::readyz))
        .merge(pages::routes())
        .merge(unit_form::routes(&state))
        .merge(admin::routes(&state))
        .merge(operations::routes())
        .fallback(|| async { AppError::NotFound("Không tìm thấy".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::metrics::track_request))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Background upkeep every instance runs while serving.
pub fn spawn_upkeep(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut reload = 0u32;
        loop {
            tick.tick().await;
            public::rebuild_when_stale(&state).await;
            // Competitions and units changed by the CLI or another instance.
            reload += 1;
            if reload.is_multiple_of(15)
                && let Err(e) = state.reload().await
            {
                tracing::warn!(error = %e, "catalogue reload failed");
            }
        }
    });
}

/// Serves until ctrl-c / SIGTERM, finishing requests in flight.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<()> {
    spawn_upkeep(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            events::end_all_streams();
        })
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
