"""The metric catalogue: every number a report, a comparison, a tier or the statistics show, declared once.

A :class:`Metric` says what the number is (label, unit, display format, which direction is better),
how it is made from the team × period table's columns (numerator, denominator, scale, or the median
of pooled events), what day each event counts on, how it aggregates over weeks and months, which
DORA threshold table judges it and which statistical model fits it. The panel (``correlate.panel``)
computes the columns; :mod:`correlate.metrics.rows` turns panel rows into values with these
declarations; report tables, comparisons, DORA tiers and ``correlate.stats.outcomes`` read them.

Adding a metric: declare it in :data:`METRICS` (and name it in the :data:`TABLES` it appears in),
add the column it needs to the panel SQL, and test both.

Aggregation over weeks and months (definitions.md, "The joined table"): a period's value is never a
summary of daily summaries. ``sum`` adds the period's counts; ``ratio`` pools numerator and
denominator over the period and divides once (a month's change failure rate is the month's failed
deployments ÷ its deployments, not a mean of daily rates); ``median`` takes the median of the
period's events (every merged PR's cycle time), and ``people`` counts distinct people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["METRICS", "OPEN_INCIDENT_MAX_DAYS", "REWORK", "REWORK_KINDS", "TABLES", "Aggregate", "Metric", "Model",
           "metric", "outcomes", "rework_condition", "table"]

Aggregate = Literal["sum", "ratio", "median", "people"]
Model = Literal["count", "rate", "duration", "continuous"]
Better = Literal["lower", "higher"]
Show = Literal["value", "value_of", "count_share"]

# Deployment rework, the one meaning (DORA 2024 "deployment rework rate"; definitions.md item 7): a
# successful production deployment that is an unplanned remediation, i.e. a hotfix, revert or rollback
# deployment, or one that finished while an incident of its team, service or repo was open. A PR fixed by
# a follow-up PR is a different thing: the spend classes call such a PR "troubled" ([spend] follow_up_days).
REWORK_KINDS = ("hotfix", "revert", "rollback")


def rework_condition(dep: str, incidents: str) -> str:
    """The SQL test of :data:`REWORK` for deployment alias ``dep`` (columns ``kind, team, service_l, repo_l,
    finished_at``) against an incident table (``team, service_l, repo_l, created_at, resolved_at``)."""
    kinds = ", ".join(f"'{k}'" for k in REWORK_KINDS)
    return (f"(lower(coalesce({dep}.kind, '')) IN ({kinds}) OR EXISTS (SELECT 1 FROM {incidents} i "
            f"WHERE (i.team = {dep}.team OR i.service_l = {dep}.service_l OR i.repo_l = {dep}.repo_l) "
            f"AND i.created_at <= {dep}.finished_at "
            f"AND (i.resolved_at > {dep}.finished_at OR (i.resolved_at IS NULL AND {dep}.finished_at < "
            f"i.created_at + INTERVAL {OPEN_INCIDENT_MAX_DAYS} DAY))))")


# An incident with no resolution time is open for at most this long: a stale "acknowledged" incident would
# otherwise make every later deployment of its team rework (the demo showed a team at 100%).
OPEN_INCIDENT_MAX_DAYS = 7
REWORK = ("deployment rework rate (DORA 2024) = deployments that are unplanned remediations (hotfix, revert or "
          "rollback deployments, or deployments that finished while an incident of the same team, service or repo "
          f"was open; an incident without a resolution time counts as open for {OPEN_INCIDENT_MAX_DAYS} days) "
          "÷ deployments")


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric.

    Attributes:
        name: stable key (JSON keys, ``[report] primary_outcomes``, statistics outcome names).
        label: noun phrase, lower case, as a sentence uses it ("median PR cycle time").
        header: short column header in report tables ("Cycle time (median)").
        unit: display unit ("h", "%", "USD", "PRs per dev-week").
        fmt: the report filter that prints a value (``pct``, ``hours``, ``usd``, ``num``, ``int``).
        aggregate: how values combine over rows, weeks and months (see the module docstring).
        numerator: panel column(s) added up for the numerator (``median``: the event-list column).
        denominator: panel column(s) added up for the denominator (``ratio`` only).
        scale: the ratio is multiplied by this (100 for "per 100", 5 for "per working week").
        event: which day each event counts on.
        definition: the one-sentence definition printed in the method notes ("" when self-evident).
        better: which direction is better, or None when neither is (wording and arrows only).
        model: the statistical model kind (``count`` with exposure, ``rate`` with trials, ``duration`` on
            the log scale, ``continuous``), or None when the statistics do not model it.
        column: the weekly panel column the statistics read (default: ``numerator[0]``).
        min_events: cells with fewer events are not modelled (statistics.md §2.4).
        dora: the DORA threshold table that judges it (``correlate.dora.tiers.THRESHOLDS``), or None.
        counts_people: the value counts people (the minimum-group-size rule applies to it).
        show: ``value``; ``value_of`` prints "12% (3/25)"; ``count_share`` prints "3 (12%)".
        diff_fmt: the filter for a difference between two values of it.
    """

    name: str
    label: str
    header: str
    unit: str
    fmt: str
    aggregate: Aggregate
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    scale: float = 1.0
    event: str = ""
    definition: str = ""
    better: Better | None = None
    model: Model | None = None
    column: str = ""
    min_events: int = 0
    dora: str | None = None
    counts_people: bool = False
    show: Show = "value"
    diff_fmt: str = "d_num"

    @property
    def title(self) -> str:
        """The label as a heading ("Median PR cycle time")."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    @property
    def exposure(self) -> str | None:
        """For counts: the weekly column holding log exposure (the denominator's log)."""
        return f"log_{self.denominator[0]}" if self.model == "count" and self.denominator else None

    @property
    def trials(self) -> str | None:
        """For rates: the weekly column holding the trials (the denominator)."""
        return self.denominator[0] if self.model == "rate" and self.denominator else None

    @property
    def stats_column(self) -> str:
        return self.column or self.numerator[0]


def _m(name: str, label: str, header: str, unit: str, fmt: str, aggregate: Aggregate, numerator: str | tuple[str, ...],
       denominator: str | tuple[str, ...] = (), **kw: object) -> Metric:
    def as_tuple(v: str | tuple[str, ...]) -> tuple[str, ...]:
        return (v,) if isinstance(v, str) else tuple(v)

    return Metric(name, label, header, unit, fmt, aggregate, as_tuple(numerator), as_tuple(denominator),
                  **kw)  # type: ignore[arg-type]


_AI_DAY = "the usage day the AI source reports (UTC for the Analytics APIs)"
_MERGED = "the day the PR merged"
_FINISHED = "the day the deployment finished"

# Order matters only for listings (method notes); tables name their columns in TABLES.
METRICS: tuple[Metric, ...] = (
    # --- people and adoption ---
    _m("headcount", "people", "People", "people", "int", "people", "headcount", counts_people=True,
       event="dated membership on each day of the period",
       definition="People = members of the team on any day of the period (dated membership from the configuration)."),
    _m("ai_active_users", "AI-active people", "AI-active people", "people", "int", "people", "ai_active_users",
       counts_people=True, event=_AI_DAY),
    _m("adoption_share", "AI adoption share", "Adoption share", "%", "pct", "ratio", "ai_active_users", "headcount",
       event=_AI_DAY, better="higher", diff_fmt="d_pct",
       definition="Adoption share = people with any AI-assistant activity in the period ÷ people in the team."),
    _m("ai_sessions", "assistant sessions", "Sessions", "sessions", "int", "sum", "ai_sessions", event=_AI_DAY),
    _m("sessions_per_active_day", "sessions per AI-active day", "Sessions per AI-active day", "sessions", "num",
       "ratio", "ai_sessions", "ai_active_dev_days", event=_AI_DAY),
    _m("ai_active_dev_days", "AI-active person-days", "AI actor-days", "person-days", "int", "sum",
       "ai_active_dev_days", event=_AI_DAY),
    _m("ai_assisted_share", "AI-assisted share of merged PRs", "AI-assisted share of merged PRs", "%", "pct", "ratio",
       "ai_assisted_prs_merged", "prs_merged", event=_MERGED, diff_fmt="d_pct"),
    # --- cost (the spend is the panel's: precedence-resolved usage of configured teams' people) ---
    _m("ai_cost_usd", "AI spend", "AI spend", "USD", "usd", "sum", "ai_cost_usd", event=_AI_DAY, diff_fmt="d_usd",
       definition="AI spend = the cost the usage source reports (list price × tokens where it gives tokens only) of "
                  "configured teams' people, one source per tool, day and person ([ingest] precedence)."),
    _m("cost_per_dev_day", "AI spend per AI-active developer-day", "per AI-active developer-day", "USD", "usd", "ratio",
       "ai_cost_usd", "ai_active_dev_days", event=_AI_DAY, diff_fmt="d_usd"),
    _m("cost_per_commit", "AI spend per commit", "per commit", "USD", "usd", "ratio", "ai_cost_usd", "ai_commits",
       event=_AI_DAY, better="lower"),
    _m("cost_per_merged_pr", "cost per merged PR", "per merged PR", "USD", "usd", "ratio", "ai_cost_usd", "prs_merged",
       event="spend on its usage day, PRs on the day they merged", better="lower",
       definition="Cost per merged PR (per deployment) = the team's AI spend ÷ the same team's merged PRs "
                  "(deployments) in the period; per commit = spend ÷ commits the assistant reports."),
    _m("cost_per_deployment", "AI spend per deployment", "per deployment", "USD", "usd", "ratio", "ai_cost_usd",
       "deployments", event="spend on its usage day, deployments on the day they finished", better="lower"),
    _m("cache_read_share", "cache-read share of input tokens", "Cache-read share of input", "%", "pct", "ratio",
       "ai_tokens_cache_read", ("ai_tokens_input", "ai_tokens_cache_read"), event=_AI_DAY, better="higher",
       definition="Cache-read share = cache-read input tokens ÷ (uncached input + cache-read tokens)."),
    # --- pull-request flow (leading) ---
    _m("prs_merged", "merged PRs", "PRs merged", "PRs", "int", "sum", "prs_merged", event=_MERGED),
    _m("prs_merged_per_dev_week", "merged PRs per developer-week", "Merged PRs per developer-week",
       "PRs per dev-week", "num", "ratio", "prs_merged", "dev_days", scale=5.0, event=_MERGED, better="higher",
       model="count",
       definition="Merged PRs per developer-week = merged PRs ÷ members' working days × 5 (working days: "
                  "[calendar] workdays, Monday–Friday by default, minus [calendar] holidays)."),
    _m("merge_rate", "merge rate", "Merge rate", "%", "pct", "ratio", "prs_merged",
       ("prs_merged", "prs_closed_unmerged"), event="the day the PR closed (merged or not)", better="higher",
       diff_fmt="d_pct",
       definition="Merge rate = merged ÷ (merged + closed unmerged) for PRs closed in the period; open PRs do not "
                  "count."),
    _m("pr_cycle_time_h", "median PR cycle time", "Cycle time (median)", "h", "hours", "median", "_cycle",
       column="pr_cycle_time_h_median", event=_MERGED, better="lower", model="duration", min_events=5,
       diff_fmt="d_hours",
       definition="PR stages: coding = first commit → ready; pickup = ready → first non-author, non-bot review; "
                  "review = pickup end → merge; cycle time = ready → merge. Medians of the period's merged PRs."),
    _m("pr_coding_time_h", "median coding time", "Coding", "h", "hours", "median", "_coding",
       column="pr_coding_time_h_median", event=_MERGED, better="lower", diff_fmt="d_hours"),
    _m("pr_pickup_time_h", "median pickup time", "Pickup", "h", "hours", "median", "_pickup",
       column="pr_pickup_time_h_median", event=_MERGED, better="lower", diff_fmt="d_hours"),
    _m("pr_review_time_h", "median PR review time", "Review", "h", "hours", "median", "_review",
       column="pr_review_time_h_median", event=_MERGED, better="lower", model="duration", min_events=5,
       diff_fmt="d_hours"),
    _m("pr_size", "median PR size (lines)", "PR size (lines, median)", "lines", "int", "median", "_size",
       column="pr_size_median", event=_MERGED,
       definition="PR size = additions + deletions (median of the period's merged PRs)."),
    _m("merged_without_review_share", "share merged without review", "Merged without review", "%", "pct", "ratio",
       "prs_merged_without_review", "prs_merged", event=_MERGED, better="lower", show="count_share",
       diff_fmt="d_pct"),
    # --- delivery (lagging, DORA) ---
    _m("deployments", "deployments", "Deployments", "deployments", "int", "sum", "deployments", event=_FINISHED,
       definition="Deployment = a successful production deployment, owned by the team that owns its repo or "
                  "service, counted on the day it finished."),
    _m("deployments_per_week", "deployments per working week", "per week", "deploys per week", "num", "ratio",
       "deployments", "working_days", scale=5.0, event=_FINISHED, better="higher", model="count",
       definition="Deployments per week = deployments ÷ working days of the period × 5 (working days: "
                  "[calendar] workdays, Monday–Friday by default, minus [calendar] holidays)."),
    _m("deploy_days_per_week", "median deployment days per week", "Deployment frequency", "days/week", "days_week",
       "median", "deploy_days_per_week", event=_FINISHED, better="higher", dora="deploy_days_per_week"),
    _m("lead_time_h", "median lead time", "Lead time (median)", "h", "hours", "median", "_lead",
       column="lead_time_h_median", event=_FINISHED, better="lower", dora="lead_time", diff_fmt="d_hours",
       definition="Lead time = the production deployment containing the change − its first commit (median of the "
                  "changes deployed in the period)."),
    _m("change_failure_rate", "change failure rate", "Change failure rate (n/N)", "%", "pct", "ratio",
       "deployments_failed", "deployments", event=_FINISHED, better="lower", model="rate", min_events=10,
       dora="change_failure_rate", show="value_of", diff_fmt="d_pct",
       definition="Change failure rate = deployments with at least one linked failure ÷ deployments."),
    _m("deployment_rework_rate", "deployment rework rate", "Rework rate (n/N)", "%", "pct", "ratio",
       "deployments_rework", "deployments", event=_FINISHED, better="lower", show="value_of", diff_fmt="d_pct",
       definition=REWORK[:1].upper() + REWORK[1:] + "."),
    _m("time_to_restore_h", "median time to restore", "Time to restore (median)", "h", "hours", "median", "_restore",
       column="time_to_restore_h_median", event="the day the incident resolved", better="lower", dora="recovery",
       diff_fmt="d_hours",
       definition="Time to restore = incident resolved − incident started (median over incidents resolved in the "
                  "period)."),
    _m("incidents", "incidents", "Incidents", "incidents", "int", "sum", "incidents",
       event="the day the incident started"),
    _m("incidents_per_100_deploys", "incidents per 100 deployments", "per 100 deploys", "incidents per 100 deploys",
       "num", "ratio", "incidents", "deployments", scale=100.0, event="incident start; deployment finish",
       better="lower", model="count",
       definition="Incident rate = incidents per 100 deployments; bug rate = bugs per 100 merged PRs."),
    _m("bugs", "bugs", "Bugs", "bugs", "int", "sum", "bugs", event="the day the bug was opened"),
    _m("bugs_per_100_prs", "bugs per 100 merged PRs", "per 100 merged PRs", "bugs per 100 PRs", "num", "ratio",
       "bugs", "prs_merged", scale=100.0, event="bug opened; PR merged", better="lower"),
    # --- coverage counts ---
    _m("prs_closed", "PRs closed", "PRs closed", "PRs", "int", "sum", ("prs_merged", "prs_closed_unmerged"),
       event="the day the PR closed"),
)

_BY_NAME = {m.name: m for m in METRICS}

# Which metrics each report table shows, in column order.
TABLES: Mapping[str, tuple[str, ...]] = {
    "adoption": ("headcount", "ai_active_users", "adoption_share", "ai_sessions", "sessions_per_active_day",
                 "ai_assisted_share"),
    "cost": ("ai_cost_usd", "cost_per_dev_day", "cost_per_commit", "cost_per_merged_pr", "cost_per_deployment",
             "cache_read_share"),
    "leading": ("prs_merged", "merge_rate", "pr_cycle_time_h", "pr_coding_time_h", "pr_pickup_time_h",
                "pr_review_time_h", "pr_size", "merged_without_review_share"),
    "lagging": ("deployments", "deployments_per_week", "lead_time_h", "change_failure_rate", "deployment_rework_rate",
                "time_to_restore_h", "incidents", "incidents_per_100_deploys", "bugs", "bugs_per_100_prs"),
    "coverage": ("headcount", "ai_active_users", "ai_active_dev_days", "prs_closed", "deployments", "incidents"),
    "compare_teams": ("headcount", "ai_active_users", "ai_cost_usd", "cost_per_merged_pr", "prs_merged", "merge_rate",
                      "deployments", "change_failure_rate", "incidents", "time_to_restore_h"),
    # the team comparison's indicators: a window value per team and a difference with an interval
    "compare_indicators": ("adoption_share", "cost_per_dev_day", "prs_merged_per_dev_week", "pr_cycle_time_h",
                           "pr_review_time_h", "pr_size", "merged_without_review_share", "deployments_per_week",
                           "lead_time_h", "change_failure_rate", "deployment_rework_rate"),
    # the DORA tier table, one column per threshold table
    "dora_tiers": ("deploy_days_per_week", "lead_time_h", "change_failure_rate", "time_to_restore_h"),
    # what the statistics model, in the order they report it
    "outcomes": ("pr_cycle_time_h", "prs_merged_per_dev_week", "change_failure_rate", "deployments_per_week",
                 "pr_review_time_h", "incidents_per_100_deploys"),
}


def metric(name: str) -> Metric:
    """The metric called ``name``.

    Raises:
        KeyError: no such metric (the message lists the known names).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no metric {name!r}; the catalogue has {', '.join(_BY_NAME)}") from None


def table(name: str) -> tuple[Metric, ...]:
    """The metrics report table ``name`` shows, in column order."""
    return tuple(metric(n) for n in TABLES[name])


def outcomes() -> tuple[Metric, ...]:
    """The metrics the statistics model, in their reporting order."""
    return table("outcomes")

