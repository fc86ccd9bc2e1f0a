"""Hostile CSV imports: a damaged deployments or incidents file is either stored whole or refused with an
``InputError`` naming the file and the line (and, for a bad value, the column), and a refused file leaves
the store exactly as it was.

Each example starts from a valid file in the documented columns (docs/csv-import.md) and damages it: cells
replaced by arbitrary text or by near-miss values (timestamps without a zone or at the ends of the
calendar, shas that are not hex, unknown teams and statuses, quotes, commas and line breaks), columns
dropped, renamed or repeated, rows given extra fields or repeated, or the raw bytes cut, spliced or made
invalid UTF-8.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlate.config import load_config
from correlate.errors import InputError
from correlate.ingest.csv_import import import_deployments, import_incidents, read_deployments, read_incidents
from correlate.store import Store
from tests.dora.builders import TEAMS_TOML

DEPLOYS = [
    ["id", "repo", "team", "service", "started_at", "finished_at", "status", "environment", "sha", "kind"],
    ["d1", "acme/api", "", "", "2026-03-02T09:00:00Z", "2026-03-02T09:20:00Z", "success", "production", "abc1234",
     "deploy"],
    ["d2", "acme/web", "web", "", "2026-03-02 10:00:00+01:00", "2026-03-02 10:15:00+01:00", "", "", "", ""],
    ["d3", "", "", "checkout", "", "2026-03-03T12:00:00Z", "failed", "staging", "", ""],
]
INCIDENTS = [
    ["id", "service", "created_at", "resolved_at", "acknowledged_at", "caused_by_deployment", "caused_by_sha", "kind",
     "title"],
    ["i1", "checkout", "2026-03-02T11:00:00Z", "2026-03-02T12:30:00Z", "2026-03-02T11:05:00Z", "d1", "", "",
     "Checkout errors"],
    ["i2", "checkout", "2026-03-05T11:00:00Z", "", "", "", "DEF5678", "bug", "Typo, \"quoted\""],
]
TABLES = ("deployments", "incidents", "deployment_changes", "deployment_failures", "sync_state")

cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from([
        "", " ", "2026-03-02T09:00:00", "2026-03-02", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59+00:00", "2026-02-30T00:00:00Z", "2026-03-02T09:00:00z", "2026-03-02T09:00:00+25:00",
        "1e9", "abc", "ABCDEF0", "g" * 7, "a" * 41, "payments", "Payments", "nobody", "acme/nope", "checkout ",
        "rollback", "ROLLBACK", "canceled", "in progress", "bug", "Bug", "incident?", 'a "quoted", value',
        "line\nbreak", "\x00", "=cmd|' /C calc'!A0", "d1", "i1",
    ]),
)


offsets = st.integers(-24 * 60 + 1, 24 * 60 - 1).map(
    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02}:{abs(m) % 60:02}")
instants = st.one_of(st.datetimes(), st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)]))
timestamps = st.tuples(instants, st.sampled_from(["T", " "]), st.one_of(offsets, st.sampled_from(["Z", "z", ""]))
                       ).map(lambda t: t[0].isoformat(sep=t[1]) + t[2])


@st.composite
def damaged_csv(draw: st.DrawFn, table: list[list[str]]) -> bytes:
    rows = [list(r) for r in table]
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cell", "cell", "time", "time", "header", "drop-column", "extra-field",
                                    "repeat-row", "short-row", "blank-line"]))
        r = draw(st.integers(1, len(rows) - 1))
        if not rows[r] or not rows[0]:
            continue  # a blank line or an emptied header: nothing to damage there
        if how == "cell":
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cells)
        elif how == "time":  # any instant in years 1-9999 with any zone offset, or none
            times = [c for c, name in enumerate(rows[0]) if name.endswith("_at") and c < len(rows[r])]
            if times:
                rows[r][draw(st.sampled_from(times))] = draw(timestamps)
        elif how == "header":
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.sampled_from(
                ["", "ID", " id ", "deployment_id", "incident_id", "finished", "created", "team", "repo", "junk",
                 "started_at", "resolved"]))
        elif how == "drop-column":
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif how == "extra-field":
            rows[r].append(draw(cells))
        elif how == "repeat-row":
            rows.append(list(rows[r]))
        elif how == "short-row":
            rows[r] = rows[r][:draw(st.integers(0, len(rows[r])))]
        else:
            rows.insert(r, [])
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    data = out.getvalue().encode("utf-8")
    raw = draw(st.sampled_from(["none", "none", "none", "bom", "cut", "splice", "latin1"]))
    if raw == "bom":
        data = b"\xef\xbb\xbf" + data
    elif raw == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif raw == "splice":
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.binary(max_size=6)) + data[i:]
    elif raw == "latin1":
        data = data.replace(b"d", b"\xe9", 1)
    return data


def check_error(exc: InputError, path: Path) -> None:
    """The message names the file and a line, and says nothing was imported."""
    text = str(exc)
    assert text.startswith(str(path)), text
    assert exc.line is not None, text
    if exc.line is not None:
        assert re.match(re.escape(str(path)) + r":\d+", text), text
    assert "Nothing was imported" in text or "no rows" in text, text


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("csv") / "correlate.toml"
    path.write_text(TEAMS_TOML)
    return path


def dump(cfg: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store.open(cfg.parent / "store.duckdb") as store:
        return {t: sorted(store.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(SETTINGS, max_examples=150)
@given(st.sampled_from(["deployments", "incidents"]).flatmap(
    lambda kind: st.tuples(st.just(kind), damaged_csv(DEPLOYS if kind == "deployments" else INCIDENTS))))
def test_damaged_files_validate_or_name_file_and_line(cfg: Path, case: tuple[str, bytes]) -> None:
    kind, data = case
    path = cfg.parent / f"{kind}.csv"
    path.write_bytes(data)
    read = read_deployments if kind == "deployments" else read_incidents
    try:
        records = read(path, load_config(cfg))
    except InputError as exc:
        check_error(exc, path)
    else:
        assert records and len({(r.source, getattr(r, "deployment_id", getattr(r, "incident_id", None)))
                                for r in records}) == len(records)


@settings(SETTINGS, max_examples=15)
@given(st.sampled_from(["deployments", "incidents"]).flatmap(
    lambda kind: st.tuples(st.just(kind), damaged_csv(DEPLOYS if kind == "deployments" else INCIDENTS))))
def test_an_import_stores_every_row_or_leaves_the_store_unchanged(cfg: Path, case: tuple[str, bytes]) -> None:
    kind, data = case
    path = cfg.parent / f"import-{kind}.csv"
    path.write_bytes(data)
    before = dump(cfg)
    try:
        (import_deployments if kind == "deployments" else import_incidents)(cfg, path)
    except InputError as exc:
        check_error(exc, path)
        assert dump(cfg) == before
        return
    records = (read_deployments if kind == "deployments" else read_incidents)(path, load_config(cfg))
    table = dump(cfg)[kind]
    stored = {(row[0], row[1]) for row in table}
    assert {(r.source, getattr(r, "deployment_id", getattr(r, "incident_id", None))) for r in records} <= stored


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+00:01"])
def test_a_time_outside_the_calendar_in_utc_names_line_and_column(cfg: Path, stamp: str) -> None:
    # found by the properties: converting to UTC raised OverflowError (a traceback) before
    path = cfg.parent / "edge.csv"
    path.write_text(f"id,repo,finished_at\nd1,acme/api,2026-03-02T09:20:00Z\nd2,acme/api,{stamp}\n")
    with pytest.raises(InputError, match=re.escape(f"{path}:3 (column 'finished_at')") + ".*years 1-9999"):
        read_deployments(path, load_config(cfg))


def test_a_byte_that_is_not_utf8_names_its_line(cfg: Path) -> None:
    # the error named only the file before
    path = cfg.parent / "latin1.csv"
    path.write_bytes(b"id,repo,finished_at\nd1,acme/api,2026-03-02T09:20:00Z\nd2,acme/\xe9,2026-03-02T09:20:00Z\n")
    with pytest.raises(InputError, match=re.escape(f"{path}:3: byte 0xe9 is not UTF-8")):
        read_deployments(path, load_config(cfg))
