"""Hostile transcripts: any JSONL a Claude Code project folder may hold is read without a traceback; a line
that cannot be used is skipped and counted, and the first few are named ``file:line: why``; whatever is
read can be stored.

Lines start from the HAND-BUILT assistant line of tests/connectors/test_transcripts.py (after the real
v2.1.247 line in sources.md §5) and are damaged: fields deleted or given values of any JSON kind (huge,
negative and infinite token counts, timestamps at the ends of the calendar), or the text torn, spliced
or made invalid UTF-8.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.transcripts import scan
from correlate.ingest.transcripts import import_dir
from correlate.store import Store
from tests.connectors.test_transcripts import line
from tests.robustness.damage import damaged, json_values

VALID = json.loads(line("msg_1", "req_1", split=(10, 20)))
transcript_values = st.one_of(json_values, st.sampled_from([
    2**63, 10**400, -1, 1e300, float("inf"), float("-inf"), "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00",
    "2026-08-30T20:50:24", "not a time", "2.x", "<synthetic>", ""]))


@st.composite
def jsonl_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["valid", "damaged", "damaged", "damaged", "torn", "junk"]))
    if kind == "valid":
        return line(f"msg_{draw(st.integers(0, 3))}", "req_1").encode()
    if kind == "junk":
        return draw(st.sampled_from([b"", b"{", b"[1, 2]", b'"usage"', b'{"usage": NaN}', b"\xff\xfe\"usage\"",
                                     b'{"message": {"usage": {"input_tokens": Infinity}, "model": "m"}}',
                                     b'{"message": {"usage": {}}, "timestamp": "2026-01-01T00:00:00Z"}',
                                     b'{"usage": ' + b"[" * 100_000]))
    doc, _ = draw(damaged(VALID, transcript_values, max_damage=3))
    text = json.dumps(doc).encode()  # Infinity and NaN come out as the JavaScript literals json.loads reads
    if kind == "torn":
        text = text[:draw(st.integers(0, len(text)))]
    return text


SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(SETTINGS, max_examples=150)
@given(st.lists(jsonl_lines(), min_size=1, max_size=6))
def test_any_lines_are_read_or_skipped_and_named(tmp_path_factory: pytest.TempPathFactory,
                                                 lines: list[bytes]) -> None:
    root = tmp_path_factory.mktemp("projects")
    path = root / "-src-app" / "sess-1.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = scan(root)
    assert result.lines == len(lines) and result.malformed <= len(lines)
    for problem in result.problems:
        assert re.match(re.escape(str(path)) + r":\d+: \S", problem), problem
    for e in result.entries:
        assert min(e.input_tokens, e.output_tokens, e.cache_read_tokens, e.cache_creation_tokens) >= 0
        assert e.total_tokens <= 4 * 2**53 and e.timestamp.tzinfo is not None


@settings(SETTINGS, max_examples=8)
@given(st.lists(jsonl_lines(), min_size=1, max_size=6))
def test_whatever_is_read_is_stored(tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]) -> None:
    root = tmp_path_factory.mktemp("import")
    (root / "correlate.toml").write_text('[store]\npath = "store.duckdb"\n')
    path = root / "projects" / "sess-1.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = import_dir(root / "correlate.toml", root / "projects", "dev@example.com")
    with Store.open(root / "store.duckdb") as store:
        days = store.con.execute("SELECT count(*) FROM ai_usage_daily").fetchone()
    assert days == (len({e.day for e in result.entries}),)


@pytest.mark.parametrize("usage", [{"input_tokens": float("inf")}, {"output_tokens": 2**70},
                                   {"cache_read_input_tokens": -5}])
def test_a_token_count_that_is_not_a_count_skips_the_line(tmp_path: Path, usage: dict[str, Any]) -> None:
    # infinity raised OverflowError out of scan(); 2**70 overflowed the store's BIGINT; -5 made negative cost
    doc = json.loads(line("msg_1", "req_1"))
    doc["message"]["usage"].update(usage)
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    result = scan(path)
    assert (result.entries, result.malformed) == ([], 1)
    assert result.problems[0].startswith(f"{path}:1: ") and "not a" in result.problems[0]


def test_a_recorded_cost_that_is_not_a_finite_number_is_left_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(line("msg_1", "req_1", costUSD=10**400) + "\n" + line("msg_2", "req_1", costUSD=float("inf"))
                    + "\n")
    assert [e.cost_usd_recorded for e in scan(path).entries] == [None, None]


def test_a_timestamp_outside_the_calendar_in_utc_skips_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(line("msg_1", "req_1", ts="9999-12-31T23:59:59-05:00") + "\n")
    result = scan(path)
    assert (result.entries, result.malformed) == ([], 1)
    assert result.problems[0].startswith(f"{path}:1: ")


def test_a_line_nested_too_deep_is_skipped_and_named(tmp_path: Path) -> None:
    # json.loads raised RecursionError (not a ValueError) out of scan()
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"message": {"usage": ' + b"[" * 100_000 + b"\n" + line("msg_1", "req_1").encode() + b"\n")
    result = scan(path)
    assert (len(result.entries), result.malformed) == (1, 1)
    assert result.problems[0].startswith(f"{path}:1: ")
