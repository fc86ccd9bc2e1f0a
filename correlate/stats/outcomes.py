"""The statistics' outcomes: which column, which likelihood, which exposure, which business unit.

The outcomes themselves are declared once, in the metric catalogue (``correlate.metrics.catalogue``,
table ``outcomes``); :class:`OutcomeSpec` is the shape the statistics read, built by :func:`from_metric`.

``docs/statistics.md`` §2.4 and §3.E: counts go through Poisson pseudo-ML with a log-exposure
offset (never a pre-divided ratio), proportions through a binomial (logit) model with the
denominator as trials, durations through log-linear models on weekly medians.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from correlate.metrics.catalogue import Metric
from correlate.metrics.catalogue import outcomes as catalogue_outcomes

__all__ = ["DEFAULT_OUTCOMES", "OutcomeSpec", "did_outcome", "from_metric", "outcome_by_name"]

Kind = Literal["count", "rate", "duration", "continuous"]


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """One outcome on the weekly panel.

    Attributes:
        name: stable key (config ``report.primary_outcomes`` uses these).
        column: weekly column with the count, successes or median duration.
        kind: ``count`` (PPML + offset), ``rate`` (binomial, ``trials`` = denominator column),
            ``duration`` (log-linear, hours), ``continuous`` (linear, as given).
        exposure: for counts, the column with **log** exposure (``log_dev_days``, ``log_working_days``).
        trials: for rates, the denominator column.
        per: multiply a per-exposure-unit rate by this for display (5 dev-days = 1 dev-week).
        unit: display unit of the level ("h", "PRs per dev-week", "%").
        min_events: cells below this many events are not shown (§2.4 engine defaults).
        lower_is_better: direction used only for plain-language wording ("faster", "fewer").
    """

    name: str
    column: str
    kind: Kind
    label: str
    unit: str
    exposure: str | None = None
    trials: str | None = None
    per: float = 1.0
    min_events: int = 0
    lower_is_better: bool = False


def from_metric(m: Metric) -> OutcomeSpec:
    """The statistics' view of a catalogue metric (its name, weekly column, model kind, exposure or trials)."""
    if m.model is None:
        raise ValueError(f"metric {m.name!r} has no statistical model in the catalogue")
    return OutcomeSpec(m.name, m.stats_column, m.model, m.label, m.unit, exposure=m.exposure, trials=m.trials,
                       per=m.scale if m.model == "count" else 1.0, min_events=m.min_events,
                       lower_is_better=m.lower_is_better)


# The outcomes are declared in the metric catalogue (correlate.metrics.catalogue); this is their adapter.
DEFAULT_OUTCOMES: tuple[OutcomeSpec, ...] = tuple(from_metric(m) for m in catalogue_outcomes())


def outcome_by_name(name: str) -> OutcomeSpec | None:
    return next((o for o in DEFAULT_OUTCOMES if o.name == name), None)


def did_outcome(weekly: pd.DataFrame, spec: OutcomeSpec) -> pd.Series:
    """The linear outcome the DiD estimator uses for ``spec``.

    Durations: log of the weekly median (effects are log ratios). Counts: the rate per ``per``
    exposure units (effects in those units; converted to % against the adopters' pre-period rate).
    Rates: the weekly proportion (effects in proportion points). Continuous: as given.
    """
    y = pd.to_numeric(weekly[spec.column], errors="coerce")
    if spec.kind == "duration":
        return np.log(y.where(y > 0))
    if spec.kind == "count" and spec.exposure:
        expo = np.exp(weekly[spec.exposure])
        return y / expo * spec.per
    if spec.kind == "rate" and spec.trials:
        n = pd.to_numeric(weekly[spec.trials], errors="coerce")
        return y / n.where(n > 0)
    return y
