"""The statistics a report prints, as plain view-models — or a stated reason why there are none.

The numbers come only from the statistics engine (``correlate.stats``, issue 6:
``correlate.stats.suite.run_suite``); this module converts its immutable results into rows the
templates print and never computes an estimate itself. When the engine is not part of the build, or
cannot run on these data, :func:`unavailable` carries the reason and the report prints
"statistical estimates unavailable: <reason>" instead of numbers. Wording (which verbs a rung allows)
is the engine's (``correlate.stats.wording``); the report prints its sentences as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from correlate.config import Config
from correlate.errors import CorrelateError
from correlate.html import charts
from correlate.html.chart import Chart
from correlate.html.queries import data_span
from correlate.panel import build_panel
from correlate.stats.units import event_study_display
from correlate.stats.wording import event_study_caption
from correlate.store import Store

__all__ = ["AssocRow", "AttRow", "CohortRow", "StatLine", "StatsView", "from_suite", "monthly_stats", "unavailable"]

RUNG_LABEL = {1: "1 · between-team association", 2: "2 · within-team association",
              3: "3 · interrupted time series", 4: "4 · difference-in-differences"}


@dataclass(frozen=True)
class StatLine:
    """One Summary sentence for a primary outcome, with the numbers it states."""

    outcome: str
    sentence: str
    paragraph: str
    estimate: float
    low: float
    high: float
    unit: str
    n: int
    n_units: int
    rung_label: str
    p_bh: float | None
    verdict: str


@dataclass(frozen=True)
class AssocRow:
    """Association of adoption with one outcome: between teams (rung 1) and within teams (rung 2)."""

    outcome: str
    between: float
    between_low: float
    between_high: float
    between_n: int
    between_p_bh: float | None
    within: float
    within_low: float
    within_high: float
    within_n: int
    within_p_bh: float | None
    twfe_sentence: str


@dataclass(frozen=True)
class AttRow:
    """The cohort-aggregated ATT of one outcome, in business units, with its minimum detectable effect."""

    outcome: str
    estimate: float
    low: float
    high: float
    unit: str
    mde: float
    p_bh: float | None
    verdict: str
    pretrend: str
    n_adopting: int
    n_control: int
    paragraph: str


@dataclass(frozen=True)
class CohortRow:
    """One adoption cohort's ATT per primary outcome: ``cells`` are (value, unit) in column order."""

    cohort: str
    cells: list[tuple[float, str]]


@dataclass(frozen=True)
class StatsView:
    """What sections 1, 4 and 6 print from the statistics engine."""

    available: bool
    reason: str = ""
    level: str = ""
    gate_text: str = ""
    summary: list[StatLine] = field(default_factory=list)
    association: list[AssocRow] = field(default_factory=list)
    att: list[AttRow] = field(default_factory=list)
    cohort_columns: list[str] = field(default_factory=list)
    cohorts: list[CohortRow] = field(default_factory=list)
    event_studies: list[Chart] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    method_notes: list[str] = field(default_factory=list)


def unavailable(reason: str) -> StatsView:
    """A view that says why there are no estimates (the report prints the reason, never numbers)."""
    return StatsView(available=False, reason=reason)


def _to_display(value: float, scale: str) -> float:
    """Model scale → the unit the report prints: log ratios as % change, proportions as points."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if scale == "log":
        return 100 * math.expm1(value)
    if scale == "pp":
        return max(-100.0, min(100.0, 100 * value))  # a change in a share is within +-100 points
    return float(value)


def _display_unit(scale: str, spec_unit: str) -> str:
    return {"log": "%", "pp": "pp"}.get(scale, spec_unit)


def from_suite(suite: Any, first_week: date | None = None) -> StatsView:
    """Convert a ``correlate.stats.suite.SuiteResult`` into the report's view.

    Args:
        suite: the engine's result.
        first_week: the Monday of week index 0 in the panel the suite ran on (labels cohorts by date).
    """

    def week(index: float) -> str:
        if first_week is None:
            return f"week {int(index)}"
        return f"week of {(first_week + timedelta(weeks=int(index))).isoformat()}"

    summary, assoc, att, studies = [], [], [], []
    by_cohort: dict[float, dict[str, tuple[float, str]]] = {}
    cohort_columns: list[str] = []
    for r in suite.outcomes:
        name, label = r.spec.name, r.spec.label
        head = r.headline
        if r.primary:
            if head is not None:
                est = r.did.att_group if r.did else r.twfe
                summary.append(StatLine(label, r.sentence, r.paragraph or "", head.value, head.ci.low, head.ci.high,
                                        head.unit, est.n, est.n_units, RUNG_LABEL.get(r.rung, str(r.rung)),
                                        suite.bh(name, est.term if est.term != "att_group" else "did_att_group"),
                                        r.verdict))
            else:
                summary.append(StatLine(label, r.sentence, r.paragraph or "", math.nan, math.nan, math.nan, "",
                                        r.descriptive.n, r.descriptive.n_units, RUNG_LABEL[1], None, r.verdict))
        if r.association is not None and r.within is not None:
            a, w = r.association, r.within
            assoc.append(AssocRow(label, a.statistic, a.ci.low, a.ci.high, a.n,
                                  suite.bh(name, "association_between_teams"), w.statistic, w.ci.low, w.ci.high, w.n,
                                  None, ""))
        if r.did is not None and head is not None:
            d = r.did
            att.append(AttRow(label, head.value, head.ci.low, head.ci.high, head.unit,
                              r.mde_business if r.mde_business is not None else math.nan,
                              suite.bh(name, "did_att_group"), r.verdict,
                              "flat" if d.pretrend_ok else ("not tested" if d.pretrend is None
                                                            else "not flat: read with care"),
                              d.n_adopting, d.n_control, r.paragraph or ""))
            scale = d.att_group.scale
            unit = _display_unit(scale, r.spec.unit)
            if r.primary:
                cohort_columns.append(label)
                for cohort, value, _se in d.cohort_effects:
                    by_cohort.setdefault(float(cohort), {})[label] = (_to_display(value, scale), unit)
            # The engine picks the plotted window (event times with at least half the adopting teams behind
            # them), bounds the axis and words the caption; the data table keeps every point.
            every = sorted(d.event_study_universal or d.event_study, key=lambda e: e.event_time)
            head_est = d.att_ratio or d.att_group
            view = event_study_display(d, scale=scale, unit=unit, mde=head_est.mde if head_est is d.att_group
                                       else None)
            if view is not None and r.primary:
                title = event_study_caption(f"Event study: {label}", view, n_adopting=d.n_adopting)
                svg = charts.event_study_chart(title, list(view.event_time), list(view.estimate), list(view.low),
                                               list(view.high), ylabel=unit, mde=view.mde, ylim=view.axis)
                studies.append(Chart(title, svg, ["weeks from adoption", "estimate", "95% low", "95% high"],
                                     [[e.event_time, _to_display(e.att, scale), _to_display(e.ci.low, scale),
                                       _to_display(e.ci.high, scale)] for e in every], "num"))
    cohorts = [CohortRow(week(c), [by_cohort[c].get(col, (math.nan, "")) for col in cohort_columns])
               for c in sorted(by_cohort)]
    gates = suite.gates
    level = (f"{gates.level} ({gates.n_units} teams: {gates.n_adopting} adopting, {gates.n_control} comparison; "
             f"{gates.n_weeks} weeks)")
    return StatsView(available=True, level=level, gate_text=suite.gate_text, summary=summary,
                     association=assoc, att=att, cohort_columns=cohort_columns, cohorts=cohorts,
                     event_studies=studies,
                     definitions=list(suite.adoption_definitions), warnings=list(suite.warnings),
                     method_notes=[suite.gate_text, *suite.method_notes])


def monthly_stats(store: Store, config: Config, last: date, *, weeks: int = 53) -> StatsView:
    """Run the statistics engine on the team × week panel of the ``weeks`` weeks ending on ``last``.

    Returns :func:`unavailable` with the reason when the engine is not in this build or says the
    data cannot support an analysis (an ``AnalysisError``/``InputError``); other errors propagate.
    """
    try:
        from correlate.stats.suite import run_suite  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return unavailable("the statistics engine (correlate.stats, issue 6) is not part of this build, so this "
                           "report shows descriptive numbers only")
    span = data_span(store)
    if span is None:
        return unavailable("the store holds no AI usage and no pull requests")
    # weeks before the first stored row are not weeks of zero activity: start at the data
    start = max(last - timedelta(weeks=weeks) + timedelta(days=1), span[0])
    start -= timedelta(days=start.weekday())  # whole ISO weeks
    if start >= last:
        return unavailable(f"the store has no data before {last.isoformat()}")
    weekly = build_panel(store, config, start, last, "week")
    # the engine derives weekly-active users and working days from build_panel's weekly columns
    try:
        suite = run_suite(weekly, config.root.analysis, primary=config.root.report.primary_outcomes)
    except CorrelateError as exc:
        return unavailable(str(exc))
    return from_suite(suite, min(weekly["week"]) if len(weekly) else None)
