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
    let selected = app.state.catalog().competition(None).unwrap();
    assert!(
        app.state
            .lifecycle()
            .freeze_now(&selected, "test")
            .await
            .unwrap()
    );
    app.state.catalog().reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(html.contains("Đã đóng băng"), "frozen mark");
    assert!(!html.contains("Kết quả chính thức"));

    let selected = app.state.catalog().competition(None).unwrap();
    assert!(
        app.state
            .lifecycle()
            .finalize(&selected, "test")
            .await
            .unwrap()
    );
    app.state.catalog().reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(html.contains("Kết quả chính thức"), "final mark");
    let (_, en) = page(&app, "/?lang=en", None).await;
    assert!(en.contains("Official results"));
}

#[tokio::test]
async fn user_supplied_names_are_escaped() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app.state.catalog().competition(None).unwrap();
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
    app.state.catalog().reload().await.unwrap();
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
        let r = app.get(&url).await;
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
    let r = app.get("/static/app.0000000000000000.css").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
}

/// A competition of 250 units, three of them ranked.
async fn many_units() -> TestApp {
    let mut units = String::from("code,name,group\n");
    for i in 0..250 {
        units.push_str(&format!("M{i:03},Xã Thử Nghiệm {i},xa-phuong\n"));
    }
    let app = support::spawn_app_full(
        (Db::Sqlite, Rank::Memory),
        support::LANG_SON,
        &units,
        support::first_morning(),
    )
    .await;
    for (code, online) in [("M007", 90), ("M123", 80), ("M200", 70)] {
        let (status, body) = app
            .post_report(
                code,
                &report("2025-10-06", counters(100, online, 0, 0, 10, 10)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    app.settle().await;
    app
}

#[tokio::test]
async fn a_big_board_is_paged_searched_and_finds_a_unit_without_script() {
    let app = many_units().await;
    let (status, first) = page(&app, "/", None).await;
    assert_eq!(status, 200);
    assert!(first.contains("Đơn vị 1–50 trên 250"), "{first}");
    assert!(
        first.contains(r#"rel="next" href="/?board=all&amp;offset=50""#)
            || first.contains(r#"rel="next" href="/?board=all&#38;offset=50""#),
        "a link to the next page"
    );
    assert!(!first.contains(r#"rel="prev""#));
    assert_eq!(first.matches("<tr data-code=").count(), 3, "ranked rows");
    assert!(first.contains(r#"<form class="search" id="search-box" method="get" action="/""#));
    assert!(first.contains(r#"name="around""#));

    let (_, last) = page(&app, "/?offset=200", None).await;
    assert!(last.contains("Đơn vị 201–250 trên 250"));
    assert!(last.contains(r#"rel="prev""#) && !last.contains(r#"rel="next""#));
    assert!(last.contains("Xã Thử Nghiệm 249"), "the last unranked unit");

    // Search: accents and case ignored, ranked matches as rows with a link
    // to their place on the board.
    let (_, found) = page(&app, "/?q=THU%20NGHIEM%20123", None).await;
    assert!(found.contains("Tìm “THU NGHIEM 123”: 1 đơn vị"), "{found}");
    assert!(found.contains(r#"data-code="M123""#));
    assert!(
        found.contains("around=M123"),
        "the unit's place on the board"
    );

    // Find my unit: its neighbourhood, its row marked.
    let (_, around) = page(&app, "/?around=M123", None).await;
    assert!(
        around.contains(r#"<tr id="here" class="here" data-code="M123""#),
        "{around}"
    );
    let (status, unknown) = page(&app, "/?around=KHONG-CO", None).await;
    assert_eq!(status, 200);
    assert!(unknown.contains("Không có đơn vị mã “KHONG-CO” trên bảng này."));
}

#[tokio::test]
async fn browsers_get_pages_for_unknown_paths_and_the_api_keeps_json() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let html = "text/html,application/xhtml+xml,*/*;q=0.8";
    for (method, path, status) in [
        ("GET", "/units/KHONGCO", 404),
        ("GET", "/khong-co-trang-nay", 404),
        ("POST", "/", 405),
    ] {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("accept", html)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        let body = r.text().await.unwrap();
        assert!(body.contains("<h1>"), "{body}");
        assert!(body.contains(r#"<a href="/">"#), "a way back: {body}");
    }
    for path in ["/api/v1/units/KHONGCO", "/api/khong-co"] {
        let r = app
            .client
            .get(app.url(path))
            .header("accept", html)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
    }
    // Without asking for HTML, the JSON as before.
    let r = app.get("/units/KHONGCO").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn the_title_says_when_the_board_is_frozen_or_final() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let title = |html: &str| {
        let start = html.find("<title>").unwrap() + 7;
        html[start..start + html[start..].find("</title>").unwrap()].to_string()
    };
    let (_, html) = page(&app, "/", None).await;
    assert!(title(&html).starts_with("Bảng xếp hạng trực tiếp"));
    let selected = app.state.catalog().competition(None).unwrap();
    app.state
        .lifecycle()
        .freeze_now(&selected, "test")
        .await
        .unwrap();
    app.state.catalog().reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(title(&html).contains("Đã đóng băng"), "{}", title(&html));
    let selected = app.state.catalog().competition(None).unwrap();
    app.state
        .lifecycle()
        .finalize(&selected, "test")
        .await
        .unwrap();
    app.state.catalog().reload().await.unwrap();
    let (_, html) = page(&app, "/", None).await;
    assert!(
        title(&html).starts_with("Kết quả chính thức"),
        "{}",
        title(&html)
    );
    let (_, en) = page(&app, "/?lang=en", None).await;
    assert!(title(&en).starts_with("Official results"), "{}", title(&en));
}

#[tokio::test]
async fn english_pages_name_groups_criteria_and_grades_in_english() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, _) = app
        .post_report(
            "06040",
            &report("2025-10-06", counters(100, 95, 40, 30, 80, 80)),
        )
        .await;
    assert_eq!(status, 201);
    let (_, en) = page(&app, "/?lang=en&board=xa-phuong", None).await;
    for expected in [
        "Communes and wards",
        "Provincial departments",
        "Dossiers submitted online",
        "Results digitally signed",
        "Excellent",
    ] {
        assert!(en.contains(expected), "{expected} missing");
    }
    for vietnamese in [
        "UBND xã, phường",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        ">Xuất sắc<",
    ] {
        assert!(!en.contains(vietnamese), "{vietnamese} on the English page");
    }
}

#[tokio::test]
async fn the_unit_page_says_what_it_takes_and_previews_when_shared() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for (code, c) in [
        // 95% online, 75% paid online, every result signed: 90.00.
        ("06040", counters(100, 95, 40, 30, 80, 80)),
        // 100%, 100%, 85%: 95.00, just above.
        ("06001", counters(100, 100, 40, 40, 80, 68)),
    ] {
        let (status, body) = app.post_report(code, &report("2025-10-06", c)).await;
        assert_eq!(status, 201, "{body}");
    }
    app.settle().await;
    let (status, vi) = page(&app, "/units/06040", None).await;
    assert_eq!(status, 200);
    for expected in [
        "Để đạt 100%",
        // Five dossiers were received offline: 100% is out of reach, a shown
        // 99,00% (rounded) is not.
        "Không còn đạt được 100% trong kỳ",
        "Cần thêm 398 hồ sơ tiếp nhận trực tuyến để đạt 99,00%.",
        "hồ sơ thanh toán trực tuyến để vượt Xã Đoàn Kết.",
        "Đã đạt chỉ tiêu 100%.",
        r#"<meta property="og:title" content="Xã Thất Khê">"#,
        r#"<meta name="description" content="Hạng 2 UBND xã, phường, 90,00 điểm"#,
    ] {
        assert!(vi.contains(expected), "{expected} missing from {vi}");
    }
    let (_, en) = page(&app, "/units/06040?lang=en", None).await;
    for expected in [
        "What it takes",
        "100% can no longer be reached in this period",
        "398 more dossiers received online to show 99.00%.",
        "fees paid online to pass Xã Đoàn Kết.",
        "Rank 2 in Communes and wards, score 90.00",
    ] {
        assert!(en.contains(expected), "{expected} missing from {en}");
    }
}

#[tokio::test]
async fn the_national_demo_has_every_commune_and_a_board_per_province() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let state = &app.state;
    let slug = thidua::demo::load(
        thidua::demo::Demo::National,
        state.store(),
        state.catalog(),
        state.submitter(),
    )
    .await
    .unwrap();
    let selected = state.catalog().competition(Some(&slug)).unwrap();
    assert_eq!(selected.record.competition.groups.len(), 34);
    assert_eq!(selected.units.len(), 3321);
    let (status, hanoi) = page(&app, &format!("/?competition={slug}&board=ha-noi"), None).await;
    assert_eq!(status, 200);
    assert!(hanoi.contains("Đơn vị 1–50 trên 126"), "{hanoi}");
    let (_, all) = page(&app, &format!("/?competition={slug}"), None).await;
    assert!(all.contains("trên 3.321"));
    assert_eq!(
        all.matches("data-board=").count(),
        35,
        "all and 34 provinces"
    );
}
