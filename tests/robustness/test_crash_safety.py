"""Crash safety: ``correlate sync`` killed with SIGKILL at many points, then re-run, leaves exactly the
store a clean run leaves (same rows, no duplicate keys, no gap, same cursors).

For every source in ``harness.CASES`` (local servers serving hand-built vendor pages), the sync is
run once cleanly as a real process, then killed at points of two kinds:

* while the server is answering the k-th request (a unit of work in flight, before its commit);
* at random times over the clean run's duration (inside commits, WAL writes, start-up, shutdown).

After each kill the sync is resumed (in this process, from the store the dead process left) and the
store must equal the clean one.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.httpserver import Reply, Request, serve
from tests.robustness.harness import (
    CASE_IDS,
    CASES,
    SyncCase,
    cli,
    key_duplicates,
    snapshot,
    sync_in_process,
    write_config,
)

# Each point costs a fresh interpreter (~1-3 s); 5 per source keeps the suite fast. For a longer soak,
# ROBUSTNESS_KILL_POINTS=20 gives 20 per source (the figure).
_POINTS = int(os.environ.get("ROBUSTNESS_KILL_POINTS", "5"))
REQUEST_KILLS = max(1, _POINTS * 3 // 5)  # kill points at the k-th request, spread over the run
TIMED_KILLS = _POINTS - REQUEST_KILLS  # kill points at random times
RUN_TIMEOUT_S = 60


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sigkill_at_any_point_then_rerun_equals_a_clean_run(tmp_path: Path, case: SyncCase,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)  # for the in-process resume
    rng = random.Random(f"crash-{case.source}")  # fixed seed: a failure is reproducible
    state: dict[str, object] = {"proc": None, "kill_at": 0, "seen": 0}
    lock = threading.Lock()
    inner = case.handler()

    def handler(req: Request) -> Reply:
        with lock:
            state["seen"] = int(state["seen"]) + 1  # type: ignore[call-overload]
            proc = state["proc"]
            if state["kill_at"] and state["seen"] == state["kill_at"] and proc is not None:
                os.kill(proc.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        return inner(req)

    with serve(handler) as server:
        if case.needs_url:
            inner.url = server.url  # type: ignore[attr-defined]
        clean_dir = tmp_path / "clean"
        clean_dir.mkdir()
        config = write_config(clean_dir, case, server.url)
        started = time.perf_counter()
        proc = cli(config, "sync", "--source", case.source, env=case.env)
        out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        duration = time.perf_counter() - started
        assert proc.returncode == 0, out + err
        requests_per_run = int(state["seen"])  # type: ignore[call-overload]
        assert requests_per_run >= 4, "the fake should need several units of work"
        clean = snapshot(clean_dir / "store.duckdb", case.tables)
        assert all(clean[t] for t in case.tables), "the clean run stored nothing"

        points = [("request", k) for k in sorted(rng.sample(range(1, requests_per_run + 1),
                                                            min(REQUEST_KILLS, requests_per_run)))]
        points += [("time", round(rng.uniform(0.2, 1.0) * duration, 3)) for _ in range(TIMED_KILLS)]
        killed = 0
        for i, (kind, at) in enumerate(points):
            run_dir = tmp_path / f"kill{i}"
            run_dir.mkdir()
            config = write_config(run_dir, case, server.url)
            with lock:
                state.update(seen=0, kill_at=at if kind == "request" else 0, proc=None)
                proc = cli(config, "sync", "--source", case.source, env=case.env)
                state["proc"] = proc
            if kind == "time":
                try:
                    proc.wait(timeout=float(at))
                except Exception:  # still running at the chosen moment: kill it there
                    proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=RUN_TIMEOUT_S)
            killed += proc.returncode == -signal.SIGKILL
            with lock:
                state.update(kill_at=0, proc=None)

            sync_in_process(config, case.source)
            store = run_dir / "store.duckdb"
            assert key_duplicates(store) == dict.fromkeys(key_duplicates(store), 0), (kind, at)
            assert snapshot(store, case.tables) == clean, f"store differs after a kill at {kind} {at}"
    # most points must really have killed the process (a timed point may fall after a fast run's end)
    assert killed >= REQUEST_KILLS, f"only {killed} of {len(points)} runs were killed"
