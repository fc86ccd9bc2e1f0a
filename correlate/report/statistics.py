"""The statistics a report prints, as a typed section — or a stated reason why there are none.

The numbers come only from the statistics engine (``correlate.stats.suite.run_suite``, run once per
report by :func:`run_statistics`); :func:`from_suite` converts its immutable results into the rows a
template prints and never computes an estimate itself. When the engine cannot run on these data,
:func:`unavailable` carries the reason and the report prints "statistical estimates unavailable:
<reason>" instead of numbers. Wording (which verbs a rung allows) is the engine's
(``correlate.stats.wording``); the report prints its sentences as given.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import Any

import pandas as pd

from correlate.config import Config
from correlate.errors import CorrelateError
from correlate.metrics.catalogue import METRICS, metric
from correlate.report.queries import data_span
from correlate.report.sections import AssocRow, AttRow, ChartData, CohortRow, StatLine, StatsSection
from correlate.stats.suite import run_suite
from correlate.stats.units import event_study_display, to_display
from correlate.stats.wording import event_study_caption
from correlate.store import Store

__all__ = ["from_suite", "plain_note", "run_statistics", "statistics_window", "unavailable"]

_METRIC_NAMES = frozenset(m.name for m in METRICS)
RUNG_LABEL = {1: "1 · between-team association", 2: "2 · within-team association",
              3: "3 · interrupted time series", 4: "4 · difference-in-differences"}


def unavailable(reason: str) -> StatsSection:
    """A view that says why there are no estimates (the report prints the reason, never numbers)."""
    return StatsSection(available=False, reason=reason)


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


# A ratio whose 95% interval spans more than this factor (e.g. incidents per 100 deployments from a handful of
# incidents: "+538% [-97%, +120,235%]") says nothing a reader can use; its numbers are not printed.
TOO_WIDE_FACTOR = 100.0


def too_wide(low: float, high: float, unit: str) -> bool:
    """Whether a percentage-change interval spans more than a :data:`TOO_WIDE_FACTOR`-fold change."""
    if unit != "%" or math.isnan(low) or math.isnan(high):
        return False
    return low <= -100 or (100 + high) / (100 + low) > TOO_WIDE_FACTOR


def from_suite(suite: Any, first_week: date | None = None) -> StatsSection:
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
        wide = head is not None and too_wide(head.ci.low, head.ci.high, head.unit)
        if r.primary:
            if head is not None:
                est = r.did.att_group if r.did else r.twfe
                nan3 = (math.nan, math.nan, math.nan)
                value, low, high = nan3 if wide else (head.value, head.ci.low, head.ci.high)
                summary.append(StatLine(label, r.sentence, r.paragraph or "", value, low, high,
                                        head.unit, est.n, est.n_units, RUNG_LABEL.get(r.rung, str(r.rung)),
                                        suite.bh(name, est.term if est.term != "att_group" else "did_att_group"),
                                        "too_wide" if wide else r.verdict, name, int(r.rung), _rung_reason(r),
                                        r.mde_business if r.mde_business is not None else math.nan,
                                        len(suite.pvalues)))
            else:
                summary.append(StatLine(label, r.sentence, r.paragraph or "", math.nan, math.nan, math.nan, "",
                                        r.descriptive.n, r.descriptive.n_units, RUNG_LABEL[1], None, r.verdict,
                                        name, 1, reason=_no_estimate(suite.gates)))
        if r.association is not None and r.within is not None:
            a, w = r.association, r.within
            assoc.append(AssocRow(label, a.statistic, a.ci.low, a.ci.high, a.n,
                                  suite.bh(name, "association_between_teams"), w.statistic, w.ci.low, w.ci.high,
                                  w.n))
        if r.did is not None and head is not None:
            d = r.did
            att.append(AttRow(label, head.value, head.ci.low, head.ci.high, head.unit,
                              r.mde_business if r.mde_business is not None else math.nan,
                              suite.bh(name, "did_att_group"), "too_wide" if wide else r.verdict,
                              "flat" if d.pretrend_ok else ("not tested" if d.pretrend is None
                                                            else "not flat: read with care"),
                              d.n_adopting, d.n_control, r.paragraph or "", too_wide=wide))
            scale = d.att_group.scale
            unit = _display_unit(scale, r.spec.unit)
            if r.primary:
                cohort_columns.append(label)
                for cohort, value, _se in d.cohort_effects:
                    by_cohort.setdefault(float(cohort), {})[label] = (_to_display(value, scale), unit)
            # The statistics engine picks the plotted window (event times with at least half the adopting teams
            # behind them), bounds the axis and words the caption; the data table keeps every point.
            view = event_study_display(d, scale=scale, unit=unit,
                                       mde=d.att_group.mde if (d.att_ratio or d.att_group) is d.att_group else None)
            if view is not None and r.primary:
                every = sorted([(e.event_time, e.att, e.ci.low, e.ci.high)
                                for e in (d.event_study_universal or d.event_study)]
                               + [(view.reference, 0.0, 0.0, 0.0)])
                title = event_study_caption(f"Event study: {label}", view, n_adopting=d.n_adopting)
                studies.append(ChartData(
                    title, "event_study", ("weeks from adoption", "estimate", "95% low", "95% high"),
                    tuple((e, to_display(a, scale), to_display(lo_, scale), to_display(hi_, scale))
                          for e, a, lo_, hi_ in every), "num",
                    {"ylabel": unit, "mde": view.mde, "window": view.window, "ylim": view.axis, "width": 5.0,
                     "height": 2.6}))
    cohorts = tuple(CohortRow(week(c), tuple(by_cohort[c].get(col, (math.nan, "")) for col in cohort_columns))
                    for c in sorted(by_cohort))
    gates = suite.gates
    level = (f"{gates.level} ({gates.n_units} teams: {gates.n_adopting} adopting, {gates.n_control} comparison; "
             f"{gates.n_weeks} weeks)")
    return StatsSection(available=True, level=level, gate_text=suite.gate_text, summary=tuple(summary),
                        association=tuple(assoc), att=tuple(att), cohort_columns=tuple(cohort_columns),
                        cohorts=cohorts, event_studies=tuple(studies),
                        definitions=tuple(suite.adoption_definitions),
                        warnings=tuple(plain_note(w) for w in suite.warnings),
                        method_notes=(suite.gate_text, *suite.method_notes), n_control=int(gates.n_control))


def _no_estimate(gates: Any) -> str:
    """Why an outcome has no estimate, in the gates' own words ("only 1 adopting team (need 2); ..."), or ""
    when the gates allowed one (then the outcome itself had too little data)."""
    return "; ".join(gates.reasons) if gates.level == "descriptive" else ""


def _rung_reason(r: Any) -> str:
    """Why an outcome is worded below rung 4, in one sentence, when the engine says (else "")."""
    return r.did.rung_reason if r.did is not None else ""


# Names the engine's notes use for panel columns that are not catalogue metrics
_COLUMNS = {"dev_days": "developer-days", "working_days": "working days", "log_dev_days": "log developer-days",
            "log_working_days": "log working days", "log_deployments": "log deployments",
            "adoption_cohort": "adoption week", "week_index": "week"}
_TOKEN = re.compile(r"\b_y\b|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def plain_note(note: str) -> str:
    """An engine note in plain words: "change_failure_rate: between-team correlation of adoption_share and _y not
    computed: …" becomes "Change failure rate: between-team correlation of AI adoption share and change failure
    rate not computed: …". Configuration keys (``maturity_days``) are left as they are: a reader sets them."""
    outcome = "the outcome"
    head, sep, rest = note.partition(": ")
    if sep and head in _METRIC_NAMES:
        outcome = metric(head).label
        note = f"{metric(head).title}: {rest}"

    def word(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "_y":
            return outcome
        if token in _METRIC_NAMES:
            return metric(token).label
        return _COLUMNS.get(token, token)

    return _TOKEN.sub(word, note)


def statistics_window(store: Store, last: date, *, weeks: int = 53) -> date | None:
    """The Monday the statistics' weekly panel starts on: ``weeks`` weeks back from ``last``, but never
    before the first stored row (weeks before the data are not weeks of zero activity). None: no data."""
    span = data_span(store)
    if span is None:
        return None
    start = max(last - timedelta(weeks=weeks) + timedelta(days=1), span[0])
    start -= timedelta(days=start.weekday())  # whole ISO weeks
    return start if start < last else None


def run_statistics(weekly: pd.DataFrame | None, config: Config, why_none: str = "") -> StatsSection:
    """Run the statistics engine once on a team × week panel (``_`` list columns are ignored).

    Returns :func:`unavailable` with the reason when there is no panel (``why_none``) or the engine
    says the data cannot support an analysis (an ``AnalysisError``/``InputError``); other errors propagate.
    """
    if weekly is None:
        return unavailable(why_none)
    weekly = weekly.drop(columns=[c for c in weekly.columns if c.startswith("_")])
    try:
        suite = run_suite(weekly, config.root.analysis, primary=config.root.report.primary_outcomes)
    except CorrelateError as exc:
        return unavailable(str(exc))
    return from_suite(suite, min(weekly["week"]) if len(weekly) else None)
