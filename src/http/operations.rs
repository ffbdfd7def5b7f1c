//! For operators: liveness, readiness and Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, Result};
use crate::ranking::{Changes, Cursor};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    // The recorder must exist before the first metric is emitted.
    crate::metrics::install();
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(get_metrics))
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub database: bool,
    pub ranking: RankingReadiness,
}

#[derive(Serialize, ToSchema)]
pub struct RankingReadiness {
    /// `memory` or `redis`.
    pub kind: &'static str,
    pub ok: bool,
    /// Boards come from the database until the ranking is rebuilt.
    pub stale: bool,
}

/// Ready when the database answers and, if configured, Redis too.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Database or ranking unreachable", body = Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.store().ping().await;
    let ranking = state.ranking().ping().await;
    if ranking {
        // Reachable is not enough: a Redis that restarted empty answers
        // PING. A competition without its epoch has lost its state; say so
        // now (and have it rebuilt) rather than at the next board refresh.
        for selected in state.catalog().all() {
            let slug = &selected.record.competition.slug;
            let empty = matches!(
                state.ranking().changes(slug, &Cursor::default()).await,
                Ok(Changes::Empty)
            );
            if empty {
                tracing::warn!(competition = %slug, "ranking holds nothing; rebuilding from the store");
                state.sync().mark_stale();
                break;
            }
        }
    }
    let status = if database && ranking {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        database,
        ranking: RankingReadiness {
            kind: state.ranking().kind(),
            ok: ranking,
            stale: state.sync().is_stale(),
        },
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn get_metrics() -> Result<Response> {
    let text = crate::metrics::render()
        .ok_or_else(|| AppError::Unavailable("metrics recorder not installed".into()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}
