"""The documented per-tool mapping (correlate/tool_mapping.py) is complete, matches docs/tools.md, and
matches what the Copilot and Cursor connectors actually do with fully populated documented rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from datetime import date

import pytest

from connectors.copilot import map_user_row
from connectors.cursor import map_daily_row, map_events
from connectors.records import AIUsageDay
from correlate.tool_mapping import MAPPINGS, SHARED_COLUMNS, TOOLS, as_markdown, mapping_for
from tests.conftest import ROOT
from tests.connectors.copilot_pages import DOC_USER_ROW
from tests.connectors.cursor_pages import daily_row, event

D1 = date(2026, 3, 18)


def test_docs_tools_md_is_generated_from_the_mapping() -> None:
    text = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    assert text == as_markdown(), "regenerate: python -m correlate.tool_mapping > docs/tools.md"


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_has_one_row_for_every_shared_column(tool: str) -> None:
    counts = Counter(r.column for r in MAPPINGS if r.tool == tool)
    assert set(counts) == set(SHARED_COLUMNS) and set(counts.values()) == {1}
    assert [r.column for r in mapping_for(tool)] == list(SHARED_COLUMNS)


def test_shared_columns_are_usage_table_columns() -> None:
    usage_columns = {f.name for f in fields(AIUsageDay)}
    assert set(SHARED_COLUMNS) - {"active_user"} <= usage_columns


def _check(tool: str, record: AIUsageDay) -> None:
    for row in mapping_for(tool):
        if row.column in ("active_user", "extra_json"):
            continue
        value = getattr(record, row.column)
        if row.source_field is None:
            assert value is None, f"{tool}.{row.column} is documented as empty but is {value!r}"
        else:
            assert value is not None, f"{tool}.{row.column} is documented from {row.source_field} but is empty"


def test_copilot_connector_fills_exactly_the_documented_columns() -> None:
    _check("copilot", map_user_row(DOC_USER_ROW, where="doc", seat_cost_usd_per_month=19.0))


def test_cursor_connector_fills_exactly_the_documented_columns() -> None:
    _, totals, _ = map_events([event(D1, "dev@company.com")], start=D1, end=D1)
    _check("cursor", map_daily_row(daily_row(D1, "dev@company.com"), where="doc", totals=totals,
                                   seat_cost_usd_per_month=40.0))


def test_the_configuration_example_in_docs_is_a_valid_config() -> None:
    import tomllib

    from correlate.config import from_mapping

    text = as_markdown()
    snippet = text.split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = from_mapping(tomllib.loads(snippet), path=None)
    assert cfg.root.sources.copilot is not None and cfg.root.sources.copilot.org == "acme"
    assert cfg.root.sources.cursor is not None and cfg.root.sources.cursor.seat_cost_usd_per_month == 40
