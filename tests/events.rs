//! `GET /events`: Server-Sent Events announcing board changes, on one
//! instance (SQLite, in-process ranking) and across two instances sharing
//! PostgreSQL and Redis.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use support::{Db, Rank, TestApp, counters, report, spawn_app, spawn_second_instance};

/// One parsed SSE message.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    event: String,
    id: String,
    data: String,
}

/// Reads an SSE response incrementally.
struct Events {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, last_event_id: Option<u64>) -> Events {
        let mut request = app.client.get(app.url("/events"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Events {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next `board` event, or `None` if none arrives within `within`.
    async fn next(&mut self, within: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = Message {
                    event: String::new(),
                    id: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        message.event = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        message.id = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        message.data.push_str(v.trim());
                    }
                }
                // Comments (keep-alives) carry no event.
                if !message.event.is_empty() {
                    return Some(message);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }
}

async fn version(app: &TestApp) -> u64 {
    app.state
        .ranking()
        .version(&app.competition.slug)
        .await
        .unwrap()
}

fn check(message: &Message, slug: &str) -> u64 {
    assert_eq!(message.event, "board");
    let data: Value = serde_json::from_str(&message.data).unwrap();
    assert_eq!(data["slug"], slug);
    let version = data["version"].as_u64().unwrap();
    assert_eq!(
        message.id,
        version.to_string(),
        "the event id is the version"
    );
    version
}

#[tokio::test]
async fn a_report_reaches_a_subscriber_with_the_new_version() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let mut events = Events::open(&app, None).await;
    let (status, body) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201, "{body}");
    let message = events.next(Duration::from_secs(5)).await.expect("an event");
    assert_eq!(check(&message, "lang-son-2025"), version(&app).await);
}

#[tokio::test]
async fn a_burst_of_reports_is_coalesced_into_few_events_ending_at_the_latest() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let mut events = Events::open(&app, None).await;
    let started = tokio::time::Instant::now();
    let codes: Vec<String> = app.tokens.keys().take(30).cloned().collect();
    let posts = codes.iter().map(|code| {
        let app = &app;
        async move {
            let (status, body) = app
                .post_report(code, &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
                .await;
            assert_eq!(status, 201, "{body}");
        }
    });
    futures_util::future::join_all(posts).await;
    let latest = version(&app).await;
    let mut seen = Vec::new();
    while let Some(message) = events.next(Duration::from_millis(800)).await {
        seen.push(check(&message, "lang-son-2025"));
        if seen.last() == Some(&latest) {
            break;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(
        seen.last(),
        Some(&latest),
        "the last event carries the latest version: {seen:?}"
    );
    // At most one event per 250 ms, plus the first one.
    let allowed = (elapsed.as_millis() / 250) as usize + 1;
    assert!(
        seen.len() <= allowed && seen.len() < codes.len(),
        "{} events in {elapsed:?} for {} reports: {seen:?}",
        seen.len(),
        codes.len()
    );
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "versions only grow: {seen:?}"
    );
}

#[tokio::test]
async fn last_event_id_replays_a_missed_change_and_nothing_else() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let current = version(&app).await;
    assert!(current > 0);

    // A viewer that saw an older version is told at once.
    let mut behind = Events::open(&app, Some(current - 1)).await;
    let message = behind
        .next(Duration::from_secs(2))
        .await
        .expect("an immediate event");
    assert_eq!(check(&message, "lang-son-2025"), current);

    // A viewer that is up to date hears only of later changes.
    let mut current_viewer = Events::open(&app, Some(current)).await;
    assert_eq!(current_viewer.next(Duration::from_millis(400)).await, None);
    let (status, _) = app
        .post_report("06001", &report("2025-10-06", counters(1, 1, 0, 0, 1, 1)))
        .await;
    assert_eq!(status, 201);
    let message = current_viewer
        .next(Duration::from_secs(5))
        .await
        .expect("an event");
    assert!(check(&message, "lang-son-2025") > current);
}

/// A viewer moving from an instance further ahead is not sent back to an
/// older board: older versions wait while the instance may catch up, and
/// are announced after that (the ranking may have begun again).
#[tokio::test]
async fn a_viewer_from_further_ahead_is_not_sent_back_until_catch_up_ends() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let current = version(&app).await;
    app.state.boards().settled(&app.competition.slug).await;
    let opened = std::time::Instant::now();
    let mut ahead = Events::open(&app, Some(current + 1000)).await;
    let message = ahead
        .next(thidua::http::events::CATCH_UP + Duration::from_secs(3))
        .await
        .expect("the current version once catching up ends");
    assert!(
        opened.elapsed() >= thidua::http::events::CATCH_UP,
        "held back for {:?}",
        opened.elapsed()
    );
    assert_eq!(check(&message, "lang-son-2025"), current);
}

#[tokio::test]
async fn a_change_between_page_render_and_connection_is_not_lost() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let rendered = version(&app).await;
    let (status, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let response = app.get(&format!("/events?since={rendered}")).await;
    let mut events = Events {
        body: Box::pin(response.bytes_stream()),
        buffer: String::new(),
    };
    let message = events
        .next(Duration::from_secs(2))
        .await
        .expect("an immediate event");
    assert_eq!(check(&message, "lang-son-2025"), version(&app).await);
}

#[tokio::test]
async fn events_for_an_unknown_competition_are_a_404() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let r = app.get("/events?competition=khong-co").await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_report_posted_to_one_instance_reaches_viewers_of_another() {
    let backends: Vec<_> = support::backends()
        .into_iter()
        .filter(|b| *b == (Db::Postgres, Rank::Redis))
        .collect();
    if backends.is_empty() {
        eprintln!("note: skipping: needs TEST_DATABASE_URL and TEST_REDIS_URL");
        return;
    }
    let first = spawn_app((Db::Postgres, Rank::Redis)).await;
    let second = spawn_second_instance(&first).await;
    let mut events = Events::open(&second, None).await;
    let (status, body) = first
        .post_report("06040", &report("2025-10-06", counters(10, 9, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201, "{body}");
    // One report may move the version more than once; the viewer ends up
    // told of the latest.
    let latest = version(&first).await;
    let mut announced = 0;
    while announced != latest {
        let message = events
            .next(Duration::from_secs(5))
            .await
            .expect("the second instance's viewer hears of the report");
        announced = check(&message, "lang-son-2025");
    }
    // And the board the viewer then fetches from the second instance shows it.
    let board = second.board("all", None).await;
    assert!(
        board["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["unit"]["code"] == "06040"),
        "{board}"
    );
}

#[tokio::test]
async fn open_streams_are_counted_as_viewers_in_metrics() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let _events = Events::open(&app, None).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let viewers: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("thidua_sse_viewers "))
        .expect("thidua_sse_viewers in /metrics")
        .trim()
        .parse()
        .unwrap();
    assert!(viewers >= 1.0, "{viewers}");
}
