"""Link merged PRs to the deployment that shipped them, and failures to the deployment that caused them.

Both links are recomputed from the stored facts by :func:`link_all`, idempotently and in one
transaction, at the end of every sync or import that touches deployments, incidents or PRs. Each
link records the rule that made it, so ``correlate export deployments`` can show why.

**Changes (lead time, definitions.md §3).** For each merged PR, the first successful production
deployment that contains its merge commit; ``lead_time_s`` = that deploy's finish − the PR's first
commit authored time (NULL when unknown or negative, e.g. clock skew). Rules, first that applies:

* ``ancestry``: the repo has commit-ancestry rows (``deployment_commits``: the commits each deploy
  shipped); the earliest deploy whose rows hold the merge commit. A merge in no deploy's rows is
  not deployed yet and gets no link;
* ``sha``: otherwise, the earliest deploy of the repo whose ``sha`` is the merge commit (a 7+
  character prefix either way matches);
* ``time_order``: otherwise, the first non-rollback deploy of the repo that began at or after the
  merge (trunk-based delivery: a deploy ships everything merged before it);
* ``merge_proxy``: the repo has no deploy data (none at all, or none yet when the PR merged): lead
  time ends at the merge instead, stored with ``deployment_source = 'merge_proxy'`` and
  ``deployment_id = '<repo>#<number>'``. Its event date is the PR's ``merged_at``.

**Failures (change failure rate, definitions.md §5).** Only incidents of kind ``incident`` (not
bugs). For each incident, the highest-priority rule that finds a deployment:

1. ``explicit``: the incident names the deployment (``caused_by_deployment``);
2. ``root_cause_sha``: the incident names a commit (``caused_by_sha``): the first deploy that shipped it
   (by ancestry, else by deploy ``sha``);
3. ``rollback`` / ``revert``: a rollback or revert deploy of the incident's service, repo or team began
   while the incident was open; the failed deployment is the one it undid (the previous
   non-remediation deploy in the same repo, service or team), if that finished before the incident began;
4. ``time_heuristic:service|repo|team``: the last successful production deploy of the incident's
   service (else repo, else team) that finished before the incident started, at most
   ``[dora] failure_window_hours`` earlier.

Besides incidents, every rollback/revert deploy marks the deploy it undid as failed, with
``incident_source = 'deployment:<source>'`` and ``incident_id`` = the remediation deploy's id; and a
merged revert PR (GitHub's title ``Revert "<title>"``) marks the deployment that shipped the reverted
PR as failed, with ``incident_source = 'revert_pr'`` and ``incident_id = '<repo>#<number>'`` of the revert.

Rows with ``rule = 'declared'`` (written by a source that knows the link, such as the demo generator)
are kept as they are, and the PRs and incidents they cover are not re-linked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from connectors.records import DeploymentChange, DeploymentFailure
from correlate.config import Config
from correlate.ownership import register_owners
from correlate.store import Store

__all__ = ["TEMP_TABLES", "LinkSummary", "drop_temp", "link_all", "production_environments", "prepare"]

TEMP_TABLES = ("_dora_owner", "_dora_anc", "_dora_dep", "_dora_inc", "_dora_bug", "_dora_pr", "_dora_rem")


@dataclass(frozen=True)
class LinkSummary:
    """How many links each rule made (for the command's closing line and for tests)."""

    changes: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        def part(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items())) or "none"

        return f"DORA links recomputed: changes {part(self.changes)}; failures {part(self.failures)}"


def production_environments(config: Config) -> tuple[str, ...]:
    """Environment names that count as production (``[sources.github] production_environments``)."""
    gh = config.root.sources.github
    names = gh.production_environments if gh is not None else ("production", "prod")
    return tuple(n.strip().lower() for n in names)


def link_all(store: Store, config: Config) -> LinkSummary:
    """Recompute ``deployment_changes`` and ``deployment_failures`` from the stored facts, in one transaction.

    Args:
        store: the open store.
        config: for team ownership, production environment names and the heuristic window.

    The commits each deployment shipped come from ``deployment_commits``; a PR without ``first_commit_at``
    takes its earliest authored commit from ``pr_commits``.

    Returns:
        Counts of links per rule.
    """
    with store.transaction():
        prepare(store, config)
        changes = store.query(_CHANGES_SQL)
        failures = store.query(_FAILURES_SQL, [config.root.dora.failure_window_hours])
        store.con.execute("DELETE FROM deployment_changes WHERE rule IS DISTINCT FROM 'declared'")
        store.con.execute("DELETE FROM deployment_failures WHERE rule IS DISTINCT FROM 'declared'")
        store.upsert(DeploymentChange, changes)
        # revert PRs need the change links just written: the deploy that shipped the reverted PR failed
        failures = pd.concat([failures, store.query(_REVERT_PR_SQL)], ignore_index=True)
        store.upsert(DeploymentFailure, failures)
        drop_temp(store)
    return LinkSummary(dict(Counter(changes["rule"])), dict(Counter(failures["rule"])))


def prepare(store: Store, config: Config) -> None:
    """Create the temp tables the linkage and metrics read: ``_dora_dep``, ``_dora_inc``, ``_dora_anc``, ...

    ``_dora_dep`` holds successful production deployments with their owning team, ``_dora_inc``
    incidents (not bugs) and ``_dora_bug`` bugs with theirs. :func:`drop_temp` removes them.
    """
    con = store.con
    register_owners(store, config)
    con.execute("CREATE OR REPLACE TEMP TABLE _dora_owner AS SELECT * FROM _owner")
    envs = list(production_environments(config))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_anc AS
        SELECT DISTINCT deployment_source, deployment_id, lower(repo) AS repo_l, lower(sha) AS sha_l
        FROM deployment_commits WHERE sha IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_dep AS
        SELECT d.source, d.deployment_id, d.repo, lower(d.repo) AS repo_l, lower(d.service) AS service_l,
               coalesce(d.team, r.team, s.team) AS team, lower(d.sha) AS sha_l,
               d.started_at, d.finished_at, coalesce(d.started_at, d.finished_at) AS began_at,
               lower(coalesce(d.kind, 'deploy')) AS kind,
               CASE WHEN d.repo IS NOT NULL THEN 'repo:' || lower(d.repo)
                    WHEN d.service IS NOT NULL THEN 'service:' || lower(d.service)
                    ELSE 'team:' || coalesce(d.team, r.team, s.team) END AS scope_key
        FROM deployments d
        LEFT JOIN _dora_owner r ON r.kind = 'repo' AND r.key = lower(d.repo)
        LEFT JOIN _dora_owner s ON s.kind = 'service' AND s.key = lower(d.service)
        WHERE d.finished_at IS NOT NULL
          AND lower(d.status) = 'success'  -- an unknown status is not a known success (as in the panel)
          AND (d.is_production OR (d.is_production IS NULL
               AND (d.environment IS NULL OR list_contains(?, lower(d.environment)))))""", [envs])
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_inc AS
        SELECT i.source, i.incident_id, lower(i.service) AS service_l, lower(i.repo) AS repo_l,
               coalesce(i.team, s.team, r.team) AS team, i.created_at, i.resolved_at,
               lower(i.caused_by_sha) AS sha_l, i.caused_by_deployment
        FROM incidents i
        LEFT JOIN _dora_owner r ON r.kind = 'repo' AND r.key = lower(i.repo)
        LEFT JOIN _dora_owner s ON s.kind = 'service' AND s.key = lower(i.service)
        WHERE lower(coalesce(i.kind, 'incident')) = 'incident' AND i.created_at IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_bug AS
        SELECT i.source, i.incident_id, coalesce(i.team, s.team, r.team) AS team, i.created_at
        FROM incidents i
        LEFT JOIN _dora_owner r ON r.kind = 'repo' AND r.key = lower(i.repo)
        LEFT JOIN _dora_owner s ON s.kind = 'service' AND s.key = lower(i.service)
        WHERE lower(i.kind) = 'bug' AND i.created_at IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_pr AS
        SELECT p.repo, p.number, lower(p.repo) AS repo_l, lower(p.merge_commit_sha) AS sha_l, p.merged_at,
               coalesce(p.first_commit_at, c.first_authored) AS first_commit_at
        FROM pull_requests p
        LEFT JOIN (SELECT repo, number, min(authored_at) AS first_authored FROM pr_commits GROUP BY ALL) c
               ON c.repo = p.repo AND c.number = p.number
        WHERE p.merged_at IS NOT NULL""")
    # the deploy each rollback/revert undid: the previous non-remediation deploy in the same scope
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _dora_rem AS
        SELECT r.source AS r_source, r.deployment_id AS r_id, r.kind AS r_kind, r.began_at AS r_at,
               r.repo_l, r.service_l, r.team, f.source AS f_source, f.deployment_id AS f_id,
               f.finished_at AS f_at
        FROM (SELECT * FROM _dora_dep WHERE kind IN ('rollback', 'revert')) r
        ASOF JOIN (SELECT * FROM _dora_dep WHERE kind NOT IN ('rollback', 'revert')) f
          ON f.scope_key = r.scope_key AND f.finished_at < r.began_at""")


def drop_temp(store: Store) -> None:
    """Drop the temp tables :func:`prepare` made."""
    for name in TEMP_TABLES:
        store.con.execute(f"DROP TABLE IF EXISTS {name}")


# a 7+ character prefix either way; the equality on the first 7 characters lets DuckDB hash-join
_SHA_MATCH = ("(left({a}, 7) = left({b}, 7) AND length({a}) >= 7 AND length({b}) >= 7 "
              "AND (starts_with({a}, {b}) OR starts_with({b}, {a})))")

_CHANGES_SQL = f"""
WITH anc_repos AS (SELECT DISTINCT repo_l FROM _dora_anc),
first_deploy AS (SELECT repo_l, min(finished_at) AS first_at FROM _dora_dep WHERE repo_l IS NOT NULL GROUP BY ALL),
declared AS (SELECT DISTINCT repo, number FROM deployment_changes WHERE rule = 'declared'),
pr AS (SELECT p.* FROM _dora_pr p ANTI JOIN declared x ON x.repo = p.repo AND x.number = p.number),
by_ancestry AS (
    SELECT p.repo, p.number, d.source, d.deployment_id, d.finished_at, 'ancestry' AS rule, 1 AS prio
    FROM pr p JOIN _dora_anc a ON a.repo_l = p.repo_l AND a.sha_l = p.sha_l
    JOIN _dora_dep d ON d.source = a.deployment_source AND d.deployment_id = a.deployment_id),
by_sha AS (
    SELECT p.repo, p.number, d.source, d.deployment_id, d.finished_at, 'sha' AS rule, 2 AS prio
    FROM pr p JOIN _dora_dep d ON d.repo_l = p.repo_l AND {_SHA_MATCH.format(a='d.sha_l', b='p.sha_l')}
    WHERE p.repo_l NOT IN (SELECT repo_l FROM anc_repos)),
by_time AS (
    SELECT p.repo, p.number, d.source, d.deployment_id, d.finished_at, 'time_order' AS rule, 3 AS prio
    FROM pr p
    ASOF JOIN (SELECT * FROM _dora_dep WHERE kind <> 'rollback' AND repo_l IS NOT NULL) d
      ON d.repo_l = p.repo_l AND d.began_at >= p.merged_at
    JOIN first_deploy f ON f.repo_l = p.repo_l
    WHERE p.repo_l NOT IN (SELECT repo_l FROM anc_repos) AND p.merged_at >= f.first_at),
by_proxy AS (
    SELECT p.repo, p.number, 'merge_proxy' AS source, p.repo || '#' || p.number AS deployment_id,
           p.merged_at AS finished_at, 'merge_proxy' AS rule, 4 AS prio
    FROM pr p LEFT JOIN first_deploy f ON f.repo_l = p.repo_l
    WHERE p.repo_l NOT IN (SELECT repo_l FROM anc_repos) AND (f.first_at IS NULL OR p.merged_at < f.first_at)),
chosen AS (
    SELECT * FROM (SELECT * FROM by_ancestry UNION ALL SELECT * FROM by_sha
                   UNION ALL SELECT * FROM by_time UNION ALL SELECT * FROM by_proxy)
    QUALIFY row_number() OVER (PARTITION BY repo, number ORDER BY prio, finished_at, source, deployment_id) = 1)
SELECT c.source AS deployment_source, c.deployment_id, c.repo, c.number,
       CASE WHEN epoch(c.finished_at) - epoch(p.first_commit_at) >= 0
            THEN epoch(c.finished_at) - epoch(p.first_commit_at) END AS lead_time_s,
       c.rule
FROM chosen c JOIN pr p ON p.repo = c.repo AND p.number = c.number
ORDER BY c.repo, c.number
"""

_FAILURES_SQL = f"""
WITH declared AS (SELECT DISTINCT incident_source, incident_id FROM deployment_failures WHERE rule = 'declared'),
inc AS (SELECT i.* FROM _dora_inc i ANTI JOIN declared x
        ON x.incident_source = i.source AND x.incident_id = i.incident_id),
win AS (SELECT to_seconds(CAST(? * 3600 AS BIGINT)) AS w),
explicit AS (
    SELECT d.source AS ds, d.deployment_id AS di, i.source AS src, i.incident_id AS iid, 'explicit' AS rule,
           1 AS prio, 0 AS ord, d.finished_at AS t
    FROM inc i JOIN _dora_dep d ON d.deployment_id = i.caused_by_deployment),
root_sha AS (
    SELECT * FROM (
        SELECT d.source AS ds, d.deployment_id AS di, i.source AS src, i.incident_id AS iid,
               'root_cause_sha' AS rule, 2 AS prio, 0 AS ord, d.finished_at AS t
        FROM inc i JOIN _dora_anc a ON a.sha_l = i.sha_l
        JOIN _dora_dep d ON d.source = a.deployment_source AND d.deployment_id = a.deployment_id
        UNION ALL
        SELECT d.source, d.deployment_id, i.source, i.incident_id, 'root_cause_sha', 2, 1, d.finished_at
        FROM inc i JOIN _dora_dep d ON {_SHA_MATCH.format(a='d.sha_l', b='i.sha_l')})
    QUALIFY row_number() OVER (PARTITION BY src, iid ORDER BY ord, t, ds, di) = 1),
remediated AS (
    SELECT * FROM (
        SELECT m.f_source AS ds, m.f_id AS di, i.source AS src, i.incident_id AS iid, m.r_kind AS rule, 3 AS prio,
               CASE WHEN m.service_l = i.service_l THEN 1 WHEN m.repo_l = i.repo_l THEN 2 ELSE 3 END AS ord,
               m.r_at AS t
        FROM inc i CROSS JOIN win JOIN _dora_rem m
          ON (m.service_l = i.service_l OR m.repo_l = i.repo_l OR m.team = i.team)
         AND m.r_at >= i.created_at AND m.r_at <= coalesce(i.resolved_at, i.created_at + win.w)
         AND m.f_at <= i.created_at)
    QUALIFY row_number() OVER (PARTITION BY src, iid ORDER BY ord, t, ds, di) = 1),
candidates AS (SELECT * FROM _dora_dep WHERE kind <> 'rollback'),
near AS (
    SELECT d.source AS ds, d.deployment_id AS di, i.source AS src, i.incident_id AS iid,
           'time_heuristic:service' AS rule, 4 AS prio, 1 AS ord, d.finished_at AS t, i.created_at AS c
    FROM inc i ASOF JOIN (SELECT * FROM candidates WHERE service_l IS NOT NULL) d
      ON d.service_l = i.service_l AND d.finished_at <= i.created_at
    UNION ALL
    SELECT d.source, d.deployment_id, i.source, i.incident_id, 'time_heuristic:repo', 4, 2, d.finished_at, i.created_at
    FROM inc i ASOF JOIN (SELECT * FROM candidates WHERE repo_l IS NOT NULL) d
      ON d.repo_l = i.repo_l AND d.finished_at <= i.created_at
    UNION ALL
    SELECT d.source, d.deployment_id, i.source, i.incident_id, 'time_heuristic:team', 4, 3, d.finished_at, i.created_at
    FROM inc i ASOF JOIN (SELECT * FROM candidates WHERE team IS NOT NULL) d
      ON d.team = i.team AND d.finished_at <= i.created_at),
heuristic AS (
    SELECT ds, di, src, iid, rule, prio, ord, t FROM near, win WHERE t >= c - win.w
    QUALIFY row_number() OVER (PARTITION BY src, iid ORDER BY ord, t DESC, ds, di) = 1),
incident_links AS (
    SELECT * FROM (SELECT * FROM explicit UNION ALL SELECT * FROM root_sha
                   UNION ALL SELECT * FROM remediated UNION ALL SELECT * FROM heuristic)
    QUALIFY rank() OVER (PARTITION BY src, iid ORDER BY prio) = 1),
deployment_links AS (
    SELECT f_source AS ds, f_id AS di, 'deployment:' || r_source AS src, r_id AS iid, r_kind AS rule
    FROM _dora_rem)
SELECT DISTINCT ds AS deployment_source, di AS deployment_id, src AS incident_source, iid AS incident_id, rule
FROM (SELECT ds, di, src, iid, rule FROM incident_links UNION ALL SELECT * FROM deployment_links)
ORDER BY 1, 2, 3, 4
"""


_REVERT_PR_SQL = """
WITH rv AS (
    SELECT r.repo, r.number AS r_number, o.number AS o_number
    FROM pull_requests r JOIN pull_requests o
      ON o.repo = r.repo AND r.title = 'Revert "' || o.title || '"' AND o.number <> r.number
     AND o.merged_at IS NOT NULL AND o.merged_at <= r.merged_at
    WHERE r.merged_at IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY r.repo, r.number ORDER BY o.merged_at DESC, o.number DESC) = 1)
SELECT c.deployment_source, c.deployment_id, 'revert_pr' AS incident_source,
       rv.repo || '#' || rv.r_number AS incident_id, 'revert' AS rule
FROM rv JOIN deployment_changes c ON c.repo = rv.repo AND c.number = rv.o_number
WHERE c.rule IS DISTINCT FROM 'merge_proxy'
ORDER BY 1, 2, 4
"""

