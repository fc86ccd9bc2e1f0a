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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from correlate.config import Config
from correlate.dora.linkage import prepare
from correlate.dora.ownership import team_of_repo, team_of_service
from correlate.store import Store

__all__ = ["Duration", "DoraMetrics", "Frequency", "Rate", "compute", "wilson"]

REWORK_KINDS = ("hotfix", "revert", "rollback")


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
    tz = ZoneInfo(config.timezone)
    lo = datetime.combine(since, time(), tzinfo=tz)
    hi = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz)
    days = (until - since).days + 1
    with store.transaction():  # temp tables live only for this computation
        prepare(store, config)
        deps = _deployments(store, lo, hi, team)
        links = store.query("""
            SELECT f.deployment_source, f.deployment_id, f.incident_source, f.incident_id, f.rule,
                   coalesce(i.resolved_at, r.finished_at) AS restored_at,
                   (f.incident_source NOT LIKE 'deployment:%' AND i.incident_id IS NOT NULL
                    AND i.resolved_at IS NULL) AS unresolved
            FROM deployment_failures f
            LEFT JOIN incidents i ON i.source = f.incident_source AND i.incident_id = f.incident_id
            LEFT JOIN deployments r ON 'deployment:' || r.source = f.incident_source
                                   AND r.deployment_id = f.incident_id""")
        incidents = store.query("SELECT * FROM _dora_inc")
        bugs = store.query("SELECT source, incident_id, lower(service) AS service_l, lower(repo) AS repo_l, team, "
                           "created_at FROM incidents WHERE lower(kind) = 'bug'")
        changes = store.query("""
            SELECT c.*, d.finished_at AS deployed_at, d.team AS dep_team, p.merged_at
            FROM deployment_changes c
            LEFT JOIN _dora_dep d ON d.source = c.deployment_source AND d.deployment_id = c.deployment_id
            LEFT JOIN pull_requests p ON p.repo = c.repo AND p.number = c.number""")
        prs = store.query("SELECT repo, merged_at FROM pull_requests WHERE merged_at IS NOT NULL "
                          "AND merged_at >= ? AND merged_at < ?", [lo, hi])
        for name in ("_dora_anc", "_dora_dep", "_dora_inc", "_dora_pr", "_dora_rem"):
            store.con.execute(f"DROP TABLE IF EXISTS {name}")
    incidents = _owned(incidents, team, config)
    bugs = _owned(bugs, team, config)
    return DoraMetrics(
        team=team, since=since, until=until,
        deployment_frequency=_frequency(deps, since, until, tz),
        lead_time=_lead_time(changes, lo, hi, team, config),
        change_failure_rate=_cfr(deps, links),
        failed_deployment_recovery=_recovery(deps, links),
        time_to_restore=_restore(incidents, lo, hi),
        rework_rate=_rework(deps, incidents),
        incident_rate=Rate("incident_rate", int(((incidents.created_at >= lo) & (incidents.created_at < hi)).sum()),
                           days, 7.0, "incidents per week",
                           "incidents (kind incident) started in the window, per 7 days of the window"),
        bug_rate=_bug_rate(bugs, prs, lo, hi, team, config),
    )


def _deployments(store: Store, lo: datetime, hi: datetime, team: str | None) -> pd.DataFrame:
    sql = "SELECT * FROM _dora_dep WHERE finished_at >= ? AND finished_at < ?"
    params: list[object] = [lo, hi]
    if team is not None:
        sql += " AND team = ?"
        params.append(team)
    return store.query(sql, params)


def _owned(frame: pd.DataFrame, team: str | None, config: Config) -> pd.DataFrame:
    if team is None:
        return frame
    owner = frame["team"].astype("object").where(frame["team"].notna(), None)
    for n in np.flatnonzero(owner.isna().to_numpy()):
        row = frame.iloc[n]
        owner.iloc[n] = (team_of_service(config, _str(row["service_l"])) or team_of_repo(config, _str(row["repo_l"])))
    return frame[(owner == team).to_numpy()]


def _rows(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """Rows where ``mask`` holds (a plain list would select columns when empty)."""
    return frame.loc[np.asarray(mask, dtype=bool).reshape(len(frame))]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _quantiles(values: pd.Series) -> tuple[float | None, float | None, float | None]:
    v = values.dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return None, None, None
    med, p75, p90 = np.quantile(v, [0.5, 0.75, 0.9])
    return float(med), float(p75), float(p90)


def _frequency(deps: pd.DataFrame, since: date, until: date, tz: ZoneInfo) -> Frequency:
    local_days = set(pd.to_datetime(deps["finished_at"], utc=True).dt.tz_convert(tz).dt.date) if len(deps) else set()
    first_monday = since + timedelta(days=(7 - since.weekday()) % 7)
    weeks = []
    start = first_monday
    while start + timedelta(days=6) <= until:
        weeks.append(sum(1 for d in local_days if start <= d <= start + timedelta(days=6)))
        start += timedelta(days=7)
    months = []
    m = date(since.year, since.month, 1)
    if m < since:
        m = _next_month(m)
    while _next_month(m) - timedelta(days=1) <= until:
        months.append(sum(1 for d in local_days if d.year == m.year and d.month == m.month))
        m = _next_month(m)
    return Frequency(
        "deployment_frequency", len(deps), (until - since).days + 1, len(local_days), len(weeks),
        float(np.median(weeks)) if weeks else None, len(months), float(np.median(months)) if months else None,
        "successful production deployments by finish day; DORA classification uses the median number of days with "
        "a deployment per complete Monday-Sunday week (weeks without deployments count as 0) and per complete "
        "calendar month",
    )


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _lead_time(changes: pd.DataFrame, lo: datetime, hi: datetime, team: str | None, config: Config) -> Duration:
    proxy = changes["rule"] == "merge_proxy"
    deployed = changes[~proxy & changes["deployed_at"].notna()]
    deployed = deployed[(deployed["deployed_at"] >= lo) & (deployed["deployed_at"] < hi)]
    proxies = changes[proxy & changes["merged_at"].notna()]
    proxies = proxies[(proxies["merged_at"] >= lo) & (proxies["merged_at"] < hi)]
    if team is not None:
        deployed = deployed[deployed["dep_team"] == team]
        proxies = _rows(proxies, [team_of_repo(config, r) == team for r in proxies["repo"]])
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
    keys = set(zip(deps["source"], deps["deployment_id"], strict=True))
    mine = _rows(links, [k in keys for k in zip(links["deployment_source"], links["deployment_id"], strict=True)])
    failed = {*zip(mine["deployment_source"], mine["deployment_id"], strict=True)}
    low, high = wilson(len(failed), len(keys))
    evidence = tuple(sorted((str(r), int(n)) for r, n in mine["rule"].value_counts().items()))
    return Rate("change_failure_rate", len(failed), len(keys), 1.0, "share of deployments",
                "production deployments (by finish day) with >= 1 linked failure / production deployments; each "
                "deployment counts once however many failures link to it", evidence, low, high)


def _recovery(deps: pd.DataFrame, links: pd.DataFrame) -> Duration:
    finished = {(s, i): f for s, i, f in zip(deps["source"], deps["deployment_id"], deps["finished_at"], strict=True)}
    values, unresolved = [], 0
    mine = _rows(links, [k in finished for k in zip(links["deployment_source"], links["deployment_id"], strict=True)])
    for key, group in mine.groupby(["deployment_source", "deployment_id"]):
        if group["unresolved"].fillna(False).astype(bool).any() or group["restored_at"].isna().all():
            unresolved += 1
            continue
        values.append((group["restored_at"].max() - finished[key]).total_seconds())
    med, p75, p90 = _quantiles(pd.Series(values, dtype=float))
    return Duration("failed_deployment_recovery", med, p75, p90, len(values), unresolved,
                    "per failed production deployment (by deploy finish day): the last linked incident's resolution "
                    "or the remediating rollback/revert deploy's finish - the deployment's finish; excluded = a "
                    "linked incident is still unresolved")


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


def _rework(deps: pd.DataFrame, incidents: pd.DataFrame) -> Rate:
    planned = ~deps["kind"].isin(REWORK_KINDS)
    during = np.zeros(len(deps), dtype=bool)
    for n, d in enumerate(deps.itertuples()):
        if not planned.iloc[n]:
            continue
        same = (incidents["team"] == d.team) if d.team is not None else np.zeros(len(incidents), dtype=bool)
        if d.service_l is not None:
            same = same | (incidents["service_l"] == d.service_l)
        if d.repo_l is not None:
            same = same | (incidents["repo_l"] == d.repo_l)
        open_then = (incidents["created_at"] <= d.finished_at) & (
            incidents["resolved_at"].isna() | (incidents["resolved_at"] > d.finished_at))
        during[n] = bool((same & open_then).any())
    rework = int((~planned).sum() + during.sum())
    low, high = wilson(rework, len(deps))
    return Rate("deployment_rework_rate", rework, len(deps), 1.0, "share of deployments",
                "DORA 2024: production deployments that are hotfix, revert or rollback, or that finished while an "
                "incident of the same team, service or repo was open / production deployments",
                (("remediation kind", int((~planned).sum())), ("during an open incident", int(during.sum()))),
                low, high)


def _bug_rate(bugs: pd.DataFrame, prs: pd.DataFrame, lo: datetime, hi: datetime, team: str | None,
              config: Config) -> Rate:
    bugs = bugs[(bugs["created_at"] >= lo) & (bugs["created_at"] < hi)]
    if team is not None:
        prs = _rows(prs, [team_of_repo(config, r) == team for r in prs["repo"]])
    return Rate("bug_rate", len(bugs), len(prs), 100.0, "bugs per 100 merged PRs",
                "bugs (kind bug: bug-labelled issues, CSV kind=bug) opened in the window per 100 PRs merged in the "
                "window (PRs belong to the team owning their repo)")
