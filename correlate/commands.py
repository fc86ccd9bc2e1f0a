"""Bodies of the store-backed commands. ``cli.py`` parses; these do the work.

(Only ``sync`` so far: added with the Copilot/Cursor sources so ``correlate sync`` runs end to end.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from correlate.config import load_config
from correlate.console import console, install_countdown, progress
from correlate.errors import UsageError
from correlate.store import Store
from correlate.sync import SyncContext, configured_sources, run_sync

__all__ = ["sync"]


def sync(*, config_path: Path, sources: list[str], since: date | None) -> None:
    """``correlate sync``: run each named (default: every configured) source into the store.

    Raises:
        ConfigError, UsageError: bad config or an unconfigured source (exit 2).
        ConnectorError: a source failed; sources before it are stored.
    """
    config = load_config(config_path)
    names = sources or configured_sources(config)
    if not names:
        raise UsageError("no sources are configured: add a [sources.<name>] section to the config.")
    with Store.open(config.store_path) as store, install_countdown(), progress() as bar:
        summaries = run_sync(SyncContext(config=config, store=store, progress=bar), names, since)
    for summary in summaries:
        console.print(summary.describe())
    console.print(f"Store: {config.store_path}")
