//! Every refusal rule of SPEC §5 and §8: the status, the error code, and
//! that nothing was written. Also revisions, "unchanged", idempotency and
//! organiser entries.

mod support;

use serde_json::{Value, json};
use support::{Db, Rank, counters, report, spawn_app};

const SQLITE: (Db, Rank) = (Db::Sqlite, Rank::Memory);

fn good() -> Value {
    report("2025-10-06", counters(10, 9, 4, 3, 8, 8))
}

/// Sends `request` and checks it is refused with `status` and `code`, with a
/// message, and that no revision was written.
async fn assert_refused(
    app: &support::TestApp,
    request: reqwest::RequestBuilder,
    status: u16,
    code: &str,
) -> Value {
    let before = app.revision_count().await;
    let response = request.send().await.unwrap();
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(app.revision_count().await, before);
    body
}

#[tokio::test]
async fn refusals_write_nothing() {
    let app = spawn_app(SQLITE).await;
    let url = app.url("/api/v1/reports");
    let token = app.token("06040").to_string();
    let c = &app.client;

    // 401: no credentials, unknown token, wrong scheme.
    assert_refused(&app, c.post(&url).json(&good()), 401, "unauthorized").await;
    assert_refused(
        &app,
        c.post(&url).bearer_auth("nope").json(&good()),
        401,
        "unauthorized",
    )
    .await;
    assert_refused(
        &app,
        c.post(&url)
            .header("authorization", format!("Basic {token}"))
            .json(&good()),
        401,
        "unauthorized",
    )
    .await;
    // 415: not JSON.
    assert_refused(
        &app,
        c.post(&url)
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(good().to_string()),
        415,
        "unsupported_media_type",
    )
    .await;
    // 413: over 64 KiB.
    let mut huge = good();
    huge["note"] = json!("x".repeat(70 * 1024));
    assert_refused(
        &app,
        c.post(&url).bearer_auth(&token).json(&huge),
        413,
        "payload_too_large",
    )
    .await;
    // 400: malformed and truncated JSON.
    for body in [
        "{\"day\": ",
        "not json",
        "{\"day\":\"2025-10-06\",\"counters\":{}",
    ] {
        assert_refused(
            &app,
            c.post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body),
            400,
            "bad_request",
        )
        .await;
    }
    // 422: each validation rule, with the field named.
    let cases: Vec<(Value, &str)> = vec![
        (
            report("2025-10-06", json!({"received": 1})),
            "counters.received_online",
        ),
        (
            report("2025-10-06", {
                let mut v = counters(10, 9, 4, 3, 8, 8);
                v["recieved"] = json!(1);
                v
            }),
            "counters.recieved",
        ),
        (
            report("2025-10-06", counters(10, 11, 4, 3, 8, 8)),
            "counters.received_online",
        ),
        (
            report("2025-10-06", {
                let mut v = counters(10, 9, 4, 3, 8, 8);
                v["paid_online"] = json!(-1);
                v
            }),
            "counters.paid_online",
        ),
        (
            report("2025-10-06", {
                let mut v = counters(10, 9, 4, 3, 8, 8);
                v["received"] = json!("10");
                v
            }),
            "counters.received",
        ),
        (
            report("2025-10-06", {
                let mut v = counters(10, 9, 4, 3, 8, 8);
                v["received"] = json!(1_000_000_001u64);
                v
            }),
            "counters.received",
        ),
        (
            json!({"day": "2025-10-06", "counters": counters(1, 1, 1, 1, 1, 1), "note": "x".repeat(1001)}),
            "note",
        ),
        (report("6/10/2025", counters(1, 1, 1, 1, 1, 1)), "day"),
        (report("2025-10-05", counters(1, 1, 1, 1, 1, 1)), "day"),
        (report("2025-10-07", counters(1, 1, 1, 1, 1, 1)), "day"),
        (
            json!({"day": "2025-10-06", "counters": counters(1, 1, 1, 1, 1, 1), "unit": "SNV"}),
            "unit",
        ),
    ];
    for (body, field) in cases {
        let r = c.post(&url).bearer_auth(&token).json(&body);
        let err = assert_refused(&app, r, 422, "validation").await;
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    // The error message for numerator > denominator is the Vietnamese one.
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .json(&report("2025-10-06", counters(10, 11, 4, 3, 8, 8)));
    let err = assert_refused(&app, r, 422, "validation").await;
    assert_eq!(
        err["error"]["fields"]["counters.received_online"],
        "Số hồ sơ tiếp nhận trực tuyến không được lớn hơn tổng số hồ sơ tiếp nhận"
    );
    // 403: an organiser token where a unit's is needed.
    let r = c
        .get(app.url("/api/v1/reports"))
        .bearer_auth(&app.admin_token);
    assert_refused(&app, r, 403, "forbidden").await;
    assert_eq!(app.revision_count().await, 0);
}

#[tokio::test]
async fn deadlines_final_and_organiser_entries() {
    let app = spawn_app(SQLITE).await;
    assert_eq!(app.post_report("06040", &good()).await.0, 201);
    // 7/10 09:00 local closes 6/10 for units.
    app.clock.set(
        support::day("2025-10-07")
            .and_hms_opt(2, 0, 0)
            .unwrap()
            .and_utc(),
    );
    let before = app.revision_count().await;
    let (status, body) = app
        .post_report("06040", &report("2025-10-06", counters(10, 10, 4, 4, 8, 8)))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("day_closed")),
        "{body}"
    );
    assert_eq!(app.revision_count().await, before);
    // The organiser can still correct, with a reason, and it is marked late.
    let mut body = report("2025-10-06", counters(10, 10, 4, 4, 8, 8));
    body["unit"] = json!("06040");
    let (status, err) = app.post_as_admin(&body).await;
    assert_eq!(
        (status, err["error"]["fields"]["reason"].is_string()),
        (422, true),
        "{err}"
    );
    body["reason"] = json!("Đơn vị báo cáo nhầm");
    let (status, ok) = app.post_as_admin(&body).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["revision"], 2);
    let log = app.state.store().audit_log(1, "nhầm", 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action_name, "report.correct");
    // After finalize nobody writes: 409 competition_final.
    let selected = app.state.catalog().competition(None).unwrap();
    assert!(
        app.state
            .lifecycle()
            .finalize(&selected, "test")
            .await
            .unwrap()
    );
    let before = app.revision_count().await;
    body["reason"] = json!("sửa lần nữa");
    let (status, err) = app.post_as_admin(&body).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("competition_final"))
    );
    let (status, err) = app
        .post_report("06040", &report("2025-10-07", counters(1, 1, 1, 1, 1, 1)))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("competition_final"))
    );
    assert_eq!(app.revision_count().await, before);
}

#[tokio::test]
async fn revisions_unchanged_and_idempotency() {
    let app = spawn_app(SQLITE).await;
    let (status, first) = app.post_report("06040", &good()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (first["revision"].as_i64(), first["unchanged"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(first["standing"]["board"], "xa-phuong");
    assert_eq!(first["standing"]["rank"], 1);
    // (9/10 + 3/4 + 8/8) / 3 = 88.333… → 8833
    assert_eq!(first["standing"]["score_bp"], 8833);

    let (status, same) = app.post_report("06040", &good()).await;
    assert_eq!(
        (
            status,
            same["unchanged"].as_bool(),
            same["revision"].as_i64()
        ),
        (200, Some(true), Some(1))
    );
    assert_eq!(app.revision_count().await, 1);

    let changed = report("2025-10-06", counters(10, 10, 4, 3, 8, 8));
    let (status, second) = app.post_report("06040", &changed).await;
    assert_eq!((status, second["revision"].as_i64()), (200, Some(2)));

    // Idempotency: the retry returns the first response, no new revision.
    let url = app.url("/api/v1/reports");
    let token = app.token("SNV").to_string();
    let send = |body: Value, key: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let a = send(good(), "k-1").await.unwrap();
    assert_eq!(a.status(), 201);
    let a: Value = a.json().await.unwrap();
    let revisions = app.revision_count().await;
    let b = send(good(), "k-1").await.unwrap();
    assert_eq!(b.status(), 201);
    let b: Value = b.json().await.unwrap();
    assert_eq!(a["revision"], b["revision"]);
    assert_eq!(app.revision_count().await, revisions);
    // Same key, different request: 409.
    let c = send(report("2025-10-06", counters(5, 5, 0, 0, 0, 0)), "k-1")
        .await
        .unwrap();
    assert_eq!(c.status(), 409);
    let c: Value = c.json().await.unwrap();
    assert_eq!(c["error"]["code"], "idempotency_conflict");
    assert_eq!(app.revision_count().await, revisions);

    // The unit sees its own reports and every revision.
    let r: Value = app
        .client
        .get(app.url("/api/v1/reports"))
        .bearer_auth(app.token("06040"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["reports"][0]["revisions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_unit_never_writes_another() {
    let app = spawn_app(SQLITE).await;
    // Whatever the body says, the token decides the unit.
    let mut body = good();
    body["unit"] = json!("06001");
    let (status, _) = app.post_report("06040", &body).await;
    assert_eq!(status, 422);
    let (status, ok) = app.post_report("06040", &good()).await;
    assert_eq!((status, ok["unit"]["code"].as_str()), (201, Some("06040")));
    let (_, unit) = app.get_json("/api/v1/units/06001").await;
    assert!(unit["days"][0]["reported"] == json!(false), "{unit}");
}
