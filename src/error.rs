//! The one error type of the request path. Its `IntoResponse` is the only
//! place that picks status codes and writes the JSON error shape of the API.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Field path → Vietnamese message, e.g. `counters.received_online`.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// 409 with a machine-readable code: `day_closed`, `competition_final`,
    /// `idempotency_conflict`, `has_reports`…
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("Nội dung yêu cầu quá lớn (tối đa 64 KiB)")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    #[error("Quá nhiều yêu cầu, vui lòng thử lại sau {retry_after} giây")]
    RateLimited { retry_after: u64 },
    /// The database (or another dependency that writes need) is unreachable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn validation(fields: FieldErrors) -> Self {
        AppError::Validation {
            message: "Dữ liệu không hợp lệ".into(),
            fields,
        }
    }

    pub fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(path.into(), message.into());
        Self::validation(fields)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation { .. } => "validation",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message shown to clients: never internal details.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unavailable(_) => {
                "Hệ thống lưu trữ tạm thời không sẵn sàng, vui lòng thử lại sau".into()
            }
            AppError::Internal(_) => "Lỗi hệ thống".into(),
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(e.into())
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %e, "storage unavailable"),
            _ => {}
        }
        let mut error = json!({"code": self.code(), "message": self.public_message()});
        if let AppError::Validation { fields, .. } = &self {
            error["fields"] = json!(fields);
        }
        let mut response = (status, axum::Json(json!({ "error": error }))).into_response();
        let retry_after = match &self {
            AppError::RateLimited { retry_after } => Some(*retry_after),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        let fields = match &self {
            AppError::Validation { fields, .. } => fields.clone(),
            _ => FieldErrors::new(),
        };
        response.extensions_mut().insert(ErrorDetails {
            code: self.code(),
            message: self.public_message(),
            fields,
            retry_after,
        });
        response
    }
}

/// What an error response says, kept on it (as an extension) so that the
/// HTML pages can tell it in their own form without reading the JSON back.
#[derive(Debug, Clone)]
pub struct ErrorDetails {
    pub code: &'static str,
    pub message: String,
    pub fields: FieldErrors,
    pub retry_after: Option<u64>,
}
