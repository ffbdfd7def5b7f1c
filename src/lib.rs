//! thidua — the live leaderboard of a public-service competition week.
//!
//! A tour, from the inside out:
//! - [`scoring`]: pure, exact scoring — counter totals in, `score_bp`, rank
//!   and grade out. No I/O.
//! - [`competition`] and [`units`]: the organiser's files, parsed and validated.
//! - [`report`]: what makes a daily report acceptable (SPEC §5).
//! - [`store`]: the database (SQLite or PostgreSQL), the only place with SQL.
//! - [`ranking`]: the live boards in Redis or in process, derived from the store.
//! - [`standings`]: turns stored reports into ranking entries and keeps the
//!   ranking in step with the store.
//! - [`leaderboard`]: the board as the public and exports see it.
//! - [`state`]: what every request shares; [`http`]: the web service.
//! - [`i18n`]: every page label in Vietnamese and English; [`chart`]: the
//!   geometry of the unit page's server-drawn SVG chart.
//! - [`cli`] and [`demo`]: the `thidua` command and its demo competition.

pub mod chart;
pub mod cli;
pub mod clock;
pub mod competition;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod leaderboard;
pub mod lifecycle;
pub mod limits;
pub mod metrics;
pub mod password;
pub mod ranking;
pub mod report;
pub mod scoring;
pub mod session;
pub mod standings;
pub mod state;
pub mod store;
pub mod token;
pub mod units;
