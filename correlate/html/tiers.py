"""DORA tier per metric for the report's tables, from the DORA module's threshold tables.

The thresholds live once, in :mod:`correlate.dora.tiers` (DevLake's 2021 and 2023 tables); this module
applies them to the window medians the report already has (hours, shares) and adds the report's
wording. One tier per metric, never one overall label; no tier from fewer than 4 complete weeks or below
the minimum n (5 changes, 10 deployments, 3 restores; ``statistics.md`` §2.4). A benchmark comparison,
not an outcome of AI use.
"""

from __future__ import annotations

from dataclasses import dataclass

from correlate.dora.tiers import MIN_CHANGES, MIN_RECOVERIES, MIN_WEEKS, THRESHOLD_TEXT, THRESHOLDS
from correlate.dora.tiers import MIN_DEPLOYS_FOR_CFR as MIN_DEPLOYS

__all__ = ["SOURCE_NOTE", "TierCell", "tier_cells"]

MIN_RESTORES = MIN_RECOVERIES
# report metric -> (DORA module metric, comparison, factor from the report's unit to the module's)
_METRICS = {
    "deploy_days_per_week": ("deploy_days_per_week", "ge", 1.0),
    "lead_time_h": ("lead_time", "lt", 3600.0),
    "cfr": ("change_failure_rate", "le", 1.0),
    "restore_h": ("recovery", "lt", 3600.0),
}
_TEXT_KEY = {"deploy_days_per_week": "deployment_frequency", "lead_time_h": "lead_time",
             "cfr": "change_failure_rate", "restore_h": "recovery"}
LABELS = {"deploy_days_per_week": "Deployment frequency", "lead_time_h": "Lead time for changes",
          "cfr": "Change failure rate", "restore_h": "Time to restore service"}
SOURCE_NOTE = ("DORA tiers: DevLake’s benchmark tables (the {year} variant), applied per metric to the medians of the "
               "12 complete weeks {window} (a month is too short for the minimum n); the value judged is in "
               "brackets. Recovery is judged on time to restore (incident start → resolved), the 2021 definition, "
               "because failed-deployment recovery time needs deployment-linked incidents. A benchmark comparison, "
               "not an outcome of AI adoption.")


@dataclass(frozen=True)
class TierCell:
    metric: str
    tier: str  # "elite" | "high" | "medium" | "low" | "no tier"
    value: float
    fmt: str  # the filter that prints ``value``
    thresholds: str
    reason: str


def _classify(metric: str, value: float, year: int) -> str:
    name, op, factor = _METRICS[metric]
    v = value * factor
    for tier, bound in THRESHOLDS[year][name]:
        if (op == "lt" and v < bound) or (op == "le" and v <= bound) or (op == "ge" and v >= bound):
            return tier
    return "low"


def tier_cells(*, year: int, weeks: int, deploy_days_per_week: float, deploy_days_per_month: float,
               lead_time_h: float, lead_n: int, cfr: float, deployments: int, restore_h: float,
               restore_n: int) -> list[TierCell]:
    """One :class:`TierCell` per DORA metric for one team (or the organisation) over a window."""
    values = {"deploy_days_per_week": (deploy_days_per_week, weeks >= MIN_WEEKS,
                                       f"{weeks} complete weeks; a tier needs {MIN_WEEKS}"),
              "lead_time_h": (lead_time_h, lead_n >= MIN_CHANGES, f"{lead_n} changes; a tier needs {MIN_CHANGES}"),
              "cfr": (cfr, deployments >= MIN_DEPLOYS, f"{deployments} deployments; a tier needs {MIN_DEPLOYS}"),
              "restore_h": (restore_h, restore_n >= MIN_RESTORES,
                            f"{restore_n} restored incidents; a tier needs {MIN_RESTORES}")}
    fmts = {"deploy_days_per_week": "days_week", "lead_time_h": "hours", "cfr": "pct", "restore_h": "hours"}
    cells = []
    for metric, (value, enough, why) in values.items():
        text, fmt = THRESHOLD_TEXT[year][_TEXT_KEY[metric]], fmts[metric]
        if not enough or value != value:
            cells.append(TierCell(metric, "no tier", value, fmt, text, why if not enough else "no value"))
        else:
            tier = _classify(metric, value, year)
            if metric == "deploy_days_per_week" and tier == "low" and deploy_days_per_month >= 1:
                tier = "medium"
            cells.append(TierCell(metric, tier, value, fmt, text, ""))
    return cells
