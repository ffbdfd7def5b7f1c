//! The leaderboard over HTTP equals an independent exact computation, on
//! every storage × ranking backend: hundreds of units, several days,
//! revisions, zero denominators, each no_data rule, tie-breakers.

mod support;

use std::collections::HashMap;

use num_bigint::BigUint;
use serde_json::{Value, json};
use support::{backends, spawn_app_full};

/// Lạng Sơn's counters, with one criterion of each no_data rule and a
/// tie-breaker, so that every rule is exercised.
const DEFINITION: &str = r#"
slug = "kiem-thu"
name = "Tuần lễ kiểm thử"
organizer = "Sở Nội vụ"
start_date = "2025-10-06"
end_date = "2025-10-10"
tie_breakers = ["results_signed"]

[[groups]]
code = "a"
name = "Nhóm A"

[[groups]]
code = "b"
name = "Nhóm B"

[[counters]]
key = "received"
label = "Tổng số hồ sơ"
[[counters]]
key = "received_online"
label = "Hồ sơ trực tuyến"
[[counters]]
key = "fee_required"
label = "Hồ sơ có phí"
[[counters]]
key = "paid_online"
label = "Thanh toán trực tuyến"
[[counters]]
key = "results_issued"
label = "Kết quả"
[[counters]]
key = "results_signed"
label = "Kết quả ký số"

[[criteria]]
key = "online_submission"
label = "Nộp trực tuyến"
numerator = "received_online"
denominator = "received"
weight = 2

[[criteria]]
key = "online_payment"
label = "Thanh toán trực tuyến"
numerator = "paid_online"
denominator = "fee_required"
target_percent = 80
no_data = "full"

[[criteria]]
key = "digital_signing"
label = "Ký số"
numerator = "results_signed"
denominator = "results_issued"
target_percent = 95
weight = 3
no_data = "zero"

[[grades]]
min_score = 90
label = "Xuất sắc"
[[grades]]
min_score = 50.5
label = "Đạt"
"#;

/// (numerator, denominator, target, weight, no_data) per criterion, as counter positions.
const CRITERIA: [(usize, usize, u64, u64, &str); 3] = [
    (1, 0, 100, 2, "exclude"),
    (3, 2, 80, 1, "full"),
    (5, 4, 95, 3, "zero"),
];

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Figures that often tie and often have zero denominators.
fn figures(seed: &mut u64) -> [u64; 6] {
    let small = |seed: &mut u64, max: u64| rng(seed) % (max + 1);
    let received = if rng(seed).is_multiple_of(4) {
        0
    } else {
        small(seed, 6)
    };
    let fee = if rng(seed).is_multiple_of(3) {
        0
    } else {
        small(seed, 4)
    };
    let issued = if rng(seed).is_multiple_of(5) {
        0
    } else {
        small(seed, 5)
    };
    [
        received,
        small(seed, received),
        fee,
        small(seed, fee),
        issued,
        small(seed, issued),
    ]
}

/// The reference: score_bp by the literal formula in big rationals.
fn reference_score(totals: &[u64; 6]) -> Option<u64> {
    // Σ w·a as a fraction num/den, over the criteria that count.
    let mut num = BigUint::from(0u32);
    let mut den = BigUint::from(1u32);
    let mut weights = 0u64;
    for (n, d, t, w, rule) in CRITERIA {
        let (an, ad): (BigUint, BigUint) = if totals[d] == 0 {
            match rule {
                "exclude" => continue,
                "full" => (1u32.into(), 1u32.into()),
                _ => (0u32.into(), 1u32.into()),
            }
        } else {
            let reached = (totals[n] * 100).min(totals[d] * t);
            (reached.into(), (totals[d] * t).into())
        };
        // num/den + w·an/ad
        num = num * &ad + BigUint::from(w) * an * &den;
        den *= ad;
        weights += w;
    }
    if weights == 0 {
        return None;
    }
    // round(10000 · num / (den · weights)), half up.
    let n = num * 10000u32;
    let d = den * weights;
    let q = &n / &d;
    let r = &n % &d;
    let up = r * 2u32 >= d;
    let q: u64 = q.try_into().unwrap();
    Some(q + u64::from(up))
}

#[tokio::test]
async fn leaderboard_equals_an_independent_exact_computation() {
    for backend in backends() {
        check(backend).await;
    }
}

async fn check(backend: (support::Db, support::Rank)) {
    let units: Vec<(String, &str)> = (0..240)
        .map(|i| (format!("U{i:03}"), if i % 3 == 0 { "a" } else { "b" }))
        .collect();
    let csv = std::iter::once("code,name,group".to_string())
        .chain(units.iter().map(|(c, g)| format!("{c},Đơn vị {c},{g}")))
        .collect::<Vec<_>>()
        .join("\n");
    let start = support::first_morning();
    let app = spawn_app_full(backend, DEFINITION, &csv, start).await;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (backend.0 as u64 * 31 + backend.1 as u64);
    // current[(unit, day)] = figures, the latest revision.
    let mut current: HashMap<(String, u32), [u64; 6]> = HashMap::new();
    let days = ["2025-10-06", "2025-10-07", "2025-10-08"];
    for (d, day) in days.iter().enumerate() {
        app.clock.set(
            chrono::DateTime::parse_from_rfc3339(&format!("{day}T12:00:00+07:00"))
                .unwrap()
                .with_timezone(&chrono::Utc),
        );
        for (code, _) in &units {
            // Some units skip some days; some post twice (a revision).
            if rng(&mut seed).is_multiple_of(6) {
                continue;
            }
            let times = if rng(&mut seed).is_multiple_of(5) {
                2
            } else {
                1
            };
            for _ in 0..times {
                let f = figures(&mut seed);
                let body = json!({"day": day, "counters": {
                    "received": f[0], "received_online": f[1], "fee_required": f[2],
                    "paid_online": f[3], "results_issued": f[4], "results_signed": f[5]}});
                let (status, response) = app.post_report(code, &body).await;
                assert!(status == 200 || status == 201, "{status} {response}");
                current.insert((code.clone(), d as u32), f);
            }
        }
    }
    // Whole period, and one day board.
    for (board, day) in [
        ("all", None),
        ("a", None),
        ("b", None),
        ("all", Some(1u32)),
        ("b", Some(2)),
    ] {
        let mut totals: HashMap<&str, ([u64; 6], u32)> = HashMap::new();
        for ((code, d), f) in &current {
            if day.is_some_and(|x| x != *d) {
                continue;
            }
            let entry = totals.entry(code.as_str()).or_insert(([0; 6], 0));
            for (sum, v) in entry.0.iter_mut().zip(f) {
                *sum += v;
            }
            entry.1 += 1;
        }
        let on_board: Vec<&(String, &str)> = units
            .iter()
            .filter(|(_, g)| board == "all" || *g == board)
            .collect();
        let mut expected: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut unranked: HashMap<&str, &str> = HashMap::new();
        for (code, _) in &on_board {
            match totals.get(code.as_str()) {
                None => {
                    unranked.insert(code, "no_reports");
                }
                Some((t, _)) => match reference_score(t) {
                    None => {
                        unranked.insert(code, "no_dossiers");
                    }
                    Some(s) => {
                        expected.insert(code, (s, t[5]));
                    }
                },
            }
        }
        let path = match day {
            None => format!("/api/v1/leaderboard?competition=kiem-thu&board={board}"),
            Some(d) => format!(
                "/api/v1/leaderboard?competition=kiem-thu&board={board}&day={}",
                days[d as usize]
            ),
        };
        let (status, body) = app.get_json(&path).await;
        assert_eq!(status, 200, "{body}");
        let entries = body["entries"].as_array().unwrap();
        assert_eq!(entries.len(), expected.len(), "{backend:?} {board} {day:?}");
        let mut previous: Option<(u64, u64, String)> = None;
        for e in entries {
            let code = e["unit"]["code"].as_str().unwrap();
            let (score, signed) = expected[code];
            assert_eq!(e["score_bp"].as_u64(), Some(score), "{backend:?} {code}");
            // rank = 1 + number strictly better on (score, tie-breaker)
            let better = expected
                .values()
                .filter(|(s, t)| (*s, *t) > (score, signed))
                .count() as u64;
            assert_eq!(
                e["rank"].as_u64(),
                Some(better + 1),
                "{backend:?} {board} {code}"
            );
            // Order: score desc, tie-breaker desc, code asc.
            if let Some((ps, pt, pc)) = &previous {
                assert!(
                    (*ps, *pt) > (score, signed)
                        || ((*ps, *pt) == (score, signed) && pc.as_str() < code),
                    "{backend:?} order at {code}"
                );
            }
            previous = Some((score, signed, code.to_string()));
            let grade = e["grade"].as_str();
            let want = if score >= 9000 {
                Some("Xuất sắc")
            } else if score >= 5050 {
                Some("Đạt")
            } else {
                None
            };
            assert_eq!(grade, want);
        }
        let listed: HashMap<&str, &str> = body["unranked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["unit"]["code"].as_str().unwrap(),
                    u["reason"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(listed, unranked, "{backend:?} {board} {day:?}");
        // Board totals: the same formula over the sums of every unit.
        let mut sums = [0u64; 6];
        for (code, _) in &on_board {
            if let Some((t, _)) = totals.get(code.as_str()) {
                for (sum, v) in sums.iter_mut().zip(t) {
                    *sum += v;
                }
            }
        }
        assert_eq!(body["totals"]["score_bp"].as_u64(), reference_score(&sums));
    }
    // Rebuilding the ranking from the database changes nothing.
    let selected = app.state.catalog().competition(Some("kiem-thu")).unwrap();
    let drift = app.state.sync().rebuild(&selected).await.unwrap();
    assert_eq!(drift, 0, "{backend:?}");
}

#[tokio::test]
async fn etag_and_paging() {
    let app = support::spawn_app((support::Db::Sqlite, support::Rank::Memory)).await;
    for (code, online) in [("06040", 9), ("06001", 10), ("SNV", 5)] {
        let (s, _) = app
            .post_report(
                code,
                &support::report("2025-10-06", support::counters(10, online, 0, 0, 0, 0)),
            )
            .await;
        assert_eq!(s, 201);
    }
    let r = app.get("/api/v1/leaderboard").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let full: Value = r.json().await.unwrap();
    assert_eq!(full["entries"].as_array().unwrap().len(), 3);
    let r = app.get_if_none_match("/api/v1/leaderboard", &etag).await;
    assert_eq!(r.status(), 304);
    let (_, page) = app.get_json("/api/v1/leaderboard?limit=1&offset=1").await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["unit"]["code"], "06040");
    assert_eq!(page["total_entries"], 3);
    // A new report moves the version and the ETag.
    app.post_report(
        "06040",
        &support::report("2025-10-06", support::counters(10, 10, 0, 0, 0, 0)),
    )
    .await;
    let r = app.get_if_none_match("/api/v1/leaderboard", &etag).await;
    assert_eq!(r.status(), 200);
    let (status, _) = app.get_json("/api/v1/leaderboard?board=nope").await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json("/api/v1/leaderboard?limit=-1").await;
    assert_eq!(status, 422);
}
