"""The classes partition the spend: per team × day they add up to the panel's ``ai_cost_usd``."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from connectors.records import AIUsageModelDay
from correlate.panel import build_panel
from correlate.spend import classify_window
from correlate.spend.classify import classify
from correlate.spend.linking import link_spend
from tests.spend.conftest import Build, D, World, pr, usage


def gap(detail: pd.DataFrame, panel: pd.DataFrame) -> float:
    ours = detail.groupby(["team", "day"])["cost_usd"].sum()
    theirs = panel.set_index(["team", "day"])["ai_cost_usd"].astype(float).fillna(0.0)
    return float((theirs - ours.reindex(theirs.index).fillna(0.0)).abs().max())


def test_classes_add_up_to_the_panel_per_team_and_day_in_the_synthetic_world(world: World) -> None:
    inputs = world.inputs()
    spend = world.config.root.spend
    c = classify(inputs, link_spend(inputs, spend, world.config.root.ingest.precedence), spend)
    panel = build_panel(world.store, world.config, world.since, world.until)
    assert panel["ai_cost_usd"].fillna(0).sum() > 1000
    assert gap(c.detail, panel) < 1e-9
    assert set(c.detail["team"]) <= set(panel["team"])


def test_the_same_source_precedence_and_membership_as_the_panel(build: Build) -> None:
    later = D + timedelta(days=1)
    b = build(usage=[usage("alice@acme.com", D, 5.0, source="analytics_api"),  # wins by precedence
                     usage("alice@acme.com", D, 9.0, source="demo"),
                     usage("ALICE@acme.com", later, 2.0, source="otel"),  # identity case folded
                     usage("carol@acme.com", D, 4.0, tool="cursor", source="cursor_api"),
                     usage("zed@elsewhere.test", D, 3.0)],  # in no team: outside the panel and the classes
              prs=[pr(1, "alice-gh", D, D, merged=later)],
              models=[AIUsageModelDay("claude_code", "analytics_api", D, "alice@acme.com", "claude-opus-4-8",
                                      cost_usd=3.0),
                      AIUsageModelDay("claude_code", "analytics_api", D, "alice@acme.com", "claude-sonnet-5",
                                      cost_usd=1.0)])
    inputs, c = classify_window(b.store, b.config, D, later)
    panel = build_panel(b.store, b.config, D, later)
    assert gap(c.detail, panel) < 1e-12
    assert inputs.unmapped_cost_usd == pytest.approx(3.0)
    # the model rows give the mix (3:1), the day row the total (5)
    alice = c.detail[(c.detail["day"] == D) & (c.detail["team"] == "payments")].groupby("model")["cost_usd"].sum()
    assert alice.to_dict() == {"claude-opus-4-8": pytest.approx(3.75), "claude-sonnet-5": pytest.approx(1.25)}
    assert set(c.detail.loc[c.detail["day"] == later, "model"]) == {"unknown"}


def test_a_credit_day_is_kept_as_unattributed_so_the_sum_still_matches(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, -4.0), usage("bob@acme.com", D, 10.0)],
              prs=[pr(1, "alice-gh", D, D, merged=D + timedelta(days=1)),
                   pr(2, "bob-gh", D, D, merged=D + timedelta(days=1))])
    _, c = classify_window(b.store, b.config, D, D)
    assert gap(c.detail, build_panel(b.store, b.config, D, D)) < 1e-12
    assert c.detail.loc[c.detail["cost_usd"] < 0, "class"].tolist() == ["unattributed"]
