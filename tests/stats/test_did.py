"""Staggered DiD on mpdta, checked against published R ``did`` 2.5.1 output (R1) and cross-package values (R2).

Provenance (docs/statistics.md §5): ATT(g,t), group/dynamic aggregates and analytic SEs are [PUB]
(bcallaway11/did README, analytic SEs equal in differences and moderndid); simple aggregate,
not-yet-treated variant, naive TWFE and imputation are [XPKG] (csdid = differences = diff-diff;
pyfixest for the TWFE SE). tests/stats/reference/make_reference.py re-derives the [XPKG] values with
differences 0.3.0. Tolerances: points 1e-4 absolute, analytic SEs 1e-3 relative (§5 guidance).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from correlate.stats.did import callaway_santanna, imputation

R1_ATT_GT = {  # (g, t): ATT, R README Spec A
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}
R1_ANALYTIC_SE = {(2004, 2004): 0.0233, (2004, 2005): 0.0310, (2004, 2006): 0.0364, (2004, 2007): 0.0344}
R1_EVENT = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
ARGS = ("--unit", "countyreal", "--time", "year", "--outcome", "lemp", "--cohort", "first.treat")


@pytest.fixture
def never(analyze_json, mpdta: Path) -> dict:
    return analyze_json(str(mpdta), *ARGS, "--control", "never")


@pytest.fixture
def r_did(mpdta: Path) -> object:
    """The engine in R ``did``'s variance convention (no small-sample correction), for exact SE parity."""
    d = pd.read_csv(mpdta)
    return callaway_santanna(d, "lemp", unit="countyreal", time="year", cohort="first.treat", control="never",
                             boot_reps=0, robustness=False, small_sample=False)


def test_every_att_gt_matches_r_did(never: dict, r_did) -> None:
    got = {(int(a["cohort"]), int(a["time"])): a for a in never["did"]["att_gt"]}
    assert set(got) == set(R1_ATT_GT)
    for key, want in R1_ATT_GT.items():
        assert got[key]["att"] == pytest.approx(want, abs=1e-4), key
    exact = {(int(a.cohort), int(a.time)): a.se for a in r_did.att_gt}
    for key, se in R1_ANALYTIC_SE.items():
        # published to 4 d.p., so the relative tolerance is the rounding (<= 0.5e-4 / 0.0233 = 2.1e-3)
        assert exact[key] == pytest.approx(se, abs=0.5e-4 + 1e-9), key
        # the engine's default (n-1 divisor per cohort: 20 counties in 2004) is at most sqrt(20/19) larger
        assert se * 0.999 <= got[key]["se"] <= se * (20 / 19) ** 0.5 + 1e-4, key


def test_group_simple_dynamic_aggregates_match_r_did(never: dict, r_did) -> None:
    did = never["did"]
    assert did["control_group"] == "never"
    assert did["att_group"] == pytest.approx(-0.0310, abs=1e-4)
    assert r_did.att_group.se == pytest.approx(0.0124, abs=0.5e-4)  # analytic SE, differences/moderndid
    assert did["att_simple"] == pytest.approx(-0.0400, abs=1e-4)
    assert r_did.att_simple.se == pytest.approx(0.0120, abs=0.5e-4)
    assert did["att_dynamic"] == pytest.approx(-0.0772, abs=1e-4)
    assert r_did.att_dynamic.se == pytest.approx(0.0200, abs=0.5e-4)
    # the engine's Welch per-cell variances move these SEs by under 2% on mpdta's large cohorts
    assert did["se"] == pytest.approx(0.0124, rel=0.02) and did["att_simple_se"] == pytest.approx(0.0120, rel=0.02)
    groups = {int(c["cohort"]): c["att"] for c in did["cohort_effects"]}
    assert groups == pytest.approx({2004: -0.0797, 2006: -0.0229, 2007: -0.0261}, abs=1e-4)
    # R's printed group CI is -0.0558 to -0.0062 from a random bootstrap SE; ours is analytic: allow 20% (§8)
    lo, hi = did["ci"]
    assert lo == pytest.approx(-0.0558, rel=0.2) and hi == pytest.approx(-0.0062, rel=0.2)
    # one source: the simple aggregate's interval and p-value come from the same t(G-1) and agree on zero
    slo, shi = did["att_simple_ci"]
    assert (did["att_simple_pvalue"] < 0.05) == (shi < 0 or slo > 0)
    assert did["method"].startswith("Callaway & Sant'Anna (2021)") and "correlate.stats.cs" in did["method"]


def test_event_study_points_and_bands(never: dict) -> None:
    ev = {e["event_time"]: e for e in never["did"]["event_study"]}
    assert {k: ev[k]["att"] for k in R1_EVENT} == pytest.approx(R1_EVENT, abs=1e-4)
    for e in ev.values():
        lo, hi = e["ci"]
        assert lo < e["att"] < hi
        assert e["band"].startswith("simultaneous")
        # a simultaneous band over 7 points is wider than the pointwise 1.96 x SE one
        assert hi - lo > 2 * 1.96 * e["se"]
    assert "pretest_pvalue" not in never["did"]  # the full-grid Wald test is gone (rank-deficient on weekly panels)
    pre = never["did"]["pretrend"]
    assert pre["passed"] is True and pre["pvalue"] >= 0.05
    assert pre["joint"]["window"] == [-4, -2] and pre["joint"]["df"] == [3, 497]


def test_naive_twfe_diagnostic_matches_fixest(never: dict) -> None:
    """R2: lemp ~ treat_post | county + year = -0.03655; CRV1 SE 0.01327 (pyfixest, fixest convention)."""
    tw = never["did"]["twfe_naive"]
    assert tw["coef"] == pytest.approx(-0.03655, abs=1e-5)
    assert tw["se"] == pytest.approx(0.01327, rel=1e-3)
    assert tw["df"] == 499


def test_not_yet_treated_variant(analyze_json, mpdta: Path) -> None:
    """R1 [XPKG] (differences): group -0.0305 (SE 0.0126), simple -0.0398, dynamic -0.0774."""
    res = analyze_json(str(mpdta), *ARGS, "--control", "not_yet")
    did = res["did"]
    assert did["control_group"] == "not_yet"
    assert did["att_group"] == pytest.approx(-0.0305, abs=1e-4)
    assert did["se"] == pytest.approx(0.0126, abs=0.5e-4)
    assert did["att_simple"] == pytest.approx(-0.0398, abs=1e-4)
    assert did["att_dynamic"] == pytest.approx(-0.0774, abs=1e-4)
    assert res["n_units"] == 500 and res["n_periods"] == 5 and res["n_obs"] == 2500
    assert res["mde"] == pytest.approx(2.80 * did["se"], rel=0.01)


def test_imputation_matches_bjs_reference(mpdta: Path) -> None:
    """R2 [XPKG]: imputation overall ATT -0.04771 (diff-diff = hand-written statsmodels); SE 0.0132 (diff-diff)."""
    d = pd.read_csv(mpdta)
    est = imputation(d, "lemp", unit="countyreal", time="year", cohort="first.treat", reps=199, seed=1)
    assert est.statistic == pytest.approx(-0.04771, abs=1e-5)
    assert est.se == pytest.approx(0.0132, rel=0.2)  # bootstrap SE vs analytic: bootstrap tolerance


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_fast_engine_equals_the_differences_package(mpdta: Path, control: str) -> None:
    """The closed-form engine and the pinned ``differences`` 0.3.0 give the same numbers (to 1e-10)."""
    d = pd.read_csv(mpdta)
    kw = dict(unit="countyreal", time="year", cohort="first.treat", control=control, boot_reps=0, robustness=False,
              small_sample=False)
    fast = callaway_santanna(d, "lemp", **kw)
    ref = callaway_santanna(d, "lemp", engine="differences", **kw)
    for a, b in zip(fast.att_gt, ref.att_gt, strict=True):
        assert (a.cohort, a.time) == (b.cohort, b.time)
        assert a.att == pytest.approx(b.att, abs=1e-10) and a.se == pytest.approx(b.se, rel=1e-8)
    for name in ("att_group", "att_simple", "att_dynamic"):
        assert getattr(fast, name).statistic == pytest.approx(getattr(ref, name).statistic, abs=1e-10)
        assert getattr(fast, name).se == pytest.approx(getattr(ref, name).se, rel=1e-8)
    for a, b in zip(fast.event_study, ref.event_study, strict=True):
        assert a.event_time == b.event_time and a.att == pytest.approx(b.att, abs=1e-10)


def test_exploratory_gate_uses_the_wild_cluster_bootstrap_for_p_and_interval() -> None:
    """With 5-14 teams the headline p-value and interval come from one wild cluster restricted bootstrap-t
    (Webb weights below 12 teams), so they agree on which side of zero the effect is."""
    from synthetic import weekly_panel

    kw = dict(unit="team", time="week_index", cohort="cohort", boot_reps=999, robustness=False)
    for teams, weights in ((12, "Rademacher"), (8, "Webb six-point")):
        d = weekly_panel(teams=teams, weeks=14, seed=7, effect=0.5)
        plain = callaway_santanna(d, "y", **kw)
        boot = callaway_santanna(d, "y", exploratory=True, **kw)
        g = boot.att_group
        assert g.statistic == plain.att_group.statistic
        assert "wild cluster restricted bootstrap-t" in g.inference and weights in g.inference
        assert "exploratory" in g.inference and weights in boot.method
        assert g.pvalue is not None and (g.pvalue < 0.05) == (not g.ci.contains(0.0))
    for seed in range(6):  # agreement also on null panels, where it is tight
        d = weekly_panel(teams=9, weeks=14, seed=100 + seed, effect=0.0)
        g = callaway_santanna(d, "y", exploratory=True, **kw).att_group
        assert (g.pvalue < 0.05) == (not g.ci.contains(0.0)), seed


def _bjs_by_dummies(y: np.ndarray, treated: np.ndarray, unit: np.ndarray, period: np.ndarray) -> float:
    """The BJS definition done plainly: least squares on unit and period dummies over untreated rows,
    impute the treated rows, average the gap (units or periods without untreated rows left out)."""
    units, periods = np.unique(unit), np.unique(period)
    X = np.column_stack([unit[:, None] == units[None, :], (period[:, None] == periods[None, 1:])]).astype(float)
    beta = np.linalg.lstsq(X[~treated], y[~treated], rcond=None)[0]
    seen_u = np.isin(unit, unit[~treated])
    seen_t = np.isin(period, period[~treated])
    ok = treated & seen_u & seen_t
    return float(np.mean(y[ok] - X[ok] @ beta))


def test_imputation_bootstrap_weights_equal_copying_the_drawn_units(mpdta: Path) -> None:
    """A draw weights each unit by its multiplicity; that must equal copying its rows, as a cluster
    bootstrap is defined (each copy a unit of its own)."""
    from correlate.stats.did import _imputation_point, _imputation_tables

    d = pd.read_csv(mpdta)
    d = d[d["countyreal"].isin(sorted(d["countyreal"].unique())[:80])]
    c = d["first.treat"].where(d["first.treat"] > 0).to_numpy()
    treated = np.nan_to_num(c, nan=np.inf) <= d["year"].to_numpy()
    ucode = pd.factorize(d["countyreal"], sort=True)[0]
    tcode = pd.factorize(d["year"], sort=True)[0]
    y = d["lemp"].to_numpy(float)
    tables = _imputation_tables(y, treated, ucode, tcode)
    G = int(ucode.max()) + 1
    assert _imputation_point(tables, np.ones(G)) == pytest.approx(_bjs_by_dummies(y, treated, ucode, tcode), abs=1e-10)
    rng = np.random.default_rng(7)
    for _ in range(5):
        pick = rng.integers(0, G, G)
        rows = np.concatenate([np.flatnonzero(ucode == k) for k in pick])
        copy_id = np.repeat(np.arange(G), [int((ucode == k).sum()) for k in pick])
        expected = _bjs_by_dummies(y[rows], treated[rows], copy_id, tcode[rows])
        got = _imputation_point(tables, np.bincount(pick, minlength=G).astype(float))
        assert got == pytest.approx(expected, abs=1e-10)
