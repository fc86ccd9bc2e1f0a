"""Immutable result records for every statistic the engine produces. No formatting lives here.

Field names follow scipy (``statistic``, ``pvalue``, ``ci.low``/``ci.high``, ``n``, ``method``) so a
reader who knows ``scipy.stats`` knows these. A value that does not apply (a p-value suppressed by
the thin-data gates, a CI that could not be computed) is ``None`` or NaN, never a string.

Evidence rungs (``docs/statistics.md`` §1): 1 between-team association, 2 within-team association
(rm-corr, TWFE on intensity), 3 interrupted time series, 4 staggered difference-in-differences with
flat pre-trends. Wording helpers in :mod:`correlate.stats.wording` refuse causal verbs below rung 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from correlate.stats.pretrend import PretrendTest, Sensitivity

__all__ = [
    "AttGt",
    "ComparisonResult",
    "ConfidenceInterval",
    "CorrelationResult",
    "DescriptiveResult",
    "DidResult",
    "Estimate",
    "EventTime",
    "Gates",
    "PowerResult",
]

Rung = Literal[1, 2, 3, 4]


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    """A two-sided interval at ``level`` (0.95 unless stated)."""

    low: float
    high: float
    level: float = 0.95

    def contains(self, value: float) -> bool:
        """True when ``value`` lies inside the closed interval (False when either end is NaN)."""
        return bool(self.low <= value <= self.high)

    def as_list(self) -> list[float]:
        return [self.low, self.high]


NAN_CI = ConfidenceInterval(math.nan, math.nan)


@dataclass(frozen=True, slots=True)
class DescriptiveResult:
    """Section A: one outcome's distribution over team-weeks (or teams).

    ``coverage`` is the share of team-weeks in the window where the outcome is observed (not NULL).
    """

    outcome: str
    n: int
    n_units: int
    median: float
    q25: float
    q75: float
    coverage: float
    method: str = "median and interquartile range over team-weeks"


@dataclass(frozen=True, slots=True)
class CorrelationResult:
    """A rank or repeated-measures correlation. ``statistic`` is rho (or r); ``n`` counts what was
    resampled (teams for between-team, team-weeks for within-team; ``n_units`` is always teams)."""

    method: str
    statistic: float
    pvalue: float | None
    ci: ConfidenceInterval
    n: int
    n_units: int
    df: int | None = None
    pvalue_method: str | None = None
    ci_method: str | None = None
    rung: Rung = 1
    null: str = "no monotone association"


@dataclass(frozen=True, slots=True)
class Estimate:
    """One coefficient (or contrast) from a model, on the model's own scale.

    ``scale`` says how to read ``statistic``: ``"log"`` (log ratio; see
    :func:`correlate.stats.units.pct_change`), ``"level"`` (outcome units), ``"pp"`` (proportion
    points). ``df`` is the t degrees of freedom used for ``pvalue`` and ``ci`` (G − 1 for clustered
    models); ``None`` means the normal distribution. ``mde`` is the minimum detectable effect at
    80% power on the same scale.
    """

    method: str
    term: str
    statistic: float
    se: float
    pvalue: float | None
    ci: ConfidenceInterval
    n: int
    n_units: int
    df: int | None
    scale: Literal["log", "level", "pp"] = "level"
    mde: float | None = None
    rung: Rung = 2
    inference: str = "CRV1 cluster-robust by team, t(G-1)"

    @property
    def tstat(self) -> float:
        return self.statistic / self.se if self.se and self.se > 0 else math.nan


@dataclass(frozen=True, slots=True)
class AttGt:
    """Callaway–Sant'Anna ATT(g, t) for adoption cohort ``cohort`` in period ``time``."""

    cohort: float
    time: float
    att: float
    se: float


@dataclass(frozen=True, slots=True)
class EventTime:
    """One event-study point: periods relative to adoption (0 = first adopted period)."""

    event_time: int
    att: float
    se: float
    ci: ConfidenceInterval
    band: str  # "simultaneous (multiplier bootstrap)" or "pointwise (analytic)"
    n_treated: int = 0  # adopting teams behind the point (summed over its cohorts' cells)


@dataclass(frozen=True, slots=True)
class DidResult:
    """Section D: staggered difference-in-differences (Callaway–Sant'Anna).

    ``att_group`` (R ``aggte(type="group")``) is the headline; ``att_simple`` and ``att_dynamic`` are
    the other aggregations; each carries its own p-value and interval from one source (analytic
    t(G-1), or the wild cluster bootstrap-t for few teams). ``att_ratio`` is the headline as a log
    ratio (adopters' mean over its counterfactual) for outcomes that are positive quantities, so a
    percentage interval never passes -100%.

    ``event_study`` is R's default (varying base period, published parity); ``event_study_universal``
    compares every week with the last week before adoption (the reference, fixed at 0) and is what
    the pre-trend test, the sensitivity analysis and the chart use. ``event_window`` is the range of
    event times with enough adopting teams behind them to plot (see :func:`correlate.stats.did.event_window`).

    ``rung`` is 4 (worded as an effect) only when the pre-trend check passes with adequate power and
    the conclusion survives Mbar = 1; otherwise 2, and ``rung_reason`` says why in one sentence.
    """

    outcome: str
    control_group: Literal["never", "not_yet"]
    anticipation: int
    att_group: Estimate
    att_simple: Estimate
    att_dynamic: Estimate
    att_gt: tuple[AttGt, ...]
    event_study: tuple[EventTime, ...]
    cohort_effects: tuple[tuple[float, float, float], ...]  # (cohort, att, se)
    robustness: tuple[Estimate, ...]
    n_units: int
    n_adopting: int
    n_control: int
    n_periods: int
    baseline: float = math.nan  # adopting teams' pre-adoption median of the outcome level (hours, rate, share)
    warnings: tuple[str, ...] = ()
    method: str = "Callaway & Sant'Anna (2021) ATT(g,t), outcome regression, correlate.stats.cs (closed form)"
    event_study_universal: tuple[EventTime, ...] = ()
    event_window: tuple[int, int] = (0, 0)
    pretrend: PretrendTest | None = None
    sensitivity: Sensitivity | None = None
    att_ratio: Estimate | None = None
    rung: Rung = 2
    rung_reason: str = ""

    @property
    def pretrend_ok(self) -> bool:
        """The pre-trend check ran and did not reject (kept for views that show flat / not flat)."""
        return self.pretrend is not None and self.pretrend.passed


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Section E: team A vs team B on one outcome (difference ``a - b`` in weekly medians).

    ``effect_size`` is Cliff's delta (share of week pairs where A > B minus share where A < B).
    """

    outcome: str
    team_a: str
    team_b: str
    median_a: float
    median_b: float
    statistic: float
    ci: ConfidenceInterval
    pvalue: float | None
    effect_size: float
    n_a: int
    n_b: int
    method: str = "difference in medians, moving-block bootstrap over weeks (block = 4 weeks)"
    rung: Rung = 1


@dataclass(frozen=True, slots=True)
class PowerResult:
    """Minimum detectable effect for an estimate with standard error ``se`` and ``df`` degrees of freedom."""

    se: float
    df: int | None
    alpha: float
    power: float
    mde: float
    method: str = "MDE = (t_{1-alpha/2,df} + t_{power,df}) x SE"


@dataclass(frozen=True, slots=True)
class Gates:
    """What the data allow (``docs/statistics.md`` §3 gating table), with the numbers behind it."""

    n_units: int
    n_adopting: int
    n_control: int
    n_weeks: int
    pre_weeks: int
    level: Literal["descriptive", "exploratory", "confirmatory"]
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pvalues_allowed(self) -> bool:
        return self.level != "descriptive"
