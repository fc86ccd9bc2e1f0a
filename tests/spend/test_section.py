"""The report's spend section (a view-model) and the recommendations' evidence bars."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from connectors.records import AIUsageModelDay
from correlate.config import SpendConfig, from_mapping
from correlate.panel import build_panel
from correlate.prices import load_prices
from correlate.spend.classify import CLASSES
from correlate.spend.linking import LINK_RULES
from correlate.spend.metrics import cache_use, cost_per_commit
from correlate.spend.recommendations import recommend
from correlate.spend.section import spend_section
from tests.spend.conftest import Build, D, World, pr, usage


def test_the_section_adds_up_and_names_its_thresholds_and_evidence(world: World) -> None:
    first, last = world.until - timedelta(days=29), world.until
    s = spend_section(world.store, world.config, first, last, as_of=world.as_of)
    panel = build_panel(world.store, world.config, first, last)
    assert s.total_usd == pytest.approx(float(panel["ai_cost_usd"].fillna(0).sum()))
    assert sum(s.by_class.values()) == pytest.approx(s.total_usd)
    assert list(s.by_class) == list(CLASSES) and list(s.rule_shares) == list(LINK_RULES)
    assert s.by_team["total"].sum() == pytest.approx(s.total_usd)
    assert s.by_reason["cost_usd"].sum() == pytest.approx(s.total_usd)
    assert set(s.by_reason.loc[s.by_reason["class"] == "unattributed", "prs"]) == {0}
    assert {"incident", "merged_survived", "closed_unmerged"} <= set(s.by_reason["reason"])
    recent = s.over_time[s.over_time["period"] >= first - timedelta(days=6)]
    assert s.over_time[list(CLASSES)].to_numpy().sum() > s.total_usd  # the comparison window is in it too
    assert s.by_team_model["total"].sum() == pytest.approx(s.total_usd)
    assert len(recent) > 0
    assert set(s.thresholds) == set(SpendConfig.model_fields)
    assert s.evidence == {"sessions": False, "pr_commits": False, "head_branches": True}
    assert s.unmapped_usd > 0  # the demo plants identities the mapping lacks
    # the demo's barely-caching team is the one the caching recommendation names
    caching = [r for r in s.recommendations if r.kind == "prompt_caching"]
    assert [r.team for r in caching] == [world.world.org.truth["low_cache_team"]]
    assert caching[0].numbers["cache_read_share"] < caching[0].numbers["elsewhere_share"] / 2
    for r in s.recommendations:
        assert r.evidence_bar and r.encoding and r.numbers, r


def test_no_recommendation_is_printed_below_its_bar(world: World) -> None:
    strict = from_mapping({**world.world.org.config_data, "spend": {
        "min_evidence_usd": 1e12, "min_evidence_share": 1.0, "min_evidence_prs": 10**9}}, path=None)
    s = spend_section(world.store, strict, world.until - timedelta(days=29), world.until, as_of=world.as_of)
    assert s.recommendations == []


def test_an_empty_store_gives_an_empty_section_not_an_error(build: Build) -> None:
    b = build()
    s = spend_section(b.store, b.config, D, D + timedelta(days=30))
    assert s.total_usd == 0 and s.recommendations == [] and s.by_team.empty
    assert set(s.by_class.values()) == {0.0}


def frame(**cols: list[object]) -> pd.DataFrame:
    return pd.DataFrame(cols)


EMPTY = pd.DataFrame()
NO_CPC = pd.DataFrame({"rising": pd.Series([], dtype=bool)})
NO_BATCH = pd.DataFrame(columns=["team", "batch_eligible_usd", "batch_saving_usd"])


def test_model_routing_needs_a_majority_enough_small_prs_and_a_saving() -> None:
    spend = SpendConfig()
    mix = frame(team=["a", "b"], small_pr_cost_usd=[500.0, 500.0], small_prs=[12, 3], top_model=["claude-opus-4-8"] * 2,
                top_model_share=[0.62, 0.9], top_model_cost_usd=[310.0, 450.0],
                cheaper_model=["claude-sonnet-5"] * 2, routing_saving_usd=[186.0, 270.0])
    recs = recommend(spend=spend, model_mix=mix, cache=EMPTY, shares_now=EMPTY, shares_before=EMPTY,
                     cost_per_commit=NO_CPC, batch=NO_BATCH)
    assert [(r.kind, r.team) for r in recs] == [("model_routing", "a")]  # b has 3 small PRs < min_evidence_prs
    assert "62%" in recs[0].message and "$186" in recs[0].message
    assert "claude-sonnet-5" in recs[0].encoding


def test_a_rise_in_the_wasteful_share_is_reported_with_both_figures() -> None:
    cols = list(CLASSES)
    now = pd.DataFrame([[70.0, 0.0, 30.0, 0.0, 0.0], [88.0, 0.0, 12.0, 0.0, 0.0]], index=["w", "v"], columns=cols)
    before = pd.DataFrame([[88.0, 0.0, 12.0, 0.0, 0.0]] * 2, index=["w", "v"], columns=cols)
    recs = recommend(spend=SpendConfig(), model_mix=frame(), cache=EMPTY, shares_now=now, shares_before=before,
                     cost_per_commit=NO_CPC, batch=NO_BATCH)
    rises = [r for r in recs if r.kind == "wasteful_rise"]
    assert [r.team for r in rises] == ["w"]
    assert rises[0].numbers["share_before"] == pytest.approx(0.12)
    assert rises[0].numbers["share_now"] == pytest.approx(0.30)


def test_batch_and_link_coverage_bars() -> None:
    batch = frame(team=["x", "y"], batch_eligible_usd=[200.0, 10.0], batch_saving_usd=[100.0, 5.0])
    now = pd.DataFrame([[10.0, 0.0, 0.0, 0.0, 90.0]], index=["x"], columns=list(CLASSES))
    recs = recommend(spend=SpendConfig(), model_mix=frame(), cache=EMPTY, shares_now=now, shares_before=EMPTY,
                     cost_per_commit=NO_CPC, batch=batch)
    assert sorted((r.kind, r.team) for r in recs) == [("batch", "x"), ("link_coverage", "x")]


def test_cache_savings_price_each_day_with_the_one_price_table_and_its_override(build: Build, tmp_path: Path) -> None:
    """Savings = cache reads × (input − cache-read rate) of the day; a [prices] file with a dated row wins."""
    days = (D, D + timedelta(days=1))
    model = "claude-sonnet-4-5-20250929"
    b = build(usage=[usage("alice@acme.com", d, 10.0) for d in days],
              models=[AIUsageModelDay("claude_code", "demo", d, "alice@acme.com", model, tokens_input=1000,
                                      tokens_cache_read=2_000_000, cost_usd=10.0) for d in days])
    inputs = b.inputs(since=D, until=D + timedelta(days=1))
    shipped = cache_use(inputs, load_prices())
    row = load_prices().price(model, D)
    assert row is not None and row.cache_read is not None
    assert shipped["cache_savings_usd"].sum() == pytest.approx(4 * (row.input - row.cache_read))
    override = tmp_path / "prices.toml"
    override.write_text(f"""
[[models]]
id = "{model}"
prices = [{{ input = 1.0, output = 2.0, cache_read = 0.5 }},
          {{ effective_from = "{(D + timedelta(days=1)).isoformat()}", input = 3.0, output = 6.0, cache_read = 1.0 }}]
""")
    dated = cache_use(inputs, load_prices(override))
    assert dated["cache_savings_usd"].sum() == pytest.approx(2 * (1.0 - 0.5) + 2 * (3.0 - 1.0))


def test_cost_per_commit_rising_without_bigger_prs_is_flagged(build: Build) -> None:
    w1, w2 = D, D + timedelta(days=7)
    b = build(usage=[usage("alice@acme.com", w1, 100.0, commits=20), usage("alice@acme.com", w2, 200.0, commits=20)],
              prs=[pr(1, "alice-gh", w1, w1, merged=w1, size=100), pr(2, "alice-gh", w2, w2, merged=w2, size=110)])
    inputs = b.inputs(since=w1, until=w2)
    periods = [(w1, w1 + timedelta(days=6)), (w2, w2 + timedelta(days=6))]
    g = cost_per_commit(inputs, SpendConfig(), periods=periods)
    last = g[g["period"] == w2].iloc[0]
    assert last["cost_per_commit"] == pytest.approx(10.0) and bool(last["rising"])
    bigger = build(usage=[], prs=[pr(2, "alice-gh", w2, w2, merged=w2, size=300)])
    g2 = cost_per_commit(bigger.inputs(since=w1, until=w2), SpendConfig(), periods=periods)
    assert not g2["rising"].any()  # PR size tripled: the rise is explained
