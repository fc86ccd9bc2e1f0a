"""Report view-models: store → plain dataclasses the templates only loop over and print.

All decisions about what to show (windows, suppression of small groups, which numbers sit side by
side) live here; formatting lives in ``filters.py``; templates hold no logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from correlate.config import Config
from correlate.html import charts
from correlate.panel import build_panel
from correlate.quality import DataQuality, data_quality
from correlate.store import Store

__all__ = ["Headline", "MonthlyContext", "TeamRow", "monthly_context", "summarise_teams"]

OTHER = "Other (small teams)"


@dataclass(frozen=True)
class Headline:
    label: str
    value: Any
    previous: Any
    fmt: str
    note: str = ""


@dataclass(frozen=True)
class TeamRow:
    """One team's numbers over a window (or the merged small teams, or the organisation)."""

    team: str
    headcount: int
    ai_active_users: int
    adoption_share: float
    ai_cost_usd: float
    cost_per_dev_day: float
    cost_per_merged_pr: float
    cache_read_share: float
    prs_merged: int
    merge_rate: float
    ai_assisted_share: float
    cycle_h: float
    pickup_h: float
    review_h: float
    size: float
    merged_without_review: int
    deployments: int
    deployments_failed: int
    cfr: float
    lead_time_h: float
    incidents: int
    restore_h: float


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    columns: list[str]
    rows: list[list[Any]]
    fmt: str = "num"


@dataclass
class MonthlyContext:
    title: str
    org_name: str
    month_label: str
    window: str
    generated_for: str
    min_group_size: int
    headlines: list[Headline]
    teams: list[TeamRow]
    org: TeamRow
    suppressed: list[str]
    suppression_note: str
    charts: dict[str, Chart]
    models: list[dict[str, Any]]
    quality: DataQuality
    notes: list[str] = field(default_factory=list)
    extra_sections: list[Any] = field(default_factory=list)


def _median(values: Any) -> float:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.median(arr)) if arr.size else float("nan")


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def _team_row(name: str, rows: pd.DataFrame) -> TeamRow:
    """Combine one or more team rows of a ``keep_lists`` panel into a TeamRow (lists concatenated)."""
    def cat(col: str) -> list[float]:
        out: list[float] = []
        for v in rows[col]:
            if v is not None:
                out.extend(list(v))
        return out

    persons: set[str] = set()
    for v in rows["_ai_persons"]:
        persons.update(list(v) if v is not None else [])
    headcount = int(rows["headcount"].sum())
    cost = float(rows["ai_cost_usd"].fillna(0).sum())
    merged = int(rows["prs_merged"].sum())
    closed = int(rows["prs_closed_unmerged"].sum())
    tokens_in = float(rows["ai_tokens_input"].fillna(0).sum() + rows["ai_tokens_cache_read"].fillna(0).sum())
    return TeamRow(
        team=name, headcount=headcount, ai_active_users=len(persons),
        adoption_share=_ratio(len(persons), headcount),
        ai_cost_usd=cost, cost_per_dev_day=_ratio(cost, rows["ai_active_dev_days"].sum()),
        cost_per_merged_pr=_ratio(cost, merged),
        cache_read_share=_ratio(rows["ai_tokens_cache_read"].fillna(0).sum(), tokens_in),
        prs_merged=merged, merge_rate=_ratio(merged, merged + closed),
        ai_assisted_share=_ratio(rows["ai_assisted_prs_merged"].sum(), merged),
        cycle_h=_median(cat("_cycle")), pickup_h=_median(cat("_pickup")), review_h=_median(cat("_review")),
        size=_median(cat("_size")), merged_without_review=int(rows["prs_merged_without_review"].sum()),
        deployments=int(rows["deployments"].sum()), deployments_failed=int(rows["deployments_failed"].sum()),
        cfr=_ratio(rows["deployments_failed"].sum(), rows["deployments"].sum()),
        lead_time_h=_median(cat("_lead")), incidents=int(rows["incidents"].sum()),
        restore_h=_median(cat("_restore")),
    )


def summarise_teams(window: pd.DataFrame, min_group_size: int) -> tuple[list[TeamRow], TeamRow, list[str], str]:
    """Per-team rows over a window, with teams below ``min_group_size`` people merged into "Other" (or
    suppressed when even together they are too few). Returns (rows, organisation row, suppressed, note)."""
    window = window.groupby("team", as_index=False).agg(
        {c: ("max" if c == "headcount" else (lambda s: [x for v in s for x in (list(v) if v is not None else [])])
             if c.startswith("_") else "sum") for c in window.columns if c not in ("team",)
         if c not in ("day", "week", "month")})
    small = window[window["headcount"] < min_group_size]
    big = window[window["headcount"] >= min_group_size]
    rows = [_team_row(r.team, window[window["team"] == r.team]) for r in big.itertuples()]
    suppressed = sorted(small["team"])
    note = ""
    if len(small):
        if small["headcount"].sum() >= min_group_size:
            rows.append(_team_row(OTHER, small))
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({', '.join(suppressed)}) are "
                    f"shown together as “{OTHER}”, never individually.")
        else:
            note = (f"{len(small)} team(s) with fewer than {min_group_size} people ({', '.join(suppressed)}) are "
                    "suppressed: even together they are below the minimum group size. They still count in the "
                    "organisation totals.")
    return rows, _team_row("Organisation", window), suppressed, note


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def monthly_context(store: Store, config: Config, month: str, *, org_name: str = "Your organisation",
                    trend_weeks: int = 26) -> MonthlyContext:
    """Everything the monthly report shows for ``month`` (YYYY-MM)."""
    first, last = _month_bounds(month)
    prev_first, prev_last = _month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))
    min_n = config.root.report.min_group_size

    cur = build_panel(store, config, first, last, "month", keep_lists=True)
    prev = build_panel(store, config, prev_first, prev_last, "month", keep_lists=True)
    teams, org, suppressed, note = summarise_teams(cur, min_n)
    _, prev_org, _, _ = summarise_teams(prev, min_n)

    headlines = [
        Headline("AI adoption (active users ÷ people)", org.adoption_share, prev_org.adoption_share, "pct"),
        Headline("AI spend", org.ai_cost_usd, prev_org.ai_cost_usd, "usd"),
        Headline("Cost per merged PR", org.cost_per_merged_pr, prev_org.cost_per_merged_pr, "usd",
                 "team AI spend ÷ the same teams' merged PRs"),
        Headline("Median PR cycle time", org.cycle_h, prev_org.cycle_h, "hours", "ready → merge"),
        Headline("Change failure rate", org.cfr, prev_org.cfr, "pct",
                 f"{org.deployments_failed} of {org.deployments} deployments"),
    ]

    trend_start = max(first - timedelta(weeks=trend_weeks), first - timedelta(days=7 * trend_weeks))
    weekly = build_panel(store, config, trend_start, last, "week")
    shown = [t.team for t in teams if t.team != OTHER]
    weeks = sorted(weekly["week"].unique())
    share = {t: [(_ratio(r.ai_active_users, r.headcount) if r.headcount else None)
                 for r in weekly[weekly["team"] == t].itertuples()] for t in shown}
    cycle = {t: [None if pd.isna(v) else float(v) for v in weekly[weekly["team"] == t]["pr_cycle_time_h_median"]]
             for t in shown}
    chart_share = Chart(
        "Weekly AI adoption share by team (active AI users ÷ team members)",
        charts.line_chart("Weekly AI adoption share by team", weeks, share, ylabel="adoption", percent=True),
        ["week", *shown], [[w, *[share[t][i] for t in shown]] for i, w in enumerate(weeks)], "pct")
    chart_cycle = Chart(
        "Weekly median PR cycle time by team (hours, ready → merge)",
        charts.line_chart("Weekly median PR cycle time by team", weeks, cycle, ylabel="hours"),
        ["week", *shown], [[w, *[cycle[t][i] for t in shown]] for i, w in enumerate(weeks)], "hours")
    cost_rows = sorted(teams, key=lambda r: -r.ai_cost_usd)
    chart_cost = Chart(
        f"AI spend by team, {month} (USD)",
        charts.bar_chart(f"AI spend by team, {month}", [r.team for r in cost_rows], [r.ai_cost_usd for r in cost_rows],
                         xlabel="USD"),
        ["team", "USD"], [[r.team, r.ai_cost_usd] for r in cost_rows], "usd")

    models = store.query("""
        SELECT tool, model, sum(cost_usd) AS cost_usd, sum(tokens_input) AS tokens_input,
               sum(tokens_output) AS tokens_output, sum(tokens_cache_read) AS tokens_cache_read
        FROM ai_usage_model_daily WHERE day BETWEEN ? AND ? GROUP BY ALL ORDER BY cost_usd DESC NULLS LAST""",
                         [first, last]).to_dict("records")
    quality = data_quality(store, config, first, last)
    notes = [
        "A day is a calendar day in the configured time zone "
        f"({config.timezone}); AI-usage APIs report UTC days, taken as given.",
        "Adoption share = people with any AI-assistant activity in the period ÷ people in the team "
        "(dated membership from the configuration).",
        "PR stages (definitions): coding = first commit → ready; pickup = ready → first non-author, non-bot review; "
        "review = pickup end → merge; cycle time = ready → merge. Medians, never means.",
        "Merge rate = merged ÷ (merged + closed unmerged) for PRs closed in the month; open PRs are not counted.",
        "Change failure rate = deployments with at least one linked failure ÷ successful production deployments.",
        "All figures describe association, not cause: teams that use AI more may differ in other ways.",
    ]
    return MonthlyContext(
        title=f"AI adoption and delivery — {first:%B %Y}", org_name=org_name, month_label=f"{first:%B %Y}",
        window=f"{first.isoformat()} to {last.isoformat()}", generated_for=month, min_group_size=min_n,
        headlines=headlines, teams=teams, org=org, suppressed=suppressed, suppression_note=note,
        charts={"share": chart_share, "cycle": chart_cycle, "cost": chart_cost}, models=models, quality=quality,
        notes=notes,
    )
