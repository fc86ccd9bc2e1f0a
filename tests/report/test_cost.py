"""The report's caching and batch figures price through the one price table: the user's ``[prices] file``
replaces the shipped rows of a model, and each usage day is priced at the row in force that day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.records import AIUsageDay, AIUsageModelDay
from correlate.config import from_mapping
from correlate.report.monthly import build_monthly
from correlate.report.statistics import unavailable
from correlate.store import Store

BEFORE, AFTER = date(2026, 3, 9), date(2026, 3, 20)
MODEL = "claude-sonnet-4-5-20250929"


def test_cache_and_batch_figures_honour_the_override_and_its_effective_dates(tmp_path: Path) -> None:
    prices = tmp_path / "my-prices.toml"
    prices.write_text("""
batch_discount = 0.4
[[models]]
id = "claude-sonnet-4-5"
prices = [{ input = 4.0, output = 20.0, cache_read = 1.0 },
          { effective_from = "2026-03-15", input = 2.0, output = 8.0, cache_read = 0.5 }]
""", encoding="utf-8")
    people = ["ann@acme.com", "bob@acme.com", "cy@acme.com"]
    config = from_mapping({"store": {"path": str(tmp_path / "s.duckdb")}, "prices": {"file": str(prices)},
                           "teams": [{"name": "a", "members": people}],
                               # one person's usage: a pricing test, so the privacy rule (which would hide a
                               # model row used by one person) is set out of the way
                               "report": {"min_group_size": 1}},
                          path=None)
    with Store.open(config.store_path) as store:
        store.upsert(AIUsageDay, [AIUsageDay("claude_code", "analytics_api", d, "ann@acme.com", cost_usd=1.0)
                                  for d in (BEFORE, AFTER)])
        store.upsert(AIUsageModelDay, [
            AIUsageModelDay("claude_code", "analytics_api", d, "ann@acme.com", MODEL, tokens_input=1_000_000,
                            tokens_output=1_000_000, tokens_cache_read=2_000_000, cost_usd=1.0)
            for d in (BEFORE, AFTER)])
        report = build_monthly(store, config, "2026-03", stats=unavailable("not needed for this test"))
    row = next(m for m in report.cost.models if m.model == MODEL)
    # cache reads: 2 M tokens x (input - cache read) on each day's row
    assert row.cache_saved_usd == pytest.approx(2 * (4.0 - 1.0) + 2 * (2.0 - 0.5))
    # batch: the override's 40 % off 1 M input and 1 M output tokens, at each day's rates
    assert row.batch_saving_usd == pytest.approx(0.4 * ((4.0 + 20.0) + (2.0 + 8.0)))
    assert row.uncached_cost_usd == pytest.approx(2.0 + row.cache_saved_usd)
    assert report.cost.model_total.cache_saved_usd == pytest.approx(row.cache_saved_usd)
    assert str(prices) in report.cost.price_note
