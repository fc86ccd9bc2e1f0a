"""The team × day table: one row per team and calendar day, built in DuckDB SQL from the store.

Every value has a named event date (definitions.md, "The joined table"): a PR counts on the day it
opened (``prs_opened``), merged (throughput, cycle time and its stages, size, review) or closed
unmerged; a deployment on the day it finished; an incident on the day it started (count) and on the
day it resolved (time to restore). People belong to teams by the dated membership in the config;
deployments and incidents belong to the team that owns the repo or service.

Counts are 0 on a day with nothing; medians are empty (NaN) when there is nothing to take the median
of. Weekly and monthly views aggregate this table: each day row keeps the event values behind its
medians and the people behind its distinct counts (``_``-prefixed list columns, not exported), so a
weekly median is the median of that week's events, not a median of daily medians.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd

from correlate.config import Config
from correlate.days import day_sql
from correlate.errors import UsageError
from correlate.store import Store

__all__ = ["PANEL_COLUMNS", "Grain", "build_panel", "register_mapping"]

Grain = Literal["day", "week", "month"]

PANEL_COLUMNS = [
    "team", "day", "headcount", "ai_active_users", "ai_sessions", "ai_cost_usd", "ai_tokens_input",
    "ai_tokens_output", "ai_tokens_cache_read", "ai_tokens_cache_creation", "ai_lines_added", "ai_lines_removed",
    "ai_commits", "ai_prs", "ai_edit_accepted", "ai_edit_rejected", "prs_opened", "prs_merged",
    "prs_closed_unmerged", "ai_assisted_prs_merged", "pr_cycle_time_h_median", "pr_pickup_time_h_median",
    "pr_review_time_h_median", "pr_size_median", "prs_merged_without_review", "deployments", "deployments_failed",
    "lead_time_h_median", "incidents", "time_to_restore_h_median",
]
# Columns beyond the contract, appended after it.
EXTRA_COLUMNS = ["dev_days", "active_devs", "ai_active_dev_days", "ai_requests", "pr_coding_time_h_median",
                 "pr_files_median", "deployments_rework", "bugs", "lead_time_proxy_h_median"]

NORM_MACRO = r"""
CREATE OR REPLACE TEMP MACRO _norm_id(x) AS
  CASE WHEN regexp_matches(lower(trim(x)), '^(\d+\+)?[a-z0-9-]+(\[bot\])?@users\.noreply\.github\.com$')
       THEN regexp_extract(lower(trim(x)), '^(?:\d+\+)?([a-z0-9-]+(?:\[bot\])?)@', 1)
       ELSE lower(trim(x)) END
"""


def register_mapping(store: Store, config: Config) -> None:
    """Expose the config's team mapping to SQL as temp views ``_teams``, ``_membership``, ``_repo_owner``,
    ``_service_owner``, ``_precedence`` and ``_bots``, plus the identity macro ``_norm_id``."""
    con = store.con
    con.execute(NORM_MACRO)
    teams = pd.DataFrame({"team": pd.Series(config.team_names, dtype="object")})
    members = pd.DataFrame(
        [(m.team, m.person, m.identity, m.since, m.until) for m in config.memberships],
        columns=["team", "person", "identity", "since", "until"],
    ).astype({"team": "object", "person": "object", "identity": "object"})
    members["since"] = pd.to_datetime(members["since"]).dt.date
    members["until"] = pd.to_datetime(members["until"]).dt.date
    repos = pd.DataFrame([(r.lower(), t.name) for t in config.root.teams for r in t.repos], columns=["repo", "team"],
                         dtype="object")
    services = pd.DataFrame(
        [(s, t.name) for t in config.root.teams for s in (*t.services, *t.pagerduty_teams)],
        columns=["service", "team"], dtype="object",
    )
    precedence = pd.DataFrame({"source": list(config.root.ingest.precedence),
                               "rank": range(len(config.root.ingest.precedence))})
    gh = config.root.sources.github
    bots = pd.DataFrame({"login": [b.lower() for b in (gh.bot_logins if gh else ())]}, dtype="object")
    for name, frame in [("_teams", teams), ("_membership", members), ("_repo_owner", repos),
                        ("_service_owner", services), ("_precedence", precedence), ("_bots", bots)]:
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    con.execute("ALTER TABLE _membership ALTER since TYPE DATE; ALTER TABLE _membership ALTER until TYPE DATE")


def _member_join(alias: str, ident: str, day: str) -> str:
    return (f"JOIN _membership {alias} ON {alias}.identity = {ident} "
            f"AND ({alias}.since IS NULL OR {day} >= {alias}.since) "
            f"AND ({alias}.until IS NULL OR {day} < {alias}.until)")


def _day_table_sql(config: Config) -> str:
    tz = config.timezone
    created, merged, closed = (day_sql(f"p.{c}", tz) for c in ("created_at", "merged_at", "closed_at"))
    submitted = day_sql("r.submitted_at", tz)
    finished = day_sql("d.finished_at", tz)
    started, resolved = day_sql("i.created_at", tz), day_sql("i.resolved_at", tz)
    return f"""
CREATE OR REPLACE TEMP TABLE _panel_day AS
WITH spine AS (
    SELECT t.team, CAST(g.d AS DATE) AS day
    FROM _teams t, generate_series(CAST($since AS DATE), CAST($until AS DATE), INTERVAL 1 DAY) AS g(d)
),
heads AS (
    SELECT s.team, s.day, list(DISTINCT m.person) AS _persons
    FROM spine s JOIN _membership m ON m.team = s.team
      AND (m.since IS NULL OR s.day >= m.since) AND (m.until IS NULL OR s.day < m.until)
    GROUP BY s.team, s.day
),
ai_ranked AS (
    SELECT u.*, _norm_id(u.actor) AS ident,
           row_number() OVER (PARTITION BY u.tool, u.day, _norm_id(u.actor)
                              ORDER BY coalesce(p.rank, 999), u.source) AS rk
    FROM ai_usage_daily u LEFT JOIN _precedence p ON p.source = u.source
    WHERE u.day BETWEEN $since AND $until
),
ai AS (
    SELECT m.team, a.day,
           count(*) AS _ai_rows,
           list(DISTINCT m.person) FILTER (WHERE coalesce(a.sessions, 0) + coalesce(a.requests, 0)
               + coalesce(a.tokens_input, 0) + coalesce(a.tokens_output, 0) + coalesce(a.lines_added, 0)
               + coalesce(a.lines_accepted, 0) + coalesce(a.edit_accepted, 0) + coalesce(a.cost_usd, 0) > 0)
               AS _ai_persons,
           sum(a.sessions) AS ai_sessions, sum(a.requests) AS ai_requests, sum(a.cost_usd) AS ai_cost_usd,
           sum(a.tokens_input) AS ai_tokens_input, sum(a.tokens_output) AS ai_tokens_output,
           sum(a.tokens_cache_read) AS ai_tokens_cache_read,
           sum(a.tokens_cache_creation) AS ai_tokens_cache_creation,
           sum(a.lines_added) AS ai_lines_added, sum(a.lines_removed) AS ai_lines_removed,
           sum(a.commits) AS ai_commits, sum(a.prs) AS ai_prs,
           sum(a.edit_accepted) AS ai_edit_accepted, sum(a.edit_rejected) AS ai_edit_rejected
    FROM ai_ranked a {_member_join("m", "a.ident", "a.day")}
    WHERE a.rk = 1
    GROUP BY m.team, a.day
),
pr AS (
    SELECT p.*, _norm_id(p.author) AS ident
    FROM pull_requests p
    WHERE coalesce(p.author_type, 'User') <> 'Bot' AND NOT lower(coalesce(p.author, '')) LIKE '%[bot]'
      AND _norm_id(coalesce(p.author, '')) NOT IN (SELECT login FROM _bots)
),
opened AS (
    SELECT m.team, {created} AS day, count(*) AS prs_opened, list(DISTINCT m.person) AS _dev_persons
    FROM pr p {_member_join("m", "p.ident", created)}
    WHERE {created} BETWEEN $since AND $until
    GROUP BY ALL
),
merged AS (
    SELECT m.team, {merged} AS day, count(*) AS prs_merged,
           count(*) FILTER (WHERE p.ai_assisted) AS ai_assisted_prs_merged,
           count(*) FILTER (WHERE p.merged_without_review) AS prs_merged_without_review,
           list(p.cycle_s / 3600.0) FILTER (WHERE p.cycle_s IS NOT NULL) AS _cycle,
           list(p.pickup_s / 3600.0) FILTER (WHERE p.pickup_s IS NOT NULL) AS _pickup,
           list(p.review_s / 3600.0) FILTER (WHERE p.review_s IS NOT NULL) AS _review,
           list(p.coding_s / 3600.0) FILTER (WHERE p.coding_s IS NOT NULL) AS _coding,
           list(CAST(p.size_lines AS DOUBLE)) FILTER (WHERE p.size_lines IS NOT NULL) AS _size,
           list(CAST(p.changed_files AS DOUBLE)) FILTER (WHERE p.changed_files IS NOT NULL) AS _files,
           list(DISTINCT m.person) AS _merge_persons
    FROM pr p {_member_join("m", "p.ident", merged)}
    WHERE p.merged_at IS NOT NULL AND {merged} BETWEEN $since AND $until
    GROUP BY ALL
),
closed AS (
    SELECT m.team, {closed} AS day, count(*) AS prs_closed_unmerged
    FROM pr p {_member_join("m", "p.ident", closed)}
    WHERE p.merged_at IS NULL AND p.closed_at IS NOT NULL AND {closed} BETWEEN $since AND $until
    GROUP BY ALL
),
reviewed AS (
    SELECT m.team, {submitted} AS day, list(DISTINCT m.person) AS _review_persons
    FROM reviews r {_member_join("m", "_norm_id(r.author)", submitted)}
    WHERE coalesce(r.author_type, 'User') <> 'Bot' AND {submitted} BETWEEN $since AND $until
    GROUP BY ALL
),
dep AS (
    SELECT d.source, d.deployment_id, d.kind, coalesce(t.team, ro.team, so.team) AS team, {finished} AS day,
           EXISTS (SELECT 1 FROM deployment_failures f
                   WHERE f.deployment_source = d.source AND f.deployment_id = d.deployment_id) AS failed
    FROM deployments d
    LEFT JOIN _teams t ON t.team = d.team
    LEFT JOIN _repo_owner ro ON ro.repo = lower(d.repo)
    LEFT JOIN _service_owner so ON so.service = d.service
    WHERE d.status = 'success' AND coalesce(d.is_production, TRUE) AND d.finished_at IS NOT NULL
),
deps AS (
    SELECT team, day, count(*) AS deployments, count(*) FILTER (WHERE failed) AS deployments_failed,
           count(*) FILTER (WHERE kind IN ('rollback', 'revert', 'hotfix')) AS deployments_rework
    FROM dep WHERE day BETWEEN $since AND $until GROUP BY ALL
),
lead AS (
    SELECT dep.team, dep.day, list(c.lead_time_s / 3600.0) AS _lead
    FROM deployment_changes c JOIN dep ON dep.source = c.deployment_source AND dep.deployment_id = c.deployment_id
    WHERE c.lead_time_s IS NOT NULL AND dep.day BETWEEN $since AND $until
    GROUP BY ALL
),
lead_proxy AS (
    -- repos without deploy data: merge time stands in for the deploy (rule merge_proxy), kept apart
    SELECT ro.team, {merged} AS day, list(c.lead_time_s / 3600.0) AS _lead_proxy
    FROM deployment_changes c
    JOIN pull_requests p ON p.repo = c.repo AND p.number = c.number
    JOIN _repo_owner ro ON ro.repo = lower(c.repo)
    WHERE c.rule = 'merge_proxy' AND c.lead_time_s IS NOT NULL AND p.merged_at IS NOT NULL
      AND {merged} BETWEEN $since AND $until
    GROUP BY ALL
),
inc AS (
    SELECT i.*, coalesce(t.team, so.team, ro.team) AS owner
    FROM incidents i
    LEFT JOIN _teams t ON t.team = i.team
    LEFT JOIN _service_owner so ON so.service = i.service
    LEFT JOIN _repo_owner ro ON ro.repo = lower(i.repo)
),
inc_open AS (
    SELECT owner AS team, {started} AS day,
           count(*) FILTER (WHERE coalesce(kind, 'incident') = 'incident') AS incidents,
           count(*) FILTER (WHERE kind = 'bug') AS bugs
    FROM inc i WHERE {started} BETWEEN $since AND $until GROUP BY ALL
),
inc_resolved AS (
    SELECT owner AS team, {resolved} AS day,
           list(epoch(i.resolved_at - i.created_at) / 3600.0) AS _restore
    FROM inc i
    WHERE coalesce(kind, 'incident') = 'incident' AND i.resolved_at IS NOT NULL
      AND i.resolved_at >= i.created_at AND {resolved} BETWEEN $since AND $until
    GROUP BY ALL
)
SELECT s.team, s.day,
       coalesce(h._persons, []) AS _persons,
       coalesce(ai._ai_persons, []) AS _ai_persons,
       list_distinct(list_concat(coalesce(o._dev_persons, []), coalesce(mg._merge_persons, []),
                                 coalesce(rv._review_persons, []))) AS _dev_persons,
       ai._ai_rows,
       ai.ai_sessions, ai.ai_requests, ai.ai_cost_usd, ai.ai_tokens_input, ai.ai_tokens_output,
       ai.ai_tokens_cache_read, ai.ai_tokens_cache_creation, ai.ai_lines_added, ai.ai_lines_removed,
       ai.ai_commits, ai.ai_prs, ai.ai_edit_accepted, ai.ai_edit_rejected,
       coalesce(o.prs_opened, 0) AS prs_opened,
       coalesce(mg.prs_merged, 0) AS prs_merged,
       coalesce(c.prs_closed_unmerged, 0) AS prs_closed_unmerged,
       coalesce(mg.ai_assisted_prs_merged, 0) AS ai_assisted_prs_merged,
       coalesce(mg.prs_merged_without_review, 0) AS prs_merged_without_review,
       coalesce(mg._cycle, []) AS _cycle, coalesce(mg._pickup, []) AS _pickup,
       coalesce(mg._review, []) AS _review, coalesce(mg._coding, []) AS _coding,
       coalesce(mg._size, []) AS _size, coalesce(mg._files, []) AS _files,
       coalesce(d.deployments, 0) AS deployments, coalesce(d.deployments_failed, 0) AS deployments_failed,
       coalesce(d.deployments_rework, 0) AS deployments_rework,
       coalesce(l._lead, []) AS _lead,
       coalesce(lp._lead_proxy, []) AS _lead_proxy,
       coalesce(io.incidents, 0) AS incidents, coalesce(io.bugs, 0) AS bugs,
       coalesce(ir._restore, []) AS _restore
FROM spine s
LEFT JOIN heads h USING (team, day)
LEFT JOIN ai USING (team, day)
LEFT JOIN opened o USING (team, day)
LEFT JOIN merged mg USING (team, day)
LEFT JOIN closed c USING (team, day)
LEFT JOIN reviewed rv USING (team, day)
LEFT JOIN deps d USING (team, day)
LEFT JOIN lead l USING (team, day)
LEFT JOIN lead_proxy lp USING (team, day)
LEFT JOIN inc_open io USING (team, day)
LEFT JOIN inc_resolved ir USING (team, day)
"""


_AI_SUMS = ["ai_sessions", "ai_requests", "ai_cost_usd", "ai_tokens_input", "ai_tokens_output",
            "ai_tokens_cache_read", "ai_tokens_cache_creation", "ai_lines_added", "ai_lines_removed", "ai_commits",
            "ai_prs", "ai_edit_accepted", "ai_edit_rejected"]
_COUNTS = ["prs_opened", "prs_merged", "prs_closed_unmerged", "ai_assisted_prs_merged", "prs_merged_without_review",
           "deployments", "deployments_failed", "deployments_rework", "incidents", "bugs"]
_MEDIANS = {"pr_cycle_time_h_median": "_cycle", "pr_pickup_time_h_median": "_pickup",
            "pr_review_time_h_median": "_review", "pr_coding_time_h_median": "_coding", "pr_size_median": "_size",
            "pr_files_median": "_files", "lead_time_h_median": "_lead", "lead_time_proxy_h_median": "_lead_proxy",
            "time_to_restore_h_median": "_restore"}


def _aggregate_sql(grain: Grain, keep_lists: bool) -> str:
    period = {"day": "day", "week": "CAST(date_trunc('week', day) AS DATE)",
              "month": "CAST(date_trunc('month', day) AS DATE)"}[grain]
    label = grain
    # An AI column is 0 when the team had no AI rows at all in the period, and empty (NULL) when rows
    # exist but the source does not report that column ("empty, never zero").
    ai_cols = ",\n       ".join(
        f"CASE WHEN sum(_ai_rows) IS NULL THEN 0 ELSE sum({c}) END AS {c}" for c in _AI_SUMS)
    counts = ",\n       ".join(f"sum({c}) AS {c}" for c in _COUNTS)
    medians = ",\n       ".join(f"list_median(flatten(list({src}))) AS {name}" for name, src in _MEDIANS.items())
    lists = ""
    if keep_lists:
        lists = ",\n       " + ",\n       ".join(
            f"flatten(list({src})) AS {src}" for src in dict.fromkeys(_MEDIANS.values()))
        lists += ",\n       list_distinct(flatten(list(_ai_persons))) AS _ai_persons"
    return f"""
SELECT team, {period} AS {label},
       count(*) AS days,
       len(list_distinct(flatten(list(_persons)))) AS headcount,
       sum(len(_persons)) AS dev_days,
       len(list_distinct(flatten(list(_dev_persons)))) AS active_devs,
       len(list_distinct(flatten(list(_ai_persons)))) AS ai_active_users,
       sum(len(_ai_persons)) AS ai_active_dev_days,
       {ai_cols},
       {counts},
       {medians}{lists}
FROM _panel_day
GROUP BY team, {period}
ORDER BY team, {label}
"""


def build_panel(store: Store, config: Config, since: date, until: date, grain: Grain = "day", *,
                keep_lists: bool = False) -> pd.DataFrame:
    """The team × period table over ``[since, until]`` (both inclusive days).

    Args:
        store: an open store.
        config: supplies teams, dated membership, repo/service ownership, time zone and source precedence.
        since, until: the window, as days in the configured time zone.
        grain: ``day`` (one row per team and day), ``week`` (ISO weeks, Monday) or ``month``.
        keep_lists: also return the ``_``-prefixed event lists behind the medians (for reports).

    Returns:
        One row per team and period with :data:`PANEL_COLUMNS` (the period column is named after the
        grain) followed by :data:`EXTRA_COLUMNS` and ``days``. Counts are integers (0 when nothing
        happened); medians are floats (NaN when there was nothing to take the median of).
    """
    if grain not in ("day", "week", "month"):
        raise UsageError(f"--grain must be day, week or month, not {grain!r}")
    if until < since:
        raise UsageError(f"the window ends ({until}) before it starts ({since})")
    if not config.team_names:
        raise UsageError("the config names no teams: add [[teams]] entries with their members.")
    register_mapping(store, config)
    store.con.execute(_day_table_sql(config), {"since": since, "until": until})
    frame = store.con.execute(_aggregate_sql(grain, keep_lists)).df()
    period = grain
    frame[period] = pd.to_datetime(frame[period]).dt.date
    ordered = ["team", period] + [c for c in PANEL_COLUMNS[2:]] + EXTRA_COLUMNS + ["days"]
    rest = [c for c in frame.columns if c not in ordered]
    frame = frame[ordered + rest]
    int_cols = ["headcount", "ai_active_users", "dev_days", "active_devs", "ai_active_dev_days", "days", *_COUNTS]
    frame[int_cols] = frame[int_cols].astype("int64")
    return frame
