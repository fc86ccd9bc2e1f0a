"""Placebo-simulation power for the staggered DiD (``docs/statistics.md`` §3.J, Burlig, Preonas & Woerman 2020).

Take the untreated team-weeks only (every team before its adoption week, never-adopters throughout),
hand out fake adoption weeks with the real number of adopting teams and the real spread of cohorts,
and run the same Callaway–Sant'Anna estimator many times. The spread of the placebo estimates is an
SE that carries the panel's real autocorrelation and cluster structure; their rejection rate checks
the analytic p-values (it should be near 5%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from correlate.errors import AnalysisError
from correlate.stats.cs import fit_cs
from correlate.stats.power import mde

__all__ = ["PlaceboPower", "placebo_power"]


@dataclass(frozen=True, slots=True)
class PlaceboPower:
    """Placebo SD of the group ATT, the MDE from it, and the placebo false-positive rate at 5%."""

    se: float
    mde: float
    false_positive_rate: float
    reps: int
    n_units: int
    method: str = "placebo simulation on pre-adoption weeks (fake adoption dates, same CS estimator)"


def placebo_power(data: pd.DataFrame, y: str, *, unit: str, time: str, cohort: str, reps: int = 200,
                  seed: int = 1, control: str = "not_yet") -> PlaceboPower:
    """Placebo SE, MDE and false-positive rate of the CS group ATT (see module docstring).

    Fake cohorts are drawn from the middle of the untreated window so each has pre and post weeks;
    the number of fake adopters equals the real number of adopting teams (capped at G - 2).

    Raises:
        AnalysisError: fewer than 4 untreated weeks or fewer than 4 teams.
    """
    c = pd.to_numeric(data[cohort], errors="coerce")
    c = c.where(c > 0)
    pre = data.loc[c.isna() | (data[time] < c), [unit, time, y]].dropna()
    periods = np.sort(pre[time].unique())
    teams = pre[unit].unique()
    if len(periods) < 4 or len(teams) < 4:
        raise AnalysisError("placebo power needs at least 4 untreated weeks and 4 teams")
    n_adopt = int(min(max(c.groupby(data[unit]).first().notna().sum(), 2), len(teams) - 2))
    lo, hi = len(periods) // 4, max(len(periods) // 4 + 1, 3 * len(periods) // 4)
    rng = np.random.default_rng(seed)
    atts, pvals = [], []
    for _ in range(reps):
        fake = pd.Series(np.nan, index=teams)
        pick = rng.choice(len(teams), n_adopt, replace=False)
        fake.iloc[pick] = periods[rng.integers(lo, hi, n_adopt)]
        d = pre.assign(_fake=pre[unit].map(fake))
        try:
            fit = fit_cs(d, y, unit=unit, time=time, cohort="_fake", control=control)
            att, se, _ = fit.group()
        except AnalysisError:
            continue
        atts.append(att)
        pvals.append(2 * stats.t.sf(abs(att / se), len(teams) - 1) if se > 0 else math.nan)
    if len(atts) < 10:
        raise AnalysisError("too few placebo runs could be estimated")
    sd = float(np.std(atts, ddof=1))
    return PlaceboPower(sd, mde(sd, len(teams) - 1).mde, float(np.nanmean(np.array(pvals) < 0.05)), len(atts),
                        len(teams))
