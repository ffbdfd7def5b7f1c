//! The organiser's bulk import (SPEC §10): all or nothing, every bad line
//! listed by number, good files written through the one ingest path as
//! `import` revisions with audit entries; the XLSX template round-trips.

mod support;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::Value;
use sqlx::Row;
use support::*;

const HEADER: &str =
    "unit_code,day,received,received_online,fee_required,paid_online,results_issued,results_signed";

async fn upload(app: &TestApp, query: &str, body: Vec<u8>, token: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/admin/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.state.store().pool())
        .await
        .unwrap()
        .get::<i64, _>("n")
}

#[tokio::test]
async fn a_file_with_bad_lines_is_refused_whole() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let audits = count(&app, "SELECT COUNT(*) AS n FROM audit_log").await;
        let file = format!(
            "{HEADER}\n\
             06040,2025-10-06,10,9,4,4,8,8\n\
             NOPE,2025-10-06,10,9,4,4,8,8\n\
             SNV,2025-10-06,10,11,4,4,8,8\n\
             STC,2025/10/06,10,9,4,4,8,8\n\
             SXD,2025-10-06,10,-1,4,abc,8,8\n\
             \n\
             SYT,2025-10-06,10,9,4,4,8,9\n\
             SGDDT,2025-10-06,10,9,4,4,8\n\
             SCT,2025-10-12,10,9,4,4,8,8\n\
             06040,2025-10-06,10,9,4,4,8,8\n\
             SNV,2025-10-08,10,9,4,4,8,8\n"
        );
        let (status, body) = upload(
            &app,
            "?reason=Nh%E1%BA%ADp%20b%E1%BB%95%20sung",
            file.into_bytes(),
            &app.admin_token,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let fields = body["error"]["fields"].as_object().unwrap();
        let mut lines: Vec<usize> = fields
            .keys()
            .map(|k| k.strip_prefix("line.").unwrap().parse().unwrap())
            .collect();
        lines.sort();
        assert_eq!(lines, vec![3, 4, 5, 6, 8, 9, 10, 11, 12], "{body}");
        assert!(fields["line.3"].as_str().unwrap().contains("NOPE"));
        assert!(
            fields["line.4"]
                .as_str()
                .unwrap()
                .contains("received_online")
        );
        assert!(fields["line.5"].as_str().unwrap().contains("day"));
        assert!(fields["line.6"].as_str().unwrap().contains("paid_online"));
        assert!(
            fields["line.9"]
                .as_str()
                .unwrap()
                .contains("results_signed")
        );
        assert!(fields["line.11"].as_str().unwrap().contains("nhiều lần"));
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("9 dòng lỗi")
        );
        // Nothing written, not even the good lines.
        assert_eq!(app.revision_count().await, 0);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM audit_log").await,
            audits
        );
    }
}

#[tokio::test]
async fn a_good_file_writes_import_revisions_with_audit_entries() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let file = format!(
            "\u{feff}{HEADER},note\n\
             06040,2025-10-06,100,95,40,38,80,80,Nhập từ báo cáo giấy\n\
             SNV,2025-10-06,10,7,4,2,8,5,\n\
             STC,2025-10-06,20,19,0,0,10,10,\n"
        );
        let query = "?reason=S%E1%BB%91%20li%E1%BB%87u%20b%C3%A1o%20c%C3%A1o%20gi%E1%BA%A5y";
        let (status, body) = upload(&app, query, file.clone().into_bytes(), &app.admin_token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["imported"]["lines"], 3);
        assert_eq!(body["imported"]["created"], 3);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM revisions WHERE actor_kind = 'import' AND reason = 'Số liệu báo cáo giấy'").await,
            3
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'report.correct' AND actor = 'ban-to-chuc'").await,
            3
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'reports.import'"
            )
            .await,
            1
        );
        // The board shows them at once.
        let board = app.board("xa-phuong", None).await;
        let e = &board["entries"][0];
        assert_eq!(e["unit"]["code"], "06040");
        assert_eq!(e["criteria"]["online_submission"]["rate_bp"], 9500);

        // The same file again changes nothing.
        let (status, body) = upload(&app, query, file.into_bytes(), &app.admin_token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["imported"]["unchanged"], 3);
        assert_eq!(app.revision_count().await, 3);
    }
}

#[tokio::test]
async fn after_the_deadline_imports_are_marked_late() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2025-10-07T10:00:00+07:00")
            .unwrap()
            .into(),
    );
    let file = format!("{HEADER}\nSNV,2025-10-06,10,7,4,2,8,5\nSNV,2025-10-07,10,7,4,2,8,5\n");
    let (status, body) = upload(&app, "?reason=late", file.into_bytes(), &app.admin_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"]["late"], 1);
}

#[tokio::test]
async fn refusals_are_clear_and_change_nothing() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let good = format!("{HEADER}\nSNV,2025-10-06,10,7,4,2,8,5\n").into_bytes();
    // No reason.
    let (status, body) = upload(&app, "", good.clone(), &app.admin_token).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string());
    // A unit cannot import.
    let (status, _) = upload(&app, "?reason=x", good.clone(), app.token("SNV")).await;
    assert_eq!(status, 403);
    // Empty body, non-UTF-8, a missing column, an unknown column.
    let (status, _) = upload(&app, "?reason=x", Vec::new(), &app.admin_token).await;
    assert_eq!(status, 400);
    let (status, body) = upload(&app, "?reason=x", vec![b'a', 0xff, b'\n'], &app.admin_token).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = upload(
        &app,
        "?reason=x",
        b"unit_code,day,received,recieved\nSNV,2025-10-06,1,1\n".to_vec(),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 422);
    let header = body["error"]["fields"]["line.1"].as_str().unwrap();
    assert!(
        header.contains("recieved") && header.contains("thiếu cột received_online"),
        "{header}"
    );
    // A header and no data.
    let (status, body) = upload(
        &app,
        "?reason=x",
        format!("{HEADER}\n").into_bytes(),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // A broken XLSX.
    let (status, _) = upload(
        &app,
        "?reason=x",
        b"PK\x03\x04garbage".to_vec(),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(app.revision_count().await, 0);

    // Final: 409 for the whole file.
    let selected = app
        .state
        .catalog()
        .competition(Some("lang-son-2025"))
        .unwrap();
    app.state
        .lifecycle()
        .finalize(&selected, "ban-to-chuc")
        .await
        .unwrap();
    let (status, body) = upload(&app, "?reason=x", good, &app.admin_token).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "competition_final");
    assert_eq!(app.revision_count().await, 0);
}

#[tokio::test]
async fn the_xlsx_template_round_trips() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let r = app
        .client
        .get(app.url("/api/v1/admin/import-template?group=so-nganh&day=2025-10-06"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Số liệu", "Hướng dẫn"]);
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    // Keys in the first (hidden) row for machines, Vietnamese for people.
    let keys: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(&keys[..4], ["unit_code", "unit_name", "day", "received"]);
    let header: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..3], ["Mã đơn vị", "Tên đơn vị", "Ngày"]);
    assert_eq!(header[3], "Tổng số hồ sơ tiếp nhận");
    assert_eq!(header.last().unwrap(), "Ghi chú");
    let selected = app
        .state
        .catalog()
        .competition(Some("lang-son-2025"))
        .unwrap();
    let so_nganh: Vec<_> = selected
        .active_units()
        .filter(|u| u.group == "so-nganh")
        .collect();
    assert_eq!(rows.len() - 2, so_nganh.len());
    assert_eq!(rows[2][0].to_string(), so_nganh[0].code);
    assert_eq!(rows[2][1].to_string(), so_nganh[0].name);
    assert_eq!(rows[2][2], Data::String("06/10/2025".into()));

    // Fill in three units as Excel would — numbers as numbers, one day
    // typed as a date, one figure with a thousands dot — and leave every
    // other pre-filled unit blank.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let ws = workbook.add_worksheet();
    for (r, row) in rows[..2].iter().enumerate() {
        for (c, h) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, h.to_string()).unwrap();
        }
    }
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (i, row) in rows[2..].iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string(r, 0, row[0].to_string()).unwrap();
        ws.write_string(r, 1, row[1].to_string()).unwrap();
        if i == 0 {
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 10, 6).unwrap();
            ws.write_datetime_with_format(r, 2, &date, &date_format)
                .unwrap();
        } else {
            ws.write_string(r, 2, row[2].to_string()).unwrap();
        }
        if i < 3 {
            if i == 2 {
                ws.write_string(r, 3, "1.200").unwrap();
            } else {
                ws.write_number(r, 3, 10.0).unwrap();
            }
            for (c, v) in [9.0, 4.0, 4.0, 8.0, 8.0].iter().enumerate() {
                ws.write_number(r, 4 + c as u16, *v).unwrap();
            }
        }
    }
    let filled = workbook.save_to_buffer().unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/admin/import?reason=M%E1%BA%ABu"))
        .bearer_auth(&app.admin_token)
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(filled)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"]["created"], 3);
    assert_eq!(app.revision_count().await, 3);
    let third = app
        .get_json(&format!("/api/v1/units/{}", so_nganh[2].code))
        .await
        .1;
    assert!(third.to_string().contains("1200"), "{third}");

    // An unknown group or a day outside the competition.
    for query in [
        "group=nope&day=2025-10-06",
        "group=so-nganh&day=2025-11-01",
        "day=hôm-nay",
    ] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/admin/import-template?{query}")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 404 || r.status() == 422,
            "{query}: {}",
            r.status()
        );
    }
}

#[tokio::test]
async fn the_command_line_import_is_all_or_nothing_too() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_thidua"))
            .env_remove("THIDUA_REDIS_URL")
            .args(["--database-url", &app.database_url])
            .args(["--now", "2025-10-06T03:00:00Z"])
            .args(["reports", "import"])
            .arg(file)
            .args(["--competition", "lang-son-2025", "--reason", "Báo cáo giấy"])
            .output()
            .unwrap()
    };
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}\nSNV,2025-10-06,10,7,4,2,8,5\nNOPE,2025-10-06,1,1,1,1,1,1\nSTC,2025-10-06,1,2,1,1,1,1\n"),
    )
    .unwrap();
    let out = run(&bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3:") && stderr.contains("line 4:"),
        "{stderr}"
    );
    assert_eq!(app.revision_count().await, 0);

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("{HEADER}\nSNV,2025-10-06,10,7,4,2,8,5\nSTC,2025-10-06,20,19,0,0,10,10\n"),
    )
    .unwrap();
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 lines imported"));
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(
        progress.contains("reports import: 2/2 done in"),
        "{progress}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM revisions WHERE actor_kind = 'import' AND actor = 'cli'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn files_people_write_are_read_as_they_wrote_them() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    // Vietnamese headers, days as dd/mm/yyyy, thousands with dots, unit
    // codes in lowercase, pre-filled units without figures.
    let file =
        "\u{feff}Mã đơn vị,Tên đơn vị,Ngày,Tổng số hồ sơ tiếp nhận,Số hồ sơ tiếp nhận trực tuyến,\
\"Số hồ sơ phải nộp phí, lệ phí\",Số hồ sơ thanh toán trực tuyến,Số kết quả TTHC trả trong ngày,\
Số kết quả TTHC được ký số,Ghi chú
snv,Sở Nội vụ,06/10/2025,1.200,1.100,4,4,8,8,
STC,Sở Tài chính,06/10/2025,,,,,,,
SXD,Sở Xây dựng,06/10/2025,,,,,,,
";
    let (status, body) = upload(
        &app,
        "?reason=gi%E1%BA%A5y",
        file.as_bytes().to_vec(),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"]["lines"], 1, "blank rows are skipped");
    let board = app.board("so-nganh", None).await;
    let snv = support::entry(&board, "SNV");
    assert_eq!(snv["criteria"]["online_submission"]["numerator"], 1100);
    // A row with some figures but not all is still refused, by its line.
    let partial = "unit_code,day,received,received_online,fee_required,paid_online,results_issued,results_signed
STC,2025-10-06,5,,,,,
";
    let (status, body) = upload(
        &app,
        "?reason=x",
        partial.as_bytes().to_vec(),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["line.2"].is_string(), "{body}");
}

#[tokio::test]
async fn a_file_larger_than_a_report_body_is_accepted() {
    let app = spawn_app((Db::Sqlite, Rank::Memory)).await;
    let selected = app
        .state
        .catalog()
        .competition(Some("lang-son-2025"))
        .unwrap();
    let note = "Số liệu tổng hợp từ báo cáo giấy của đơn vị. ".repeat(18);
    let mut file = format!("{HEADER},note\n");
    for unit in selected.active_units() {
        file.push_str(&format!("{},2025-10-06,10,9,4,4,8,8,{note}\n", unit.code));
    }
    assert!(file.len() > 64 * 1024, "{}", file.len());
    let (status, body) = upload(&app, "?reason=big", file.into_bytes(), &app.admin_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"]["created"], selected.active_units().count());
}
