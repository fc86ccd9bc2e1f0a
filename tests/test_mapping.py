"""The config's mapping in SQL (correlate.mapping): rebuilt after every committed write, reused otherwise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from connectors.records import AIUsageDay
from correlate.config import from_mapping
from correlate.mapping import register_mapping
from correlate.store import Store

CONFIG = from_mapping({"teams": [{"name": "a", "members": ["ann@example.com", "bob@example.com"]}]}, path=None)


def kept(store: Store) -> list[tuple[str, str]]:
    return store.con.execute("SELECT ident, source FROM _ai_usage_ranked WHERE kept ORDER BY ALL").fetchall()


def test_identities_written_after_a_registration_are_resolved_by_the_next_one(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [AIUsageDay("claude_code", "otel", date(2026, 3, 2), "Ann@example.com")])
        register_mapping(store, CONFIG)
        assert kept(store) == [("ann@example.com", "otel")]
        store.upsert(AIUsageDay, [AIUsageDay("claude_code", "otel", date(2026, 3, 2), "BOB@example.com"),
                                  AIUsageDay("claude_code", "analytics_api", date(2026, 3, 2), "ann@example.com")])
        register_mapping(store, CONFIG)
        # bob is resolved; ann's day now has two paths and the Analytics API (first in precedence) is kept
        assert kept(store) == [("ann@example.com", "analytics_api"), ("bob@example.com", "otel")]
        other = from_mapping({"teams": [{"name": "a", "members": ["ann@example.com"]}],
                              "ingest": {"precedence": ["otel"]}}, path=None)
        register_mapping(store, other)  # another config is registered anew, without a write in between
        assert kept(store) == [("ann@example.com", "otel"), ("bob@example.com", "otel")]
