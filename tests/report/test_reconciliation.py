"""Spend figures reconcile to the cent: the summary's AI spend, the team rows (with "Other" or
"Suppressed teams"), the cost-per-unit table's total, the caching table's total, cost by team and model,
the spend classes and ``correlate export spend`` are one number, on the demo and on a hand-built store
whose total is known by hand (precedence between two paths, a suppressed team, an unmapped identity,
a day row split across models)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.records import AIUsageDay, AIUsageModelDay
from correlate.cli import app
from correlate.config import Config
from correlate.demo import dump_toml
from correlate.report.monthly import build_monthly
from correlate.report.sections import MetricTable, MonthlyReport
from correlate.report.statistics import unavailable
from correlate.report.teams import SUPPRESSED
from correlate.store import Store
from tests.reportdata import MONTH, hostile_monthly

CENT = 0.005


def _column(table: MetricTable, key: str) -> tuple[list[float], float]:
    """(team rows' values, the total row's value) of one column."""
    i = [c.key for c in table.columns].index(key)
    rows = [r.cells[i].value for r in table.rows if r.kind != "total"]
    total = next(r.cells[i].value for r in table.rows if r.kind == "total")
    return rows, total


def hidden_spend(report: MonthlyReport) -> float:
    """What the team rows leave out: the spend of rows whose AI usage is hidden (too few AI-active people)."""
    rows, total = _column(report.cost.table, "ai_cost_usd")
    return total - sum(v for v in rows if v == v)


def figures(report: MonthlyReport) -> dict[str, float]:
    """Every place the report states the month's AI spend. Where the privacy rule hides some teams' usage
    (their cells print n/a), the part left out must be the same everywhere: the team rows' gap."""
    headline = next(h for h in report.summary.headlines if h.label == "AI spend")
    rows, total = _column(report.cost.table, "ai_cost_usd")
    gap = hidden_spend(report)

    def shown(matrix_rows: tuple[tuple[object, ...], ...]) -> float:
        finite = [float(r[-1]) for r in matrix_rows if float(r[-1]) == float(r[-1])]  # type: ignore[arg-type]
        blank = len(finite) < len(matrix_rows)  # the hidden teams' row, blank when even together they are few
        return sum(finite) + (gap if blank else 0.0)

    bars = sum(float(r[1]) for r in report.cost.chart.rows)
    drawn_hidden = any(str(r[0]).startswith("Teams not shown one by one") for r in report.cost.chart.rows)
    return {"summary": headline.value, "team rows": sum(v for v in rows if v == v) + gap,
            "cost table total": total,
            "caching table total": report.cost.model_total.cost_usd,
            "team x model": shown(report.cost.team_model.rows), "spend classes": report.cost.spend.total_usd,
            "spend class rows": shown(report.cost.spend.table.rows),
            "chart bars": bars + (0.0 if drawn_hidden or not gap else gap)}


def exported(config_path: Path, first: str, last: str, out: Path) -> pd.Series:
    """``correlate export spend`` for the window: USD per class."""
    result = CliRunner().invoke(app, ["--config", str(config_path), "export", "spend", "--out", str(out),
                                      "--since", first, "--until", last])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out).groupby("class")["cost_usd"].sum()


def _write_config(config: Config, folder: Path, data: dict[str, object]) -> Path:
    path = folder / "correlate.toml"
    path.write_text(dump_toml({"store": {"path": str(config.store_path)}, **data}), encoding="utf-8")
    return path


def test_the_demo_states_one_ai_spend_everywhere(tmp_path: Path) -> None:
    rendered = hostile_monthly()
    report = rendered.report
    got = figures(report)
    assert got["summary"] > 100
    for name, value in got.items():
        assert value == pytest.approx(got["summary"], abs=CENT), name
    labels = [r.label for r in report.cost.table.rows]
    assert SUPPRESSED in labels, "the demo's small team is suppressed, and its spend still adds up"
    data = {k: v for k, v in rendered.config.root.model_dump(mode="json", exclude_none=True).items()
            if k in ("teams", "people", "calendar", "ingest")}
    path = _write_config(rendered.config, tmp_path, data)
    by_class = exported(path, f"{MONTH}-01", f"{MONTH}-31", tmp_path / "spend.csv")
    assert by_class.sum() == pytest.approx(got["summary"], abs=CENT)
    # the export's classes are the report's, class by class (the month is classified the same way)
    for cls, value in report.cost.spend.by_class:
        assert by_class.get(cls, 0.0) == pytest.approx(value, abs=CENT), cls


D = date(2026, 3, 10)


def test_a_hand_built_store_reconciles_to_the_total_known_by_hand(tmp_path: Path) -> None:
    data = {
        "teams": [{"name": "big", "members": ["ann@acme.com", "bob@acme.com", "cy@acme.com"]},
                  {"name": "tiny", "members": ["dee@acme.com"]}],
        "report": {"min_group_size": 3},
    }
    from correlate.config import from_mapping

    config = from_mapping({"store": {"path": str(tmp_path / "s.duckdb")}, **data}, path=None)
    usage = [
        # ann: the same day from two paths; the analytics API comes first in [ingest] precedence
        AIUsageDay("claude_code", "analytics_api", D, "ann@acme.com", cost_usd=10.25, sessions=2),
        AIUsageDay("claude_code", "otel", D, "ann@acme.com", cost_usd=99.0, sessions=2),
        AIUsageDay("claude_code", "analytics_api", D, "bob@acme.com", cost_usd=4.5, sessions=1),
        AIUsageDay("cursor", "cursor_api", date(2026, 3, 11), "cy@acme.com", cost_usd=0.75, sessions=1),
        AIUsageDay("claude_code", "analytics_api", D, "dee@acme.com", cost_usd=3.0, sessions=1),  # tiny: suppressed
        AIUsageDay("claude_code", "analytics_api", D, "mallory@else.com", cost_usd=500.0, sessions=1),  # unmapped
    ]
    models = [  # ann's analytics-API day split across two models; the other paths' rows change nothing
        AIUsageModelDay("claude_code", "analytics_api", D, "ann@acme.com", "claude-sonnet-4-5", tokens_input=1000,
                        tokens_output=100, tokens_cache_read=10_000, cost_usd=6.0),
        AIUsageModelDay("claude_code", "analytics_api", D, "ann@acme.com", "claude-opus-4-8", tokens_input=500,
                        tokens_output=50, tokens_cache_read=0, cost_usd=2.0),
        AIUsageModelDay("claude_code", "otel", D, "ann@acme.com", "claude-opus-4-8", cost_usd=99.0),
    ]
    with Store.open(config.store_path) as store:
        store.upsert(AIUsageDay, usage)
        store.upsert(AIUsageModelDay, models)
        report = build_monthly(store, config, "2026-03", stats=unavailable("not needed for this test"))
    by_hand = 10.25 + 4.5 + 0.75 + 3.0
    got = figures(report)
    for name, value in got.items():
        assert value == pytest.approx(by_hand, abs=CENT), name
    assert [r.label for r in report.cost.table.rows] == ["big", SUPPRESSED, "Organisation"]
    # dee alone is the suppressed row's AI use, so its spend is hidden; and "big" with it, or the total minus
    # big's spend would give dee's $3.00
    assert hidden_spend(report) == pytest.approx(by_hand, abs=CENT)
    assert sum(m.cost_usd for m in report.cost.models) <= by_hand
    assert report.cost.unmapped_usd == pytest.approx(500.0)
    # ann's model rows are hers alone (one person): not shown one by one, only inside the caching total
    assert not {m.model for m in report.cost.models} & {"claude-sonnet-4-5", "claude-opus-4-8"}
    assert "claude_code / claude-sonnet-4-5" in report.cost.price_note
    path = _write_config(config, tmp_path, data)
    assert exported(path, "2026-03-01", "2026-03-31", tmp_path / "spend.csv").sum() == pytest.approx(by_hand, abs=CENT)
