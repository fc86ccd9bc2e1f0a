"""Hostile API pages: Claude Code Analytics API, Enterprise Analytics API and PagerDuty rows with fields
missing or of the wrong type map to records the store can hold, or raise a ``PayloadError`` that names the
field; never another exception.

Each example starts from a row in the documented shape (the HAND-BUILT pages of tests/claude_pages.py and
tests/connectors/test_pagerduty.py) and damages it: deletes fields or replaces them with arbitrary JSON
values (huge integers, decimals past any amount, timestamps at the ends of the calendar), at any depth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import claude_code, claude_enterprise, copilot, pagerduty
from connectors.errors import PayloadError
from tests.claude_pages import cc_row, ent_connector, ent_cost, ent_skill, ent_usage, ent_user, model
from tests.connectors.test_pagerduty import built_incident
from tests.httpserver import Reply, serve
from tests.robustness.damage import assert_storable, damaged, json_values

DAY = date(2026, 11, 2)
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None)
api_values = st.one_of(json_values, st.sampled_from([
    2**63, 2**53 + 1, 10**30, -1, 1e300, "1e400", "9" * 40, "NaN", "-0", "12.5", "",
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "2026-11-02", "2026-11-02T00:00:00Z", "USD", "EUR"]))


def check(mapper: Callable[[], Iterable[Any]], names: list[str], also: tuple[str, ...] = ()) -> None:
    """``mapper()`` returns storable records, or a PayloadError naming a damaged (or now missing) field."""
    try:
        records = list(mapper())
    except PayloadError as exc:
        message = str(exc)
        named = any(f"{n}`" in message or f"{n}[" in message or f".{n}" in message for n in names)
        assert named or any(a in message for a in also), (message, names)
        return
    for record in records:
        assert_storable(record)


# -- Claude Code Analytics API ----------------------------------------------------------------------------
def _cc_records(row: dict[str, Any]) -> Iterable[Any]:
    result = claude_code.aggregate_day(DAY, [row, cc_row(DAY, email="other@company.com")])
    return [*result.usage, *result.models, *result.edits]


@SETTINGS
@given(damaged(cc_row(DAY, models=[model("claude-opus-5", 141), model("claude-sonnet-4-6", "12.5")]), api_values))
def test_claude_code_analytics_rows(case: tuple[dict[str, Any], list[str]]) -> None:
    row, names = case
    check(lambda: _cc_records(row), names, also=("data[0].actor", "data[0].model_breakdown"))


# -- Enterprise Analytics API -------------------------------------------------------------------------------
ENTERPRISE_DAY = {
    "users": ent_user("ada@company.com", sessions=3, added=10, edit=(4, 1)),
    "cost": ent_cost("ada@company.com", "claude-opus-5", "1234.5"),
    "tokens": ent_usage("ada@company.com", "claude-opus-5"),
    "skills": ent_skill("pdf-tools"),
    "connectors": ent_connector("github"),
}


def _enterprise_records(doc: dict[str, Any]) -> Iterable[Any]:
    rows = {k: [v] if isinstance(v, dict) else v for k, v in doc.items()}
    rows = {k: rows.get(k, []) for k in ENTERPRISE_DAY}
    if not all(isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in rows.values()):
        return []  # a page's `data` that is not a list of objects is refused by get_rows before any row is read
    usage, models, edits = claude_enterprise._claude_code(DAY, rows["users"], rows["cost"], rows["tokens"])
    return [*usage, *models, *edits, *claude_enterprise._skills(DAY, rows["skills"]),
            *claude_enterprise._connectors(DAY, rows["connectors"])]


@SETTINGS
@given(damaged(ENTERPRISE_DAY, api_values, max_damage=4))
def test_enterprise_analytics_rows(case: tuple[dict[str, Any], list[str]]) -> None:
    doc, names = case
    check(lambda: _enterprise_records(doc), names, also=("data[0].user", "data[0].actor", "skill_name",
                                                         "connector_name"))


# -- PagerDuty ---------------------------------------------------------------------------------------------------
INCIDENT = built_incident(7, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), acknowledgements=[
    {"at": "2026-03-02T09:05:00Z", "acknowledger": {"id": "PUSER1"}}],
    teams=[{"id": "PTWEB", "summary": "Web"}], priority={"summary": "P1", "name": "P1"})


@SETTINGS
@given(damaged(INCIDENT, api_values))
def test_pagerduty_incidents(case: tuple[dict[str, Any], list[str]]) -> None:
    obj, names = case

    def mapped() -> list[Any]:
        parsed = pagerduty.parse_incident(obj)
        assert parsed.service_name is None or isinstance(parsed.service_name, str)
        assert all(isinstance(t, str) and (s is None or isinstance(s, str)) for t, s in parsed.teams)
        return [parsed.incident]

    check(mapped, names, also=("without an `id`",))


# -- bugs these properties found, now fixed at their cause --------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [("title", {"a": 1}), ("urgency", False), ("incident_number", 2**63),
                                              ("service", "PSVC1"), ("teams", 5), ("created_at", 1700000000),
                                              ("created_at", "9999-12-31T23:59:59-05:00")])
def test_a_pagerduty_field_of_the_wrong_type_names_field_and_incident(field: str, value: Any) -> None:
    # these reached the Incident record as they were (a dict as the title, 2**63 as a BIGINT) or raised
    # TypeError/OverflowError; the store failed later, or the sync stopped with a traceback
    with pytest.raises(PayloadError, match=f"`{field}`.*incident PINC00007"):
        pagerduty.parse_incident({**INCIDENT, field: value})


def test_a_count_too_large_to_be_real_names_the_field() -> None:
    # 2**63 sessions passed as a count and overflowed the store's BIGINT
    row = cc_row(DAY, sessions=2**63)
    with pytest.raises(PayloadError, match=r"data\[0\]\.core_metrics\.num_sessions.*too large"):
        claude_code.aggregate_day(DAY, [row])


# JSON nested past Python's recursion limit raised RecursionError (not a ValueError) out of every JSON read
DEEP = b"[" * 100_000


def test_a_pagerduty_answer_nested_too_deep_is_a_payload_error() -> None:
    with serve(lambda req: Reply(200, DEEP)) as server, \
            pagerduty.make_pagerduty_client(server.url, "pd-test-token-not-real") as client, \
            pytest.raises(PayloadError, match="not JSON"):
        pagerduty.fetch_window(client, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


def test_an_analytics_answer_nested_too_deep_is_a_payload_error() -> None:
    with serve(lambda req: Reply(200, DEEP)) as server, \
            claude_code.make_client(server.url, "sk-ant-admin01-FAKE-key") as client, \
            pytest.raises(PayloadError, match="not JSON"):
        claude_code.fetch_day(client, DAY)


def test_a_copilot_report_file_nested_too_deep_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="users-1-day file 1"):
        list(copilot._ndjson(DEEP, "users-1-day file 1"))
    with pytest.raises(PayloadError, match="users-1-day file 1 line 1"):
        list(copilot._ndjson(b'{"a": ' + DEEP, "users-1-day file 1"))
