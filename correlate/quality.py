"""Data-quality numbers every report prints: identity match rates, unmatched identities, which
ingestion path supplied each actor-day (and where paths overlapped), ownership coverage, and the rows
quarantined for an event time outside the plausible window (correlate.plausible).

A leader fixes the mapping from these tables instead of guessing (definitions.md, "Identity").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from correlate.config import Config
from correlate.days import day_sql
from correlate.mapping import register_mapping
from correlate.store import Store

__all__ = ["DataQuality", "data_quality"]


@dataclass(frozen=True)
class DataQuality:
    """Match rates per source, top unmatched identities, source supply/overlap, ownership coverage, quarantine."""

    match_rates: pd.DataFrame  # source, rows, matched, match_rate
    unmatched: pd.DataFrame  # source, identity, rows, cost_usd
    supply: pd.DataFrame  # tool, source, actor_days, overlapped, used
    ownership: pd.DataFrame  # table, rows, owned, owned_rate
    # table, rows, first_value, last_value: every row ever quarantined (their dates lie outside any window)
    quarantined: pd.DataFrame


def data_quality(store: Store, config: Config, since: date, until: date, top: int = 10) -> DataQuality:
    """Compute the data-quality tables for ``[since, until]``."""
    register_mapping(store, config)
    con = store.con
    tz = config.timezone
    member = ("EXISTS (SELECT 1 FROM _raw_member m WHERE m.raw = {raw} AND (m.since IS NULL OR {day} >= m.since)"
              " AND (m.until IS NULL OR {day} < m.until))")
    ai_member = member.format(raw="u.actor", day="u.day")
    created = day_sql("p.created_at", tz)
    pr_member = member.format(raw="p.author", day=created)
    params = {"since": since, "until": until}
    match_rates = con.execute(f"""
        SELECT 'ai_usage: ' || u.source AS source, count(*) AS rows, count(*) FILTER (WHERE {ai_member}) AS matched
        FROM ai_usage_daily u WHERE u.day BETWEEN $since AND $until GROUP BY u.source
        UNION ALL
        SELECT 'pull requests (authors)', count(*), count(*) FILTER (WHERE {pr_member})
        FROM pull_requests p
        WHERE coalesce(p.author_type, 'User') <> 'Bot' AND {created} BETWEEN $since AND $until
        ORDER BY 1""", params).df()
    match_rates["match_rate"] = (match_rates["matched"] / match_rates["rows"]).where(match_rates["rows"] > 0)

    unmatched = con.execute(f"""
        SELECT * FROM (
          SELECT 'ai_usage: ' || u.source AS source, u.actor AS identity, count(*) AS rows,
                 sum(u.cost_usd) AS cost_usd
          FROM ai_usage_daily u WHERE u.day BETWEEN $since AND $until AND NOT {ai_member}
          GROUP BY ALL
          UNION ALL
          SELECT 'pull requests (authors)', p.author, count(*), NULL
          FROM pull_requests p
          WHERE coalesce(p.author_type, 'User') <> 'Bot' AND {created} BETWEEN $since AND $until
            AND NOT {pr_member}
          GROUP BY ALL)
        ORDER BY rows DESC, identity LIMIT {int(top)}""", params).df()

    supply = con.execute("""
        SELECT tool, source, count(*) AS actor_days, count(*) FILTER (WHERE paths > 1) AS overlapped,
               count(*) FILTER (WHERE kept) AS used
        FROM _ai_usage_ranked WHERE day BETWEEN $since AND $until
        GROUP BY ALL ORDER BY tool, source""", params).df()

    finished = day_sql("d.finished_at", tz)
    started = day_sql("i.created_at", tz)
    ownership = con.execute(f"""
        SELECT 'deployments' AS "table", count(*) AS rows,
               count(*) FILTER (WHERE d.team IN (SELECT team FROM _teams)
                                OR lower(d.repo) IN (SELECT repo FROM _repo_owner)
                                OR d.service IN (SELECT service FROM _service_owner)) AS owned
        FROM deployments d WHERE {finished} BETWEEN $since AND $until
        UNION ALL
        SELECT 'incidents', count(*),
               count(*) FILTER (WHERE i.team IN (SELECT team FROM _teams)
                                OR i.service IN (SELECT service FROM _service_owner)
                                OR lower(i.repo) IN (SELECT repo FROM _repo_owner))
        FROM incidents i WHERE {started} BETWEEN $since AND $until""", params).df()
    ownership["owned_rate"] = (ownership["owned"] / ownership["rows"]).where(ownership["rows"] > 0)
    quarantined = con.execute("""
        SELECT table_name AS "table", count(*) AS rows, min(value) AS first_value, max(value) AS last_value
        FROM quarantine GROUP BY ALL ORDER BY 1""").df()
    return DataQuality(match_rates, unmatched, supply, ownership, quarantined)
