"""Data quality (correlate.quality): which path supplied each actor-day, read through the one precedence view,
and the rows quarantined for an impossible event time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from connectors.records import AIUsageDay
from correlate.config import from_mapping
from correlate.quality import data_quality
from correlate.store import Store

DAY = date(2026, 3, 2)


def test_supply_counts_overlaps_and_the_path_precedence_keeps_and_quarantine_is_listed(store_path: Path) -> None:
    config = from_mapping({"teams": [{"name": "a", "members": [["ann@example.com", "ann"]]}],
                           "ingest": {"precedence": ["otel", "analytics_api"]}}, path=None)
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [
            AIUsageDay("claude_code", "analytics_api", DAY, "Ann@Example.com", sessions=2),
            AIUsageDay("claude_code", "otel", DAY, "ann@example.com", sessions=3),  # the same person-day again
            AIUsageDay("claude_code", "analytics_api", date(2026, 3, 3), "ann@example.com", sessions=1),
            AIUsageDay("claude_code", "otel", date(1970, 1, 1), "ann@example.com", sessions=1),  # quarantined
        ])
        quality = data_quality(store, config, DAY, date(2026, 3, 3))
    supply = quality.supply.set_index("source")[["actor_days", "overlapped", "used"]].to_dict("index")
    assert supply == {"analytics_api": {"actor_days": 2, "overlapped": 1, "used": 1},  # otel first in precedence
                      "otel": {"actor_days": 1, "overlapped": 1, "used": 1}}
    assert quality.quarantined.to_dict("records") == [
        {"table": "ai_usage_daily", "rows": 1, "first_value": "1970-01-01", "last_value": "1970-01-01"}]
