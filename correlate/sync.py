"""``correlate sync`` and the file imports: one runner loop for every source.

A source is a short declaration, :class:`Source`, next to its mapping (``correlate/ingest/<name>.py``):
which ``[sources.X]`` section configures it, how to open its client, which units of work a run covers
(days, windows of days, repositories, files), and how one unit's vendor records become store rows.
The runner does the rest, the same way for every source:

1. a missing config section is one :class:`~correlate.errors.ConfigError` naming the section;
2. ``connect`` opens the client once, ``plan`` lists the units (resuming from the stored cursors);
3. for each unit, ``fetch`` yields :class:`Batch` es; each batch's rows (replace or upsert) and its
   cursor are committed in **one transaction** before the next is asked for, so a crash loses at most the
   batch in flight and a cursor never moves without its rows;
4. one progress bar per source advances per unit, and the source's :class:`SyncSummary` tallies the
   rows, the notes, and the rows quarantined for an impossible event time (:mod:`correlate.plausible`);
5. ``finish`` closes the run (a restatement, a check that anything was found).

After the sources (and inside an import's transaction), the derive stage (:mod:`correlate.derive`)
recomputes everything that depends on more than one source, so the order sources synced in does not
matter. Adding a source: a connector, a ``Source`` declaration with its ``plan`` and ``fetch``, and a
line in :data:`SOURCES` (see ``docs/ARCHITECTURE.md``, "Ingest and derive").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from connectors.records import Record
from correlate.config import Config
from correlate.console import progress as new_progress
from correlate.errors import ConfigError, UsageError
from correlate.store import Store

__all__ = ["SOURCES", "Batch", "Cursor", "EndOfData", "Rows", "Run", "Source", "SyncContext", "SyncSummary",
           "configured_sources", "run_import", "run_source", "run_sync"]


@dataclass
class SyncContext:
    """What a run gets: the config, the open store, and where to report progress."""

    config: Config
    store: Store
    progress: Any = None  # a rich Progress, or None when quiet


@dataclass
class SyncSummary:
    """What one source's run (or the derive stage) did, for the closing lines of the command."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{n:,} {t}" for t, n in self.rows.items()] or ["nothing new"]
        text = f"{self.source}: " + ", ".join(parts)
        if self.notes:
            text += " (" + "; ".join(self.notes) + ")"
        return text

    def add(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            self.rows[name] = self.rows.get(name, 0) + n


@dataclass(frozen=True)
class Rows:
    """Rows of one record type for a batch: upserted, or with ``replacing``, replacing what matches it
    (:meth:`correlate.store.Store.replace`: the source restated that day, window or PR)."""

    record_type: type[Record]
    rows: Sequence[Record] | pd.DataFrame | pa.Table
    replacing: dict[str, Any] | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the next run resumes, written with the batch's rows. ``forward_only``: never moves back
    (a ``--since`` re-pull of older days must not rewind it, or the next plain run re-fetches everything)."""

    stream: str
    value: date | datetime | str
    partition: str = ""
    forward_only: bool = True

    def text(self) -> str:
        return self.value if isinstance(self.value, str) else self.value.isoformat()

    def ahead_of(self, stored: str | None) -> bool:
        """Whether this cursor is later than the stored one (always, when nothing is stored)."""
        if stored is None or isinstance(self.value, str):
            return True
        if isinstance(self.value, datetime):
            return self.value > datetime.fromisoformat(stored)
        return self.value > date.fromisoformat(stored[:10])


@dataclass
class Batch:
    """What one step of a unit stores, in one transaction: rows, an optional step that runs SQL over the
    store inside that transaction (``then``), the cursor, counts and notes for the summary, and a
    progress text."""

    rows: list[Rows] = field(default_factory=list)
    cursor: Cursor | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    then: Callable[[Store], object] | None = None
    status: str | None = None


class EndOfData(Exception):  # noqa: N818 - a normal end of a run, not an error
    """Raised by ``fetch``: the source has nothing more to give yet (a day not aggregated, a report not
    published). The run stops there, keeps what it stored, and the note says why."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def _one(_unit: Any) -> int:
    return 1


@dataclass(frozen=True)
class Source:
    """A source as the runner sees it (see the module docstring).

    Attributes:
        name: the name of ``sync --source`` and of the source's cursors.
        plan: the units of work of this run, oldest first.
        fetch: one unit's batches; each is committed before the next is asked for.
        section: the ``[sources.<section>]`` that configures it, or None (otel, file imports).
        connect: opens the client the run shares (``run.client``); default none.
        finish: after the last unit (or an :class:`EndOfData`).
        weight: a unit's share of the progress bar (days in a window); default 1.
        label: a unit in the progress bar.
        configured: whether ``sync`` without ``--source`` runs it; default: its section is present.
    """

    name: str
    plan: Callable[[Run], Sequence[Any]]
    fetch: Callable[[Run, Any], Iterable[Batch]]
    section: str | None = None
    connect: Callable[[Run], AbstractContextManager[Any]] | None = None
    finish: Callable[[Run], None] | None = None
    weight: Callable[[Any], int] = _one
    label: Callable[[Any], str] = str
    configured: Callable[[Config], bool] | None = None

    def is_configured(self, config: Config) -> bool:
        if self.configured is not None:
            return self.configured(config)
        return self.section is not None and getattr(config.root.sources, self.section) is not None


@dataclass
class Run:
    """One source's run: what ``plan``, ``fetch`` and ``finish`` receive."""

    ctx: SyncContext
    source: Source
    since: date | None
    summary: SyncSummary
    client: Any = None
    bar: Any = None  # the rich Progress the run reports on
    state: dict[str, Any] = field(default_factory=dict)  # a source's own tallies across units

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def config(self) -> Config:
        return self.ctx.config

    @property
    def section(self) -> Any:
        """The source's ``[sources.<section>]`` model (present: the runner checked)."""
        return getattr(self.config.root.sources, self.source.section or "")

    def cursor(self, stream: str, partition: str = "") -> str | None:
        """The stored cursor of one of this source's streams."""
        return self.store.get_cursor(self.source.name, stream, partition)

    def commit(self, batch: Batch) -> None:
        """Store ``batch`` in one transaction (rows, ``then``, cursor) and tally it in the summary."""
        store = self.store
        with store.transaction():
            for rows in batch.rows:
                if rows.replacing is not None:
                    store.replace(rows.record_type, rows.replacing, rows.rows)
                else:
                    store.upsert(rows.record_type, rows.rows)
            if batch.then is not None:
                batch.then(store)
            c = batch.cursor
            if c is not None and (not c.forward_only or c.ahead_of(self.cursor(c.stream, c.partition))):
                store.set_cursor(self.source.name, c.stream, c.partition, c.text())
        self.summary.add(batch.counts)
        self.summary.notes.extend(batch.notes)


@contextmanager
def _bar(ctx: SyncContext) -> Iterator[Any]:
    if ctx.progress is not None:
        yield ctx.progress
        return
    with new_progress(transient=True) as own:
        yield own


def _check_section(source: Source, config: Config) -> None:
    if source.section is not None and getattr(config.root.sources, source.section) is None:
        raise ConfigError(f"source {source.name!r} is not configured: add a [sources.{source.section}] section "
                          "to the config.", path=str(config.path) if config.path else None,
                          key=f"sources.{source.section}")


def run_source(ctx: SyncContext, source: Source, since: date | None) -> SyncSummary:
    """Run one source: plan, then per unit fetch and commit each batch (see the module docstring).

    Raises:
        ConfigError: the source's section is missing (or its own checks fail).
        ConnectorError: from the connector; every batch committed before it stays stored.
    """
    _check_section(source, ctx.config)
    summary = SyncSummary(source.name)
    run = Run(ctx, source, since, summary)
    quarantined = ctx.store.quarantined.copy()
    with (source.connect(run) if source.connect else nullcontext()) as client, _bar(ctx) as bar:
        run.client, run.bar = client, bar
        units = list(source.plan(run))
        task = bar.add_task(source.name, total=sum(source.weight(u) for u in units))
        try:
            for unit in units:
                where = f"{source.name} {source.label(unit)}"
                bar.update(task, description=where)
                for batch in source.fetch(run, unit):
                    run.commit(batch)
                    if batch.status:
                        bar.update(task, description=f"{where}: {batch.status}")
                bar.advance(task, source.weight(unit))
        except EndOfData as end:
            summary.notes.append(end.note)
        finally:
            bar.update(task, description=source.name)
        if source.finish is not None:
            source.finish(run)
    _note_quarantine(summary, ctx.store, quarantined)
    return summary


def run_import(ctx: SyncContext, source: Source) -> SyncSummary:
    """Run a file import: every unit read and checked first, then all its rows, and the derive stage, in
    one transaction (an import is all or nothing, derived tables included)."""
    from correlate.derive import derive

    summary = SyncSummary(source.name)
    run = Run(ctx, source, None, summary)
    quarantined = ctx.store.quarantined.copy()
    with _bar(ctx) as bar:
        run.bar = bar
        batches = [batch for unit in source.plan(run) for batch in source.fetch(run, unit)]
    with ctx.store.transaction():
        for batch in batches:
            run.commit(batch)
        derived = derive(ctx.store, ctx.config)
    if source.finish is not None:
        source.finish(run)
    summary.notes.append(derived.describe())
    _note_quarantine(summary, ctx.store, quarantined)
    return summary


def _note_quarantine(summary: SyncSummary, store: Store, before: Any) -> None:
    new = {t: n - before.get(t, 0) for t, n in store.quarantined.items() if n > before.get(t, 0)}
    if new:
        listed = ", ".join(f"{n:,} {t}" for t, n in sorted(new.items()))
        summary.notes.append(f"quarantined {sum(new.values()):,} rows with an event time outside "
                             f"{store.window.describe()} ({listed}; see the quarantine table)")


# -- the sources -------------------------------------------------------------------------------------------------
# name -> (module, attribute) of its declaration, imported on use (PyGithub and friends load only when needed)
SOURCES: dict[str, tuple[str, str]] = {
    "claude_code": ("correlate.ingest.claude_code", "SOURCE"),
    "claude_enterprise": ("correlate.ingest.claude_enterprise", "SOURCE"),
    "otel": ("correlate.ingest.otel", "SPOOL"),
    "github": ("correlate.ingest.github", "SOURCE"),
    "pagerduty": ("correlate.ingest.pagerduty", "SOURCE"),
    "copilot": ("correlate.ingest.copilot", "SOURCE"),
    "cursor": ("correlate.ingest.cursor", "SOURCE"),
}


def load_source(name: str) -> Source:
    """The declaration of source ``name``.

    Raises:
        UsageError: no such source.
    """
    if name not in SOURCES:
        raise UsageError(f"unknown source {name!r}; choose one of: {', '.join(SOURCES)}")
    module, attribute = SOURCES[name]
    source: Source = getattr(importlib.import_module(module), attribute)
    return source


def configured_sources(config: Config) -> list[str]:
    """Sources the config enables (a section, or for otel an existing spool folder)."""
    return [name for name in SOURCES if load_source(name).is_configured(config)]


def run_sync(ctx: SyncContext, sources: list[str], since: date | None) -> list[SyncSummary]:
    """Sync ``sources`` in order, then run the derive stage.

    A source that fails stops the run with everything before it stored; the derive stage still runs
    over what was stored, and the error is raised after it.
    """
    from correlate.derive import derive

    declared = [load_source(name) for name in sources]
    for source in declared:
        _check_section(source, ctx.config)
    summaries: list[SyncSummary] = []
    try:
        for source in declared:
            summaries.append(run_source(ctx, source, since))
    except Exception:
        derive(ctx.store, ctx.config)  # what was stored before the failure is derived like the rest
        raise
    summaries.append(derive(ctx.store, ctx.config))
    return summaries
