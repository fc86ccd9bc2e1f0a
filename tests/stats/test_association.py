"""Association: repeated-measures correlation against R ``rmcorr`` (R9), between-team Spearman, cluster bootstrap.

Provenance: R9 values are the ``rmcorr`` README on Bland & Altman (1995), dataset shipped in the
pingouin wheel [PUB]; pingouin's own ``rm_corr`` is run as a second reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from correlate.stats.association import between_team, cluster_bootstrap, rm_corr, rm_corr_cluster_ci


@pytest.fixture
def bland() -> pd.DataFrame:
    return pg.read_dataset("rm_corr")


def test_rm_corr_matches_r_rmcorr(bland: pd.DataFrame) -> None:
    r = rm_corr(bland, "pH", "PacO2", unit="Subject")
    assert r.statistic == pytest.approx(-0.5067697, abs=1e-6)
    assert r.df == 38
    assert r.pvalue == pytest.approx(0.0008471, rel=1e-3)
    assert (r.ci.low, r.ci.high) == pytest.approx((-0.7067, -0.2319), abs=1e-4)
    ref = pg.rm_corr(bland, x="pH", y="PacO2", subject="Subject")
    assert r.statistic == pytest.approx(float(ref["r"].iloc[0]), abs=1e-10)
    assert r.rung == 2 and r.n == 47 and r.n_units == 8


def test_pooled_spearman_hides_the_within_subject_association(bland: pd.DataFrame) -> None:
    """The R9 teaching point: pooled rho -0.1007 (p = 0.50) while within-subject r = -0.51."""
    pooled = stats.spearmanr(bland["pH"], bland["PacO2"])
    assert pooled.statistic == pytest.approx(-0.1007, abs=1e-4)
    fisher = rm_corr(bland, "pH", "PacO2", unit="Subject")
    within = rm_corr_cluster_ci(bland, "pH", "PacO2", unit="Subject", reps=2000, seed=2)
    # resampling the 8 subjects (not 47 rows) gives an honest, wider interval around the same r
    assert within.low < fisher.statistic < within.high
    assert within.high - within.low > fisher.ci.high - fisher.ci.low


def test_between_team_uses_permutation_p_for_small_n() -> None:
    rng = np.random.default_rng(0)
    rows = [{"team": t, "x": t + rng.normal(0, 0.5), "y": 2 * t + rng.normal(0, 6)} for t in range(8) for _ in
            range(5)]
    r = between_team(pd.DataFrame(rows), "x", "y", reps=999, seed=1)
    assert r.n == 8 and r.pvalue_method == "permutation test (pairings)"
    assert r.statistic > 0.5 and r.ci.low <= r.statistic <= r.ci.high
    medians = pd.DataFrame(rows).groupby("team").median()
    ref = stats.spearmanr(medians["x"], medians["y"])
    assert r.statistic == pytest.approx(ref.statistic)
    # Monte-Carlo permutation p (9,999 draws) vs the t approximation: same order of magnitude, both small
    assert 0 < r.pvalue < 0.05 and r.pvalue == pytest.approx(ref.pvalue, abs=0.02)


def test_between_team_without_pvalues_under_the_gate() -> None:
    d = pd.DataFrame({"team": [1, 1, 2, 2, 3, 3], "x": [1, 2, 3, 4, 5, 6], "y": [1, 2, 2, 3, 5, 4]})
    r = between_team(d, "x", "y", pvalues=False)
    assert r.pvalue is None and r.n == 3


def test_fast_rm_corr_bootstrap_equals_the_generic_cluster_bootstrap(bland: pd.DataFrame) -> None:
    slow, draws = cluster_bootstrap(bland, lambda s: rm_corr(s, "pH", "PacO2", unit="Subject").statistic,
                                    unit="Subject", reps=200, seed=5)
    fast = rm_corr_cluster_ci(bland, "pH", "PacO2", unit="Subject", reps=3000, seed=5)
    assert np.isfinite(draws).all()
    # two Monte-Carlo estimates of the same interval: agree to Monte-Carlo error
    assert fast.low == pytest.approx(slow.low, abs=0.1) and fast.high == pytest.approx(slow.high, abs=0.1)


def test_between_team_interval_for_a_large_organisation_is_a_percentile_bootstrap_covering_the_truth() -> None:
    """Above BCA_MAX_TEAMS teams BCa's n² jackknife is skipped; the percentile interval still covers rho."""
    from correlate.stats.association import BCA_MAX_TEAMS

    rng = np.random.default_rng(5)
    n = BCA_MAX_TEAMS + 100
    x = rng.random(n)
    y = 0.5 * x + rng.normal(0, 0.3, n)
    d = pd.DataFrame({"team": np.arange(n), "x": x, "y": y})
    r = between_team(d, "x", "y", reps=999, seed=1)
    assert r.ci_method == "percentile bootstrap over teams"
    assert r.ci.low < r.statistic < r.ci.high
    assert r.statistic == pytest.approx(stats.spearmanr(x, y).statistic)
    small = between_team(d.iloc[:BCA_MAX_TEAMS], "x", "y", reps=999, seed=1)
    assert small.ci_method == "BCa bootstrap over teams"
