"""The monthly report compares assistants on the same signals, says tool choice is self-selected, and
prints each assistant's column mapping."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from correlate.demo import generate, load
from correlate.html.render import render
from correlate.report.monthly import build_monthly
from correlate.report.statistics import unavailable
from correlate.store import Store


def test_a_mixed_tool_organisation_shows_every_assistant(tmp_path: Path) -> None:
    org = generate(teams=6, devs=160, days=90, seed=12)
    with Store.open(tmp_path / "s.duckdb") as store:
        load(store, org)
        month = (org.end.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        report = build_monthly(store, org.config, month, stats=unavailable("not needed for this test"))
    tools = report.adoption.tools
    assert {t.tool for t in tools} == {"claude_code", "copilot", "cursor"}
    assert all(t.people >= report.min_group_size for t in tools)
    copilot = next(t for t in tools if t.tool == "copilot")
    assert copilot.cost_estimated != copilot.cost_estimated or copilot.cost_estimated == 0  # a seat tool: no estimate
    groups = {s.group for s in report.adoption.tool_split}
    assert {"claude_code", "Not AI-assisted"} <= groups
    assert {m.tool for m in report.method.tool_mapping} >= {"claude_code", "copilot", "cursor"}
    html = render("monthly.html.j2", r=report)
    assert "By assistant" in html and "Tool choice is self-selected" in html
    assert "How each assistant in this report maps onto the shared columns" in html


def test_enterprise_cost_gets_its_own_column_labelled_for_what_it_is(tmp_path: Path) -> None:
    # The Enterprise Analytics API's `amount` is after discounts and before credits: neither list-price
    # estimate nor invoice, so it is not added to the "billed" column
    org = generate(teams=3, devs=30, days=45, seed=5)
    with Store.open(tmp_path / "s.duckdb") as store:
        load(store, org)
        store.con.execute("UPDATE ai_usage_daily SET source = 'enterprise_api', cost_provenance = 'discounted' "
                          "WHERE tool = 'claude_code'")
        month = (org.end.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        report = build_monthly(store, org.config, month, stats=unavailable("not needed for this test"))
    claude = next(t for t in report.adoption.tools if t.tool == "claude_code")
    assert claude.cost_discounted > 0 and claude.cost_discounted == claude.cost_usd
    assert not claude.cost_billed > 0 and not claude.cost_estimated > 0
    html = render("monthly.html.j2", r=report)
    assert "discounted, before credits" in html and "before usage credits" in html
