"""The team comparison report's view-model: chosen teams side by side, with differences and intervals.

Each indicator is shown two ways: the window's value per team (as in the monthly report) and the
difference of each team's weekly median from the first team's, with a moving-block bootstrap
interval (:mod:`correlate.html.team_bootstrap`). Teams below ``[report] min_group_size`` are
refused: a comparison of named small teams would expose individuals, and merging them into
"Other" would not be the team the reader asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from correlate.config import Config
from correlate.errors import UsageError
from correlate.html import charts
from correlate.html.chart import Chart
from correlate.html.team_bootstrap import BLOCK, median_difference, pooled_rate_difference
from correlate.html.teams import TeamRow, ratio, team_row
from correlate.panel import build_panel
from correlate.store import Store

__all__ = ["CAVEATS", "CompareContext", "Diff", "Indicator", "compare_context", "parse_teams"]

CAVEATS = [
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
]


@dataclass(frozen=True)
class Diff:
    """One team's weekly-median difference from the first team on one indicator.

    ``p_bh`` (Benjamini–Hochberg across the engine's outcomes for this pair) is set only where the
    statistics engine made the comparison; the report's own bootstrap gives intervals, no p-values.
    """

    team: str
    value: float
    low: float
    high: float
    weeks: int
    p_bh: float | None = None


@dataclass(frozen=True)
class Indicator:
    """One indicator: window value per team, weekly medians per team, differences vs the first team."""

    label: str
    fmt: str
    diff_fmt: str
    values: list[float]
    weekly_medians: list[float]
    diffs: list[Diff]


@dataclass
class CompareContext:
    title: str
    org_name: str
    window: str
    teams: list[str]
    rows: list[TeamRow]
    reference: str
    indicators: list[Indicator]
    charts: list[Chart]
    caveats: list[str]
    min_group_size: int
    reps: int
    block: int
    engine: bool = False


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


_Weekly = Callable[[pd.DataFrame], pd.Series]


def _safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num.astype(float) / den.astype(float).where(den > 0)).astype(float)


# indicator label -> the statistics engine's outcome (correlate.stats.outcomes) measuring the same thing
ENGINE_OUTCOME = {"Merged PRs per person-week": "prs_merged_per_dev_week", "Median PR cycle time": "pr_cycle_time_h",
                  "Median review time": "pr_review_time_h", "Deployments per week": "deployments_per_week",
                  "Change failure rate": "change_failure_rate"}

INDICATORS: list[tuple[str, str, str, str, _Weekly]] = [
    # label, TeamRow field, fmt, diff fmt, weekly series
    ("Adoption share", "adoption_share", "pct", "d_pct",
     lambda w: _safe_div(w["ai_active_users"], w["headcount"])),
    ("AI spend per AI-active developer-day", "cost_per_dev_day", "usd", "d_usd",
     lambda w: _safe_div(w["ai_cost_usd"].fillna(0), w["ai_active_dev_days"])),
    ("Merged PRs per person-week", "_prs_per_person_week", "num", "d_num",
     lambda w: _safe_div(w["prs_merged"] * 5, w["dev_days"])),
    ("Median PR cycle time", "cycle_h", "hours", "d_hours", lambda w: w["pr_cycle_time_h_median"].astype(float)),
    ("Median review time", "review_h", "hours", "d_hours", lambda w: w["pr_review_time_h_median"].astype(float)),
    ("Median PR size (lines)", "size", "int", "d_num", lambda w: w["pr_size_median"].astype(float)),
    ("Share merged without review", "merged_without_review_share", "pct", "d_pct",
     lambda w: _safe_div(w["prs_merged_without_review"], w["prs_merged"])),
    ("Deployments per week", "deploys_per_week", "num", "d_num", lambda w: w["deployments"].astype(float)),
    ("Median lead time", "lead_time_h", "hours", "d_hours", lambda w: w["lead_time_h_median"].astype(float)),
    ("Change failure rate", "cfr", "pct", "d_pct", lambda w: _safe_div(w["deployments_failed"], w["deployments"])),
]


# rate rows compared as rates pooled over the window: label -> (events column, trials column)
POOLED = {"Share merged without review": ("prs_merged_without_review", "prs_merged"),
          "Change failure rate": ("deployments_failed", "deployments")}


def _value(row: TeamRow, field: str) -> float:
    if field == "_prs_per_person_week":
        return ratio(row.prs_merged * 7, row.headcount * row.days)
    return float(getattr(row, field))


def compare_context(store: Store, config: Config, teams: list[str], since: date, until: date, *,
                    org_name: str = "Your organisation") -> CompareContext:
    """The comparison of ``teams`` (validated names) over ``[since, until]``.

    Raises:
        UsageError: a team has fewer people than ``[report] min_group_size`` in the window.
    """
    min_n = config.root.report.min_group_size
    reps, seed = config.root.analysis.bootstrap_reps, config.root.analysis.seed
    weekly = build_panel(store, config, since, until, "week", keep_lists=True)
    days = (until - since).days + 1
    small = {t: int(weekly.loc[weekly["team"] == t, "headcount"].max() or 0) for t in teams}
    small = {t: n for t, n in small.items() if n < min_n}
    if small:
        listed = ", ".join(f"{t} ({n} people)" for t, n in small.items())
        raise UsageError(f"cannot compare {listed}: below [report] min_group_size = {min_n}. Team-level numbers "
                         "for so few people describe individuals; compare larger teams or a merged group in the "
                         "monthly report.")
    rows = [team_row(t, weekly[weekly["team"] == t], days) for t in teams]
    series = {t: weekly[weekly["team"] == t].sort_values("week") for t in teams}
    engine = _engine_diffs(weekly, teams, reps, seed)
    indicators = []
    for label, field, fmt, diff_fmt, fn in INDICATORS:
        per_team = {t: fn(series[t]).to_numpy(dtype=float) for t in teams}
        diffs = []
        for t in teams[1:]:
            if (t, ENGINE_OUTCOME.get(label)) in engine:
                diffs.append(engine[(t, ENGINE_OUTCOME[label])])
                continue
            if label in POOLED:  # rates: pooled over the window (weekly rates are mostly 0)
                ev, tr = POOLED[label]
                ref, other = series[teams[0]], series[t]
                d = pooled_rate_difference(ref[ev].to_numpy(float), ref[tr].to_numpy(float),
                                           other[ev].to_numpy(float), other[tr].to_numpy(float), reps=reps, seed=seed)
            else:
                d = median_difference(per_team[teams[0]], per_team[t], reps=reps, seed=seed)
            diffs.append(Diff(t, d.difference, d.low, d.high, min(d.n_a, d.n_b)))
        medians = [float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan") for v in per_team.values()]
        indicators.append(Indicator(label, fmt, diff_fmt, [_value(r, field) for r in rows], medians, diffs))

    weeks = sorted(weekly["week"].unique())

    def line(title: str, fn: _Weekly, fmt: str, **kw: Any) -> Chart:
        data: dict[str, list[float | None]] = {}
        for t in teams:
            s = series[t].set_index("week")
            vals = fn(s)
            data[t] = [None if w not in vals.index or pd.isna(vals.loc[w]) else float(vals.loc[w]) for w in weeks]
        svg = charts.line_chart(title, weeks, data, **kw)
        return Chart(title, svg, ["week", *teams], [[w, *[data[t][i] for t in teams]] for i, w in enumerate(weeks)],
                     fmt)

    chart_list = [
        line("Weekly AI adoption share", lambda w: _safe_div(w["ai_active_users"], w["headcount"]), "pct",
             ylabel="adoption", percent=True),
        line("Weekly median PR cycle time (hours)", lambda w: w["pr_cycle_time_h_median"].astype(float), "hours",
             ylabel="hours"),
        line("Weekly deployments", lambda w: w["deployments"].astype(float), "num", ylabel="deployments"),
    ]
    return CompareContext(
        title=f"Team comparison — {' vs '.join(teams)}", org_name=org_name,
        window=f"{since.isoformat()} to {until.isoformat()}", teams=teams, rows=rows, reference=teams[0],
        indicators=indicators, charts=chart_list, caveats=CAVEATS, min_group_size=min_n, reps=reps, block=BLOCK,
        engine=bool(engine))


def _engine_diffs(weekly: pd.DataFrame, teams: list[str], reps: int, seed: int) -> dict[tuple[str, str], Diff]:
    """The statistics engine's team comparison (``correlate.stats.compare``) for the outcomes it defines,
    each team against the first; empty when the engine is not part of this build."""
    try:
        from correlate.stats.compare import compare_outcomes
        from correlate.stats.outcomes import outcome_by_name
        from correlate.stats.suite import prepare_weekly
    except ImportError:
        return {}
    specs = tuple(s for s in (outcome_by_name(n) for n in ENGINE_OUTCOME.values()) if s is not None)
    prepared = prepare_weekly(weekly.drop(columns=[c for c in weekly.columns if c.startswith("_")]))
    out: dict[tuple[str, str], Diff] = {}
    for t in teams[1:]:
        results, adjusted = compare_outcomes(prepared, specs, t, teams[0], reps=reps, seed=seed)
        for r, p in zip(results, adjusted, strict=True):
            out[(t, r.outcome)] = Diff(t, r.statistic, r.ci.low, r.ci.high, min(r.n_a, r.n_b), p)
    return out


def default_window(last_day: date, days: int = 91) -> tuple[date, date]:
    """The 13 weeks ending on ``last_day``."""
    return last_day - timedelta(days=days - 1), last_day
