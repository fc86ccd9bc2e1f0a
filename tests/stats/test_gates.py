"""The thin-data gates (docs/statistics.md §3 table)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlate.stats.gates import evaluate


def test_gate_levels() -> None:
    three = evaluate(pd.Series([10.0, np.nan, 12.0]), 30, 0.0)
    assert three.level == "descriptive" and "only 3 teams (need 5)" in three.reasons
    one_adopter = evaluate(pd.Series([10.0] + [np.nan] * 9), 30, 0.0)
    assert one_adopter.level == "descriptive" and any("1 adopting team" in r for r in one_adopter.reasons)
    early = evaluate(pd.Series([2.0, 3.0, 2.0] + [np.nan] * 20), 30, 0.0)
    assert early.level == "descriptive" and early.pre_weeks == 2
    small = evaluate(pd.Series([10.0, 12.0, 14.0] + [np.nan] * 5), 30, 0.0)
    assert small.level == "exploratory" and small.pvalues_allowed
    big = evaluate(pd.Series([10.0, 12.0, 14.0, 16.0] + [np.nan] * 16), 30, 0.0)
    assert big.level == "confirmatory" and big.reasons == ()
