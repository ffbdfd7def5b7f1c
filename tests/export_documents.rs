//! The exports as the organiser prints them: the XLSX rendered to PDF by
//! LibreOffice, the print page by Chromium, read back page by page with
//! `pdftotext`. Every page carries the table's column headers (so no page is
//! a strip of columns cut off the right edge, and headers repeat), wide
//! tables are landscape, and the signer's block shares a page with the
//! table's last rows.
//!
//! A whole Lạng Sơn week: all 79 units report on all five days. The files
//! are left in `screenshots/` to look at (`pdftoppm -png -r 60`).
//!
//! Needs LibreOffice (`soffice`) and poppler-utils; skipped without them
//! unless `THIDUA_REQUIRE_OFFICE=1` (as in CI). The print page needs
//! Chromium (`THIDUA_REQUIRE_BROWSER=1`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::Duration;
use serde_json::Value;
use support::*;

const DAYS: [&str; 5] = [
    "2025-10-06",
    "2025-10-07",
    "2025-10-08",
    "2025-10-09",
    "2025-10-10",
];

/// Whether `program` runs (poppler's tools know `-v`, not `--version`).
fn installed(program: &str, flag: &str) -> bool {
    Command::new(program)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether LibreOffice and poppler-utils are here; fails instead of
/// skipping when `THIDUA_REQUIRE_OFFICE=1`.
fn office_available() -> bool {
    let present = installed("soffice", "--version")
        && installed("pdftotext", "-v")
        && installed("pdfinfo", "-v");
    if !present {
        let require = std::env::var("THIDUA_REQUIRE_OFFICE").is_ok_and(|v| v == "1");
        assert!(
            !require,
            "THIDUA_REQUIRE_OFFICE=1 but soffice, pdftotext or pdfinfo is missing \
             (apt-get install -y libreoffice-calc-nogui poppler-utils)"
        );
        eprintln!("note: skipping: LibreOffice or poppler-utils not installed");
    }
    present
}

/// pdftotext and pdfinfo read PDFs back; they come with LibreOffice's
/// requirement in CI.
fn poppler_available() -> bool {
    let present = installed("pdftotext", "-v") && installed("pdfinfo", "-v");
    if !present {
        let require = std::env::var("THIDUA_REQUIRE_OFFICE").is_ok_and(|v| v == "1");
        assert!(
            !require,
            "THIDUA_REQUIRE_OFFICE=1 but poppler-utils is missing"
        );
        eprintln!("note: skipping: poppler-utils not installed");
    }
    present
}

fn chromium_available() -> bool {
    let present = installed("chromium", "--version") && installed("pdftotext", "-v");
    if !present {
        let require = std::env::var("THIDUA_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(!require, "THIDUA_REQUIRE_BROWSER=1 but chromium is missing");
        eprintln!("note: skipping: chromium not installed");
    }
    present
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Figures that differ between units and days, from about 60% online to
/// all of it, every counter plausible.
fn figures(unit: usize, day: usize) -> Value {
    let received = 20 + ((unit * 37 + day * 11) % 180) as u64;
    let online = received * (60 + ((unit * 13 + day) % 41) as u64) / 100;
    let fee = received / 3;
    let paid = fee * (70 + ((unit * 7 + day * 3) % 31) as u64) / 100;
    let issued = received - 5;
    let signed = issued * (75 + ((unit * 11 + day) % 26) as u64) / 100;
    counters(received, online, fee, paid, issued, signed)
}

/// Units that never report: they are listed unranked.
const SILENT: [&str; 2] = ["06613", "SNNMT"];

/// Every other unit reports on every day of the week, on time; the
/// organiser corrects one report after its deadline; then the week is
/// finalized.
async fn whole_week(app: &TestApp) {
    let codes: Vec<String> = {
        let mut codes: Vec<String> = app
            .tokens
            .keys()
            .filter(|c| !SILENT.contains(&c.as_str()))
            .cloned()
            .collect();
        codes.sort();
        codes
    };
    for (d, day) in DAYS.iter().enumerate() {
        app.clock.set(first_morning() + Duration::days(d as i64));
        for (u, code) in codes.iter().enumerate() {
            let (status, body) = app.post_report(code, &report(day, figures(u, d))).await;
            assert_eq!(status, 201, "{code} {day}: {body}");
        }
        if d == 1 {
            let mut fix = report(DAYS[0], counters(120, 118, 40, 40, 100, 100));
            fix["unit"] = "06040".into();
            fix["reason"] = "Xã gửi lại số liệu ngày 06/10 bằng văn bản".into();
            let (status, body) = app.post_as_admin(&fix).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let r = app.post_as_organizer("/api/v1/admin/finalize").await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

async fn download(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.bytes().await.unwrap().to_vec()
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The text of every page of a PDF, and whether each page is landscape.
fn pages(pdf: &Path) -> Vec<(String, bool)> {
    let text = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    let mut texts: Vec<String> = text.split('\u{c}').map(String::from).collect();
    if texts.last().is_some_and(|t| t.trim().is_empty()) {
        texts.pop();
    }
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "100000"])
        .arg(pdf)
        .output()
        .unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    let landscape: Vec<bool> = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .map(|l| {
            let numbers: Vec<f64> = l
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            // "Page    1 size: 841.89 x 595.276 pts (A4)"
            numbers[1] > numbers[2]
        })
        .collect();
    assert_eq!(texts.len(), landscape.len(), "{info}");
    texts.into_iter().zip(landscape).collect()
}

/// Whether `name` is on a page, with spaces as `pdftotext -layout` may
/// spread them.
fn shows(page: &str, name: &str) -> bool {
    let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    squeeze(page).contains(&squeeze(name))
}

#[tokio::test]
async fn every_sheet_prints_as_a_signed_document_in_libreoffice() {
    if !office_available() {
        return;
    }
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    whole_week(&app).await;
    let dir = screenshots();
    let xlsx = dir.join("ket-qua-lang-son.xlsx");
    std::fs::write(
        &xlsx,
        download(&app, "/api/v1/admin/export?format=xlsx").await,
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    run(Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(&xlsx));
    let pages = pages(&dir.join("ket-qua-lang-son.pdf"));

    // Six sheets, each with its own heading and signature.
    let signer = "Nguyễn Văn A";
    let headings = pages
        .iter()
        .filter(|(t, _)| shows(t, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
        .count();
    assert_eq!(headings, 6);
    let signed: Vec<usize> = (0..pages.len())
        .filter(|&i| shows(&pages[i].0, signer))
        .collect();
    assert_eq!(signed.len(), 6, "signature pages {signed:?}");
    for (i, (text, _)) in pages.iter().enumerate() {
        assert!(
            shows(text, "Tên đơn vị") || shows(text, "TỔNG HỢP KẾT QUẢ THI ĐUA"),
            "page {} has no column headers: a strip cut off the right?\n{text}",
            i + 1
        );
        assert!(shows(text, &format!("Trang {}/", i + 1)) || shows(text, "Trang "));
    }
    // Boards and daily figures are wide: landscape, every column on the
    // page (the last column's header is on every page of a board).
    for board in ["all", "so-nganh", "xa-phuong"] {
        let api = app.board(board, None).await;
        let entries = api["entries"].as_array().unwrap();
        let last = &entries.last().unwrap()["unit"]["name"];
        let first = &entries[0]["unit"]["name"];
        let on: Vec<usize> = (0..pages.len())
            .filter(|&i| pages[i].0.contains("Số ngày") && shows(&pages[i].0, "Xếp loại"))
            .collect();
        assert!(!on.is_empty());
        // The page with the board's last unit carries the signer.
        let last_page = (0..pages.len())
            .filter(|&i| shows(&pages[i].0, last.as_str().unwrap()) && shows(&pages[i].0, signer))
            .count();
        assert!(
            last_page >= 1,
            "{board}: {last} is not on a page with the signature"
        );
        let first_page = (0..pages.len())
            .find(|&i| shows(&pages[i].0, first.as_str().unwrap()))
            .unwrap();
        assert!(pages[first_page].1, "{board} is printed portrait");
    }
    // Page after page of a board repeats its headers: the 79 units of "all"
    // take more than one page and each has "Hạng" and "Điểm".
    let all_pages: Vec<&(String, bool)> = pages
        .iter()
        .filter(|(t, _)| shows(t, "Khối thi đua") && shows(t, "Điểm"))
        .collect();
    assert!(all_pages.len() >= 2, "{}", all_pages.len());
}

#[tokio::test]
async fn the_print_page_prints_with_its_signature_in_chromium() {
    if !chromium_available() {
        return;
    }
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    whole_week(&app).await;
    let dir = screenshots();
    let html = dir.join("in-ket-qua.html");
    std::fs::write(&html, download(&app, "/admin/print").await).unwrap();
    let pdf = dir.join("in-ket-qua.pdf");
    let profile = tempfile::tempdir().unwrap();
    run(Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display())));
    let pages = pages(&pdf);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let signer = "Nguyễn Văn A";
    for (i, (text, landscape)) in pages.iter().enumerate() {
        assert!(!landscape, "page {} is landscape", i + 1);
        assert!(
            shows(text, "Hạng") && shows(text, "Xếp loại"),
            "page {} has no column headers\n{text}",
            i + 1
        );
    }
    let last = pages.last().unwrap().0.clone();
    assert!(shows(&last, signer) && shows(&last, "PHÓ GIÁM ĐỐC") && shows(&last, "Nơi nhận"));
    let api = app.board("xa-phuong", None).await;
    let entries = api["entries"].as_array().unwrap();
    let last_unit = entries.last().unwrap()["unit"]["name"].as_str().unwrap();
    assert!(
        shows(&last, last_unit),
        "{last_unit} is not on the signed page"
    );
    assert!(shows(&pages[0].0, "Lạng Sơn, ngày"));
}

/// The server's PDF: A4 portrait, column headers on every page, the
/// signature on the page of the last board's last rows, and the
/// Vietnamese text read back exactly as written (the embedded fonts map
/// every glyph back to its letter).
#[tokio::test]
async fn the_pdf_is_the_signed_ranking_with_vietnamese_text() {
    if !poppler_available() {
        return;
    }
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    whole_week(&app).await;
    let r = app
        .client
        .get(app.url("/api/v1/admin/export?format=pdf"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("lang-son-2025-ket-qua-chinh-thuc.pdf")
    );
    let pdf = dir_file("ket-qua-lang-son-may-chu.pdf", &r.bytes().await.unwrap());
    let pages = pages(&pdf);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    for (i, (text, landscape)) in pages.iter().enumerate() {
        assert!(!landscape, "page {} is landscape", i + 1);
        assert!(
            shows(text, "Hạng") && shows(text, "Xếp loại"),
            "page {} has no column headers\n{text}",
            i + 1
        );
    }
    let first = &pages[0].0;
    for line in [
        "UBND TỈNH LẠNG SƠN",
        "SỞ NỘI VỤ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Lạng Sơn, ngày 10 tháng 10 năm 2025",
        "KẾT QUẢ XẾP HẠNG",
        "Tuần lễ thi đua thực hiện dịch vụ công trực tuyến và ký số kết quả TTHC năm 2025",
        "KẾT QUẢ CHÍNH THỨC",
    ] {
        assert!(shows(first, line), "no {line:?} on the first page\n{first}");
    }
    let last = &pages.last().unwrap().0;
    let api = app.board("xa-phuong", None).await;
    let entries = api["entries"].as_array().unwrap();
    let last_unit = entries.last().unwrap()["unit"]["name"].as_str().unwrap();
    for line in [
        last_unit,
        "Xã Đình Lập",
        "Nơi nhận:",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Văn A",
    ] {
        assert!(shows(last, line), "no {line:?} on the signed page\n{last}");
    }
    // Every ranked unit of every board is in it (names on one line: a
    // wrapped one is read back interleaved with its row's figures).
    let all = app.board("all", None).await;
    let text: String = pages.iter().map(|(t, _)| t.as_str()).collect();
    let names: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"]["name"].as_str().unwrap())
        .filter(|n| n.chars().count() <= 24)
        .collect();
    assert!(names.len() > 60);
    for name in names {
        assert!(shows(&text, name), "{name} is not in the PDF");
    }
}

fn dir_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = screenshots().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// LibreOffice with Vietnamese settings (language 1066, vi-VN) reads the
/// default CSV's rates and scores as numbers; with English settings
/// (1033) it reads `locale=en` as numbers. `soffice`'s CSV filter options
/// are: separator, quote, UTF-8 (76), first line, column types, language.
#[tokio::test]
async fn each_csv_reads_as_numbers_under_its_regional_settings() {
    if !office_available() {
        return;
    }
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for (u, code) in ["06040", "SNV", "STC"].iter().enumerate() {
        let (status, body) = app.post_report(code, &report(DAYS[0], figures(u, 0))).await;
        assert_eq!(status, 201, "{body}");
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    for (query, filter, name) in [
        ("format=csv", "CSV:59,34,76,1,,1066", "vi"),
        ("format=csv&locale=en", "CSV:44,34,76,1,,1033", "en"),
    ] {
        let csv = dir.path().join(format!("{name}.csv"));
        let bytes = download(&app, &format!("/api/v1/admin/export?{query}")).await;
        std::fs::write(&csv, bytes).unwrap();
        run(Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.path().display()
            ))
            .arg("--headless")
            .arg(format!("--infilter={filter}"))
            .args(["--convert-to", "xlsx", "--outdir"])
            .arg(dir.path())
            .arg(&csv));
        let xlsx = dir.path().join(format!("{name}.xlsx"));
        let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
        let sheet = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&sheet).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        // Found by name: a spreadsheet reads the code 06040 as the number
        // 6040 (the XLSX keeps codes as text).
        let (score, rate, unit) = match name {
            "vi" => (
                "Điểm",
                "Tỷ lệ hồ sơ nộp trực tuyến - Tỷ lệ (%)",
                "Tên đơn vị",
            ),
            _ => ("score", "online_submission_rate_percent", "unit_name"),
        };
        let board = app.board("all", None).await;
        for e in board["entries"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| r[col(unit)] == Data::String(e["unit"]["name"].as_str().unwrap().into()))
                .unwrap();
            let bp = e["score_bp"].as_f64().unwrap();
            assert_eq!(row[col(score)], Data::Float(bp / 100.0), "{name}: {row:?}");
            let bp = e["criteria"]["online_submission"]["rate_bp"]
                .as_f64()
                .unwrap();
            assert_eq!(row[col(rate)], Data::Float(bp / 100.0), "{name}: {row:?}");
        }
    }
}

/// A board of 320 units (Thanh Hóa's and Hồ Chí Minh City's wards and
/// communes as one group) over many pages: run by hand to look at the
/// pagination, `cargo test --test export_documents -- --ignored`; the
/// files are left in `screenshots/ket-qua-lon.*`.
#[tokio::test]
#[ignore = "slow: renders a 320-unit workbook; run by hand to look at it"]
async fn a_board_of_hundreds_of_units_keeps_headers_and_signature() {
    if !office_available() {
        return;
    }
    // shared/ lies beside the repository (or beside its work trees).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let national = ["../shared", "../../shared"].iter().find_map(|d| {
        std::fs::read_to_string(root.join(d).join("data/vietnam-communes-2025.csv")).ok()
    });
    let Some(national) = national else {
        eprintln!("note: skipping: the national communes file is not at hand");
        return;
    };
    let mut units = String::from("code,name,group\nSNV,Sở Nội vụ,so-nganh\n");
    for line in national
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",thanh-hoa") || l.ends_with(",ho-chi-minh"))
        .take(320)
    {
        let (rest, _) = line.rsplit_once(',').unwrap();
        units.push_str(&format!("{rest},xa-phuong\n"));
    }
    let app = spawn_app_full(
        (Db::Sqlite, Rank::Memory),
        LANG_SON,
        &units,
        first_morning(),
    )
    .await;
    let mut codes: Vec<String> = app.tokens.keys().cloned().collect();
    codes.sort();
    for (u, code) in codes.iter().enumerate() {
        let (status, body) = app.post_report(code, &report(DAYS[0], figures(u, 0))).await;
        assert_eq!(status, 201, "{code}: {body}");
    }
    let dir = screenshots();
    let xlsx = dir.join("ket-qua-lon.xlsx");
    std::fs::write(
        &xlsx,
        download(&app, "/api/v1/admin/export?format=xlsx").await,
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    run(Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(&xlsx));
    let pages = pages(&dir.join("ket-qua-lon.pdf"));
    for (i, (text, _)) in pages.iter().enumerate() {
        assert!(
            shows(text, "Tên đơn vị") || shows(text, "TỔNG HỢP KẾT QUẢ THI ĐUA"),
            "page {} has no column headers",
            i + 1
        );
    }
    let api = app.board("xa-phuong", None).await;
    let last = api["entries"].as_array().unwrap().last().unwrap()["unit"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        pages
            .iter()
            .any(|(t, _)| shows(t, &last) && shows(t, "Nguyễn Văn A")),
        "{last} is not on a signed page"
    );
}
