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
    """The receiver's writer: one open segment, appended to under a lock, fsynced before returning.

    Group commit: concurrent requests write under ``_lock`` and then share one ``fsync`` (whoever takes
    ``_sync_lock`` first syncs everything written so far), so a burst of exports costs a few fsyncs, not
    one each, and no request returns before its bytes are on disk. Lock order: ``_sync_lock`` then
    ``_lock``; a segment is only closed while holding both, so an fsync never meets a closed file.
    """

    def __init__(self, directory: Path, *, rotate_bytes: int = ROTATE_BYTES, rotate_seconds: float = ROTATE_SECONDS):
        self.dir = directory
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0
        self._written = 0  # records written (sequence number of the last one)
        self._synced = 0  # records known to be on disk
        directory.mkdir(parents=True, exist_ok=True)
        close_orphans(directory)

    @property
    def current(self) -> Path | None:
        return self._path

    def append(self, signal: str, encoding: str, body: bytes) -> None:
        """Append one record; returns only when its bytes are on disk (fsynced)."""
        data = encode_record(signal, encoding, body)
        if self._file is not None and (
            self._size >= self.rotate_bytes or time.monotonic() - self._opened >= self.rotate_seconds
        ):
            self.rotate()
        with self._lock:
            f = self._file or self._open_locked()
            f.write(data)
            f.flush()
            self._size += len(data)
            self._written += 1
            seq = self._written
        with self._sync_lock:
            if self._synced >= seq:
                return  # another request's fsync (or a rotation) already covered this record
            with self._lock:
                target, current = self._written, self._file
            if current is not None:
                os.fsync(current.fileno())
            self._synced = max(self._synced, target)

    def rotate(self) -> None:
        """Close the current segment (a new one opens with the next request)."""
        with self._sync_lock, self._lock:
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
        self._file, self._path, self._opened, self._size = f, path, time.monotonic(), 0
        return f

    def _close_locked(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._synced = self._written
        closed = self._path.with_suffix(".seg")
        os.replace(self._path, closed)  # rename before unlocking, so no reader sees an unlocked .open
        _fsync_dir(self.dir)
        self._file.close()
        self._file = self._path = None


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
