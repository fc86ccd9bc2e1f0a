"""The team × day table: one row per team and calendar day, built in DuckDB SQL from the store.

Every value has a named event date (definitions.md, "The joined table"): a PR counts on the day it
opened (``prs_opened``), merged (throughput, cycle time and its stages, size, review) or closed
unmerged; a deployment on the day it finished; an incident on the day it started (count) and on the
day it resolved (time to restore). People belong to teams by the dated membership in the config;
deployments and incidents belong to the team that owns the repo or service.

Counts are 0 on a day with nothing; medians are empty (NaN) when there is nothing to take the median
of. Every grain is aggregated straight from day-level facts (one row per event, or per person and
day for AI use), so a weekly median is the median of that week's events and a weekly headcount
counts that week's people, never a median of daily medians. Identities are normalised once per
distinct string (:mod:`correlate.mapping`), not per row. With ``keep_lists`` the ``_``-prefixed
event lists behind the medians and the AI-active people come back too (reports merge teams with them).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from correlate.config import Config
from correlate.days import day_sql, working_days
from correlate.errors import UsageError
from correlate.mapping import register_mapping
from correlate.metrics.catalogue import rework_condition
from correlate.store import Store

__all__ = ["PANEL_COLUMNS", "Facts", "Grain", "build_panel", "prepare_facts", "register_mapping"]

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


def _run(store: Store, script: str, params: dict[str, Any]) -> None:
    """Run a script of ``;``-separated statements, each with the named parameters it uses (DuckDB binds
    parameters only in a script's last statement)."""
    for stmt in (part.strip() for part in script.split(";\n")):
        if stmt:
            store.con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in stmt})


def _member_join(alias: str, raw: str, day: str) -> str:
    return (f"JOIN _raw_member {alias} ON {alias}.raw = {raw} "
            f"AND ({alias}.since IS NULL OR {day} >= {alias}.since) "
            f"AND ({alias}.until IS NULL OR {day} < {alias}.until)")


def _facts_sql(config: Config) -> str:
    """Day-level facts as temp tables: one row per event (or per person-day for AI use), no lists.

    Every grain aggregates these directly, so distinct counts and medians of a week or month are
    taken over that period's people and events, never over daily summaries.
    """
    tz = config.timezone
    created, merged, closed = (day_sql(f"p.{c}", tz) for c in ("created_at", "merged_at", "closed_at"))
    submitted = day_sql("r.submitted_at", tz)
    finished = day_sql("d.finished_at", tz)
    started, resolved = day_sql("i.created_at", tz), day_sql("i.resolved_at", tz)
    active = ("coalesce(a.sessions, 0) + coalesce(a.requests, 0) + coalesce(a.tokens_input, 0) "
              "+ coalesce(a.tokens_output, 0) + coalesce(a.lines_added, 0) + coalesce(a.lines_accepted, 0) "
              "+ coalesce(a.edit_accepted, 0) + coalesce(a.cost_usd, 0) > 0")
    ai_sums = ", ".join(f"sum(a.{c[3:]}) AS {c}" for c in _AI_SUMS)
    return f"""
CREATE OR REPLACE TEMP TABLE _f_member AS
SELECT DISTINCT team, person, since, until FROM _membership;

-- AI rows per tool and day from the first source in precedence order that each person has that day (the one
-- precedence view, correlate.mapping): all of that source's rows, and none of the others'
CREATE OR REPLACE TEMP TABLE _f_ai AS
SELECT m.team, a.day, m.person, count(*) AS _ai_rows, bool_or({active}) AS active, {ai_sums}
FROM _ai_usage_ranked a {_member_join("m", "a.actor", "a.day")}
WHERE a.kept AND a.day BETWEEN $since AND $until
GROUP BY m.team, a.day, m.person;

CREATE OR REPLACE TEMP TABLE _f_pr AS
WITH pr AS (
    SELECT p.* FROM pull_requests p LEFT JOIN _raw_ident r ON r.raw = p.author
    WHERE coalesce(p.author_type, 'User') <> 'Bot' AND NOT lower(coalesce(p.author, '')) LIKE '%[bot]'
      AND coalesce(r.ident, '') NOT IN (SELECT login FROM _bots)
)
SELECT m.team, {created} AS day, m.person, 'opened' AS event, NULL::BOOLEAN AS ai_assisted,
       NULL::BOOLEAN AS no_review, NULL::DOUBLE AS cycle_h, NULL::DOUBLE AS pickup_h, NULL::DOUBLE AS review_h,
       NULL::DOUBLE AS coding_h, NULL::DOUBLE AS size, NULL::DOUBLE AS files
FROM pr p {_member_join("m", "p.author", created)}
WHERE {created} BETWEEN $since AND $until
UNION ALL
SELECT m.team, {merged}, m.person, 'merged', p.ai_assisted, p.merged_without_review, p.cycle_s / 3600.0,
       p.pickup_s / 3600.0, p.review_s / 3600.0, p.coding_s / 3600.0, CAST(p.size_lines AS DOUBLE),
       CAST(p.changed_files AS DOUBLE)
FROM pr p {_member_join("m", "p.author", merged)}
WHERE p.merged_at IS NOT NULL AND {merged} BETWEEN $since AND $until
UNION ALL
SELECT m.team, {closed}, m.person, 'closed', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM pr p {_member_join("m", "p.author", closed)}
WHERE p.merged_at IS NULL AND p.closed_at IS NOT NULL AND {closed} BETWEEN $since AND $until;

CREATE OR REPLACE TEMP TABLE _f_review AS
SELECT DISTINCT m.team, {submitted} AS day, m.person
FROM reviews r {_member_join("m", "r.author", submitted)}
WHERE coalesce(r.author_type, 'User') <> 'Bot' AND {submitted} BETWEEN $since AND $until;

-- incidents (not bugs) with their owner, for the rework rule's "finished while an incident was open"
CREATE OR REPLACE TEMP TABLE _f_inc_span AS
SELECT coalesce(t.team, so.team, ro.team) AS team, lower(i.service) AS service_l, lower(i.repo) AS repo_l,
       i.created_at, i.resolved_at
FROM incidents i
LEFT JOIN _teams t ON t.team = i.team
LEFT JOIN _service_owner so ON so.service = i.service
LEFT JOIN _repo_owner ro ON ro.repo = lower(i.repo)
WHERE coalesce(i.kind, 'incident') = 'incident' AND i.created_at IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _f_dep AS
WITH dep AS (
    SELECT d.source, d.deployment_id, d.kind, coalesce(t.team, ro.team, so.team) AS team, {finished} AS day,
           d.finished_at, lower(d.service) AS service_l, lower(d.repo) AS repo_l
    FROM deployments d
    LEFT JOIN _teams t ON t.team = d.team
    LEFT JOIN _repo_owner ro ON ro.repo = lower(d.repo)
    LEFT JOIN _service_owner so ON so.service = d.service
    WHERE d.status = 'success' AND coalesce(d.is_production, TRUE) AND d.finished_at IS NOT NULL
      AND {finished} BETWEEN $since AND $until
)
SELECT d.source, d.deployment_id, d.kind, d.team, d.day,
       EXISTS (SELECT 1 FROM deployment_failures f
               WHERE f.deployment_source = d.source AND f.deployment_id = d.deployment_id) AS failed,
       {rework_condition("d", "_f_inc_span")} AS rework
FROM dep d;

CREATE OR REPLACE TEMP TABLE _f_lead AS
SELECT dep.team, dep.day, c.lead_time_s / 3600.0 AS lead_h
FROM deployment_changes c JOIN _f_dep dep ON dep.source = c.deployment_source AND dep.deployment_id = c.deployment_id
WHERE c.lead_time_s IS NOT NULL;

-- repos without deploy data: merge time stands in for the deploy (rule merge_proxy), kept apart
CREATE OR REPLACE TEMP TABLE _f_lead_proxy AS
SELECT ro.team, {merged} AS day, c.lead_time_s / 3600.0 AS lead_h
FROM deployment_changes c
JOIN pull_requests p ON p.repo = c.repo AND p.number = c.number
JOIN _repo_owner ro ON ro.repo = lower(c.repo)
WHERE c.rule = 'merge_proxy' AND c.lead_time_s IS NOT NULL AND p.merged_at IS NOT NULL
  AND {merged} BETWEEN $since AND $until;

CREATE OR REPLACE TEMP TABLE _f_inc AS
WITH inc AS (
    SELECT i.*, coalesce(t.team, so.team, ro.team) AS owner
    FROM incidents i
    LEFT JOIN _teams t ON t.team = i.team
    LEFT JOIN _service_owner so ON so.service = i.service
    LEFT JOIN _repo_owner ro ON ro.repo = lower(i.repo)
)
SELECT owner AS team, {started} AS day, 'opened' AS event, coalesce(kind, 'incident') AS kind, NULL::DOUBLE AS restore_h
FROM inc i WHERE {started} BETWEEN $since AND $until
UNION ALL
SELECT owner, {resolved}, 'resolved', 'incident', epoch(i.resolved_at - i.created_at) / 3600.0
FROM inc i
WHERE coalesce(kind, 'incident') = 'incident' AND i.resolved_at IS NOT NULL
  AND i.resolved_at >= i.created_at AND {resolved} BETWEEN $since AND $until;
"""


_AI_SUMS = ["ai_sessions", "ai_requests", "ai_cost_usd", "ai_tokens_input", "ai_tokens_output",
            "ai_tokens_cache_read", "ai_tokens_cache_creation", "ai_lines_added", "ai_lines_removed", "ai_commits",
            "ai_prs", "ai_edit_accepted", "ai_edit_rejected"]
_COUNTS = ["prs_opened", "prs_merged", "prs_closed_unmerged", "ai_assisted_prs_merged", "prs_merged_without_review",
           "deployments", "deployments_failed", "deployments_rework", "incidents", "bugs"]
# median column -> (fact table CTE, value column, list column kept for reports)
_MEDIANS = {"pr_cycle_time_h_median": ("mg", "cycle_h", "_cycle"),
            "pr_pickup_time_h_median": ("mg", "pickup_h", "_pickup"),
            "pr_review_time_h_median": ("mg", "review_h", "_review"),
            "pr_coding_time_h_median": ("mg", "coding_h", "_coding"), "pr_size_median": ("mg", "size", "_size"),
            "pr_files_median": ("mg", "files", "_files"), "lead_time_h_median": ("ld", "lead_h", "_lead"),
            "lead_time_proxy_h_median": ("lp", "lead_h", "_lead_proxy"),
            "time_to_restore_h_median": ("ir", "restore_h", "_restore")}


def _aggregate_sql(grain: Grain, keep_lists: bool) -> str:
    """Aggregate the day-level facts straight into ``grain`` periods (one row per team and period).

    Facts are read through the window (``$since``..``$until``): a :class:`Facts` handle they may
    cover a wider one.
    """
    def period(col: str = "day") -> str:
        return {"day": col, "week": f"CAST(date_trunc('week', {col}) AS DATE)",
                "month": f"CAST(date_trunc('month', {col}) AS DATE)"}[grain]

    def stats(cte: str) -> str:
        cols = []
        for name, (src, value, lst) in _MEDIANS.items():
            if src == cte:
                cols.append(f"median({value}) AS {name}")
                if keep_lists:
                    cols.append(f"list({value}) FILTER (WHERE {value} IS NOT NULL) AS {lst}")
        return ", ".join(cols)

    # An AI column is 0 when the team had no AI rows at all in the period, and empty (NULL) when rows
    # exist but the source does not report that column ("empty, never zero").
    ai_out = ", ".join(f"CASE WHEN ai._ai_rows IS NULL THEN 0 ELSE ai.{c} END AS {c}" for c in _AI_SUMS)
    counts = ", ".join(f"coalesce({c}, 0) AS {c}" for c in _COUNTS)
    medians = ", ".join(_MEDIANS)
    lists = ""
    if keep_lists:
        lists = ", " + ", ".join(f"coalesce({lst}, []) AS {lst}" for _, _, lst in _MEDIANS.values())
        lists += ", coalesce(_ai_persons, []) AS _ai_persons"
    ai_persons = ", list(DISTINCT person) FILTER (WHERE active) AS _ai_persons" if keep_lists else ""
    # day rows are unique per (team, day, person) in _f_ai, so person-days are counted with count(*).
    # dev_days counts members' *working* days (_f_calendar: [calendar] workdays minus holidays), so a holiday
    # week has fewer developer-days, not a drop in merged PRs per developer-week.
    if grain == "day":
        # A person's memberships of one team never overlap (the config rejects it), so a day's headcount
        # is the number of membership spans covering it: join days to spans grouped by their dates (a
        # few per team) instead of to every person.
        heads = """heads AS (
    SELECT s.team, s.period, sum(m.n) AS headcount, sum(m.n) * any_value(s.working_days) AS dev_days
    FROM spine s JOIN (SELECT team, since, until, count(*) AS n FROM _f_member GROUP BY ALL) m ON m.team = s.team
      AND (m.since IS NULL OR m.since <= s.p_hi) AND (m.until IS NULL OR m.until > s.p_lo)
    GROUP BY ALL
)"""
    else:
        heads = """heads AS (
    SELECT s.team, s.period, count(DISTINCT m.person) AS headcount, sum(hi.before - lo.before) AS dev_days
    FROM spine s JOIN _f_member m ON m.team = s.team
      AND (m.since IS NULL OR m.since <= s.p_hi) AND (m.until IS NULL OR m.until > s.p_lo)
    JOIN _f_calendar lo ON lo.d = greatest(s.p_lo, coalesce(m.since, s.p_lo))
    JOIN _f_calendar hi ON hi.d = least(s.p_hi + 1, coalesce(m.until, s.p_hi + 1))
    GROUP BY ALL
)"""
    windowed = ",\n".join(f"{t[1:]} AS (SELECT * FROM {t} WHERE day BETWEEN $since AND $until)"
                           for t in ("_f_ai", "_f_pr", "_f_review", "_f_dep", "_f_lead", "_f_lead_proxy", "_f_inc"))
    return f"""
WITH {windowed},
periods AS (
    SELECT {period("c.d")} AS period, min(c.d) AS p_lo, max(c.d) AS p_hi,
           count(*) AS days, count(*) FILTER (WHERE c.working) AS working_days
    FROM _f_calendar c WHERE c.d BETWEEN $since AND $until
    GROUP BY 1
),
spine AS (SELECT t.team, p.* FROM _teams t, periods p),
{heads},
ai AS (
    SELECT team, {period()} AS period, sum(_ai_rows) AS _ai_rows,
           count(DISTINCT person) FILTER (WHERE active) AS ai_active_users,
           count(*) FILTER (WHERE active) AS ai_active_dev_days,
           {", ".join(f"sum({c}) AS {c}" for c in _AI_SUMS)}{ai_persons}
    FROM f_ai GROUP BY ALL
),
devs AS (
    SELECT team, {period()} AS period, count(DISTINCT person) AS active_devs
    FROM (SELECT team, day, person FROM f_pr WHERE event IN ('opened', 'merged')
          UNION ALL SELECT team, day, person FROM f_review)
    GROUP BY ALL
),
prs AS (
    SELECT team, {period()} AS period,
           count(*) FILTER (WHERE event = 'opened') AS prs_opened,
           count(*) FILTER (WHERE event = 'closed') AS prs_closed_unmerged
    FROM f_pr WHERE event <> 'merged' GROUP BY ALL
),
mg AS (
    SELECT team, {period()} AS period, count(*) AS prs_merged,
           count(*) FILTER (WHERE ai_assisted) AS ai_assisted_prs_merged,
           count(*) FILTER (WHERE no_review) AS prs_merged_without_review, {stats("mg")}
    FROM f_pr WHERE event = 'merged' GROUP BY ALL
),
deps AS (
    SELECT team, {period()} AS period, count(*) AS deployments, count(*) FILTER (WHERE failed) AS deployments_failed,
           count(*) FILTER (WHERE rework) AS deployments_rework
    FROM f_dep GROUP BY ALL
),
ld AS (SELECT team, {period()} AS period, {stats("ld")} FROM f_lead GROUP BY ALL),
lp AS (SELECT team, {period()} AS period, {stats("lp")} FROM f_lead_proxy GROUP BY ALL),
io AS (
    SELECT team, {period()} AS period, count(*) FILTER (WHERE kind = 'incident') AS incidents,
           count(*) FILTER (WHERE kind = 'bug') AS bugs
    FROM f_inc WHERE event = 'opened' GROUP BY ALL
),
ir AS (SELECT team, {period()} AS period, {stats("ir")} FROM f_inc WHERE event = 'resolved' GROUP BY ALL)
SELECT s.team, s.period AS {grain}, s.days, s.working_days,
       coalesce(h.headcount, 0) AS headcount, coalesce(h.dev_days, 0) AS dev_days,
       coalesce(dv.active_devs, 0) AS active_devs,
       coalesce(ai.ai_active_users, 0) AS ai_active_users, coalesce(ai.ai_active_dev_days, 0) AS ai_active_dev_days,
       {ai_out},
       {counts},
       {medians}{lists}
FROM spine s
LEFT JOIN heads h USING (team, period)
LEFT JOIN ai USING (team, period)
LEFT JOIN devs dv USING (team, period)
LEFT JOIN prs USING (team, period)
LEFT JOIN mg USING (team, period)
LEFT JOIN deps USING (team, period)
LEFT JOIN ld USING (team, period)
LEFT JOIN lp USING (team, period)
LEFT JOIN io USING (team, period)
LEFT JOIN ir USING (team, period)
ORDER BY s.team, s.period
"""


_GENERATION = itertools.count(1)


@dataclass(frozen=True)
class Facts:
    """The day-level facts of ``[since, until]``, built once on a store's connection (temp tables ``_f_*``).

    Every grain of the panel is an aggregation of these facts (:meth:`panel`), so a report that needs a
    month, the month before and a year of weeks builds them once and aggregates three times. The handle
    is explicit, not a cache: building facts again on the same connection (another :func:`prepare_facts`
    or :func:`build_panel`) replaces the temp tables, and an older handle then rebuilds its own before use.
    Read-only: rows written to the store after :func:`prepare_facts` are not in the facts.
    """

    store: Store
    config: Config
    since: date
    until: date
    generation: int

    def _ensure(self) -> None:
        try:
            row = self.store.con.execute("SELECT generation FROM _f_generation").fetchone()
        except duckdb.CatalogException:
            row = None
        if row is None or row[0] != self.generation:
            _build_facts(self.store, self.config, self.since, self.until, self.generation)

    def _check(self, since: date, until: date) -> None:
        if until < since:
            raise UsageError(f"the window ends ({until}) before it starts ({since})")
        if since < self.since or until > self.until:
            raise UsageError(f"the window {since}..{until} is outside the facts built for {self.since}..{self.until}")

    def panel(self, since: date, until: date, grain: Grain = "day", *, keep_lists: bool = False) -> pd.DataFrame:
        """The team × period table over ``[since, until]`` (inside the facts' window): see :func:`build_panel`."""
        if grain not in ("day", "week", "month"):
            raise UsageError(f"--grain must be day, week or month, not {grain!r}")
        self._check(since, until)
        self._ensure()
        frame = self.store.con.execute(_aggregate_sql(grain, keep_lists), {"since": since, "until": until}).df()
        frame[grain] = pd.to_datetime(frame[grain]).dt.date
        ordered = ["team", grain] + [c for c in PANEL_COLUMNS[2:]] + EXTRA_COLUMNS + ["days", "working_days"]
        rest = [c for c in frame.columns if c not in ordered]
        frame = frame[ordered + rest]
        int_cols = ["headcount", "ai_active_users", "dev_days", "active_devs", "ai_active_dev_days", "days",
                    "working_days", *_COUNTS]
        frame[int_cols] = frame[int_cols].astype("int64")
        return frame

    def deployment_days(self, since: date, until: date) -> pd.DataFrame:
        """``team, day, deployments`` for the days with at least one production deployment (the panel's
        ``deployments`` column without the empty days: tier inputs need only the days that had one)."""
        self._check(since, until)
        self._ensure()
        frame = self.store.con.execute("""
            SELECT team, day, count(*) AS deployments FROM _f_dep
            WHERE team IS NOT NULL AND day BETWEEN $since AND $until GROUP BY ALL ORDER BY ALL""",
                                       {"since": since, "until": until}).df()
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
        return frame


def _build_facts(store: Store, config: Config, since: date, until: date, generation: int) -> None:
    register_mapping(store, config)
    _register_calendar(store, config, since, until)
    _run(store, _facts_sql(config), {"since": since, "until": until})
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE _f_generation AS SELECT {int(generation)} AS generation")


def _register_calendar(store: Store, config: Config, since: date, until: date) -> None:
    """``_f_calendar(d, working, before)``: every day of ``[since, until + 1]``, whether it is a working day
    (``[calendar] workdays`` minus the public holidays of ``[calendar] holidays``), and how many working days
    precede it, so the working days of ``[a, b)`` are ``before(b) - before(a)`` (developer-days of a membership)."""
    days = pd.date_range(since, until + timedelta(days=1), freq="D")
    cal = config.root.calendar
    working = days.isin(working_days(since, until + timedelta(days=1), country=cal.holidays, workdays=cal.workdays))
    frame = pd.DataFrame({"d": days.date, "working": working,
                          "before": np.concatenate([[0], np.cumsum(working)[:-1]]).astype("int64")})
    store.con.register("_calendar_frame", frame)
    try:
        store.con.execute("CREATE OR REPLACE TEMP TABLE _f_calendar AS "
                          "SELECT CAST(d AS DATE) AS d, working, before FROM _calendar_frame")
    finally:
        store.con.unregister("_calendar_frame")


def prepare_facts(store: Store, config: Config, since: date, until: date) -> Facts:
    """Build the day-level facts of ``[since, until]`` once; aggregate them with :meth:`Facts.panel`.

    Raises:
        UsageError: the window ends before it starts, or the config names no teams.
    """
    if until < since:
        raise UsageError(f"the window ends ({until}) before it starts ({since})")
    if not config.team_names:
        raise UsageError("the config names no teams: add [[teams]] entries with their members.")
    facts = Facts(store, config, since, until, next(_GENERATION))
    _build_facts(store, config, since, until, facts.generation)
    return facts


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
        grain) followed by :data:`EXTRA_COLUMNS`, ``days`` and ``working_days`` (``[calendar] workdays``,
        Monday to Friday by default, minus the public holidays of ``[calendar] holidays``). Counts
        are integers (0 when nothing happened); medians are floats (NaN when there was nothing to take
        the median of).
    """
    if grain not in ("day", "week", "month"):
        raise UsageError(f"--grain must be day, week or month, not {grain!r}")
    return prepare_facts(store, config, since, until).panel(since, until, grain, keep_lists=keep_lists)
