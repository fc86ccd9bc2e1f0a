"""The monthly report's builder: store → one :class:`~correlate.report.sections.MonthlyReport`.

It builds the panel's day-level facts once (:func:`correlate.panel.prepare_facts`) and aggregates them
three times (the month, the month before, one year of weeks that the statistics, the trend charts and
the DORA tier window all slice), runs the statistics once, classifies the spend once, and fills typed
sections. Every number comes from the catalogue's evaluation of panel rows
(:mod:`correlate.metrics.rows`), the statistics, the spend classes, or a store query; the builder decides
what to show (windows, the minimum-group-size rule, which numbers sit side by side) and formats nothing.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate import clock
from correlate.config import Config
from correlate.dora.tiers import dora_label, judge
from correlate.errors import UsageError
from correlate.metrics.catalogue import metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.metrics.rows import Row, deploy_days, evaluate, ratio, weekly_by_team
from correlate.panel import Facts, prepare_facts
from correlate.quality import DataQuality, data_quality
from correlate.report import queries
from correlate.report.answer import next_steps, spend_summary, verdicts
from correlate.report.method_text import EXTERNAL_INTRO, STUDIES, definitions, limitations
from correlate.report.names import display_name
from correlate.report.paper import paper_size
from correlate.report.queries import data_span
from correlate.report.sections import (
    AdoptionSection,
    Appendix,
    ChartData,
    CostSection,
    CoverageNote,
    DemoTruth,
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
    SpendMonth,
    SplitRow,
    StatsSection,
    SummarySection,
    TierCell,
    TierRow,
    TierTable,
    ToolRow,
    verdict_words,
)
from correlate.report.statistics import run_statistics, statistics_window
from correlate.report.teams import (
    ORG,
    OTHER,
    SUPPRESSED,
    TeamGrouping,
    TeamRows,
    about_ai_users,
    hidden_reason,
    metric_table,
    org_usage_hidden,
    team_rows,
)
from correlate.spend.classify import CLASSES
from correlate.spend.metrics import model_costs_total
from correlate.spend.section import SpendSection, not_yet_judged, spend_section
from correlate.spend.wording import describe_thresholds, kind_title
from correlate.store import Store
from correlate.tool_mapping import MAPPINGS

__all__ = ["MAX_CHART_TEAMS", "STATS_WEEKS", "TIER_WEEKS", "build_monthly", "month_bounds", "month_period",
           "whole_weeks"]

MAX_CHART_TEAMS = 10  # more lines than this are unreadable; larger organisations get the median of all teams
TIER_WEEKS = 12
STATS_WEEKS = 53  # the statistics run on the year of weeks ending with the month
TREND_WEEKS = 26
SPEND_MONTHS = 6  # months of spend on page one


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    first = date.fromisoformat(month + "-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _num(v: Any) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _short(a: date, b: date) -> str:
    """"1–6 Dec", or "28 Nov–3 Dec" across months."""
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}–{b.day} {b:%b}" if a != b else f"{a.day} {a:%b}"
    return f"{a.day} {a:%b}–{b.day} {b:%b}"


def month_period(store: Store, month: str, today: date) -> Period:
    """The days ``month`` can honestly describe on ``today``, and the like-for-like days it is compared with.

    A month in progress covers its first day to yesterday (today's data is still arriving) and is compared
    with the same days of the month before; a month whose data starts after its first day covers the days
    with data. The comparison is None (printed "no data") when the store has nothing there.

    Raises:
        UsageError: the month has not started (or has no complete day yet), the store holds no data, or the
            month lies wholly before the store's first day or after its last (the message says which months
            it can report).
    """
    first, month_last = month_bounds(month)
    name = f"{first:%B %Y}"
    if first >= today:
        latest = (today - timedelta(days=1)).strftime("%Y-%m")
        raise UsageError(f"--month {month}: {name} has no complete day yet (today is {today.isoformat()}), so there is "
                         f"nothing to report. The latest month you can report is {latest}.")
    span = data_span(store)
    if span is None:
        raise UsageError("the store holds no AI usage and no pull requests yet, so there is no month to report: run "
                         "`correlate sync` (or `correlate demo` for a synthetic organisation) first.")
    data_first, data_last = span
    last = min(month_last, today - timedelta(days=1))
    if last < data_first:
        raise UsageError(f"--month {month}: {name} is before the store's first data ({data_first.isoformat()}), so "
                         f"every figure would be empty. The first month with data is {data_first:%Y-%m}.")
    if first > data_last:
        raise UsageError(f"--month {month}: the store has no data for {name}; its data ends on "
                         f"{data_last.isoformat()}. Run `correlate sync` to fetch newer days, or report "
                         f"{data_last:%Y-%m}.")
    start = max(first, data_first)
    days, month_days = (last - start).days + 1, (month_last - first).days + 1
    prev_first, prev_month_last = month_bounds((first - timedelta(days=1)).strftime("%Y-%m"))
    if start == first and last == month_last:
        p_first, p_last = prev_first, prev_month_last
        prev_label, label, note = f"{prev_first:%B %Y}", name, ""
    else:
        p_first = prev_first + timedelta(days=(start - first).days)
        p_last = min(prev_first + timedelta(days=(last - first).days), prev_month_last)
        prev_label = _short(p_first, p_last)
        label = f"{_short(start, last)} {last.year} ({days} of {month_days} days)"
        note = (f"{name} is in progress: this report covers {_short(start, last)}, {days} of {month_days} days, "
                f"compared with the same days of {prev_first:%B} ({prev_label})." if last < month_last else
                f"The store's data begins on {data_first:%-d %B %Y}: this report covers {days} of {month_days} "
                f"days of {name}.")
    if p_first > p_last or p_first < data_first:
        p_first = p_last = None  # type: ignore[assignment]  # the cards print "<label>: no data"
    return Period(start, last, label, p_first, p_last, partial=days < month_days, month_days=month_days,
                  previous_label=prev_label, note=note)


def _sunday_on_or_before(d: date) -> date:
    return d - timedelta(days=(d.weekday() + 1) % 7)


def whole_weeks(weekly: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    """The rows of weeks that lie wholly inside ``[first, last]``: a partial week at either edge (a lone
    Sunday, or a week running into the next month) would read as a real change."""
    week = weekly["week"]
    return weekly[(week >= first) & (week + timedelta(days=6) <= last)]


def build_monthly(store: Store, config: Config, month: str, *, org_name: str = "Your organisation",
                  trend_weeks: int = TREND_WEEKS, stats: StatsSection | None = None,
                  today: date | None = None) -> MonthlyReport:
    """Everything the monthly report shows for ``month`` (YYYY-MM).

    Args:
        store, config: the data and its team mapping.
        month: ``YYYY-MM``.
        org_name: printed in the header when the config's ``[report] organisation`` is not set.
        trend_weeks: weeks of history in the trend charts.
        stats: precomputed statistics; by default the statistics engine runs once on the year of weeks.
        today: the day the report is made (default :func:`correlate.clock.today`).

    Raises:
        UsageError: a month the store cannot describe (see :func:`month_period`).
    """
    period = month_period(store, month, today or clock.today())
    first, last = period.first, period.last
    min_n = config.root.report.min_group_size
    tier_end = _sunday_on_or_before(last)
    tier_start = tier_end - timedelta(weeks=TIER_WEEKS) + timedelta(days=1)
    trend_start = _monday(first - timedelta(weeks=trend_weeks))
    stats_end = _sunday_on_or_before(last)  # the statistics see whole weeks only
    stats_start = statistics_window(store, stats_end, weeks=STATS_WEEKS) if stats is None else None
    spend_first = _spend_trend_start(first)
    week_start = min(trend_start, tier_start, *([stats_start] if stats_start else []))
    facts = prepare_facts(store, config, min(period.previous_first or first, week_start, spend_first), last)

    cur = facts.panel(first, last, "month", keep_lists=True)
    weekly = facts.panel(week_start, last, "week", keep_lists=True)
    if stats is None:
        stats = run_statistics(whole_weeks(weekly, stats_start, stats_end) if stats_start else None, config,
                               "the store holds too little history for a weekly panel")

    rows = team_rows(cur, min_n, period="month")
    if period.previous_first is not None and period.previous_last is not None:
        prev = facts.panel(period.previous_first, period.previous_last, "month", keep_lists=True)
        prev_org: Row | None = team_rows(prev, min_n, period="month").org
    else:
        prev_org = None
    org = rows.org
    spend = spend_section(store, config, first, last)
    quality = data_quality(store, config, first, last, top=10**9)

    trend = whole_weeks(weekly, trend_start, last)
    adoption = _adoption(store, config, rows, trend, period)
    cost = _cost(rows, spend, config, period)
    leading = _leading(store, config, rows, trend, period)
    tiers = _tiers(facts, weekly, rows.grouping, config.root.dora.year, tier_start, tier_end)
    lagging = LaggingSection(metric_table("lagging", f"Delivery outcomes by team, {period.label}", rows), tiers)
    unmatched, unmatched_share = _unmatched(quality)
    warnings = _warnings(org, quality, stats, (leading.split_note, adoption.edit_note), period)
    summary = _summary(org, prev_org, stats, period, cost, _spend_months(facts, spend_first, period, min_n),
                       unmatched_share, min_n)
    demo = _demo(store, stats)
    appendix = Appendix(
        coverage=metric_table("coverage", f"What each source supplied per team, {period.label}", rows, total=False),
        tiers=tiers, team_model=cost.team_model, spend_by_team=cost.spend.table,
        sessions_chart=adoption.sessions_chart, demo=demo)
    return MonthlyReport(
        title=f"AI adoption and delivery — {period.label}", org_name=config.root.report.organisation or org_name,
        period=period, min_group_size=min_n,
        summary=summary, stats=stats, adoption=adoption, cost=cost, leading=leading, lagging=lagging,
        quality=QualitySection(CoverageNote(min_n, rows.grouping.note), appendix.coverage,
                               quality.match_rates, unmatched, quality.supply, quality.ownership, tuple(warnings),
                               quality.quarantined),
        method=MethodNotes(definitions=(*definitions(config.timezone), *stats.definitions),
                           notes=(*stats.method_notes, *stats.warnings),
                           tool_mapping=tuple(m for m in MAPPINGS if m.tool in _tools_seen(adoption, cost)),
                           limitations=tuple(limitations(stats.available)),
                           external_intro=EXTERNAL_INTRO, studies=STUDIES),
        appendix=appendix, paper=paper_size(config))


def _tools_seen(adoption: AdoptionSection, cost: CostSection) -> set[str]:
    """The assistants this report has numbers for (the appendix maps only those, not every known tool)."""
    return {t.tool for t in adoption.tools} | {m.tool for m in cost.models}


def _spend_trend_start(first: date) -> date:
    """The first day of the month ``SPEND_MONTHS - 1`` months before ``first``'s."""
    d = first.replace(day=1)
    for _ in range(SPEND_MONTHS - 1):
        d = (d - timedelta(days=1)).replace(day=1)
    return d


def _spend_months(facts: Facts, start: date, period: Period, min_n: int) -> tuple[SpendMonth, ...]:
    """AI spend per calendar month up to the report's period, from the store's first data on (months
    before it are not months of zero spend); the current month's days say when it is partial. A month
    whose AI-active people were fewer than ``min_n`` is hidden: its spend is those few people's."""
    span_first = facts.store.con.execute("SELECT min(day) FROM ai_usage_daily").fetchone()
    if not span_first or span_first[0] is None:
        return ()
    lo = max(start, span_first[0])
    frame = facts.panel(lo, period.last, "month", keep_lists=True)
    if frame.empty:
        return ()
    by_month = frame.groupby("month").agg(usd=("ai_cost_usd", "sum"), days=("days", "max"))
    label = frame["month"].map(lambda m: f"{m:%Y-%m}")
    per_month = evaluate(frame, label, sorted(set(label)), period="month")
    out = []
    for m, r in by_month.iterrows():
        mf, ml = month_bounds(f"{m:%Y-%m}")
        hidden = org_usage_hidden(per_month[f"{m:%Y-%m}"], min_n)
        out.append(SpendMonth(f"{m:%b %Y}", math.nan if hidden else float(r["usd"]), int(r["days"]),
                              (ml - mf).days + 1, hidden))
    return tuple(out)


def _summary(org: Row, prev: Row | None, stats: StatsSection, period: Period, cost: CostSection,
             months: tuple[SpendMonth, ...], unmatched_share: float, min_n: int) -> SummarySection:
    verdict_list, evidence = verdicts(stats)
    no_usage = org.n("ai_active_dev_days") == 0 or org.n("ai_active_users") < min_n
    spend_now = math.nan if no_usage else org.value("ai_cost_usd")
    spend_prev = (math.nan if prev is None or prev.n("ai_active_dev_days") == 0 or prev.n("ai_active_users") < min_n
                  else prev.value("ai_cost_usd"))
    per_pr = math.nan if no_usage else org.value("cost_per_merged_pr")
    total = cost.spend.total_usd
    productive = dict(cost.spend.by_class).get("productive", math.nan) / total if total else math.nan
    pending_share = dict(cost.spend.by_class).get("pending", 0.0) / total if total else math.nan
    spend = spend_summary(spend_now, spend_prev, per_pr, productive, period, months, cost.spend.linked_share,
                          hidden=org_usage_hidden(org, min_n),
                          previous_hidden=org_usage_hidden(prev, min_n) if prev is not None else "",
                          pending=cost.spend.maturity_note, pending_share=pending_share)
    steps = next_steps(verdict_list, stats, period=period,
                       recommendations=sum(len(r.findings) for r in cost.spend.recommendations),
                       unmatched_share=unmatched_share, n_control=stats.n_control,
                       kinds=len(cost.spend.recommendations))
    return SummarySection(_headlines(org, prev, period, min_n), verdict_list, evidence, spend, steps)


def _demo(store: Store, stats: StatsSection) -> DemoTruth | None:
    """For a demo store: what was planted beside what this report estimated (None for a real store)."""
    found = queries.demo_truth(store)
    if found is None:
        return None
    planted, adoption = found
    line = {s.metric: s for s in stats.summary}

    def estimated(name: str) -> str:
        s = line.get(name)
        if s is None or math.isnan(s.estimate):
            return "not estimated (" + (stats.reason or (s.reason if s else "") or "too little data") + ")"
        # the same words as page one and the estimates tables
        return (f"{s.estimate:+.1f}{'%' if s.unit == '%' else ' ' + s.unit} (95% CI {s.low:+.1f} to {s.high:+.1f}), "
                f"{verdict_words(s.verdict)}")

    adopting = int(adoption["adoption_day"].notna().sum())
    effect, incident = float(planted["effect"]), float(planted["incident_effect"])  # type: ignore[arg-type]
    rows: tuple[tuple[str, str, str], ...] = (
        ("Change in PR cycle time after a team adopts", f"{100 * effect:+.0f}%", estimated("pr_cycle_time_h")),
        ("Change in the chance a deployment fails after a team adopts", f"{100 * incident:+.0f}% (relative)",
         estimated("change_failure_rate") + " — in percentage points of the rate, not relative"),
        ("Teams: adopting / never adopting", f"{adopting} / {len(adoption) - adopting}",
         stats.level if stats.available else "no estimate"),
    )
    trend = float(planted.get("confound_trend_sd_per_week", 0.0) or 0.0)  # type: ignore[arg-type]
    if trend:
        rows = (*rows, ("Adopting teams' own trend in cycle time (a confounder)", f"{trend:+.3f} SD per week",
                        "the pre-trend check in section 6 is there to catch this"))
    note = (f"This store was made by `correlate demo` (seed {planted['seed']}, as of {planted['as_of']}): a "
            "synthetic organisation whose true effects are known, so the estimates can be checked against them. "
            "A real store has no such table and no such appendix.")
    return DemoTruth(rows, note)


def _headlines(org: Row, prev: Row | None, period: Period, min_n: int) -> tuple[Headline, ...]:
    usage_missing = org.n("ai_active_dev_days") == 0
    # the whole organisation's usage is a few people's when fewer than min_n used an assistant
    few = 0 < org.n("ai_active_users") < min_n
    prev_few = prev is not None and 0 < prev.n("ai_active_users") < min_n

    def h(name: str, note: str = "") -> Headline:
        m = metric(name)
        value, before = org.value(name), math.nan if prev is None else prev.value(name)
        hidden = previous_hidden = ""
        if about_ai_users(m):
            if usage_missing or few:
                value = math.nan  # no usage data: "no data", not 0% or $0.00; or too few people to show: "hidden"
                hidden = hidden_reason(min_n) if few else ""
                note = "" if few else note
            if prev is not None and (prev.n("ai_active_dev_days") == 0 or prev_few):
                before = math.nan
                previous_hidden = hidden_reason(min_n) if prev_few else ""
        return Headline(m.title, value, before, m.fmt, note, hidden, previous_hidden)

    return (
        h("adoption_share", "" if usage_missing else f"{org.n('ai_active_users')} of {org.n('headcount')} people"),
        h("ai_cost_usd"),
        h("cost_per_merged_pr", f"spend ÷ {org.n('prs_merged')} merged PRs"),
        h("pr_cycle_time_h", "ready → merge"),
        h("change_failure_rate", f"{org.n('change_failure_rate')} of {org.n('deployments')} deployments"
          if org.n("deployments") else ""),
    )


# ---- charts -------------------------------------------------------------------------------------------


def _chart_teams(rows: TeamRows, *, usage: bool = False) -> tuple[list[str], list[str] | None]:
    """The teams drawn in trend charts and, when there are too many, all the teams their median covers.

    ``usage``: the chart shows AI usage, so teams whose usage the tables hide are not drawn either (their
    line would be the weekly usage of one or two people); they still count in the median of all teams."""
    eligible = [lab for lab in rows.labels if lab not in (OTHER, SUPPRESSED)]
    if usage and any(lab in rows.hidden for lab in eligible):
        drawn = [lab for lab in eligible if lab not in rows.hidden]
        largest = sorted(drawn, key=lambda t: (-rows.rows[t].n("headcount"), t))
        return largest[:MAX_CHART_TEAMS], eligible
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
        # "all N" beside the N+1 teams of page one's "How sure" read as a miscount: the median covers the teams
        # large enough to show, the statistics every team
        title = (f"{title}: the {len(shown)} largest teams and the median of the {len(eligible)} teams large enough "
                 "to show")
    rows = tuple((w, *[None if pd.isna(v) else float(v) for v in values])
                 for w, values in zip(frame.index, frame.to_numpy(), strict=True))
    return ChartData(title, "line", ("week", *map(str, frame.columns)), rows, fmt, {"height": 2.2, **options})


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
    shown, eligible = _chart_teams(rows, usage=True)
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
                           "Weekly AI adoption share by team (active AI users ÷ team members; whole weeks)", "pct",
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
                           "Weekly median PR cycle time by team (hours, ready → merge; whole weeks)", "hours",
                           ylabel="hours"),
        table=metric_table("leading", f"Pull-request flow by team, {period.label}", rows),
        split=split, split_note=split_note)


HIDDEN_ROW = "Teams not shown one by one (few AI users)"


def _by_label(frame: pd.DataFrame, rows: TeamRows, values: list[str]) -> tuple[pd.DataFrame, bool]:
    """Sum ``values`` of a per-team frame under each table label (shown team, Other, Suppressed); teams whose
    AI usage may not be shown (:attr:`TeamRows.hidden`) add up to one :data:`HIDDEN_ROW` instead.

    Returns the frame and whether the hidden row must itself be blanked (its teams have fewer AI-active
    people together than the minimum group size)."""
    grouping = rows.grouping

    def label(team: str) -> str | None:
        lab = grouping.row_label(team)
        return HIDDEN_ROW if lab in rows.hidden else lab

    labelled = frame.assign(label=frame["team"].map(label)).dropna(subset=["label"])
    out = labelled.groupby("label")[values].sum()
    order = [lab for lab in grouping.labels if lab in out.index and lab not in rows.hidden]
    users = sum(rows.rows[lab].n("ai_active_users") for lab in rows.hidden)
    return out.reindex(order + ([HIDDEN_ROW] if HIDDEN_ROW in out.index else [])), users < grouping.min_group_size


def _matrix(columns: tuple[str, ...], frame: pd.DataFrame, blank_hidden: bool, min_n: int) -> Matrix:
    """A matrix with a total column; the cells of a hidden row print "hidden" (never "no data", which means
    missing data) and the note under the table says why."""
    rows = tuple((lab, *(["hidden"] * (len(r) + 1) if lab == HIDDEN_ROW and blank_hidden else
                         (*map(float, r), float(r.sum()))))
                 for lab, r in zip(frame.index, frame.to_numpy(float), strict=True))
    hidden = blank_hidden and HIDDEN_ROW in frame.index
    note = f"{HIDDEN_ROW}: {hidden_reason(min_n)}, even together." if hidden else ""
    return Matrix(columns, rows, "usd", note)


def _cost(rows: TeamRows, spend: SpendSection, config: Config, period: Period) -> CostSection:
    grouping = rows.grouping
    min_n = grouping.min_group_size
    # the spend chart: the largest spenders among the shown teams, the rest as one bar; teams whose usage is
    # hidden are one bar together, and none when even together they are too few people
    spenders = sorted(((lab, rows.rows[lab].value("ai_cost_usd")) for lab in rows.labels if lab not in rows.hidden),
                      key=lambda b: (-b[1], b[0]))
    bars = spenders[:MAX_CHART_TEAMS]
    if spenders[MAX_CHART_TEAMS:]:
        rest = spenders[MAX_CHART_TEAMS:]
        bars.append((f"all other {len(rest)} teams", float(sum(v for _, v in rest))))
    if rows.hidden and sum(rows.rows[lab].n("ai_active_users") for lab in rows.hidden) >= min_n:
        bars.append((HIDDEN_ROW, float(sum(rows.rows[lab].value("ai_cost_usd") for lab in rows.hidden))))
    chart = ChartData(f"AI spend by team, {period.label} (USD)", "bar", ("team", "USD"), tuple(bars), "usd",
                      {"xlabel": "USD", "svg_title": f"AI spend by team, {period.label}"})

    by_model = spend.by_team_model
    if len(by_model):
        wide = by_model.pivot_table(index="team", columns="model", values="total", aggfunc="sum",
                                    fill_value=0.0).reset_index()
        pivot, blank = _by_label(wide, rows, sorted(set(by_model["model"])))
    else:
        pivot, blank = pd.DataFrame(), False
    models = list(pivot.columns)
    team_model = _matrix(("Team", *models, "Total"), pivot, blank, min_n)

    def model_row(tool: str, model: str, r: dict[str, Any]) -> ModelCost:
        return ModelCost(tool, model, *(float(r[c]) for c in (
            "cost_usd", "tokens_input", "tokens_output", "tokens_cache_read", "cache_read_share", "cache_saved_usd",
            "uncached_cost_usd", "batch_saving_usd")))

    records = spend.models.to_dict("records")
    # a model row used by fewer people than the minimum group size is their spend: shown only in the total
    lines = tuple(model_row(str(r["tool"]), display_name(r["model"]), r) for r in records
                  if int(r.get("people", min_n) or 0) >= min_n)
    few = sorted({f"{r['tool']} / {display_name(r['model'])}" for r in records
                  if int(r.get("people", min_n) or 0) < min_n})
    total_line = model_row("All", "all models (savings: priced models only)", model_costs_total(spend.models))
    prices_note = ("Prices: the one price table in force on each usage day (shipped list prices"
                   + (f", with your [prices] file {config.root.prices.file}" if config.root.prices.file else "")
                   + "). Caching saved = cache-read tokens × (input price − cache-read price). The Batch API "
                   "discount applies only to asynchronous jobs: interactive assistant sessions cannot use it, so the "
                   "last column is what it would change if this work could be batched, not a saving available today. "
                   "Models without a price show “no data”."
                   + (f" Not shown one by one (fewer than {min_n} people each; in the total): {', '.join(few)}."
                      if few else ""))
    return CostSection(chart=chart, table=metric_table("cost", f"AI spend per unit of work, {period.label}", rows),
                       team_model=team_model, models=lines, model_total=total_line, unmapped_usd=spend.unmapped_usd,
                       # a few unclaimed identities' spend is those people's spend
                       unmapped_hidden=(f"the amount is hidden: fewer than {min_n} identities"
                                        if 0 < spend.unmapped_identities < min_n else ""),
                       price_note=prices_note, spend=_spend_classes(spend, rows), hidden=rows.org_hidden)


def _spend_classes(spend: SpendSection, rows: TeamRows) -> SpendClasses:
    """The spend classes per shown label, and the recommendations about teams the report may name."""
    grouping = rows.grouping
    by_team = spend.by_team
    classes = list(CLASSES)
    per_label, blank = _by_label(by_team, rows, classes) if len(by_team) else (pd.DataFrame(columns=classes), False)
    table = _matrix(("Team", *classes, "Total"), per_label, blank, grouping.min_group_size)
    # a recommendation names a team only when the team's own rows may be shown (not merged, suppressed, or
    # with so few AI users that their usage describes individuals)
    named = {t for t, lab in grouping.shown.items() if lab == t and lab not in rows.hidden}
    shown = [r for r in spend.recommendations if r.team in named]
    kinds = list(dict.fromkeys(r.kind for r in shown))  # in the order the recommendations came
    recs = tuple(Recommendation(kind_title(k), tuple((display_name(r.team), r.message.replace(r.team,
                                                                                              display_name(r.team)))
                                                     for r in shown if r.kind == k),
                                next(r.evidence_bar for r in shown if r.kind == k),
                                next(r.encoding for r in shown if r.kind == k)) for k in kinds)
    hidden = len(spend.recommendations) - len(shown)
    linked = 1.0 - spend.rule_shares.get("unattributed", 0.0) if spend.total_usd else float("nan")
    thresholds = "; ".join(describe_thresholds(spend.thresholds))
    return SpendClasses(spend.total_usd, tuple((c, spend.by_class[c]) for c in classes), linked, table, recs,
                        thresholds, f"{hidden} recommendation(s) about teams the report does not name one by one "
                                    "(small teams, or teams with few AI users) are not shown." if hidden else "",
                        hidden=rows.org_hidden, maturity_note=not_yet_judged(spend))


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


def _unmatched(quality: DataQuality) -> tuple[pd.DataFrame, float]:
    """Per source: how many identities matched no team and how many rows they carry (counts only: the
    identities themselves are for the admin, in ``correlate export identities``); and the share of AI-usage
    rows that matched no team."""
    u = quality.unmatched
    counts = (u.groupby("source").agg(identities=("identity", "nunique"), rows=("rows", "sum")).reset_index()
              if len(u) else pd.DataFrame(columns=["source", "identities", "rows"]))
    usage = quality.match_rates[quality.match_rates["source"].str.startswith("ai_usage")]
    total = float(usage["rows"].sum())
    share = 1.0 - float(usage["matched"].sum()) / total if total else float("nan")
    return counts, share


def _warnings(org: Row, quality: DataQuality, stats: StatsSection, notes: tuple[str, ...],
              period: Period) -> list[str]:
    out = []
    if period.note:
        out.append(period.note)
    if org.n("ai_active_dev_days") == 0:
        out.append("No AI-assistant usage was stored for this period: adoption and cost say “no data”, not zero.")
    if org.n("deployments") == 0:
        out.append("No production deployments were stored for this period: lagging indicators say “no data”.")
    for r in quality.match_rates.itertuples():
        if r.rows and r.match_rate == r.match_rate and r.match_rate < 0.9:
            out.append(f"Only {100 * r.match_rate:.0f}% of {r.source} rows matched a team; the rest are missing from "
                       "team totals (`correlate export identities` lists the identities to add).")
    if not stats.available:
        out.append(f"Statistical estimates unavailable: {stats.reason}.")
    out.extend(n for n in notes if n)
    return out
