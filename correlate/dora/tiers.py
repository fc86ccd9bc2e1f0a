"""DORA performance tiers, per metric, against one named year's thresholds (2021 or 2023, ``[dora] year``).

Thresholds are the DevLake ``dora_benchmarks`` tables quoted in ``docs/definitions.md``
("The yardstick"); the 2021 deployment-frequency row is DevLake's 2021 dashboard rule (median
deployment days per week >= 3 = on demand), the one the same page cites for "older" DevLake.
Each catalogue metric with a ``dora`` threshold table gets its own tier (:func:`judge`), never one
overall label (``docs/statistics.md`` §7). A tier needs at least four complete weeks and the
minimum n of statistics.md §2.4 (5 changes, 10 deployments, 3 recoveries); otherwise it is "no tier"
with the reason. :func:`classify` is the one classification. This is a benchmark comparison, not an
outcome of AI adoption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from correlate.metrics.catalogue import Metric

__all__ = ["MIN_N", "THRESHOLDS", "THRESHOLD_TEXT", "Judged", "classify", "dora_label", "judge", "threshold_text"]

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
