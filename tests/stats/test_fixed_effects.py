"""The fixed-effects core against Stata (R4), fixest (R2) and statsmodels GLM with dummies.

Provenance: R4 is Stata ``regress invest mvalue kstock, vce(cluster company)`` as recorded in
statsmodels' ``results_grunfeld_ols_robust_cluster.py`` [PUB]; R2's SE 0.01327 is pyfixest CRV1 [XPKG].
The Poisson/binomial checks compare with statsmodels' GLM on explicit dummies, computed in the test
(same likelihood, so points agree to 1e-6; SEs differ only by the documented small-sample factor).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.datasets import grunfeld

from correlate.errors import AnalysisError
from correlate.stats.fixed_effects import demean, fe_fit


def test_grunfeld_clustered_ols_matches_stata() -> None:
    g = grunfeld.load_pandas().data.iloc[:200]  # 10 firms, as in the Stata example
    fit = fe_fit(g, "invest", ["value", "capital"], fe=[], cluster="firm")
    assert fit.params.to_dict() == pytest.approx({"value": 0.115562, "capital": 0.230678, "const": -42.714369},
                                                 rel=1e-5)
    assert fit.bse.to_dict() == pytest.approx({"value": 0.015894, "capital": 0.084967, "const": 20.425203}, rel=1e-4)
    ci = fit.conf_int()
    assert ci.loc["value"].tolist() == pytest.approx([0.07961, 0.15152], abs=1e-5)
    assert ci.loc["capital"].tolist() == pytest.approx([0.03847, 0.42289], abs=1e-5)
    assert ci.loc["const"].tolist() == pytest.approx([-88.9194, 3.4906], abs=1e-4)
    assert fit.df == 9
    assert fit.pvalues["value"] == pytest.approx(4.71e-05, rel=1e-2)


def test_two_way_fe_on_mpdta_matches_fixest(mpdta) -> None:
    d = pd.read_csv(mpdta)
    d["treat_post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    fit = fe_fit(d, "lemp", ["treat_post"], fe=["countyreal", "year"], cluster="countyreal")
    assert fit.params["treat_post"] == pytest.approx(-0.03655, abs=1e-5)
    assert fit.bse["treat_post"] == pytest.approx(0.01327, rel=1e-3)


def _panel(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    G, T = 30, 20
    d = pd.DataFrame({"team": np.repeat(np.arange(G), T), "week": np.tile(np.arange(T), G)})
    d["x"] = rng.uniform(size=len(d))
    d["expo"] = rng.integers(5, 40, len(d))
    d["log_expo"] = np.log(d["expo"])
    team = np.repeat(rng.normal(size=G), T)
    d["y"] = rng.poisson(np.exp(-1 + 0.3 * d["x"] + 0.5 * team) * d["expo"])
    d["n"] = rng.integers(1, 15, len(d))
    d["s"] = rng.binomial(d["n"], 1 / (1 + np.exp(-(-1 + 0.5 * d["x"] + 0.3 * team))))
    return d


def test_ppml_with_offset_equals_glm_with_dummies() -> None:
    d = _panel()
    fit = fe_fit(d, "y", ["x"], fe=["team", "week"], cluster="team", family="poisson", offset="log_expo")
    ref = smf.glm("y ~ x + C(team) + C(week)", d, family=sm.families.Poisson(), offset=d["log_expo"]).fit(
        cov_type="cluster", cov_kwds={"groups": d["team"]})
    assert fit.params["x"] == pytest.approx(ref.params["x"], abs=1e-7)
    # statsmodels counts all 49 dummies in K; we count 1 + 19 week effects (team effects nested in clusters)
    N = len(d)
    assert fit.bse["x"] * math.sqrt((N - 20) / (N - 50)) == pytest.approx(ref.bse["x"], rel=1e-5)


def test_binomial_fe_equals_glm_with_dummies() -> None:
    d = _panel()
    d["f"] = d["n"] - d["s"]
    fit = fe_fit(d, "s", ["x"], fe=["team", "week"], cluster="team", family="binomial", trials="n")
    ref = smf.glm("s + f ~ x + C(team) + C(week)", d, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": d["team"]})
    assert fit.params["x"] == pytest.approx(ref.params["x"], abs=1e-6)
    N = len(d)
    assert fit.bse["x"] * math.sqrt((N - 20) / (N - 50)) == pytest.approx(ref.bse["x"], rel=1e-4)


def test_all_zero_poisson_team_is_dropped_not_fatal() -> None:
    d = _panel()
    d.loc[d["team"] == 0, "y"] = 0
    fit = fe_fit(d, "y", ["x"], fe=["team", "week"], cluster="team", family="poisson", offset="log_expo")
    assert fit.dropped == 20 and fit.n_clusters == 29


def test_demean_unbalanced_two_way_equals_dummy_regression() -> None:
    d = _panel().sample(frac=0.7, random_state=3)
    codes = [pd.factorize(d["team"])[0], pd.factorize(d["week"])[0]]
    xt = demean(d["x"].to_numpy(), codes)
    yt = demean(np.log1p(d["y"].to_numpy(float)), codes)
    slope = float(xt @ yt / (xt @ xt))
    ref = smf.ols("np.log1p(y) ~ x + C(team) + C(week)", d).fit().params["x"]
    assert slope == pytest.approx(ref, abs=1e-8)


def test_regressor_without_within_variation_is_an_analysis_error() -> None:
    d = _panel()
    d["team_level"] = d["team"] * 1.0
    with pytest.raises(AnalysisError, match="collinear"):
        fe_fit(d, "y", ["team_level"], fe=["team", "week"], cluster="team")


@pytest.mark.parametrize("seed", range(3))
def test_two_fixed_effects_are_swept_out_exactly_as_alternating_projections_converge_to(seed: int) -> None:
    """The one-pass two-way sweep equals many sweeps of alternating projections (three sets of codes
    force that path) on an unbalanced, weighted panel with a team seen in a single week."""

    rng = np.random.default_rng(seed)
    n = 3000
    team, week = rng.integers(0, 300, n), rng.integers(0, 40, n)
    team[0], week[0] = 300, 7  # a team with one row
    x = np.column_stack([rng.normal(size=n) + team * 0.01, rng.poisson(3, n).astype(float)])
    w = rng.uniform(0.2, 2.0, n)
    fast = demean(x, [team, week], w)
    slow = demean(x, [team, week, np.zeros(n, dtype=int)], w, tol=1e-13)  # a constant set changes nothing
    np.testing.assert_allclose(fast, slow, atol=1e-8)
    # a residual has no team or week left in it: its weighted mean in every team and week is zero
    for codes in (team, week):
        sums = np.bincount(codes, weights=w * fast[:, 0])
        np.testing.assert_allclose(sums, 0, atol=1e-8)
