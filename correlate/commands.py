"""Bodies of the store-backed commands. (Minimal: ``sync`` only, so the Claude sources can run end to end.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from correlate.config import load_config
from correlate.console import console, install_countdown, progress
from correlate.store import Store
from correlate.sync import SyncContext, configured_sources, run_sync

__all__ = ["sync"]


def sync(config_path: Path, sources: list[str], since: date | None) -> None:
    """``correlate sync``: run ``sources`` (default: every configured one) and say what each stored."""
    config = load_config(config_path)
    names = sources or configured_sources(config)
    with Store.open(config.store_path) as store, install_countdown(), progress() as bar:
        summaries = run_sync(SyncContext(config=config, store=store, progress=bar), names, since)
    for summary in summaries:
        console.print(summary.describe())
    console.print(f"Stored in {config.store_path}")
