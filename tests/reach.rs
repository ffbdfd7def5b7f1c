//! `scoring::reach` against brute force: for every criterion, add its
//! dossiers handled online one at a time (k = 0, 1, 2, … up to `BRUTE`),
//! rescore with `scoring::score`, and take the first k that does it.
//!
//! Brute force alone cannot tell "more than we tried" from "never", so each
//! question also gets an exact oracle for "some k does it": the same test at
//! `FAR` = 10^18 dossiers, which is past the point where every key has settled
//! for totals this small (see `FAR`). The properties, per criterion and
//! question, with `b` the bound given to the function:
//!
//! - a count k is answered exactly when the brute-force minimum is k ≤ b;
//! - `TooMany` exactly when nothing up to b does it but `FAR` does;
//! - `Never` (or `Unreachable` for a target) exactly when not even `FAR` does;
//! - `Undetermined` exactly when the criterion's dossiers grow another
//!   criterion's denominator alone and k = 0 does not do it.
//!
//! With the default bound (10^15) a count beyond `BRUTE` is checked to be
//! minimal by rescoring at k and k − 1.

use proptest::prelude::*;
use thidua::scoring::reach::{self, Count, Need, Reach, ToTarget};
use thidua::scoring::{self, CriterionRule, Grade, NoData, Rules, SortKey, Totals};

/// The largest counter total generated.
const MAX_TOTAL: u64 = 300;

/// Brute force tries k = 0..=BRUTE.
const BRUTE: u64 = 150;

/// The bound handed to `what_it_takes_within`: below `BRUTE`, so answers
/// past it are checked too.
const SMALL_BOUND: u64 = 40;

/// Past every settling point for totals up to `MAX_TOTAL` and 3 criteria.
///
/// Criteria whose target can be met meet it by k ≤ 99·`MAX_TOTAL`. The
/// others (100% target, N < D) leave 10000·score short of its limit X by at
/// most 10000·Σw·(D − N)/(W·(D + k)) ≤ 10000·`MAX_TOTAL`/k. X is a fraction
/// whose denominator Q divides W·Π(T·D) over the at most two criteria left
/// as they are, so Q ≤ 9·(100·`MAX_TOTAL`)² = 8.1·10^9, and a rounding
/// threshold other than X itself is at least 1/(2Q) away from X. From
/// k > 2Q·10000·`MAX_TOTAL` ≈ 4.9·10^16 the score has settled; grown
/// tie-breakers are then far above any other unit's.
const FAR: u64 = 1_000_000_000_000_000_000;

// ---------------------------------------------------------------------------
// Brute force
// ---------------------------------------------------------------------------

/// The counters one dossier handled online adds one to.
fn grown(c: &CriterionRule) -> Vec<usize> {
    let mut grown = vec![c.numerator, c.denominator];
    grown.dedup();
    grown
}

/// The totals with `k` more of criterion `c`'s dossiers handled online.
fn with_dossiers(rules: &Rules, totals: &Totals, c: &CriterionRule, k: u64) -> Totals {
    let mut totals = totals.clone();
    totals
        .counters
        .resize(rules.counters.max(totals.counters.len()), 0);
    for i in grown(c) {
        totals.counters[i] += k;
    }
    totals
}

fn key_of(rules: &Rules, totals: &Totals) -> Option<SortKey> {
    let bp = scoring::score(rules, Some(totals)).score_bp.ok()?;
    Some(scoring::sort_key(rules, bp, totals))
}

/// Whether the key only grows with `c`'s dossiers: no criterion may have its
/// denominator grown without its numerator.
fn monotone(rules: &Rules, c: &CriterionRule) -> bool {
    let grown = grown(c);
    rules
        .criteria
        .iter()
        .all(|other| grown.contains(&other.numerator) || !grown.contains(&other.denominator))
}

fn first(met: &dyn Fn(u64) -> bool) -> Option<u64> {
    (0..=BRUTE).find(|&k| met(k))
}

/// Checks one passing or grade answer, with the small bound and the default.
fn check_need(
    what: &str,
    small: Option<Need>,
    full: Option<Need>,
    monotone: bool,
    met: &dyn Fn(u64) -> bool,
) -> Result<(), TestCaseError> {
    let (Some(small), Some(full)) = (small, full) else {
        prop_assert!(
            small.is_none() && full.is_none(),
            "{what}: asked once but not twice"
        );
        return Ok(());
    };
    if !monotone {
        let expected = if met(0) {
            Need::Dossiers(0)
        } else {
            Need::Undetermined
        };
        prop_assert_eq!(small, expected, "{} (small bound)", what);
        prop_assert_eq!(full, expected, "{}", what);
        return Ok(());
    }
    let found = first(met);
    let ever = met(FAR);
    if let Some(k) = found {
        prop_assert!(ever, "{what}: met at {k} but not at FAR");
        for later in k..=BRUTE {
            prop_assert!(met(later), "{what}: met at {k}, not at {later}");
        }
    }
    let expected_small = match found {
        Some(k) if k <= SMALL_BOUND => Need::Dossiers(k),
        _ if ever => Need::TooMany,
        _ => Need::Never,
    };
    prop_assert_eq!(small, expected_small, "{} (small bound)", what);
    match (found, full) {
        (Some(k), _) => prop_assert_eq!(full, Need::Dossiers(k), "{}", what),
        (None, Need::Dossiers(k)) => {
            prop_assert!(
                k > BRUTE && met(k) && !met(k - 1),
                "{what}: {k} not minimal"
            );
        }
        (None, Need::TooMany) => {
            prop_assert!(ever && !met(reach::MAX_DOSSIERS), "{what}: too many");
        }
        (None, Need::Never) => prop_assert!(!ever, "{what}: said never, met at FAR"),
        (None, Need::Undetermined) => prop_assert!(false, "{what}: undetermined"),
    }
    Ok(())
}

fn check_count(
    what: &str,
    small: Count,
    full: Count,
    met: &dyn Fn(u64) -> bool,
) -> Result<(), TestCaseError> {
    prop_assert!(met(FAR), "{what}: not even at FAR");
    let found = first(met);
    let expected_small = match found {
        Some(k) if k <= SMALL_BOUND => Count::Dossiers(k),
        _ => Count::TooMany,
    };
    prop_assert_eq!(small, expected_small, "{} (small bound)", what);
    match (found, full) {
        (Some(k), _) => prop_assert_eq!(full, Count::Dossiers(k), "{}", what),
        (None, Count::Dossiers(k)) => {
            prop_assert!(
                k > BRUTE && met(k) && !met(k - 1),
                "{what}: {k} not minimal"
            );
        }
        (None, Count::TooMany) => prop_assert!(!met(reach::MAX_DOSSIERS), "{what}: too many"),
    }
    Ok(())
}

fn check(rules: &Rules, totals: &Totals, above: Option<&SortKey>) -> Result<(), TestCaseError> {
    let small = reach::what_it_takes_within(rules, totals, above, SMALL_BOUND);
    let full = reach::what_it_takes(rules, totals, above);
    let (small, full) = match (small, full) {
        (Reach::NoReports, Reach::NoReports) => {
            prop_assert_eq!(totals.days_reported, 0);
            return Ok(());
        }
        (Reach::Reported(small), Reach::Reported(full)) => (small, full),
        (small, full) => {
            return Err(TestCaseError::fail(format!(
                "bounds disagree on reporting: {small:?} / {full:?}"
            )));
        }
    };
    prop_assert!(totals.days_reported > 0);
    let score_bp = scoring::score(rules, Some(totals)).score_bp.ok();
    prop_assert_eq!(small.score_bp, score_bp);
    prop_assert_eq!(full.score_bp, score_bp);
    let next_grade = rules
        .grades
        .iter()
        .filter(|g| score_bp.is_none_or(|s| g.min_score_bp > s))
        .min_by_key(|g| g.min_score_bp);
    prop_assert_eq!(small.next_grade.as_ref(), next_grade);
    prop_assert_eq!(full.next_grade.as_ref(), next_grade);
    prop_assert_eq!(small.criteria.len(), rules.criteria.len());
    prop_assert_eq!(full.criteria.len(), rules.criteria.len());

    for (ci, c) in rules.criteria.iter().enumerate() {
        let (s, f) = (&small.criteria[ci], &full.criteria[ci]);
        let at = |k: u64| with_dossiers(rules, totals, c, k);
        let monotone = monotone(rules, c);

        // The target, from the definition: the criterion counts as met.
        let target_met = |k: u64| {
            let t = at(k);
            let (n, d) = (t.counters[c.numerator], t.counters[c.denominator]);
            if d == 0 {
                c.no_data == NoData::Full
            } else {
                u128::from(n) * 100 >= u128::from(d) * u128::from(c.target_percent)
            }
        };
        match (s.to_target, f.to_target) {
            (ToTarget::Reachable(s), ToTarget::Reachable(f)) => {
                check_count(&format!("target of {ci}"), s, f, &target_met)?;
            }
            (ToTarget::Unreachable { to_99: s }, ToTarget::Unreachable { to_99: f }) => {
                prop_assert!(!target_met(FAR), "target of {ci} met at FAR");
                prop_assert!(first(&target_met).is_none());
                let (n, d) = (counter(totals, c.numerator), counter(totals, c.denominator));
                prop_assert!(c.target_percent == 100 && n < d, "target of {ci}");
                let shows_99 = |k: u64| {
                    scoring::evaluate(rules, &at(k).counters).0[ci]
                        .rate_bp
                        .is_some_and(|r| r >= reach::SHOWN_FLOOR_BP)
                };
                check_count(&format!("99% of {ci}"), s, f, &shows_99)?;
            }
            (s, f) => {
                return Err(TestCaseError::fail(format!(
                    "target of {ci}: bounds disagree: {s:?} / {f:?}"
                )));
            }
        }

        // Passing: a strictly greater key.
        prop_assert_eq!(s.to_pass.is_some(), above.is_some());
        if let Some(other) = above {
            let passes = |k: u64| key_of(rules, &at(k)).is_some_and(|key| &key > other);
            check_need(
                &format!("passing {other:?} on {ci}"),
                s.to_pass,
                f.to_pass,
                monotone,
                &passes,
            )?;
        }

        // The next grade.
        prop_assert_eq!(s.to_next_grade.is_some(), next_grade.is_some());
        if let Some(grade) = next_grade {
            let reaches = |k: u64| {
                key_of(rules, &at(k)).is_some_and(|key| key.score_bp >= grade.min_score_bp)
            };
            check_need(
                &format!("grade {} on {ci}", grade.min_score_bp),
                s.to_next_grade,
                f.to_next_grade,
                monotone,
                &reaches,
            )?;
        }
    }
    Ok(())
}

fn counter(totals: &Totals, i: usize) -> u64 {
    totals.counters.get(i).copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

fn no_data() -> impl Strategy<Value = NoData> {
    prop_oneof![
        Just(NoData::Exclude),
        Just(NoData::Full),
        Just(NoData::Zero)
    ]
}

fn target() -> impl Strategy<Value = u32> {
    prop_oneof![1 => Just(100u32), 2 => 50u32..=100]
}

fn grades() -> impl Strategy<Value = Vec<Grade>> {
    let min_score_bp = prop_oneof![0u32..=10000, 9000u32..=10000, Just(10000u32)];
    prop::collection::btree_set(min_score_bp, 0..=3).prop_map(|mins| {
        mins.into_iter()
            .rev()
            .map(|min_score_bp| Grade {
                min_score_bp,
                label: format!("≥ {min_score_bp}"),
            })
            .collect()
    })
}

/// Criterion `i` reads counters `2i` / `2i + 1`, and two free counters
/// follow; tie-breakers may be any counter, grown or not.
fn paired_rules() -> impl Strategy<Value = Rules> {
    (
        prop::collection::vec((target(), 1u32..=3, no_data()), 1..=3),
        grades(),
    )
        .prop_flat_map(|(specs, grades)| {
            let counters = 2 * specs.len() + 2;
            prop::collection::vec(0..counters, 0..=2).prop_map(move |tie_breakers| Rules {
                counters,
                criteria: specs
                    .iter()
                    .enumerate()
                    .map(|(i, &(target_percent, weight, no_data))| CriterionRule {
                        numerator: 2 * i,
                        denominator: 2 * i + 1,
                        target_percent,
                        weight,
                        no_data,
                    })
                    .collect(),
                tie_breakers,
                grades: grades.clone(),
            })
        })
}

/// Criteria sharing counters freely: some criteria's dossiers grow another's
/// numerator, or its denominator alone.
fn shared_rules() -> impl Strategy<Value = Rules> {
    (2usize..=4, grades()).prop_flat_map(|(counters, grades)| {
        let criterion = (0..counters, 0..counters, target(), 1u32..=3, no_data()).prop_map(
            |(numerator, denominator, target_percent, weight, no_data)| CriterionRule {
                numerator,
                denominator,
                target_percent,
                weight,
                no_data,
            },
        );
        (
            prop::collection::vec(criterion, 1..=3),
            prop::collection::vec(0..counters, 0..=2),
        )
            .prop_map(move |(criteria, tie_breakers)| Rules {
                counters,
                criteria,
                tie_breakers,
                grades: grades.clone(),
            })
    })
}

/// Mostly small, so that scores and tie-breakers tie; sometimes a divisor
/// of 10000, so that a score can head for exactly half a basis point
/// (1 and 1/16 averaged: 53.125).
fn magnitude() -> BoxedStrategy<u64> {
    prop_oneof![
        3 => 0u64..=3,
        3 => 0u64..=12,
        2 => 0u64..=MAX_TOTAL,
        1 => prop::sample::select(vec![4u64, 8, 16, 32, 80, 125, 160, 250]),
    ]
    .boxed()
}

fn days() -> impl Strategy<Value = u32> {
    prop_oneof![1 => Just(0u32), 8 => 1u32..=2]
}

/// Totals for paired rules: numerators never above their denominators.
fn paired_totals(rules: &Rules) -> impl Strategy<Value = Totals> + use<> {
    // Numerators near their denominators too: the 99.00% counts are small
    // only there.
    let fraction = magnitude().prop_flat_map(|d| {
        let n = prop_oneof![0..=d, d.saturating_sub(3)..=d];
        (n, Just(d))
    });
    let pairs = prop::collection::vec(fraction, rules.criteria.len());
    (pairs, prop::collection::vec(magnitude(), 2), days()).prop_map(|(pairs, free, days)| {
        let mut counters: Vec<u64> = pairs.into_iter().flat_map(|(n, d)| [n, d]).collect();
        counters.extend(free);
        Totals {
            counters,
            days_reported: days,
        }
    })
}

/// Totals for shared rules: any values (a numerator may exceed its
/// denominator; the cap still applies).
fn any_totals(rules: &Rules) -> impl Strategy<Value = Totals> + use<> {
    (prop::collection::vec(magnitude(), rules.counters), days()).prop_map(|(counters, days)| {
        Totals {
            counters,
            days_reported: days,
        }
    })
}

/// Which unit to pass: none, one level with the unit, another unit's
/// totals, or any key.
#[derive(Debug, Clone)]
enum Above {
    Nobody,
    Level,
    Unit(Totals),
    Key(u32, Vec<u64>),
}

fn above(rules: &Rules, totals: BoxedStrategy<Totals>) -> impl Strategy<Value = Above> + use<> {
    let tie_breakers = rules.tie_breakers.len();
    prop_oneof![
        1 => Just(Above::Nobody),
        2 => Just(Above::Level),
        3 => totals.prop_map(Above::Unit),
        2 => (
            prop_oneof![0u32..=10000, 9000u32..=10000, Just(10000u32)],
            prop::collection::vec(0u64..=3 * MAX_TOTAL, tie_breakers),
        )
            .prop_map(|(score_bp, tbs)| Above::Key(score_bp, tbs)),
    ]
}

fn above_key(rules: &Rules, totals: &Totals, above: &Above) -> Option<SortKey> {
    match above {
        Above::Nobody => None,
        Above::Level => key_of(rules, totals),
        Above::Unit(other) => key_of(rules, other),
        Above::Key(score_bp, tie_breakers) => Some(SortKey {
            score_bp: *score_bp,
            tie_breakers: tie_breakers.clone(),
        }),
    }
}

type Case = (Rules, Totals, Above);

fn paired_case() -> impl Strategy<Value = Case> {
    paired_rules().prop_flat_map(|rules| {
        let totals = paired_totals(&rules).boxed();
        let other = above(&rules, totals.clone());
        (Just(rules), totals, other)
    })
}

fn shared_case() -> impl Strategy<Value = Case> {
    shared_rules().prop_flat_map(|rules| {
        let totals = any_totals(&rules).boxed();
        let other = above(&rules, totals.clone());
        (Just(rules), totals, other)
    })
}

/// The rules again with a single grade right at the score a criterion's
/// dossiers settle at, or one basis point above it: where "too many" and
/// "never" part.
fn grades_at_the_limits(rules: &Rules, totals: &Totals) -> Vec<Rules> {
    rules
        .criteria
        .iter()
        .filter_map(|c| key_of(rules, &with_dossiers(rules, totals, c, FAR)))
        .flat_map(|settled| [settled.score_bp, settled.score_bp + 1])
        .filter(|&min_score_bp| min_score_bp <= 10000)
        .map(|min_score_bp| {
            let mut rules = rules.clone();
            rules.grades = vec![Grade {
                min_score_bp,
                label: format!("≥ {min_score_bp}"),
            }];
            rules
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn counts_match_brute_force((rules, totals, other) in paired_case()) {
        let key = above_key(&rules, &totals, &other);
        check(&rules, &totals, key.as_ref())?;
        for rules in grades_at_the_limits(&rules, &totals) {
            check(&rules, &totals, key.as_ref())?;
        }
    }

    #[test]
    fn counts_match_brute_force_with_shared_counters((rules, totals, other) in shared_case()) {
        let key = above_key(&rules, &totals, &other);
        check(&rules, &totals, key.as_ref())?;
        for rules in grades_at_the_limits(&rules, &totals) {
            check(&rules, &totals, key.as_ref())?;
        }
    }
}

#[test]
fn far_is_past_every_settling_point() {
    // The worst case of the argument above, made concrete: the score tends to
    // a limit just past a rounding threshold and gets there late.
    let rules = Rules {
        counters: 2,
        criteria: vec![CriterionRule {
            numerator: 0,
            denominator: 1,
            target_percent: 100,
            weight: 1,
            no_data: NoData::Exclude,
        }],
        tie_breakers: Vec::new(),
        grades: vec![Grade {
            min_score_bp: 10000,
            label: "100".into(),
        }],
    };
    let totals = Totals {
        counters: vec![0, MAX_TOTAL],
        days_reported: 1,
    };
    // 10000·k/(300 + k) ≥ 9999.5 from k = 5,999,700.
    let Reach::Reported(unit) = reach::what_it_takes(&rules, &totals, None) else {
        panic!("reported")
    };
    assert_eq!(
        unit.criteria[0].to_next_grade,
        Some(Need::Dossiers(5_999_700))
    );
    let criterion = &rules.criteria[0];
    let far = key_of(&rules, &with_dossiers(&rules, &totals, criterion, FAR));
    assert_eq!(far.map(|k| k.score_bp), Some(10000));
}
