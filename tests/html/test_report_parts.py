"""Pure parts of the reports: the group-size rule, DORA tiers, list prices and caching savings, chart labels."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest

from correlate.html import charts
from correlate.html.cost import model_cost, price_of
from correlate.html.teams import OTHER, grouping
from correlate.html.tiers import tier_cells


def test_small_teams_merge_into_other_when_together_big_enough() -> None:
    g = grouping({"a": 12, "b": 3, "c": 2, "d": 7}, 5)
    assert g.shown == {"a": "a", "d": "d", "b": OTHER, "c": OTHER}
    assert g.merged == ("b", "c") and not g.suppressed
    assert "shown together" in g.note and "b, c" in g.note


def test_small_teams_are_suppressed_when_even_together_too_few() -> None:
    g = grouping({"a": 12, "b": 3}, 5)
    assert g.label("b") is None and g.suppressed == ("b",)
    assert "suppressed" in g.note and "organisation totals" in g.note


def test_no_note_when_every_team_is_big_enough() -> None:
    assert grouping({"a": 5, "b": 6}, 5).note == ""


def _tiers(**kw: float) -> dict[str, str]:
    base = dict(year=2023, weeks=12, deploy_days_per_week=5.0, deploy_days_per_month=20.0, lead_time_h=20.0,
                lead_n=50, cfr=0.04, deployments=60, restore_h=0.5, restore_n=5)
    base.update(kw)
    return {c.metric: c.tier for c in tier_cells(**base)}  # type: ignore[arg-type]


def test_dora_2023_thresholds_per_metric() -> None:
    # definitions.md, "The yardstick" (DevLake 2023): elite >= 5 deploy days/week, lead < 1 day, CFR <= 5%, < 1 h
    assert _tiers() == {"deploy_days_per_week": "elite", "lead_time_h": "elite", "cfr": "elite", "restore_h": "elite"}
    assert _tiers(deploy_days_per_week=1.0, lead_time_h=24.0, cfr=0.10, restore_h=1.0) == {
        "deploy_days_per_week": "high", "lead_time_h": "high", "cfr": "high", "restore_h": "high"}
    assert _tiers(deploy_days_per_week=0.5, deploy_days_per_month=2, lead_time_h=24 * 29, cfr=0.15,
                  restore_h=24 * 6)["cfr"] == "medium"
    assert _tiers(deploy_days_per_week=0.0, deploy_days_per_month=0, cfr=0.16)["deploy_days_per_week"] == "low"


def test_dora_2021_uses_its_own_table() -> None:
    assert _tiers(year=2021, cfr=0.15, lead_time_h=2.0, deploy_days_per_week=3.0) == {
        "deploy_days_per_week": "elite", "lead_time_h": "high", "cfr": "elite", "restore_h": "elite"}


def test_no_tier_below_the_minimum_n_and_the_reason_is_given() -> None:
    cells = {c.metric: c for c in tier_cells(year=2023, weeks=3, deploy_days_per_week=5, deploy_days_per_month=9,
                                             lead_time_h=1, lead_n=4, cfr=0.0, deployments=9, restore_h=0.1,
                                             restore_n=2)}
    assert all(c.tier == "no tier" for c in cells.values())
    assert "4 changes" in cells["lead_time_h"].reason and "9 deployments" in cells["cfr"].reason


def test_list_prices_ignore_dated_suffixes_and_unknown_models_get_none() -> None:
    assert price_of("claude-haiku-4-5-20251001") == (1.0, 5.0)
    assert price_of("claude-sonnet-4-5-20250929[1m]") == (3.0, 15.0)
    assert price_of("claude-opus-4-1-20250805") == (15.0, 75.0)  # not the Opus 4 prefix's sibling 4-8
    assert price_of("claude-opus-4-8") == (5.0, 25.0)
    assert price_of("gpt-4o") is None


def test_caching_savings_and_batch_counterfactual() -> None:
    # Opus 4.8: $5 in / $25 out per MTok; cache read 0.1x input (docs/sources.md §6); batch halves in and out
    m = model_cost("claude_code", "claude-opus-4-8", 100.0, 2_000_000, 1_000_000, 10_000_000)
    assert m.cache_saved_usd == pytest.approx(10 * 5 * 0.9)
    assert m.uncached_cost_usd == pytest.approx(145.0)
    assert m.batch_saving_usd == pytest.approx((2 * 5 + 1 * 25) / 2)
    assert m.cache_read_share == pytest.approx(10 / 12)
    unknown = model_cost("cursor", "gpt-4o", 10.0, 1, 1, 1)
    assert math.isnan(unknown.cache_saved_usd) and math.isnan(unknown.batch_saving_usd)


def test_chart_labels_are_literal_text_and_output_is_deterministic() -> None:
    days = [date(2026, 1, 5), date(2026, 1, 12)]
    names = {"<b>x</b>": [1.0, 2.0], "$\\frac{1}{0}$": [2.0, None], "{{ 7*7 }}": [0.5, 0.7]}
    svg = charts.line_chart("t & <t>", days, names)
    assert svg == charts.line_chart("t & <t>", days, names)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "&lt;b&gt;x&lt;/b&gt;" in texts and "$\\frac{1}{0}$" in texts and "{{ 7*7 }}" in texts
    assert "<title>t &amp; &lt;t&gt;</title>" in svg and "<b>" not in svg
