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
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::Result;
use crate::ranking::BoardChanged;
use crate::state::AppState;

/// At most one event per connection in this interval: bursts of reports
/// (a provincial system posting for every unit) become one refresh.
pub const COALESCE: Duration = Duration::from_millis(250);
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
    responses((status = 200, description = "An event stream", content_type = "text/event-stream"))
)]
pub async fn get_events(
    State(state): State<AppState>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let selected = state.competition(query.competition.as_deref())?;
    let slug = selected.record.competition.slug.clone();
    // Subscribe before reading the version, so no change falls in between.
    let changes = state.ranking().subscribe();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.since.as_deref())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // A reconnecting viewer that missed a change refreshes at once. "Differs"
    // rather than "older": after a restart of an in-process ranking the
    // version starts again from zero.
    let missed = match (last_seen, state.ranking().version(&slug).await) {
        (Some(seen), Ok(current)) if seen != current => Some(current),
        _ => None,
    };
    let feed = Feed {
        _viewer: crate::metrics::sse_viewer_connected(),
        closing: closing().subscribe(),
        state,
        slug,
        changes,
        pending: missed,
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

/// One viewer's event feed.
struct Feed {
    /// Counts this viewer in `thidua_sse_viewers` while the stream lives.
    _viewer: crate::metrics::SseViewer,
    closing: watch::Receiver<bool>,
    state: AppState,
    slug: String,
    changes: broadcast::Receiver<BoardChanged>,
    /// A version to announce before waiting for changes.
    pending: Option<u64>,
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
                .data(json!({"slug": feed.slug, "version": version}).to_string());
            Some((Ok(event), feed))
        })
    }

    /// Waits for the next version worth announcing: the latest one once the
    /// coalescing interval since the previous event has passed. `None` when
    /// the ranking shuts down.
    async fn next_version(&mut self) -> Option<u64> {
        loop {
            let mut latest = match self.pending.take() {
                Some(v) => v,
                None => self.wait_for_change().await?,
            };
            if let Some(sent) = self.sent {
                tokio::time::sleep_until(sent + COALESCE).await;
            }
            loop {
                match self.changes.try_recv() {
                    Ok(change) if change.slug == self.slug => latest = latest.max(change.version),
                    Ok(_) => {}
                    Err(TryRecvError::Lagged(_)) => {
                        if let Ok(v) = self.state.ranking().version(&self.slug).await {
                            latest = latest.max(v);
                        }
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            if self.last_version != Some(latest) {
                return Some(latest);
            }
        }
    }

    async fn wait_for_change(&mut self) -> Option<u64> {
        loop {
            match self.changes.recv().await {
                Ok(change) if change.slug == self.slug => return Some(change.version),
                Ok(_) => {}
                // Too slow to keep up: what matters is only the newest version.
                Err(RecvError::Lagged(_)) => {
                    if let Ok(v) = self.state.ranking().version(&self.slug).await {
                        return Some(v);
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
