//! "Để đạt 100%" on a unit's page: what `scoring::reach` computes for the
//! unit on its group's board, said in the viewer's language — how many more
//! dossiers handled online meet each criterion's target, pass the unit
//! ranked just above, or reach the next grade.

use crate::boards::{BoardView, LineEntry};
use crate::catalog::Selected;
use crate::competition::Competition;
use crate::i18n::{BoardLabels, Lang, fill};
use crate::scoring::reach::{self, Count, Need, Reach, ToTarget};
use crate::scoring::{self, SortKey, Totals};

/// One criterion's answers.
pub struct ReachCriterion {
    pub label: String,
    pub lines: Vec<String>,
}

/// The section: one line when the unit has not reported, else per criterion.
pub struct ReachView {
    pub note: Option<String>,
    pub criteria: Vec<ReachCriterion>,
}

/// What one more of this criterion's dossiers is called: its numerator
/// counter's label without the leading "Số" ("hồ sơ tiếp nhận trực tuyến").
fn dossier_noun(lang: Lang, competition: &Competition, numerator: usize) -> String {
    let Some(counter) = competition.counters.get(numerator) else {
        return String::new();
    };
    let label = lang.pick(&counter.label, counter.label_en.as_deref());
    let label = label.strip_prefix("Số ").unwrap_or(label);
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The unit's counters and days in the period, as the board has them.
fn totals(board: &BoardView, code: &str) -> Option<Totals> {
    let (counters, days) = if let Some(row) = board.row(code) {
        let days = match &row.data.line {
            LineEntry::Ranked(e) => e.days_reported,
            LineEntry::Unranked(u) => u.days_reported,
        };
        (row.data.counters.clone(), days)
    } else {
        let line = board.unranked_line(code)?;
        let days = match &line.line {
            LineEntry::Unranked(u) => u.days_reported,
            LineEntry::Ranked(e) => e.days_reported,
        };
        (line.counters.clone(), days)
    };
    Some(Totals {
        counters: counters.unwrap_or_default(),
        days_reported: days,
    })
}

/// The unit ranked just above `code` (a smaller rank, not a tie): its name
/// and its key.
fn above(selected: &Selected, board: &BoardView, code: &str) -> Option<(String, SortKey)> {
    let rules = &selected.record.competition.rules;
    let place = board.place(code)?;
    let mine = board.rows().get(place).map(|r| r.rank);
    let rows = &board.rows()[..place.min(board.rows().len())];
    let row = rows
        .iter()
        .rev()
        .find(|r| mine.is_none_or(|rank| r.rank < rank))?;
    let LineEntry::Ranked(entry) = &row.data.line else {
        return None;
    };
    let totals = Totals {
        counters: row.data.counters.clone()?,
        days_reported: entry.days_reported,
    };
    let key = scoring::sort_key(rules, entry.score_bp, &totals);
    Some((entry.unit.name.clone(), key))
}

/// What it takes for the unit `code` on `board`, or `None` when the board
/// does not list it.
pub fn view(
    lang: Lang,
    t: &BoardLabels,
    selected: &Selected,
    board: &BoardView,
    code: &str,
) -> Option<ReachView> {
    let competition = &selected.record.competition;
    let totals = totals(board, code)?;
    let above = above(selected, board, code);
    let reach = reach::what_it_takes(&competition.rules, &totals, above.as_ref().map(|a| &a.1));
    let unit = match reach {
        Reach::NoReports => {
            return Some(ReachView {
                note: Some(t.reach_no_reports.to_string()),
                criteria: Vec::new(),
            });
        }
        Reach::Reported(unit) => unit,
    };
    let grade = unit.next_grade.as_ref().map(|g| {
        lang.pick(&g.label, competition.grade_label_en(&g.label))
            .to_string()
    });
    let criteria = competition
        .criteria
        .iter()
        .zip(&competition.rules.criteria)
        .zip(&unit.criteria)
        .map(|((criterion, rule), answer)| {
            let what = dossier_noun(lang, competition, rule.numerator);
            let target = criterion.target_percent.to_string();
            let n = |k: u64| lang.count(usize::try_from(k).unwrap_or(usize::MAX));
            let mut lines = Vec::new();
            match answer.to_target {
                ToTarget::Reachable(Count::Dossiers(0)) => {
                    lines.push(fill(t.reach_met, &[("target", &target)]));
                }
                ToTarget::Reachable(Count::Dossiers(k)) => lines.push(fill(
                    t.reach_target,
                    &[("n", &n(k)), ("what", &what), ("target", &target)],
                )),
                ToTarget::Reachable(Count::TooMany) => {}
                ToTarget::Unreachable { to_99 } => {
                    lines.push(t.reach_unreachable.to_string());
                    if let Count::Dossiers(k) = to_99
                        && k > 0
                    {
                        lines.push(fill(t.reach_to_99, &[("n", &n(k)), ("what", &what)]));
                    }
                }
            }
            if let (Some(Need::Dossiers(k)), Some((name, _))) = (answer.to_pass, &above)
                && k > 0
            {
                lines.push(fill(
                    t.reach_pass,
                    &[("n", &n(k)), ("what", &what), ("unit", name)],
                ));
            }
            if let (Some(Need::Dossiers(k)), Some(grade)) = (answer.to_next_grade, &grade)
                && k > 0
            {
                lines.push(fill(
                    t.reach_grade,
                    &[("n", &n(k)), ("what", &what), ("grade", grade)],
                ));
            }
            ReachCriterion {
                label: lang
                    .pick(&criterion.label, criterion.label_en.as_deref())
                    .to_string(),
                lines,
            }
        })
        .collect();
    Some(ReachView {
        note: None,
        criteria,
    })
}
