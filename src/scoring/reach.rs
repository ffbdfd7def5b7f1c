//! "Để đạt 100%": what it takes, counted in dossiers handled online, for one
//! unit in one period.
//!
//! A unit's page turns its standing into something the one-stop desk can act
//! on today, per criterion:
//!
//! - to meet the target: "Cần thêm 12 hồ sơ nộp trực tuyến để đạt chỉ tiêu 95%";
//! - to rank above the unit just ahead: "Cần thêm 3 hồ sơ nộp trực tuyến để
//!   vượt Xã Thất Khê";
//! - to reach the next grade: "Cần thêm 40 kết quả ký số để đạt loại Xuất sắc".
//!
//! One more dossier handled online adds one to the criterion's numerator
//! counter and one to its denominator counter: a dossier received online is
//! both received and received online. Each answer counts such dossiers for
//! that criterion alone, with every other figure as it stands.
//!
//! With a 100% target, a single dossier handled offline in the period keeps
//! the rate below 100% however many follow online; the answer says so
//! ([`ToTarget::Unreachable`]) and counts instead what still shows: the
//! dossiers that lift the shown rate to 99.00%.
//!
//! A unit without any report is simply unranked ([`Reach::NoReports`]): what it
//! takes is to report, and no count of dossiers says more. A unit that reported
//! but whose criteria all lack dossiers ("no_dossiers") gets counts as usual:
//! its first dossier handled online ranks it.
//!
//! # Exactness
//!
//! Everything is integer arithmetic. The target count is a ceiling division.
//! Passing a unit and reaching a grade rescore the unit's counters with
//! [`score`] and binary-search the count, which is exact because the unit's
//! key never goes down as dossiers are added (see `Online`). Counts above a
//! bound ([`MAX_DOSSIERS`] by default) are reported as [`Count::TooMany`] or
//! [`Need::TooMany`], never looped towards; whether some larger count would
//! do is still decided exactly, from the key the unit settles at.
//!
//! [`score`]: super::score

use num_bigint::BigUint;
use num_integer::Integer;

use super::{CriterionRule, Grade, NoData, Rules, SortKey, Totals};

/// The largest count of dossiers ever answered with a number.
///
/// A unit posts at most 10^9 per counter and day, so at most about 3.7·10^11
/// in a 366-day competition; meeting a 99% target from there takes at most
/// 99 times that. 10^15 leaves room for every count a real unit can need,
/// and keeps a binary search to about fifty rescorings.
pub const MAX_DOSSIERS: u64 = 1_000_000_000_000_000;

/// The shown rate still within reach when a 100% target is not: 99.00%.
pub const SHOWN_FLOOR_BP: u32 = 9900;

/// What it takes for one unit in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// No report in the period: the unit is unranked until it reports.
    NoReports,
    Reported(UnitReach),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitReach {
    /// The score now; `None` when unranked for lack of dossiers.
    pub score_bp: Option<u32>,
    /// The lowest grade above the score now (any grade for an unranked
    /// unit); `None` when the top grade is held or there are no grades.
    pub next_grade: Option<Grade>,
    /// One entry per criterion, in the rules' order.
    pub criteria: Vec<CriterionReach>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriterionReach {
    pub to_target: ToTarget,
    /// To rank strictly above the given unit: a greater `SortKey`, since
    /// equal keys share a rank (the unit code only orders names within
    /// it); `None` when no unit was given.
    pub to_pass: Option<Need>,
    /// To reach [`UnitReach::next_grade`]; `None` when there is none.
    pub to_next_grade: Option<Need>,
}

/// A count of dossiers handled online that is known to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// This many more; 0 when already there.
    Dossiers(u64),
    /// More than the bound.
    TooMany,
}

/// What meeting a criterion's target takes: its achievement counts as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToTarget {
    Reachable(Count),
    /// A 100% target with a dossier handled offline in the period: no count
    /// meets it. `to_99` lifts the shown rate to [`SHOWN_FLOOR_BP`] (0 when
    /// it already shows that much).
    Unreachable {
        to_99: Count,
    },
}

/// What passing a unit or reaching a grade takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// This many more; 0 when already there.
    Dossiers(u64),
    /// Some count does it, but more than the bound.
    TooMany,
    /// No count does it: the score settles too low (a 100% target with a
    /// dossier handled offline, other criteria as they stand), or the
    /// tie-breakers this criterion moves cannot break the tie.
    Never,
    /// Not there yet, and this criterion's dossiers also count in another
    /// criterion's denominator without its numerator, lowering that rate:
    /// the score may go down and up again, so no count is promised.
    Undetermined,
}

/// What it takes for `totals`, against `above` (the key of the unit to pass,
/// usually the one ranked just ahead), with counts up to [`MAX_DOSSIERS`].
pub fn what_it_takes(rules: &Rules, totals: &Totals, above: Option<&SortKey>) -> Reach {
    what_it_takes_within(rules, totals, above, MAX_DOSSIERS)
}

/// [`what_it_takes`] with counts up to `bound` instead; a smaller bound makes
/// fewer rescorings and answers `TooMany` sooner.
pub fn what_it_takes_within(
    rules: &Rules,
    totals: &Totals,
    above: Option<&SortKey>,
    bound: u64,
) -> Reach {
    if totals.days_reported == 0 {
        return Reach::NoReports;
    }
    let score_bp = super::score(rules, Some(totals)).score_bp.ok();
    let next_grade = next_grade(rules, score_bp);
    let criteria = rules
        .criteria
        .iter()
        .map(|criterion| {
            let online = Online::new(rules, totals, criterion, bound);
            CriterionReach {
                to_target: to_target(criterion, totals, bound),
                to_pass: above.map(|key| online.need(Goal::Pass(key))),
                to_next_grade: next_grade.map(|g| online.need(Goal::Grade(g.min_score_bp))),
            }
        })
        .collect();
    Reach::Reported(UnitReach {
        score_bp,
        next_grade: next_grade.cloned(),
        criteria,
    })
}

fn next_grade(rules: &Rules, score_bp: Option<u32>) -> Option<&Grade> {
    rules
        .grades
        .iter()
        .filter(|g| score_bp.is_none_or(|s| g.min_score_bp > s))
        .min_by_key(|g| g.min_score_bp)
}

fn counter(totals: &Totals, i: usize) -> u64 {
    totals.counters.get(i).copied().unwrap_or(0)
}

fn count(k: i128, bound: u64) -> Count {
    match u64::try_from(k) {
        Ok(k) if k <= bound => Count::Dossiers(k),
        _ => Count::TooMany,
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0)
}

/// Closed form: with k more dossiers the target is met when
/// `100·(N + k) ≥ T·(D + k)`, i.e. `(100 − T)·k ≥ T·D − 100·N`.
fn to_target(criterion: &CriterionRule, totals: &Totals, bound: u64) -> ToTarget {
    let n = i128::from(counter(totals, criterion.numerator));
    let d = i128::from(counter(totals, criterion.denominator));
    let t = i128::from(criterion.target_percent);
    // Without dossiers only `no_data = full` counts as met; otherwise the
    // first dossier is what makes the criterion count.
    let first = i128::from(d == 0 && criterion.no_data != NoData::Full);
    let shortfall = t * d - 100 * n;
    if (100 - t) * first >= shortfall {
        return ToTarget::Reachable(count(first, bound));
    }
    if t >= 100 {
        // (100 − T)·k never grows: what is missing now stays missing.
        return ToTarget::Unreachable {
            to_99: to_shown_floor(n, d, bound),
        };
    }
    ToTarget::Reachable(count(ceil_div(shortfall, 100 - t), bound))
}

/// Shown rate ≥ r, with the rounding of [`super::bp`]:
/// `⌊(20000·n + d) / 2d⌋ ≥ r  ⟺  20000·n ≥ (2r − 1)·d`.
fn to_shown_floor(n: i128, d: i128, bound: u64) -> Count {
    let r = i128::from(SHOWN_FLOOR_BP);
    let first = i128::from(d == 0);
    let shortfall = (2 * r - 1) * d - 20000 * n;
    let per_dossier = 20001 - 2 * r;
    count(first.max(ceil_div(shortfall, per_dossier)), bound)
}

/// What the unit aims at.
#[derive(Debug, Clone, Copy)]
enum Goal<'a> {
    /// A key strictly greater: equal keys share a rank.
    Pass(&'a SortKey),
    Grade(u32),
}

impl Goal<'_> {
    fn met(self, key: Option<&SortKey>) -> bool {
        match (self, key) {
            (_, None) => false,
            (Goal::Pass(other), Some(key)) => key > other,
            (Goal::Grade(min_score_bp), Some(key)) => key.score_bp >= min_score_bp,
        }
    }

    fn met_eventually(self, settled: &Settled) -> bool {
        let Some(score_bp) = settled.score_bp else {
            return false;
        };
        match self {
            Goal::Grade(min_score_bp) => score_bp >= min_score_bp,
            Goal::Pass(other) => match score_bp.cmp(&other.score_bp) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => {
                    // Same lexicographic order as `SortKey`, with a counter
                    // that keeps growing beating any fixed total.
                    for (mine, theirs) in settled.tie_breakers.iter().zip(&other.tie_breakers) {
                        match mine {
                            None => return true,
                            Some(mine) if mine != theirs => return mine > theirs,
                            Some(_) => {}
                        }
                    }
                    settled.tie_breakers.len() > other.tie_breakers.len()
                }
            },
        }
    }
}

/// The key a unit settles at as one criterion's dossiers grow without bound.
struct Settled {
    score_bp: Option<u32>,
    /// `None` for a tie-breaker counter that keeps growing.
    tie_breakers: Vec<Option<u64>>,
}

/// One criterion's dossiers handled online, added to a unit's totals.
///
/// The unit's key never goes down as k grows, provided no criterion has its
/// denominator among the grown counters without its numerator (checked in
/// `monotone`); then, criterion by criterion:
///
/// - both counters grow: the rate (N+k)/(D+k) rises towards 1 when N < D and
///   stays at or above 1 otherwise, and the achievement is that rate capped,
///   so it never falls; a capped achievement stays capped;
/// - only the numerator grows: the rate rises, the achievement with it;
///   without dossiers the criterion stays on its `no_data` rule;
/// - with D = 0 the first dossier replaces the `no_data` rule by a rate
///   (N+k)/k ≥ 1, i.e. achievement 1: up from `zero`, level with `full`, and
///   for `exclude` a new term at the maximum, which cannot lower a weighted
///   average (nor an unranked unit, which becomes ranked);
/// - untouched criteria stay as they are.
///
/// A weighted average of non-decreasing terms does not decrease, rounding half
/// up keeps the order, and tie-breaker totals only grow: `SortKey` is
/// lexicographic, so the key does not decrease either. Passing a key and
/// reaching a grade are thresholds on the key, so the counts that do it form
/// a ray [k₀, ∞) and a binary search finds k₀ exactly.
struct Online<'a> {
    rules: &'a Rules,
    totals: &'a Totals,
    /// The counters a dossier adds one to.
    grown: Vec<usize>,
    /// The caller's bound, lowered so that no counter overflows.
    bound: u64,
    monotone: bool,
}

impl<'a> Online<'a> {
    fn new(rules: &'a Rules, totals: &'a Totals, criterion: &CriterionRule, bound: u64) -> Self {
        let mut grown = vec![criterion.numerator, criterion.denominator];
        grown.dedup();
        let highest = grown.iter().map(|&i| counter(totals, i)).max().unwrap_or(0);
        // A grown denominator needs its numerator grown with it. And a
        // target over 100% (which competitions refuse) would be lowered by a
        // rate above 1 falling back towards 1.
        let monotone = rules.criteria.iter().all(|c| {
            !grown.contains(&c.denominator)
                || (grown.contains(&c.numerator) && c.target_percent <= 100)
        });
        Online {
            rules,
            totals,
            grown,
            bound: bound.min(u64::MAX - highest),
            monotone,
        }
    }

    fn key_at(&self, k: u64) -> Option<SortKey> {
        let mut totals = self.totals.clone();
        let len = self
            .grown
            .iter()
            .map(|i| i + 1)
            .chain([self.rules.counters, totals.counters.len()])
            .max()
            .unwrap_or(0);
        totals.counters.resize(len, 0);
        for &i in &self.grown {
            // `bound` keeps this within u64.
            totals.counters[i] += k;
        }
        let score_bp = super::score(self.rules, Some(&totals)).score_bp.ok()?;
        Some(super::sort_key(self.rules, score_bp, &totals))
    }

    fn need(&self, goal: Goal) -> Need {
        if goal.met(self.key_at(0).as_ref()) {
            return Need::Dossiers(0);
        }
        if !self.monotone {
            return Need::Undetermined;
        }
        if !goal.met(self.key_at(self.bound).as_ref()) {
            return if goal.met_eventually(&self.settled()) {
                Need::TooMany
            } else {
                Need::Never
            };
        }
        let (mut short, mut enough) = (0, self.bound);
        while enough - short > 1 {
            let mid = short + (enough - short) / 2;
            if goal.met(self.key_at(mid).as_ref()) {
                enough = mid;
            } else {
                short = mid;
            }
        }
        Need::Dossiers(enough)
    }

    /// The limit of the key as k → ∞, assuming `monotone`.
    ///
    /// Every grown criterion's achievement tends to 1 (the target is at most
    /// 100%), and reaches it at some finite k except a 100% target with
    /// N < D, which only approaches it. The score then tends to X = 10000·S
    /// with S the weighted average of the limits. When X is reached the score
    /// settles at X rounded half up; when it is only approached from below, at
    /// X rounded half down (a score just under 9950.5 rounds to 9950 forever).
    fn settled(&self) -> Settled {
        let mut parts: Vec<(u32, u128, u128)> = Vec::new();
        let mut from_below = false;
        for c in &self.rules.criteria {
            let n = counter(self.totals, c.numerator);
            let d = counter(self.totals, c.denominator);
            let achievement = if self.grown.contains(&c.denominator) {
                if c.numerator != c.denominator && n < d && c.target_percent >= 100 && c.weight > 0
                {
                    from_below = true;
                }
                Some((1, 1))
            } else if self.grown.contains(&c.numerator) && d > 0 {
                Some((1, 1))
            } else {
                achievement(c, n, d)
            };
            if let Some((reached, target)) = achievement {
                parts.push((c.weight, reached, target));
            }
        }
        let tie_breakers = self
            .rules
            .tie_breakers
            .iter()
            .map(|&i| (!self.grown.contains(&i)).then(|| counter(self.totals, i)))
            .collect();
        Settled {
            score_bp: settled_score_bp(&parts, from_below),
            tie_breakers,
        }
    }
}

/// The achievement as `reached / target`, `None` when excluded; as in
/// `super::evaluate`.
fn achievement(c: &CriterionRule, n: u64, d: u64) -> Option<(u128, u128)> {
    if d == 0 {
        return match c.no_data {
            NoData::Exclude => None,
            NoData::Full => Some((1, 1)),
            NoData::Zero => Some((0, 1)),
        };
    }
    let target = u128::from(d) * u128::from(c.target_percent);
    Some(((u128::from(n) * 100).min(target), target))
}

/// `X = 10000 · Σ w·reached/target / Σ w` rounded half up, or half down when
/// the score only approaches X from below; `None` with nothing to average.
fn settled_score_bp(parts: &[(u32, u128, u128)], from_below: bool) -> Option<u32> {
    let weights: u64 = parts.iter().map(|&(w, _, _)| u64::from(w)).sum();
    if weights == 0 || parts.iter().any(|&(_, _, target)| target == 0) {
        return None;
    }
    let common = parts
        .iter()
        .fold(BigUint::from(1u32), |acc, &(_, _, target)| {
            acc.lcm(&BigUint::from(target))
        });
    let sum: BigUint = parts
        .iter()
        .map(|&(w, reached, target)| BigUint::from(w) * reached * (&common / target))
        .sum();
    // X = sum·10000 / den; half up is ⌊(2·10000·sum + den) / 2den⌋, half down
    // is ⌈(2·10000·sum − den) / 2den⌉ = ⌊(2·10000·sum + den − 1) / 2den⌋.
    let den = common * weights;
    let twice = sum * 20000u32 + &den - u32::from(from_below);
    let rounded = twice / (den * 2u32);
    Some(u32::try_from(&rounded).unwrap_or(10000).min(10000))
}

#[cfg(test)]
mod tests;
