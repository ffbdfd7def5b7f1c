//! The geometry of the unit page's chart: each criterion's daily rate as a
//! line against the 100% target, drawn server-side as SVG so that it shows
//! without JavaScript. This module computes coordinates only; the markup is
//! in `templates/partials/chart.html`.

use chrono::NaiveDate;

use crate::i18n::Lang;

pub const WIDTH: u32 = 440;
pub const HEIGHT: u32 = 240;
const LEFT: f64 = 54.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// One criterion's rates, one per day of `Chart::days` (`None`: no figure).
#[derive(Debug, Clone)]
pub struct SeriesInput {
    pub label: String,
    pub rates_bp: Vec<Option<u32>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// Horizontal grid lines with their labels, the 100% target among them.
    pub grid: Vec<GridLine>,
    pub target_y: String,
    pub x_labels: Vec<AxisLabel>,
    pub series: Vec<Series>,
    pub plot_left: String,
    pub plot_right: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GridLine {
    pub y: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisLabel {
    pub x: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// 0-based, picks the colour and dash pattern (`series-N` in the CSS).
    pub index: usize,
    pub label: String,
    /// `points` attributes of polylines: a gap where a day has no figure.
    pub segments: Vec<String>,
    pub dots: Vec<Dot>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub x: String,
    pub y: String,
    /// Tooltip and accessible text: "Tỷ lệ …: 95,00% (06/10)".
    pub title: String,
}

fn coordinate(v: f64) -> String {
    format!("{v:.1}")
}

fn x_of(i: usize, count: usize) -> f64 {
    let span = f64::from(WIDTH) - LEFT - RIGHT;
    if count <= 1 {
        LEFT + span / 2.0
    } else {
        LEFT + span * i as f64 / (count - 1) as f64
    }
}

fn y_of(bp: u32) -> f64 {
    let span = f64::from(HEIGHT) - TOP - BOTTOM;
    TOP + span * (1.0 - f64::from(bp.min(10_000)) / 10_000.0)
}

pub fn build(lang: Lang, days: &[NaiveDate], inputs: &[SeriesInput]) -> Chart {
    let grid = [0u32, 2500, 5000, 7500, 10_000]
        .into_iter()
        .map(|bp| GridLine {
            y: coordinate(y_of(bp)),
            label: format!("{}%", bp / 100),
        })
        .collect();
    let x_labels = days
        .iter()
        .enumerate()
        .map(|(i, d)| AxisLabel {
            x: coordinate(x_of(i, days.len())),
            label: lang.short_date(*d),
        })
        .collect();
    let series = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let mut segments = Vec::new();
            let mut current: Vec<String> = Vec::new();
            let mut dots = Vec::new();
            for (i, rate) in input.rates_bp.iter().enumerate().take(days.len()) {
                match rate {
                    Some(bp) => {
                        let (x, y) = (coordinate(x_of(i, days.len())), coordinate(y_of(*bp)));
                        current.push(format!("{x},{y}"));
                        dots.push(Dot {
                            x,
                            y,
                            title: format!(
                                "{}: {} ({})",
                                input.label,
                                lang.percent(*bp),
                                lang.short_date(days[i])
                            ),
                        });
                    }
                    None => {
                        if !current.is_empty() {
                            segments.push(current.join(" "));
                            current.clear();
                        }
                    }
                }
            }
            if !current.is_empty() {
                segments.push(current.join(" "));
            }
            Series {
                index,
                label: input.label.clone(),
                segments,
                dots,
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        grid,
        target_y: coordinate(y_of(10_000)),
        x_labels,
        series,
        plot_left: coordinate(LEFT),
        plot_right: coordinate(f64::from(WIDTH) - RIGHT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: u32) -> Vec<NaiveDate> {
        let start = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
        (0..n)
            .map(|i| start + chrono::Duration::days(i.into()))
            .collect()
    }

    #[test]
    fn a_missing_day_breaks_the_line() {
        let chart = build(
            Lang::Vi,
            &days(4),
            &[SeriesInput {
                label: "Ký số".into(),
                rates_bp: vec![Some(10_000), None, Some(5000), Some(0)],
            }],
        );
        let s = &chart.series[0];
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[0].split(' ').count(), 1);
        assert_eq!(s.segments[1].split(' ').count(), 2);
        assert_eq!(s.dots.len(), 3);
        assert_eq!(s.dots[0].title, "Ký số: 100,00% (06/10)");
    }

    #[test]
    fn full_rate_sits_on_the_target_line_and_zero_on_the_axis() {
        let chart = build(
            Lang::En,
            &days(2),
            &[SeriesInput {
                label: "x".into(),
                rates_bp: vec![Some(10_000), Some(0)],
            }],
        );
        assert_eq!(chart.series[0].dots[0].y, chart.target_y);
        assert_eq!(chart.series[0].dots[1].y, chart.grid[0].y);
        assert_eq!(chart.x_labels[1].label, "7 Oct");
        assert_eq!(chart.x_labels[0].x, chart.plot_left);
        assert_eq!(chart.x_labels[1].x, chart.plot_right);
    }

    #[test]
    fn a_single_day_is_centred() {
        let chart = build(Lang::Vi, &days(1), &[]);
        assert_eq!(chart.x_labels.len(), 1);
        assert_eq!(
            chart.x_labels[0].x,
            coordinate(f64::from(WIDTH) / 2.0 + (LEFT - RIGHT) / 2.0)
        );
    }
}
