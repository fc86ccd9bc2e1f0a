"""A real full disk under the OTLP receiver: nothing acknowledged is lost, nothing is left behind, it recovers.

The receiver runs on a 2 MiB tmpfs in a private mount namespace (tests/otlp/diskfull_scenario.py, run
under ``unshare --user --map-root-user --mount``: no root needed, nothing mounted on the host).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_full_disk_loses_nothing_acknowledged_leaves_nothing_behind_and_recovers(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    assert unshare is not None, "util-linux's unshare is needed for a private tmpfs"
    done = subprocess.run([unshare, "--user", "--map-root-user", "--mount", sys.executable,
                           str(ROOT / "tests" / "otlp" / "diskfull_scenario.py"), str(tmp_path / "disk"),
                           str(tmp_path / "store.duckdb")], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # while full: retryable answers only, and no empty .open file per failed request
    assert seen["while_full"] == [503] or seen["while_full"] == [200, 503], seen
    assert seen["empty_files_while_full"] == 0 and len(seen["files_while_full"]) == 1, seen
    # once there is space again, the receiver takes requests by itself
    assert seen["after_space"] == [200] * 10, seen
    # every acknowledged request is in the store, once; the spool is empty and nothing was kept aside
    assert seen["stored_commits"] == seen["acknowledged"] >= 20, seen
    assert seen["left_in_spool"] == [] and not any("damaged" in n or "kept aside" in n for n in seen["notes"]), seen
