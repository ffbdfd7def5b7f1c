//! Pure scoring: counter totals in, rates, score_bp, order, rank and grade out.
//!
//! Everything here is exact integer arithmetic. Scores are expressed in basis
//! points (1/100 of a percent point): `score_bp = round_half_up(score × 100)`.
//! No floating point touches a score, so 97.345 always becomes 9735.

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_integer::Integer;
use serde::{Deserialize, Serialize};

pub mod reach;

/// What a criterion counts for when its denominator is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoData {
    /// Left out of the weighted average.
    #[default]
    Exclude,
    /// Counts as fully achieved.
    Full,
    /// Counts as not achieved at all.
    Zero,
}

/// A criterion as the scorer sees it: counter positions instead of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionRule {
    pub numerator: usize,
    pub denominator: usize,
    pub target_percent: u32,
    pub weight: u32,
    pub no_data: NoData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    pub min_score_bp: u32,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Number of counters; totals are vectors of this length.
    pub counters: usize,
    pub criteria: Vec<CriterionRule>,
    /// Counter positions; higher totals rank first among equal scores.
    pub tie_breakers: Vec<usize>,
    /// Sorted by `min_score_bp`, highest first.
    pub grades: Vec<Grade>,
}

/// A unit's counter sums over a period, in the competition's counter order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub counters: Vec<u64>,
    pub days_reported: u32,
}

impl Totals {
    pub fn empty(counters: usize) -> Self {
        Totals {
            counters: vec![0; counters],
            days_reported: 0,
        }
    }

    /// Adds one day's report.
    pub fn add_day(&mut self, values: &[u64]) {
        self.add_counters(values);
        self.days_reported += 1;
    }

    pub fn add_counters(&mut self, values: &[u64]) {
        if self.counters.len() < values.len() {
            self.counters.resize(values.len(), 0);
        }
        for (sum, v) in self.counters.iter_mut().zip(values) {
            *sum += v;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CriterionScore {
    pub numerator: u64,
    pub denominator: u64,
    /// 10000·N/D rounded half up; `None` when D = 0.
    pub rate_bp: Option<u32>,
    /// The capped achievement in basis points; `None` when excluded.
    pub achievement_bp: Option<u32>,
    /// Whether the criterion counts in the score.
    pub applicable: bool,
}

/// Why a unit has no rank in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnrankedReason {
    NoReports,
    NoDossiers,
}

impl UnrankedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnrankedReason::NoReports => "no_reports",
            UnrankedReason::NoDossiers => "no_dossiers",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub criteria: Vec<CriterionScore>,
    /// `Err` when the unit is unranked in the period.
    pub score_bp: Result<u32, UnrankedReason>,
}

/// What orders ranked units: greater is better.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SortKey {
    pub score_bp: u32,
    pub tie_breakers: Vec<u64>,
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score_bp
            .cmp(&other.score_bp)
            .then_with(|| self.tie_breakers.cmp(&other.tie_breakers))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `round_half_up(10000 · num / den)` for `den > 0`.
pub fn bp(num: u64, den: u64) -> u32 {
    debug_assert!(den > 0);
    let num = u128::from(num) * 10000;
    let den = u128::from(den);
    ((2 * num + den) / (2 * den)) as u32
}

/// Scores counter sums that need not belong to a unit (board totals).
pub fn evaluate(rules: &Rules, counters: &[u64]) -> (Vec<CriterionScore>, Option<u32>) {
    let get = |i: usize| counters.get(i).copied().unwrap_or(0);
    let mut scores = Vec::with_capacity(rules.criteria.len());
    // Achievement of each counted criterion as a fraction, with its weight.
    let mut parts: Vec<(u32, u128, u128)> = Vec::with_capacity(rules.criteria.len());
    for c in &rules.criteria {
        let n = get(c.numerator);
        let d = get(c.denominator);
        let (fraction, rate_bp) = if d == 0 {
            let fraction = match c.no_data {
                NoData::Exclude => None,
                NoData::Full => Some((1, 1)),
                NoData::Zero => Some((0, 1)),
            };
            (fraction, None)
        } else {
            let target = u128::from(d) * u128::from(c.target_percent);
            let reached = (u128::from(n) * 100).min(target);
            (Some((reached, target)), Some(bp(n, d)))
        };
        let achievement_bp = fraction.map(|(n, d)| {
            let n = n * 10000;
            ((2 * n + d) / (2 * d)) as u32
        });
        if let Some((n, d)) = fraction {
            parts.push((c.weight, n, d));
        }
        scores.push(CriterionScore {
            numerator: n,
            denominator: d,
            rate_bp,
            achievement_bp,
            applicable: fraction.is_some(),
        });
    }
    let score = (!parts.is_empty()).then(|| weighted_score_bp(&parts));
    (scores, score)
}

/// `round_half_up(10000 · Σ w·n/d / Σ w)`, exactly: in `u128` while every
/// step fits (checked), in big integers otherwise.
fn weighted_score_bp(parts: &[(u32, u128, u128)]) -> u32 {
    weighted_score_bp_u128(parts).unwrap_or_else(|| weighted_score_bp_big(parts))
}

fn weighted_score_bp_u128(parts: &[(u32, u128, u128)]) -> Option<u32> {
    let reduced: Vec<(u128, u128, u128)> = parts
        .iter()
        .map(|&(w, n, d)| {
            let g = n.gcd(&d).max(1);
            (u128::from(w), n / g, d / g)
        })
        .collect();
    let mut lcm: u128 = 1;
    for (_, _, d) in &reduced {
        lcm = lcm.checked_mul(d / lcm.gcd(d))?;
    }
    let mut sum: u128 = 0;
    for (w, n, d) in &reduced {
        sum = sum.checked_add(w.checked_mul(*n)?.checked_mul(lcm / d)?)?;
    }
    let weights: u128 = reduced.iter().map(|(w, _, _)| w).sum();
    let den = lcm.checked_mul(weights)?;
    let num = sum.checked_mul(10000)?;
    let rounded = num.checked_mul(2)?.checked_add(den)? / den.checked_mul(2)?;
    Some(rounded.min(10000) as u32)
}

fn weighted_score_bp_big(parts: &[(u32, u128, u128)]) -> u32 {
    // Common denominator of the reduced fractions.
    let reduced: Vec<(BigUint, BigUint, BigUint)> = parts
        .iter()
        .map(|&(w, n, d)| {
            let g = n.gcd(&d).max(1);
            (BigUint::from(w), BigUint::from(n / g), BigUint::from(d / g))
        })
        .collect();
    let lcm = reduced
        .iter()
        .fold(BigUint::from(1u32), |acc, (_, _, d)| acc.lcm(d));
    let sum: BigUint = reduced.iter().map(|(w, n, d)| w * n * (&lcm / d)).sum();
    let weights: u64 = parts.iter().map(|&(w, _, _)| u64::from(w)).sum();
    let den = lcm * weights;
    let num = sum * 10000u32;
    let rounded: BigUint = (num * 2u32 + &den) / (den * 2u32);
    // The score is at most 10000 by construction.
    u32::try_from(&rounded).unwrap_or(10000)
}

/// A unit's score for a period; `None` totals or no reported day: unranked.
pub fn score(rules: &Rules, totals: Option<&Totals>) -> Scored {
    match totals {
        Some(t) if t.days_reported > 0 => {
            let (criteria, score) = evaluate(rules, &t.counters);
            Scored {
                criteria,
                score_bp: score.ok_or(UnrankedReason::NoDossiers),
            }
        }
        _ => {
            let (criteria, _) = evaluate(rules, &vec![0; rules.counters]);
            Scored {
                criteria,
                score_bp: Err(UnrankedReason::NoReports),
            }
        }
    }
}

pub fn sort_key(rules: &Rules, score_bp: u32, totals: &Totals) -> SortKey {
    SortKey {
        score_bp,
        tie_breakers: rules
            .tie_breakers
            .iter()
            .map(|&i| totals.counters.get(i).copied().unwrap_or(0))
            .collect(),
    }
}

/// Board order: better key first, then unit code ascending.
pub fn board_order(a: (&SortKey, &str), b: (&SortKey, &str)) -> Ordering {
    b.0.cmp(a.0).then_with(|| a.1.cmp(b.1))
}

/// Shared ranks for keys already in board order: 1 + how many are strictly
/// better, so equal keys share a rank and the next rank skips (1, 2, 2, 4).
pub fn shared_ranks<'a>(keys: impl IntoIterator<Item = &'a SortKey>) -> Vec<u32> {
    let mut ranks: Vec<u32> = Vec::new();
    let mut previous: Option<&SortKey> = None;
    for (i, key) in keys.into_iter().enumerate() {
        let rank = match (previous, ranks.last()) {
            (Some(p), Some(&r)) if p == key => r,
            _ => i as u32 + 1,
        };
        ranks.push(rank);
        previous = Some(key);
    }
    ranks
}

/// The label of the highest grade whose threshold the score reaches.
pub fn grade(rules: &Rules, score_bp: u32) -> Option<&str> {
    rules
        .grades
        .iter()
        .find(|g| g.min_score_bp <= score_bp)
        .map(|g| g.label.as_str())
}
