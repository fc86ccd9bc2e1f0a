"""The monthly report's view-model: store → plain dataclasses the templates only loop over and print.

All decisions about what to show (windows, suppression of small groups, which numbers sit side by
side) live here and in the modules it calls; formatting lives in ``filters.py``; templates hold no
logic. Sections follow issue 7's order: 1 Summary … 8 Method notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate.config import Config
from correlate.html import charts, queries
from correlate.html.chart import Chart
from correlate.html.cost import ModelCost, model_cost
from correlate.html.notes import DEFINITIONS, EXTERNAL_INTRO, STUDIES, Study, limitations
from correlate.html.statsview import StatsView, monthly_stats
from correlate.html.teams import OTHER, TeamGrouping, TeamRow, ratio, summarise_teams, team_row, team_rows
from correlate.html.tiers import LABELS, SOURCE_NOTE, TierCell, tier_cells
from correlate.panel import build_panel, deployment_days, shared_facts
from correlate.quality import DataQuality, data_quality
from correlate.store import Store
from correlate.tool_mapping import MAPPINGS

__all__ = ["Headline", "MonthlyContext", "monthly_context", "month_bounds"]


@dataclass(frozen=True)
class Headline:
    label: str
    value: Any
    previous: Any
    fmt: str
    note: str = ""


@dataclass(frozen=True)
class ToolRow:
    """One assistant's adoption and spend over the window (people of configured teams only)."""

    tool: str
    people: int
    adoption_share: float
    person_days: int
    cost_usd: float
    cost_estimated: float
    cost_billed: float
    cost_discounted: float  # after discounts, before credits (Claude Enterprise): not the invoice
    cost_other: float
    days_without_cost: int
    sessions: float
    requests: float


@dataclass(frozen=True)
class SplitRow:
    """Leading indicators of one PR group (AI-assisted, not, unknown), or a suppressed placeholder."""

    group: str
    people: int
    merged: int
    merge_rate: float
    cycle_h: float
    coding_h: float
    pickup_h: float
    review_h: float
    size: float
    without_review_share: float
    note: str = ""


@dataclass(frozen=True)
class EditRow:
    tool: str
    edit_tool: str
    accepted: int
    rejected: int
    rate: float


@dataclass(frozen=True)
class TierRow:
    team: str
    cells: list[TierCell]


@dataclass(frozen=True)
class CoverageRow:
    team: str
    people: int
    ai_people: int
    ai_actor_days: int
    prs_closed: int
    deployments: int
    incidents: int


@dataclass(frozen=True)
class Matrix:
    """A small table with a row label column and numeric cells (cost by team and model)."""

    columns: list[str]
    rows: list[list[Any]]
    fmt: str


@dataclass
class MonthlyContext:
    title: str
    org_name: str
    month_label: str
    window: str
    min_group_size: int
    headlines: list[Headline]
    stats: StatsView
    teams: list[TeamRow]
    org: TeamRow
    grouping: TeamGrouping
    charts: dict[str, Chart]
    edit_rows: list[EditRow]
    edit_note: str
    models: list[ModelCost]
    model_totals: ModelCost
    team_model: Matrix
    split: list[SplitRow]
    split_note: str
    dora_year: int
    tier_rows: list[TierRow]
    tier_labels: list[str]
    tier_note: str
    quality: DataQuality
    coverage: list[CoverageRow]
    warnings: list[str]
    definitions: list[str]
    limitations: list[tuple[str, str]]
    external_intro: str
    studies: list[Study]
    notes: list[str] = field(default_factory=list)
    tools: list[ToolRow] = field(default_factory=list)
    tools_note: str = ""
    tool_split: list[SplitRow] = field(default_factory=list)
    tool_split_note: str = ""
    tool_mapping: list[Any] = field(default_factory=list)


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    first = date.fromisoformat(month + "-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _num(v: Any) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


MAX_CHART_TEAMS = 10  # more lines than this are unreadable; larger organisations get the median of all teams


def _weekly_charts(store: Store, config: Config, shown: list[str], first: date, last: date,
                   weeks: int, eligible: list[str] | None = None) -> dict[str, Chart]:
    """Weekly line charts for the ``shown`` teams; with ``eligible`` (all teams that may be shown, when
    there are too many to draw), a dashed "median of all teams" series is added."""
    start = first - timedelta(weeks=weeks)
    start -= timedelta(days=start.weekday())  # whole ISO weeks: a partial first week would read as a dip
    weekly = build_panel(store, config, start, last, "week")
    pool = eligible or shown
    weekly = weekly[weekly["team"].isin(pool)].copy()
    labels = sorted(weekly["week"].unique())
    weekly["_share"] = (weekly["ai_active_users"] / weekly["headcount"]).where(weekly["headcount"] > 0)
    median_name = f"median of all {len(pool)} teams" if eligible else None
    names = [*shown, *([median_name] if median_name else [])]

    def series(col: str) -> dict[str, list[float | None]]:
        # one pivot per measure (not one filter per team): stays fast with thousands of teams
        wide = weekly.pivot_table(index="week", columns="team", values=col, aggfunc="first", dropna=False)
        wide = wide.reindex(index=labels)
        out: dict[str, list[float | None]] = {}
        for t in shown:
            col_values = wide[t] if t in wide.columns else pd.Series(index=labels, dtype=float)
            out[t] = [None if pd.isna(v) else float(v) for v in col_values]
        if median_name:
            out[median_name] = [None if pd.isna(v) else float(v) for v in wide.median(axis=1, skipna=True)]
        return out

    def chart(title: str, data: dict[str, list[float | None]], fmt: str, **kw: Any) -> Chart:
        if median_name:
            title = f"{title}: the {len(shown)} largest teams and the median of all {len(pool)}"
        svg = charts.line_chart(title, labels, data, **kw)
        return Chart(title, svg, ["week", *names], [[w, *[data[t][i] for t in names]] for i, w in enumerate(labels)],
                     fmt)

    return {
        "share": chart("Weekly AI adoption share by team (active AI users ÷ team members)", series("_share"), "pct",
                       ylabel="adoption", percent=True),
        "sessions": chart("Weekly assistant sessions by team", series("ai_sessions"), "int", ylabel="sessions"),
        "cycle": chart("Weekly median PR cycle time by team (hours, ready → merge)",
                       series("pr_cycle_time_h_median"), "hours", ylabel="hours"),
    }


def _tools(frame: pd.DataFrame, headcount: int, min_n: int) -> tuple[list[ToolRow], str]:
    """Per-assistant rows; an assistant used by fewer than ``min_n`` people is not shown (privacy)."""
    rows, hidden = [], []
    for r in frame.itertuples():
        if r.people < min_n:
            hidden.append(str(r.tool))
            continue
        rows.append(ToolRow(str(r.tool), int(r.people), ratio(r.people, headcount), int(r.person_days),
                            _num(r.cost_usd), _num(r.cost_estimated), _num(r.cost_billed), _num(r.cost_discounted),
                            _num(r.cost_other),
                            int(r.days_without_cost), _num(r.sessions), _num(r.requests)))
    note = (f"Not shown: {', '.join(hidden)} — used by fewer than {min_n} people." if hidden else "")
    return rows, note


def _split(frame: pd.DataFrame, min_n: int) -> tuple[list[SplitRow], str]:
    rows, hidden = [], []
    for r in frame.itertuples():
        if r.people < min_n:
            hidden.append(str(r.grp))
            continue
        rows.append(SplitRow(str(r.grp), int(r.people), int(r.merged), ratio(r.merged, r.merged + r.closed_unmerged),
                             _num(r.cycle_h), _num(r.coding_h), _num(r.pickup_h), _num(r.review_h), _num(r.size),
                             ratio(r.without_review, r.merged)))
    note = (f"Not shown: {', '.join(hidden)} — fewer than {min_n} authors." if hidden else "")
    return rows, note


def _deploy_days(daily: pd.DataFrame, teams: list[str], first: date, last: date) -> tuple[int, float, float]:
    """Complete ISO weeks inside the window, median deployment days per week, and per month."""
    d = daily[daily["team"].isin(teams)].groupby("day")["deployments"].sum()
    days = pd.Series(0, index=pd.date_range(first, last, freq="D").date)
    days.update(d)
    frame = pd.DataFrame({"day": pd.to_datetime(list(days.index)), "deployed": (days.to_numpy() > 0)})
    frame["week"] = frame["day"] - pd.to_timedelta(frame["day"].dt.day_of_week, unit="D")
    per_week = frame.groupby("week").agg(n=("day", "size"), deployed=("deployed", "sum"))
    per_week = per_week[per_week["n"] == 7]
    med = float(per_week["deployed"].median()) if len(per_week) else float("nan")
    return len(per_week), med, float(frame["deployed"].sum())


def _deploy_days_by_label(daily: pd.DataFrame, grouping: TeamGrouping, first: date,
                          last: date) -> dict[str, tuple[int, float, float]]:
    """:func:`_deploy_days` for every shown label at once (same definitions, one pass)."""
    frame = daily.assign(label=daily["team"].map(grouping.shown)).dropna(subset=["label"])
    per_day = frame.groupby(["label", "day"])["deployments"].sum().unstack("label", fill_value=0)
    calendar = pd.date_range(first, last, freq="D")
    per_day.index = pd.to_datetime(per_day.index)
    deployed = (per_day.reindex(calendar, fill_value=0) > 0).astype(int)
    week = calendar - pd.to_timedelta(calendar.day_of_week, unit="D")
    sizes = pd.Series(1, index=calendar).groupby(week).size()
    complete = sizes[sizes == 7].index
    weekly = deployed.groupby(week).sum().loc[complete]
    medians = weekly.median(axis=0) if len(complete) else pd.Series(float("nan"), index=deployed.columns)
    totals = deployed.sum(axis=0)
    return {str(lab): (len(complete), float(medians[lab]), float(totals[lab])) for lab in deployed.columns}


TIER_WEEKS = 12
STATS_WEEKS = 53  # the statistics run on the year of weeks ending with the month


def _tiers(store: Store, config: Config, grouping: TeamGrouping, year: int, last: date) -> tuple[list[TierRow], str]:
    """Tiers over the 12 complete ISO weeks ending on or before ``last``: a month has too few weeks and
    too few deployments and incidents for the minimum n, and DORA tiers describe a longer period."""
    end = last - timedelta(days=(last.weekday() + 1) % 7)
    start = end - timedelta(weeks=TIER_WEEKS) + timedelta(days=1)
    days = (end - start).days + 1
    weekly = build_panel(store, config, start, end, "week", keep_lists=True)
    daily = deployment_days(store, config, start, end)  # the days with a deployment, not a day panel
    labels = sorted({lab for lab in grouping.shown.values() if lab != OTHER}) + (
        [OTHER] if grouping.merged else [])
    # one groupby per frame (not one filter per team): thousands of teams stay fast
    by_label = team_rows(weekly, weekly["team"].map(grouping.shown), days, labels)
    rows = [by_label[lab] for lab in labels]
    org = team_row("Organisation", weekly, days)
    deploy_days = _deploy_days_by_label(daily, grouping, start, end)
    org_days = _deploy_days(daily, list(grouping.headcount), start, end)
    no_days = _deploy_days(daily, [], start, end)  # a label with no stored day (computed once, not per row)
    out = []
    for r in [*rows, org]:
        weeks, per_week, per_month = org_days if r.team == org.team else deploy_days.get(r.team, no_days)
        out.append(TierRow(r.team, tier_cells(year=year, weeks=weeks, deploy_days_per_week=per_week,
                                              deploy_days_per_month=per_month, lead_time_h=r.lead_time_h,
                                              lead_n=r.lead_time_n, cfr=r.cfr, deployments=r.deployments,
                                              restore_h=r.restore_h, restore_n=r.restore_n)))
    return out, f"{start.isoformat()} to {end.isoformat()}"


def _cost_matrix(frame: pd.DataFrame, grouping: TeamGrouping) -> Matrix:
    frame = frame.assign(label=frame["team"].map(grouping.label)).dropna(subset=["label"])
    pivot = frame.pivot_table(index="label", columns="model", values="cost_usd", aggfunc="sum", fill_value=0.0)
    order = sorted([i for i in pivot.index if i != OTHER]) + ([OTHER] if OTHER in pivot.index else [])
    pivot = pivot.reindex(order)
    cols = sorted(pivot.columns)
    values = pivot[cols].to_numpy(float)  # whole rows at once: a .loc per cell is slow at thousands of teams
    return Matrix(["Team", *cols, "Total"], [[i, *map(float, row), float(row.sum())]
                                             for i, row in zip(order, values, strict=True)], "usd")


def _coverage(cur: pd.DataFrame, rows: list[TeamRow], grouping: TeamGrouping) -> list[CoverageRow]:
    cols = ["ai_active_dev_days", "prs_merged", "prs_closed_unmerged", "deployments", "incidents"]
    sums = cur.groupby(cur["team"].map(grouping.shown))[cols].sum()  # one pass, not one filter per row
    out = []
    for r in rows:
        s = sums.loc[r.team] if r.team in sums.index else pd.Series(0, index=cols)
        out.append(CoverageRow(r.team, r.headcount, r.ai_active_users, int(s["ai_active_dev_days"]),
                               int(s["prs_merged"] + s["prs_closed_unmerged"]), int(s["deployments"]),
                               int(s["incidents"])))
    return out


def _warnings(org: TeamRow, quality: DataQuality, stats: StatsView, split_note: str, edit_note: str) -> list[str]:
    out = []
    if org.ai_active_dev_days == 0:
        out.append("No AI-assistant usage was stored for this month: adoption and cost are empty, not zero.")
    if org.deployments == 0:
        out.append("No production deployments were stored for this month: lagging indicators are empty.")
    for r in quality.match_rates.itertuples():
        if r.rows and r.match_rate == r.match_rate and r.match_rate < 0.9:
            out.append(f"Only {100 * r.match_rate:.0f}% of {r.source} rows matched a team; the unmatched "
                       "identities below are missing from team totals.")
    if not stats.available:
        out.append(f"Statistical estimates unavailable: {stats.reason}.")
    out.extend(stats.warnings)
    out.extend(n for n in (split_note, edit_note) if n)
    return out


def monthly_context(store: Store, config: Config, month: str, *, org_name: str = "Your organisation",
                    trend_weeks: int = 26, stats: StatsView | None = None) -> MonthlyContext:
    """Everything the monthly report shows for ``month`` (YYYY-MM).

    Args:
        store, config: the data and its team mapping.
        month: ``YYYY-MM``.
        org_name: printed in the header.
        trend_weeks: weeks of history in the trend charts.
        stats: precomputed statistics; by default :func:`correlate.html.statsview.monthly_stats` runs them.
    """
    first, last = month_bounds(month)
    prev_first = month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))[0]
    # every panel below (months, trend charts, tier window, the statistics year) reads one set of facts
    since = min(prev_first, first - timedelta(weeks=trend_weeks),
                *([last - timedelta(weeks=STATS_WEEKS + 1)] if stats is None else []))
    with shared_facts(store, config, since, last):
        return _monthly_context(store, config, month, org_name=org_name, trend_weeks=trend_weeks, stats=stats)


def _monthly_context(store: Store, config: Config, month: str, *, org_name: str, trend_weeks: int,
                     stats: StatsView | None) -> MonthlyContext:
    first, last = month_bounds(month)
    prev_first, prev_last = month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))
    min_n = config.root.report.min_group_size
    n_days = (last - first).days + 1
    cur = build_panel(store, config, first, last, "month", keep_lists=True)
    prev = build_panel(store, config, prev_first, prev_last, "month", keep_lists=True)
    teams, org, grouping = summarise_teams(cur, min_n, n_days)
    _, prev_org, _ = summarise_teams(prev, min_n, (prev_last - prev_first).days + 1)
    stats = stats if stats is not None else monthly_stats(store, config, last, weeks=STATS_WEEKS)

    headlines = [
        Headline("AI adoption (active users ÷ people)", org.adoption_share, prev_org.adoption_share, "pct",
                 f"{org.ai_active_users} of {org.headcount} people"),
        Headline("AI spend", org.ai_cost_usd, prev_org.ai_cost_usd, "usd"),
        Headline("Cost per merged PR", org.cost_per_merged_pr, prev_org.cost_per_merged_pr, "usd",
                 f"spend ÷ {org.prs_merged} merged PRs"),
        Headline("Median PR cycle time", org.cycle_h, prev_org.cycle_h, "hours", "ready → merge"),
        Headline("Change failure rate", org.cfr, prev_org.cfr, "pct",
                 f"{org.deployments_failed} of {org.deployments} deployments"),
    ]

    eligible = [t.team for t in teams if t.team != OTHER]
    if len(eligible) > MAX_CHART_TEAMS:
        largest = sorted((t for t in teams if t.team != OTHER), key=lambda r: (-r.headcount, r.team))
        shown = [t.team for t in largest[:MAX_CHART_TEAMS]]
        chart_map = _weekly_charts(store, config, shown, first, last, trend_weeks, eligible=eligible)
    else:
        chart_map = _weekly_charts(store, config, eligible, first, last, trend_weeks)
    cost_rows = sorted(teams, key=lambda r: (-r.ai_cost_usd, r.team))
    bars = [(r.team, r.ai_cost_usd) for r in cost_rows[:MAX_CHART_TEAMS]]
    rest = cost_rows[MAX_CHART_TEAMS:]
    if rest:
        bars.append((f"all other {len(rest)} teams", float(sum(r.ai_cost_usd for r in rest))))
    chart_map["cost"] = Chart(
        f"AI spend by team, {month} (USD)",
        charts.bar_chart(f"AI spend by team, {month}", [b[0] for b in bars], [b[1] for b in bars], xlabel="USD"),
        ["team", "USD"], [[name, value] for name, value in bars], "usd")

    edits = queries.edit_acceptance(store, first, last)
    edit_rows = [EditRow(str(r.tool), str(r.edit_tool), int(r.accepted or 0), int(r.rejected or 0), _num(r.rate))
                 for r in edits.itertuples() if r.people >= min_n]
    hidden = [f"{r.tool} / {r.edit_tool}" for r in edits.itertuples() if r.people < min_n]
    edit_note = f"Edit-tool rows from fewer than {min_n} people are not shown ({', '.join(hidden)})." if hidden else ""

    model_frame = queries.models(store, first, last)
    model_rows = [model_cost(str(r.tool), str(r.model), _num(r.cost_usd), _num(r.tokens_input), _num(r.tokens_output),
                             _num(r.tokens_cache_read)) for r in model_frame.itertuples()]
    def total(name: str) -> float:
        # a source that does not report a field leaves it empty; the total covers the rows that do
        return float(sum(v for m in model_rows if (v := getattr(m, name)) == v))

    totals = ModelCost(
        "All", "all models (savings: priced models only)", total("cost_usd"), total("tokens_input"),
        total("tokens_output"), total("tokens_cache_read"),
        ratio(total("tokens_cache_read"), total("tokens_cache_read") + total("tokens_input")),
        total("cache_saved_usd"), total("uncached_cost_usd"), total("batch_saving_usd"))
    team_model = _cost_matrix(queries.cost_by_team_model(store, config, first, last), grouping)

    split, split_note = _split(queries.pr_split(store, config, first, last), min_n)
    tools, tools_note = _tools(queries.tool_usage(store, config, first, last), org.headcount, min_n)
    tool_split, tool_split_note = _split(queries.pr_split(store, config, first, last, by="tool"), min_n)
    year = config.root.dora.year
    tier_rows, tier_window = _tiers(store, config, grouping, year, last)
    quality = data_quality(store, config, first, last)
    coverage = _coverage(cur, teams, grouping)
    return MonthlyContext(
        title=f"AI adoption and delivery — {first:%B %Y}", org_name=org_name, month_label=f"{first:%B %Y}",
        window=f"{first.isoformat()} to {last.isoformat()}", min_group_size=min_n, headlines=headlines, stats=stats,
        teams=teams, org=org, grouping=grouping, charts=chart_map, edit_rows=edit_rows, edit_note=edit_note,
        models=model_rows, model_totals=totals, team_model=team_model, split=split, split_note=split_note,
        dora_year=year, tier_rows=tier_rows, tier_labels=[LABELS[c.metric] for c in tier_rows[0].cells],
        tier_note=SOURCE_NOTE.format(year=year, window=tier_window), quality=quality, coverage=coverage,
        warnings=_warnings(org, quality, stats, split_note, edit_note),
        definitions=[f"A day is a calendar day in the configured time zone ({config.timezone}); AI-usage APIs "
                     "report UTC days, taken as given.", *DEFINITIONS, *stats.definitions],
        limitations=limitations(stats.available), external_intro=EXTERNAL_INTRO, studies=STUDIES,
        notes=stats.method_notes, tools=tools, tools_note=tools_note, tool_split=tool_split,
        tool_split_note=tool_split_note, tool_mapping=list(MAPPINGS),
    )
