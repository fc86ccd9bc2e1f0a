"""The monthly report's builder: store → one :class:`~correlate.report.sections.MonthlyReport`.

It builds the panel's day-level facts once (:func:`correlate.panel.prepare_facts`) and aggregates them
three times (the month, the month before, one year of weeks that the statistics, the trend charts and
the DORA tier window all slice), runs the statistics once, classifies the spend once, and fills typed
sections. Every number comes from the catalogue's evaluation of panel rows
(:mod:`correlate.metrics.rows`), the statistics, the spend classes, or a store query; the builder decides
what to show (windows, the minimum-group-size rule, which numbers sit side by side) and formats nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate.config import Config
from correlate.dora.tiers import dora_label, judge
from correlate.metrics.catalogue import metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.metrics.rows import Row, deploy_days, evaluate, ratio, weekly_by_team
from correlate.panel import Facts, prepare_facts
from correlate.quality import data_quality
from correlate.report import queries
from correlate.report.method_text import EXTERNAL_INTRO, STUDIES, definitions, limitations
from correlate.report.sections import (
    AdoptionSection,
    ChartData,
    CostSection,
    CoverageNote,
    EditRow,
    Headline,
    LaggingSection,
    LeadingSection,
    Matrix,
    MethodNotes,
    ModelCost,
    MonthlyReport,
    Period,
    QualitySection,
    Recommendation,
    SpendClasses,
    SplitRow,
    StatsSection,
    SummarySection,
    TierCell,
    TierRow,
    TierTable,
    ToolRow,
)
from correlate.report.statistics import run_statistics, statistics_window
from correlate.report.teams import ORG, OTHER, SUPPRESSED, TeamGrouping, TeamRows, metric_table, team_rows
from correlate.spend.classify import CLASSES
from correlate.spend.metrics import model_costs_total
from correlate.spend.section import SpendSection, spend_section
from correlate.store import Store
from correlate.tool_mapping import MAPPINGS

__all__ = ["MAX_CHART_TEAMS", "STATS_WEEKS", "TIER_WEEKS", "build_monthly", "month_bounds"]

MAX_CHART_TEAMS = 10  # more lines than this are unreadable; larger organisations get the median of all teams
TIER_WEEKS = 12
STATS_WEEKS = 53  # the statistics run on the year of weeks ending with the month
TREND_WEEKS = 26


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    first = date.fromisoformat(month + "-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _num(v: Any) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def build_monthly(store: Store, config: Config, month: str, *, org_name: str = "Your organisation",
                  trend_weeks: int = TREND_WEEKS, stats: StatsSection | None = None) -> MonthlyReport:
    """Everything the monthly report shows for ``month`` (YYYY-MM).

    Args:
        store, config: the data and its team mapping.
        month: ``YYYY-MM``.
        org_name: printed in the header.
        trend_weeks: weeks of history in the trend charts.
        stats: precomputed statistics; by default the statistics engine runs once on the year of weeks.
    """
    first, last = month_bounds(month)
    prev_first, prev_last = month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))
    period = Period(first, last, f"{first:%B %Y}", prev_first, prev_last)
    min_n = config.root.report.min_group_size
    tier_end = last - timedelta(days=(last.weekday() + 1) % 7)  # the Sunday on or before the month's end
    tier_start = tier_end - timedelta(weeks=TIER_WEEKS) + timedelta(days=1)
    trend_start = _monday(first - timedelta(weeks=trend_weeks))
    stats_start = statistics_window(store, last, weeks=STATS_WEEKS) if stats is None else None
    week_start = min(trend_start, tier_start, *([stats_start] if stats_start else []))
    facts = prepare_facts(store, config, min(prev_first, week_start), last)

    cur = facts.panel(first, last, "month", keep_lists=True)
    prev = facts.panel(prev_first, prev_last, "month", keep_lists=True)
    weekly = facts.panel(week_start, last, "week", keep_lists=True)
    if stats is None:
        stats = run_statistics(weekly[weekly["week"] >= stats_start] if stats_start else None, config,
                               "the store holds no AI usage and no pull requests")

    rows = team_rows(cur, min_n, period="month")
    prev_org = team_rows(prev, min_n, period="month").org
    org = rows.org
    spend = spend_section(store, config, first, last)
    quality = data_quality(store, config, first, last)

    adoption = _adoption(store, config, rows, weekly[weekly["week"] >= trend_start], period)
    cost = _cost(rows, spend, config, period)
    leading = _leading(store, config, rows, weekly[weekly["week"] >= trend_start], period)
    lagging = LaggingSection(
        metric_table("lagging", f"Delivery outcomes by team, {period.label}", rows),
        _tiers(facts, weekly, rows.grouping, config.root.dora.year, tier_start, tier_end))
    warnings = _warnings(org, quality, stats, (leading.split_note, adoption.edit_note))
    return MonthlyReport(
        title=f"AI adoption and delivery — {period.label}", org_name=org_name, period=period, min_group_size=min_n,
        summary=SummarySection(_headlines(org, prev_org)), stats=stats, adoption=adoption, cost=cost, leading=leading,
        lagging=lagging,
        quality=QualitySection(CoverageNote(min_n, rows.grouping.note),
                               metric_table("coverage", f"What each source supplied per team, {period.label}", rows,
                                            total=False),
                               quality.match_rates, quality.unmatched, quality.supply, quality.ownership,
                               tuple(warnings)),
        method=MethodNotes(definitions=(*definitions(config.timezone), *stats.definitions), notes=stats.method_notes,
                           tool_mapping=tuple(MAPPINGS), limitations=tuple(limitations(stats.available)),
                           external_intro=EXTERNAL_INTRO, studies=STUDIES))


def _headlines(org: Row, prev: Row) -> tuple[Headline, ...]:
    def h(name: str, note: str = "") -> Headline:
        m = metric(name)
        return Headline(m.title, org.value(name), prev.value(name), m.fmt, note)

    return (
        h("adoption_share", f"{org.n('ai_active_users')} of {org.n('headcount')} people"),
        h("ai_cost_usd"),
        h("cost_per_merged_pr", f"spend ÷ {org.n('prs_merged')} merged PRs"),
        h("pr_cycle_time_h", "ready → merge"),
        h("change_failure_rate", f"{org.n('change_failure_rate')} of {org.n('deployments')} deployments"),
    )


# ---- charts -------------------------------------------------------------------------------------------


def _chart_teams(rows: TeamRows) -> tuple[list[str], list[str] | None]:
    """The teams drawn in trend charts and, when there are too many, all the teams their median covers."""
    eligible = [lab for lab in rows.labels if lab not in (OTHER, SUPPRESSED)]
    if len(eligible) <= MAX_CHART_TEAMS:
        return eligible, None
    largest = sorted(eligible, key=lambda t: (-rows.rows[t].n("headcount"), t))
    return largest[:MAX_CHART_TEAMS], eligible


def _trend(weekly: pd.DataFrame, shown: list[str], eligible: list[str] | None, name: str, title: str, fmt: str,
           **options: Any) -> ChartData:
    """A weekly line chart of catalogue metric ``name`` for the ``shown`` teams (plus, with ``eligible``, a
    "median of all teams" series)."""
    frame = weekly_by_team(weekly, name, shown, eligible)
    if eligible:
        title = f"{title}: the {len(shown)} largest teams and the median of all {len(eligible)}"
    rows = tuple((w, *[None if pd.isna(v) else float(v) for v in values])
                 for w, values in zip(frame.index, frame.to_numpy(), strict=True))
    return ChartData(title, "line", ("week", *map(str, frame.columns)), rows, fmt, options)


# ---- sections -----------------------------------------------------------------------------------------


def _tools(frame: pd.DataFrame, headcount: int, min_n: int) -> tuple[tuple[ToolRow, ...], str]:
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
    return tuple(rows), note


def _split(frame: pd.DataFrame, min_n: int) -> tuple[tuple[SplitRow, ...], str]:
    rows, hidden = [], []
    for r in frame.itertuples():
        if r.people < min_n:
            hidden.append(str(r.grp))
            continue
        rows.append(SplitRow(str(r.grp), int(r.people), int(r.merged), _num(r.merge_rate), _num(r.cycle_h),
                             _num(r.coding_h), _num(r.pickup_h), _num(r.review_h), _num(r.size),
                             _num(r.without_review_share)))
    note = (f"Not shown: {', '.join(hidden)} — fewer than {min_n} authors." if hidden else "")
    return tuple(rows), note


def _adoption(store: Store, config: Config, rows: TeamRows, weekly: pd.DataFrame, period: Period) -> AdoptionSection:
    min_n = rows.grouping.min_group_size
    shown, eligible = _chart_teams(rows)
    edits = queries.edit_acceptance(store, period.first, period.last)
    edit_rows = tuple(EditRow(str(r.tool), str(r.edit_tool), int(r.accepted or 0), int(r.rejected or 0),
                              _num(r.rate)) for r in edits.itertuples() if r.people >= min_n)
    hidden = [f"{r.tool} / {r.edit_tool}" for r in edits.itertuples() if r.people < min_n]
    edit_note = f"Edit-tool rows from fewer than {min_n} people are not shown ({', '.join(hidden)})." if hidden else ""
    tools, tools_note = _tools(queries.tool_usage(store, config, period.first, period.last), rows.org.n("headcount"),
                               min_n)
    tool_split, tool_split_note = _split(queries.pr_split(store, config, period.first, period.last, by="tool"), min_n)
    return AdoptionSection(
        share_chart=_trend(weekly, shown, eligible, "adoption_share",
                           "Weekly AI adoption share by team (active AI users ÷ team members)", "pct",
                           ylabel="adoption", percent=True),
        sessions_chart=_trend(weekly, shown, eligible, "ai_sessions", "Weekly assistant sessions by team", "int",
                              ylabel="sessions"),
        table=metric_table("adoption", f"Adoption by team, {period.label}", rows),
        edits=edit_rows, edit_note=edit_note, tools=tools, tools_note=tools_note, tool_split=tool_split,
        tool_split_note=tool_split_note)


def _leading(store: Store, config: Config, rows: TeamRows, weekly: pd.DataFrame, period: Period) -> LeadingSection:
    shown, eligible = _chart_teams(rows)
    split, split_note = _split(queries.pr_split(store, config, period.first, period.last),
                               rows.grouping.min_group_size)
    return LeadingSection(
        cycle_chart=_trend(weekly, shown, eligible, "pr_cycle_time_h",
                           "Weekly median PR cycle time by team (hours, ready → merge)", "hours", ylabel="hours"),
        table=metric_table("leading", f"Pull-request flow by team, {period.label}", rows),
        split=split, split_note=split_note)


def _by_label(frame: pd.DataFrame, grouping: TeamGrouping, values: list[str]) -> pd.DataFrame:
    """Sum ``values`` of a per-team frame under each table label (shown team, Other, Suppressed)."""
    labelled = frame.assign(label=frame["team"].map(grouping.row_label)).dropna(subset=["label"])
    out = labelled.groupby("label")[values].sum()
    return out.reindex([lab for lab in grouping.labels if lab in out.index])


def _cost(rows: TeamRows, spend: SpendSection, config: Config, period: Period) -> CostSection:
    grouping = rows.grouping
    # the spend chart: the largest spenders among the shown teams, the rest as one bar
    spenders = sorted(((lab, rows.rows[lab].value("ai_cost_usd")) for lab in rows.labels), key=lambda b: (-b[1], b[0]))
    bars = spenders[:MAX_CHART_TEAMS]
    if spenders[MAX_CHART_TEAMS:]:
        rest = spenders[MAX_CHART_TEAMS:]
        bars.append((f"all other {len(rest)} teams", float(sum(v for _, v in rest))))
    month = period.first.strftime("%Y-%m")
    chart = ChartData(f"AI spend by team, {month} (USD)", "bar", ("team", "USD"), tuple(bars), "usd",
                      {"xlabel": "USD", "svg_title": f"AI spend by team, {month}"})

    by_model = spend.by_team_model
    pivot = (_by_label(by_model.pivot_table(index="team", columns="model", values="total", aggfunc="sum",
                                            fill_value=0.0).reset_index(), grouping,
                       sorted(set(by_model["model"]))) if len(by_model) else pd.DataFrame())
    models = list(pivot.columns)
    team_model = Matrix(("Team", *models, "Total"),
                        tuple((lab, *map(float, r), float(r.sum())) for lab, r in zip(pivot.index,
                                                                                      pivot.to_numpy(float),
                                                                                      strict=True)), "usd")

    def model_row(tool: str, model: str, r: dict[str, Any]) -> ModelCost:
        return ModelCost(tool, model, *(float(r[c]) for c in (
            "cost_usd", "tokens_input", "tokens_output", "tokens_cache_read", "cache_read_share", "cache_saved_usd",
            "uncached_cost_usd", "batch_saving_usd")))

    lines = tuple(model_row(str(r["tool"]), str(r["model"]), r) for r in spend.models.to_dict("records"))
    total_line = model_row("All", "all models (savings: priced models only)", model_costs_total(spend.models))
    prices_note = ("Prices: the one price table in force on each usage day (shipped list prices"
                   + (f", with your [prices] file {config.root.prices.file}" if config.root.prices.file else "")
                   + "). Caching saved = cache-read tokens × (input price − cache-read price). The Batch API "
                   "discount applies only to asynchronous jobs: interactive assistant sessions cannot use it, so the "
                   "last column is what it would change if this work could be batched, not a saving available today. "
                   "Models without a price show a dash.")
    return CostSection(chart=chart, table=metric_table("cost", f"AI spend per unit of work, {period.label}", rows),
                       team_model=team_model, models=lines, model_total=total_line, unmapped_usd=spend.unmapped_usd,
                       price_note=prices_note, spend=_spend_classes(spend, grouping))


def _spend_classes(spend: SpendSection, grouping: TeamGrouping) -> SpendClasses:
    """The spend classes per shown label, and the recommendations about teams the report may name."""
    by_team = spend.by_team
    classes = list(CLASSES)
    per_label = _by_label(by_team, grouping, classes) if len(by_team) else pd.DataFrame(columns=classes)
    table = Matrix(("Team", *classes, "Total"),
                   tuple((lab, *map(float, r), float(r.sum())) for lab, r in zip(per_label.index,
                                                                                 per_label.to_numpy(float),
                                                                                 strict=True)), "usd")
    named = {t for t, lab in grouping.shown.items() if lab == t}
    shown = [r for r in spend.recommendations if r.team in named]
    kinds = list(dict.fromkeys(r.kind for r in shown))  # in the order the recommendations came
    recs = tuple(Recommendation(k, tuple((r.team, r.message) for r in shown if r.kind == k),
                                next(r.evidence_bar for r in shown if r.kind == k),
                                next(r.encoding for r in shown if r.kind == k)) for k in kinds)
    hidden = len(spend.recommendations) - len(shown)
    linked = 1.0 - spend.rule_shares.get("unattributed", 0.0) if spend.total_usd else float("nan")
    thresholds = ", ".join(f"{k} = {v}" for k, v in spend.thresholds.items())
    return SpendClasses(spend.total_usd, tuple((c, spend.by_class[c]) for c in classes), linked, table, recs,
                        thresholds, f"{hidden} recommendation(s) about teams below the minimum group size are not "
                                    "shown." if hidden else "")


def _tiers(facts: Facts, weekly: pd.DataFrame, grouping: TeamGrouping, year: int, start: date,
           end: date) -> TierTable:
    """Tiers over the 12 complete ISO weeks ending on or before the month's end: a month has too few weeks
    and too few deployments and incidents for the minimum n, and DORA tiers describe a longer period."""
    window = weekly[(weekly["week"] >= start) & (weekly["week"] <= end - timedelta(days=6))]
    labels = [lab for lab in grouping.labels if lab != SUPPRESSED]
    metrics = catalogue_table("dora_tiers")
    by_label = evaluate(window, window["team"].map(grouping.shown), labels, period="week")
    org = evaluate(window, pd.Series(ORG, index=window.index, dtype=object), [ORG], period="week")[ORG]
    daily = facts.deployment_days(start, end)  # the days with a deployment, not a day panel
    days = deploy_days(daily, daily["team"].map(grouping.shown), start, end)
    org_days = deploy_days(daily, pd.Series(ORG, index=daily.index, dtype=object), start, end)
    no_days = (((end - start).days + 1) // 7, 0.0, 0.0)  # a label without a deployment in the window
    out = []
    for label, row in [*((lab, by_label[lab]) for lab in labels), (ORG, org)]:
        weeks, per_week, per_month = (org_days if label == ORG else days).get(label, no_days)
        cells = []
        for m in metrics:
            if m.name == "deploy_days_per_week":
                j = judge(m, per_week, weeks, year, per_month=per_month)
            else:
                value = row[m.name]
                n = int(value.of) if m.aggregate == "ratio" and value.of == value.of else int(value.n)
                j = judge(m, value.value, n, year)
            cells.append(TierCell(m.name, j.tier, j.value, m.fmt, j.thresholds, j.reason))
        out.append(TierRow(label, tuple(cells)))
    window_text = f"{start.isoformat()} to {end.isoformat()}"
    note = (f"DORA tiers: DevLake’s benchmark tables (the {year} variant), applied per metric to the medians of the "
            f"{TIER_WEEKS} complete weeks {window_text} (a month is too short for the minimum n); the value judged is "
            "in brackets. Recovery is judged on time to restore (incident start → resolved), the 2021 definition, "
            "because failed-deployment recovery time needs deployment-linked incidents. A benchmark comparison, "
            "not an outcome of AI adoption.")
    return TierTable(year, tuple(dora_label(m.dora or "") for m in metrics),
                     tuple(out), note, tuple(c.thresholds for c in out[-1].cells))


def _warnings(org: Row, quality: Any, stats: StatsSection, notes: tuple[str, ...]) -> list[str]:
    out = []
    if org.n("ai_active_dev_days") == 0:
        out.append("No AI-assistant usage was stored for this month: adoption and cost are empty, not zero.")
    if org.n("deployments") == 0:
        out.append("No production deployments were stored for this month: lagging indicators are empty.")
    for r in quality.match_rates.itertuples():
        if r.rows and r.match_rate == r.match_rate and r.match_rate < 0.9:
            out.append(f"Only {100 * r.match_rate:.0f}% of {r.source} rows matched a team; the unmatched "
                       "identities below are missing from team totals.")
    if not stats.available:
        out.append(f"Statistical estimates unavailable: {stats.reason}.")
    out.extend(stats.warnings)
    out.extend(n for n in notes if n)
    return out

