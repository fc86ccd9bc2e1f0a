"""The embedded DuckDB store: migrations, idempotent upserts, and cursors kept with their rows.

Every write is an upsert on the record type's natural key (``KEY`` in :mod:`connectors.records`),
so replaying a page, a day or a whole sync leaves the same rows. A sync cursor is written in the
same transaction as the rows it covers: a crash between the two is impossible, and a cursor never
moves without its rows.

Example::

    with Store.open(path) as store:
        with store.transaction() as tx:
            tx.upsert(PullRequest, records)
            tx.set_cursor("github", "pull_requests", "acme/api", "2026-11-01T00:00:00Z")
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.records import Record, record_columns
from correlate.errors import StoreError
from correlate.plausible import PlausibleWindow, event_columns

__all__ = ["Between", "Store", "SCHEMA_VERSION", "migrations", "open_failure"]

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every shipped migration, in order."""
    found = []
    for entry in resources.files("correlate.migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    return found


SCHEMA_VERSION = migrations()[-1][0]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def arrow_schema(record_type: type[Record]) -> pa.Schema:
    """The Arrow schema of a record type (from its annotations)."""
    cols = []
    for f in fields(record_type):  # type: ignore[arg-type]
        base = str(f.type).split("|")[0].strip()
        cols.append(pa.field(f.name, _ARROW_TYPES[base]))
    return pa.schema(cols)


@dataclass(frozen=True)
class Between:
    """A ``where`` value of :meth:`Store.replace`: the column lies in ``[low, high]``."""

    low: Any
    high: Any


class Store:
    """An open DuckDB store. Use :meth:`open`; one writer process at a time (DuckDB's rule).

    Attributes:
        window: the plausible window of event times (:mod:`correlate.plausible`); rows outside it are
            quarantined by :meth:`upsert`. The defaults, unless a command sets the config's.
        quarantined: rows quarantined per table since the store was opened (committed writes only).
        generation: how many write transactions this connection has committed (temp tables derived from
            the store's contents, such as :func:`correlate.mapping.register_mapping`'s, are rebuilt when it moves).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self._depth = 0
        self.window = PlausibleWindow.of()
        self.quarantined: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()  # quarantined inside the open transaction
        self.generation = 0
        self.mapped: tuple[object, int] | None = None  # (config, generation) register_mapping last ran for
        self.read_only = False

    # -- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False, window: PlausibleWindow | None = None) -> Store:
        """Open the store at ``path``: read-write (creating and migrating it if needed) or read-only.

        ``window`` is the plausible window of event times writes keep to (default: the defaults of
        :mod:`correlate.plausible`; commands pass the config's, ``PlausibleWindow.of(config)``).
        ``read_only`` is for commands that only read (reports): it works on a file or folder the user
        may not write, and never changes the file; such a store must already exist and be migrated.

        Raises:
            StoreError: naming the cause: permission denied, not a DuckDB file, locked by another
                process, missing (read-only), needing migrations (read-only), or written by a newer correlate.
        """
        p = Path(path)
        if read_only and not p.exists():
            raise StoreError(f"there is no store at {p}. Fetch data first (correlate sync, or correlate demo), "
                             "or point [store] path at the store.")
        try:
            if not read_only:
                p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of the store {p}: {exc.strerror or exc}.") from None
        try:
            con = duckdb.connect(str(p), read_only=read_only)
        except duckdb.ConnectionException as exc:
            # DuckDB shares one database per file and process: when this process already has the store open
            # for writing (a test, an embedding program), a read-only open joins that connection's database;
            # it is migrated already, and this handle still never writes
            if not (read_only and "different configuration" in str(exc)):
                raise StoreError(open_failure(p, str(exc), read_only=read_only)) from None
            con = duckdb.connect(str(p))
        except duckdb.Error as exc:
            raise StoreError(open_failure(p, str(exc), read_only=read_only)) from None
        store = cls(con, p)
        store.read_only = read_only
        if window is not None:
            store.window = window
        try:
            con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                store.migrate()
            else:
                store._check_version()
                store._check_migrated()
        except BaseException:
            con.close()
            raise
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------------------
    def version(self) -> int:
        exists = self.one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
        if not exists or not exists[0]:
            return 0
        row = self.one("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    def _check_version(self) -> None:
        current = self.version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this correlate "
                f"({SCHEMA_VERSION}). Upgrade correlate (pip install -U correlate)."
            )

    def _check_migrated(self) -> None:
        """A read-only store must have every migration: they cannot be applied without writing."""
        applied = self.applied_versions()
        missing = [name for version, name, _ in migrations() if version not in applied]
        if missing:
            raise StoreError(
                f"the store {self.path} needs {len(missing)} migration{'s' if len(missing) > 1 else ''} "
                f"({', '.join(missing)}) that cannot run on a read-only store. Run a writing command once "
                "with write access to the file and its folder (correlate sync) to upgrade it, then report again.")

    def applied_versions(self) -> set[int]:
        exists = self.one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
        if not exists or not exists[0]:
            return set()
        return {int(v) for (v,) in self.con.execute("SELECT version FROM schema_version").fetchall()}

    def migrate(self) -> list[int]:
        """Apply every migration the store has not recorded, in order, each in its own transaction.

        Returns the versions applied. Migrations are numbered by the work that added them, so one can land
        after a higher-numbered one: a store is checked against the set it has, not against its highest
        number (a store at 18 that missed 15 gets 15).
        """
        self._check_version()
        done = self.applied_versions()
        current = max(done, default=0)
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            try:
                self.con.execute("BEGIN TRANSACTION")
                if version == 1 or current == 0 and version == migrations()[0][0]:
                    self.con.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                        "name VARCHAR, applied_at TIMESTAMPTZ)"
                    )
                self.con.execute(sql)
                self.con.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, datetime.now(UTC)])
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                self.con.execute("ROLLBACK")
                cause = "permission denied: correlate cannot write the store or its folder, and migrating writes. " \
                    "Give write access, or use a read-only command (reports open the store read-only)" if (
                        "Permission denied" in str(exc)) else str(exc)
                raise StoreError(f"migration {name} failed on {self.path}: {cause}") from None
            applied.append(version)
        return applied

    # -- writes --------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all. Nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        self._pending.clear()
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._pending.clear()
            self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self._pending.clear()
            raise StoreError(f"could not commit to {self.path}: {exc}") from None
        self.quarantined.update(self._pending)
        self._pending.clear()
        self.generation += 1

    def upsert(
        self,
        record_type: type[Record],
        rows: Sequence[Record] | pd.DataFrame | pa.Table,
    ) -> int:
        """Insert or replace ``rows`` by the record type's natural key. Returns the number of rows written.

        Rows whose key is already stored are deleted and re-inserted in one transaction (faster than
        a primary-key index for bulk loads). Within one batch the last row for a key wins. Accepts
        records, or a DataFrame/Arrow table with exactly the record's columns (bulk paths, the demo).

        A row with an event time outside :attr:`window` is not written: it goes to the ``quarantine``
        table and is counted in :attr:`quarantined` (see :mod:`correlate.plausible`).
        """
        table = to_arrow(record_type, rows)
        if table.num_rows == 0:
            return 0
        key = record_type.KEY
        with self.transaction():
            table = self._quarantine(record_type, table)
            if table.num_rows == 0:
                return 0
            self.con.register("_batch", table)
            try:
                # Checking for repeated keys in DuckDB is ~6x faster than grouping in Arrow; a batch
                # rarely has any, and only then is it deduplicated (last row wins).
                keys = ", ".join(f'"{k}"' for k in key)
                repeated = self.con.execute(f"SELECT count(*) > count(DISTINCT ({keys})) FROM _batch").fetchall()[0]
                if repeated and repeated[0]:
                    table = _dedupe_last(table, key)
                    self.con.unregister("_batch")
                    self.con.register("_batch", table)
                cols = ", ".join(f'"{c}"' for c in table.column_names)
                if self._has_rows(record_type.TABLE):
                    match = " AND ".join(f't."{k}" = b."{k}"' for k in key)
                    self.con.execute(f"DELETE FROM {record_type.TABLE} AS t USING _batch AS b WHERE {match}")
                self.con.execute(f"INSERT INTO {record_type.TABLE} ({cols}) SELECT {cols} FROM _batch")
            except duckdb.Error as exc:
                raise StoreError(f"writing {record_type.TABLE} failed: {exc}") from None
            finally:
                self.con.unregister("_batch")
        return int(table.num_rows)

    def _quarantine(self, record_type: type[Record], table: pa.Table) -> pa.Table:
        """``table`` without its rows outside the window; those rows are recorded in ``quarantine``."""
        found = self.window.outside(table, event_columns(record_type))
        if found is None:
            return table
        mask, column_of = found
        names = list(record_type.KEY)
        keys = table.filter(mask).select(names).to_pylist()
        self.quarantine(record_type, [
            (tuple(keys[i][k] for k in names), column, table.column(column)[index].as_py())
            for i, (index, column) in enumerate(sorted(column_of.items()))])
        return table.filter(pc.invert(mask))

    def quarantine(self, record_type: type[Record], rows: Sequence[tuple[tuple[Any, ...], str, Any]]) -> int:
        """Record rows of ``record_type`` kept out of the store for an event time outside :attr:`window`, as
        (natural key, column, value); returns how many. :meth:`upsert` calls it; so does a writer that must drop
        such rows before they reach its own state (the OTLP fold's cumulative series)."""
        if rows:
            with self.transaction():
                self.con.executemany("INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)", [
                    (record_type.TABLE, json.dumps([_text(k) for k in key]), column, _text(value), self.window.first,
                     self.window.last) for key, column, value in rows])
                self._pending[record_type.TABLE] += len(rows)
        return len(rows)

    def _has_rows(self, table: str) -> bool:
        return self.one(f"SELECT EXISTS (SELECT 1 FROM {table})") == (True,)

    def replace(self, record_type: type[Record], where: dict[str, Any],
                rows: Sequence[Record] | pd.DataFrame | pa.Table) -> int:
        """Delete the rows matching ``where``, then upsert ``rows``, atomically.

        For sources that restate a whole partition (a usage day re-pulled after revisions, a window of
        days, a PR's commits): rows that vanished from the source vanish from the store. A ``where``
        value is matched by equality, a :class:`Between` by range (inclusive), a list by membership.
        """
        conds, params = [], []
        for column, value in where.items():
            if isinstance(value, Between):
                conds.append(f'"{column}" BETWEEN ? AND ?')
                params += [value.low, value.high]
            elif isinstance(value, list):
                conds.append(f'list_contains(?, "{column}")')
                params.append(value)
            else:
                conds.append(f'"{column}" = ?')
                params.append(value)
        with self.transaction():
            self.con.execute(f"DELETE FROM {record_type.TABLE} WHERE {' AND '.join(conds) or 'TRUE'}", params)
            return self.upsert(record_type, rows)

    def set_cursor(self, source: str, stream: str, partition: str, cursor: str | None) -> None:
        """Record the newest cursor whose rows are stored. Call inside the transaction that wrote them."""
        self.con.execute(
            "INSERT OR REPLACE INTO sync_state VALUES (?, ?, ?, ?, ?)",
            [source, stream, partition, cursor, datetime.now(UTC)],
        )

    def get_cursor(self, source: str, stream: str, partition: str = "") -> str | None:
        row = self.one('SELECT cursor FROM sync_state WHERE source = ? AND stream = ? AND "partition" = ?',
                       [source, stream, partition])
        return None if row is None else row[0]

    # -- reads ---------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run SQL and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        """The first row of a query, or None. The result is read to its end: DuckDB refuses other work on a
        connection (registering a frame, say) while a result is only partly fetched."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0] if rows else None

    def count(self, record_type: type[Record]) -> int:
        row = self.one(f"SELECT count(*) FROM {record_type.TABLE}")
        return int(row[0]) if row else 0


_LOCK_PID = re.compile(r"PID (\d+)")


def open_failure(path: Path, text: str, *, read_only: bool) -> str:
    """Why DuckDB could not open ``path``, told from its exception ``text``, and what to do."""
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = _LOCK_PID.search(text)
        holder = f" (PID {pid.group(1)})" if pid else ""
        return (f"the store {path} is locked by another process{holder}: another correlate command (sync, "
                "serve-otlp, import, a report) is using it. Wait for it to finish, then run this again.")
    if "different configuration" in text:
        return (f"this process already has the store {path} open read-only; close that handle before opening it "
                "for writing.")
    if "Permission denied" in text:
        if read_only:
            return f"permission denied reading the store {path}: give this user read access to the file."
        return (f"permission denied opening the store {path} for writing: this command writes (sync, import, "
                "derive, a migration); give write access to the file and its folder. Reports need only read access.")
    if "not a valid DuckDB database file" in text:
        return (f"{path} is not a DuckDB database (another kind of file, or an empty one). Point [store] path at "
                "the store correlate created, or at a new file name.")
    if "Is a directory" in text:
        return f"{path} is a folder, not a store file: point [store] path at a file such as correlate.duckdb."
    if "version number" in text or "storage version" in text:
        return (f"the store {path} was written by a newer DuckDB than this correlate bundles ({duckdb.__version__}): "
                f"upgrade correlate (pip install -U correlate). DuckDB said: {text}")
    return f"cannot open the store {path}: {text}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def to_arrow(record_type: type[Record], rows: Sequence[Record] | pd.DataFrame | pa.Table) -> pa.Table:
    """Rows of one record type as an Arrow table with the record's schema (and column order)."""
    schema = arrow_schema(record_type)
    names = record_columns(record_type)
    if isinstance(rows, pa.Table):
        table = rows
    elif isinstance(rows, pd.DataFrame):
        extra = set(rows.columns) - set(names)
        if extra:
            raise StoreError(f"{record_type.TABLE}: unexpected columns {sorted(extra)}")
        # no copy of the frame: absent columns are appended as typed nulls below, on the Arrow side
        present = [n for n in names if n in rows.columns]
        table = pa.Table.from_pandas(rows[present], preserve_index=False)
    else:
        columns: dict[str, list[Any]] = {n: [] for n in names}
        for rec in rows:
            if not isinstance(rec, record_type):
                raise StoreError(f"{record_type.TABLE}: got a {type(rec).__name__}, expected {record_type.__name__}")
            for n in names:
                columns[n].append(getattr(rec, n))
        return pa.table(columns, schema=schema)
    missing = [n for n in names if n not in table.column_names]
    for n in missing:
        table = table.append_column(schema.field(n), pa.nulls(table.num_rows, schema.field(n).type))
    try:
        return table.select(names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise StoreError(f"{record_type.TABLE}: columns do not match the record type: {exc}") from None


def _dedupe_last(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Keep the last row per key (INSERT OR REPLACE rejects duplicate keys within one statement)."""
    n = table.num_rows
    idx = pa.array(range(n), pa.int64())
    # max(index) per key does not depend on the order groups are visited in, so threads are safe here
    # (single-threaded grouping was the slowest step of a bulk load)
    grouped = table.select(list(key)).append_column("_i", idx).group_by(list(key), use_threads=True).aggregate(
        [("_i", "max")]
    )
    if grouped.num_rows == n:
        return table
    keep = np.sort(grouped.column("_i_max").to_numpy())
    return table.take(pa.array(keep))
