//! `GET /api/openapi.json`: the OpenAPI description of the JSON endpoints,
//! generated from the handlers' annotations and the response types.

use std::collections::BTreeMap;

use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::{admin, events, ingest, operations, public};

/// `{"error": {...}}`: every refusal has this shape.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `day_closed`,
    /// `competition_final`, `idempotency_conflict`, `payload_too_large`,
    /// `unsupported_media_type`, `validation`, `rate_limited`, `unavailable`.
    pub code: String,
    /// In Vietnamese.
    pub message: String,
    /// Field path (e.g. `counters.received_online`) → message; validation only.
    pub fields: Option<BTreeMap<String, String>>,
}

/// A day's figures. Organisers add `unit` and `reason`.
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    /// `YYYY-MM-DD`, a competition day, not in the future.
    pub day: String,
    /// Every counter of the competition, integers 0…1,000,000,000.
    pub counters: BTreeMap<String, u64>,
    /// At most 1,000 characters.
    pub note: Option<String>,
    /// Organisers only: the unit's code.
    pub unit: Option<String>,
    /// Organisers only, mandatory for them.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportAccepted {
    pub unit: crate::leaderboard::UnitRef,
    pub day: String,
    pub revision: i64,
    /// Identical to the current revision: nothing was written.
    pub unchanged: bool,
    /// Entered by an organiser after the day's deadline.
    pub late: bool,
    pub counters: BTreeMap<String, u64>,
    pub note: Option<String>,
    pub standing: Standing,
}

/// The unit's place on its group's board after the report.
#[derive(Serialize, ToSchema)]
pub struct Standing {
    pub board: String,
    pub rank: Option<u32>,
    pub score_bp: Option<u32>,
    pub score: Option<f64>,
    pub grade: Option<String>,
    pub days_reported: Option<u32>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "thidua",
        description = "Bảng xếp hạng trực tiếp Tuần lễ thi đua thực hiện dịch vụ công trực tuyến"
    ),
    paths(
        ingest::post_report,
        ingest::get_reports,
        public::get_leaderboard,
        public::get_unit,
        public::healthz,
        public::readyz,
        events::get_events,
        operations::get_export,
        operations::get_import_template,
        operations::post_import,
        operations::get_metrics,
        admin::api_finalize,
        admin::api_freeze,
        admin::api_reopen,
    ),
    components(schemas(ErrorBody, ReportBody, ReportAccepted, Standing)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Unit and admin tokens are sent as `Authorization: Bearer TOKEN`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
