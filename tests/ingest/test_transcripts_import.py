"""``correlate import transcripts``: one developer's usage, cost derived from the price table.

The JSONL lines are HAND-BUILT after the real v2.1.247 line quoted in sources.md §5.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from correlate.errors import UsageError
from correlate.ingest.transcripts import import_dir
from correlate.prices import load_prices
from correlate.store import Store
from tests.connectors.test_transcripts import line, write


def _cfg(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "correlate.toml"
    cfg.write_text('[store]\npath = "store.duckdb"\n' + extra)
    return cfg


def test_import_derives_cost_from_prices_and_leaves_unknown_models_empty(tmp_path: Path) -> None:
    root = write(tmp_path, "-src-app/s1.jsonl", [
        line("m1", "r1", inp=1000, out=2000, cr=10000, cc=3000, split=(1000, 2000), model="claude-sonnet-4-6"),
        line("m2", "r2", inp=100, out=100, cr=0, model="claude-opus-4-6[1m]", session="s2", branch="feat/x"),
        line("m3", "r3", inp=5, out=5, cr=0, model="gpt-9-turbo", ts="2026-08-31T10:00:00Z"),
    ])
    cfg = _cfg(tmp_path)
    result = import_dir(cfg, root, "Dev@Example.com")
    assert len(result.entries) == 3
    prices = load_prices()
    # provenance: list prices per million (sources.md §6): Sonnet 4.6 3/15, write 5m 3.75, 1h 6, read 0.30;
    # Opus 4.6 5/25
    sonnet = (1000 * 3 + 2000 * 15 + 10000 * 0.30 + 1000 * 3.75 + 2000 * 6) / 1e6
    opus = (100 * 5 + 100 * 25) / 1e6
    assert prices.cost("claude-sonnet-4-6", date(2026, 8, 30), input=1000, output=2000, cache_read=10000,
                       cache_write_5m=1000, cache_write_1h=2000) == pytest.approx(sonnet)
    with Store.open(tmp_path / "store.duckdb") as store:
        days = store.query("SELECT * FROM ai_usage_daily ORDER BY day").to_dict("records")
        assert [(d["actor"], d["source"], d["requests"], d["sessions"]) for d in days] == [
            ("dev@example.com", "transcripts", 2, 2), ("dev@example.com", "transcripts", 1, 1)]
        assert days[0]["cost_usd"] == pytest.approx(sonnet + opus) and days[0]["cost_provenance"] == "derived"
        assert days[1]["cost_usd"] is None or days[1]["cost_usd"] != days[1]["cost_usd"]  # NULL, not guessed
        assert json.loads(days[1]["extra_json"])["unpriced_models"] == ["gpt-9-turbo"]
        models = store.query("SELECT model, cost_usd, tokens_cache_creation_1h FROM ai_usage_model_daily "
                             "ORDER BY day, model").values.tolist()
        assert models[0][0] == "claude-opus-4-6[1m]" and models[0][1] == pytest.approx(opus)
        assert models[1][2] == 2000
        sessions = store.query("SELECT session_id, git_branch FROM ai_session_daily ORDER BY day, session_id")
        assert sessions.values.tolist() == [["4a0d-s1", "main"], ["s2", "feat/x"], ["4a0d-s1", "main"]]
        first = store.query("SELECT * FROM ai_usage_daily ORDER BY day")
    import_dir(cfg, root, "dev@example.com")  # re-import: the same rows
    with Store.open(tmp_path / "store.duckdb") as store:
        assert store.query("SELECT * FROM ai_usage_daily ORDER BY day").equals(first)


def test_import_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        import_dir(_cfg(tmp_path), tmp_path / "nope", "dev@example.com")


def test_import_transcripts_command_reports_what_it_did(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from correlate.cli import app

    root = write(tmp_path, "p/s.jsonl", [line("m1", "r1"), '{"message":{"usage":{"input_tok'])
    cfg = _cfg(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(cfg), "import", "transcripts", str(root), "--actor", "a@b.c"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 requests" in result.output and "1 malformed" in result.output
    missing = CliRunner().invoke(app, ["--config", str(cfg), "import", "transcripts", str(tmp_path / "x"),
                                       "--actor", "a@b.c"])
    assert missing.exit_code == 2
