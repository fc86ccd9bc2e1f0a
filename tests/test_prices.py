"""The price table: shipped data, model-id normalisation, effective dates, overrides, `correlate prices`."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from correlate.cli import app
from correlate.errors import ConfigError
from correlate.prices import load_prices, normalize_model

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("raw", "canonical"), [
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-opus-4-6[1m]", "claude-opus-4-6"),
    ("Claude-Opus-5", "claude-opus-5"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("claude-3-5-haiku@20241022", "claude-3-5-haiku"),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
])
def test_model_ids_are_normalised(raw: str, canonical: str) -> None:
    assert normalize_model(raw) == canonical
    assert load_prices().resolve(raw) == canonical


def test_every_row_of_the_documented_table_is_shipped() -> None:
    # sources.md §6 (Anthropic pricing page as mirrored 2026-08-22): input, 5m write, 1h write, read, output
    documented = {
        "claude-fable-5": (10, 12.50, 20, 1.00, 50), "claude-mythos-5": (10, 12.50, 20, 1.00, 50),
        "claude-opus-5": (5, 6.25, 10, 0.50, 25), "claude-opus-4-8": (5, 6.25, 10, 0.50, 25),
        "claude-opus-4-7": (5, 6.25, 10, 0.50, 25), "claude-opus-4-6": (5, 6.25, 10, 0.50, 25),
        "claude-opus-4-5-20251101": (5, 6.25, 10, 0.50, 25), "claude-opus-4-1-20250805": (15, 18.75, 30, 1.50, 75),
        "claude-opus-4-20250514": (15, 18.75, 30, 1.50, 75), "claude-sonnet-5": (2, 2.50, 4, 0.20, 10),
        "claude-sonnet-4-6": (3, 3.75, 6, 0.30, 15), "claude-sonnet-4-5-20250929": (3, 3.75, 6, 0.30, 15),
        "claude-sonnet-4-20250514": (3, 3.75, 6, 0.30, 15), "claude-3-7-sonnet-20250219": (3, 3.75, 6, 0.30, 15),
        "claude-haiku-4-5-20251001": (1, 1.25, 2, 0.10, 5), "claude-3-5-haiku-20241022": (0.80, 1.00, 1.60, 0.08, 4),
        "claude-3-opus-20240229": (15, 18.75, 30, 1.50, 75), "claude-3-haiku-20240307": (0.25, 0.30, 0.50, 0.03, 1.25),
        "claude-3-5-sonnet-20240620": (3, 3.75, None, 0.30, 15),
    }
    table = load_prices()
    for model, (inp, w5, w1, read, out) in documented.items():
        p = table.price(model, date(2026, 8, 22))
        assert p is not None, model
        assert (p.input, p.cache_write_5m, p.cache_write_1h, p.cache_read, p.output) == (inp, w5, w1, read, out)
    assert len(table.prices) == len(documented)
    assert table.source_date == "2026-08-22" and table.batch_discount == 0.5


def test_cost_matches_the_documented_cents_example() -> None:
    # sources.md §1: claude-opus-5, 100k in / 35k out / 10k cache read / 5k cache creation = 141 cents ($1.41125)
    cost = load_prices().cost("claude-opus-5", date(2025, 9, 8), input=100_000, output=35_000, cache_read=10_000,
                              cache_write_5m=5_000)
    assert cost == pytest.approx(1.41125)
    batch = load_prices().cost("claude-opus-5", date(2025, 9, 8), input=100_000, output=35_000, batch=True)
    assert batch == pytest.approx((100_000 * 2.5 + 35_000 * 12.5) / 1e6)


def test_unknown_models_and_unpublished_rates_price_to_none() -> None:
    table = load_prices()
    assert table.cost("gpt-4o", date(2026, 1, 1), input=10) is None
    assert table.cost("claude-3-5-sonnet", date(2026, 1, 1), cache_write_1h=10) is None  # no 1h rate published
    assert table.cost("claude-3-5-sonnet", date(2026, 1, 1), input=1_000_000) == pytest.approx(3.0)


def test_user_file_overrides_models_and_adds_effective_dated_rows(tmp_path: Path) -> None:
    own = tmp_path / "bedrock.toml"
    own.write_text('''
version = "acme-bedrock-1"
source_date = "2026-09-01"
[[models]]
id = "claude-sonnet-4-6"
aliases = ["eu.anthropic.claude-sonnet-4-6-v1:0"]
prices = [
  { input = 3.3, output = 16.5, cache_write_5m = 4.125, cache_write_1h = 6.6, cache_read = 0.33 },
  { effective_from = "2026-10-01", input = 4.0, output = 20.0, cache_read = 0.4, cache_write_5m = 5.0 },
]
''')
    table = load_prices(own)
    assert table.price("eu.anthropic.claude-sonnet-4-6-v1:0", date(2026, 9, 15)).input == 3.3  # type: ignore[union-attr]
    assert table.price("claude-sonnet-4-6", date(2026, 10, 1)).input == 4.0  # type: ignore[union-attr]
    assert table.price("claude-opus-5", date(2026, 10, 1)).input == 5.0  # type: ignore[union-attr] # shipped row
    assert "acme-bedrock-1" in table.version and str(own) in table.files
    bad = tmp_path / "bad.toml"
    bad.write_text('[[models]]\nid = "x"\nprices = [{ input = "cheap", output = 1 }]\n')
    with pytest.raises(ConfigError, match="models\\[0\\]"):
        load_prices(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_prices(tmp_path / "missing.toml")


def test_prices_command_lists_the_table_and_its_date(tmp_path: Path) -> None:
    cfg = tmp_path / "correlate.toml"
    cfg.write_text("")
    result = CliRunner().invoke(app, ["--config", str(cfg), "prices"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2026-08-22" in result.output and "claude-opus-5" in result.output


def test_prices_fits_an_80_column_terminal_without_hiding_a_model_or_a_price(tmp_path: Path) -> None:
    cfg = tmp_path / "correlate.toml"
    cfg.write_text("")
    result = CliRunner().invoke(app, ["prices", "--config", str(cfg)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.output
    table = load_prices()
    shown = [line.split() for line in lines if line.split()[:1] and line.split()[0] in table.prices]
    expected = [(key, row) for key in table.prices for row in table.prices[key]]
    assert len(shown) == len(expected)  # one line per row: nothing wrapped onto a second line
    for words, (key, row) in zip(shown, sorted(expected, key=lambda kr: kr[0]), strict=True):
        assert words[0] == key
        rates = [None if w == "—" else float(w) for w in words[2:7]]
        assert rates == [row.input, row.output, row.cache_write_5m, row.cache_write_1h, row.cache_read]


def test_the_price_file_ships_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "data/*" in pyproject["tool"]["setuptools"]["package-data"]["correlate"]
    assert (ROOT / "correlate" / "data" / "prices.toml").is_file()
