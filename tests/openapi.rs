//! The OpenAPI document describes the JSON endpoints and matches what they return.

mod support;

use serde_json::Value;
use support::{Db, Rank, counters, report, spawn_app};

#[tokio::test]
async fn the_document_describes_the_api_it_serves() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/reports",
        "/api/v1/leaderboard",
        "/api/v1/units/{code}",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // Every property the Leaderboard schema requires is in a real response.
    let (s, _) = app
        .post_report("06040", &report("2025-10-06", counters(10, 9, 4, 3, 8, 8)))
        .await;
    assert_eq!(s, 201);
    let board = app.board("all", None).await;
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no required list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for key in required("Leaderboard") {
        assert!(board.get(&key).is_some(), "leaderboard lacks {key}");
    }
    let entry = &board["entries"][0];
    for key in required("BoardEntry") {
        assert!(entry.get(&key).is_some(), "entry lacks {key}");
    }
    let error: Value = app.get_json("/api/v1/leaderboard?board=nope").await.1;
    for key in required("ErrorDetail") {
        assert!(error["error"].get(&key).is_some(), "error lacks {key}");
    }
}
