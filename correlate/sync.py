"""``correlate sync``: run each configured source's ingest module.

Each source has one module under ``correlate/ingest/`` with a ``sync(ctx, since)`` function that
reads its cursor, fetches through its connector, and upserts rows and the advanced cursor in one
store transaction per unit of work (a day, a page, a repo). This module only dispatches.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from correlate.config import Config
from correlate.errors import NotAvailableError, UsageError
from correlate.store import Store

__all__ = ["SOURCES", "SyncContext", "SyncSummary", "run_sync"]

# source name -> (module under correlate.ingest, config section under [sources] or None, issue)
SOURCES: dict[str, tuple[str, str | None]] = {
    "claude_code": ("correlate.ingest.claude_code", "claude_code"),
    "claude_enterprise": ("correlate.ingest.claude_enterprise", "claude_enterprise"),
    "otel": ("correlate.ingest.otel", None),
    "github": ("correlate.ingest.github", "github"),
    "pagerduty": ("correlate.ingest.pagerduty", "pagerduty"),
    "copilot": ("correlate.ingest.copilot", "copilot"),
    "cursor": ("correlate.ingest.cursor", "cursor"),
}


@dataclass
class SyncContext:
    """What an ingest module gets: the config, the open store, and where to report progress."""

    config: Config
    store: Store
    progress: Any = None  # a rich Progress, or None when quiet


@dataclass
class SyncSummary:
    """What one source's sync did, for the closing line of the command."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{n:,} {t}" for t, n in self.rows.items()] or ["nothing new"]
        text = f"{self.source}: " + ", ".join(parts)
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text


SyncFn = Callable[[SyncContext, date | None], SyncSummary]


def configured_sources(config: Config) -> list[str]:
    """Sources with a config section (otel counts when its spool folder exists)."""
    names = []
    for name, (_, section) in SOURCES.items():
        if section is None:
            if config.resolve(config.root.otel.spool_dir).exists():
                names.append(name)
        elif getattr(config.root.sources, section) is not None:
            names.append(name)
    return names


def load_sync(source: str) -> SyncFn:
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}; choose one of: {', '.join(SOURCES)}")
    module_name, _ = SOURCES[source]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise NotAvailableError(f"syncing {source} is not built in this release yet.") from None
    fn: SyncFn = module.sync
    return fn


def run_sync(ctx: SyncContext, sources: list[str], since: date | None) -> list[SyncSummary]:
    """Sync ``sources`` in order; a source that fails stops the run with everything before it stored."""
    summaries = []
    for name in sources:
        _, section = SOURCES.get(name, ("", None))
        if section is not None and getattr(ctx.config.root.sources, section) is None:
            raise UsageError(f"source {name!r} is not configured: add a [sources.{section}] section to the config.")
        summaries.append(load_sync(name)(ctx, since))
    return summaries
