"""The team comparison's builder: chosen teams side by side, with differences and intervals.

Each indicator is shown two ways: the window's value per team (as in the monthly report) and the
difference of each team's weekly median (rates: pooled rate) from the first team's, with a
moving-block bootstrap interval. Teams below ``[report] min_group_size`` are refused: a comparison of
named small teams would expose individuals, and merging them into "Other" would not be the team the
reader asked for.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate.config import Config
from correlate.errors import UsageError
from correlate.metrics.catalogue import metric
from correlate.metrics.catalogue import table as catalogue_table
from correlate.metrics.rows import row_sums, row_values
from correlate.panel import prepare_facts
from correlate.report.paper import paper_size
from correlate.report.sections import ChartData, ComparisonReport, Diff, Indicator, Period
from correlate.report.teams import TeamGrouping, metric_table, team_rows
from correlate.stats.block_bootstrap import BLOCK, median_difference, pooled_rate_difference
from correlate.stats.compare import compare_outcomes
from correlate.stats.outcomes import outcome_by_name
from correlate.stats.suite import prepare_weekly
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
    "Intervals are 95% moving-block bootstrap intervals (blocks of 4 weeks) of the difference in weekly medians "
    "(for the two rates, of the difference in rates pooled over the window). "
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
    each team after the first, a difference from the first with a 95% interval: from the statistics
    engine's team comparison for the metrics it models (with BH-adjusted p-values), else from the same
    moving-block bootstrap (:mod:`correlate.stats.block_bootstrap`). The header names the config's
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
    engine = _engine_diffs(weekly, teams, reps, seed)
    indicators = []
    for m in catalogue_table("compare_indicators"):
        per_team = {t: row_values(series[t], m.name).to_numpy(dtype=float) for t in teams}
        diffs = []
        for t in teams[1:]:
            if (t, m.name) in engine:
                diffs.append(engine[(t, m.name)])
                continue
            if m.show in ("value_of", "count_share"):
                # shares of events (n of N): pooled over the window, as weekly they are mostly 0 and their
                # medians would say nothing
                other, ref = series[t], series[teams[0]]
                d = pooled_rate_difference(*(row_sums(f, cols).to_numpy(float) for f in (other, ref)
                                             for cols in (m.numerator, m.denominator)), reps=reps, seed=seed)
            else:
                d = median_difference(per_team[t], per_team[teams[0]], reps=reps, seed=seed)
            diffs.append(Diff(t, d.difference, d.low, d.high, min(d.n_a, d.n_b)))
        diffs = [replace(d, note=degenerate(d)) for d in diffs]
        indicators.append(Indicator(m.name, m.title, m.fmt, m.diff_fmt,
                                    tuple(rows.rows[t].value(m.name) for t in teams), tuple(diffs)))

    weeks = sorted(weekly["week"].unique())

    def line(title: str, name: str, fmt: str, **options: Any) -> ChartData:
        data: dict[str, list[float | None]] = {}
        for t in teams:
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
        engine_outcomes=tuple(metric(n).title for n in sorted({k[1] for k in engine}, key=_order)), notes=notes,
        paper=paper_size(config))


NO_SPREAD = ("No spread: every resample gave the same difference, because the weekly values barely vary (for example "
             "one team at the same share every week). The bootstrap cannot measure uncertainty here, so read the "
             "difference as a description of these weeks, not as a precise estimate.")
AT_ZERO = ("An end of the interval is exactly 0 because many weekly values are tied (weeks with the same value, or "
           "with no events); the interval is coarse, not precise.")


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


def _order(name: str) -> int:
    return [m.name for m in catalogue_table("compare_indicators")].index(name)


def _engine_diffs(weekly: pd.DataFrame, teams: list[str], reps: int, seed: int) -> dict[tuple[str, str], Diff]:
    """The statistics engine's team comparison (``correlate.stats.compare``) for the compared metrics it
    models, each team against the first (p-values adjusted across those metrics, per pair)."""
    names = [m.name for m in catalogue_table("compare_indicators") if m.model is not None]
    specs = tuple(s for s in (outcome_by_name(n) for n in names) if s is not None)
    prepared = prepare_weekly(weekly.drop(columns=[c for c in weekly.columns if c.startswith("_")]))
    out: dict[tuple[str, str], Diff] = {}
    for t in teams[1:]:
        results, adjusted = compare_outcomes(prepared, specs, t, teams[0], reps=reps, seed=seed)
        for r, p in zip(results, adjusted, strict=True):
            out[(t, r.outcome)] = Diff(t, r.statistic, r.ci.low, r.ci.high, min(r.n_a, r.n_b), p)
    return out


def default_window(last_day: date, days: int = 91) -> tuple[date, date]:
    """The 13 whole weeks ending on the Sunday on or before ``last_day``."""
    end = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return end - timedelta(days=days - 1), end
