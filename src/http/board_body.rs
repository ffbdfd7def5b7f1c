//! Answering with a body a board keeps (a JSON window, a page of `/`): its
//! ETag and `304 Not Modified`, and the compressed form the client takes,
//! made once per board version rather than once per request.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::boards::Body;

/// The answer to a request for `body`, of type `content_type`, whose
/// content depends on the request headers named in `vary`.
pub fn answer(
    headers: &HeaderMap,
    body: Body,
    content_type: &'static str,
    vary: &'static str,
) -> Response {
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == body.etag || t.trim() == "*")
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let encoding = body.encoded.as_ref().zip(accepted(headers));
        let bytes = match encoding {
            Some((e, "br")) => e.br(),
            Some((e, _)) => e.gzip(),
            None => body.bytes,
        };
        let mut response = bytes.into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some((_, name)) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        response
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&body.etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static(vary));
    response
}

/// Which of the kept encodings the client takes, best first.
fn accepted(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let takes = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';');
            pieces
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                && !pieces.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q == 0.0)
                })
        })
    };
    if takes("br") {
        Some("br")
    } else if takes("gzip") {
        Some("gzip")
    } else {
        None
    }
}
