"""The thin-data gates (``docs/statistics.md`` §3): what a report may show for a given panel.

| Condition | Level |
|---|---|
| G < 5, or fewer than 2 adopting teams, or fewer than 4 pre-adoption weeks | descriptive: no p-values |

"Pre-adoption weeks" is read as the periods before the median adopting team's adoption (the
method notes leave it open; the earliest cohort alone would let one early team veto the analysis).
| 5 <= G < 15, or fewer than 3 adopting or 3 comparison teams | exploratory: bootstrap p-values |
| otherwise | confirmatory: CRV1 with t(G-1) |
"""

from __future__ import annotations

import math

import pandas as pd

from correlate.stats.results import Gates

__all__ = ["GATE_TEXT", "evaluate"]

GATE_TEXT = (
    "Gates: fewer than 5 teams, fewer than 2 adopting teams or fewer than 4 weeks before the typical (median) "
    "team's adoption -> "
    "descriptives only, no p-values. 5-14 teams (or fewer than 3 adopting or 3 comparison teams) -> estimates "
    "labelled exploratory, with bootstrap p-values. 15 or more teams with at least 3 adopting and 3 comparison -> "
    "cluster-robust t(G-1) inference."
)


def evaluate(cohorts: pd.Series, n_weeks: int, first_week: float) -> Gates:
    """Gate a panel from its per-team adoption periods.

    Args:
        cohorts: per team, the adoption period (NaN = never adopted).
        n_weeks: periods in the panel.
        first_week: the panel's first period; pre-adoption weeks are counted from it to the median adoption.
    """
    G = int(len(cohorts))
    adopting = int(cohorts.notna().sum())
    control = G - adopting
    # pre-adoption periods of the typical (median) adopting team: enough history to see its pre-trend
    typical = float(cohorts.dropna().median()) if adopting else math.nan
    pre = int(math.floor(typical - first_week)) if adopting and not math.isnan(typical) else 0
    reasons: list[str] = []
    if G < 5:
        reasons.append(f"only {G} teams (need 5)")
    if adopting < 2:
        reasons.append(f"only {adopting} adopting team{'s' if adopting != 1 else ''} (need 2)")
    if adopting and pre < 4:
        reasons.append(f"the typical adopting team has only {pre} period{'s' if pre != 1 else ''} before adopting "
                       "(need 4)")
    if reasons:
        level = "descriptive"
    elif G < 15 or adopting < 3 or control < 3:
        level = "exploratory"
        reasons.append(f"{G} teams ({adopting} adopting, {control} comparison): exploratory")
    else:
        level = "confirmatory"
    return Gates(G, adopting, control, n_weeks, pre, level, tuple(reasons))  # type: ignore[arg-type]
