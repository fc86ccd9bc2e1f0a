"""Faults on the wire: a sync either completes or stops with a clear message, and a later run resumes
to the same store a fault-free run gives.

Each fault is injected in front of a source's deterministic fake (``harness.CASES``) at a chosen
request: 429 with Retry-After, 500/502/503, a reset connection (all in one run), JSON cut off
mid-body, a server that keeps failing; slow answers past the client's timeout are tested on
``connectors._http`` with a short timeout (the sources use the 30 s default, too long for a test).

The file sources (OTLP spool, transcripts, CSV imports) have no wire, so they are not in the wire
tests; their counterpart fault, an input file torn mid-record by a writer killed mid-write, is tested
at the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest

from connectors import _http
from connectors.errors import ConnectorError, PayloadError, TransientSourceError
from tests.httpserver import Reply, Request, serve
from tests.robustness.harness import (
    CASES,
    SyncCase,
    clear_of_midnight,
    key_duplicates,
    snapshot,
    sync_in_process,
    today,
    write_config,
)

# Wire faults for every source with a wire. File sources (c.no_faults says why) have none: their faults are
# torn inputs (a spool segment cut mid-record, a transcript cut mid-line, a CSV cut mid-row), tested below.
FAULT_CASES = [pytest.param(c, id=c.source) for c in CASES if not c.no_faults]

Fault = Callable[[int], Reply | None]  # request number -> an injected reply, or None to pass through

# Every transient fault, at its request number, in one run per source (one sync instead of six; each fault
# still lands mid-run, on a different unit of work): the run must retry each, wait before each retry, and end
# with the store a fault-free run leaves.
TRANSIENT_FAULTS: dict[int, tuple[str, Reply]] = {
    1: ("429 with Retry-After", Reply(429, {"error": "slow down"}, headers={"Retry-After": "3"})),
    2: ("429 with Retry-After again", Reply(429, {"error": "slow down"}, headers={"Retry-After": "3"})),
    3: ("500", Reply(500, "Internal Server Error", headers={"content-type": "text/plain"})),
    5: ("connection reset", Reply(reset_connection=True)),
    6: ("502 from a proxy", Reply(502, "<html>Bad Gateway</html>", headers={"content-type": "text/html"})),
    8: ("503", Reply(503, {"error": "unavailable"})),
}


def _run(tmp_path: Path, case: SyncCase, fault: Fault, name: str, *, resume: bool = False) -> Path:
    """Sync ``case`` against its fake with ``fault`` in front. With ``resume``, a run the fault stopped is
    run again against the healthy server; the stopping error is returned through :class:`_Stopped`."""
    seen = {"n": 0}
    active = {"fault": fault}
    assert case.handler is not None
    inner = case.handler()

    def handler(req: Request) -> Reply:
        seen["n"] += 1
        return active["fault"](seen["n"]) or inner(req)

    with serve(handler) as server:
        if case.needs_url:
            inner.url = server.url  # type: ignore[attr-defined]
        folder = tmp_path / name
        folder.mkdir()
        config = write_config(folder, case, server.url)
        try:
            sync_in_process(config, case.source)
        except ConnectorError as exc:
            if not resume:
                raise
            active["fault"] = lambda n: None
            sync_in_process(config, case.source)
            raise _Stopped(config, exc) from None
        return config


class _Stopped(Exception):
    """A run stopped by ``error`` and was then resumed into ``config``'s store."""

    def __init__(self, config: Path, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.config, self.error = config, error


@pytest.fixture
def env(case: SyncCase, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)


_CLEAN: dict[tuple[str, date], dict[str, object]] = {}


def _clean(tmp_path: Path, case: SyncCase) -> dict[str, object]:
    """The store a fault-free run leaves (computed once per source and UTC day: syncs read up to yesterday)."""
    clear_of_midnight(60)  # this test's clean and faulted runs must see the same "yesterday"
    key = (case.source, today())
    if key not in _CLEAN:
        config = _run(tmp_path, case, lambda n: None, "clean")
        _CLEAN[key] = snapshot(config.parent / "store.duckdb", case)
    return _CLEAN[key]


@pytest.mark.parametrize("case", FAULT_CASES)
def test_429_5xx_and_resets_are_retried_and_the_sync_completes(tmp_path: Path, case: SyncCase, env: None,
                                                               instant_waits: list[tuple[float, str]]) -> None:
    clean = _clean(tmp_path, case)
    config = _run(tmp_path, case, lambda n: TRANSIENT_FAULTS[n][1] if n in TRANSIENT_FAULTS else None, "storm")
    store = config.parent / "store.duckdb"
    assert snapshot(store, case) == clean
    assert set(key_duplicates(store, case.tables).values()) == {0}
    waits = [s for s, _ in instant_waits]
    assert waits[:2] == [3.0, 3.0]  # the server's Retry-After, not a guess
    # one wait (through _http.wait, the only place that sleeps) before each retry
    assert len([w for w in waits if w > 0]) >= len(TRANSIENT_FAULTS), waits


STOPPING_FAULTS: dict[str, tuple[Fault, type[ConnectorError], str]] = {
    # a body cut off mid-JSON: not retried (the server said 200), named, and nothing half-written
    "truncated_json": (lambda n: Reply(200, '{"data": [{"date": 17', headers={"content-type": "application/json"})
                       if n == 3 else None, PayloadError, "json"),
    # a server that keeps failing: retries run out, the message says to re-run
    "503_forever": (lambda n: Reply(503, {"error": "down"}) if n >= 3 else None, TransientSourceError, "re-run"),
}


@pytest.mark.parametrize("case", FAULT_CASES)
@pytest.mark.parametrize("fault", list(STOPPING_FAULTS), ids=list(STOPPING_FAULTS))
def test_a_fatal_fault_stops_with_a_clear_message_and_a_later_run_resumes(tmp_path: Path, case: SyncCase,
                                                                         fault: str, env: None) -> None:
    clean = _clean(tmp_path, case)
    inject, error_type, words = STOPPING_FAULTS[fault]
    with pytest.raises(_Stopped) as stopped:
        _run(tmp_path, case, inject, fault, resume=True)
    error = stopped.value.error
    assert isinstance(error, error_type), error
    assert words in str(error).lower() and case.source in str(error).lower()
    for secret in case.secrets:
        assert secret not in str(error)
    # the healthy server again: the next run picked up from the saved cursor and ended where a clean run ends
    assert snapshot(stopped.value.config.parent / "store.duckdb", case) == clean


def test_an_answer_slower_than_the_timeout_is_retried_then_reported_as_transient(
        instant_waits: list[tuple[float, str]]) -> None:
    with serve(lambda req: Reply(200, {"ok": True}, delay_s=0.6)) as server:
        client = _http.make_client(server.url, timeout=httpx.Timeout(0.2))
        with client, pytest.raises(TransientSourceError) as caught:
            _http.request(client, "GET", "/slow", source="cursor", max_attempts=2)
    assert "ReadTimeout" in str(caught.value) and "Re-run" in str(caught.value)
    assert len(instant_waits) == 1  # one back-off between the two attempts


def test_a_slow_answer_within_the_timeout_completes() -> None:
    with serve(lambda req: Reply(200, {"ok": True}, delay_s=0.2)) as server:
        client = _http.make_client(server.url, timeout=httpx.Timeout(2.0))
        with client:
            assert _http.request(client, "GET", "/slow", source="cursor").json() == {"ok": True}


# -- file sources: a torn input file (a writer killed mid-write) -------------------------------------------------
# No wire, so the wire faults above do not apply; their counterpart is an input cut off mid-record.

def _tear(path: Path, cut: int) -> bytes:
    """Cut the last ``cut`` bytes off ``path`` (as a writer killed mid-write leaves it); returns what was cut."""
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    return data[-cut:]


def _folder(tmp_path: Path, name: str, case: SyncCase) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    config = write_config(folder, case, "")
    assert case.prepare is not None
    case.prepare(folder)
    return config


def test_a_spool_segment_torn_mid_record_folds_every_complete_record_and_keeps_the_tail(tmp_path: Path) -> None:
    from correlate.config import load_config
    from correlate.otlp.spool import read_records
    from correlate.store import Store
    from correlate.sync import SyncContext, run_sync

    case = next(c for c in CASES if c.source == "otel")
    torn_config, whole_config = _folder(tmp_path, "torn", case), _folder(tmp_path, "whole", case)
    last = sorted((torn_config.parent / "spool").glob("*.seg"))[-1]
    records = list(read_records(last))
    _tear(last, 20)  # the last record loses its end: its CRC cannot match
    torn_bytes = last.read_bytes()
    # the reference: the same spool with that last record never written
    whole_last = whole_config.parent / "spool" / last.name
    whole_last.write_bytes(whole_last.read_bytes()[:records[-2].end_offset])

    with Store.open(load_config(torn_config).store_path) as store:
        summary = run_sync(SyncContext(load_config(torn_config), store), ["otel"], None)[0]
    sync_in_process(whole_config, "otel")
    assert any(last.stem in note and "damaged" in note for note in summary.notes), summary.notes
    damaged = torn_config.parent / "spool" / f"{last.stem}.damaged"
    # kept for a human, never re-folded: only the unverifiable tail, not the folded bytes before it (a whole
    # segment kept aside held up to 32 MiB on the disk a full receiver needs back)
    assert damaged.read_bytes() == torn_bytes[records[-2].end_offset:]
    kept = f"{damaged.name} ({len(torn_bytes) - records[-2].end_offset:,} bytes)"
    assert any("kept aside" in note and kept in note for note in summary.notes), summary.notes
    assert snapshot(torn_config.parent / "store.duckdb", case) == snapshot(whole_config.parent / "store.duckdb", case)
    with Store.open(load_config(torn_config).store_path) as store:  # a later fold changes nothing ...
        again = run_sync(SyncContext(load_config(torn_config), store), ["otel"], None)[0]
    assert any("kept aside" in note and kept in note for note in again.notes)  # ... and still says what is aside
    assert snapshot(torn_config.parent / "store.duckdb", case) == snapshot(whole_config.parent / "store.duckdb", case)


def test_a_transcript_cut_mid_line_counts_one_malformed_line_and_the_whole_file_later_completes(
        tmp_path: Path) -> None:
    from correlate.ingest.transcripts import import_dir

    case = next(c for c in CASES if c.source == "transcripts")
    torn_config, clean_config = _folder(tmp_path, "torn", case), _folder(tmp_path, "clean", case)
    assert case.resume is not None
    case.resume(clean_config)
    path = sorted((torn_config.parent / "projects").rglob("*.jsonl"))[-1]
    cut = _tear(path, 40)
    result = import_dir(torn_config, torn_config.parent / "projects", "dev@acme.example")
    assert result.malformed == 1 and result.problems and path.name in result.problems[0]
    assert snapshot(torn_config.parent / "store.duckdb", case) != snapshot(clean_config.parent / "store.duckdb", case)
    path.write_bytes(path.read_bytes() + cut)  # the writer finished the line
    case.resume(torn_config)
    assert snapshot(torn_config.parent / "store.duckdb", case) == snapshot(clean_config.parent / "store.duckdb", case)


@pytest.mark.parametrize("kind", ["deployments", "incidents"])
def test_a_csv_cut_mid_row_is_refused_naming_file_and_line_and_leaves_the_store_as_it_was(
        tmp_path: Path, kind: str) -> None:
    from correlate.errors import InputError

    case = next(c for c in CASES if c.source == f"csv_{kind}")
    assert case.resume is not None
    torn_config, clean_config = _folder(tmp_path, "torn", case), _folder(tmp_path, "clean", case)
    case.resume(clean_config)
    before = snapshot(torn_config.parent / "store.duckdb", case)
    path = torn_config.parent / f"{kind}.csv"
    lines = path.read_text().count("\n")
    cut = _tear(path, 30)  # inside the last row's timestamps
    with pytest.raises(InputError) as refused:
        case.resume(torn_config)
    assert f"{path}:{lines}" in str(refused.value), str(refused.value)  # file:line of the torn row
    assert snapshot(torn_config.parent / "store.duckdb", case) == before  # nothing half-written
    path.write_bytes(path.read_bytes() + cut)
    case.resume(torn_config)
    assert snapshot(torn_config.parent / "store.duckdb", case) == snapshot(clean_config.parent / "store.duckdb", case)
