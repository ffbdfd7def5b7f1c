//! The read path: boards rebuilt in the background while reports stream in
//! are always whole boards (never a half-patched mix), the last one equals
//! the reference computation from the store, and the windows a national
//! board needs (`around`, `q`, paging over the unranked) and its compressed
//! forms say the same as the whole board.

mod support;

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use support::{TestApp, backends, counters, report, spawn_app};
use thidua::boards::Viewer;
use thidua::competition::{Board, Status};
use thidua::leaderboard::{self, BoardSpec};
use thidua::ranking::{Period, sync};

const DAY: &str = "2025-10-06";
const ROUNDS: u64 = 6;

/// The figures of a unit's `k`-th post: its online count tells `k` apart.
fn figures(k: u64) -> Value {
    counters(20, 10 + k, 4, 2, 10, 5 + k / 2)
}

/// Checks that a board is whole: ranks follow scores, totals are the sums
/// of its lines, every unit is on it once; returns each unit's post number.
fn check_whole(board: &Value, units: usize) -> HashMap<String, u64> {
    let entries = board["entries"].as_array().unwrap();
    let unranked = board["unranked"].as_array().unwrap();
    assert_eq!(entries.len() + unranked.len(), units, "every unit once");
    assert_eq!(board["total_entries"], entries.len());
    let mut posts = HashMap::new();
    let mut sums = [0u64; 2];
    let mut previous: Option<(u64, String)> = None;
    for e in entries {
        let score = e["score_bp"].as_u64().unwrap();
        let code = e["unit"]["code"].as_str().unwrap().to_string();
        if let Some((s, c)) = &previous {
            assert!(*s > score || (*s == score && *c < code), "board order");
        }
        let better = entries
            .iter()
            .filter(|o| o["score_bp"].as_u64().unwrap() > score);
        assert_eq!(
            e["rank"].as_u64().unwrap(),
            better.count() as u64 + 1,
            "shared rank"
        );
        let online = e["criteria"]["online_submission"]["numerator"]
            .as_u64()
            .unwrap();
        sums[0] += online;
        sums[1] += e["criteria"]["online_submission"]["denominator"]
            .as_u64()
            .unwrap();
        posts.insert(code.clone(), online - 10);
        previous = Some((score, code));
    }
    let totals = &board["totals"]["criteria"]["online_submission"];
    assert_eq!(totals["numerator"].as_u64().unwrap(), sums[0], "totals");
    assert_eq!(totals["denominator"].as_u64().unwrap(), sums[1], "totals");
    assert_eq!(board["totals"]["reported"], entries.len());
    posts
}

#[tokio::test]
async fn a_board_served_while_reports_stream_in_is_always_one_that_existed() {
    for backend in backends() {
        let app = Arc::new(spawn_app(backend).await);
        let units: Vec<String> = app.tokens.keys().cloned().collect();
        let count = units.len();
        let done = Arc::new(AtomicBool::new(false));
        // Four writers, each posting its units' figures round after round.
        let mut writers = Vec::new();
        for part in units.chunks(count.div_ceil(4)) {
            let (app, part) = (app.clone(), part.to_vec());
            writers.push(tokio::spawn(async move {
                for k in 1..=ROUNDS {
                    for code in &part {
                        let (status, body) = app.post_report(code, &report(DAY, figures(k))).await;
                        assert!(status == 200 || status == 201, "{status} {body}");
                    }
                }
            }));
        }
        // A reader, as fast as it can, without waiting for the boards.
        let reader = {
            let (app, done) = (app.clone(), done.clone());
            tokio::spawn(async move {
                let mut boards = 0;
                let mut last_version = 0;
                let mut seen: HashMap<String, u64> = HashMap::new();
                while !done.load(Ordering::SeqCst) || boards < 5 {
                    let r = app
                        .client
                        .get(app.url("/api/v1/leaderboard?board=all"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let board: Value = r.json().await.unwrap();
                    let version = board["version"].as_u64().unwrap();
                    assert!(version >= last_version, "versions never go back");
                    last_version = version;
                    for (code, k) in check_whole(&board, count) {
                        assert!(k <= ROUNDS);
                        // A later board never shows an older state of a unit.
                        let before = seen.insert(code.clone(), k).unwrap_or(0);
                        assert!(k >= before, "{code}: post {k} after post {before}");
                    }
                    boards += 1;
                }
                boards
            })
        };
        for w in writers {
            w.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let boards = reader.await.unwrap();
        assert!(boards >= 5, "{backend:?}: the reader saw {boards} boards");

        // The last board equals the reference computation from the store.
        app.settle().await;
        let (_, served) = app.get_json("/api/v1/leaderboard?board=all").await;
        let selected = app.state.catalog().competition(None).unwrap();
        let reports = app
            .state
            .store()
            .current_reports(selected.record.id)
            .await
            .unwrap();
        let entries = sync::period_entries(
            &selected.record.competition,
            &selected.units,
            &reports,
            Period::Whole,
        );
        let reference = leaderboard::build(&BoardSpec {
            selected: &selected,
            board: &Board::All,
            period: Period::Whole,
            entries: &entries,
            version: 0,
            status: Status::Open,
            as_of: thidua::clock::Clock::now(app.clock.as_ref()),
            previous_ranks: None,
        });
        let reference = serde_json::to_value(&reference).unwrap();
        for key in ["entries", "unranked", "totals", "total_entries"] {
            assert_eq!(served[key], reference[key], "{backend:?}: {key}");
        }
        for (code, k) in check_whole(&served, count) {
            assert_eq!(k, ROUNDS, "{code} shows its last figures");
        }
    }
}

/// A board with ranked and unranked units, settled.
async fn mixed(app: &TestApp) {
    for (i, code) in ["06040", "06001", "SNV", "STC", "SXD"].iter().enumerate() {
        let online = 5 + i as u64;
        let (s, _) = app
            .post_report(code, &report(DAY, counters(10, online, 0, 0, 0, 0)))
            .await;
        assert_eq!(s, 201);
    }
    app.settle().await;
}

#[tokio::test]
async fn windows_say_what_the_whole_board_says() {
    let app = spawn_app(backends()[0]).await;
    mixed(&app).await;
    let (_, whole) = app.get_json("/api/v1/leaderboard").await;
    let ranked = whole["entries"].as_array().unwrap().clone();
    let unranked = whole["unranked"].as_array().unwrap().clone();
    assert_eq!(ranked.len(), 5);
    assert_eq!(whole["total_unranked"], unranked.len());
    let everything: Vec<&Value> = ranked.iter().chain(unranked.iter()).collect();

    // Paging runs over the ranked units then the unranked: every unit once.
    let mut paged = Vec::new();
    for offset in (0..everything.len()).step_by(7) {
        let (status, page) = app
            .get_json(&format!("/api/v1/leaderboard?offset={offset}&limit=7"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["total_entries"], 5);
        paged.extend(page["entries"].as_array().unwrap().clone());
        paged.extend(page["unranked"].as_array().unwrap().clone());
    }
    assert_eq!(paged.iter().collect::<Vec<_>>(), everything);

    // A unit and its neighbours.
    let (status, around) = app.get_json("/api/v1/leaderboard?around=SNV&limit=3").await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = around["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"]["code"].as_str().unwrap())
        .collect();
    let place = ranked
        .iter()
        .position(|e| e["unit"]["code"] == "SNV")
        .unwrap();
    let expected: Vec<&str> = ranked[place - 1..=place + 1]
        .iter()
        .map(|e| e["unit"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, expected);
    // An unranked unit is found among the unranked.
    let (_, around) = app
        .get_json("/api/v1/leaderboard?around=06004&limit=1")
        .await;
    assert_eq!(around["entries"].as_array().unwrap().len(), 0);
    assert_eq!(around["unranked"][0]["unit"]["code"], "06004");
    let (status, _) = app.get_json("/api/v1/leaderboard?around=KHONG-CO").await;
    assert_eq!(status, 404);

    // Search ignores accents and case, on names and codes.
    let name = |v: &Value| v["unit"]["name"].as_str().unwrap().to_string();
    let target = everything
        .iter()
        .find(|e| e["unit"]["name"].as_str().unwrap().starts_with("Xã "))
        .unwrap();
    let folded = thidua::boards::fold(&name(target)).to_uppercase();
    let (_, found) = app
        .get_json(&format!(
            "/api/v1/leaderboard?q={}",
            folded.replace(' ', "%20")
        ))
        .await;
    let names: Vec<String> = found["entries"]
        .as_array()
        .unwrap()
        .iter()
        .chain(found["unranked"].as_array().unwrap())
        .map(name)
        .collect();
    assert!(names.contains(&name(target)), "{folded}: {names:?}");
    let (_, by_code) = app.get_json("/api/v1/leaderboard?q=snv").await;
    assert_eq!(by_code["entries"][0]["unit"]["code"], "SNV");
    let (status, _) = app
        .get_json(&format!("/api/v1/leaderboard?q={}", "x".repeat(101)))
        .await;
    assert_eq!(status, 422);
}

fn decoded(encoding: &str, bytes: &[u8]) -> Value {
    serde_json::from_str(&decoded_text(encoding, bytes)).unwrap()
}

fn decoded_text(encoding: &str, bytes: &[u8]) -> String {
    let mut text = String::new();
    match encoding {
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_string(&mut text)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_string(&mut text)
                .unwrap();
        }
        _ => text = String::from_utf8(bytes.to_vec()).unwrap(),
    }
    text
}

#[tokio::test]
async fn the_first_pages_come_compressed_and_revalidate() {
    let app = spawn_app(backends()[0]).await;
    mixed(&app).await;
    let path = "/api/v1/leaderboard?limit=100";
    let (_, plain) = app.get_json(path).await;
    for encoding in ["br", "gzip"] {
        let r = app
            .client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], encoding);
        assert_eq!(r.headers()["vary"], "accept-encoding");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(decoded(encoding, &r.bytes().await.unwrap()), plain);
        assert_eq!(app.get_if_none_match(path, &etag).await.status(), 304);
    }
    // A window of its own has its own ETag, which a new report changes.
    let around = "/api/v1/leaderboard?around=SNV&limit=3";
    let etag = app.get(around).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get_if_none_match(around, &etag).await.status(), 304);
    let (s, _) = app
        .post_report("SNV", &report(DAY, counters(10, 10, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 200);
    assert_eq!(app.get_if_none_match(around, &etag).await.status(), 200);
}

/// A page of `/` is made once per version of its board and kept: asked
/// again, compressed or not, it is the same page; its ETag revalidates
/// until a report changes the board; other parameters are other pages.
#[tokio::test]
async fn board_pages_are_made_once_per_version_and_revalidate() {
    let app = spawn_app(backends()[0]).await;
    mixed(&app).await;
    let page = async |path: &str, encoding: &str| {
        let r = app
            .client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(r.headers()["vary"], "accept-encoding, accept-language");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let text = decoded_text(encoding, &r.bytes().await.unwrap());
        (etag, text)
    };
    let path = "/?lang=en";
    app.settle().await;
    let (etag, plain) = page(path, "identity").await;
    assert!(
        plain.contains("Lạng Sơn") || plain.contains("Lang Son"),
        "a board page"
    );
    for encoding in ["br", "gzip", "identity"] {
        let (again, text) = page(path, encoding).await;
        assert_eq!(again, etag, "{encoding}: the same page");
        assert_eq!(text, plain, "{encoding}: the same bytes");
    }
    assert_eq!(app.get_if_none_match(path, &etag).await.status(), 304);
    let (vi_etag, vi) = page("/?lang=vi", "br").await;
    assert_ne!(vi_etag, etag);
    assert_ne!(vi, plain);
    let (search_etag, search) = page("/?lang=en&q=snv", "br").await;
    assert_ne!(search_etag, etag);
    assert!(search.contains("SNV"));

    let (s, _) = app
        .post_report("06001", &report(DAY, counters(10, 10, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 200);
    assert_eq!(app.get_if_none_match(path, &etag).await.status(), 200);
    let (_, changed) = page(path, "br").await;
    assert_ne!(changed, plain, "the page after the report");
}

#[tokio::test]
async fn a_viewer_is_told_of_a_version_once_its_board_is_ready() {
    let app = spawn_app(backends()[0]).await;
    let mut versions = app.state.boards().subscribe(&app.competition.slug);
    let (s, _) = app
        .post_report("06040", &report(DAY, counters(10, 9, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201);
    versions.changed().await.unwrap();
    let announced = *versions.borrow_and_update();
    // Read straight away, without waiting for anything else.
    let board: Value = app
        .client
        .get(app.url("/api/v1/leaderboard"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(board["version"].as_u64().unwrap() >= announced);
    assert_eq!(board["entries"][0]["unit"]["code"], "06040");
    let selected = app.state.catalog().competition(None).unwrap();
    let view = app
        .state
        .boards()
        .view(&selected, &Board::All, Period::Whole, Viewer::Public)
        .await
        .unwrap();
    assert_eq!(view.rows()[0].data.code(), "06040");
}
