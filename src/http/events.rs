//! `GET /events`: Server-Sent Events telling live viewers that a board
//! changed. Each event carries only the competition's new version; the page
//! then fetches the board it shows (with `If-None-Match`), so one event costs
//! the server one cached board render however many viewers there are.
//!
//! Events come from `Ranking::subscribe`, which Redis pub/sub feeds across
//! instances: a report posted anywhere reaches the viewers of every instance.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::Instant;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorBody, Result};
use crate::ranking::BoardChanged;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_events))
}

/// At most one event per connection in this interval: bursts of reports
/// (a provincial system posting for every unit) become one refresh.
pub const COALESCE: Duration = Duration::from_millis(250);
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a reconnecting viewer's stream holds back versions older than
/// the one it last saw. Instances behind a load balancer share versions but
/// not boards: the instance a viewer moves to may still be a few versions
/// behind the one it left, and catches up within a coalescing interval.
/// After this, any other version is announced, so a ranking that began again
/// (an in-process ranking after a restart, an emptied Redis) still reaches
/// its viewers.
pub const CATCH_UP: Duration = Duration::from_secs(2);

fn closing() -> &'static watch::Sender<bool> {
    static CLOSING: OnceLock<watch::Sender<bool>> = OnceLock::new();
    CLOSING.get_or_init(|| watch::channel(false).0)
}

/// Ends every open event stream. A graceful shutdown waits for responses
/// to finish, and an event stream never would; browsers reconnect (with
/// `Last-Event-ID`) to another instance.
pub fn end_all_streams() {
    closing().send_replace(true);
}

#[derive(Deserialize, Default)]
pub struct EventsQuery {
    pub competition: Option<String>,
    /// The version the page was rendered with: a first connection has no
    /// `Last-Event-ID` yet, and a change between render and connect must
    /// not be lost.
    pub since: Option<String>,
}

/// Server-Sent Events: `event: board` with the new version whenever standings
/// change (at most a few per second), keep-alive comments in between.
#[utoipa::path(
    get,
    path = "/events",
    params(("competition" = Option<String>, Query), ("Last-Event-ID" = Option<String>, Header)),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn get_events(
    State(state): State<AppState>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let selected = state.catalog().competition(query.competition.as_deref())?;
    let slug = selected.record.competition.slug.clone();
    let mut versions = state.boards().subscribe(&slug);
    let current = *versions.borrow_and_update();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.since.as_deref())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // A reconnecting viewer that missed a change refreshes at once; one that
    // comes from an instance further ahead waits for this one to catch up
    // (see `CATCH_UP`), so its versions never go backwards.
    let (missed, behind_until) = match last_seen {
        Some(seen) if current > seen => (Some(current), None),
        Some(seen) if current < seen && current != 0 => (None, Some(Instant::now() + CATCH_UP)),
        _ => (None, None),
    };
    let feed = Feed {
        _viewer: crate::metrics::sse_viewer_connected(),
        closing: closing().subscribe(),
        slug,
        versions,
        pending: missed,
        behind_until,
        sent: None,
        last_version: last_seen,
    };
    let mut response = Sse::new(feed.into_stream())
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response();
    // Proxies such as nginx would otherwise hold events back in a buffer.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// One viewer's event feed: a watch on the versions the competition's
/// boards are ready for, so a change costs each viewer one wake-up and one
/// small write, whatever the number of reports behind it.
struct Feed {
    /// Counts this viewer in `thidua_sse_viewers` while the stream lives.
    _viewer: crate::metrics::SseViewer,
    closing: watch::Receiver<bool>,
    slug: String,
    versions: watch::Receiver<u64>,
    /// A version to announce before waiting for changes.
    pending: Option<u64>,
    /// Until then, versions older than `last_version` are not announced.
    behind_until: Option<Instant>,
    sent: Option<Instant>,
    last_version: Option<u64>,
}

impl Feed {
    fn into_stream(self) -> impl Stream<Item = std::result::Result<Event, Infallible>> {
        futures_util::stream::unfold(self, |mut feed| async move {
            let mut closing = feed.closing.clone();
            let version = tokio::select! {
                version = feed.next_version() => version?,
                _ = closing.wait_for(|closed| *closed) => return None,
            };
            feed.sent = Some(Instant::now());
            feed.last_version = Some(version);
            let event = Event::default()
                .event("board")
                .id(version.to_string())
                .data(
                    serde_json::to_string(&BoardChanged {
                        slug: feed.slug.clone(),
                        version,
                    })
                    .unwrap_or_default(),
                );
            Some((Ok(event), feed))
        })
    }

    /// Waits for the next version worth announcing: the latest one once the
    /// coalescing interval since the previous event has passed. `None` when
    /// the service shuts down.
    async fn next_version(&mut self) -> Option<u64> {
        loop {
            if self.pending.take().is_none() {
                match self.behind_until {
                    Some(deadline) => tokio::select! {
                        changed = self.versions.changed() => changed.ok()?,
                        _ = tokio::time::sleep_until(deadline) => self.behind_until = None,
                    },
                    None => self.versions.changed().await.ok()?,
                }
            }
            if let Some(sent) = self.sent {
                tokio::time::sleep_until(sent + COALESCE).await;
            }
            let latest = *self.versions.borrow_and_update();
            if self.last_version == Some(latest) {
                continue;
            }
            let catching_up = self.behind_until.is_some_and(|d| Instant::now() < d);
            if catching_up && self.last_version.is_some_and(|seen| latest < seen) {
                continue;
            }
            self.behind_until = None;
            return Some(latest);
        }
    }
}
