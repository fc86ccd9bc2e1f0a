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

__all__ = ["OTHER", "TeamGrouping", "TeamRow", "median", "ratio", "summarise_teams", "team_row", "team_rows"]

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


_SUMS = ("ai_cost_usd", "prs_merged", "prs_closed_unmerged", "deployments", "deployments_failed",
         "deployments_rework", "ai_commits", "ai_sessions", "ai_active_dev_days", "ai_tokens_input",
         "ai_tokens_cache_read", "ai_assisted_prs_merged", "prs_merged_without_review", "incidents", "bugs")
_LISTS = ("_cycle", "_coding", "_pickup", "_review", "_size", "_lead", "_restore")


def team_row(name: str, rows: pd.DataFrame, days: int) -> TeamRow:
    """Combine rows of a ``keep_lists`` panel (one or more teams, any grain) into one :class:`TeamRow`.

    Args:
        name: the label to show.
        rows: panel rows with the ``_``-prefixed event lists (``build_panel(..., keep_lists=True)``).
        days: calendar days in the window (for per-week rates).
    """
    return team_rows(rows, pd.Series(name, index=rows.index, dtype=object), days, [name])[name]


def _pooled(rows: pd.DataFrame, label: pd.Series, col: str) -> pd.DataFrame:
    """Median and count of the events pooled from every row's list, per label (events, not row medians)."""
    if col not in rows:
        return pd.DataFrame(columns=["median", "n"], dtype=float)
    values = pd.DataFrame({"label": label.to_numpy(), "v": rows[col].to_numpy()}).explode("v")
    values["v"] = pd.to_numeric(values["v"], errors="coerce")
    return values.groupby("label", sort=False)["v"].agg(median="median", n="count")


def team_rows(rows: pd.DataFrame, label: pd.Series, days: int, names: list[str]) -> dict[str, TeamRow]:
    """:func:`team_row` for every label at once: row ``i`` of ``rows`` counts towards ``label[i]``.

    One groupby per measure instead of one filter per team, so thousands of teams stay fast; a name
    in ``names`` with no rows gets the row of an empty window (zeros, and NaN for rates and medians).
    """
    label = label.reindex(rows.index)
    keep = label.notna().to_numpy()
    rows, label = rows[keep], label[keep]
    grouped = rows.groupby(label, sort=False)
    sums = grouped[list(_SUMS)].sum(min_count=0).astype(float)
    heads = rows.groupby([label, rows["team"]], sort=False)["headcount"].max().groupby(level=0).sum()
    persons = pd.DataFrame({"label": label.to_numpy(), "p": rows["_ai_persons"].to_numpy()}).explode("p")
    users = persons.dropna(subset=["p"]).groupby("label", sort=False)["p"].nunique()
    pooled = {col: _pooled(rows, label, col) for col in _LISTS}

    # plain dicts: a pandas lookup per cell costs more than the groupbys at thousands of teams
    sums_of = sums.to_dict("index")
    heads_of, users_of = heads.to_dict(), users.to_dict()
    pooled_of = {col: frame.to_dict("index") for col, frame in pooled.items()}
    empty = dict.fromkeys(_SUMS, 0.0)

    def num(v: Any, default: float = 0.0) -> float:
        return default if v is None or pd.isna(v) else float(v)

    out: dict[str, TeamRow] = {}
    for name in names:
        s = {c: num(v) for c, v in sums_of.get(name, empty).items()}
        headcount = int(num(heads_of.get(name)))
        n_users = int(num(users_of.get(name)))
        cost, merged, closed = s["ai_cost_usd"], int(s["prs_merged"]), int(s["prs_closed_unmerged"])
        deploys, failed, rework = int(s["deployments"]), int(s["deployments_failed"]), int(s["deployments_rework"])
        commits, sessions, active_days = s["ai_commits"], s["ai_sessions"], int(s["ai_active_dev_days"])
        tokens_in = s["ai_tokens_input"] + s["ai_tokens_cache_read"]
        assisted, unreviewed = int(s["ai_assisted_prs_merged"]), int(s["prs_merged_without_review"])
        incidents, bugs = int(s["incidents"]), int(s["bugs"])

        def med(col: str, name: str = name) -> float:
            return num(pooled_of[col].get(name, {}).get("median"), float("nan"))

        def n(col: str, name: str = name) -> int:
            return int(num(pooled_of[col].get(name, {}).get("n")))

        out[name] = TeamRow(
            team=name, headcount=headcount, days=days, ai_active_users=n_users,
            adoption_share=ratio(n_users, headcount),
            ai_sessions=sessions, sessions_per_active_day=ratio(sessions, active_days),
            ai_active_dev_days=active_days,
            ai_cost_usd=cost, cost_per_dev_day=ratio(cost, active_days),
            ai_commits=commits, cost_per_commit=ratio(cost, commits),
            cost_per_merged_pr=ratio(cost, merged), cost_per_deployment=ratio(cost, deploys),
            cache_read_share=ratio(s["ai_tokens_cache_read"], tokens_in),
            prs_merged=merged, prs_closed_unmerged=closed, merge_rate=ratio(merged, merged + closed),
            ai_assisted_prs=assisted, ai_assisted_share=ratio(assisted, merged),
            cycle_h=med("_cycle"), coding_h=med("_coding"), pickup_h=med("_pickup"), review_h=med("_review"),
            size=med("_size"), merged_without_review=unreviewed,
            merged_without_review_share=ratio(unreviewed, merged),
            deployments=deploys, deploys_per_week=ratio(deploys * 7, days), deployments_failed=failed,
            cfr=ratio(failed, deploys), deployments_rework=rework, rework_rate=ratio(rework, deploys),
            lead_time_h=med("_lead"), lead_time_n=n("_lead"),
            incidents=incidents, incidents_per_100_deploys=ratio(100 * incidents, deploys),
            bugs=bugs, bugs_per_100_prs=ratio(100 * bugs, merged),
            restore_h=med("_restore"), restore_n=n("_restore"),
        )
    return out


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
    names = [t for t in sorted(heads) if group.shown.get(t) == t] + ([OTHER] if group.merged else [])
    by_label = team_rows(window, window["team"].map(group.shown), days, names)  # one pass, not one per team
    return [by_label[t] for t in names], team_row(ORG, window, days), group
