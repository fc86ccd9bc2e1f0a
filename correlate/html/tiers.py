"""DORA tier per metric for the report — an interim local copy of the DevLake threshold tables.

Issue 5 builds ``correlate/dora/tiers.py`` (tiers from full DORA metrics); until that is on main the
report classifies its own window medians against the same tables (``../shared/docs/definitions.md``,
"The yardstick", 2021 and 2023 variants) and says so in the report. One tier per metric, never one
overall label; no tier from fewer than 4 complete weeks or below the minimum n (5 changes,
10 deployments, 3 restores; ``statistics.md`` §2.4). A benchmark comparison, not an outcome of AI use.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SOURCE_NOTE", "TierCell", "tier_cells"]

HOUR, DAY, WEEK = 1.0, 24.0, 168.0  # hours
MIN_WEEKS, MIN_CHANGES, MIN_DEPLOYS, MIN_RESTORES = 4, 5, 10, 3

# metric -> (tier, bound) in order; "lt": value < bound; "le": value <= bound; "ge": value >= bound
_TABLES: dict[int, dict[str, tuple[str, tuple[tuple[str, float], ...]]]] = {
    2023: {
        "deploy_days_per_week": ("ge", (("elite", 5.0), ("high", 1.0))),
        "lead_time_h": ("lt", (("elite", DAY), ("high", WEEK), ("medium", 30 * DAY))),
        "cfr": ("le", (("elite", 0.05), ("high", 0.10), ("medium", 0.15))),
        "restore_h": ("lt", (("elite", HOUR), ("high", DAY), ("medium", WEEK))),
    },
    2021: {
        "deploy_days_per_week": ("ge", (("elite", 3.0), ("high", 1.0))),
        "lead_time_h": ("lt", (("elite", HOUR), ("high", WEEK), ("medium", 180 * DAY))),
        "cfr": ("le", (("elite", 0.15), ("high", 0.20), ("medium", 0.30))),
        "restore_h": ("lt", (("elite", HOUR), ("high", DAY), ("medium", WEEK))),
    },
}
THRESHOLD_TEXT = {
    2023: {"deploy_days_per_week": "elite ≥ 5 deployment days/week; high ≥ 1; medium ≥ 1 deployment day/month",
           "lead_time_h": "elite < 1 day; high < 1 week; medium < 30 days",
           "cfr": "elite ≤ 5%; high ≤ 10%; medium ≤ 15%",
           "restore_h": "elite < 1 hour; high < 1 day; medium < 1 week"},
    2021: {"deploy_days_per_week": "elite ≥ 3 deployment days/week; high ≥ 1; medium ≥ 1 deployment day/month",
           "lead_time_h": "elite < 1 hour; high < 1 week; medium < 180 days",
           "cfr": "elite ≤ 15%; high ≤ 20%; medium ≤ 30%",
           "restore_h": "elite < 1 hour; high < 1 day; medium < 1 week"},
}
LABELS = {"deploy_days_per_week": "Deployment frequency", "lead_time_h": "Lead time for changes",
          "cfr": "Change failure rate", "restore_h": "Time to restore service"}
SOURCE_NOTE = ("DORA tiers: DevLake’s benchmark tables (the {year} variant), applied per metric to the medians of the "
               "12 complete weeks {window} (a month is too short for the minimum n); the value judged is in "
               "brackets; an interim copy in the report module until the DORA module (issue 5) supplies them. "
               "Recovery is judged on time to restore (incident start → resolved), the 2021 definition, because "
               "failed-deployment recovery time needs deployment-linked incidents. A benchmark comparison, "
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
    op, bounds = _TABLES[year][metric]
    for tier, bound in bounds:
        if (op == "lt" and value < bound) or (op == "le" and value <= bound) or (op == "ge" and value >= bound):
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
        text, fmt = THRESHOLD_TEXT[year][metric], fmts[metric]
        if not enough or value != value:
            cells.append(TierCell(metric, "no tier", value, fmt, text, why if not enough else "no value"))
        else:
            tier = _classify(metric, value, year)
            if metric == "deploy_days_per_week" and tier == "low" and deploy_days_per_month >= 1:
                tier = "medium"
            cells.append(TierCell(metric, tier, value, fmt, text, ""))
    return cells
