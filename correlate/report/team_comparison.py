"""The team comparison's builder: chosen teams side by side, with differences and intervals.

Each indicator shows the window's value per team (as in the monthly report: medians of all the window's
events, ratios pooled over its weeks) and, for each team after the first, that value minus the first
team's: the difference of the very numbers printed beside it, so a reader can check it by subtraction. Its
95% interval comes from the moving-block bootstrap of the same window value recomputed on resampled weeks
(:mod:`correlate.report.window_statistic`). Teams below ``[report] min_group_size`` are refused: a
comparison of named small teams would expose individuals, and merging them into "Other" would not be the
team the reader asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate.config import Config
from correlate.errors import UsageError
from correlate.metrics.catalogue import Metric, metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.metrics.rows import Row, row_values
from correlate.panel import prepare_facts
from correlate.report.paper import paper_size
from correlate.report.sections import ChartData, ComparisonReport, Diff, Indicator, Period
from correlate.report.teams import TeamGrouping, about_ai_users, metric_table, team_rows
from correlate.report.window_statistic import difference
from correlate.stats.block_bootstrap import BLOCK
from correlate.stats.multiple import bh_adjust
from correlate.store import Store

__all__ = ["CAVEATS", "build_comparison", "default_window", "degenerate", "parse_teams", "whole_weeks_within"]

CAVEATS = (
    "Teams differ in the work they do: product area, codebase age and size, on-call load, release process and "
    "seniority all move these numbers. A difference here describes the teams, not what AI use did.",
    "Cycle time and PR size depend on how a team slices work; a team that merges many small PRs looks faster "
    "per PR without delivering more.",
    "Deployment counts depend on the release process (continuous deployment vs release trains) and on what the "
    "team owns; compare deployment numbers only between teams with similar pipelines.",
    "Change failure rate, incidents and time to restore rest on few events per team: intervals are wide, and one "
    "bad week can dominate a month.",
    "Each difference is one team's window value minus the first team's, as printed beside it; its 95% interval "
    "comes from resampling each team's weeks in blocks of 4 and recomputing the window value. "
    "An interval that includes 0 means the data cannot tell the teams apart on that indicator.",
    "Comparing several indicators at once makes some differences look clear by chance; read the pattern, "
    "not one cell.",
)


def parse_teams(teams: str, known: tuple[str, ...]) -> list[str]:
    """``A,B[,C]`` → team names, validated against the config.

    Raises:
        UsageError: fewer than 2 or more than 3 teams, a repeat, or a name the config does not know
            (the message lists the known teams).
    """
    names = [t.strip() for t in teams.split(",") if t.strip()]
    unknown = [t for t in names if t not in known]
    if unknown:
        raise UsageError(f"unknown team(s) {', '.join(repr(t) for t in unknown)} in --teams; the config knows: "
                         f"{', '.join(known)}.")
    if len(set(names)) != len(names):
        raise UsageError(f"--teams names a team twice: {teams!r}")
    if not 2 <= len(names) <= 3:
        raise UsageError(f"--teams needs 2 or 3 teams separated by commas, got {len(names)}.")
    return names


def build_comparison(store: Store, config: Config, teams: list[str], since: date, until: date, *,
                     org_name: str = "Your organisation") -> ComparisonReport:
    """The comparison of ``teams`` (validated names) over ``[since, until]``.

    The panel's facts are built once and aggregated by week; each indicator (the catalogue's
    ``compare_indicators`` table) gets a window value per team (the catalogue's pooled value) and, for
    each team after the first, that value minus the first team's, with a 95% moving-block bootstrap
    interval of the same window value. The metrics the statistics model also get a bootstrap p-value,
    Benjamini–Hochberg adjusted across them per pair. The header names the config's
    ``[report] organisation``, else ``org_name``.

    Raises:
        UsageError: a team has fewer people than ``[report] min_group_size`` in the window.
    """
    min_n = config.root.report.min_group_size
    reps, seed = config.root.analysis.bootstrap_reps, config.root.analysis.seed
    asked = (since, until)
    since, until = whole_weeks_within(since, until)
    weekly = prepare_facts(store, config, since, until).panel(since, until, "week", keep_lists=True)
    small = {t: int(weekly.loc[weekly["team"] == t, "headcount"].max() or 0) for t in teams}
    small = {t: n for t, n in small.items() if n < min_n}
    if small:
        listed = ", ".join(f"{t} ({n} people)" for t, n in small.items())
        raise UsageError(f"cannot compare {listed}: below [report] min_group_size = {min_n}. Team-level numbers "
                         "for so few people describe individuals; compare larger teams or a merged group in the "
                         "monthly report.")
    window = weekly[weekly["team"].isin(teams)]
    group = TeamGrouping(min_n, {t: 0 for t in teams}, {t: t for t in teams}, (), (), "")
    rows = team_rows(window, min_n, period="week", group=group, order=teams)
    series = {t: weekly[weekly["team"] == t].sort_values("week") for t in teams}
    indicators = [_indicator(m, teams, series, rows.rows, reps, seed, rows.hidden)
                  for m in catalogue_table("compare_indicators")]
    indicators = _adjust(indicators)

    weeks = sorted(weekly["week"].unique())

    def line(title: str, name: str, fmt: str, **options: Any) -> ChartData:
        data: dict[str, list[float | None]] = {}
        for t in teams:
            if t in rows.hidden and about_ai_users(metric(name)):  # as in the tables: those few people's usage
                data[t] = [None] * len(weeks)
                continue
            vals = row_values(series[t], name).set_axis(series[t]["week"])
            data[t] = [None if w not in vals.index or pd.isna(vals.loc[w]) else float(vals.loc[w]) for w in weeks]
        return ChartData(title, "line", ("week", *teams),
                         tuple((w, *[data[t][i] for t in teams]) for i, w in enumerate(weeks)), fmt, options)

    charts = (
        line("Weekly AI adoption share", "adoption_share", "pct", ylabel="adoption", percent=True),
        line("Weekly median PR cycle time (hours)", "pr_cycle_time_h", "hours", ylabel="hours"),
        line("Weekly deployments", "deployments", "num", ylabel="deployments"),
    )
    weeks_n = ((until - since).days + 1) // 7
    left_out = (since - asked[0]).days + (asked[1] - until).days
    period = Period(since, until, f"{since.isoformat()} (Mon) to {until.isoformat()} (Sun), {weeks_n} whole weeks",
                    note=(f"Whole weeks only: {left_out} day{'s' if left_out != 1 else ''} of partial weeks at the "
                          "edges of the requested window are left out, so that no partial week reads as a change."
                          if left_out else ""))
    notes = tuple(dict.fromkeys(d.note for ind in indicators for d in ind.diffs if d.note))
    return ComparisonReport(
        title=f"Team comparison — {' vs '.join(teams)}", org_name=config.root.report.organisation or org_name,
        period=period, teams=tuple(teams),
        reference=teams[0],
        table=metric_table("compare_teams", "Adoption, cost and delivery per team over the window", rows, total=False),
        indicators=tuple(indicators), charts=charts, caveats=CAVEATS, min_group_size=min_n, reps=reps, block=BLOCK,
        engine_outcomes=tuple(metric(i.key).title for i in indicators if metric(i.key).model is not None),
        notes=notes,
        paper=paper_size(config))


NO_SPREAD = ("No spread: every resample gave the same difference, because the teams' weeks barely vary (for example "
             "no failed deployment in any week, or the same people active every week). The bootstrap cannot measure "
             "uncertainty here, so read the difference as a description of these weeks, not as a precise estimate.")
AT_ZERO = ("An end of the interval is exactly 0 because many resamples tie (weeks with no events, or the same "
           "middle value drawn again); the interval is coarse, not precise.")


def degenerate(d: Diff) -> str:
    """Why an interval says less than it seems ("+92 pp [+92 pp, +92 pp]", "[0.0, +2.0]"), or ""."""
    if any(math.isnan(v) for v in (d.value, d.low, d.high)):
        return ""
    if d.low == d.high:
        return NO_SPREAD
    if (d.low == 0.0 or d.high == 0.0) and d.value != 0.0:
        return AT_ZERO
    return ""


def whole_weeks_within(since: date, until: date) -> tuple[date, date]:
    """The Monday on or after ``since`` and the Sunday on or before ``until``: the whole ISO weeks inside
    the window (a lone Sunday at the start read as a week of 10% adoption and no deployments).

    Raises:
        UsageError: the window holds no whole week.
    """
    first = since + timedelta(days=(7 - since.weekday()) % 7)
    last = until - timedelta(days=(until.weekday() + 1) % 7)
    if last < first + timedelta(days=6):
        raise UsageError(f"the window {since} to {until} holds no whole week (Monday to Sunday); the comparison "
                         "compares weekly values, so give it at least one whole week.")
    return first, last


def _indicator(m: Metric, teams: list[str], series: dict[str, pd.DataFrame], rows: Mapping[str, Row], reps: int,
               seed: int, hidden_rows: Mapping[str, str]) -> Indicator:
    """One row of the side-by-side table: each team's window value, and each later team's value minus the
    first's (the printed values' difference, by construction) with the bootstrap interval of that difference.

    An AI-usage figure of a team whose AI-active people are fewer than the minimum group size is hidden here
    as in the teams table (and so is any difference with it): it would describe those few people."""
    hidden = tuple(about_ai_users(m) and t in hidden_rows for t in teams)
    values = tuple(math.nan if h else rows[t].value(m.name) for t, h in zip(teams, hidden, strict=True))
    diffs = []
    for t, value, h in zip(teams[1:], values[1:], hidden[1:], strict=True):
        if h or hidden[0]:
            diffs.append(Diff(t, math.nan, math.nan, math.nan, 0, None, hidden=True))
            continue
        d = difference(m, series[t], series[teams[0]], reps=reps, seed=seed)
        diff = Diff(t, value - values[0], d.low, d.high, min(d.n_a, d.n_b),
                    d.pvalue if m.model is not None else None)
        diffs.append(replace(diff, note=degenerate(diff)))
    return Indicator(m.name, m.title, m.fmt, m.diff_fmt, values, tuple(diffs), hidden)


def _adjust(indicators: list[Indicator]) -> list[Indicator]:
    """The p-values of each pair, Benjamini–Hochberg adjusted across the indicators that have one."""
    tested = [i for i, ind in enumerate(indicators) if metric(ind.key).model is not None]
    out = list(indicators)
    for k in range(len(indicators[0].diffs) if indicators else 0):
        adjusted = bh_adjust([indicators[i].diffs[k].p_bh for i in tested])
        for i, p in zip(tested, adjusted, strict=True):
            diffs = list(out[i].diffs)
            diffs[k] = replace(diffs[k], p_bh=p)
            out[i] = replace(out[i], diffs=tuple(diffs))
    return out


def default_window(last_day: date, days: int = 91) -> tuple[date, date]:
    """The 13 whole weeks ending on the Sunday on or before ``last_day``."""
    end = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return end - timedelta(days=days - 1), end
