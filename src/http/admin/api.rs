//! The organiser's JSON API for the competition's state:
//! `POST /api/v1/admin/finalize|freeze|reopen`, with an organiser's API token
//! (or web session and CSRF header).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::catalog::Selected;
use crate::error::{AppError, ErrorBody, Result};
use crate::http::extract::{JsonBody, OrganizerAuth};
use crate::http::schema::{Finalized, Frozen, Reopened};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_finalize))
        .routes(routes!(api_freeze))
        .routes(routes!(api_reopen))
}

#[derive(Deserialize, Default)]
pub struct CompetitionQuery {
    pub competition: Option<String>,
}

/// A change of the competition's state.
enum Change<'a> {
    Freeze,
    Finalize,
    Reopen(&'a str),
}

/// Applies a change to the competition the query names; returns whether it
/// did anything, and the competition as it is afterwards.
async fn apply(
    state: &AppState,
    query: &CompetitionQuery,
    organizer: &OrganizerAuth,
    change: Change<'_>,
) -> Result<(bool, Selected)> {
    let selected = organizer.competition(state, query.competition.as_deref())?;
    let actor = organizer.0.name.as_str();
    let lifecycle = state.lifecycle();
    let done = match change {
        Change::Freeze => lifecycle.freeze_now(&selected, actor).await?,
        Change::Finalize => lifecycle.finalize(&selected, actor).await?,
        Change::Reopen(reason) => lifecycle.reopen(&selected, actor, reason).await?,
    };
    let after = state
        .catalog()
        .competition(Some(&selected.record.competition.slug))?;
    Ok((done, after))
}

/// Finalize: store the final standings of every board.
#[utoipa::path(
    post,
    path = "/api/v1/admin/finalize",
    params(("competition" = Option<String>, Query)),
    responses(
        (status = 200, description = "Done, or already so (a no-op)", body = Finalized),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn api_finalize(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    Query(query): Query<CompetitionQuery>,
) -> Result<Json<Finalized>> {
    let (done, now) = apply(&state, &query, &organizer, Change::Finalize).await?;
    Ok(Json(Finalized {
        finalized: done,
        status: now.record.status(state.now()),
        finalized_at: now.record.finalized_at,
    }))
}

/// Freeze the public board now.
#[utoipa::path(
    post,
    path = "/api/v1/admin/freeze",
    params(("competition" = Option<String>, Query)),
    responses(
        (status = 200, description = "Done, or already so (a no-op)", body = Frozen),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn api_freeze(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    Query(query): Query<CompetitionQuery>,
) -> Result<Json<Frozen>> {
    let (done, now) = apply(&state, &query, &organizer, Change::Freeze).await?;
    Ok(Json(Frozen {
        frozen: done,
        status: now.record.status(state.now()),
    }))
}

/// Why a final (or frozen) competition is re-opened.
#[derive(Deserialize, ToSchema)]
pub struct ReopenBody {
    /// Mandatory, at most 1,000 characters.
    pub reason: Option<String>,
}

/// Re-open a final or frozen competition, with a reason.
#[utoipa::path(
    post,
    path = "/api/v1/admin/reopen",
    params(("competition" = Option<String>, Query)),
    request_body = ReopenBody,
    responses(
        (status = 200, description = "Done, or already so (a no-op)", body = Reopened),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn api_reopen(
    State(state): State<AppState>,
    organizer: OrganizerAuth,
    Query(query): Query<CompetitionQuery>,
    JsonBody(body): JsonBody<ReopenBody>,
) -> Result<Json<Reopened>> {
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::field("reason", "Cần ghi lý do mở lại cuộc thi"))?;
    if reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "Lý do tối đa 1.000 ký tự"));
    }
    let (done, now) = apply(&state, &query, &organizer, Change::Reopen(reason)).await?;
    Ok(Json(Reopened {
        reopened: done,
        status: now.record.status(state.now()),
    }))
}
