"""The outcome catalogue: which column, which likelihood, which exposure, which business unit.

``docs/statistics.md`` §2.4 and §3.E: counts go through Poisson pseudo-ML with a log-exposure
offset (never a pre-divided ratio), proportions through a binomial (logit) model with the
denominator as trials, durations through log-linear models on weekly medians.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_OUTCOMES", "OutcomeSpec", "did_outcome", "outcome_by_name"]

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


DEFAULT_OUTCOMES: tuple[OutcomeSpec, ...] = (
    OutcomeSpec("pr_cycle_time_h", "pr_cycle_time_h_median", "duration", "median PR cycle time", "h",
                min_events=5, lower_is_better=True),
    OutcomeSpec("prs_merged_per_dev_week", "prs_merged", "count", "merged PRs per developer-week",
                "PRs per dev-week", exposure="log_dev_days", per=5.0),
    OutcomeSpec("change_failure_rate", "deployments_failed", "rate", "change failure rate", "%",
                trials="deployments", min_events=10, lower_is_better=True),
    OutcomeSpec("deployments_per_week", "deployments", "count", "deployments per working week",
                "deploys per week", exposure="log_working_days", per=5.0),
    OutcomeSpec("pr_review_time_h", "pr_review_time_h_median", "duration", "median PR review time", "h",
                min_events=5, lower_is_better=True),
    OutcomeSpec("incidents_per_100_deploys", "incidents", "count", "incidents per 100 deployments",
                "incidents per 100 deploys", exposure="log_deployments", per=100.0, lower_is_better=True),
)


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
