"""The durable OTLP spool: accepted export requests, appended to segment files, fsynced before the 200.

The receiver (``correlate serve-otlp``) never opens the DuckDB store, so a long-running server does not
lock it; ``correlate sync --source otel`` folds the spool into the store later.

Layout of ``[otel] spool_dir``::

    <20-digit ns>-<pid>.new    a segment being created (locked, then renamed; never read)
    <20-digit ns>-<pid>.open   the segment a live receiver appends to (it holds an exclusive flock)
    <20-digit ns>-<pid>.seg    a closed segment (rotated by size/age, at shutdown, or found orphaned)

Each record in a segment::

    b"OTS1" | signal (b"m"/b"l") | encoding (b"p"/b"j") | 2 reserved bytes | length u32 BE | crc32 u32 BE | body

``body`` is the validated request after gzip: protobuf as received, JSON re-encoded as the protobuf
of the validated message (the receiver's choice, so folds never re-parse JSON; the format keeps an
encoding byte so JSON bodies stay readable). A receiver killed mid-write leaves at most one torn
record at the tail of its segment; it was never acknowledged (the 200 follows the fsync), and readers
stop at it.

Races: a fold reads segments by byte offset and only up to the last complete record, so it may run
while a receiver appends. ``.open`` segments whose flock can be taken belong to a dead receiver and are
closed (renamed) by whoever notices first.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["HEADER", "Spool", "SpoolRecord", "close_orphans", "read_records", "segments"]

MAGIC = b"OTS1"
HEADER = struct.Struct(">4s1s1s2sII")  # magic, signal, encoding, reserved, length, crc32
SIGNALS = {"metrics": b"m", "logs": b"l"}
ENCODINGS = {"protobuf": b"p", "json": b"j"}
_SIGNAL_OF = {v: k for k, v in SIGNALS.items()}
_ENCODING_OF = {v: k for k, v in ENCODINGS.items()}

ROTATE_BYTES = 32 * 1024 * 1024
ROTATE_SECONDS = 60.0
COMMIT_WINDOW_S = 0.001  # at most this long a sync leader waits for the group it expects (see Spool)


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One accepted request: where it ends in its segment (the fold's cursor) and what it holds."""

    segment: str
    end_offset: int
    signal: str
    encoding: str
    body: bytes


def encode_record(signal: str, encoding: str, body: bytes) -> bytes:
    """The bytes of one spool record."""
    return HEADER.pack(MAGIC, SIGNALS[signal], ENCODINGS[encoding], b"\0\0", len(body), zlib.crc32(body)) + body


class Spool:
    """The receiver's writer: one open segment, appended to under a lock, on disk before ``append`` returns.

    Group commit (leader/followers): a request writes its record into the segment's buffer under
    ``_cond`` and waits until a sync covers it. If no sync is running it becomes the leader: it flushes
    everything buffered so far and runs one ``fdatasync`` (``fsync`` where there is none) *outside* the
    lock, so requests arriving meanwhile keep writing and are all covered by the next leader's sync. A
    burst of N exports costs about two syncs, not N, and no request returns before its bytes are on disk:
    that is what makes a 200 durable (bench/otlp.py: a sync here takes 3-4 ms, the CPU of a small
    export ~0.2 ms, so syncing each request alone would cap the receiver at a few hundred requests/s).
    Commit window: a leader first waits up to ``COMMIT_WINDOW_S`` for as many records as the last sync
    covered (never when that was one, so a lone exporter never waits), since under steady load a group's
    requests come back together and syncing the first alone would halve the next group.

    If a write or sync fails, every record not yet synced is reported failed (the requests get a retryable 503),
    never retried on the same file: after a failed fsync Linux may mark the pages clean, so a second
    fsync could succeed without the bytes being on disk. The segment is closed and the next request
    opens a new one; the records already written stay in the old segment and fold at most once (facts
    are keyed), so a client's retry cannot double count.
    """

    def __init__(self, directory: Path, *, rotate_bytes: int = ROTATE_BYTES, rotate_seconds: float = ROTATE_SECONDS):
        self.dir = directory
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # followers wait here for a sync to cover their record
        self._gather = threading.Condition(lock)  # a gathering leader waits here for more records
        self._gathering = False
        self._last_group = 1  # records the last sync covered
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0
        self._synced_size = 0  # bytes of the open segment known to be on disk (acknowledged records only)
        self._written = 0  # records written (sequence number of the last one)
        self._synced = 0  # records known to be on disk
        self._failed = 0  # records up to this one were covered by a sync that failed
        self._syncing = False  # a leader is syncing outside the lock
        self.syncs = 0  # syncs run (group commit's effect: compare with requests)
        directory.mkdir(parents=True, exist_ok=True)
        close_orphans(directory)

    @property
    def current(self) -> Path | None:
        return self._path

    def append(self, signal: str, encoding: str, body: bytes) -> None:
        """Append one record; returns only when its bytes are on disk (synced).

        Raises:
            OSError: the record could not be written or synced (it may or may not be in the segment).
        """
        data = encode_record(signal, encoding, body)
        with self._cond:
            if self._file is not None and (
                self._size >= self.rotate_bytes or time.monotonic() - self._opened >= self.rotate_seconds
            ):
                self._close_locked()
            f = self._file or self._open_locked()
            self._written += 1
            seq = self._written
            try:
                f.write(data)  # buffered: the leader's flush writes the whole group with one syscall
            except BaseException:
                self._fail_locked()  # a torn record ends what a fold can read: later ones go to a new segment
                raise
            self._size += len(data)
            if self._gathering and self._written - self._synced >= self._last_group:
                self._gather.notify()  # only once the leader's group is complete: a wakeup costs GIL handoffs
            while True:
                if self._synced >= seq:
                    return
                if self._failed >= seq:
                    raise OSError(5, "the spool's sync failed; retry the request")
                if not self._syncing:
                    break
                self._cond.wait()
            # the leader: sync everything written so far, outside the lock. ``f`` is still the open segment:
            # closing or abandoning a segment resolves all of its records, and ours is unresolved.
            self._syncing = True
            if self._last_group > 1:
                self._gather_locked()
            target, target_size = self._written, self._size
            try:
                f.flush()
            except BaseException:
                self._syncing = False
                self._fail_locked()
                raise
        ok = False
        try:
            _datasync(f.fileno())
            ok = True
        finally:
            with self._cond:
                self._syncing = False
                self.syncs += 1
                if ok:
                    self._last_group = target - self._synced
                    self._synced = max(self._synced, target)
                    self._synced_size = target_size
                else:
                    self._fail_locked()
                self._cond.notify_all()

    def _gather_locked(self) -> None:
        """Wait (up to COMMIT_WINDOW_S) until as many records await a sync as the last sync covered.

        Under steady load the requests of one group come back together; a leader syncing at once would
        sync its own record alone and make the rest wait a whole sync, halving the group size.
        """
        deadline = time.monotonic() + COMMIT_WINDOW_S
        self._gathering = True
        try:
            while self._written - self._synced < self._last_group and self._file is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._gather.wait(left)
        finally:
            self._gathering = False

    def _fail_locked(self) -> None:
        """A write or sync failed: fail every unsynced record of this segment and stop using it."""
        while self._syncing:
            self._cond.wait()  # a leader is syncing this file outside the lock
        self._failed = self._written
        self._cond.notify_all()
        if self._file is not None and self._path is not None:
            self._abandon_locked(self._file, self._path, self._synced_size)
            self._file = self._path = None

    def _abandon_locked(self, f: BinaryIO, path: Path, keep: int) -> None:
        """Put a segment whose write or sync failed back to what was acknowledged, and close it.

        Its records after byte ``keep`` were answered with a retryable error (their clients send them
        again), so they are cut off: a full disk then leaves neither an empty ``.open`` file per failed
        request nor a segment with a torn tail that a fold would have to keep aside (holding the space
        the receiver needs to recover). A segment with nothing acknowledged is deleted; otherwise it is
        truncated and closed (``.seg``). The lock is held throughout (a duplicate descriptor keeps it
        while the buffered file is closed), so no fold sees the segment half-repaired. If the repair
        fails too, the segment stays ``.open`` for ``close_orphans``, and a fold stops at its torn tail.
        """
        try:
            fd = os.dup(f.fileno())
        except OSError:
            fd = -1
        try:
            f.close()  # its buffer may still hold records that could not be written: they are cut off below
        except OSError:
            pass
        if fd < 0:
            return
        try:
            if keep == 0:
                os.unlink(path)
            else:
                os.ftruncate(fd, keep)
                os.fsync(fd)
                os.replace(path, path.with_suffix(".seg"))
            _fsync_dir(self.dir)
        except OSError:
            pass
        finally:
            os.close(fd)

    def rotate(self) -> None:
        """Close the current segment (a new one opens with the next request)."""
        with self._cond:
            self._close_locked()

    def close(self) -> None:
        self.rotate()

    def _open_locked(self) -> BinaryIO:
        stem = f"{time.time_ns():020d}-{os.getpid()}"
        # Created under a name no reader looks at, locked, and only then renamed to ``.open``: a fold
        # checking for orphans can never take the lock of a segment that is being born.
        new = self.dir / f"{stem}.new"
        f = open(new, "ab")  # noqa: SIM115 - kept open across requests on purpose
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            path = new.with_suffix(".open")
            os.replace(new, path)
            _fsync_dir(self.dir)  # the new name survives a crash
        except BaseException:
            f.close()
            raise
        self._file, self._path, self._opened, self._size, self._synced_size = f, path, time.monotonic(), 0, 0
        return f

    def _close_locked(self) -> None:
        while self._syncing:
            self._cond.wait()  # a leader is syncing this file outside the lock
        if self._file is None or self._path is None:
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError:
            self._fail_locked()
            raise
        self._synced = self._written
        self._cond.notify_all()
        closed = self._path.with_suffix(".seg")
        os.replace(self._path, closed)  # rename before unlocking, so no reader sees an unlocked .open
        _fsync_dir(self.dir)
        self._file.close()
        self._file = self._path = None


def _datasync(fd: int) -> None:
    """Data (and the size needed to read it) on disk: ``fdatasync`` skips the mtime update ``fsync`` also writes."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # macOS
        os.fsync(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def close_orphans(directory: Path) -> list[Path]:
    """Rename ``.open`` segments no live receiver holds (its process died) to ``.seg``."""
    closed = []
    for path in sorted(directory.glob("*.open")):
        try:
            f = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live receiver is writing it
            target = path.with_suffix(".seg")
            try:
                os.replace(path, target)
                closed.append(target)
            except FileNotFoundError:
                pass
        finally:
            f.close()
    return closed


def segments(directory: Path) -> list[Path]:
    """Every segment, oldest first (closed and open: names sort by creation time)."""
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.seg"), *directory.glob("*.open")], key=lambda p: p.stem)


def read_records(path: Path, offset: int = 0) -> Iterator[SpoolRecord]:
    """Complete records of a segment from byte ``offset``; stops silently at a torn or partial tail.

    A record whose header or checksum is wrong ends the read too: a fold never advances past bytes it
    could not verify, and the caller reports what was left (see :func:`tail_bytes`).
    """
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    pos = 0
    while pos + HEADER.size <= len(data):
        magic, sig, enc, _, length, crc = HEADER.unpack_from(data, pos)
        end = pos + HEADER.size + length
        if magic != MAGIC or sig not in _SIGNAL_OF or enc not in _ENCODING_OF or end > len(data):
            return
        body = data[pos + HEADER.size:end]
        if zlib.crc32(body) != crc:
            return
        yield SpoolRecord(path.name, offset + end, _SIGNAL_OF[sig], _ENCODING_OF[enc], body)
        pos = end
