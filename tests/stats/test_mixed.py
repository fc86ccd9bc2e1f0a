"""Mixed models against R lme4 on dietox (R6, [PUB]; values recorded in statsmodels' test_lme.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import statsmodels

from correlate.stats.mixed import mixed_model


@pytest.fixture
def dietox() -> pd.DataFrame:
    path = Path(statsmodels.__file__).parent / "regression" / "tests" / "results" / "dietox.csv"
    return pd.read_csv(path, index_col=0)


def test_random_intercept_reml(dietox: pd.DataFrame) -> None:
    r = mixed_model(dietox, "Weight ~ Time", group="Pig")
    assert r.n == 861 and r.n_groups == 72 and r.converged
    assert r.params.to_dict() == pytest.approx({"Intercept": 15.723523, "Time": 6.942505}, abs=1e-5)
    assert r.bse.to_dict() == pytest.approx({"Intercept": 0.788054, "Time": 0.033387}, rel=1e-3)
    assert float(r.cov_re.iloc[0, 0]) == pytest.approx(40.39395, rel=1e-4)
    assert r.scale == pytest.approx(11.36692, rel=1e-5)
    assert r.llf == pytest.approx(-2404.775, abs=1e-3)


def test_random_intercept_ml(dietox: pd.DataFrame) -> None:
    r = mixed_model(dietox, "Weight ~ Time", group="Pig", reml=False)
    assert r.params["Time"] == pytest.approx(6.942506, abs=1e-5)
    assert r.bse["Intercept"] == pytest.approx(0.7829397, rel=1e-3)
    assert float(r.cov_re.iloc[0, 0]) == pytest.approx(39.82097, rel=1e-4)
    assert r.llf == pytest.approx(-2402.932, abs=1e-3)


def test_random_slopes(dietox: pd.DataFrame) -> None:
    r = mixed_model(dietox, "Weight ~ Time", group="Pig", re_formula="~Time", method="powell")
    assert r.params.to_dict() == pytest.approx({"Intercept": 15.738650, "Time": 6.939014}, abs=1e-4)
    assert r.bse.to_dict() == pytest.approx({"Intercept": 0.55013, "Time": 0.07983}, rel=1e-3)
    # statsmodels' own tolerance on cov_re here is 1e-1
    assert r.cov_re.to_numpy().ravel().tolist() == pytest.approx([19.493, 0.2938, 0.2938, 0.4161], abs=1e-1)
    assert r.scale == pytest.approx(6.03745, rel=1e-4)
    assert r.llf == pytest.approx(-2217.047, abs=1e-2)
