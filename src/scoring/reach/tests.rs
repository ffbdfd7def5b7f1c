use super::*;

/// Criterion `i` reads counter `2i` as numerator and `2i + 1` as
/// denominator; each spec is `(target_percent, weight, no_data)`.
fn paired(specs: &[(u32, u32, NoData)]) -> Rules {
    Rules {
        counters: 2 * specs.len(),
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
        tie_breakers: Vec::new(),
        grades: Vec::new(),
    }
}

fn with_grades(mut rules: Rules, mins: &[u32]) -> Rules {
    rules.grades = mins
        .iter()
        .map(|&min_score_bp| Grade {
            min_score_bp,
            label: format!("≥ {min_score_bp}"),
        })
        .collect();
    rules
        .grades
        .sort_by_key(|g| std::cmp::Reverse(g.min_score_bp));
    rules
}

fn reported(counters: &[u64]) -> Totals {
    Totals {
        counters: counters.to_vec(),
        days_reported: 1,
    }
}

fn key(score_bp: u32, tie_breakers: &[u64]) -> SortKey {
    SortKey {
        score_bp,
        tie_breakers: tie_breakers.to_vec(),
    }
}

fn unit(rules: &Rules, counters: &[u64], above: Option<&SortKey>) -> UnitReach {
    match what_it_takes(rules, &reported(counters), above) {
        Reach::Reported(unit) => unit,
        Reach::NoReports => panic!("reported totals read as no reports"),
    }
}

fn targets(rules: &Rules, counters: &[u64]) -> Vec<ToTarget> {
    let unit = unit(rules, counters, None);
    unit.criteria.iter().map(|c| c.to_target).collect()
}

fn passes(rules: &Rules, counters: &[u64], above: &SortKey) -> Vec<Option<Need>> {
    let unit = unit(rules, counters, Some(above));
    unit.criteria.iter().map(|c| c.to_pass).collect()
}

fn to_grade(rules: &Rules, counters: &[u64]) -> Vec<Option<Need>> {
    let unit = unit(rules, counters, None);
    unit.criteria.iter().map(|c| c.to_next_grade).collect()
}

fn reachable(k: u64) -> ToTarget {
    ToTarget::Reachable(Count::Dossiers(k))
}

fn score_with(rules: &Rules, counters: &[u64]) -> u32 {
    super::super::score(rules, Some(&reported(counters)))
        .score_bp
        .expect("ranked")
}

#[test]
fn a_met_target_takes_nothing() {
    let rules = paired(&[(100, 1, NoData::Exclude), (95, 1, NoData::Exclude)]);
    assert_eq!(
        targets(&rules, &[100, 100, 96, 100]),
        [reachable(0), reachable(0)]
    );
    // Exactly on a 95% target is met.
    assert_eq!(targets(&rules, &[7, 7, 95, 100])[1], reachable(0));
}

#[test]
fn a_dossier_handled_offline_keeps_a_100_percent_target_out_of_reach() {
    let rules = paired(&[(100, 1, NoData::Exclude)]);
    // (97 + 199) / (100 + 199) = 98.996% shows as 99.00%; 198 shows 98.99%.
    assert_eq!(
        targets(&rules, &[97, 100]),
        [ToTarget::Unreachable {
            to_99: Count::Dossiers(199)
        }]
    );
    assert_eq!(super::super::bp(97 + 199, 100 + 199), 9900);
    assert_eq!(super::super::bp(97 + 198, 100 + 198), 9899);
    // Already showing 99.00% (99.0 exactly, and 98.995 rounded up).
    for counters in [[99, 100], [19799, 20000]] {
        assert_eq!(
            targets(&rules, &counters),
            [ToTarget::Unreachable {
                to_99: Count::Dossiers(0)
            }]
        );
    }
}

#[test]
fn a_target_below_100_is_a_ceiling_division() {
    let rules = paired(&[(95, 1, NoData::Exclude), (97, 1, NoData::Exclude)]);
    // 95%: (9500 − 9000) / 5 = 100, and 190/200 is 95% exactly.
    // 97%: (9700 − 9000) / 3 = 233.3 → 234: 324/334 = 97.006%, 323/333 = 96.997%.
    assert_eq!(
        targets(&rules, &[90, 100, 90, 100]),
        [reachable(100), reachable(234)]
    );
    // Past the bound the count is not given.
    let unit = what_it_takes_within(&rules, &reported(&[90, 100, 90, 100]), None, 100);
    let Reach::Reported(unit) = unit else {
        panic!("reported")
    };
    assert_eq!(unit.criteria[0].to_target, reachable(100));
    assert_eq!(
        unit.criteria[1].to_target,
        ToTarget::Reachable(Count::TooMany)
    );
}

#[test]
fn without_dossiers_the_no_data_rule_decides() {
    // The second criterion has no dossiers; the first stands at 50%.
    let counters = [1, 2, 0, 0];
    for (no_data, now, to_target) in [
        (NoData::Exclude, 5000, 1),
        (NoData::Full, 7500, 0),
        (NoData::Zero, 2500, 1),
    ] {
        let rules = with_grades(
            paired(&[(100, 1, NoData::Exclude), (100, 1, no_data)]),
            &[7500],
        );
        let unit = unit(&rules, &counters, None);
        assert_eq!(unit.score_bp, Some(now), "{no_data:?}");
        assert_eq!(
            unit.criteria[1].to_target,
            reachable(to_target),
            "{no_data:?}"
        );
        if no_data == NoData::Full {
            assert_eq!(unit.next_grade, None);
            continue;
        }
        // One dossier makes the criterion count, fully achieved: 75.00.
        assert_eq!(score_with(&rules, &[1, 2, 1, 1]), 7500);
        assert_eq!(unit.criteria[1].to_next_grade, Some(Need::Dossiers(1)));
        // On the first criterion 1/2 → (1+k)/(2+k): excluded, 75% at k = 2;
        // counted as zero, (1+k)/(2+k) ≥ 1.5 never.
        let expected = match no_data {
            NoData::Zero => Need::Never,
            _ => Need::Dossiers(2),
        };
        assert_eq!(
            unit.criteria[0].to_next_grade,
            Some(expected),
            "{no_data:?}"
        );
    }
}

#[test]
fn a_unit_without_dossiers_is_ranked_by_its_first_one() {
    let rules = with_grades(paired(&[(100, 1, NoData::Exclude)]), &[9000, 5000]);
    let unit = unit(&rules, &[0, 0], Some(&key(9999, &[])));
    assert_eq!(unit.score_bp, None);
    assert_eq!(unit.next_grade.map(|g| g.min_score_bp), Some(5000));
    assert_eq!(
        unit.criteria[0],
        CriterionReach {
            to_target: reachable(1),
            to_pass: Some(Need::Dossiers(1)),
            to_next_grade: Some(Need::Dossiers(1)),
        }
    );
}

#[test]
fn no_reports_means_reporting_first() {
    let rules = paired(&[(100, 1, NoData::Full)]);
    let totals = Totals {
        counters: vec![5, 10],
        days_reported: 0,
    };
    assert_eq!(
        what_it_takes(&rules, &totals, Some(&key(0, &[]))),
        Reach::NoReports
    );
}

#[test]
fn weights_decide_which_criterion_lifts_the_score_fastest() {
    // (3·90% + 1·0%) / 4 = 67.50; the next grade is 70.00.
    let rules = with_grades(
        paired(&[(100, 3, NoData::Exclude), (100, 1, NoData::Exclude)]),
        &[7000, 9000],
    );
    let counters = [90, 100, 0, 10];
    assert_eq!(score_with(&rules, &counters), 6750);
    // First: 3·140/150 / 4 = 70.00, 3·139/149 / 4 = 69.97.
    // Second: (2.7 + 2/12) / 4 = 71.67, (2.7 + 1/11) / 4 = 69.77.
    assert_eq!(
        to_grade(&rules, &counters),
        [Some(Need::Dossiers(50)), Some(Need::Dossiers(2))]
    );
    assert_eq!(score_with(&rules, &[140, 150, 0, 10]), 7000);
    assert_eq!(score_with(&rules, &[139, 149, 0, 10]), 6997);
    assert_eq!(score_with(&rules, &[90, 100, 2, 12]), 7167);
    assert_eq!(score_with(&rules, &[90, 100, 1, 11]), 6977);
}

#[test]
fn growing_tie_breakers_break_a_tie() {
    // Both at 100.00; the unit has received 100 dossiers, the other 105.
    let mut rules = paired(&[(100, 1, NoData::Exclude)]);
    rules.tie_breakers = vec![1];
    assert_eq!(
        passes(&rules, &[100, 100], &key(10000, &[105])),
        [Some(Need::Dossiers(6))]
    );
    // Exactly level: one dossier breaks the tie.
    assert_eq!(
        passes(&rules, &[100, 100], &key(10000, &[100])),
        [Some(Need::Dossiers(1))]
    );
}

#[test]
fn a_unit_already_above_needs_nothing() {
    let rules = paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Exclude)]);
    assert_eq!(
        passes(&rules, &[9, 10, 0, 0], &key(8000, &[])),
        [Some(Need::Dossiers(0)), Some(Need::Dossiers(0))]
    );
}

#[test]
fn a_tie_the_criterion_cannot_break_is_never_passed() {
    // Both at 100.00 with 7 on the tie-breaker, which this criterion's
    // dossiers do not move.
    let mut rules = paired(&[(100, 1, NoData::Exclude)]);
    rules.counters = 3;
    rules.tie_breakers = vec![2];
    assert_eq!(
        passes(&rules, &[100, 100, 7], &key(10000, &[7])),
        [Some(Need::Never)]
    );
    // Behind on the tie-breaker, nothing changes it.
    assert_eq!(
        passes(&rules, &[100, 100, 6], &key(10000, &[7])),
        [Some(Need::Never)]
    );
    // A dossier handled offline keeps the rate below 100%, yet from
    // 99.995% on the score shows 100.00: (90 + k)/(100 + k) ≥ 0.99995
    // from k = 199,900. Ahead on the tie-breaker, that passes.
    assert_eq!(
        passes(&rules, &[90, 100, 9], &key(10000, &[7])),
        [Some(Need::Dossiers(199_900))]
    );
    assert_eq!(
        passes(&rules, &[90, 100, 6], &key(10000, &[7])),
        [Some(Need::Never)]
    );
}

#[test]
fn a_score_approaching_a_half_from_below_never_rounds_up() {
    // Second criterion at 99.99%: the score tends to (1 + 0.9999)/2,
    // 99.995 exactly, from below, so it shows 99.99 for ever.
    let rules = with_grades(
        paired(&[(100, 1, NoData::Exclude), (100, 1, NoData::Exclude)]),
        &[10000],
    );
    let first = |counters: &[u64]| to_grade(&rules, counters)[0];
    assert_eq!(first(&[97, 100, 9999, 10000]), Some(Need::Never));
    // At 99.991% the limit is 99.9955: reached, with an exact count.
    let Some(Need::Dossiers(k)) = first(&[97, 100, 99991, 100000]) else {
        panic!("a count")
    };
    assert_eq!(score_with(&rules, &[97 + k, 100 + k, 99991, 100000]), 10000);
    assert_eq!(
        score_with(&rules, &[97 + k - 1, 100 + k - 1, 99991, 100000]),
        9999
    );
    // Within a small bound that count is too many, not never.
    let totals = reported(&[97, 100, 99991, 100000]);
    let Reach::Reported(unit) = what_it_takes_within(&rules, &totals, None, 1000) else {
        panic!("reported")
    };
    assert_eq!(unit.criteria[0].to_next_grade, Some(Need::TooMany));
}

#[test]
fn a_score_reaching_a_half_exactly_rounds_up() {
    // The first criterion meets its 95% target at k = 1900; the score is
    // then (1 + 1/16)/2 = 53.125 exactly, shown as 53.13.
    let rules = with_grades(
        paired(&[(95, 1, NoData::Exclude), (100, 1, NoData::Exclude)]),
        &[5313],
    );
    let totals = reported(&[0, 100, 1, 16]);
    assert_eq!(score_with(&rules, &[1900, 2000, 1, 16]), 5313);
    assert_eq!(score_with(&rules, &[1899, 1999, 1, 16]), 5312);
    let first = |bound| match what_it_takes_within(&rules, &totals, None, bound) {
        Reach::Reported(unit) => unit.criteria[0].to_next_grade,
        Reach::NoReports => None,
    };
    assert_eq!(first(MAX_DOSSIERS), Some(Need::Dossiers(1900)));
    assert_eq!(first(1000), Some(Need::TooMany));
}

#[test]
fn the_top_grade_held_leaves_nothing_to_reach() {
    let rules = with_grades(paired(&[(100, 1, NoData::Exclude)]), &[9000, 5000]);
    let unit = unit(&rules, &[95, 100], None);
    assert_eq!(unit.next_grade, None);
    assert_eq!(unit.criteria[0].to_next_grade, None);
    let unit = super::super::score(&rules, Some(&reported(&[60, 100])));
    assert_eq!(unit.score_bp, Ok(6000));
    let next = next_grade(&rules, Some(6000)).map(|g| g.min_score_bp);
    assert_eq!(next, Some(9000));
}

#[test]
fn a_shared_denominator_leaves_the_count_undetermined() {
    // Received online / received and signed / received: a dossier
    // received online lowers the signing rate.
    let rules = Rules {
        counters: 3,
        criteria: vec![
            CriterionRule {
                numerator: 1,
                denominator: 0,
                target_percent: 100,
                weight: 1,
                no_data: NoData::Exclude,
            },
            CriterionRule {
                numerator: 2,
                denominator: 0,
                target_percent: 100,
                weight: 1,
                no_data: NoData::Exclude,
            },
        ],
        tie_breakers: Vec::new(),
        grades: Vec::new(),
    };
    let counters = [10, 5, 10];
    assert_eq!(
        passes(&rules, &counters, &key(9000, &[])),
        [Some(Need::Undetermined), Some(Need::Undetermined)]
    );
    assert_eq!(
        passes(&rules, &counters, &key(7000, &[])),
        [Some(Need::Dossiers(0)), Some(Need::Dossiers(0))]
    );
}

#[test]
fn huge_totals_neither_overflow_nor_loop() {
    let mut rules = with_grades(
        paired(&[(99, 1, NoData::Exclude), (100, 1, NoData::Exclude)]),
        &[10000],
    );
    rules.tie_breakers = vec![1];
    let max = u64::MAX;
    let counters = [0, max - 1, max - 2, max];
    let unit = unit(&rules, &counters, Some(&key(10000, &[max])));
    assert_eq!(
        unit.criteria[0].to_target,
        ToTarget::Reachable(Count::TooMany)
    );
    // Only one more dossier fits in the first criterion's counters.
    assert_eq!(unit.criteria[0].to_pass, Some(Need::TooMany));
    assert_eq!(
        unit.criteria[1].to_target,
        ToTarget::Unreachable {
            to_99: Count::Dossiers(0)
        }
    );
    assert_eq!(unit.criteria[1].to_pass, Some(Need::Never));
}
