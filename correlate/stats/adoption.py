"""Adoption: a continuous weekly share and an absorbing adoption week, each with a printable definition.

``docs/statistics.md`` §2.3. Staggered DiD estimators need an absorbing treatment: once a team has
adopted it stays adopted even if use later drops (intent-to-treat), and the report says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from correlate.errors import InputError

__all__ = ["adoption_share", "adoption_share_definition", "adoption_week", "adoption_week_definition"]


def adoption_share_definition() -> str:
    """The sentence a report prints under the adoption charts."""
    return ("adoption_share = AI-assistant weekly-active users / active developers in the team-week "
            "(mean headcount over working days). From a daily table, weekly-active users are the largest "
            "daily count in the week, a lower bound. Values above 1 (AI users outside the mapped team) are "
            "capped at 1.")


def adoption_week_definition(threshold: float, sustain: tuple[int, int]) -> str:
    """Printable definition of the absorbing adoption week for the configured threshold."""
    k, m = sustain
    return (f"A team adopts in the first week in which adoption_share >= {threshold:.0%} and the share stays at or "
            f"above it in at least {k} of the next {m} weeks. Adoption is absorbing (intent-to-treat): a team that "
            "later uses the tool less stays 'adopted'. Teams that never meet the rule form the never-adopted group.")


def adoption_share(weekly: pd.DataFrame, *, users: str = "ai_weekly_active_users",
                   devs: str = "active_devs") -> pd.Series:
    """``users / devs`` per row, capped to [0, 1]; NaN where there are no active developers.

    Raises:
        InputError: a named column is missing.
    """
    for col in (users, devs):
        if col not in weekly.columns:
            raise InputError(f"adoption needs a {col!r} column", field=col)
    u = pd.to_numeric(weekly[users], errors="coerce").fillna(0.0)
    dv = pd.to_numeric(weekly[devs], errors="coerce")
    share = (u / dv.where(dv > 0)).clip(lower=0.0, upper=1.0)
    return share.rename("adoption_share")


def adoption_week(weekly: pd.DataFrame, *, threshold: float = 0.5, sustain: tuple[int, int] = (2, 3),
                  unit: str = "team", time: str = "week_index", share: str = "adoption_share") -> pd.Series:
    """First week that meets the absorbing-adoption rule, per team (NaN = never adopted).

    Week t qualifies when ``share_t >= threshold`` and at least ``sustain[0]`` of weeks
    t+1 ... t+``sustain[1]`` also meet it. Weeks near the end of the data whose follow-up cannot
    reach ``sustain[0]`` qualifying weeks are not confirmed (conservative: no adoption from one
    last spike). Missing weeks count as not meeting the threshold.

    Returns:
        Series indexed by team with the adoption value of ``time`` (float, NaN for never).

    Examples:
        >>> adoption_week(pd.DataFrame({"team": ["a"] * 5, "week_index": range(5),
        ...                             "adoption_share": [0.1, 0.6, 0.2, 0.7, 0.8]}))
        team
        a    1.0
        Name: adoption_week, dtype: float64
    """
    k, m = sustain
    d = weekly[[unit, time, share]]
    if d.empty:
        return pd.Series([], dtype=float, name="adoption_week").rename_axis(unit)
    # one teams x weeks grid (a missing week is "not meeting"), not a loop per team: 2,000 teams stay fast
    t = d[time].to_numpy(dtype=float)
    lo = t.min()
    col = (t - lo).astype(int)
    codes, teams = pd.factorize(d[unit], sort=True)
    width = int(col.max()) + 1
    meets = np.zeros((len(teams), width + m), dtype=bool)  # m spare columns: follow-up past the data
    meets[codes, col] = pd.to_numeric(d[share], errors="coerce").to_numpy(dtype=float) >= threshold
    run = np.concatenate([np.zeros((len(teams), 1), dtype=int), np.cumsum(meets, axis=1)], axis=1)
    follow = run[:, 1 + m:1 + m + width] - run[:, 1:1 + width]  # qualifying weeks among t+1 .. t+m
    ok = meets[:, :width] & (follow >= k)
    first = np.where(ok.any(axis=1), lo + ok.argmax(axis=1), np.nan)
    out = dict(zip(teams, first.astype(float), strict=True))
    return pd.Series(out, name="adoption_week").rename_axis(unit)
