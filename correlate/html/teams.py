"""Team rows for reports: one team's numbers over a window, and the minimum-group-size rule.

Privacy rule (issue 7): reports show teams, never people, and a team with fewer than
``[report] min_group_size`` people is merged with the other small teams into "Other (small teams)",
or suppressed when even together they are too few. :class:`TeamGrouping` records which team went
where so every other table (cost by model, coverage) applies the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["OTHER", "TeamGrouping", "TeamRow", "median", "ratio", "summarise_teams", "team_row"]

OTHER = "Other (small teams)"
ORG = "Organisation"


def median(values: Any) -> float:
    """Median of the non-missing values, NaN when there are none."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else float("nan")


def ratio(num: float, den: float) -> float:
    """``num / den``, NaN (shown as a dash) when the denominator is 0: a rate over nothing does not exist."""
    return float(num) / float(den) if den else float("nan")


@dataclass(frozen=True)
class TeamRow:
    """One team's numbers over a window (or the merged small teams, or the organisation)."""

    team: str
    headcount: int
    days: int
    ai_active_users: int
    adoption_share: float
    ai_sessions: float
    sessions_per_active_day: float
    ai_active_dev_days: int
    ai_cost_usd: float
    cost_per_dev_day: float
    ai_commits: float
    cost_per_commit: float
    cost_per_merged_pr: float
    cost_per_deployment: float
    cache_read_share: float
    prs_merged: int
    prs_closed_unmerged: int
    merge_rate: float
    ai_assisted_prs: int
    ai_assisted_share: float
    cycle_h: float
    coding_h: float
    pickup_h: float
    review_h: float
    size: float
    merged_without_review: int
    merged_without_review_share: float
    deployments: int
    deploys_per_week: float
    deployments_failed: int
    cfr: float
    deployments_rework: int
    rework_rate: float
    lead_time_h: float
    lead_time_n: int
    incidents: int
    incidents_per_100_deploys: float
    bugs: int
    bugs_per_100_prs: float
    restore_h: float
    restore_n: int


def _cat(rows: pd.DataFrame, col: str) -> list[float]:
    out: list[float] = []
    if col not in rows:
        return out
    for v in rows[col]:
        if v is not None and not (isinstance(v, float) and np.isnan(v)):
            out.extend(float(x) for x in v)
    return out


def team_row(name: str, rows: pd.DataFrame, days: int) -> TeamRow:
    """Combine rows of a ``keep_lists`` panel (one or more teams, any grain) into one :class:`TeamRow`.

    Args:
        name: the label to show.
        rows: panel rows with the ``_``-prefixed event lists (``build_panel(..., keep_lists=True)``).
        days: calendar days in the window (for per-week rates).
    """
    persons: set[str] = set()
    for v in rows["_ai_persons"]:
        persons.update(list(v) if v is not None else [])
    headcount = int(rows.groupby("team")["headcount"].max().sum()) if len(rows) else 0
    cost = float(rows["ai_cost_usd"].fillna(0).sum())
    merged = int(rows["prs_merged"].sum())
    closed = int(rows["prs_closed_unmerged"].sum())
    deploys = int(rows["deployments"].sum())
    failed = int(rows["deployments_failed"].sum())
    rework = int(rows["deployments_rework"].sum())
    commits = float(rows["ai_commits"].fillna(0).sum())
    sessions = float(rows["ai_sessions"].fillna(0).sum())
    active_days = int(rows["ai_active_dev_days"].sum())
    tokens_in = float(rows["ai_tokens_input"].fillna(0).sum() + rows["ai_tokens_cache_read"].fillna(0).sum())
    assisted = int(rows["ai_assisted_prs_merged"].sum())
    unreviewed = int(rows["prs_merged_without_review"].sum())
    incidents, bugs = int(rows["incidents"].sum()), int(rows["bugs"].sum())
    lead, restore = _cat(rows, "_lead"), _cat(rows, "_restore")
    return TeamRow(
        team=name, headcount=headcount, days=days, ai_active_users=len(persons),
        adoption_share=ratio(len(persons), headcount),
        ai_sessions=sessions, sessions_per_active_day=ratio(sessions, active_days), ai_active_dev_days=active_days,
        ai_cost_usd=cost, cost_per_dev_day=ratio(cost, active_days),
        ai_commits=commits, cost_per_commit=ratio(cost, commits),
        cost_per_merged_pr=ratio(cost, merged), cost_per_deployment=ratio(cost, deploys),
        cache_read_share=ratio(rows["ai_tokens_cache_read"].fillna(0).sum(), tokens_in),
        prs_merged=merged, prs_closed_unmerged=closed, merge_rate=ratio(merged, merged + closed),
        ai_assisted_prs=assisted, ai_assisted_share=ratio(assisted, merged),
        cycle_h=median(_cat(rows, "_cycle")), coding_h=median(_cat(rows, "_coding")),
        pickup_h=median(_cat(rows, "_pickup")), review_h=median(_cat(rows, "_review")),
        size=median(_cat(rows, "_size")), merged_without_review=unreviewed,
        merged_without_review_share=ratio(unreviewed, merged),
        deployments=deploys, deploys_per_week=ratio(deploys * 7, days), deployments_failed=failed,
        cfr=ratio(failed, deploys), deployments_rework=rework, rework_rate=ratio(rework, deploys),
        lead_time_h=median(lead), lead_time_n=len(lead),
        incidents=incidents, incidents_per_100_deploys=ratio(100 * incidents, deploys),
        bugs=bugs, bugs_per_100_prs=ratio(100 * bugs, merged),
        restore_h=median(restore), restore_n=len(restore),
    )


@dataclass(frozen=True)
class TeamGrouping:
    """How configured teams map to what a report may show.

    ``shown`` maps a team to its label (itself, or :data:`OTHER`); teams in ``suppressed`` are not
    shown anywhere except inside organisation totals.
    """

    min_group_size: int
    headcount: dict[str, int]
    shown: dict[str, str]
    merged: tuple[str, ...]
    suppressed: tuple[str, ...]
    note: str

    @property
    def small(self) -> tuple[str, ...]:
        return tuple(sorted((*self.merged, *self.suppressed)))

    def label(self, team: str) -> str | None:
        """The label a team's numbers appear under, or None when they are suppressed."""
        return self.shown.get(team)


def grouping(headcount: dict[str, int], min_group_size: int) -> TeamGrouping:
    """Apply the minimum-group-size rule to per-team headcounts."""
    small = sorted(t for t, n in headcount.items() if n < min_group_size)
    shown = {t: t for t, n in headcount.items() if n >= min_group_size}
    note = ""
    merged: tuple[str, ...] = ()
    suppressed: tuple[str, ...] = ()
    if small:
        names = ", ".join(small)
        if sum(headcount[t] for t in small) >= min_group_size:
            merged = tuple(small)
            shown.update({t: OTHER for t in small})
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({names}) are shown together as "
                    f"“{OTHER}”, never individually.")
        else:
            suppressed = tuple(small)
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({names}) are suppressed: even "
                    "together they are below the minimum group size. They still count in the organisation totals.")
    return TeamGrouping(min_group_size, dict(headcount), shown, merged, suppressed, note)


def summarise_teams(window: pd.DataFrame, min_group_size: int, days: int) -> tuple[list[TeamRow], TeamRow,
                                                                                    TeamGrouping]:
    """Per-team rows over a window with the minimum-group-size rule applied.

    Returns:
        (rows for shown teams, sorted by name, then "Other" if any; the organisation row; the grouping).
    """
    heads = {str(t): int(n) for t, n in window.groupby("team")["headcount"].max().items()}
    group = grouping(heads, min_group_size)
    by_team = dict(tuple(window.groupby("team", sort=False)))  # one pass, not one filter per team
    rows = [team_row(t, by_team.get(t, window.iloc[0:0]), days) for t in sorted(heads) if group.shown.get(t) == t]
    if group.merged:
        rows.append(team_row(OTHER, window[window["team"].isin(group.merged)], days))
    return rows, team_row(ORG, window, days), group
