"""DORA performance tiers, per metric, against one named year's thresholds (2021 or 2023, ``[dora] year``).

Thresholds are the DevLake ``dora_benchmarks`` tables quoted in ``../shared/docs/definitions.md``
("The yardstick"); the 2021 deployment-frequency row is DevLake's 2021 dashboard rule (median
deployment days per week >= 3 = on demand), the one the same page cites for "older" DevLake.
Each metric gets its own tier; an overall label is given only when all four agree
(``../shared/docs/statistics.md`` §7). A tier needs at least four complete weeks and the minimum
n of statistics.md §2.4 (5 changes, 10 deployments, 3 recoveries); otherwise it is None with the
reason. This is a benchmark comparison, not an outcome of AI adoption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from correlate.dora.metrics import DoraMetrics, Duration
from correlate.metrics.catalogue import Metric

__all__ = ["MIN_N", "THRESHOLDS", "THRESHOLD_TEXT", "Judged", "TierResult", "Tiers", "assign_tiers", "classify",
           "dora_label", "judge",
           "threshold_text"]

Tier = Literal["elite", "high", "medium", "low"]
HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0
MIN_WEEKS = 4
MIN_CHANGES = 5
MIN_DEPLOYS_FOR_CFR = 10
MIN_RECOVERIES = 3

# year -> metric -> ((tier, bound), ...) checked in order; the text says what the bounds mean.
THRESHOLDS: dict[int, dict[str, tuple[tuple[Tier, float], ...]]] = {
    2023: {
        "lead_time": (("elite", DAY), ("high", WEEK), ("medium", 30 * DAY)),  # value < bound
        "change_failure_rate": (("elite", 0.05), ("high", 0.10), ("medium", 0.15)),  # value <= bound
        "recovery": (("elite", HOUR), ("high", DAY), ("medium", WEEK)),  # value < bound
        "deploy_days_per_week": (("elite", 5.0), ("high", 1.0)),  # value >= bound; then medium by month
    },
    2021: {
        "lead_time": (("elite", HOUR), ("high", WEEK), ("medium", 180 * DAY)),
        "change_failure_rate": (("elite", 0.15), ("high", 0.20), ("medium", 0.30)),
        "recovery": (("elite", HOUR), ("high", DAY), ("medium", WEEK)),
        "deploy_days_per_week": (("elite", 3.0), ("high", 1.0)),
    },
}

THRESHOLD_TEXT = {
    2023: {
        "deployment_frequency": "elite: median deployment days/week >= 5; high: >= 1; medium: median deployment "
                                "days/month >= 1; low: otherwise (DORA 2023 via DevLake)",
        "lead_time": "elite < 1 day; high < 1 week; medium < 30 days; low >= 30 days (median; DORA 2023 via DevLake)",
        "change_failure_rate": "elite <= 5 %; high <= 10 %; medium <= 15 %; low > 15 % (DORA 2023 via DevLake)",
        "recovery": "failed deployment recovery time (median): elite < 1 hour; high < 1 day; medium < 1 week; "
                    "low >= 1 week (DORA 2023 via DevLake)",
    },
    2021: {
        "deployment_frequency": "elite (on demand): median deployment days/week >= 3; high: >= 1; medium: median "
                                "deployment days/month >= 1; low: otherwise (DORA 2021 via DevLake)",
        "lead_time": "elite < 1 hour; high < 1 week; medium < 180 days; low otherwise (median; DORA 2021 via DevLake)",
        "change_failure_rate": "elite <= 15 %; high <= 20 %; medium <= 30 %; low > 30 % (DORA 2021 via DevLake)",
        "recovery": "time to restore service (median): elite < 1 hour; high < 1 day; medium < 1 week; "
                    "low >= 1 week (DORA 2021 via DevLake)",
    },
}


# threshold table -> how a value is compared with its bounds (the table says which side is better)
_COMPARE = {"lead_time": "lt", "change_failure_rate": "le", "recovery": "lt", "deploy_days_per_week": "ge"}
# threshold table -> its key in THRESHOLD_TEXT
_TEXT_KEY = {"deploy_days_per_week": "deployment_frequency", "lead_time": "lead_time",
             "change_failure_rate": "change_failure_rate", "recovery": "recovery"}
# catalogue unit -> factor to the tables' unit (durations are in seconds there)
_UNIT_FACTOR = {"h": HOUR}


def classify(table: str, value: float, year: int, *, per_month: float | None = None) -> Tier:
    """The tier of ``value`` (in the table's unit: seconds, shares, days per week) on ``year``'s ``table``.

    Deployment frequency below "high" is "medium" when ``per_month`` (median deployment days per
    complete month) is at least 1, else "low".
    """
    op = _COMPARE[table]
    for tier, bound in THRESHOLDS[year][table]:
        if (op == "lt" and value < bound) or (op == "le" and value <= bound) or (op == "ge" and value >= bound):
            return tier
    if table == "deploy_days_per_week" and (per_month or 0.0) >= 1:
        return "medium"
    return "low"


_LABEL = {"deploy_days_per_week": "Deployment frequency", "lead_time": "Lead time for changes",
          "change_failure_rate": "Change failure rate", "recovery": "Time to restore service"}


def dora_label(table: str) -> str:
    """DORA's name for the metric a threshold table judges."""
    return _LABEL[table]


def threshold_text(table: str, year: int) -> str:
    return THRESHOLD_TEXT[year][_TEXT_KEY[table]]


@dataclass(frozen=True)
class TierResult:
    """One metric's tier, the value it was judged on, and the thresholds used (or why there is no tier)."""

    metric: str
    tier: Tier | None
    value: float | None
    year: int
    thresholds: str
    reason: str | None = None  # why tier is None


@dataclass(frozen=True)
class Tiers:
    """Per-metric tiers and an overall label only when all four agree."""

    year: int
    deployment_frequency: TierResult
    lead_time: TierResult
    change_failure_rate: TierResult
    recovery: TierResult
    overall: Tier | None
    overall_reason: str

    @property
    def results(self) -> tuple[TierResult, ...]:
        return (self.deployment_frequency, self.lead_time, self.change_failure_rate, self.recovery)


def assign_tiers(metrics: DoraMetrics, year: int) -> Tiers:
    """Classify each DORA metric against ``year``'s table (2021 or 2023).

    For 2023 the recovery metric is the failed deployment recovery time; for 2021 the time to
    restore service (the year's own definition).

    Raises:
        ValueError: a year without a table (the config only allows 2021 and 2023).
    """
    if year not in THRESHOLDS:
        raise ValueError(f"no DORA threshold table for {year}; use 2021 or 2023")
    table, text = THRESHOLDS[year], THRESHOLD_TEXT[year]
    freq = metrics.deployment_frequency
    short = freq.weeks < MIN_WEEKS
    short_reason = f"the window has {freq.weeks} complete weeks; a tier needs at least {MIN_WEEKS}"

    if short:
        df = TierResult("deployment_frequency", None, freq.median_deploy_days_per_week, year,
                        text["deployment_frequency"], short_reason)
    else:
        per_week = freq.median_deploy_days_per_week or 0.0
        tier: Tier = classify("deploy_days_per_week", per_week, year, per_month=freq.median_deploy_days_per_month)
        df = TierResult("deployment_frequency", tier, per_week, year, text["deployment_frequency"])

    lead = _duration_tier("lead_time", metrics.lead_time, table["lead_time"], year, text["lead_time"],
                          MIN_CHANGES, short, short_reason)
    if metrics.lead_time.rule.startswith("merge_proxy") and lead.tier is not None:
        lead = TierResult("lead_time", None, lead.value, year, lead.thresholds,
                          "lead time is a merge-time proxy (no deploy data); it is not comparable with DORA's")

    cfr_rate = metrics.change_failure_rate
    if short:
        cfr = TierResult("change_failure_rate", None, cfr_rate.value, year, text["change_failure_rate"], short_reason)
    elif cfr_rate.denominator < MIN_DEPLOYS_FOR_CFR:
        cfr = TierResult("change_failure_rate", None, cfr_rate.value, year, text["change_failure_rate"],
                         f"{cfr_rate.denominator} deployments; a tier needs at least {MIN_DEPLOYS_FOR_CFR}")
    else:
        value = cfr_rate.value or 0.0
        tier = classify("change_failure_rate", value, year)
        cfr = TierResult("change_failure_rate", tier, value, year, text["change_failure_rate"])

    recovery_metric = metrics.failed_deployment_recovery if year >= 2023 else metrics.time_to_restore
    rec = _duration_tier("recovery", recovery_metric, table["recovery"], year, text["recovery"], MIN_RECOVERIES,
                         short, short_reason)

    tiers = (df.tier, lead.tier, cfr.tier, rec.tier)
    if None in tiers:
        overall, reason = None, "no overall tier: at least one metric has no tier"
    elif len(set(tiers)) == 1:
        overall, reason = tiers[0], f"all four metrics are {tiers[0]}"
    else:
        overall, reason = None, "no overall tier: the four metrics are in different tiers"
    return Tiers(year, df, lead, cfr, rec, overall, reason)


def _duration_tier(metric: str, d: Duration, bounds: tuple[tuple[Tier, float], ...], year: int, text: str,
                   min_n: int, short: bool, short_reason: str) -> TierResult:
    if short:
        return TierResult(metric, None, d.median_s, year, text, short_reason)
    if d.n < min_n or d.median_s is None:
        return TierResult(metric, None, d.median_s, year, text, f"n = {d.n}; a tier needs at least {min_n}")
    tier: Tier = next((name for name, bound in bounds if d.median_s < bound), "low")
    return TierResult(metric, tier, d.median_s, year, text)


# minimum evidence per threshold table before a tier is given (statistics.md §2.4)
MIN_N = {"deploy_days_per_week": MIN_WEEKS, "lead_time": MIN_CHANGES, "change_failure_rate": MIN_DEPLOYS_FOR_CFR,
         "recovery": MIN_RECOVERIES}
_N_WHAT = {"deploy_days_per_week": "complete weeks", "lead_time": "changes", "change_failure_rate": "deployments",
           "recovery": "restored incidents"}


@dataclass(frozen=True)
class Judged:
    """One catalogue metric judged against a threshold table over a window: the tier or why there is none."""

    metric: str
    tier: str  # "elite" | "high" | "medium" | "low" | "no tier"
    value: float
    thresholds: str
    reason: str


def judge(metric: Metric, value: float, n: int, year: int, *, per_month: float | None = None) -> Judged:
    """The tier of a catalogue metric's window value (in the catalogue's unit) with ``n`` events behind it.

    No tier from fewer events than :data:`MIN_N` (for deployment frequency, ``n`` is complete weeks) or
    from a missing value.
    """
    if metric.dora is None:
        raise ValueError(f"metric {metric.name!r} has no DORA threshold table in the catalogue")
    table = metric.dora
    text, need = threshold_text(table, year), MIN_N[table]
    if n < need:
        return Judged(metric.name, "no tier", value, text, f"{n} {_N_WHAT[table]}; a tier needs {need}")
    if value != value:
        return Judged(metric.name, "no tier", value, text, "no value")
    return Judged(metric.name, classify(table, value * _UNIT_FACTOR.get(metric.unit, 1.0), year, per_month=per_month),
                  value, text, "")
