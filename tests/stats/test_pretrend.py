"""Parallel trends tested with power (Roth 2022) and bounded by relative magnitudes (Rambachan & Roth 2023).

References:
* R ``pretrends`` 0.1.0 (commit 122731d082), run by diff-diff's maintainers on fixed (beta, Sigma) fixtures and
  published in github:igerber/diff-diff ``benchmarks/data/r_pretrends_golden.json`` (commit 08b6a663): the
  rejection probability of Roth's "no coefficient individually significant" pre-test under a linear trend.
  Our Monte-Carlo machinery (:func:`rejection_probability`) must reproduce it.
* diff-diff 3.13.0 ``compute_honest_did(method="relative_magnitude")`` on mpdta and its relative-magnitudes
  LP on fixed inputs: tests/stats/reference/honest_reference.py prints the numbers quoted here.
* Synthetic panels with a planted differential trend or a planted effect (tests/stats/synthetic.py).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from synthetic import weekly_panel

from correlate.stats.did import callaway_santanna
from correlate.stats.pretrend import pretrend_test, rejection_probability, rm_identified_set, sensitivity
from correlate.stats.wording import DIVERGING, rung_and_reason

EQUI = 0.04 * (0.3 * np.ones((6, 6)) + 0.7 * np.eye(6))  # the golden fixtures' Sigma (equicorrelated)
BETA_F1 = np.array([0.0748350781672762, 0.068292848337178, -0.0771191463064529, -0.0935800609975106,
                    0.0682614805759886, 0.211856579827921])


def _nis(sigma: np.ndarray):
    sd = np.sqrt(np.diag(sigma))
    return lambda b: (np.abs(b) / sd > 1.96).any(axis=1)


@pytest.mark.parametrize(("gammas", "powers", "pre", "sigma"), [
    # fixture uniform_3_pre_periods_no_anticipation: pre-periods -3, -2, -1 (reference 0)
    ((0.0, 0.2, 0.5), (0.136261192117481, 0.905586670498965, 0.999999998817154), np.array([-3.0, -2.0, -1.0]),
     EQUI[:3, :3]),
    # fixture single_pre_period_closed_form: Sigma = 0.25, one pre-period
    ((0.0, 0.2, 0.5, 1.0), (0.0499957902964407, 0.0685174081253657, 0.170065802678576, 0.515990911734522),
     np.array([-1.0]), np.array([[0.25]])),
])
def test_rejection_probability_reproduces_r_pretrends(gammas, powers, pre, sigma) -> None:
    for g, want in zip(gammas, powers, strict=True):
        got = rejection_probability(g * pre, sigma, _nis(sigma), draws=200_000, seed=3)
        assert got == pytest.approx(want, abs=0.004), g  # Monte-Carlo SE <= 0.0011 at 200k draws


def test_slope_test_power_and_detectable_slope_are_the_closed_forms() -> None:
    e = np.arange(-9, -1).astype(float)  # -9 .. -2, reference at -1
    sigma = 0.01 * (0.5 * np.ones((8, 8)) + 0.5 * np.eye(8))
    res = pretrend_test(e, np.zeros(8), sigma, n_units=40, short_run_se=0.1, horizon=8)
    x = e + 1
    w = x / (x @ x)
    se = float(np.sqrt(w @ sigma @ w))
    assert res.slope_se == pytest.approx(se, rel=1e-12)
    assert res.slope_for_80 == pytest.approx((stats.t.ppf(0.975, 39) + stats.t.ppf(0.8, 39)) * se, rel=1e-12)
    # the stated trend fakes a short-run bias equal to the short-run MDE: slope x (8 + 1) / 2 = MDE
    assert res.power_against * 4.5 == pytest.approx((stats.t.ppf(0.975, 39) + stats.t.ppf(0.8, 39)) * 0.1, rel=1e-9)
    # the check (slope OR joint, each at 2.5%) rejects at least as often as the slope test alone would
    lam = res.power_against / se
    c = stats.t.ppf(1 - 0.025 / 2, 39)
    slope_only = stats.norm.sf(c - lam) + stats.norm.cdf(-c - lam)
    assert res.power >= slope_only - 0.02


def test_joint_test_survives_a_singular_covariance() -> None:
    """A covariance of deficient rank (two identical coefficients) gives a finite, non-negative statistic on its
    rank, never a negative or astronomic Wald statistic."""
    e = np.array([-4.0, -3.0, -2.0])
    v = np.array([1.0, 1.0, 0.5])
    sigma = 0.01 * np.outer(v, v) + np.diag([0.0, 0.0, 0.004])
    res = pretrend_test(e, np.array([0.01, 0.01, 0.02]), sigma, n_units=30, short_run_se=0.05, horizon=4)
    assert res.joint_df[0] == 2 and 0 <= res.joint_stat < 1e6 and 0 < res.joint_pvalue <= 1


def _trending(trend: float, effect: float, seed: int) -> pd.DataFrame:
    d = weekly_panel(teams=40, weeks=30, seed=seed, cohorts=(14, 17, 20, 23), never_share=0.4, noise=0.2,
                     effect=effect)
    d["y"] += trend * d["week_index"] * (d["cohort"] > 0)
    return d


KW = dict(unit="team", time="week_index", cohort="cohort", boot_reps=0, robustness=False)


def test_a_planted_pre_trend_is_detected_and_drops_the_rung() -> None:
    r = callaway_santanna(_trending(0.05, 0.0, 1), "y", **KW)
    assert r.pretrend is not None and not r.pretrend.passed and r.pretrend.slope > 0
    assert r.rung == 2 and r.rung_reason.startswith("Adopting teams were already diverging")
    flat = callaway_santanna(_trending(0.0, 0.0, 1), "y", **KW)
    assert flat.pretrend.passed and abs(flat.pretrend.slope) < 3 * flat.pretrend.slope_se


def test_a_clean_planted_effect_is_worded_as_an_effect() -> None:
    r = callaway_santanna(_trending(0.0, 0.6, 2), "y", **KW)
    assert r.pretrend.passed and r.pretrend.adequate_power
    assert r.sensitivity.survives and r.sensitivity.breakdown_mbar >= 1
    assert r.rung == 4 and r.rung_reason == "" and r.att_group.rung == 4
    assert r.att_group.ci.contains(0.6)


def test_mpdta_sensitivity_matches_diff_diff() -> None:
    """diff-diff 3.13.0 on mpdta (never treated, universal base, average of event times 0..3), honest_reference.py:
    Mbar = 1 identified set [-0.13838668, -0.01609296], robust interval [-0.17751734, 0.02303770] (normal critical
    value; ours uses t(499), 0.25% wider); universal event study -4: 0.0033064, -3: 0.0250218, -2: 0.0244587."""
    d = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "stats" / "mpdta.csv")
    r = callaway_santanna(d, "lemp", unit="countyreal", time="year", cohort="first.treat", control="never",
                          boot_reps=0, robustness=False, small_sample=False)
    uni = {e.event_time: e.att for e in r.event_study_universal}
    assert uni[-4] == pytest.approx(0.0033064, abs=1e-6) and uni[-3] == pytest.approx(0.0250218, abs=1e-6)
    assert uni[-2] == pytest.approx(0.024458744971169562, abs=1e-9) and -1 not in uni
    s = r.sensitivity
    assert s.horizon == 4 and s.identified_set == pytest.approx((-0.13838668388523906, -0.016092959029391243),
                                                                abs=1e-12)
    assert s.robust_ci.low == pytest.approx(-0.17751734339819997, rel=3e-3)
    assert s.robust_ci.high == pytest.approx(0.023037700483569665, rel=3e-2)  # near 0: relative gap larger
    assert not s.survives and 0 < s.breakdown_mbar < 1


@pytest.mark.parametrize(("mbar", "lb", "ub"), [(0.5, -0.08323266150816458, 0.20759132777909725),
                                                (1.0, -0.2286446561517955, 0.35300332242272814),
                                                (2.0, -0.5194686454390574, 0.64382731170999)])
def test_identified_set_matches_diff_diff_lp_on_fixed_inputs(mbar: float, lb: float, ub: float) -> None:
    """diff-diff's LP over the union of polyhedra on the R pretrends fixture (3 pre, 3 post, reference between)."""
    e = np.array([-4, -3, -2, 0, 1, 2])  # ours: reference at -1
    s = sensitivity(e, BETA_F1, EQUI, n_units=100, mbar=mbar)
    assert s.identified_set == pytest.approx((lb, ub), abs=1e-12)
    assert rm_identified_set(BETA_F1[3:].mean(), s.max_pre_change, mbar, np.full(3, 1 / 3)) == \
        pytest.approx((lb, ub), abs=1e-12)


def test_breakdown_mbar_is_where_the_robust_interval_reaches_zero() -> None:
    e = np.array([-4, -3, -2, 0, 1, 2])
    beta = np.array([0.01, -0.02, 0.01, 0.3, 0.35, 0.4])
    s = sensitivity(e, beta, 0.001 * np.eye(6), n_units=50)
    at = sensitivity(e, beta, 0.001 * np.eye(6), n_units=50, mbar=s.breakdown_mbar)
    assert at.robust_ci.low == pytest.approx(0.0, abs=1e-12)
    assert s.survives == (s.breakdown_mbar > 1)


def test_every_reason_is_one_sentence() -> None:
    e = np.array([-4, -3, -2, 0, 1, 2])
    sens = sensitivity(e, np.array([0.0, 0.1, -0.1, 0.05, 0.05, 0.05]), 0.01 * np.eye(6), n_units=30)
    pre = pretrend_test(e, np.array([0.0, 0.1, -0.1, 0.05, 0.05, 0.05]), 0.01 * np.eye(6), n_units=30,
                        short_run_se=0.1, horizon=3)
    for p, s in ((None, sens), (pre, None), (pre, sens)):
        rung, reason = rung_and_reason(p, s)
        if rung < 4:
            assert reason.count(". ") == 0 and reason.endswith(".") and "association" in reason


@pytest.mark.parametrize(("scale", "says"), [("log", "drifting about {:+.1f}% per period relative to them"),
                                             ("pp", "drifting about {:+.2f} percentage points per period"),
                                             ("level", "drifting {:+.4f} per period")])
def test_a_failed_pre_trend_says_its_drift_in_the_readers_unit(scale: str, says: str) -> None:
    # a steady pre-adoption drift: on the log scale a slope reads as % per period, on a share as points
    e = np.array([-5, -4, -3, -2, 0, 1, 2])
    beta = np.array([-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]) + 0.1  # week -1 (omitted) is the reference
    pre = pretrend_test(e, beta, 1e-4 * np.eye(7), n_units=40, short_run_se=0.01, horizon=3)
    assert not pre.passed and pre.slope > 0.01
    shown = {"log": 100 * math.expm1(pre.slope), "pp": 100 * pre.slope, "level": pre.slope}[scale]
    rung, reason = rung_and_reason(pre, None, scale=scale)
    assert rung == 2 and says.format(shown) in reason and reason.startswith(DIVERGING)
    assert not re.search(r"\de[-+]\d", reason)  # no scientific notation in front of a director
