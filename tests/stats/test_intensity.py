"""TWFE on adoption intensity: lags and leads, and the wild cluster bootstrap for few teams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from correlate.stats.intensity import distributed_lags, intensity_model, wild_cluster_pvalue
from correlate.stats.outcomes import OutcomeSpec

Y = OutcomeSpec("y", "y", "continuous", "y", "units")


def _lagged_panel(seed: int = 0, teams: int = 40, weeks: int = 30) -> pd.DataFrame:
    """y responds to intensity with weights 0.5 (same week) and 0.3 (one week later): cumulative 0.8."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(teams):
        x = rng.uniform(0, 1, weeks)
        y = rng.normal(0, 1) + 0.5 * x + 0.3 * np.r_[np.nan, x[:-1]] + rng.normal(0, 0.2, weeks)
        rows.append(pd.DataFrame({"team": t, "week_index": range(weeks), "adoption_share": x, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_distributed_lags_recover_the_learning_curve_and_leads_are_placebos() -> None:
    res = distributed_lags(_lagged_panel(), Y)
    lags = [e.statistic for e in res.lags]
    assert lags[0] == pytest.approx(0.5, abs=0.05) and lags[1] == pytest.approx(0.3, abs=0.05)
    assert all(abs(v) < 0.06 for v in lags[2:])
    assert res.cumulative.ci.contains(0.8) and res.cumulative.df == 39
    assert all(e.ci.contains(0.0) or abs(e.statistic) < 0.05 for e in res.leads)


def test_wild_cluster_bootstrap_for_few_teams() -> None:
    d = _lagged_panel(seed=1, teams=8, weeks=20)
    est = intensity_model(d, Y, wild_reps=399, seed=2)
    assert est.pvalue is not None and est.pvalue < 0.01 and "wild cluster" in est.inference
    d["noise"] = np.random.default_rng(5).normal(size=len(d))
    p = wild_cluster_pvalue(d, "noise", ["adoption_share"], "adoption_share", fe=["team", "week_index"],
                            cluster="team", reps=399, seed=3)
    assert p > 0.05


def test_wild_bootstrap_interval_and_pvalue_agree_on_zero() -> None:
    """Few teams: the TWFE slope's p-value and interval come from the same bootstrap-t draws."""
    from synthetic import weekly_panel

    from correlate.stats.outcomes import OutcomeSpec

    spec = OutcomeSpec("y", "y", "continuous", "y", "units")
    for seed in range(4):
        d = weekly_panel(teams=9, weeks=12, seed=seed, intensity_effect=0.15 * seed)
        e = intensity_model(d, spec, wild_reps=199, seed=seed)
        assert "bootstrap-t" in e.inference
        assert (e.pvalue < 0.05) == (not e.ci.contains(0.0)), seed
