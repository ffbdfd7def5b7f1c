//! The scoring module against SPEC §6: hand-worked cases for every rule, then
//! property tests against a deliberately naive reference that evaluates the
//! literal formula over big-integer fractions.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_traits::ToPrimitive;
use proptest::prelude::*;
use thidua::scoring::{
    self, CriterionRule, CriterionScore, Grade, NoData, Rules, SortKey, Totals, UnrankedReason,
};

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

fn crit(
    numerator: usize,
    denominator: usize,
    target_percent: u32,
    weight: u32,
    no_data: NoData,
) -> CriterionRule {
    CriterionRule {
        numerator,
        denominator,
        target_percent,
        weight,
        no_data,
    }
}

/// Criterion `i` reads counter `2i` as numerator and `2i + 1` as denominator;
/// each spec is `(target_percent, weight, no_data)`.
fn paired(specs: &[(u32, u32, NoData)]) -> Rules {
    Rules {
        counters: 2 * specs.len(),
        criteria: specs
            .iter()
            .enumerate()
            .map(|(i, &(target, weight, no_data))| crit(2 * i, 2 * i + 1, target, weight, no_data))
            .collect(),
        tie_breakers: Vec::new(),
        grades: Vec::new(),
    }
}

/// One criterion, target 100, weight 1, excluded without data.
fn single() -> Rules {
    paired(&[(100, 1, NoData::Exclude)])
}

fn reported(counters: &[u64]) -> Totals {
    Totals {
        counters: counters.to_vec(),
        days_reported: 1,
    }
}

fn score_bp(rules: &Rules, counters: &[u64]) -> u32 {
    scoring::score(rules, Some(&reported(counters)))
        .score_bp
        .expect("ranked")
}

fn criterion(rules: &Rules, counters: &[u64], i: usize) -> CriterionScore {
    scoring::evaluate(rules, counters).0[i]
}

fn key(score_bp: u32, tie_breakers: &[u64]) -> SortKey {
    SortKey {
        score_bp,
        tie_breakers: tie_breakers.to_vec(),
    }
}

/// What a board shows: ranked units in board order with their ranks.
fn board(rules: &Rules, units: &[(&str, Option<Totals>)]) -> Vec<(String, u32)> {
    let mut ranked: Vec<(SortKey, &str)> = units
        .iter()
        .filter_map(|(code, totals)| {
            let totals = totals.as_ref()?;
            let bp = scoring::score(rules, Some(totals)).score_bp.ok()?;
            Some((scoring::sort_key(rules, bp, totals), *code))
        })
        .collect();
    ranked.sort_by(|a, b| scoring::board_order((&a.0, a.1), (&b.0, b.1)));
    let ranks = scoring::shared_ranks(ranked.iter().map(|(k, _)| k));
    ranked
        .iter()
        .zip(ranks)
        .map(|((_, code), rank)| (code.to_string(), rank))
        .collect()
}

fn owned(expected: &[(&str, u32)]) -> Vec<(String, u32)> {
    expected.iter().map(|&(c, r)| (c.to_string(), r)).collect()
}

/// Splits each value over two reported days, so sums go through `add_day`.
fn two_days(counters: &[u64]) -> Totals {
    let first: Vec<u64> = counters.iter().map(|v| v / 2).collect();
    let second: Vec<u64> = counters.iter().map(|v| v - v / 2).collect();
    let mut totals = Totals::empty(counters.len());
    totals.add_day(&first);
    totals.add_day(&second);
    assert_eq!(totals.counters, counters);
    totals
}

// ---------------------------------------------------------------------------
// Reference: the literal formula over exact fractions
// ---------------------------------------------------------------------------

/// A non-negative fraction; never reduced, the denominator stays positive.
#[derive(Clone, Debug)]
struct Frac {
    num: BigInt,
    den: BigInt,
}

impl Frac {
    fn new(num: impl Into<BigInt>, den: impl Into<BigInt>) -> Frac {
        let den = den.into();
        assert!(den > BigInt::from(0), "fraction with a zero denominator");
        Frac {
            num: num.into(),
            den,
        }
    }

    fn int(n: impl Into<BigInt>) -> Frac {
        Frac::new(n, 1)
    }

    fn add(&self, other: &Frac) -> Frac {
        Frac::new(
            &self.num * &other.den + &other.num * &self.den,
            &self.den * &other.den,
        )
    }

    fn mul(&self, other: &Frac) -> Frac {
        Frac::new(&self.num * &other.num, &self.den * &other.den)
    }

    fn div(&self, other: &Frac) -> Frac {
        Frac::new(&self.num * &other.den, &self.den * &other.num)
    }

    fn cmp(&self, other: &Frac) -> Ordering {
        (&self.num * &other.den).cmp(&(&other.num * &self.den))
    }

    fn min(self, other: Frac) -> Frac {
        if self.cmp(&other) == Ordering::Greater {
            other
        } else {
            self
        }
    }

    /// Round half up: floor, plus one when twice the remainder reaches the
    /// denominator.
    fn round_half_up(&self) -> BigInt {
        let q = &self.num / &self.den;
        let r = &self.num - &q * &self.den;
        if r * 2 >= self.den { q + 1 } else { q }
    }
}

fn to_u32(n: BigInt) -> u32 {
    n.to_u32().expect("fits in u32")
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RefCriterion {
    numerator: u64,
    denominator: u64,
    rate_bp: Option<u32>,
    achievement_bp: Option<u32>,
    applicable: bool,
}

impl From<&CriterionScore> for RefCriterion {
    fn from(c: &CriterionScore) -> Self {
        RefCriterion {
            numerator: c.numerator,
            denominator: c.denominator,
            rate_bp: c.rate_bp,
            achievement_bp: c.achievement_bp,
            applicable: c.applicable,
        }
    }
}

fn ref_rate_bp(n: u64, d: u64) -> u32 {
    to_u32(Frac::new(BigInt::from(n) * 10000, d).round_half_up())
}

/// SPEC §6 word for word: a_c, then 100 × Σ w·a / Σ w, then × 100 rounded.
fn ref_evaluate(rules: &Rules, counters: &[u64]) -> (Vec<RefCriterion>, Option<u32>) {
    let get = |i: usize| counters.get(i).copied().unwrap_or(0);
    let mut criteria = Vec::new();
    let mut weighted_sum = Frac::int(0);
    let mut weight_sum = Frac::int(0);
    for c in &rules.criteria {
        let n = get(c.numerator);
        let d = get(c.denominator);
        let achievement = if d == 0 {
            match c.no_data {
                NoData::Exclude => None,
                NoData::Full => Some(Frac::int(1)),
                NoData::Zero => Some(Frac::int(0)),
            }
        } else {
            let dt = BigInt::from(d) * c.target_percent;
            let reached = Frac::int(BigInt::from(n) * 100).min(Frac::int(dt.clone()));
            Some(reached.div(&Frac::int(dt)))
        };
        if let Some(a) = &achievement {
            let w = Frac::int(c.weight);
            weighted_sum = weighted_sum.add(&w.mul(a));
            weight_sum = weight_sum.add(&w);
        }
        criteria.push(RefCriterion {
            numerator: n,
            denominator: d,
            rate_bp: (d > 0).then(|| ref_rate_bp(n, d)),
            achievement_bp: achievement
                .as_ref()
                .map(|a| to_u32(a.mul(&Frac::int(10000)).round_half_up())),
            applicable: achievement.is_some(),
        });
    }
    let score = (weight_sum.num > BigInt::from(0)).then(|| {
        let score = Frac::int(100).mul(&weighted_sum.div(&weight_sum));
        to_u32(score.mul(&Frac::int(100)).round_half_up())
    });
    (criteria, score)
}

fn ref_score(
    rules: &Rules,
    totals: Option<&Totals>,
) -> (Vec<RefCriterion>, Result<u32, UnrankedReason>) {
    match totals {
        Some(t) if t.days_reported > 0 => {
            let (criteria, score) = ref_evaluate(rules, &t.counters);
            (criteria, score.ok_or(UnrankedReason::NoDossiers))
        }
        _ => (ref_evaluate(rules, &[]).0, Err(UnrankedReason::NoReports)),
    }
}

/// Ranked units in board order with `1 + count strictly better`, by brute force.
fn ref_board(rules: &Rules, units: &[(String, Option<Totals>)]) -> Vec<(String, u32)> {
    let ranked: Vec<(u32, Vec<u64>, &str)> = units
        .iter()
        .filter_map(|(code, totals)| {
            let bp = ref_score(rules, totals.as_ref()).1.ok()?;
            let counters = &totals.as_ref()?.counters;
            let tbs = rules
                .tie_breakers
                .iter()
                .map(|&i| counters.get(i).copied().unwrap_or(0))
                .collect();
            Some((bp, tbs, code.as_str()))
        })
        .collect();
    let better = |a: &(u32, Vec<u64>, &str), b: &(u32, Vec<u64>, &str)| {
        if a.0 != b.0 {
            return a.0 > b.0;
        }
        for (x, y) in a.1.iter().zip(&b.1) {
            if x != y {
                return x > y;
            }
        }
        false
    };
    let mut out: Vec<(u32, Vec<u64>, &str, u32)> = ranked
        .iter()
        .map(|u| {
            let strictly_better = ranked.iter().filter(|v| better(v, u)).count();
            (u.0, u.1.clone(), u.2, 1 + strictly_better as u32)
        })
        .collect();
    out.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| {
                a.1.iter()
                    .zip(&b.1)
                    .map(|(x, y)| y.cmp(x))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| a.2.cmp(b.2))
    });
    out.into_iter()
        .map(|(_, _, code, rank)| (code.to_string(), rank))
        .collect()
}

fn check_unit(rules: &Rules, totals: Option<&Totals>) -> Result<(), TestCaseError> {
    let got = scoring::score(rules, totals);
    let (criteria, score) = ref_score(rules, totals);
    let got_criteria: Vec<RefCriterion> = got.criteria.iter().map(RefCriterion::from).collect();
    prop_assert_eq!(got_criteria, criteria, "criteria for {:?}", totals);
    prop_assert_eq!(got.score_bp, score, "score for {:?}", totals);
    Ok(())
}

#[test]
fn reference_agrees_with_hand_worked_cases() {
    let rules = paired(&[(100, 1, NoData::Exclude), (80, 3, NoData::Full)]);
    // (0.5·1 + 0.75·3) / 4 = 0.6875
    assert_eq!(ref_evaluate(&rules, &[1, 2, 60, 100]).1, Some(6875));
    // (0.97345 + 3·1) / 4 = 0.9933625: the second criterion has no data.
    assert_eq!(ref_evaluate(&rules, &[19469, 20000]).1, Some(9934));
    assert_eq!(ref_evaluate(&single(), &[19469, 20000]).1, Some(9735));
    assert_eq!(ref_evaluate(&single(), &[0, 0]).1, None);
    assert_eq!(ref_rate_bp(1, 20000), 1);
    assert_eq!(ref_rate_bp(1, 20001), 0);
}

// ---------------------------------------------------------------------------
// no_data
// ---------------------------------------------------------------------------

#[test]
fn no_data_exclude_leaves_the_criterion_out_of_the_average() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&rules, &[1, 2, 0, 0]), 5000);
    let c = criterion(&rules, &[1, 2, 0, 0], 1);
    assert_eq!(
        c,
        CriterionScore {
            numerator: 0,
            denominator: 0,
            rate_bp: None,
            achievement_bp: None,
            applicable: false,
        }
    );
}

#[test]
fn no_data_full_counts_as_achieved() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Full)]);
    assert_eq!(score_bp(&rules, &[1, 2, 0, 0]), 7500);
    let c = criterion(&rules, &[1, 2, 0, 0], 1);
    assert_eq!(c.rate_bp, None);
    assert_eq!(c.achievement_bp, Some(10000));
    assert!(c.applicable);
}

#[test]
fn no_data_zero_counts_as_not_achieved() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Zero)]);
    assert_eq!(score_bp(&rules, &[1, 2, 0, 0]), 2500);
    let c = criterion(&rules, &[1, 2, 0, 0], 1);
    assert_eq!(c.rate_bp, None);
    assert_eq!(c.achievement_bp, Some(0));
    assert!(c.applicable);
}

#[test]
fn no_data_rule_is_ignored_when_there_is_a_denominator() {
    for no_data in [NoData::Exclude, NoData::Full, NoData::Zero] {
        let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, no_data)]);
        assert_eq!(score_bp(&rules, &[1, 2, 0, 4]), 2500, "{no_data:?}");
        assert_eq!(score_bp(&rules, &[1, 2, 4, 4]), 7500, "{no_data:?}");
        let c = criterion(&rules, &[1, 2, 0, 4], 1);
        assert_eq!(c.rate_bp, Some(0));
        assert_eq!(c.achievement_bp, Some(0));
        assert!(c.applicable);
    }
}

#[test]
fn a_zero_numerator_with_no_denominator_is_still_no_data() {
    // Only D = 0 decides; N is irrelevant (and 0 in valid data).
    let rules = paired(&[(100, 1, NoData::Zero), (100, 1, NoData::Full)]);
    assert_eq!(score_bp(&rules, &[0, 0, 0, 0]), 5000);
}

#[test]
fn only_full_or_zero_criteria_without_data_still_rank() {
    let full = paired(&[(100, 1, NoData::Full), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&full, &[0, 0, 0, 0]), 10000);
    let zero = paired(&[(100, 1, NoData::Zero), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&zero, &[0, 0, 0, 0]), 0);
}

#[test]
fn no_data_default_and_serde_names() {
    assert_eq!(NoData::default(), NoData::Exclude);
    for (v, s) in [
        (NoData::Exclude, "\"exclude\""),
        (NoData::Full, "\"full\""),
        (NoData::Zero, "\"zero\""),
    ] {
        assert_eq!(serde_json::to_string(&v).unwrap(), s);
        assert_eq!(serde_json::from_str::<NoData>(s).unwrap(), v);
    }
    assert!(serde_json::from_str::<NoData>("\"Full\"").is_err());
}

// ---------------------------------------------------------------------------
// Achievement and the target cap
// ---------------------------------------------------------------------------

#[test]
fn beating_the_target_earns_nothing_more() {
    let rules = paired(&[(80, 1, NoData::Exclude)]);
    let c = criterion(&rules, &[90, 100], 0);
    assert_eq!(c.rate_bp, Some(9000));
    assert_eq!(c.achievement_bp, Some(10000));
    assert_eq!(score_bp(&rules, &[90, 100]), 10000);
    assert_eq!(score_bp(&rules, &[80, 100]), 10000);
    assert_eq!(score_bp(&rules, &[100, 100]), 10000);
}

#[test]
fn below_the_target_achievement_is_the_share_of_it() {
    let rules = paired(&[(80, 1, NoData::Exclude)]);
    // 60% of an 80% target: 0.75.
    let c = criterion(&rules, &[60, 100], 0);
    assert_eq!(c.rate_bp, Some(6000));
    assert_eq!(c.achievement_bp, Some(7500));
    assert_eq!(score_bp(&rules, &[60, 100]), 7500);
    // 79.99%: 7999/8000 of the target.
    assert_eq!(score_bp(&rules, &[7999, 10000]), 9999);
    assert_eq!(score_bp(&rules, &[0, 100]), 0);
}

#[test]
fn target_extremes() {
    let one = paired(&[(1, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&one, &[1, 100]), 10000);
    assert_eq!(score_bp(&one, &[1, 1000]), 1000);
    assert_eq!(score_bp(&one, &[0, 1000]), 0);
    let hundred = single();
    assert_eq!(score_bp(&hundred, &[99, 100]), 9900);
    assert_eq!(score_bp(&hundred, &[100, 100]), 10000);
}

#[test]
fn achievement_bp_rounds_half_up() {
    // 1/3 of a 50% target is 2/3 achieved: 6666.67.
    let rules = paired(&[(50, 1, NoData::Exclude)]);
    assert_eq!(criterion(&rules, &[1, 3], 0).achievement_bp, Some(6667));
    assert_eq!(criterion(&rules, &[1, 6], 0).achievement_bp, Some(3333));
    // 1/32: 312.5 basis points.
    assert_eq!(criterion(&single(), &[1, 32], 0).achievement_bp, Some(313));
    assert_eq!(criterion(&single(), &[1, 3], 0).achievement_bp, Some(3333));
}

// ---------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------

#[test]
fn weights_weigh() {
    let heavy_first = paired(&[(100, 3, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&heavy_first, &[5, 5, 0, 5]), 7500);
    assert_eq!(score_bp(&heavy_first, &[0, 5, 5, 5]), 2500);
    // (2·0.5 + 1·1 + 7·0.1) / 10 = 0.27
    let three = paired(&[
        (100, 2, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 7, NoData::Exclude),
    ]);
    assert_eq!(score_bp(&three, &[1, 2, 3, 3, 1, 10]), 2700);
}

#[test]
fn excluded_weight_does_not_dilute() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1000, NoData::Exclude)]);
    assert_eq!(score_bp(&rules, &[3, 4, 0, 0]), 7500);
    let zero = paired(&[(100, 1, NoData::Exclude), (100, 1000, NoData::Zero)]);
    // 0.75 / 1001 = 0.000749...
    assert_eq!(score_bp(&zero, &[3, 4, 0, 0]), 7);
}

#[test]
fn scaling_all_weights_changes_nothing() {
    let counters = [1, 3, 2, 7, 5, 11];
    let base = paired(&[
        (100, 1, NoData::Exclude),
        (90, 2, NoData::Exclude),
        (70, 3, NoData::Exclude),
    ]);
    let scaled = paired(&[
        (100, 7, NoData::Exclude),
        (90, 14, NoData::Exclude),
        (70, 21, NoData::Exclude),
    ]);
    assert_eq!(score_bp(&base, &counters), score_bp(&scaled, &counters));
}

// ---------------------------------------------------------------------------
// Exact rounding
// ---------------------------------------------------------------------------

#[test]
fn score_97_345_becomes_9735() {
    // One criterion at 19469 / 20000 = 97.345 %.
    let rules = single();
    let scored = scoring::score(&rules, Some(&reported(&[19469, 20000])));
    assert_eq!(scored.score_bp, Ok(9735));
    assert_eq!(scored.criteria[0].rate_bp, Some(9735));
    assert_eq!(scored.criteria[0].achievement_bp, Some(9735));

    // Two equal criteria: (1 + 0.9469) / 2.
    let two = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&two, &[7, 7, 9469, 10000]), 9735);

    // Through a target: 77.876 % of an 80 % target.
    let target = paired(&[(80, 1, NoData::Exclude)]);
    let scored = scoring::score(&target, Some(&reported(&[38938, 50000])));
    assert_eq!(scored.score_bp, Ok(9735));
    assert_eq!(scored.criteria[0].rate_bp, Some(7788));

    // Through weights: (3·1 + 1·0.8938) / 4 = 0.97345.
    let weighted = paired(&[(100, 3, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&weighted, &[1, 1, 4469, 5000]), 9735);

    // Through reports summed over days.
    let totals = two_days(&[19469, 20000]);
    assert_eq!(scoring::score(&rules, Some(&totals)).score_bp, Ok(9735));
}

#[test]
fn score_just_below_a_half_rounds_down() {
    // 97.3449995 %
    assert_eq!(score_bp(&single(), &[1946899990, 2000000000]), 9734);
    // 97.3445 %
    assert_eq!(score_bp(&single(), &[194689, 200000]), 9734);
    // 97.3455 %
    assert_eq!(score_bp(&single(), &[194691, 200000]), 9735);
}

#[test]
fn other_exact_halves_round_up() {
    // 1/32 = 3.125 %, 3/32 = 9.375 %, 1/20000 = 0.005 %.
    assert_eq!(score_bp(&single(), &[1, 32]), 313);
    assert_eq!(score_bp(&single(), &[3, 32]), 938);
    assert_eq!(score_bp(&single(), &[1, 20000]), 1);
    assert_eq!(score_bp(&single(), &[1, 20001]), 0);
    // Halves where n / d × 10000 in f64 lands just below: 1.4999…, 14.4999…
    assert_eq!(score_bp(&single(), &[3, 20000]), 2);
    assert_eq!(score_bp(&single(), &[29, 20000]), 15);
    assert_eq!(score_bp(&single(), &[209, 20000]), 105);
    // Halves produced only by the weighted average: (0.0001 + 0) / 2.
    let two = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Zero)]);
    assert_eq!(score_bp(&two, &[1, 10000, 0, 0]), 1);
    // Thirds never tie: 2/3 of the weight at 1 → 6666.67.
    let thirds = paired(&[(100, 2, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(score_bp(&thirds, &[1, 1, 0, 1]), 6667);
}

#[test]
fn rate_bp_rounds_half_up() {
    assert_eq!(scoring::bp(1, 3), 3333);
    assert_eq!(scoring::bp(2, 3), 6667);
    assert_eq!(scoring::bp(1, 6), 1667);
    assert_eq!(scoring::bp(1, 20000), 1);
    assert_eq!(scoring::bp(3, 20000), 2);
    assert_eq!(scoring::bp(1, 20001), 0);
    assert_eq!(scoring::bp(29, 20000), 15);
    assert_eq!(scoring::bp(19469, 20000), 9735);
    assert_eq!(scoring::bp(0, 7), 0);
    assert_eq!(scoring::bp(7, 7), 10000);
    assert_eq!(scoring::bp(u64::MAX, u64::MAX), 10000);
    assert_eq!(scoring::bp(u64::MAX - 1, u64::MAX), 10000);
    assert_eq!(scoring::bp(1, u64::MAX), 0);
    assert_eq!(scoring::bp(u64::MAX / 2, u64::MAX), 5000);
    // Rates go through `bp` in `evaluate` too.
    assert_eq!(criterion(&single(), &[2, 3], 0).rate_bp, Some(6667));
}

// ---------------------------------------------------------------------------
// Unranked
// ---------------------------------------------------------------------------

#[test]
fn no_report_is_no_reports() {
    let rules = paired(&[(100, 1, NoData::Full), (100, 1, NoData::Exclude)]);
    let none = scoring::score(&rules, None);
    assert_eq!(none.score_bp, Err(UnrankedReason::NoReports));
    assert_eq!(none.criteria.len(), 2);
    assert!(
        none.criteria
            .iter()
            .all(|c| c.numerator == 0 && c.denominator == 0 && c.rate_bp.is_none())
    );
    assert_eq!(none.criteria, scoring::evaluate(&rules, &[0, 0, 0, 0]).0);

    let zero_days = scoring::score(&rules, Some(&Totals::empty(4)));
    assert_eq!(zero_days.score_bp, Err(UnrankedReason::NoReports));
}

#[test]
fn reports_without_dossiers_is_no_dossiers() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 5, NoData::Exclude)]);
    let mut totals = Totals::empty(4);
    totals.add_day(&[0, 0, 0, 0]);
    let scored = scoring::score(&rules, Some(&totals));
    assert_eq!(scored.score_bp, Err(UnrankedReason::NoDossiers));
    assert!(scored.criteria.iter().all(|c| !c.applicable));
    // One dossier anywhere ranks the unit.
    totals.add_day(&[0, 0, 0, 1]);
    assert_eq!(scoring::score(&rules, Some(&totals)).score_bp, Ok(0));
}

#[test]
fn no_reports_wins_over_no_dossiers() {
    let rules = single();
    assert_eq!(
        scoring::score(&rules, None).score_bp,
        Err(UnrankedReason::NoReports)
    );
    assert_eq!(
        scoring::score(&rules, Some(&reported(&[0, 0]))).score_bp,
        Err(UnrankedReason::NoDossiers)
    );
}

#[test]
fn unranked_reason_names() {
    assert_eq!(UnrankedReason::NoReports.as_str(), "no_reports");
    assert_eq!(UnrankedReason::NoDossiers.as_str(), "no_dossiers");
    for r in [UnrankedReason::NoReports, UnrankedReason::NoDossiers] {
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, format!("\"{}\"", r.as_str()));
        assert_eq!(serde_json::from_str::<UnrankedReason>(&json).unwrap(), r);
    }
}

#[test]
fn evaluate_reads_missing_counters_as_zero() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Full)]);
    let (criteria, score) = scoring::evaluate(&rules, &[1, 4]);
    assert_eq!(score, Some(6250));
    assert_eq!(criteria[1].denominator, 0);
    assert_eq!(scoring::evaluate(&rules, &[]).1, Some(10000));
    let excluded = single();
    assert_eq!(scoring::evaluate(&excluded, &[]).1, None);
}

// ---------------------------------------------------------------------------
// Order and ranks
// ---------------------------------------------------------------------------

#[test]
fn ranks_are_shared_and_skip() {
    let rules = single();
    let units = [
        ("D", Some(reported(&[7, 10]))),
        ("C", Some(reported(&[8, 10]))),
        ("A", Some(reported(&[9, 10]))),
        ("B", Some(reported(&[80, 100]))),
    ];
    assert_eq!(
        board(&rules, &units),
        owned(&[("A", 1), ("B", 2), ("C", 2), ("D", 4)])
    );
}

#[test]
fn shared_ranks_patterns() {
    let none: Vec<SortKey> = Vec::new();
    assert_eq!(scoring::shared_ranks(&none), Vec::<u32>::new());
    let same = vec![key(5000, &[]); 3];
    assert_eq!(scoring::shared_ranks(&same), vec![1, 1, 1]);
    let distinct = [key(3, &[]), key(2, &[]), key(1, &[])];
    assert_eq!(scoring::shared_ranks(&distinct), vec![1, 2, 3]);
    let run = [
        key(9, &[]),
        key(8, &[]),
        key(8, &[]),
        key(8, &[]),
        key(7, &[]),
    ];
    assert_eq!(scoring::shared_ranks(&run), vec![1, 2, 2, 2, 5]);
    let pairs = [
        key(9, &[1]),
        key(9, &[1]),
        key(9, &[0]),
        key(9, &[0]),
        key(1, &[5]),
    ];
    assert_eq!(scoring::shared_ranks(&pairs), vec![1, 1, 3, 3, 5]);
}

#[test]
fn sort_key_orders_by_score_then_tie_breakers() {
    assert!(key(5001, &[0, 0]) > key(5000, &[9, 9]));
    assert!(key(5000, &[2, 0]) > key(5000, &[1, 9]));
    assert!(key(5000, &[1, 3]) > key(5000, &[1, 2]));
    assert_eq!(key(5000, &[1, 2]).cmp(&key(5000, &[1, 2])), Ordering::Equal);
}

#[test]
fn sort_key_picks_tie_breaker_totals() {
    let mut rules = paired(&[(100, 1, NoData::Exclude)]);
    rules.counters = 4;
    rules.tie_breakers = vec![3, 1, 7];
    let totals = reported(&[1, 2, 3, 4]);
    assert_eq!(
        scoring::sort_key(&rules, 6000, &totals),
        key(6000, &[4, 2, 0])
    );
}

#[test]
fn tie_breakers_order_equal_scores() {
    // Counters: on time, received, issued (first tie-breaker), signed (second).
    let rules = Rules {
        counters: 4,
        criteria: vec![crit(0, 1, 100, 1, NoData::Exclude)],
        tie_breakers: vec![2, 3],
        grades: Vec::new(),
    };
    let units = [
        ("A", Some(reported(&[5, 10, 1, 9]))),
        ("B", Some(reported(&[50, 100, 3, 0]))),
        ("C", Some(reported(&[1, 2, 3, 1]))),
        ("D", Some(reported(&[1, 2, 3, 1]))),
        // A better score beats any tie-breaker.
        ("E", Some(reported(&[6, 10, 0, 0]))),
        // A worse score loses whatever its tie-breakers.
        ("F", Some(reported(&[4, 10, 999, 999]))),
    ];
    assert_eq!(
        board(&rules, &units),
        owned(&[("E", 1), ("C", 2), ("D", 2), ("B", 4), ("A", 5), ("F", 6)])
    );
}

#[test]
fn without_tie_breakers_equal_scores_share_and_codes_ascend() {
    let rules = single();
    let units = [
        ("X10", Some(reported(&[1, 2]))),
        ("X02", Some(reported(&[2, 4]))),
        ("X01", Some(reported(&[500, 1000]))),
        ("W99", Some(reported(&[1, 3]))),
    ];
    assert_eq!(
        board(&rules, &units),
        owned(&[("X01", 1), ("X02", 1), ("X10", 1), ("W99", 4)])
    );
}

#[test]
fn board_order_direct() {
    let high = key(9000, &[1]);
    let low = key(8000, &[5]);
    assert_eq!(
        scoring::board_order((&high, "Z"), (&low, "A")),
        Ordering::Less
    );
    assert_eq!(
        scoring::board_order((&low, "A"), (&high, "Z")),
        Ordering::Greater
    );
    assert_eq!(
        scoring::board_order((&high, "A"), (&high, "B")),
        Ordering::Less
    );
    assert_eq!(
        scoring::board_order((&high, "B"), (&high, "B")),
        Ordering::Equal
    );
}

#[test]
fn unranked_units_stay_off_the_ranks() {
    let rules = single();
    let units = [
        ("A", None),
        ("B", Some(reported(&[1, 2]))),
        ("C", Some(reported(&[0, 0]))),
        ("D", Some(Totals::empty(2))),
        ("E", Some(reported(&[2, 2]))),
    ];
    assert_eq!(board(&rules, &units), owned(&[("E", 1), ("B", 2)]));
}

// ---------------------------------------------------------------------------
// Grades
// ---------------------------------------------------------------------------

fn graded() -> Rules {
    let mut rules = single();
    rules.grades = [
        (9000, "Xuất sắc"),
        (8000, "Tốt"),
        (6500, "Khá"),
        (5000, "Trung bình"),
    ]
    .into_iter()
    .map(|(min_score_bp, label)| Grade {
        min_score_bp,
        label: label.to_string(),
    })
    .collect();
    rules
}

#[test]
fn grade_boundaries() {
    let rules = graded();
    for (score, label) in [
        (10000, Some("Xuất sắc")),
        (9000, Some("Xuất sắc")),
        (8999, Some("Tốt")),
        (8000, Some("Tốt")),
        (7999, Some("Khá")),
        (6500, Some("Khá")),
        (6499, Some("Trung bình")),
        (5000, Some("Trung bình")),
        (4999, None),
        (0, None),
    ] {
        assert_eq!(scoring::grade(&rules, score), label, "{score}");
    }
}

#[test]
fn grade_of_a_score_exactly_at_the_threshold() {
    let rules = graded();
    let bp = score_bp(&rules, &[9, 10]);
    assert_eq!(bp, 9000);
    assert_eq!(scoring::grade(&rules, bp), Some("Xuất sắc"));
    // 89.995 % rounds up onto the threshold.
    let bp = score_bp(&rules, &[17999, 20000]);
    assert_eq!(bp, 9000);
    assert_eq!(scoring::grade(&rules, bp), Some("Xuất sắc"));
    // 89.9949 % does not.
    let bp = score_bp(&rules, &[899949, 1000000]);
    assert_eq!(bp, 8999);
    assert_eq!(scoring::grade(&rules, bp), Some("Tốt"));
}

#[test]
fn grade_floor_and_no_grades() {
    let mut rules = graded();
    rules.grades.push(Grade {
        min_score_bp: 0,
        label: "Yếu".to_string(),
    });
    assert_eq!(scoring::grade(&rules, 0), Some("Yếu"));
    assert_eq!(scoring::grade(&single(), 10000), None);
}

// ---------------------------------------------------------------------------
// Totals
// ---------------------------------------------------------------------------

#[test]
fn totals_empty() {
    let t = Totals::empty(3);
    assert_eq!(t.counters, vec![0, 0, 0]);
    assert_eq!(t.days_reported, 0);
    assert_eq!(Totals::default(), Totals::empty(0));
}

#[test]
fn totals_add_day_sums_and_counts() {
    let mut t = Totals::empty(3);
    t.add_day(&[1, 2, 3]);
    t.add_day(&[10, 20, 30]);
    assert_eq!(t.counters, vec![11, 22, 33]);
    assert_eq!(t.days_reported, 2);
    t.add_day(&[0, 0, 0]);
    assert_eq!(t.counters, vec![11, 22, 33]);
    assert_eq!(t.days_reported, 3);
}

#[test]
fn totals_add_counters_does_not_count_a_day() {
    let mut board = Totals::empty(2);
    board.add_counters(&[4, 5]);
    board.add_counters(&[1, 1]);
    assert_eq!(board.counters, vec![5, 6]);
    assert_eq!(board.days_reported, 0);
}

#[test]
fn totals_grow_to_longer_values_and_accept_shorter_ones() {
    let mut t = Totals::default();
    t.add_day(&[1, 2]);
    assert_eq!(t.counters, vec![1, 2]);
    t.add_counters(&[1, 1, 1]);
    assert_eq!(t.counters, vec![2, 3, 1]);
    t.add_counters(&[5]);
    assert_eq!(t.counters, vec![7, 3, 1]);
    assert_eq!(t.days_reported, 1);
}

#[test]
fn totals_serde_round_trip() {
    let mut t = Totals::empty(2);
    t.add_day(&[3, 4]);
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Totals>(&json).unwrap(), t);
}

#[test]
fn board_totals_score_like_a_unit() {
    // Province-wide progress: sum everything, score the sums.
    let rules = paired(&[(100, 1, NoData::Exclude), (90, 2, NoData::Exclude)]);
    let mut all = Totals::empty(rules.counters);
    for unit in [[1, 2, 0, 0], [3, 4, 9, 10], [0, 0, 1, 10]] {
        all.add_counters(&unit);
    }
    assert_eq!(all.counters, vec![4, 6, 10, 20]);
    let (criteria, score) = scoring::evaluate(&rules, &all.counters);
    assert_eq!(criteria[0].rate_bp, Some(6667));
    assert_eq!(criteria[1].rate_bp, Some(5000));
    // (2/3 + 2·5/9) / 3 = 16/27 = 0.592592…
    assert_eq!(score, Some(5926));
}

// ---------------------------------------------------------------------------
// Very large counters
// ---------------------------------------------------------------------------

const D1: u64 = 2_000_000_000_000_001;
const D2: u64 = 2 * D1 + 1;

#[test]
fn large_counters_are_exact_just_below_a_half() {
    // a0 = 1 − 1/D1, a1 = 2/D2, a2 = 0.99998 (weight 10):
    // score × 100 = 9166.5 − 10000 / (12·D1·D2), a hair under the half.
    let rules = paired(&[
        (100, 1, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 10, NoData::Exclude),
    ]);
    let counters = [D1 - 1, D1, 2, D2, 49999, 50000];
    let totals = two_days(&counters);
    assert_eq!(
        scoring::score(&rules, Some(&totals)).score_bp,
        Ok(9166),
        "D2 = {D2}"
    );
    assert_eq!(ref_evaluate(&rules, &counters).1, Some(9166));
}

#[test]
fn large_counters_are_exact_just_above_a_half() {
    // a0 = 1 − 2/D2, a1 = 1/D1: a hair over 9166.5.
    let rules = paired(&[
        (100, 1, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 10, NoData::Exclude),
    ]);
    let counters = [D2 - 2, D2, 1, D1, 49999, 50000];
    let totals = two_days(&counters);
    assert_eq!(scoring::score(&rules, Some(&totals)).score_bp, Ok(9167));
    assert_eq!(ref_evaluate(&rules, &counters).1, Some(9167));
}

#[test]
fn large_counters_beyond_u128_are_exact_at_a_half() {
    // Two cancelling pairs and a fifth criterion: five pairwise co-prime
    // denominators (lcm ≈ 2^220), the exact score 8570.5 ± ~4e-28.
    const D3: u64 = 1_000_000_000_000_001;
    const D4: u64 = 2 * D3 + 1;
    let rules = paired(&[
        (100, 1, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 1, NoData::Exclude),
        (100, 10, NoData::Exclude),
    ]);
    let below = [D1 - 1, D1, 2, D2, D3 - 1, D3, 2, D4, 99987, 100000];
    let above = [D2 - 2, D2, 1, D1, D4 - 2, D4, 1, D3, 99987, 100000];
    for (counters, expected) in [(below, 8570), (above, 8571)] {
        assert_eq!(ref_evaluate(&rules, &counters).1, Some(expected));
        let totals = two_days(&counters);
        assert_eq!(
            scoring::score(&rules, Some(&totals)).score_bp,
            Ok(expected),
            "{counters:?}"
        );
    }
}

#[test]
fn large_counters_with_coprime_denominators_match_the_reference() {
    const F: u64 = 4_000_000_000_000_000;
    // Pairwise co-prime denominators near 4e15: their lcm needs ~200 bits.
    let rules = paired(&[
        (100, 1, NoData::Exclude),
        (97, 3, NoData::Exclude),
        (89, 7, NoData::Zero),
        (61, 10, NoData::Full),
        (100, 2, NoData::Exclude),
    ]);
    let counters = [
        F - 12_345,
        F - 1,
        (F + 1) / 3 * 2,
        F + 1,
        F / 10 * 9 + 7,
        F + 3,
        F / 2 - 1,
        F - 3,
        0,
        0,
    ];
    let totals = two_days(&counters);
    let scored = scoring::score(&rules, Some(&totals));
    let (criteria, score) = ref_evaluate(&rules, &counters);
    assert_eq!(scored.score_bp.ok(), score);
    let got: Vec<RefCriterion> = scored.criteria.iter().map(RefCriterion::from).collect();
    assert_eq!(got, criteria);
    // Hand check, the last criterion excluded:
    // (1·(1 − ε) + 3·0.687285 + 7·1 + 10·0.819672) / 21 = 0.869456…
    assert_eq!(score, Some(8695));
}

#[test]
fn large_counters_half_up_stays_exact() {
    // 97.345 % scaled up to ~4e15 dossiers.
    let k = 200_000_000_000;
    let totals = two_days(&[19469 * k, 20000 * k]);
    assert_eq!(totals.counters[1], 4_000_000_000_000_000);
    let scored = scoring::score(&single(), Some(&totals));
    assert_eq!(scored.score_bp, Ok(9735));
    assert_eq!(scored.criteria[0].rate_bp, Some(9735));
}

#[test]
fn extreme_counters() {
    let rules = paired(&[(100, 1, NoData::Exclude), (1, 1000, NoData::Exclude)]);
    let max = u64::MAX;
    assert_eq!(score_bp(&rules, &[max, max, max - 1, max]), 10000);
    assert_eq!(score_bp(&rules, &[0, max, 0, max]), 0);
    // max/100 of a 1 % target is a hair under 1: rounds to 10000.
    assert_eq!(score_bp(&rules, &[0, 1, max / 100, max]), 9990);
    let c = criterion(&rules, &[0, 1, max / 100, max], 1);
    assert_eq!(c.rate_bp, Some(100));
    assert_eq!(c.achievement_bp, Some(10000));
}

// ---------------------------------------------------------------------------
// Properties against the reference
// ---------------------------------------------------------------------------

fn no_data() -> impl Strategy<Value = NoData> {
    prop_oneof![
        Just(NoData::Exclude),
        Just(NoData::Full),
        Just(NoData::Zero)
    ]
}

fn weight() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 1u32..=10, 1 => 1u32..=1000]
}

fn target() -> impl Strategy<Value = u32> {
    prop_oneof![1 => Just(100u32), 3 => 1u32..=100]
}

/// Counter sums: mostly small (so scores and tie-breakers tie), sometimes huge.
fn magnitude(tiny: bool) -> BoxedStrategy<u64> {
    if tiny {
        (0u64..=3).boxed()
    } else {
        prop_oneof![
            3 => 0u64..=4,
            3 => 0u64..=300,
            2 => 0u64..=30_000_000_000,
            2 => 0u64..=4_000_000_000_000_000,
        ]
        .boxed()
    }
}

/// `(numerator, denominator)` with the numerator never above the denominator.
fn fraction(tiny: bool) -> impl Strategy<Value = (u64, u64)> {
    magnitude(tiny).prop_flat_map(|d| (0..=d, Just(d)))
}

/// Rules in the paired layout plus two free counters for tie-breakers.
fn paired_rules() -> impl Strategy<Value = Rules> {
    prop::collection::vec((target(), weight(), no_data()), 1..=5).prop_flat_map(|specs| {
        let counters = 2 * specs.len() + 2;
        prop::collection::vec(0..counters, 0..=2).prop_map(move |tie_breakers| {
            let mut rules = paired(&specs);
            rules.counters = counters;
            rules.tie_breakers = tie_breakers;
            rules
        })
    })
}

fn unit_totals(criteria: usize, tiny: bool) -> impl Strategy<Value = Option<Totals>> {
    let counters = (
        prop::collection::vec(fraction(tiny), criteria),
        prop::collection::vec(magnitude(tiny), 2),
    )
        .prop_map(|(pairs, free)| {
            let mut counters: Vec<u64> = pairs.into_iter().flat_map(|(n, d)| [n, d]).collect();
            counters.extend(free);
            counters
        });
    let days = prop_oneof![1 => Just(0u32), 9 => 1u32..=31];
    prop_oneof![
        1 => Just(None),
        12 => (counters, days).prop_map(|(counters, days_reported)| Some(Totals {
            counters,
            days_reported,
        })),
    ]
}

fn code() -> impl Strategy<Value = String> {
    "[A-D]{1,2}[0-9]{0,2}"
}

type Case = (Rules, Vec<(String, Option<Totals>)>);

fn case() -> impl Strategy<Value = Case> {
    (paired_rules(), any::<bool>()).prop_flat_map(|(rules, tiny)| {
        let units =
            prop::collection::btree_map(code(), unit_totals(rules.criteria.len(), tiny), 0..=12);
        (Just(rules), units).prop_map(|(rules, units): (Rules, BTreeMap<_, _>)| {
            (rules, units.into_iter().collect())
        })
    })
}

/// Rules whose criteria share counters freely, as real competitions do.
fn shared_rules() -> impl Strategy<Value = Rules> {
    (2usize..=6).prop_flat_map(|counters| {
        let criterion = (0..counters, 0..counters, target(), weight(), no_data())
            .prop_map(|(n, d, t, w, nd)| crit(n, d, t, w, nd));
        (
            prop::collection::vec(criterion, 1..=5),
            prop::collection::vec(0..counters, 0..=2),
        )
            .prop_map(move |(criteria, tie_breakers)| Rules {
                counters,
                criteria,
                tie_breakers,
                grades: Vec::new(),
            })
    })
}

proptest! {
    #[test]
    fn unit_scores_match_the_reference((rules, units) in case()) {
        for (_, totals) in &units {
            check_unit(&rules, totals.as_ref())?;
        }
    }

    #[test]
    fn boards_match_the_reference((rules, units) in case()) {
        let as_refs: Vec<(&str, Option<Totals>)> = units
            .iter()
            .map(|(code, totals)| (code.as_str(), totals.clone()))
            .collect();
        let got = board(&rules, &as_refs);
        let expected = ref_board(&rules, &units);
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn board_totals_match_the_reference((rules, units) in case()) {
        let mut all = Totals::empty(rules.counters);
        for totals in units.iter().filter_map(|(_, t)| t.as_ref()) {
            all.add_counters(&totals.counters);
        }
        let (criteria, score) = scoring::evaluate(&rules, &all.counters);
        let got: Vec<RefCriterion> = criteria.iter().map(RefCriterion::from).collect();
        let (ref_criteria, ref_score) = ref_evaluate(&rules, &all.counters);
        prop_assert_eq!(got, ref_criteria);
        prop_assert_eq!(score, ref_score);
    }

    #[test]
    fn shared_counters_match_the_reference(
        (rules, counters) in shared_rules().prop_flat_map(|rules| {
            // Numerators may exceed denominators here; the cap still applies.
            let values = prop::collection::vec(
                prop_oneof![0u64..=3, 0u64..=100_000],
                0..=rules.counters,
            );
            (Just(rules), values)
        }),
        days in 0u32..=3,
    ) {
        let (criteria, score) = scoring::evaluate(&rules, &counters);
        let got: Vec<RefCriterion> = criteria.iter().map(RefCriterion::from).collect();
        let (ref_criteria, ref_score) = ref_evaluate(&rules, &counters);
        prop_assert_eq!(got, ref_criteria);
        prop_assert_eq!(score, ref_score);
        let totals = Totals { counters, days_reported: days };
        check_unit(&rules, Some(&totals))?;
    }

    #[test]
    fn scores_stay_in_range_and_ignore_weight_scale(
        (rules, units) in case(),
        factor in 2u32..=100,
    ) {
        let mut scaled = rules.clone();
        for c in &mut scaled.criteria {
            c.weight *= factor;
        }
        for (_, totals) in &units {
            let a = scoring::score(&rules, totals.as_ref());
            let b = scoring::score(&scaled, totals.as_ref());
            prop_assert_eq!(a.score_bp, b.score_bp);
            if let Ok(bp) = a.score_bp {
                prop_assert!(bp <= 10000);
            }
            for c in &a.criteria {
                prop_assert!(c.rate_bp.is_none_or(|r| r <= 10000));
                prop_assert!(c.achievement_bp.is_none_or(|r| r <= 10000));
            }
        }
    }

    #[test]
    fn rate_bp_matches_the_reference(
        (n, d) in prop_oneof![
            (1u64..=u64::MAX).prop_flat_map(|d| (0..=d, Just(d))),
            (1u64..=40_000).prop_flat_map(|d| (0..=d, Just(d))),
        ]
    ) {
        prop_assert_eq!(scoring::bp(n, d), ref_rate_bp(n, d));
    }

    #[test]
    fn ranks_count_strictly_better_keys(
        mut keys in prop::collection::vec(
            (0u32..=3, prop::collection::vec(0u64..=2, 2)),
            0..=20,
        )
    ) {
        keys.sort_by(|a, b| b.cmp(a));
        let sort_keys: Vec<SortKey> = keys.iter().map(|(s, t)| key(*s, t)).collect();
        let ranks = scoring::shared_ranks(&sort_keys);
        let expected: Vec<u32> = keys
            .iter()
            .map(|k| 1 + keys.iter().filter(|other| *other > k).count() as u32)
            .collect();
        prop_assert_eq!(ranks, expected);
    }

    #[test]
    fn grade_is_the_highest_reached(
        thresholds in prop::collection::btree_set(0u32..=10000, 0..=5),
        score in prop_oneof![0u32..=10000, Just(0), Just(10000)],
    ) {
        let mut rules = single();
        rules.grades = thresholds
            .iter()
            .rev()
            .map(|&min_score_bp| Grade { min_score_bp, label: format!("g{min_score_bp}") })
            .collect();
        let expected = thresholds
            .iter()
            .filter(|&&t| t <= score)
            .max()
            .map(|t| format!("g{t}"));
        prop_assert_eq!(scoring::grade(&rules, score).map(str::to_string), expected);
        for &t in &thresholds {
            let label = format!("g{t}");
            prop_assert_eq!(scoring::grade(&rules, t), Some(label.as_str()));
        }
    }

    #[test]
    fn add_day_sums_each_counter(
        days in prop::collection::vec(
            prop::collection::vec(0u64..=1_000_000_000, 4),
            0..=31,
        )
    ) {
        let mut totals = Totals::empty(4);
        for day in &days {
            totals.add_day(day);
        }
        let expected: Vec<u64> = (0..4).map(|i| days.iter().map(|d| d[i]).sum()).collect();
        prop_assert_eq!(totals.counters, expected);
        prop_assert_eq!(totals.days_reported as usize, days.len());
    }
}
