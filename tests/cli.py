"""Run the real ``correlate`` CLI in a subprocess, the way a user would, without the caller's secrets.

:func:`write_config` writes the ``correlate.toml`` such a run reads. Every CLI test goes through
:func:`run_cli`: it strips ``*_KEY`` and ``*_TOKEN`` variables from the
inherited environment (so a developer's real keys never reach a test, and a test that expects a
missing key really has none), adds only the secrets the test names, and runs from the project root.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_config(directory: Path, sections: str = "", *, store: str = "store.duckdb") -> Path:
    """``directory/correlate.toml``: a ``[store]`` at ``store`` (relative to the file) and the TOML ``sections``."""
    path = directory / "correlate.toml"
    path.write_text(f'[store]\npath = "{store}"\n\n{sections.strip()}\n', encoding="utf-8")
    return path


def run_cli(*args: str, config: Path | None = None, secrets: Mapping[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m correlate [--config CONFIG] ARGS`` from the project root; output captured as text.

    Args:
        args: the command line after the global options (``"sync", "--source", "cursor"``).
        config: the ``correlate.toml`` to pass as ``--config``.
        secrets: environment variables to set for this run (the fake keys the test serves).
        timeout: seconds before the run counts as hung.
    """
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_TOKEN"))}
    env.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200", **(secrets or {})})
    command = [sys.executable, "-m", "correlate", *(["--config", str(config)] if config else []), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
