"""DORA metrics for one team (or the whole organisation) over a window, each with its numerator, denominator and rule.

Definitions: ``../shared/docs/definitions.md`` §2-§7 and §10. Durations are medians with p75/p90,
never means. The window is whole days ``[since, until]`` in the configured time zone; each metric's
event time is named in its ``rule``. Links come from :mod:`correlate.dora.linkage` (run
``link_all`` first; every sync and import does).

Teams: deployments and incidents belong to the team named on them, else the owner of their repo or
service; PRs (for the bug rate) to the owner of their repo.

Example::

    m = compute(store, config, since=date(2026, 1, 1), until=date(2026, 3, 31), team="payments")
    m.change_failure_rate.numerator, m.change_failure_rate.denominator   # 3, 41
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from correlate.config import Config
from correlate.dora.linkage import drop_temp, prepare
from correlate.metrics.catalogue import REWORK, REWORK_KINDS, rework_condition
from correlate.store import Store

__all__ = ["Duration", "DoraMetrics", "Frequency", "Rate", "compute", "compute_teams", "wilson"]



@dataclass(frozen=True)
class Rate:
    """``value = numerator / denominator * scale`` (None when the denominator is 0).

    ``ci_low``/``ci_high`` are the Wilson 95 % interval of the proportion where the rate is one.
    """

    metric: str
    numerator: int
    denominator: int
    scale: float
    unit: str
    rule: str
    evidence: tuple[tuple[str, int], ...] = ()  # e.g. links per rule behind a change failure rate
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator * self.scale if self.denominator else None


@dataclass(frozen=True)
class Duration:
    """Median (p75, p90) of ``n`` durations in seconds; ``excluded`` cases had no value (say why in ``rule``)."""

    metric: str
    median_s: float | None
    p75_s: float | None
    p90_s: float | None
    n: int
    excluded: int
    rule: str

    @property
    def numerator(self) -> int:
        """Cases measured."""
        return self.n

    @property
    def denominator(self) -> int:
        """Cases in scope (measured + excluded): ``numerator / denominator`` is the coverage."""
        return self.n + self.excluded


@dataclass(frozen=True)
class Frequency:
    """Deployment frequency: the count, and the DORA classification inputs (median deploy days per week/month)."""

    metric: str
    deployments: int
    days: int
    deploy_days: int
    weeks: int  # complete Monday-Sunday weeks inside the window
    median_deploy_days_per_week: float | None
    months: int  # complete calendar months inside the window
    median_deploy_days_per_month: float | None
    rule: str

    @property
    def numerator(self) -> int:
        return self.deployments

    @property
    def denominator(self) -> int:
        return self.days

    @property
    def per_week(self) -> float | None:
        return self.deployments / self.days * 7 if self.days else None


@dataclass(frozen=True)
class DoraMetrics:
    """Every DORA figure for one team (None = all teams) over ``[since, until]``."""

    team: str | None
    since: date
    until: date
    deployment_frequency: Frequency
    lead_time: Duration
    change_failure_rate: Rate
    failed_deployment_recovery: Duration
    time_to_restore: Duration
    rework_rate: Rate
    incident_rate: Rate
    bug_rate: Rate


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion (95 % by default); (None, None) when ``n`` is 0.

    References:
        Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
        JASA 22(158), 209-212.

    Examples:
        >>> [round(x, 4) for x in wilson(3, 10)]
        [0.1078, 0.6032]
    """
    if n == 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def compute(store: Store, config: Config, *, since: date, until: date, team: str | None = None) -> DoraMetrics:
    """All DORA metrics for ``team`` (or everyone) over the days ``since``..``until`` inclusive.

    Args:
        store: the open store (links already computed by ``link_all``).
        config: team ownership, time zone, production environments.
        since, until: first and last day, in the configured time zone.
        team: a configured team name, or None for the whole organisation.
    """
    return compute_teams(store, config, since=since, until=until, teams=[team])[team]


def compute_teams(store: Store, config: Config, *, since: date, until: date,
                  teams: Sequence[str | None] | None = None) -> dict[str | None, DoraMetrics]:
    """:func:`compute` for several teams at once (reads the store once). ``teams=None``: every team and None."""
    tz = ZoneInfo(config.timezone)
    lo = datetime.combine(since, time(), tzinfo=tz)
    hi = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz)
    days = (until - since).days + 1
    with store.transaction():  # temp tables live only for this computation
        prepare(store, config)
        deps = store.query(f"""
            SELECT d.*, {rework_condition("d", "_dora_inc")} AS rework
            FROM _dora_dep d WHERE d.finished_at >= ? AND d.finished_at < ?""", [lo, hi])
        links = store.query("""
            SELECT f.deployment_source, f.deployment_id, f.incident_source, f.incident_id, f.rule,
                   coalesce(i.resolved_at, r.finished_at, rd.finished_at) AS restored_at,
                   (f.incident_source NOT LIKE 'deployment:%' AND i.incident_id IS NOT NULL
                    AND i.resolved_at IS NULL) AS unresolved
            FROM deployment_failures f
            LEFT JOIN incidents i ON i.source = f.incident_source AND i.incident_id = f.incident_id
            LEFT JOIN deployments r ON 'deployment:' || r.source = f.incident_source
                                   AND r.deployment_id = f.incident_id
            LEFT JOIN deployment_changes rc ON f.incident_source = 'revert_pr'
                                           AND rc.repo || '#' || rc.number = f.incident_id
                                           AND rc.rule IS DISTINCT FROM 'merge_proxy'
            LEFT JOIN deployments rd ON rd.source = rc.deployment_source AND rd.deployment_id = rc.deployment_id""")
        incidents = store.query("SELECT * FROM _dora_inc")
        bugs = store.query("SELECT * FROM _dora_bug WHERE created_at >= ? AND created_at < ?", [lo, hi])
        changes = store.query("""
            SELECT c.rule, c.lead_time_s, d.finished_at AS deployed_at, d.team AS dep_team, p.merged_at,
                   o.team AS repo_team
            FROM deployment_changes c
            LEFT JOIN _dora_dep d ON d.source = c.deployment_source AND d.deployment_id = c.deployment_id
            LEFT JOIN pull_requests p ON p.repo = c.repo AND p.number = c.number
            LEFT JOIN _dora_owner o ON o.kind = 'repo' AND o.key = lower(c.repo)
            WHERE (d.finished_at >= $1 AND d.finished_at < $2) OR (c.rule = 'merge_proxy' AND p.merged_at >= $1
                   AND p.merged_at < $2)""", [lo, hi])
        prs = store.query("SELECT o.team FROM pull_requests p "
                          "LEFT JOIN _dora_owner o ON o.kind = 'repo' AND o.key = lower(p.repo) "
                          "WHERE p.merged_at IS NOT NULL AND p.merged_at >= ? AND p.merged_at < ?", [lo, hi])
        drop_temp(store)

    is_proxy = (changes["rule"] == "merge_proxy").to_numpy()
    deployed = changes[~is_proxy & changes["deployed_at"].notna().to_numpy()]
    proxies = changes[is_proxy & changes["merged_at"].notna().to_numpy()]
    split = {name: _by_team(frame, column) for name, frame, column in (
        ("deps", deps, "team"), ("inc", incidents, "team"), ("bugs", bugs, "team"), ("prs", prs, "team"),
        ("deployed", deployed, "dep_team"), ("proxies", proxies, "repo_team"))}
    whole = {"deps": deps, "inc": incidents, "bugs": bugs, "prs": prs, "deployed": deployed, "proxies": proxies}

    def only(name: str, team: str | None) -> pd.DataFrame:
        return whole[name] if team is None else split[name].get(team, whole[name].iloc[0:0])

    out: dict[str | None, DoraMetrics] = {}
    for team in (teams if teams is not None else [*config.team_names, None]):
        d, inc = only("deps", team), only("inc", team)
        out[team] = DoraMetrics(
            team=team, since=since, until=until,
            deployment_frequency=_frequency(d, since, until, tz),
            lead_time=_lead_time(only("deployed", team), only("proxies", team)),
            change_failure_rate=_cfr(d, links),
            failed_deployment_recovery=_recovery(d, links),
            time_to_restore=_restore(inc, lo, hi),
            rework_rate=_rework(d),
            incident_rate=Rate("incident_rate", int(((inc.created_at >= lo) & (inc.created_at < hi)).sum()),
                               days, 7.0, "incidents per week",
                               "incidents (kind incident) started in the window, per 7 days of the window"),
            bug_rate=Rate("bug_rate", len(only("bugs", team)), len(only("prs", team)), 100.0,
                          "bugs per 100 merged PRs",
                          "bugs (kind bug: bug-labelled issues, CSV kind=bug) opened in the window per 100 PRs "
                          "merged in the window (PRs belong to the team owning their repo)"),
        )
    return out


def _quantiles(values: pd.Series) -> tuple[float | None, float | None, float | None]:
    v = values.dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return None, None, None
    med, p75, p90 = np.quantile(v, [0.5, 0.75, 0.9])
    return float(med), float(p75), float(p90)


def _frequency(deps: pd.DataFrame, since: date, until: date, tz: ZoneInfo) -> Frequency:
    local = pd.to_datetime(deps["finished_at"], utc=True).dt.tz_convert(tz).dt.date if len(deps) else pd.Series([])
    day_no = np.unique(np.array([(d - since).days for d in set(local)], dtype=np.int64))  # deploy days, 0-based
    first_week = (7 - since.weekday()) % 7  # offset of the first Monday
    n_weeks = max(0, ((until - since).days + 1 - first_week) // 7)
    week_of = (day_no - first_week) // 7
    weeks = np.bincount(week_of[(day_no >= first_week) & (week_of < n_weeks)], minlength=n_weeks)[:n_weeks]
    months = []
    m = date(since.year, since.month, 1)
    if m < since:
        m = _next_month(m)
    while _next_month(m) - timedelta(days=1) <= until:
        lo, hi = (m - since).days, (_next_month(m) - since).days
        months.append(int(((day_no >= lo) & (day_no < hi)).sum()))
        m = _next_month(m)
    return Frequency(
        "deployment_frequency", len(deps), (until - since).days + 1, len(day_no), n_weeks,
        float(np.median(weeks)) if n_weeks else None, len(months), float(np.median(months)) if months else None,
        "successful production deployments by finish day; DORA classification uses the median number of days with "
        "a deployment per complete Monday-Sunday week (weeks without deployments count as 0) and per complete "
        "calendar month",
    )


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _by_team(frame: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    return {str(k): g for k, g in frame.groupby(column, dropna=True, sort=False)}


def _lead_time(deployed: pd.DataFrame, proxies: pd.DataFrame) -> Duration:
    """Deploy-linked changes (deployed in the window) and merge-proxy changes (merged in the window)."""
    if len(deployed):
        med, p75, p90 = _quantiles(deployed["lead_time_s"])
        rules = ", ".join(f"{n} {r}" for r, n in sorted(deployed["rule"].value_counts().items()))
        return Duration("lead_time", med, p75, p90, int(deployed["lead_time_s"].notna().sum()),
                        int(deployed["lead_time_s"].isna().sum()),
                        f"per merged PR: first production deploy containing the merge commit (event: deploy finish) "
                        f"- first commit authored; links by {rules}; excluded = no first-commit time; "
                        f"{len(proxies)} merge-proxy PRs from repos without deploy data not mixed in")
    med, p75, p90 = _quantiles(proxies["lead_time_s"])
    return Duration("lead_time", med, p75, p90, int(proxies["lead_time_s"].notna().sum()),
                    int(proxies["lead_time_s"].isna().sum()),
                    "merge_proxy: no deploy data, so merge time - first commit authored (event: merge); "
                    "this is a proxy and shorter than the true lead time")


def _cfr(deps: pd.DataFrame, links: pd.DataFrame) -> Rate:
    keys = deps[["source", "deployment_id"]].drop_duplicates().rename(columns={"source": "deployment_source"})
    mine = links.merge(keys, on=["deployment_source", "deployment_id"], how="inner")
    failed = mine[["deployment_source", "deployment_id"]].drop_duplicates()
    low, high = wilson(len(failed), len(keys))
    evidence = tuple(sorted((str(r), int(n)) for r, n in mine["rule"].value_counts().items()))
    return Rate("change_failure_rate", len(failed), len(keys), 1.0, "share of deployments",
                "production deployments (by finish day) with >= 1 linked failure / production deployments; each "
                "deployment counts once however many failures link to it", evidence, low, high)


def _recovery(deps: pd.DataFrame, links: pd.DataFrame) -> Duration:
    keys = ["deployment_source", "deployment_id"]
    finished = deps[["source", "deployment_id", "finished_at"]].rename(columns={"source": "deployment_source"})
    mine = links.merge(finished, on=keys, how="inner")
    mine = mine.assign(unresolved=mine["unresolved"].fillna(False).astype(bool))
    per = mine.groupby(keys).agg(unresolved=("unresolved", "any"), restored_at=("restored_at", "max"),
                                 finished_at=("finished_at", "first"))
    open_ = per["unresolved"].to_numpy(dtype=bool) | per["restored_at"].isna().to_numpy()
    values = (per["restored_at"] - per["finished_at"]).dt.total_seconds()[~open_]
    med, p75, p90 = _quantiles(values)
    return Duration("failed_deployment_recovery", med, p75, p90, len(values), int(open_.sum()),
                    "per failed production deployment (by deploy finish day): the last linked incident's resolution, "
                    "the remediating rollback/revert deploy's finish, or the deploy of the revert PR - the "
                    "deployment's finish; excluded = a linked incident is still unresolved (or the revert not "
                    "yet deployed)")


def _restore(incidents: pd.DataFrame, lo: datetime, hi: datetime) -> Duration:
    resolved = incidents[incidents["resolved_at"].notna()]
    resolved = resolved[(resolved["resolved_at"] >= lo) & (resolved["resolved_at"] < hi)]
    started = (incidents["created_at"] >= lo) & (incidents["created_at"] < hi)
    open_ = incidents[incidents["resolved_at"].isna() & started]
    values = (resolved["resolved_at"] - resolved["created_at"]).dt.total_seconds()
    values = values[values >= 0]
    med, p75, p90 = _quantiles(values)
    return Duration("time_to_restore", med, p75, p90, len(values), len(open_),
                    "per incident resolved in the window: resolved - started; excluded = started in the window and "
                    "still unresolved")


def _rework(deps: pd.DataFrame) -> Rate:
    rework = deps["rework"].fillna(False).astype(bool).to_numpy()
    remediation = deps["kind"].fillna("").str.lower().isin(REWORK_KINDS).to_numpy()
    low, high = wilson(int(rework.sum()), len(deps))
    return Rate("deployment_rework_rate", int(rework.sum()), len(deps), 1.0, "share of deployments", REWORK,
                (("remediation kind", int(remediation.sum())), ("during an open incident",
                                                                int((rework & ~remediation).sum()))),
                low, high)
