"""Hostile vendor pages: Copilot and Cursor rows with fields missing or of the wrong type map to a
record or raise a ``PayloadError`` that names the field; never another exception.

Each example starts from a row in the documented shape (the HAND-BUILT pages of
tests/connectors/*_pages.py) and damages it: deletes fields or replaces them with arbitrary JSON
values, at the top level or inside nested objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import copilot, cursor
from connectors.errors import PayloadError
from tests.connectors.copilot_pages import team_row, user_row
from tests.connectors.cursor_pages import daily_row, event
from tests.robustness.damage import damaged, json_values

DAY = date(2026, 10, 14)


def check(mapper: Callable[[dict[str, Any]], object], row: dict[str, Any], names: list[str]) -> None:
    try:
        mapper(row)
    except PayloadError as exc:
        message = str(exc)
        # the message names a field (one of those damaged, or a required one that is now missing)
        assert any(n in message for n in names) or "row has no" in message or "needs both" in message, message


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(damaged(user_row(DAY.isoformat(), 1, "alice")))
def test_copilot_user_rows(case: tuple[dict[str, Any], list[str]]) -> None:
    check(lambda r: copilot.map_user_row(r, where="users-1-day line 1"), *case)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(damaged(team_row(DAY.isoformat(), 1, "alice", 42, "frontend")))
def test_copilot_team_rows(case: tuple[dict[str, Any], list[str]]) -> None:
    check(lambda r: copilot.map_team_row(r, scope="org:acme", where="user-teams-1-day line 1"), *case)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(damaged(daily_row(DAY, "alice@acme.example")))
def test_cursor_daily_rows(case: tuple[dict[str, Any], list[str]]) -> None:
    check(lambda r: cursor.map_daily_row(r, where="/teams/daily-usage-data data[0]"), *case)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(damaged(event(DAY, "alice@acme.example")))
def test_cursor_usage_events(case: tuple[dict[str, Any], list[str]]) -> None:
    check(lambda r: cursor.map_events([r], start=DAY, end=DAY), *case)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=200).map(str.encode) | st.lists(json_values, max_size=4).map(
    lambda items: "\n".join(json.dumps(i) for i in items).encode()))
def test_copilot_report_files_of_any_text(body: bytes) -> None:
    try:
        for _, row in copilot._ndjson(body, "users-1-day file 1"):
            assert isinstance(row, dict)
    except PayloadError as exc:
        assert "users-1-day file 1" in str(exc)


# Two bugs these properties found (a UnicodeDecodeError and an OSError escaping), now fixed.

def test_copilot_report_file_that_is_not_utf8_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="users-1-day file 1"):
        list(copilot._ndjson(b"\x80{}", "users-1-day file 1"))


@pytest.mark.parametrize("field", ["date", "timestamp"])
def test_cursor_epoch_out_of_range_is_a_payload_error(field: str) -> None:
    with pytest.raises(PayloadError, match=field):
        if field == "date":
            cursor.map_daily_row(daily_row(DAY, "alice@acme.example", date=10**20), where="data[0]")
        else:
            cursor.map_events([{**event(DAY, "alice@acme.example"), "timestamp": str(10**20)}], start=DAY, end=DAY)
