//! The public pages over plain HTTP (no browser): languages, states,
//! escaping, assets and refusals.

mod support;

use support::{Db, Rank, TestApp, counters, report, spawn_app};
use thidua::units::UnitRow;

async fn page(app: &TestApp, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(l) = accept_language {
        request = request.header("Accept-Language", l);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

fn asset_urls(html: &str) -> Vec<String> {
    html.match_indices("/static/")
        .map(|(i, _)| html[i..].split(['"', '\'']).next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_board_is_vietnamese_by_default_and_english_on_request() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, vi) = page(&app, "/", None).await;
    assert_eq!(status, 200);
    assert!(vi.contains(r#"<html lang="vi">"#));
    assert!(vi.contains("Bảng xếp hạng trực tiếp"));
    assert!(vi.contains("Ngày 1/5"));
    assert!(vi.contains("Sở Nội vụ tỉnh Lạng Sơn"));
    assert!(vi.contains("Chưa báo cáo hôm nay"));

    let (_, en) = page(&app, "/?lang=en", None).await;
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains("Live leaderboard") && en.contains("Day 1 of 5"));
    // Links keep the explicit choice.
    assert!(
        en.contains("board=xa-phuong&amp;lang=en") || en.contains("board=xa-phuong&#38;lang=en"),
        "{en}"
    );

    let (_, browser_en) = page(&app, "/", Some("en-US,en;q=0.9")).await;
    assert!(browser_en.contains("Live leaderboard"));
    let (_, forced_vi) = page(&app, "/?lang=vi", Some("en-US")).await;
    assert!(forced_vi.contains("Bảng xếp hạng trực tiếp"));
}

#[tokio::test]
async fn ranked_units_show_rate_score_grade_and_rank() {
    for backend in support::backends() {
        ranked_units_on(backend).await;
    }
}

async fn ranked_units_on(backend: (Db, Rank)) {
    let app = spawn_app(backend).await;
    let (status, _) = app
        .post_report(
            "06040",
            &report("2025-10-06", counters(100, 95, 40, 30, 80, 80)),
        )
        .await;
    assert_eq!(status, 201);
    let (_, html) = page(&app, "/?board=xa-phuong", None).await;
    let row_start = html
        .find(r#"<tr data-code="06040""#)
        .expect("a row for 06040");
    let row = &html[row_start..row_start + html[row_start..].find("</tr>").unwrap()];
    for expected in [
        "Xã Thất Khê",
        "95,00%",
        "75,00%",
        "100,00%",
        "90,00",
        "Xuất sắc",
        r#"data-rank="1""#,
    ] {
        assert!(row.contains(expected), "{expected} missing from {row}");
    }
    assert!(html.contains("<caption"), "a captioned table");
    assert!(html.contains(r#"<th scope="row" class="unit">"#));
    // Units of the group without reports are listed, not hidden.
    assert!(html.contains("Xã Đoàn Kết"));
    assert!(
        !html.contains("Sở Nội vụ</a>"),
        "another group's unit on this board"
    );
}

#[tokio::test]
async fn frozen_and_final_boards_are_marked() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app.state.competition(None).unwrap();
    assert!(
        thidua::lifecycle::freeze_now(&app.state, &selected, "test")
            .await
            .unwrap()
    );
    app.state.reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(html.contains("Đã đóng băng"), "frozen mark");
    assert!(!html.contains("Kết quả chính thức"));

    let selected = app.state.competition(None).unwrap();
    assert!(
        thidua::lifecycle::finalize(&app.state, &selected, "test")
            .await
            .unwrap()
    );
    app.state.reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(html.contains("Kết quả chính thức"), "final mark");
    let (_, en) = page(&app, "/?lang=en", None).await;
    assert!(en.contains("Official results"));
}

#[tokio::test]
async fn user_supplied_names_are_escaped() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app.state.competition(None).unwrap();
    let hostile = r#"<script>alert("x")</script> & 'Xã'"#;
    app.state
        .store()
        .import_units(
            selected.record.id,
            &[UnitRow {
                code: "EVIL".into(),
                name: hostile.into(),
                group: "xa-phuong".into(),
                active: true,
                parent: None,
            }],
            support::first_morning(),
        )
        .await
        .unwrap();
    app.state.reload().await.unwrap();
    for path in ["/", "/units/EVIL"] {
        let (status, html) = page(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains("<script>alert"),
            "{path} carries the raw name"
        );
        assert!(
            html.contains("&lt;script&gt;alert") || html.contains("&#60;script&#62;alert"),
            "{path} shows the escaped name"
        );
    }
}

#[tokio::test]
async fn the_unit_page_has_figures_chart_and_history() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    app.post_report(
        "06040",
        &report("2025-10-06", counters(100, 95, 40, 30, 80, 80)),
    )
    .await;
    app.post_report(
        "06040",
        &report("2025-10-06", counters(100, 96, 40, 30, 80, 80)),
    )
    .await;
    let (status, html) = page(&app, "/units/06040", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Xã Thất Khê</h1>"));
    assert!(html.contains("<svg") && html.contains("<polyline") || html.contains("<circle"));
    assert!(html.contains("96,00%") && html.contains("96/100"));
    // Two revisions, public part only: when, not who.
    assert_eq!(html.matches("Đơn vị gửi").count(), 2);
    assert!(!html.contains("127.0.0.1"));
}

#[tokio::test]
async fn unknown_boards_units_and_competitions_are_404() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for path in [
        "/?board=khong-co",
        "/units/KHONGCO",
        "/?competition=khong-co",
        "/units/06040?competition=khong-co",
        "/static/nothing.css",
        "/static/app",
    ] {
        let (status, _) = page(&app, path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = page(&app, "/?lang=xx&tv=abc&board=", None).await;
    assert_eq!(status, 200, "odd optional parameters fall back to defaults");
}

#[tokio::test]
async fn assets_are_fingerprinted_and_cached_for_a_year() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (_, html) = page(&app, "/", None).await;
    let urls = asset_urls(&html);
    assert!(
        urls.iter().any(|u| u.ends_with(".css")) && urls.iter().any(|u| u.ends_with(".js")),
        "{urls:?}"
    );
    for url in urls {
        let r = app.client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            kind.starts_with("text/css") || kind.starts_with("text/javascript"),
            "{kind}"
        );
        assert!(!r.text().await.unwrap().is_empty());
    }
    // Another build's URL still works, but must not be cached as if final.
    let r = app
        .client
        .get(app.url("/static/app.0000000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
}
