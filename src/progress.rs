//! How long command-line work shows how far it is (SPEC §10): importing
//! 10,000 units, renewing their codes, importing a week of reports,
//! rebuilding the ranking, exporting.
//!
//! On a terminal, a progress bar with the count, the rate and the time left
//! (`indicatif`: the maintained terminal progress crate of the console-rs
//! family; it redraws in place and stays out of the way of other output).
//! When stderr is not a terminal (a cron job, CI, `2> log`), a redrawn bar
//! would be noise: a plain line every few seconds instead, and one at the
//! start and the end, so a log still tells how far the work got.
//! Progress goes to stderr; the results stay alone on stdout.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a plain line is written.
const LINE_EVERY: Duration = Duration::from_secs(2);

enum Display {
    Bar(ProgressBar),
    Lines { last: Instant },
}

/// A count of done items out of a total, shown as it moves.
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    display: Display,
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise.
    pub fn new(label: &str, total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::bar(label, total)
        } else {
            Progress::lines(label, total)
        }
    }

    fn bar(label: &str, total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({rate}, {eta} left)",
        )
        .map(|style| {
            // Whole items a second: indicatif's own rate shows four decimals.
            style.with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0}/s", state.per_sec());
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        Progress {
            label: label.to_string(),
            total,
            done: 0,
            started: Instant::now(),
            display: Display::Bar(bar),
        }
    }

    /// Plain lines, whatever stderr is.
    pub fn lines(label: &str, total: u64) -> Progress {
        let progress = Progress {
            label: label.to_string(),
            total,
            done: 0,
            started: Instant::now(),
            display: Display::Lines {
                last: Instant::now(),
            },
        };
        progress.line();
        progress
    }

    /// The total became known (or changed) after the start.
    pub fn set_total(&mut self, total: u64) {
        self.total = total;
        match &mut self.display {
            Display::Bar(bar) => bar.set_length(total),
            Display::Lines { last } => {
                *last = Instant::now();
                self.line();
            }
        }
    }

    /// `n` more items done.
    pub fn inc(&mut self, n: u64) {
        self.done += n;
        match &mut self.display {
            Display::Bar(bar) => bar.inc(n),
            Display::Lines { last } => {
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    self.line();
                }
            }
        }
    }

    /// The work is over: the final count, time and rate.
    pub fn finish(self) {
        match &self.display {
            Display::Bar(bar) => bar.finish(),
            Display::Lines { .. } => {
                let secs = self.started.elapsed().as_secs_f64();
                eprintln!(
                    "{}: {}/{} done in {:.1} s ({})",
                    self.label,
                    self.done,
                    self.total,
                    secs,
                    rate(self.done, secs)
                );
            }
        }
    }

    fn line(&self) {
        let secs = self.started.elapsed().as_secs_f64();
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(0);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "{}: {}/{} ({percent}%, {})",
            self.label,
            self.done,
            self.total,
            rate(self.done, secs)
        );
    }
}

fn rate(done: u64, secs: f64) -> String {
    if secs > 0.0 {
        format!("{:.0}/s", done as f64 / secs)
    } else {
        "—/s".to_string()
    }
}

/// Work whose size is unknown (one export): a spinner with the elapsed time
/// on a terminal; elsewhere a line every few seconds while it lasts.
pub struct Activity {
    label: String,
    started: Instant,
    spinner: Option<ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Activity {
    pub fn start(label: &str) -> Activity {
        let started = Instant::now();
        if std::io::stderr().is_terminal() {
            let spinner = ProgressBar::new_spinner();
            spinner.set_message(label.to_string());
            spinner.enable_steady_tick(Duration::from_millis(120));
            return Activity {
                label: label.to_string(),
                started,
                spinner: Some(spinner),
                ticker: None,
            };
        }
        eprintln!("{label}: started");
        let text = label.to_string();
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(LINE_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                eprintln!("{text}: working, {:.0} s", started.elapsed().as_secs_f64());
            }
        });
        Activity {
            label: label.to_string(),
            started,
            spinner: None,
            ticker: Some(ticker),
        }
    }

    pub fn finish(self, outcome: &str) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        let secs = self.started.elapsed().as_secs_f64();
        match &self.spinner {
            Some(spinner) => spinner.finish_with_message(format!("{}: {outcome}", self.label)),
            None => eprintln!("{}: {outcome} in {secs:.1} s", self.label),
        }
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
    }
}
