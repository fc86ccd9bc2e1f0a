"""A full disk under a live OTLP receiver, for real: run by tests/otlp/test_disk_full.py inside its own mount namespace.

``unshare --user --map-root-user --mount`` gives this process a private tmpfs of ``SIZE`` bytes (no root
needed, nothing mounted on the host) at ``SPOOL_PARENT``; the receiver spools there. The scenario:
export until the disk is full (a ballast file takes the rest), keep exporting while it is full, delete
the ballast, export again, then fold the spool. It prints one JSON object of what it saw; the test
asserts on it.

    unshare -Urm python tests/otlp/diskfull_scenario.py SPOOL_PARENT STORE_PATH
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from correlate.ingest.otel import _summary, fold_spool  # noqa: E402
from correlate.otlp.server import make_server  # noqa: E402
from correlate.store import Store  # noqa: E402
from tests.otlp_payloads import MINUTE, T0, Point, metrics_request  # noqa: E402

SIZE = 2 * 1024 * 1024
PB = {"Content-Type": "application/x-protobuf"}


def body(i: int) -> bytes:
    """Request ``i``: one commit, its own minute (a distinct fact), padded to ~20 KB so the disk fills fast."""
    pad = {"pad": "x" * 20_000}
    return metrics_request([Point("claude_code.commit.count", 1.0, {"session.id": f"s{i}", **pad},
                                  time_ns=T0 + i * MINUTE, start_ns=T0 + i * MINUTE - MINUTE)]).SerializeToString()


def main(parent: Path, store_path: Path) -> None:
    parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(parent)], check=True)
    spool_dir = parent / "spool"
    server = make_server(spool_dir, "127.0.0.1", 0, max_body_bytes=1024 * 1024, token=None, log=lambda _: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/metrics"
    seen: dict[str, object] = {}
    acknowledged: list[int] = []
    i = 0
    with httpx.Client(timeout=30) as client:
        for _ in range(10):  # some requests land
            if client.post(url, content=body(i), headers=PB).status_code == 200:
                acknowledged.append(i)
            i += 1
        ballast = parent / "ballast"
        with open(ballast, "wb") as f:  # the rest of the disk goes to something else
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        full_statuses = []
        for _ in range(30):  # exports while the disk is full
            r = client.post(url, content=body(i), headers=PB)
            full_statuses.append(r.status_code)
            if r.status_code == 200:
                acknowledged.append(i)
            i += 1
        seen["while_full"] = sorted(set(full_statuses))
        seen["files_while_full"] = sorted(p.name.split(".", 1)[1] for p in spool_dir.iterdir())
        seen["empty_files_while_full"] = sum(1 for p in spool_dir.iterdir() if p.stat().st_size == 0)
        ballast.unlink()  # space again: the receiver must recover by itself
        after = []
        for _ in range(10):
            r = client.post(url, content=body(i), headers=PB)
            after.append(r.status_code)
            if r.status_code == 200:
                acknowledged.append(i)
            i += 1
        seen["after_space"] = after
    server.shutdown()
    server.server_close()
    server.spool.close()
    with Store.open(store_path) as store:
        stats = fold_spool(store, spool_dir, tz="UTC", team_attribute=None)
        (commits,) = store.con.execute("SELECT coalesce(sum(commits), 0) FROM ai_usage_daily").fetchone()  # type: ignore[misc]
    seen["acknowledged"] = len(acknowledged)
    seen["stored_commits"] = int(commits)
    seen["left_in_spool"] = sorted(p.name for p in spool_dir.iterdir())
    seen["notes"] = _summary(stats).notes
    print(json.dumps(seen))
    subprocess.run(["umount", str(parent)], check=False)
    os._exit(0)  # the receiver's daemon threads need no goodbye


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
