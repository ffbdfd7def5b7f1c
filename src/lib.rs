//! thidua — the live leaderboard of a public-service competition week.
//!
//! Read it bottom-up; each module uses only modules above it in this list
//! (the tour is in the README too):
//! - [`scoring`]: pure, exact scoring — counter totals in, `score_bp`, rank
//!   and grade out. No I/O.
//! - [`competition`] (the competition file, its boards, status and
//!   calendar), [`units`] (the units file), [`day`] (the one day format),
//!   [`report`] (what makes a daily report acceptable), [`i18n`] and
//!   [`chart`] (page labels, SVG geometry), [`audit`] (the audit log's
//!   vocabulary, named in both languages).
//! - [`scope`]: what an organiser may act on (their competitions, or the
//!   whole deployment).
//! - [`store`]: the database (SQLite or PostgreSQL), the only place with SQL.
//! - [`catalog`]: competitions and units in memory, the current competition.
//! - [`ranking`]: the live boards in Redis or in process, derived from the
//!   store, and [`ranking::sync`], which keeps them in step with it.
//! - [`leaderboard`] (pure: a board from ranking entries) and [`boards`]
//!   (what a viewer sees: live, frozen or final, cached per version);
//!   [`unit_history`] (one unit over the week).
//! - [`submit`]: the one write path of a report; [`access`]: units' access
//!   codes, and [`letters`], the printable letters that hand them out;
//!   [`lifecycle`]: freeze, finalize, re-open.
//! - [`progress`]: how long command-line work shows how far it is.
//! - [`import`], [`export`], [`demo`], [`jobs`]: bulk entry, files for the
//!   organiser, the demo, what runs on a schedule.
//! - [`state`]: the services a running instance holds; [`http`]: the web
//!   service; [`cli`]: the `thidua` command.

pub mod access;
pub mod audit;
pub mod boards;
pub mod catalog;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod competition;
pub mod config;
pub mod cpu;
pub mod day;
pub mod demo;
pub mod error;
pub mod export;
pub mod http;
pub mod i18n;
pub mod import;
pub mod integrations;
pub mod jobs;
pub mod leaderboard;
pub mod letters;
pub mod lifecycle;
pub mod limits;
pub mod metrics;
pub mod password;
pub mod progress;
pub mod ranking;
pub mod redis_connection;
pub mod report;
pub mod scope;
pub mod scoring;
pub mod state;
pub mod store;
pub mod submit;
pub mod text;
pub mod token;
pub mod unit_history;
pub mod units;
