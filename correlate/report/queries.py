"""Store queries the reports need beyond the team × day panel (DuckDB SQL, team-level only).

Each query runs after :func:`correlate.mapping.register_mapping` (the panel build does it), so the
``_membership`` view and the ``_norm_id`` macro exist. Every result is aggregated over people and
carries the number of distinct people behind each row, so callers can suppress rows below the
minimum group size. Orderings are total (ties broken by name) so reports are deterministic.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from correlate.config import Config
from correlate.days import day_sql
from correlate.mapping import register_mapping
from correlate.store import Store

__all__ = ["data_span", "demo_truth", "edit_acceptance", "pr_split", "tool_usage"]

_MEMBER = ("JOIN _membership m ON m.identity = {ident} AND (m.since IS NULL OR {day} >= m.since) "
           "AND (m.until IS NULL OR {day} < m.until)")


def edit_acceptance(store: Store, since: date, until: date) -> pd.DataFrame:
    """Accepted and rejected edit suggestions by tool and edit tool, with the number of people behind each."""
    frame = store.query("""
        SELECT tool, edit_tool, sum(accepted) AS accepted, sum(rejected) AS rejected,
               count(DISTINCT lower(actor)) AS people
        FROM ai_edit_actions WHERE day BETWEEN ? AND ?
        GROUP BY ALL ORDER BY tool, edit_tool""", [since, until])
    total = frame["accepted"].fillna(0) + frame["rejected"].fillna(0)
    frame["rate"] = (frame["accepted"] / total).where(total > 0)
    return frame


_GROUPS = {
    "assisted": "CASE WHEN p.ai_assisted THEN 'AI-assisted' WHEN NOT p.ai_assisted THEN 'Not AI-assisted' "
                "ELSE 'Unknown' END",
    # the assistant the PR's own evidence names (trailer, co-author, label); unassisted PRs as one group
    "tool": "CASE WHEN p.ai_assisted AND p.ai_tool IS NOT NULL THEN p.ai_tool "
            "WHEN p.ai_assisted THEN 'AI-assisted, tool unknown' WHEN NOT p.ai_assisted THEN 'Not AI-assisted' "
            "ELSE 'Unknown' END",
}


def pr_split(store: Store, config: Config, since: date, until: date, by: str = "assisted") -> pd.DataFrame:
    """Leading indicators of PRs by configured-team authors, split by AI-assisted (True/False/unknown),
    or with ``by="tool"`` by the assistant that helped.

    Merged PRs count on their merge day; merge rate uses PRs closed (merged or not) in the window.
    """
    register_mapping(store, config)
    tz = config.timezone
    closed = day_sql("coalesce(p.merged_at, p.closed_at)", tz)
    join = _MEMBER.format(ident="_norm_id(p.author)", day=closed)
    return store.con.execute(f"""
        WITH pr AS (
          SELECT p.*, m.person,
                 {_GROUPS[by]} AS grp
          FROM pull_requests p {join}
          WHERE coalesce(p.author_type, 'User') <> 'Bot' AND NOT lower(coalesce(p.author, '')) LIKE '%[bot]'
            AND _norm_id(coalesce(p.author, '')) NOT IN (SELECT login FROM _bots)
            AND coalesce(p.merged_at, p.closed_at) IS NOT NULL AND {closed} BETWEEN $since AND $until)
        SELECT grp, count(DISTINCT person) AS people,
               count(*) FILTER (WHERE merged_at IS NOT NULL) AS merged,
               count(*) FILTER (WHERE merged_at IS NULL) AS closed_unmerged,
               median(cycle_s / 3600.0) FILTER (WHERE merged_at IS NOT NULL) AS cycle_h,
               median(coding_s / 3600.0) FILTER (WHERE merged_at IS NOT NULL) AS coding_h,
               median(pickup_s / 3600.0) FILTER (WHERE merged_at IS NOT NULL) AS pickup_h,
               median(review_s / 3600.0) FILTER (WHERE merged_at IS NOT NULL) AS review_h,
               median(size_lines) FILTER (WHERE merged_at IS NOT NULL) AS size,
               count(*) FILTER (WHERE merged_at IS NOT NULL AND merged_without_review) AS without_review,
               -- merge rate and the unreviewed share, as the catalogue defines them (NULL over nothing)
               merged / nullif(merged + closed_unmerged, 0) AS merge_rate,
               without_review / nullif(merged, 0) AS without_review_share
        FROM pr GROUP BY grp ORDER BY grp""", {"since": since, "until": until}).df()


def data_span(store: Store) -> tuple[date, date] | None:
    """First and last day with any AI usage or pull request in the store (None when both are empty), within
    the store's plausible window of event times (a row stored before the window existed cannot size it)."""
    window = {"lo": store.window.first, "hi": store.window.last}
    row = store.one("""
        SELECT min(d), max(d) FROM (
          SELECT min(day) AS d FROM ai_usage_daily WHERE day BETWEEN $lo AND $hi
          UNION ALL SELECT max(day) FROM ai_usage_daily WHERE day BETWEEN $lo AND $hi
          UNION ALL SELECT min(CAST(created_at AS DATE)) FROM pull_requests
                    WHERE CAST(created_at AS DATE) BETWEEN $lo AND $hi
          UNION ALL SELECT max(CAST(coalesce(merged_at, closed_at, created_at) AS DATE)) FROM pull_requests
                    WHERE CAST(coalesce(merged_at, closed_at, created_at) AS DATE) BETWEEN $lo AND $hi)
        """, window)
    if not row or row[0] is None:
        return None
    return row[0], row[1]


def tool_usage(store: Store, config: Config, since: date, until: date) -> pd.DataFrame:
    """Per assistant: distinct people of configured teams, spend by cost provenance, sessions and requests
    (the usage rows the team × day table uses, after the per-actor-day source precedence)."""
    register_mapping(store, config)
    join = _MEMBER.format(ident="u.ident", day="u.day")
    return store.con.execute(f"""
        SELECT u.tool, count(DISTINCT m.person) AS people, count(*) AS person_days,
               sum(u.cost_usd) AS cost_usd,
               sum(u.cost_usd) FILTER (WHERE u.cost_provenance = 'estimated') AS cost_estimated,
               sum(u.cost_usd) FILTER (WHERE u.cost_provenance LIKE 'billed%') AS cost_billed,
               sum(u.cost_usd) FILTER (WHERE u.cost_provenance = 'discounted') AS cost_discounted,
               sum(u.cost_usd) FILTER (WHERE u.cost_provenance IN ('seat', 'derived')) AS cost_other,
               count(*) FILTER (WHERE u.cost_usd IS NULL) AS days_without_cost,
               sum(u.sessions) AS sessions, sum(u.requests) AS requests
        FROM _ai_usage_ranked u {join}
        WHERE u.kept AND u.day BETWEEN $since AND $until
        GROUP BY u.tool ORDER BY u.tool""", {"since": since, "until": until}).df()


def demo_truth(store: Store) -> tuple[dict[str, object], pd.DataFrame] | None:
    """What ``correlate demo`` planted (``demo_planted``, one row) and each team's adoption day
    (``demo_adoption``), or None for a store that is not a demo's (the tables are absent or empty)."""
    tables = {r[0] for r in store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name IN ('demo_planted', 'demo_adoption')"
    ).fetchall()}
    if tables != {"demo_planted", "demo_adoption"}:
        return None
    # fetched as Python values, not through a DataFrame: a DATE column stays a date ("2026-12-07"), where pandas
    # would turn it into a timestamp that prints a midnight time
    cur = store.con.execute("SELECT * FROM demo_planted ORDER BY as_of DESC LIMIT 1")
    row = cur.fetchone()
    if row is None:
        return None
    planted = {str(col[0]): value for col, value in zip(cur.description, row, strict=True)}
    adoption = store.con.execute("SELECT team, adoption_day, members FROM demo_adoption ORDER BY team").df()
    return planted, adoption
