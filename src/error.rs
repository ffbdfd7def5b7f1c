//! The one error type of the request path. Its `IntoResponse` is the only
//! place that picks status codes and writes the JSON error shape of the API.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Field path → Vietnamese message, e.g. `counters.received_online`.
pub type FieldErrors = BTreeMap<String, String>;

/// `{"error": {...}}`: every refusal of the JSON API has this shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `request_timeout`, `day_closed`,
    /// `competition_final`, `idempotency_conflict`, `payload_too_large`,
    /// `unsupported_media_type`, `validation`, `rate_limited`, `unavailable`,
    /// `internal`.
    pub code: String,
    /// In Vietnamese.
    pub message: String,
    /// Field path (e.g. `counters.received_online`) → message; validation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
    /// A refused batch: what is wrong with each item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemError>>,
}

/// What is wrong with one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// The item's position in `reports`, from 0.
    pub index: usize,
    /// The unit code the item gave, if any.
    pub unit: Option<String>,
    /// The field within the item, e.g. `counters.received_online` or `day`.
    pub field: String,
    /// `validation`, `day_closed`, `duplicate`, `unknown_unit`…
    pub code: String,
    /// In Vietnamese.
    pub message: String,
}

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
    /// The body is over `limit` bytes (64 KiB for JSON and forms, 16 MiB
    /// for an import file): the message says which.
    #[error("Nội dung yêu cầu quá lớn (tối đa {})", size(*.limit))]
    PayloadTooLarge { limit: usize },
    /// The route exists, not with this method.
    #[error("Phương thức không được hỗ trợ cho địa chỉ này")]
    MethodNotAllowed,
    /// The body did not arrive in time (a slow or stalled client).
    #[error("Nội dung yêu cầu đến quá chậm")]
    RequestTimeout,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    /// A batch refused as a whole for what is wrong with some items (422).
    #[error("Lô báo cáo không hợp lệ: {} mục có lỗi, không mục nào được ghi", .0.iter().map(|e| e.index).collect::<std::collections::BTreeSet<_>>().len())]
    Items(Vec<ItemError>),
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

    /// The error a bare status stands for: what axum's own rejections
    /// (a malformed path or query, a method the route lacks) and the
    /// connection layers answer with, before any handler ran. `None` for
    /// statuses no client causes this way. (413 names its limit, which the
    /// HTTP layer knows: see `http`.)
    pub fn from_status(status: StatusCode) -> Option<AppError> {
        Some(match status {
            StatusCode::BAD_REQUEST => AppError::BadRequest(
                "Yêu cầu không hợp lệ (đường dẫn, tham số hoặc nội dung sai dạng)".into(),
            ),
            StatusCode::UNAUTHORIZED => AppError::Unauthorized("Cần mã truy cập".into()),
            StatusCode::FORBIDDEN => AppError::Forbidden("Không được phép".into()),
            StatusCode::NOT_FOUND => AppError::NotFound("Không tìm thấy".into()),
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => AppError::RequestTimeout,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                AppError::UnsupportedMediaType("Kiểu nội dung không được hỗ trợ".into())
            }
            StatusCode::UNPROCESSABLE_ENTITY => AppError::validation(FieldErrors::new()),
            StatusCode::INTERNAL_SERVER_ERROR => {
                AppError::Internal(anyhow::anyhow!("an error response without details"))
            }
            _ => return None,
        })
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation { .. } | AppError::Items(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::RequestTimeout => "request_timeout",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation { .. } | AppError::Items(_) => "validation",
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

/// What a field holding a character no text may carry is told
/// (`crate::text` checks every text on the way in).
pub const TEXT_REFUSED: &str = "Không được chứa ký tự điều khiển (như U+0000)";

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else if crate::store::is_unstorable_text(&e) {
            // Every text is checked on the way in (`crate::text`); should one
            // slip through, PostgreSQL's refusal is still the client's fault.
            tracing::warn!(error = %e, "text the database cannot store reached it");
            AppError::field("text", TEXT_REFUSED)
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
        let fields = match &self {
            AppError::Validation { fields, .. } => fields.clone(),
            AppError::Items(items) => items
                .iter()
                .map(|e| {
                    (
                        format!("reports[{}].{}", e.index, e.field),
                        e.message.clone(),
                    )
                })
                .collect(),
            _ => FieldErrors::new(),
        };
        let items = match &self {
            AppError::Items(items) => Some(items.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.public_message(),
                fields: matches!(self, AppError::Validation { .. } | AppError::Items(_))
                    .then(|| fields.clone()),
                items,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
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
        response.extensions_mut().insert(ErrorDetails {
            code: self.code(),
            message: self.public_message(),
            fields,
            retry_after,
        });
        response
    }
}

/// `n` bytes as people read a limit: `64 KiB`, `16 MiB`.
fn size(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} byte")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_too_large_body_is_told_its_own_limit() {
        let json = AppError::PayloadTooLarge { limit: 64 * 1024 };
        let import = AppError::PayloadTooLarge {
            limit: 16 * 1024 * 1024,
        };
        assert!(json.public_message().ends_with("(tối đa 64 KiB)"));
        assert!(import.public_message().ends_with("(tối đa 16 MiB)"));
    }
}
