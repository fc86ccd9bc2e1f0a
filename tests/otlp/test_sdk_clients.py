"""Real OpenTelemetry clients: the Python SDK's own OTLP exporters send to the receivers, the fold lands exact totals.

Two concurrent client processes (tests/otlp/sdk_client.py) per case, with identical series attributes
(no ``session.id``, no ``service.instance.id``), over OTLP/gRPC and OTLP/HTTP, delta and cumulative.
Cumulative streams of the two processes differ only in their start times: folded as one series they
lost data. The payloads are built by the SDK from the documented Claude Code names (sources.md §3).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from correlate.ingest.otel import fold_spool
from correlate.otlp.grpc_server import GrpcReceiver
from correlate.otlp.server import make_server
from correlate.store import Store
from tests.otlp.sdk_client import ROUNDS, increments

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sdk-test-token"  # noqa: S105 - a test value, not a secret


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """OTLP/HTTP and OTLP/gRPC over one spool, as ``serve-otlp`` runs them: (http port, grpc port, spool)."""
    spool_dir = tmp_path / "spool"
    server = make_server(spool_dir, "127.0.0.1", 0, max_body_bytes=4 * 1024 * 1024, token=TOKEN)
    grpc = GrpcReceiver(server.intake, "127.0.0.1", 0)
    grpc_port = grpc.start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1]), grpc_port, spool_dir
    finally:
        grpc.stop()
        server.shutdown()
        server.server_close()
        server.spool.close()


def expected() -> dict[str, float]:
    total: dict[str, float] = {}
    for process in (1, 2):
        for rnd in range(1, ROUNDS + 1):
            for key, value in increments(process, rnd).items():
                total[key] = total.get(key, 0) + value
    return total


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_two_concurrent_sdk_processes_land_exact_totals(receivers: tuple[int, int, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, protocol: str,
                                                       temporality: str) -> None:
    http_port, grpc_port, spool_dir = receivers
    port = grpc_port if protocol == "grpc" else http_port
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start_at = time.time() + 5  # both processes have imported the SDK by then: their exports alternate
    clients = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "otlp" / "sdk_client.py"), protocol.split("/")[0],
                                 temporality, str(port), str(process), TOKEN, str(start_at)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for process in (1, 2)]
    for client in clients:
        _, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
        assert "Failed to export" not in err and "Transient error" not in err, err
    # the SDK stamps points with the real time: the plausible window for event times must include it
    monkeypatch.setenv("CORRELATE_TODAY", datetime.now(UTC).date().isoformat())
    with Store.open(tmp_path / "store.duckdb") as store:
        fold_spool(store, spool_dir, tz="UTC", team_attribute="team.id")
        got = store.con.execute("""
            SELECT sum(tokens_input), sum(tokens_output), sum(tokens_cache_read), sum(tokens_cache_creation),
                   sum(cost_usd), sum(lines_added), sum(lines_removed), sum(commits), sum(prs), sum(sessions),
                   sum(edit_accepted), sum(edit_rejected), sum(active_seconds), count(DISTINCT actor)
            FROM ai_usage_daily""").fetchone()
        (requests,) = store.con.execute(  # type: ignore[misc]
            "SELECT count(*) FROM otel_events WHERE event = 'api_request'").fetchone()
        (model_requests,) = store.con.execute("SELECT sum(requests) FROM ai_usage_model_daily").fetchone()  # type: ignore[misc]
    want = expected()
    assert got is not None
    assert list(got[:4]) == [want["input"], want["output"], want["cache_read"], want["cache_creation"]]
    assert got[4] == pytest.approx(want["cost"], abs=1e-9)
    assert list(got[5:12]) == [want["added"], want["removed"], want["commits"], want["prs"], want["sessions"],
                               want["accept"], want["reject"]]
    assert got[12] == pytest.approx(want["user_s"] + want["cli_s"], abs=1e-9)
    assert got[13] == 1  # one developer, whichever process or protocol
    assert requests == model_requests == 2 * ROUNDS  # each api_request event once
