//! The organiser's and the clerk's tools in a real headless Chromium, at
//! 360×800 (a phone) and 1920×1080: a printed access code typed in
//! lowercase with spaces, a closed day that cannot be sent, a template
//! downloaded, filled and uploaded in `/admin` whose figures reach the
//! board, confirmations before renewing every code and before finalizing
//! early, the audit log filtered by unit. Screenshots of every page go to
//! `screenshots/` (and the access letters to `screenshots/access-letters.html`,
//! for printing to PDF).
//!
//! Needs `chromium` and `chromium-driver`; skipped (with a note) when they
//! are missing unless `THIDUA_REQUIRE_BROWSER=1`.

mod support;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use fantoccini::{Client, Locator};
use serde_json::Value;
use support::browser::{Browser, fill, js, submit};
use support::{Db, Rank, TestApp, counters, report, spawn_app};

const ADMIN: &str = "le.van.c";
const PASSWORD: &str = "mật khẩu Sở Nội vụ 2025";

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .unwrap()
}

async fn fits(client: &Client) -> bool {
    js(
        client,
        "return document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await
        == Value::Bool(true)
}

/// Screenshots of the current page at both sizes, each checked to fit.
async fn both_sizes(browser: &Browser, name: &str) {
    let c = &browser.client;
    browser.resize(1920, 1080).await;
    assert!(fits(c).await, "{name} fits 1920 px");
    browser.screenshot_full_page(&format!("{name}-1920")).await;
    browser.resize(360, 800).await;
    assert!(fits(c).await, "{name} fits 360 px");
    browser.screenshot_full_page(&format!("{name}-360")).await;
}

async fn sign_in_organiser(app: &TestApp, c: &Client) {
    app.add_organizer(ADMIN, PASSWORD).await;
    c.goto(&app.url("/admin/login?lang=vi")).await.unwrap();
    fill(c, "#name", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    submit(c, "form[action='/admin/login'] button[type=submit]").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/admin"));
}

#[tokio::test]
async fn a_clerk_types_the_printed_code_and_a_closed_day_cannot_be_sent() {
    let Some(browser) = Browser::open(360, 800).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app.state.catalog().competition(None).unwrap();
    let unit = selected.unit("06040").unwrap().clone();
    let issued = thidua::access::issue([&unit]);
    thidua::access::renew(
        app.state.store(),
        selected.record.id,
        &issued,
        "ban-to-chuc",
        Some("06040"),
        app.state.now(),
    )
    .await
    .unwrap();
    let printed = issued[0].token.clone();
    let c = &browser.client;

    // The letter's QR code opens the form with the unit filled in.
    c.goto(&app.url("/report?unit=06040&competition=lang-son-2025&lang=vi"))
        .await
        .unwrap();
    let code = js(c, "return document.querySelector('#code').value").await;
    assert_eq!(code, "06040");
    both_sizes(&browser, "report-login-qr").await;
    // Typed as a clerk would from paper: lowercase, spaces for dashes.
    let typed = printed.to_lowercase().replace('-', " ");
    fill(c, "#access_code", &typed).await;
    submit(c, "form[action='/report/login'] button[type=submit]").await;
    assert_eq!(text(c, "h1").await, "Xã Thất Khê");

    for (key, value) in [
        ("received", "1.200"),
        ("received_online", "1.150"),
        ("fee_required", "40"),
        ("paid_online", "38"),
        ("results_issued", "900"),
        ("results_signed", "900"),
    ] {
        fill(c, &format!("#c-{key}"), value).await;
    }
    submit(c, "form.figures button[type=submit]").await;
    let saved = text(c, "#saved").await;
    assert!(saved.contains("Đã lưu số liệu ngày 06/10/2025"), "{saved}");
    // The answer came by redirect: the address is a plain GET.
    let url = c.current_url().await.unwrap();
    assert!(url.query().unwrap_or_default().contains("saved=1"), "{url}");
    let received = js(c, "return document.querySelector('#c-received').value").await;
    assert_eq!(received, "1200");
    both_sizes(&browser, "report-saved").await;
    c.refresh().await.unwrap();
    assert_eq!(app.revision_count().await, 1, "a reload sends nothing");

    // The next morning after 09:00 (signed in again: yesterday's session
    // has ended), day 1 is closed: shown, not sendable.
    app.clock.advance(chrono::Duration::hours(23));
    c.goto(&app.url("/report?unit=06040&lang=vi"))
        .await
        .unwrap();
    fill(c, "#access_code", &printed).await;
    submit(c, "form[action='/report/login'] button[type=submit]").await;
    c.goto(&app.url("/report?day=2025-10-06&lang=vi"))
        .await
        .unwrap();
    let reason = text(c, "#closed-reason").await;
    assert!(
        reason.contains("Đã hết hạn báo cáo ngày 06/10/2025"),
        "{reason}"
    );
    let sendable = js(
        c,
        "return document.querySelectorAll('form.figures, form.figures button[type=submit], [name^=\"counters.\"]').length",
    )
    .await;
    assert_eq!(
        sendable, 0,
        "no form, button or named field for a closed day"
    );
    let shown = js(c, "return document.querySelector('#c-received').readOnly").await;
    assert_eq!(shown, true);
    both_sizes(&browser, "report-closed-day").await;
    assert_eq!(app.revision_count().await, 1);
    browser.close().await;
}

/// Downloads what the template form asks for, as the page's own request
/// (with the organiser's session): the status and the file's bytes.
async fn download_template(c: &Client) -> (u64, Vec<u8>) {
    let answer = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const form = document.querySelector('#template-form');
             const url = form.action + '?' + new URLSearchParams(new FormData(form));
             fetch(url).then(r => r.arrayBuffer().then(b => done([r.status, Array.from(new Uint8Array(b))])));",
            vec![],
        )
        .await
        .expect("download the template");
    let status = answer[0].as_u64().unwrap();
    let bytes = answer[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    (status, bytes)
}

#[tokio::test]
async fn the_organiser_imports_a_filled_template_from_the_admin_page() {
    let Some(browser) = Browser::open(1920, 1080).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let c = &browser.client;
    sign_in_organiser(&app, c).await;
    c.goto(&app.url("/admin/import?lang=vi")).await.unwrap();
    both_sizes(&browser, "admin-import").await;
    browser.resize(1920, 1080).await;

    let (status, bytes) = download_template(c).await;
    assert_eq!(status, 200);
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Số liệu", "Hướng dẫn"]);
    let rows: Vec<Vec<Data>> = book
        .worksheet_range_at(0)
        .unwrap()
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect();
    assert_eq!(rows[1][0].to_string(), "Mã đơn vị");

    // Three rows filled in, every other unit left as the template had it.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut filled = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32, col as u16, cell.to_string())
                .unwrap();
        }
        if (2..5).contains(&r) {
            filled.push(row[1].to_string());
            for (i, v) in [20.0, 18.0, 6.0, 5.0, 15.0, 14.0].iter().enumerate() {
                sheet.write_number(r as u32, 3 + i as u16, *v).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mau-da-dien.xlsx");
    std::fs::write(&path, workbook.save_to_buffer().unwrap()).unwrap();

    c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    fill(c, "#reason", "Số liệu báo cáo giấy ngày 06/10").await;
    submit(c, "#upload-form button[type=submit]").await;
    let done = text(c, "#import-done").await;
    assert!(done.contains("Đã nhập 3 dòng: 3 mới"), "{done}");
    both_sizes(&browser, "admin-import-done").await;
    assert_eq!(app.revision_count().await, 3);

    // The public board shows them.
    browser.resize(1920, 1080).await;
    c.goto(&app.url("/?lang=vi")).await.unwrap();
    let board = js(c, "return document.body.innerText").await;
    let board = board.as_str().unwrap();
    for name in &filled {
        assert!(board.contains(name.as_str()), "{name} on the board");
    }
    browser.close().await;
}

#[tokio::test]
async fn renewing_every_code_and_finalizing_early_ask_first() {
    let Some(browser) = Browser::open(1920, 1080).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(10, 9, 4, 4, 8, 8)))
        .await;
    assert_eq!(status, 201);
    let c = &browser.client;
    sign_in_organiser(&app, c).await;
    both_sizes(&browser, "admin-dashboard").await;
    browser.resize(1920, 1080).await;

    // The default renewal is one unit: the unit box starts empty and is required.
    let unit_required = js(
        c,
        "const s = document.querySelector('#token-unit'); return s.required && s.value === ''",
    )
    .await;
    assert_eq!(unit_required, true);

    c.find(Locator::Css("#renew-all"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let count = app.tokens.len();
    let warning = text(c, ".confirm-warning").await;
    assert!(
        warning.contains(&format!("{count} đơn vị đang hoạt động sẽ nhận mã mới")),
        "{warning}"
    );
    both_sizes(&browser, "admin-renew-all-confirm").await;
    browser.resize(1920, 1080).await;
    // Without the box ticked the browser does not send the form.
    let valid = js(
        c,
        "return document.querySelector('#confirm-form').checkValidity()",
    )
    .await;
    assert_eq!(valid, false);
    c.find(Locator::Css("#confirm-form input[name=confirm]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(c, "#confirm-form button[value=letters]").await;
    let letters = js(
        c,
        "return document.querySelectorAll('article.letter').length",
    )
    .await;
    assert_eq!(letters, count as u64);
    let (status, _) = app
        .post_report("SNV", &report("2025-10-06", counters(10, 9, 4, 4, 8, 8)))
        .await;
    assert_eq!(status, 401, "every old code is retired");
    browser.screenshot("access-letters-1920").await;
    browser.resize(360, 800).await;
    assert!(fits(c).await, "letters fit 360 px");
    browser.screenshot("access-letters-360").await;
    // Kept for printing to PDF: three letters are enough to look at.
    let html = js(c, "return document.documentElement.outerHTML").await;
    let html = html.as_str().unwrap();
    let first_three = html
        .match_indices("<article class=\"letter\">")
        .nth(3)
        .map(|(at, _)| format!("{}</body></html>", &html[..at]))
        .unwrap_or_else(|| html.to_string());
    let kept =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots/access-letters.html");
    std::fs::write(kept, first_three).unwrap();

    // Finalizing on day 1 of 5.
    browser.resize(1920, 1080).await;
    c.goto(&app.url("/admin?lang=vi")).await.unwrap();
    c.find(Locator::Css("#finalize"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let warning = text(c, ".confirm-warning").await;
    assert!(
        warning.contains("Tuần thi đua chưa kết thúc: hôm nay là ngày 1/5"),
        "{warning}"
    );
    both_sizes(&browser, "admin-finalize-confirm").await;
    browser.resize(1920, 1080).await;
    c.find(Locator::Css("#confirm-form input[name=confirm]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let valid = js(
        c,
        "return document.querySelector('#confirm-form').checkValidity()",
    )
    .await;
    assert_eq!(valid, false, "the early box is needed too");
    c.find(Locator::Css("#confirm-form input[name=early]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(c, "#confirm-form button[type=submit]").await;
    let notice = text(c, ".banner.ok").await;
    assert!(notice.contains("Đã công bố kết quả chính thức"), "{notice}");
    assert!(
        app.state
            .catalog()
            .competition(None)
            .unwrap()
            .record
            .is_final()
    );
    browser.close().await;
}

#[tokio::test]
async fn the_audit_log_filters_by_unit_and_reads_on_a_phone() {
    let Some(browser) = Browser::open(1920, 1080).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let c = &browser.client;
    sign_in_organiser(&app, c).await;
    for (unit, reason) in [
        ("SNV", "Công văn số 12/SNV đính chính"),
        ("06040", "Xã gửi số liệu qua điện thoại"),
    ] {
        c.goto(&app.url(&format!("/admin/report?unit={unit}&day=2025-10-06&lang=vi")))
            .await
            .unwrap();
        for (key, value) in [
            ("received", "10"),
            ("received_online", "9"),
            ("fee_required", "4"),
            ("paid_online", "4"),
            ("results_issued", "8"),
            ("results_signed", "8"),
        ] {
            fill(c, &format!("#c-{key}"), value).await;
        }
        fill(c, "#reason", reason).await;
        submit(c, "form.figures button[type=submit]").await;
        assert!(text(c, "#saved").await.contains("Đã lưu"));
    }
    both_sizes(&browser, "admin-correction").await;
    browser.resize(1920, 1080).await;
    c.goto(&app.url("/admin/audit?lang=vi")).await.unwrap();
    c.find(Locator::Css("#f-unit"))
        .await
        .unwrap()
        .select_by_value("06040")
        .await
        .unwrap();
    submit(c, "#audit-filter button[type=submit]").await;
    let log = text(c, "#audit-log").await;
    assert!(log.contains("Xã gửi số liệu qua điện thoại"), "{log}");
    assert!(!log.contains("Công văn số 12/SNV"), "{log}");
    assert!(log.contains("Xã Thất Khê (06040)"), "{log}");
    assert!(text(c, "#audit-summary").await.contains("1 mục"));
    both_sizes(&browser, "admin-audit-unit").await;

    // The other pages, at both sizes, in both languages.
    for (path, name) in [
        ("/admin/audit?lang=vi", "admin-audit"),
        ("/admin/reminders?lang=vi", "admin-reminders"),
        ("/admin/units?lang=vi", "admin-units"),
        ("/admin?lang=en", "admin-dashboard-en"),
        ("/admin/audit?lang=en", "admin-audit-en"),
    ] {
        browser.resize(1920, 1080).await;
        c.goto(&app.url(path)).await.unwrap();
        both_sizes(&browser, name).await;
    }
    // The language link stays in the admin area, on the same page.
    let switch = js(
        c,
        "return document.querySelector('.lang-switch').getAttribute('href')",
    )
    .await;
    assert_eq!(switch, "/admin/audit?lang=vi");
    let errors: Vec<String> = browser
        .console_errors()
        .await
        .into_iter()
        .filter(|e| !e.contains("status of 4"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}
