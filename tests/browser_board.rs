//! The public board and unit page in a real headless Chromium: tabs per
//! group, live updates without reload, the SVG chart, no console errors, no
//! horizontal scrolling on a 360 px phone. Screenshots go to `screenshots/`.
//!
//! Needs `chromium` and `chromium-driver`; skipped (with a note) when they
//! are missing unless `THIDUA_REQUIRE_BROWSER=1`.

mod support;

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;
use support::browser::{Browser, js};
use support::{Db, Rank, TestApp, counters, report, spawn_app};

/// Polls `script` (which returns a boolean) until it is true or `budget` passes.
async fn eventually(client: &Client, script: &str, budget: Duration) -> bool {
    let deadline = Instant::now() + budget;
    loop {
        if js(client, script).await == Value::Bool(true) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap());
    }
    out
}

/// Unit names of a group, from the same CSV the app loaded.
fn names_in(group: &str) -> Vec<String> {
    csv::Reader::from_reader(support::UNITS.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] == group)
        .map(|r| r[1].to_string())
        .collect()
}

async fn seeded_app() -> TestApp {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for (code, c) in [
        ("06040", counters(100, 95, 40, 30, 80, 80)),
        ("06001", counters(50, 50, 10, 10, 40, 40)),
        ("SNV", counters(20, 10, 5, 5, 20, 10)),
    ] {
        let (status, body) = app.post_report(code, &report("2025-10-06", c)).await;
        assert_eq!(status, 201, "{body}");
    }
    app
}

async fn assert_no_horizontal_scroll(client: &Client, what: &str) {
    let (scroll, inner) = (
        js(client, "return document.documentElement.scrollWidth").await,
        js(client, "return window.innerWidth").await,
    );
    assert!(
        scroll.as_u64() <= inner.as_u64(),
        "{what}: page is {scroll} px wide in a {inner} px viewport"
    );
}

#[tokio::test]
async fn the_board_has_a_tab_per_group_listing_its_units() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let app = seeded_app().await;
    let c = &browser.client;
    c.goto(&app.url("/")).await.unwrap();
    let tabs = texts(c, ".tabs a").await;
    assert_eq!(tabs, ["Tất cả", "Sở, ban, ngành", "UBND xã, phường"]);
    let current = texts(c, ".tabs a[aria-current=page]").await;
    assert_eq!(current, ["Tất cả"]);
    assert!(texts(c, "h1").await[0].contains("Bảng xếp hạng"));
    assert_eq!(texts(c, ".progress").await, ["Ngày 1/5"]);

    for (group, tab) in [
        ("so-nganh", "Sở, ban, ngành"),
        ("xa-phuong", "UBND xã, phường"),
    ] {
        c.find(Locator::LinkText(tab))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let url = c.current_url().await.unwrap();
        assert!(url.as_str().contains(&format!("board={group}")), "{url}");
        // Every unit of the group is on its tab: ranked rows or listed unranked.
        let listed: Vec<String> = [
            texts(c, "#rows th.unit a").await,
            texts(c, ".unranked .chips a").await,
        ]
        .concat();
        let mut expected = names_in(group);
        let mut got = listed.clone();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "tab {tab}");
        let caption = texts(c, "caption").await;
        assert!(caption[0].contains(tab), "{caption:?}");
    }
    // The organiser's ranked units sit on the "xa-phuong" tab in score order.
    let rows = texts(c, "#rows th.unit a").await;
    assert_eq!(rows, ["Xã Đoàn Kết", "Xã Thất Khê"]);
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn a_posted_report_changes_the_open_board_within_two_seconds() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let app = seeded_app().await;
    let c = &browser.client;
    c.goto(&app.url("/")).await.unwrap();
    assert!(
        eventually(
            c,
            "return document.getElementById('live').dataset.state === 'live'",
            Duration::from_secs(5)
        )
        .await,
        "the live indicator never turned on"
    );
    // Survives only if the page is never reloaded.
    js(c, "window.__notReloaded = 'still here'; return true").await;

    // A unit that had no row yet appears, ranked, with its figures.
    let (status, body) = app
        .post_report(
            "06019",
            &report("2025-10-06", counters(10, 10, 4, 4, 10, 10)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        eventually(
            c,
            "var r = document.querySelector('#rows tr[data-code=\"06019\"]'); \
             return !!r && r.querySelector('td.score .score-n').textContent === '100,00' \
                 && r.querySelector('.rank-n').textContent === '1'",
            Duration::from_secs(2)
        )
        .await,
        "the new row did not appear within 2 s"
    );
    let href = js(
        c,
        "return document.querySelector('#rows tr[data-code=\"06019\"] th a').getAttribute('href')",
    )
    .await;
    assert_eq!(href, "/units/06019");
    assert!(
        eventually(c, "return !document.querySelector('.unranked li[data-code=\"06019\"]') && !document.querySelector('#missing-list li[data-code=\"06019\"]')", Duration::from_secs(2)).await,
        "06019 is still listed as not reported"
    );

    // A correction moves an existing row and changes its numbers.
    let (status, body) = app
        .post_report("SNV", &report("2025-10-06", counters(20, 20, 5, 5, 20, 20)))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(
            c,
            "var r = document.querySelector('#rows tr[data-code=\"SNV\"]'); \
             return r.querySelector('td.score .score-n').textContent === '100,00' \
                 && r.querySelector('.rank-n').textContent === '1' \
                 && r.querySelector('td.crit[data-key=\"digital_signing\"] .rate').textContent === '100,00%'",
            Duration::from_secs(2)
        )
        .await,
        "the corrected row did not change within 2 s"
    );
    let order = texts(c, "#rows tr td.score .score-n").await;
    assert_eq!(order, ["100,00", "100,00", "100,00", "90,00"]);
    assert_eq!(
        js(c, "return window.__notReloaded").await,
        Value::String("still here".into()),
        "the page navigated instead of updating in place"
    );
    assert!(
        eventually(
            c,
            "return document.getElementById('announce').textContent.length > 0",
            Duration::from_secs(2)
        )
        .await,
        "nothing was announced to screen readers"
    );
    assert_eq!(
        texts(c, "#totals-reported").await,
        ["4/79 đơn vị đã báo cáo trong kỳ"]
    );
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn the_search_box_matches_names_with_or_without_accents() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let app = seeded_app().await;
    let c = &browser.client;
    c.goto(&app.url("/")).await.unwrap();
    let visible = "return Array.from(document.querySelectorAll('#rows tr')).filter(r => !r.hidden).map(r => r.dataset.code).join(',')";
    for query in ["thất khê", "that khe", "THAT KHÊ"] {
        let input = c.find(Locator::Id("search")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(query).await.unwrap();
        assert_eq!(
            js(c, visible).await,
            Value::String("06040".into()),
            "{query}"
        );
    }
    let input = c.find(Locator::Id("search")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("doan ket").await.unwrap();
    assert_eq!(js(c, visible).await, Value::String("06001".into()));
    input.clear().await.unwrap();
    input.send_keys("zzz").await.unwrap();
    assert_eq!(js(c, visible).await, Value::String(String::new()));
    assert_eq!(
        js(c, "return document.getElementById('no-match').hidden").await,
        false
    );
    browser.close().await;
}

#[tokio::test]
async fn the_unit_page_draws_its_chart_and_history() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let app = seeded_app().await;
    app.clock
        .set(support::first_morning() + chrono::Duration::days(1));
    let (status, body) = app
        .post_report(
            "06040",
            &report("2025-10-07", counters(100, 100, 40, 20, 80, 60)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let c = &browser.client;
    c.goto(&app.url("/units/06040")).await.unwrap();
    assert_eq!(texts(c, "h1").await, ["Xã Thất Khê"]);
    let svg = c.find(Locator::Css("figure.chart svg")).await.unwrap();
    assert_eq!(svg.attr("role").await.unwrap().as_deref(), Some("img"));
    // Three criteria, two days each: one line and two dots per criterion.
    assert_eq!(
        c.find_all(Locator::Css("svg .series polyline"))
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        c.find_all(Locator::Css("svg .series circle"))
            .await
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        c.find_all(Locator::Css("svg line.target"))
            .await
            .unwrap()
            .len(),
        1
    );
    let rendered = js(
        c,
        "return document.querySelector('figure.chart svg').getBoundingClientRect().height",
    )
    .await;
    assert!(
        rendered.as_f64().unwrap() > 100.0,
        "chart is {rendered} px tall"
    );
    let days = texts(c, ".days-table tbody th").await;
    assert_eq!(days, ["06/10/2025", "07/10/2025"]);
    assert_eq!(
        c.find_all(Locator::Css(".revisions tbody tr"))
            .await
            .unwrap()
            .len(),
        2
    );
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "{errors:?}");

    c.goto(&app.url("/units/06040?lang=en")).await.unwrap();
    assert_eq!(js(c, "return document.documentElement.lang").await, "en");
    assert!(
        texts(c, "h2")
            .await
            .contains(&"Revision history".to_string())
    );
    browser.close().await;
}

#[tokio::test]
async fn pages_fit_a_phone_and_a_wall_screen() {
    let Some(browser) = Browser::open(360, 800).await else {
        return;
    };
    let app = seeded_app().await;
    // Day 2, after day 1's deadline and closing: rank changes show.
    app.clock
        .set(support::first_morning() + chrono::Duration::days(1));
    let selected = app.state.catalog().competition(None).unwrap();
    thidua::jobs::close_day(&app.state, &selected, support::day("2025-10-06"))
        .await
        .unwrap();
    for (code, c) in [
        ("SNV", counters(200, 200, 50, 50, 200, 200)),
        ("06040", counters(100, 90, 40, 30, 80, 70)),
    ] {
        let (status, body) = app.post_report(code, &report("2025-10-07", c)).await;
        assert_eq!(status, 201, "{body}");
    }
    let c = &browser.client;
    c.goto(&app.url("/")).await.unwrap();
    assert_eq!(texts(c, ".progress").await, ["Ngày 2/5"]);
    let changes = js(c, "return Array.from(document.querySelectorAll('#rows tr')).map(r => r.dataset.code + ':' + r.querySelector('.change').className).join()").await;
    assert_eq!(
        changes,
        "06001:change change-same,SNV:change change-up,06040:change change-down"
    );
    for (width, height) in [(360, 800), (1920, 1080)] {
        browser.resize(width, height).await;
        for (path, name) in [("/", "board"), ("/units/06040", "unit-06040")] {
            c.goto(&app.url(path)).await.unwrap();
            assert_no_horizontal_scroll(c, &format!("{path} at {width} px")).await;
            browser
                .screenshot(&format!("{name}-{width}x{height}"))
                .await;
            browser
                .screenshot_full_page(&format!("{name}-{width}-full"))
                .await;
        }
    }
    browser.resize(360, 800).await;
    c.goto(&app.url("/?lang=en")).await.unwrap();
    assert_no_horizontal_scroll(c, "/?lang=en at 360 px").await;
    assert_eq!(texts(c, ".progress").await, ["Day 2 of 5"]);
    browser.screenshot_full_page("board-en-360-full").await;
    browser.resize(1920, 1080).await;
    c.goto(&app.url("/?tv=1")).await.unwrap();
    assert_no_horizontal_scroll(c, "/?tv=1").await;
    browser.screenshot("board-tv-1920x1080").await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn the_wall_screen_cycles_through_the_boards_by_itself() {
    let Some(browser) = Browser::open(1920, 1080).await else {
        return;
    };
    let app = seeded_app().await;
    let c = &browser.client;
    // Three seconds a page rather than twelve, to keep the test short.
    c.goto(&app.url("/?tv=1&every=3")).await.unwrap();
    js(c, "window.__notReloaded = true; window.__seen = {}; \
           setInterval(function () { document.querySelectorAll('#rows tr, #unranked-section li').forEach(function (r) { \
             if (document.getElementById('board-caption').textContent === 'Xếp hạng — Tất cả') window.__seen[r.dataset.code] = 1; }); }, 100); \
           return true").await;
    assert_eq!(
        js(c, "return document.documentElement.className").await,
        "tv"
    );
    let caption = "return document.getElementById('board-caption').textContent";
    assert_eq!(js(c, caption).await, "Xếp hạng — Tất cả");
    // Each page of the board in turn, then the next group's board.
    assert!(
        eventually(
            c,
            "return document.getElementById('board-caption').textContent === 'Xếp hạng — Sở, ban, ngành' \
             && Array.from(document.querySelectorAll('#rows tr')).map(r => r.dataset.code).join() === 'SNV'",
            Duration::from_secs(45)
        )
        .await,
        "the wall screen did not move on to the next board"
    );
    let seen = js(c, "return Object.keys(window.__seen).length").await;
    assert_eq!(seen, 79, "every unit of the first board was on the screen");
    assert_eq!(
        js(
            c,
            "return document.querySelector('.tabs a[aria-current=page]').dataset.board"
        )
        .await,
        "so-nganh"
    );
    assert_eq!(js(c, "return window.__notReloaded").await, true);
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}

/// The "no console errors" checks above would pass vacuously if the browser
/// log were never read: prove it catches an uncaught exception.
#[tokio::test]
async fn the_console_check_sees_uncaught_errors() {
    let Some(browser) = Browser::open(800, 600).await else {
        return;
    };
    browser
        .client
        .goto("data:text/html,<p>x</p><script>throw new Error('boom')</script>")
        .await
        .unwrap();
    let errors = browser.console_errors().await;
    assert!(errors.iter().any(|e| e.contains("boom")), "{errors:?}");
    browser.close().await;
}

/// A test that panics drops its `Browser` without `close()`: Chromium must
/// not be left running.
#[tokio::test]
async fn a_dropped_browser_leaves_no_chromium_behind() {
    let Some(browser) = Browser::open(800, 600).await else {
        return;
    };
    let profile = browser.profile_dir().display().to_string();
    let running = move || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
            .any(|cmd| String::from_utf8_lossy(&cmd).contains(&profile))
    };
    assert!(running(), "Chromium should be running with its profile");
    drop(browser);
    let deadline = Instant::now() + Duration::from_secs(10);
    while running() {
        assert!(Instant::now() < deadline, "Chromium outlived its Browser");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
