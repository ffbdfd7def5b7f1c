//! Extractors: JSON bodies whose rejections are `AppError`s, credentials,
//! and the client's address.

use std::net::SocketAddr;

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use bytes::Bytes;
use serde_json::Value;

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Unit;
use crate::token;

/// A JSON body as a `Value`: 415 without a JSON content type, 413 over the
/// limit, 400 if it does not parse. Typed checks (422) are the handler's.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "Nội dung phải là JSON (Content-Type: application/json)".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("Không đọc được nội dung yêu cầu".into())
                }
            })?;
        let value = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::BadRequest(format!(
                "JSON không hợp lệ: dòng {}, cột {}",
                e.line(),
                e.column()
            ))
        })?;
        Ok(JsonBody(value))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

/// Whoever presents a bearer token: a unit, or an organiser.
#[derive(Debug, Clone)]
pub enum Principal {
    Unit(Unit),
    Organizer(String),
}

impl Principal {
    /// The key idempotency records are stored under.
    pub fn id(&self) -> String {
        match self {
            Principal::Unit(u) => format!("unit:{}", u.id),
            Principal::Organizer(name) => format!("admin:{name}"),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| {
            AppError::Unauthorized("Thiếu mã truy cập (Authorization: Bearer …)".into())
        })?;
        let hash = token::hash(token);
        if let Some(unit) = state.store().unit_by_token_hash(&hash).await? {
            return Ok(Principal::Unit(unit));
        }
        if let Some(name) = state.store().admin_by_token_hash(&hash).await? {
            return Ok(Principal::Organizer(name));
        }
        Err(AppError::Unauthorized("Mã truy cập không hợp lệ".into()))
    }
}

/// A unit's bearer token.
pub struct UnitAuth(pub Unit);

impl FromRequestParts<AppState> for UnitAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Unit(u) => Ok(UnitAuth(u)),
            Principal::Organizer(_) => Err(AppError::Forbidden(
                "Chức năng này dành cho đơn vị báo cáo".into(),
            )),
        }
    }
}

/// An organiser's API token.
pub struct AdminAuth(pub String);

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // Without a bearer token, an organiser's web session will do.
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && let Some(name) = crate::session::admin_from_request(parts, state).await?
        {
            return Ok(AdminAuth(name));
        }
        match Principal::from_request_parts(parts, state).await? {
            Principal::Organizer(name) => Ok(AdminAuth(name)),
            Principal::Unit(_) => Err(AppError::Forbidden(
                "Chức năng này dành cho Ban tổ chức".into(),
            )),
        }
    }
}

/// The peer address, when the server was started with connect info.
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}
