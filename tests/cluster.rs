//! The ranking on a Redis Cluster of three masters, started for this test
//! alone: reports and boards work across the nodes, and when every node
//! restarts empty (no persistence) the service keeps showing boards from the
//! database — never a half-empty one — and rebuilds the ranking by itself.

mod support;

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::Value;
use support::cluster::Cluster;
use support::{Db, Rank, counters, report};
use thidua::ranking::Ranking;

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn codes(board: &Value) -> Vec<String> {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"]["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_cluster_restarted_empty_never_shows_a_partial_board_and_is_rebuilt() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let ranking = Ranking::redis(&cluster.url(), "").await.unwrap();
    let app = support::spawn_app_on(
        (Db::Sqlite, Rank::Redis),
        support::LANG_SON,
        support::UNITS,
        support::first_morning(),
        (ranking, String::new()),
    )
    .await;
    let posted = ["06040", "06001", "SNV", "STC"];
    for (i, code) in posted.iter().enumerate() {
        let (s, body) = app
            .post_report(
                code,
                &report("2025-10-06", counters(10, 6 + i as u64, 0, 0, 0, 0)),
            )
            .await;
        assert_eq!(s, 201, "{body}");
        assert!(body["standing"]["rank"].is_u64(), "{body}");
    }
    let before = app.board("all", None).await;
    assert_eq!(codes(&before).len(), posted.len());
    // The sorted set of the board lives on the node of the competition's slot.
    let client = redis::cluster::ClusterClient::new(
        cluster
            .ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}")),
    )
    .unwrap();
    let mut con = client.get_async_connection().await.unwrap();
    let members: Vec<String> = con
        .zrange("thidua:{lang-son-2025}:board:all:total", 0, -1)
        .await
        .unwrap();
    assert_eq!(members.len(), posted.len());

    // Every node restarts empty. Whatever is asked meanwhile, the board
    // shows every acknowledged report, and no unit twice.
    cluster.restart_empty();
    let (s, _) = app
        .post_report("SXD", &report("2025-10-06", counters(10, 10, 0, 0, 0, 0)))
        .await;
    assert_eq!(s, 201);
    let mut looks = 0;
    until("the ranking rebuilt", async || {
        let r = app
            .client
            .get(app.url("/api/v1/leaderboard"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let board: Value = r.json().await.unwrap();
        let shown = codes(&board);
        looks += 1;
        // Before the new report reached a board, exactly the four earlier
        // ones; never fewer, never a partial board from an empty Redis.
        assert!(shown.len() >= posted.len(), "partial board: {shown:?}");
        for code in posted {
            assert!(shown.iter().any(|c| c == code), "{code} missing: {shown:?}");
        }
        let (status, ready) = app.get_json("/readyz").await;
        shown.len() == posted.len() + 1
            && status == 200
            && ready["ranking"]["stale"] == Value::Bool(false)
    })
    .await;
    assert!(looks > 0);
    let mut con = client.get_async_connection().await.unwrap();
    let members: Vec<String> = con
        .zrange("thidua:{lang-son-2025}:board:all:total", 0, -1)
        .await
        .unwrap();
    assert_eq!(members.len(), posted.len() + 1, "rebuilt on the cluster");
    let after = app.board("all", None).await;
    assert_eq!(codes(&after).len(), posted.len() + 1);
}
