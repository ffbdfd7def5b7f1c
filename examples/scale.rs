//! How the board scales with the number of units: builds the whole-period
//! board of N units × 30 days in process (scoring, ranking, JSON) and prints
//! timings, with JSON encoding of the same board as the in-run reference.
//!
//! cargo run --release --example scale -- 10000

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use thidua::catalog::Selected;
use thidua::competition::Competition;
use thidua::competition::{Board, CompetitionRecord, Status};
use thidua::leaderboard;
use thidua::leaderboard::BoardSpec;
use thidua::ranking::{Entry, Period, sort_entries};
use thidua::scoring::Totals;
use thidua::store::Unit;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let definition = include_str!("../data/lang-son-2025.toml")
        .replace("end_date = \"2025-10-10\"", "end_date = \"2025-11-04\"");
    let competition = Competition::parse(&definition).expect("competition");
    let units: Vec<Unit> = (0..n)
        .map(|i| Unit {
            id: i as i64,
            competition_id: 1,
            code: format!("{i:06}"),
            name: format!("Xã Đơn vị số {i}"),
            group: if i % 10 == 0 { "so-nganh" } else { "xa-phuong" }.into(),
            parent: None,
            active: true,
            has_token: true,
        })
        .collect();
    let selected = Selected {
        record: CompetitionRecord {
            id: 1,
            competition: Arc::new(competition.clone()),
            frozen_at: None,
            finalized_at: None,
        },
        units: Arc::new(units.clone()),
        generation: 1,
    };
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = move |max: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % (max + 1)
    };
    let started = Instant::now();
    let mut entries: Vec<Entry> = units
        .iter()
        .map(|u| {
            let mut totals = Totals::empty(competition.counters.len());
            for _ in 0..30 {
                let received = 20 + next(200);
                let fee = next(received / 2);
                let issued = next(received);
                totals.add_day(&[
                    received,
                    received - next(received / 10),
                    fee,
                    fee - next(fee / 5),
                    issued,
                    issued - next(issued / 20),
                ]);
            }
            thidua::ranking::sync::entry(&competition, u, totals, 1)
        })
        .collect();
    sort_entries(&mut entries);
    let scoring = started.elapsed();
    let runs = 5;
    let started = Instant::now();
    let mut board = None;
    for _ in 0..runs {
        board = Some(leaderboard::build(&BoardSpec {
            selected: &selected,
            board: &Board::All,
            period: Period::Whole,
            entries: &entries,
            version: 1,
            status: Status::Open,
            as_of: Utc::now(),
            previous_ranks: None,
        }));
    }
    let build = started.elapsed() / runs;
    let board = board.expect("board");
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..runs {
        bytes = serde_json::to_vec(&board).expect("json").len();
    }
    let json = started.elapsed() / runs;
    let _ = NaiveDate::MIN;
    println!("units: {n}, days: 30");
    println!("score + sort all entries: {scoring:?}");
    println!("build board (ranks, grades, totals): {build:?}");
    println!("encode JSON (reference): {json:?} for {bytes} bytes");
    println!(
        "build / JSON ratio: {:.2}",
        build.as_secs_f64() / json.as_secs_f64()
    );
}
