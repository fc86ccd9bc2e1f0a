"""The report entry point on synthetic team x day tables (tests/stats/synthetic.py, hand-built).

A -30% change in PR cycle time (log effect -0.357) is planted after each team's adoption week; the
suite must find the adoption weeks, recover the effect with a CI that covers it, word it at rung 4,
adjust p-values across everything shown, and with 3 teams fall back to descriptives with the
inconclusive paragraph and no p-values at all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from synthetic import daily_panel

from correlate.config import AnalysisConfig
from correlate.stats.grain import to_weekly
from correlate.stats.multiple import bh_adjust
from correlate.stats.suite import run_suite
from correlate.stats.wording import CAUSAL_PATTERN

PLANTED = math.log(0.7)


@pytest.fixture(scope="module")
def suite():
    weekly = to_weekly(daily_panel(teams=20, weeks=40, seed=3, effect=PLANTED))
    return run_suite(weekly, AnalysisConfig(bootstrap_reps=199), robustness_reps=49)


def test_planted_cycle_time_change_is_recovered(suite) -> None:
    cyc = next(o for o in suite.outcomes if o.spec.name == "pr_cycle_time_h")
    g = cyc.did.att_group
    assert g.ci.contains(PLANTED) and g.statistic == pytest.approx(PLANTED, abs=0.12)
    assert cyc.verdict == "detected" and cyc.rung == 4
    assert cyc.headline.unit == "%" and cyc.headline.ci.contains(-30.0)
    assert cyc.headline_hours is not None and cyc.headline_hours.value < 0
    assert "estimated effect (difference-in-differences)" in cyc.sentence
    assert "parallel-trends" in cyc.sentence
    assert cyc.did.control_group == "not_yet"  # from [analysis] control_group


def test_adoption_weeks_and_gates(suite) -> None:
    assert suite.gates.level == "confirmatory" and suite.gates.n_units == 20
    assert suite.cohorts.notna().sum() == 15  # 75% of teams adopt in synthetic.daily_panel
    assert "50%" in suite.adoption_definitions[1] and "2 of the next 3" in suite.adoption_definitions[1]


def test_outcomes_without_a_planted_change_are_not_overclaimed(suite) -> None:
    for o in suite.outcomes:
        if o.spec.name == "pr_cycle_time_h":
            continue
        assert o.verdict in ("inconclusive", "detected")
        if o.verdict == "inconclusive":
            assert "inconclusive" in o.paragraph and "not evidence of no change" in o.paragraph
        assert o.mde_business is not None and o.mde_business > 0


def test_bh_across_every_pvalue_shown(suite) -> None:
    raw = [r.pvalue for r in suite.pvalues]
    assert len(raw) >= 12
    assert [r.pvalue_bh for r in suite.pvalues] == pytest.approx(bh_adjust(raw))
    assert all(r.pvalue_bh >= r.pvalue for r in suite.pvalues)
    assert suite.bh("pr_cycle_time_h", "did_att_group") is not None


def test_sentences_below_rung_four_have_no_causal_words(suite) -> None:
    for o in suite.outcomes:
        if o.rung < 4:
            assert not CAUSAL_PATTERN.search(o.sentence), o.sentence
    assert suite.method_notes and any("Callaway" in n for n in suite.method_notes)


def test_three_teams_get_descriptives_and_the_inconclusive_paragraph_only() -> None:
    weekly = to_weekly(daily_panel(teams=3, weeks=30, seed=5, effect=PLANTED, adopting=0.67))
    res = run_suite(weekly, AnalysisConfig(bootstrap_reps=199))
    assert res.gates.level == "descriptive" and not res.gates.pvalues_allowed
    assert "only 3 teams (need 5)" in res.gates.reasons
    assert res.pvalues == ()
    for o in res.outcomes:
        assert o.verdict == "descriptive"
        assert o.association is None and o.twfe is None and o.did is None
        assert "Insufficient data" in o.paragraph and "without p-values" in o.paragraph
        assert o.descriptive.n > 0 and not np.isnan(o.descriptive.median)
        assert len(o.before_after) == 3


def test_an_interval_that_excludes_zero_is_not_detected_when_its_bh_adjusted_p_is_above_005(suite) -> None:
    """The verdict follows the report-wide correction: a raw interval excluding zero with BH p 0.052 is
    inconclusive, and the paragraph says why in plain words."""
    from dataclasses import replace

    from correlate.stats.suite import _verdict

    cyc = next(o for o in suite.outcomes if o.spec.name == "pr_cycle_time_h")
    est = replace(cyc.did.att_group, mde=0.01)  # interval well away from zero, effect above its MDE
    assert not est.ci.contains(0.0)
    kept = _verdict(cyc, cyc.spec, est, 20.0, suite.gates, "not_yet", p_bh=0.01, m=12)
    held = _verdict(cyc, cyc.spec, est, 20.0, suite.gates, "not_yet", p_bh=0.052, m=12)
    assert kept.verdict == "detected" and kept.paragraph is None
    assert held.verdict == "not_after_correction"  # not "inconclusive": the interval did exclude zero
    assert "12 estimates" in held.paragraph and "0.052" in held.paragraph
    assert "not evidence of no change" in held.paragraph
    assert held.sentence == kept.sentence  # the estimate itself is still stated, with its interval


def test_each_verdict_follows_from_its_interval_and_its_bh_adjusted_p(suite) -> None:
    """One rule decides the verdict every view prints: an interval including zero is inconclusive (and only it gets
    the minimum-detectable-effect paragraph); one excluding zero is detected when its BH-adjusted p passes, else it
    does not survive the correction."""
    seen = set()
    for o in suite.outcomes:
        if o.headline is None:
            continue
        ci, p_bh = o.headline.ci, suite.bh(o.spec.name, "did_att_group" if o.did else "twfe_intensity")
        if ci.low <= 0 <= ci.high:
            assert o.verdict == "inconclusive" and "can reliably detect only" in o.paragraph, o.spec.name
        elif p_bh is not None and p_bh > 0.05:
            assert o.verdict == "not_after_correction", o.spec.name
            assert "Benjamini" in o.paragraph and "reliably detect" not in o.paragraph
        else:
            assert o.verdict == "detected" and o.paragraph is None, o.spec.name
        seen.add(o.verdict)
    assert {"detected", "inconclusive"} <= seen


def test_every_detected_verdict_has_a_bh_adjusted_p_at_or_below_005(suite) -> None:
    for o in suite.outcomes:
        if o.verdict == "detected":
            key = "did_att_group" if o.did else "twfe_intensity"
            assert suite.bh(o.spec.name, key) <= 0.05, o.spec.name


def test_a_confounded_trend_is_worded_as_an_association_with_its_reason() -> None:
    """No effect, but adopting teams' cycle time was already falling 3% a week: the interval excludes zero, and
    the report's sentence must not call it an effect; it says in one sentence why."""
    weekly = to_weekly(daily_panel(teams=20, weeks=40, seed=5, effect=0.0, trend=-0.03))
    res = run_suite(weekly, AnalysisConfig(bootstrap_reps=199), robustness_reps=9)
    cyc = next(o for o in res.outcomes if o.spec.name == "pr_cycle_time_h")
    assert cyc.did.att_group.ci.high < 0  # the trend alone makes a "speed-up"
    assert cyc.rung == 2 and cyc.did.rung_reason and cyc.did.rung_reason in cyc.sentence
    assert "estimated effect" not in cyc.sentence and not CAUSAL_PATTERN.search(cyc.sentence)
    # the comparison teams include later adopters on the same drift, so the visible pre-adoption slope is smaller
    # than 3% a week, but it points the same way
    assert cyc.did.pretrend.slope < 0
