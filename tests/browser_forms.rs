//! The unit form on a 360 px phone and the organiser's workspace, in a real
//! headless Chromium: sign in, a field-level Vietnamese refusal, a saved day
//! with the new rank, a correction with a reason that reaches the audit log
//! and the public board. Screenshots go to `screenshots/`.
//!
//! Needs `chromium` and `chromium-driver`; skipped (with a note) when they
//! are missing unless `THIDUA_REQUIRE_BROWSER=1`.

mod support;

use fantoccini::{Client, Locator};
use serde_json::Value;
use support::browser::{Browser, fill, js, submit};
use support::{Db, Rank, counters, report, spawn_app};

/// Console errors other than the 422 a refused form is answered with
/// (Chromium logs every 4xx document as a failed load).
fn unexpected(errors: Vec<String>) -> Vec<String> {
    errors
        .into_iter()
        .filter(|e| !e.contains("status of 422"))
        .collect()
}

async fn no_horizontal_scroll(client: &Client) -> bool {
    js(
        client,
        "return document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await
        == Value::Bool(true)
}

#[tokio::test]
async fn a_unit_reports_from_a_phone() {
    let Some(browser) = Browser::open(360, 800).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    // Someone is ahead already, so the new rank means something.
    let (status, _) = app
        .post_report("STC", &report("2025-10-06", counters(10, 10, 2, 2, 5, 5)))
        .await;
    assert_eq!(status, 201);
    let c = &browser.client;

    // Headless Chromium asks for English; the staff of a Vietnamese unit choose Vietnamese.
    c.goto(&app.url("/report?lang=vi")).await.unwrap();
    assert!(no_horizontal_scroll(c).await, "login fits 360 px");
    browser.screenshot("report-login-360").await;
    fill(c, "#code", "SNV").await;
    fill(c, "#access_code", app.token("SNV")).await;
    submit(c, "form[action='/report/login'] button[type=submit]").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/report"));
    let heading = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Sở Nội vụ");

    // Online above the total: the message sits next to that field.
    for (key, value) in [
        ("received", "10"),
        ("received_online", "12"),
        ("fee_required", "4"),
        ("paid_online", "4"),
        ("results_issued", "8"),
        ("results_signed", "8"),
    ] {
        fill(c, &format!("#c-{key}"), value).await;
    }
    submit(c, "form.figures button[type=submit]").await;
    let error = c
        .find(Locator::Css("#e-received_online"))
        .await
        .expect("field-level error")
        .text()
        .await
        .unwrap();
    assert!(
        error.contains("không được lớn hơn tổng số hồ sơ tiếp nhận"),
        "{error}"
    );
    let invalid = js(
        c,
        "return document.querySelector('#c-received_online').getAttribute('aria-invalid')",
    )
    .await;
    assert_eq!(invalid, "true");
    assert!(
        no_horizontal_scroll(c).await,
        "form with errors fits 360 px"
    );
    let shot = browser.screenshot("report-error-360").await;
    assert!(shot.exists());
    assert_eq!(app.revision_count().await, 1);

    fill(c, "#c-received_online", "9").await;
    submit(c, "form.figures button[type=submit]").await;
    let rank = c
        .find(Locator::Css("#new-rank"))
        .await
        .expect("the new rank is shown")
        .text()
        .await
        .unwrap();
    assert_eq!(rank, "2");
    let saved = c
        .find(Locator::Css("#saved"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(saved.contains("Đã lưu số liệu ngày 06/10/2025"), "{saved}");
    assert!(no_horizontal_scroll(c).await, "saved page fits 360 px");
    browser.screenshot("report-saved-360").await;
    js(c, "window.scrollTo(0, document.body.scrollHeight)").await;
    browser.screenshot("report-history-360").await;
    assert_eq!(app.revision_count().await, 2);
    let errors = unexpected(browser.console_errors().await);
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn an_organiser_corrects_a_day_and_it_shows_everywhere() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for (code, c) in [
        ("SNV", counters(10, 9, 4, 4, 8, 8)),
        ("STC", counters(10, 5, 4, 2, 8, 4)),
    ] {
        let (status, _) = app.post_report(code, &report("2025-10-06", c)).await;
        assert_eq!(status, 201);
    }
    app.add_organizer("tran.thi.b", "mật khẩu Sở Nội vụ").await;
    let c = &browser.client;

    c.goto(&app.url("/admin")).await.unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/admin/login")
    );
    fill(c, "#name", "tran.thi.b").await;
    fill(c, "#password", "mật khẩu Sở Nội vụ").await;
    submit(c, "form[action='/admin/login'] button[type=submit]").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/admin"));
    c.find(Locator::Css("#status-matrix"))
        .await
        .expect("matrix");
    browser.screenshot("admin-dashboard").await;

    // The matrix cell of STC on day 1 opens the correction form.
    c.goto(&app.url("/admin/report?unit=STC&day=2025-10-06"))
        .await
        .unwrap();
    let online = js(
        c,
        "return document.querySelector('#c-received_online').value",
    )
    .await;
    assert_eq!(online, "5");
    fill(c, "#c-received_online", "10").await;
    fill(c, "#c-paid_online", "4").await;
    fill(c, "#c-results_signed", "8").await;
    // First without a reason: refused, nothing saved.
    submit(c, "form.figures button[type=submit]").await;
    let missing = c
        .find(Locator::Css("#e-reason"))
        .await
        .expect("reason error");
    assert!(missing.text().await.unwrap().contains("Cần ghi lý do"));
    fill(c, "#reason", "Đơn vị gửi công văn đính chính số 45/CV-STC").await;
    submit(c, "form.figures button[type=submit]").await;
    let saved = c
        .find(Locator::Css("#saved"))
        .await
        .expect("saved")
        .text()
        .await
        .unwrap();
    assert!(saved.contains("Đã lưu"), "{saved}");
    browser.screenshot("admin-correction").await;

    // The audit log names who, what and why.
    c.goto(&app.url("/admin/audit")).await.unwrap();
    let log = c
        .find(Locator::Css("#audit-log"))
        .await
        .expect("audit table")
        .text()
        .await
        .unwrap();
    assert!(log.contains("tran.thi.b"), "{log}");
    assert!(
        log.contains("Đơn vị gửi công văn đính chính số 45/CV-STC"),
        "{log}"
    );
    assert!(log.contains("STC"), "{log}");
    browser.screenshot("admin-audit").await;

    // On a phone the workspace stays usable: the matrix scrolls inside its box.
    browser.resize(360, 800).await;
    c.goto(&app.url("/admin")).await.unwrap();
    assert!(no_horizontal_scroll(c).await, "admin dashboard fits 360 px");
    browser.screenshot("admin-dashboard-360").await;
    browser.resize(1280, 900).await;

    // The public board has the corrected figures: STC now shares first place.
    let board = app.board("all", None).await;
    let stc = support::entry(&board, "STC").clone();
    assert_eq!(stc["criteria"]["online_submission"]["numerator"], 10);
    assert_eq!(stc["score_bp"], 10000);
    assert_eq!(stc["rank"], 1);

    let errors = unexpected(browser.console_errors().await);
    assert!(errors.is_empty(), "{errors:?}");
    browser.close().await;
}
