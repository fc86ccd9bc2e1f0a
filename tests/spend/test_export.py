"""``correlate export spend``: CSV columns, totals equal to the panel's, and a summary naming the path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from correlate.cli import app
from correlate.config import load_config
from correlate.demo import dump_toml, generate, load
from correlate.panel import build_panel
from correlate.spend.classify import CLASSES
from correlate.store import Store


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("export")
    org = generate(teams=3, devs=15, days=60, seed=9, end=date(2026, 9, 30))
    (work / "correlate.toml").write_text(dump_toml({"store": {"path": "s.duckdb"}, **org.config_data}),
                                         encoding="utf-8")
    with Store.open(work / "s.duckdb") as store:
        load(store, org)
    return work / "correlate.toml"


def test_export_writes_one_row_per_team_day_class_model_that_adds_up_to_the_panel(demo_config: Path) -> None:
    out = demo_config.parent / "spend.csv"
    result = CliRunner().invoke(app, ["--config", str(demo_config), "export", "spend", "--out", str(out),
                                      "--since", "2026-08-01", "--until", "2026-09-30"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:4]) == ["team", "day", "class", "model"]
    assert {"cost_usd", "rule"} <= set(frame.columns)
    assert set(frame["class"]) <= set(CLASSES)
    assert not frame.duplicated(["team", "day", "class", "model", "rule"]).any()
    config = load_config(demo_config)
    with Store.open(config.store_path) as store:
        panel = build_panel(store, config, date(2026, 8, 1), date(2026, 9, 30))
    ours = frame.groupby(["team", "day"])["cost_usd"].sum()
    theirs = panel.assign(day=panel["day"].astype(str)).set_index(["team", "day"])["ai_cost_usd"].fillna(0.0)
    assert (theirs - ours.reindex(theirs.index).fillna(0.0)).abs().max() < 1e-4  # CSV keeps 6 decimals
    assert str(out) in result.output.replace("\n", "")
    assert "unattributed" in result.output and "How the spend links to pull requests:" in result.output
    text = " ".join(result.output.split())
    # the section's name prints as itself (rich markup once swallowed it: "Thresholds ():"), rules in words
    assert "Thresholds, from the [spend] section of the config:" in text and "Thresholds ()" not in text
    assert "a fix PR within 14 days of a merge marks the merged PR as troubled (follow_up_days)" in text
    assert "the PR's author used the assistant that day" in text and "author_day" not in text


def test_an_inverted_window_is_a_usage_error(demo_config: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(demo_config), "export", "spend", "--out",
                                      str(demo_config.parent / "x.csv"), "--since", "2026-09-30",
                                      "--until", "2026-09-01"])
    assert result.exit_code == 2
    assert "before" in result.output
