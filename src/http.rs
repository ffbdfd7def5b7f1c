//! The web service: [`router`] builds every route; [`serve`] binds it.
//!
//! One module a feature: the JSON API ([`reports`], [`leaderboard`],
//! [`events`], [`exports`], [`operations`], the organiser's [`admin::api`]),
//! each registering its routes with their OpenAPI description; the pages
//! ([`pages`], [`report_form`], [`admin`]) on the toolkit in [`page`];
//! credentials and bodies in [`extract`], sessions in [`session`], the JSON
//! shapes in [`schema`].

pub mod admin;
pub mod board_body;
pub mod events;
pub mod exports;
pub mod extract;
pub mod leaderboard;
pub mod openapi;
pub mod operations;
pub mod page;
pub mod pages;
pub mod report_form;
pub mod reports;
pub mod schema;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::DeadlineBody;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, ErrorBody, ErrorDetail, ErrorDetails};
use crate::state::AppState;
use extract::{ClientIp, client_address};

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What pages may load and who may frame them. Scripts and styles come
/// from the service itself; styles may also be inline (the bars' widths
/// are `style` attributes, the printable pages carry their own `<style>`),
/// scripts never — except the print buttons' `window.print()` handler,
/// allowed by its hash alone. No page may be framed (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-hashes' 'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let (api, description) = OpenApiRouter::with_openapi(openapi::base())
        .merge(reports::routes())
        .merge(leaderboard::routes())
        .merge(events::routes())
        .merge(exports::routes())
        .merge(operations::routes())
        .merge(admin::api::routes())
        .split_for_parts();
    let description = Arc::new(openapi::complete(description));
    let routes = Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let description = description.clone();
                async move { Json(description.as_ref().clone()) }
            }),
        )
        .merge(pages::routes())
        .merge(report_form::routes(&state))
        .merge(admin::routes(&state))
        .merge(exports::pages())
        .fallback(|| async { AppError::NotFound("Không tìm thấy".into()) });
    protect(routes, &state).with_state(state)
}

/// The layers every route is served through, innermost first: the body
/// limit, compression, metrics; then what no handler can be trusted to do
/// itself — errors in the API's JSON shape even when axum answered before
/// any handler ran, the client's address, text and time limits on what
/// the request carries, security headers, and a panic turned into a JSON
/// 500 rather than a dropped connection.
pub fn protect(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    routes
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Text answers compressed when the client takes it; the leaderboard's
        // prepared windows come compressed already and are left alone.
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(crate::metrics::track_request))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page::errors::for_browsers,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(TraceLayer::new_for_http())
}

/// Before any handler: who the client is (through trusted proxies), text
/// in the path and query that no database can store (422 naming the
/// parameter), and a deadline on the body so that a client sending it
/// byte by byte does not hold the request forever.
async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let config = state.config();
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = client_address(peer.ip(), request.headers(), &config.trusted_proxies);
        request.extensions_mut().insert(ClientIp(ip));
    }
    if let Err(e) = check_uri(request.uri()) {
        return e.into_response();
    }
    let path = request.uri().path();
    // An import file or a batch may be 16 MiB from a provincial office's line.
    let large = [
        "/api/v1/admin/import",
        "/admin/import",
        "/api/v1/reports/batch",
    ];
    let seconds = if large.contains(&path) {
        config.body_timeout.saturating_mul(10)
    } else {
        config.body_timeout
    };
    let deadline = Duration::from_secs(seconds.max(1));
    let request = request.map(|body| Body::new(DeadlineBody::new(deadline, body)));
    next.run(request).await
}

/// The path and every query parameter, decoded, must be storable text.
fn check_uri(uri: &axum::http::Uri) -> Result<(), AppError> {
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    crate::text::check("path", &path)?;
    if let Some(query) = uri.query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let name = if crate::text::has_refused(&name) {
                "query".into()
            } else {
                name
            };
            crate::text::check(&name, &value)?;
        }
    }
    Ok(())
}

/// Refusals that did not come from our handlers — axum's own (a path or
/// query that does not parse, a method the route does not have), or a
/// bare status — are given the API's JSON error shape, keeping their
/// status and headers (`Allow` on 405). Pages' HTML refusals stay pages.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<ErrorDetails>().is_some()
    {
        return response;
    }
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Some(AppError::PayloadTooLarge { limit: BODY_LIMIT }),
        _ => AppError::from_status(status),
    };
    let Some(error) = error.filter(|_| !html) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let fresh = error.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    let (fresh_parts, body) = fresh.into_parts();
    for (name, value) in &fresh_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    parts.extensions.extend(fresh_parts.extensions);
    Response::from_parts(parts, body)
}

/// The last resort: a panic anywhere under a handler answers a JSON 500.
/// The panic itself was already logged once, by the panic hook (see
/// `log_panics`), with its message and place.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "internal".into(),
            message: "Lỗi hệ thống".into(),
            fields: None,
            items: None,
        },
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// Sends panics (with their place) to the log as one line, instead of
/// stderr's several. Installed by the service's command, not by tests,
/// whose failures must stay readable.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = %message, at = %place, "panic");
    }));
}

/// Connections served at once: the configured cap, kept below the
/// open-file limit (raised to its maximum first) with room for the
/// database pool, Redis, files and the listener — so `accept` never fails
/// for lack of descriptors and `/healthz` keeps answering.
fn connection_cap(configured: usize) -> usize {
    const RESERVED: u64 = 256;
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit; assuming 1024");
            1024
        }
    };
    let room = usize::try_from(files.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
    let cap = configured.min(room).max(1);
    if cap < configured {
        tracing::warn!(
            configured,
            cap,
            open_files = files,
            "THIDUA_MAX_CONNECTIONS lowered below the open-file limit"
        );
    }
    cap
}

/// Serves until ctrl-c / SIGTERM, finishing requests in flight, with the
/// ranking's upkeep running beside it.
///
/// Connections are HTTP/1.1 (TLS ends at the load balancer, which speaks
/// HTTP/1.1 to the instances): hyper's header read timeout bounds both a
/// request's headers and an idle keep-alive connection, a body gets its
/// deadline in [`guard`], and at most `max_connections` are open at once —
/// past that, new ones wait in the listen queue until one ends. Live
/// viewers' streams send a comment every 15 s and are not cut by any of it.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<()> {
    state.sync().spawn_upkeep();
    state.boards().spawn();
    let config = state.config().clone();
    let app = router(state);
    let slots = Arc::new(Semaphore::new(connection_cap(config.max_connections)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.header_timeout.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot?,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(request.map(Body::new))
            });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    events::end_all_streams();
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open 30 s after shutdown began; closing them");
        }
    }
    Ok(())
}

/// A failed `accept`: a connection that died in the queue is nothing; out
/// of descriptors (which the cap should prevent) waits a moment for some
/// to close rather than spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
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
