//! Extractors: JSON bodies whose rejections are `AppError`s, credentials,
//! and the client's address (through the trusted proxies).

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use bytes::Bytes;
use ipnet::IpNet;
use serde::de::DeserializeOwned;

use super::session;
use crate::catalog::Selected;
use crate::error::AppError;
use crate::scope::Organizer;
use crate::state::AppState;
use crate::store::{Integration, Unit};
use crate::token;

/// A JSON body read into `T`: 415 without a JSON content type, 413 over the
/// limit, 400 if it does not parse or is not the shape `T` wants. What the
/// values mean (422) is for the domain to say. `LIMIT` is the route's body
/// limit, named in the 413.
pub struct JsonBody<T, const LIMIT: usize = { crate::http::BODY_LIMIT }>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S>
    for JsonBody<T, LIMIT>
{
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
            .map_err(|e| body_refused(&e, LIMIT))?;
        let malformed = |e: serde_json::Error| {
            AppError::BadRequest(match e.classify() {
                serde_json::error::Category::Data => {
                    "Nội dung phải là một đối tượng JSON đúng dạng".to_string()
                }
                _ => format!("JSON không hợp lệ: dòng {}, cột {}", e.line(), e.column()),
            })
        };
        // Read once as a value, so that every string in it is checked
        // (`crate::text`) before any field is taken from it.
        // A batch of 16 MiB takes a while: read off the runtime's workers.
        crate::cpu::heavy(|| {
            let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(malformed)?;
            crate::text::check_json(&value)?;
            T::deserialize(value).map(JsonBody).map_err(malformed)
        })
    }
}

/// Why a body could not be read: over `limit` (413), too slow (408), or
/// cut off (400).
pub fn body_refused(e: &BytesRejection, limit: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge { limit }
    } else if timed_out(e) {
        AppError::RequestTimeout
    } else {
        AppError::BadRequest("Không đọc được nội dung yêu cầu".into())
    }
}

/// Whether the body's deadline (`http::BodyDeadline`) ended the read.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The query string read into `T`; a malformed one is a 400.
pub async fn query<T: DeserializeOwned + Send, S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<T, AppError> {
    axum::extract::Query::<T>::from_request_parts(parts, state)
        .await
        .map(|q| q.0)
        .map_err(|_| AppError::BadRequest("Tham số truy vấn không hợp lệ".into()))
}

/// The bearer token of a request, if it has a sensible one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

/// Whoever presents a bearer token: a unit, an organiser, or the
/// province's information system (an integration).
#[derive(Debug, Clone)]
pub enum Principal {
    Unit(Unit),
    /// An organiser, with what they may act on.
    Organizer(Organizer),
    Integration(Integration),
}

impl Principal {
    /// The key idempotency records and rate limits are kept under.
    pub fn id(&self) -> String {
        match self {
            Principal::Unit(u) => format!("unit:{}", u.id),
            Principal::Organizer(o) => format!("organizer:{}", o.name),
            Principal::Integration(i) => format!("integration:{}", i.id),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| {
            AppError::Unauthorized("Thiếu mã truy cập (Authorization: Bearer …)".into())
        })?;
        // Access codes are looked up however they were typed (token.rs).
        let hash = token::lookup_hash(token);
        if let Some(unit) = state.store().unit_by_token_hash(&hash).await? {
            return Ok(Principal::Unit(unit));
        }
        if let Some(name) = state
            .store()
            .organizer_by_token_hash(&hash, state.now())
            .await?
        {
            let scope = state.store().organizer_scope(&name).await?;
            return Ok(Principal::Organizer(Organizer { name, scope }));
        }
        let now = state.clock().now();
        if let Some(integration) = state.store().integration_by_token_hash(&hash, now).await? {
            return Ok(Principal::Integration(integration));
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
            Principal::Organizer(_) | Principal::Integration(_) => Err(AppError::Forbidden(
                "Chức năng này dành cho đơn vị báo cáo".into(),
            )),
        }
    }
}

/// An organiser, by API token or by web session, for the organiser's JSON
/// endpoints and downloads, with what they may act on; the answer to anyone
/// else is a JSON error.
pub struct OrganizerAuth(pub Organizer);

impl OrganizerAuth {
    /// The competition a request names (else the current one among the
    /// organiser's): 403 if it is not theirs.
    pub fn competition(&self, state: &AppState, slug: Option<&str>) -> Result<Selected, AppError> {
        state.catalog().competition_for(&self.0.scope, slug)
    }
}

impl FromRequestParts<AppState> for OrganizerAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // Without a bearer token, an organiser's web session will do.
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && let Some(name) = session::organizer_from_request(parts, state).await?
        {
            let scope = state.store().organizer_scope(&name).await?;
            return Ok(OrganizerAuth(Organizer { name, scope }));
        }
        match Principal::from_request_parts(parts, state).await? {
            Principal::Organizer(organizer) => Ok(OrganizerAuth(organizer)),
            Principal::Unit(_) | Principal::Integration(_) => Err(AppError::Forbidden(
                "Chức năng này dành cho Ban tổ chức".into(),
            )),
        }
    }
}

/// The province's information system, by its integration token.
pub struct IntegrationAuth(pub Integration);

impl FromRequestParts<AppState> for IntegrationAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Integration(i) => Ok(IntegrationAuth(i)),
            Principal::Unit(_) | Principal::Organizer(_) => Err(AppError::Forbidden(
                "Gửi theo lô cần mã tích hợp do Ban tổ chức cấp".into(),
            )),
        }
    }
}

/// The peer address, when the server was started with connect info.
/// The client's address as [`client_address`] worked it out (an extension
/// the router's address layer puts on every request).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// The client's address, for rate limits and the audit log: the peer, or —
/// when the peer is a trusted proxy — the address it says it forwarded for.
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        });
        Ok(ClientAddr(ip.map(|ip| ip.to_string())))
    }
}

/// Who sent a request that reached us from `peer`. Proxies append the
/// address they received from to `Forwarded` (RFC 7239) or
/// `X-Forwarded-For`; read from the right, each hop that is a trusted proxy
/// passes the word to the one before it, and the first untrusted hop is
/// the client. Whatever a client wrote there itself stays left of that, so
/// it cannot choose its own address. Without trusted proxies the headers
/// are never read.
pub fn client_address(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = if headers.contains_key(header::FORWARDED) {
        forwarded_for(headers)
    } else {
        x_forwarded_for(headers)
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        // A hop that is not an address (`unknown`, garbage): the trusted
        // proxy that wrote it is as far as we can see.
        let Some(ip) = hop else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// `X-Forwarded-For: client, proxy1, proxy2` (every such header, in order).
fn x_forwarded_for(headers: &axum::http::HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or(",").split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"`.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(header::FORWARDED)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or(",").split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, node)| parse_node(node.trim().trim_matches('"')))
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.60`, `192.0.2.60:4711`,
/// `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|ip| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let xff = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        // From a stranger the header is ignored.
        assert_eq!(
            client_address(ip("192.0.2.1"), &xff, &trusted),
            ip("192.0.2.1")
        );
        // Without trusted proxies too.
        assert_eq!(client_address(ip("10.0.0.2"), &xff, &[]), ip("10.0.0.2"));
        // From the balancer: the rightmost hop it did not add itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &xff, &trusted),
            ip("198.51.100.7")
        );
        // A chain of trusted proxies is walked through.
        let chain = headers(&[("x-forwarded-for", "198.51.100.7, 10.1.1.1")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last trusted hop.
        let junk = headers(&[("x-forwarded-for", "evil, 10.1.1.1")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &junk, &trusted),
            ip("10.1.1.1")
        );
        // No header at all: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let fwd = headers(&[(
            "forwarded",
            "for=203.0.113.9;proto=https, for=\"[2001:db8::1]:4711\";by=10.0.0.2",
        )]);
        assert_eq!(client_address(ip("::1"), &fwd, &trusted), ip("2001:db8::1"));
        assert_eq!(parse_node("192.0.2.60:4711"), Some(ip("192.0.2.60")));
        assert_eq!(parse_node("unknown"), None);
    }
}
