//! Exports (SPEC §12) read back as the organiser would open them: every
//! rank, score and rate in the XLSX and CSV equals the leaderboard API's,
//! provisional exports say so, final ones use the stored standings, names
//! keep their diacritics, and no supplied text becomes a formula.

mod support;

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::Value;
use support::*;

const SLUG: &str = "lang-son-2025";

/// Each criterion of the Lạng Sơn file: key, numerator, denominator.
const LANG_SON_CRITERIA: [(&str, &str, &str); 3] = [
    ("online_submission", "received_online", "received"),
    ("online_payment", "paid_online", "fee_required"),
    ("digital_signing", "results_signed", "results_issued"),
];

async fn seed(app: &TestApp) {
    for (code, c) in [
        ("06040", counters(100, 95, 40, 38, 80, 80)),
        ("SNV", counters(10, 7, 4, 2, 8, 5)),
        ("STC", counters(20, 19, 0, 0, 10, 10)),
        // Same figures as 06040: a shared rank.
        ("SXD", counters(100, 95, 40, 38, 80, 80)),
        // No dossiers at all: unranked (no_dossiers).
        ("SYT", counters(0, 0, 0, 0, 0, 0)),
    ] {
        let (status, body) = app.post_report(code, &report("2025-10-06", c)).await;
        assert!(status == 201 || status == 200, "{code}: {status} {body}");
    }
}

async fn download(app: &TestApp, path: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// Rows of a board sheet keyed by unit code, and the column names: a
/// header under a group header (a criterion) is named "group / header".
/// The table ends at the first row without a unit code (the signature
/// block follows it).
fn board_rows(rows: &[Vec<Data>]) -> (Vec<String>, HashMap<String, Vec<Data>>) {
    let header_at = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Mã đơn vị"))
        .expect("header row");
    let top: Vec<String> = rows[header_at].iter().map(text).collect();
    let sub: Vec<String> = rows[header_at + 1].iter().map(text).collect();
    let grouped = sub.iter().any(|h| !h.is_empty());
    let mut header = Vec::new();
    let mut group = String::new();
    for (i, t) in top.iter().enumerate() {
        if !t.is_empty() {
            group = t.clone();
        }
        let below = sub.get(i).cloned().unwrap_or_default();
        header.push(if grouped && !below.is_empty() {
            format!("{group} / {below}")
        } else {
            t.clone()
        });
    }
    let code = header.iter().position(|h| h == "Mã đơn vị").unwrap();
    let first = header_at + if grouped { 2 } else { 1 };
    let by_code = rows[first..]
        .iter()
        .take_while(|r| r.get(code).is_some_and(|c| !text(c).is_empty()))
        .map(|r| (text(&r[code]), r.clone()))
        .collect();
    (header, by_code)
}

/// The label of a counter of the Lạng Sơn competition.
fn counter_label(key: &str) -> String {
    let competition = thidua::competition::Competition::parse(LANG_SON).unwrap();
    competition
        .counters
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.label.clone())
        .unwrap()
}

/// The texts above a sheet's table: the document's heading.
fn heading(rows: &[Vec<Data>]) -> Vec<String> {
    rows.iter()
        .take_while(|r| {
            !r.iter()
                .any(|c| text(c) == "Mã đơn vị" || text(c) == "Bảng xếp hạng")
        })
        .flat_map(|r| r.iter().map(text))
        .filter(|t| !t.trim().is_empty())
        .collect()
}

fn assert_sheet_matches(bytes: &[u8], sheet_name: &str, board: &Value) {
    let rows = sheet(bytes, sheet_name);
    let (header, by_code) = board_rows(&rows);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
    };
    let entries = board["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        let code = e["unit"]["code"].as_str().unwrap();
        let row = by_code
            .get(code)
            .unwrap_or_else(|| panic!("{code} missing from {sheet_name}"));
        assert_eq!(
            number(&row[col("Hạng")]),
            e["rank"].as_f64().unwrap(),
            "{code}"
        );
        assert_eq!(
            text(&row[col("Tên đơn vị")]),
            e["unit"]["name"].as_str().unwrap()
        );
        let score = number(&row[col("Điểm")]);
        assert!(
            (score - e["score_bp"].as_f64().unwrap() / 100.0).abs() < 1e-9,
            "{code}: {score} vs {}",
            e["score_bp"]
        );
        for c in board["criteria"].as_array().unwrap() {
            let key = c["key"].as_str().unwrap();
            let label = c["label"].as_str().unwrap();
            let view = &e["criteria"][key];
            let criterion = LANG_SON_CRITERIA
                .iter()
                .find(|(k, _, _)| *k == key)
                .unwrap();
            let rate = &row[col(&format!("{label} / Tỷ lệ"))];
            match view["rate_bp"].as_f64() {
                Some(bp) => assert!((number(rate) - bp / 10000.0).abs() < 1e-12, "{code} {key}"),
                None => assert_eq!(rate, &Data::Empty, "{code} {key}"),
            }
            assert_eq!(
                number(&row[col(&format!("{label} / {}", counter_label(criterion.1)))]),
                view["numerator"].as_f64().unwrap()
            );
            assert_eq!(
                number(&row[col(&format!("{label} / {}", counter_label(criterion.2)))]),
                view["denominator"].as_f64().unwrap()
            );
        }
        assert_eq!(
            number(&row[col("Số ngày báo cáo")]),
            e["days_reported"].as_f64().unwrap()
        );
    }
    for u in board["unranked"].as_array().unwrap() {
        let code = u["unit"]["code"].as_str().unwrap();
        let row = by_code.get(code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!(row[col("Hạng")], Data::Empty);
    }
    assert_eq!(
        by_code.len(),
        entries.len() + board["unranked"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn the_xlsx_export_equals_the_leaderboard() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        seed(&app).await;
        let (status, headers, bytes) = download(&app, "/api/v1/admin/export?format=xlsx").await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        assert!(headers["content-type"].contains("spreadsheetml"));
        assert!(headers["content-disposition"].contains("lang-son-2025-tam-tinh.xlsx"));
        let book = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(
            book.sheet_names(),
            [
                "Tổng hợp",
                "Tất cả",
                "Sở, ban, ngành",
                "UBND xã, phường",
                "Số liệu hằng ngày",
                "Hiệu chỉnh"
            ]
        );
        for (name, board) in [
            ("Tất cả", "all"),
            ("Sở, ban, ngành", "so-nganh"),
            ("UBND xã, phường", "xa-phuong"),
        ] {
            let api = app.board(board, None).await;
            assert_sheet_matches(&bytes, name, &api);
            let top = heading(&sheet(&bytes, name));
            // The issuer beside the national heading, the place and date,
            // the dates of the week, the status and the time of the export.
            assert_eq!(
                top[..4],
                [
                    "UBND TỈNH LẠNG SƠN",
                    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                    "SỞ NỘI VỤ",
                    "Độc lập - Tự do - Hạnh phúc"
                ],
                "{top:?}"
            );
            let has = |line: &str| top.iter().any(|t| t == line);
            assert!(has("Lạng Sơn, ngày 06 tháng 10 năm 2025"), "{top:?}");
            assert!(
                top.iter()
                    .any(|t| t.contains("06/10/2025") && t.contains("10/10/2025"))
            );
            assert!(has("TẠM TÍNH") && !has("KẾT QUẢ CHÍNH THỨC"), "{top:?}");
            assert!(
                top.iter()
                    .any(|t| t.starts_with("Xuất lúc 10:00 ngày 06/10/2025")),
                "{top:?}"
            );
            // The signer's block under the table.
            let cells: Vec<String> = sheet(&bytes, name).iter().flatten().map(text).collect();
            for line in [
                "Nơi nhận:",
                "- Lưu: VT, CCVC&TĐKT.",
                "KT. GIÁM ĐỐC",
                "PHÓ GIÁM ĐỐC",
                "Nguyễn Văn A",
            ] {
                assert!(cells.iter().any(|c| c == line), "{name}: no {line:?}");
            }
        }
        // Shared rank for equal figures.
        let all = app.board("all", None).await;
        let rank = |code: &str| {
            all["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["unit"]["code"] == code)
                .map(|e| e["rank"].clone())
        };
        assert_eq!(rank("06040"), rank("SXD"));

        // Daily figures: one row per report.
        let daily = sheet(&bytes, "Số liệu hằng ngày");
        let found = daily
            .iter()
            .filter(|r| r.iter().any(|c| text(c) == "Xã Thất Khê"))
            .count();
        assert_eq!(found, 1);

        // Final: the stored standings, marked official.
        let (status, body) = {
            let r = app.post_as_organizer("/api/v1/admin/finalize").await;
            (r.status().as_u16(), r.text().await.unwrap())
        };
        assert!(status == 200 || status == 201, "{status} {body}");
        // The export equals the final boards.
        let (_, headers, bytes) = download(&app, "/api/v1/admin/export?format=xlsx").await;
        assert!(headers["content-disposition"].contains("ket-qua-chinh-thuc"));
        let final_all = app.board("all", None).await;
        assert_eq!(final_all["competition"]["status"], "final");
        assert_sheet_matches(&bytes, "Tất cả", &final_all);
        let top = heading(&sheet(&bytes, "Tất cả"));
        assert!(top.contains(&"KẾT QUẢ CHÍNH THỨC".to_string()), "{top:?}");
        assert!(!top.contains(&"TẠM TÍNH".to_string()), "{top:?}");
    }
}

#[tokio::test]
async fn corrections_are_listed_in_their_sheet() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let mut fix = report("2025-10-06", counters(12, 12, 4, 4, 8, 8));
    fix["unit"] = "SNV".into();
    fix["reason"] = "Sở Nội vụ báo cáo nhầm".into();
    let (status, body) = app.post_as_admin(&fix).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, bytes) = download(&app, "/api/v1/admin/export?format=xlsx").await;
    let rows = sheet(&bytes, "Hiệu chỉnh");
    let row = rows
        .iter()
        .find(|r| r.iter().any(|c| text(c) == "SNV"))
        .expect("correction row");
    let cells: Vec<String> = row.iter().map(text).collect();
    assert!(
        cells.contains(&"Sở Nội vụ báo cáo nhầm".to_string()),
        "{cells:?}"
    );
    assert!(cells.contains(&"ban-to-chuc".to_string()), "{cells:?}");
}

#[tokio::test]
async fn the_english_csv_has_a_bom_and_every_unit_on_every_board() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let (status, headers, bytes) =
        download(&app, "/api/v1/admin/export?format=csv&locale=en").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/csv"));
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("Xã Thất Khê"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
    let active = selected.active_units().count();
    // Every unit on "all" and on its group's board.
    assert_eq!(rows.len(), 2 * active);
    for board in ["all", "so-nganh", "xa-phuong"] {
        let api = app.board(board, None).await;
        for e in api["entries"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| &r[col("board")] == board && r[col("unit_code")] == e["unit"]["code"])
                .unwrap();
            assert_eq!(row[col("rank")], e["rank"].to_string());
            assert_eq!(row[col("score_bp")], e["score_bp"].to_string());
            assert_eq!(row[col("status")], *"provisional");
            let bp = e["criteria"]["online_submission"]["rate_bp"]
                .as_u64()
                .unwrap();
            assert_eq!(
                row[col("online_submission_rate_percent")],
                format!("{}.{:02}", bp / 100, bp % 100)
            );
        }
    }
}

/// The default CSV is for a spreadsheet with Vietnamese regional settings:
/// fields separated by `;`, decimal commas, Vietnamese headers and words.
#[tokio::test]
async fn the_vietnamese_csv_opens_with_decimal_commas_and_vietnamese_headers() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let (status, headers, bytes) = download(&app, "/api/v1/admin/export?format=csv").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/csv"));
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("no {n:?} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
    assert_eq!(rows.len(), 2 * selected.active_units().count());
    let rate = "Tỷ lệ hồ sơ nộp trực tuyến - Tỷ lệ (%)";
    let online = format!(
        "Tỷ lệ hồ sơ nộp trực tuyến - {}",
        counter_label("received_online")
    );
    for (board, name) in [
        ("all", "Tất cả"),
        ("so-nganh", "Sở, ban, ngành"),
        ("xa-phuong", "UBND xã, phường"),
    ] {
        let api = app.board(board, None).await;
        for e in api["entries"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| {
                    &r[col("Bảng xếp hạng")] == name && r[col("Mã đơn vị")] == e["unit"]["code"]
                })
                .unwrap();
            assert_eq!(row[col("Hạng")], e["rank"].to_string());
            assert_eq!(row[col("Tình trạng")], *"Tạm tính");
            let bp = e["score_bp"].as_u64().unwrap();
            assert_eq!(row[col("Điểm")], format!("{},{:02}", bp / 100, bp % 100));
            let view = &e["criteria"]["online_submission"];
            let bp = view["rate_bp"].as_u64().unwrap();
            assert_eq!(row[col(rate)], format!("{},{:02}", bp / 100, bp % 100));
            assert_eq!(row[col(&online)], view["numerator"].to_string());
            assert_eq!(row[col("Tên đơn vị")], e["unit"]["name"]);
        }
        for u in api["unranked"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| {
                    &r[col("Bảng xếp hạng")] == name && r[col("Mã đơn vị")] == u["unit"]["code"]
                })
                .unwrap();
            assert_eq!(row[col("Hạng")], *"");
            assert!(!row[col("Ghi chú")].is_empty());
        }
    }
    // The shared rank and a reason in words, not keys.
    assert!(
        rows.iter()
            .any(|r| &r[col("Ghi chú")] == "Không phát sinh hồ sơ")
    );
    assert!(!text.contains("no_dossiers") && !text.contains("provisional"));
    let (status, _, body) = download(&app, "/api/v1/admin/export?format=csv&locale=fr").await;
    assert_eq!(status, 422);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body["error"]["fields"]["locale"].is_string());
}

#[tokio::test]
async fn the_json_export_holds_every_board() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let (status, _, bytes) = download(&app, "/api/v1/admin/export?format=json").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], "provisional");
    let boards = body["boards"].as_array().unwrap();
    assert_eq!(boards.len(), 3);
    for b in boards {
        let api = app.board(b["board"].as_str().unwrap(), None).await;
        assert_eq!(b["entries"], api["entries"]);
        assert_eq!(b["unranked"], api["unranked"]);
        assert_eq!(b["totals"], api["totals"]);
    }
}

#[tokio::test]
async fn supplied_text_never_becomes_a_formula_or_markup() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app.state.catalog().competition(Some(SLUG)).unwrap();
    let csv =
        "code,name,group\nX1,\"=HYPERLINK(\"\"x\"\")\",xa-phuong\nX2,<b>in đậm</b>,xa-phuong\n";
    let rows = thidua::units::parse_csv(csv, &selected.record.competition).unwrap();
    app.state
        .store()
        .import_units(selected.record.id, &rows, app.state.now())
        .await
        .unwrap();
    app.state.catalog().reload().await.unwrap();

    let (_, _, bytes) = download(&app, "/api/v1/admin/export?format=xlsx").await;
    let rows = sheet(&bytes, "Tất cả");
    let (header, by_code) = board_rows(&rows);
    let name = header.iter().position(|h| h == "Tên đơn vị").unwrap();
    assert_eq!(
        by_code["X1"][name],
        Data::String("=HYPERLINK(\"x\")".into())
    );
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    for sheet in book.sheet_names() {
        let formulas = book.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "formula in {sheet}"
        );
    }

    let (_, _, bytes) = download(&app, "/api/v1/admin/export?format=csv").await;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");

    let (status, _, bytes) = download(&app, "/admin/print").await;
    assert_eq!(status, 200);
    let html = String::from_utf8(bytes).unwrap();
    let at = html.find("in đậm").expect("the unit is listed");
    let shown = &html[at - 20..at + 30];
    assert!(
        shown.contains("&#60;b&#62;in đậm&#60;/b&#62;")
            || shown.contains("&lt;b&gt;in đậm&lt;/b&gt;"),
        "{shown}"
    );
    assert!(!html.contains("<b>in đậm"));
}

#[tokio::test]
async fn the_printable_ranking_is_an_a4_page_with_the_organiser() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let (status, headers, bytes) = download(&app, "/admin/print").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/html"));
    let html = String::from_utf8(bytes).unwrap();
    assert!(html.contains("@page { size: A4"));
    assert!(html.contains("Sở Nội vụ tỉnh Lạng Sơn"));
    assert!(html.contains("TẠM TÍNH"));
    assert!(html.contains("Xã Thất Khê"));
    // The administrative document: issuer, national heading, place and
    // date, and the signer's block with Nơi nhận.
    for line in [
        "UBND TỈNH LẠNG SƠN",
        "SỞ NỘI VỤ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Lạng Sơn, ngày 06 tháng 10 năm 2025",
        "Nơi nhận:",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Văn A",
    ] {
        assert!(html.contains(line), "no {line:?}");
    }
    // The last board's last rows (at most three) go with the signature.
    let last = app.board("xa-phuong", None).await;
    let ranked = last["entries"].as_array().unwrap().len();
    assert!(ranked > 0);
    assert_eq!(html.matches("class=\"closing\"").count(), ranked.min(3));
    assert!(!html.contains("{{"));
}

#[tokio::test]
async fn exports_are_for_organisers_only() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    for path in [
        "/api/v1/admin/export?format=xlsx",
        "/admin/print",
        "/api/v1/admin/import-template?group=xa-phuong&day=2025-10-06",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 401, "{path}");
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(app.token("SNV"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let (status, _, body) = download(&app, "/api/v1/admin/export?format=docx").await;
    assert_eq!(status, 422);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body["error"]["fields"]["format"].is_string());
    let (status, _, _) = download(&app, "/api/v1/admin/export?format=csv&competition=nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_command_line_export_writes_the_same_files() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "xlsx", "json", "pdf"] {
        let out = dir.path().join(format!("ket-qua.{format}"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_thidua"))
            .env_remove("THIDUA_REDIS_URL")
            .args(["--database-url", &app.database_url])
            .args(["--now", "2025-10-06T03:00:00Z"])
            .args(["export", "--competition", SLUG, "--format", format, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let bytes = std::fs::read(&out).unwrap();
        match format {
            "csv" => {
                assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
                assert!(String::from_utf8(bytes).unwrap().contains("Xã Thất Khê"));
            }
            "xlsx" => assert_sheet_matches(&bytes, "Tất cả", &app.board("all", None).await),
            "pdf" => {
                let (_, _, served) = download(&app, "/api/v1/admin/export?format=pdf").await;
                assert!(bytes.starts_with(b"%PDF-"));
                // The same document as served (but for its creation time).
                assert!(
                    bytes.len().abs_diff(served.len()) < 64,
                    "{} vs {}",
                    bytes.len(),
                    served.len()
                );
            }
            _ => {
                let body: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(
                    body["boards"][0]["entries"],
                    app.board("all", None).await["entries"]
                );
            }
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(["--database-url", &app.database_url])
        .args(["export", "--competition", SLUG, "--format", "docx", "--out"])
        .arg(dir.path().join("x.docx"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}
