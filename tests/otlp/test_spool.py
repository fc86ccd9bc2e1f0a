"""The spool's group commit: a record is on disk before ``append`` returns, syncs are shared, failures fail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from correlate.otlp import spool as spool_module
from correlate.otlp.spool import Spool, read_records, segments


def _bodies(spool_dir: Path) -> list[bytes]:
    return [r.body for seg in segments(spool_dir) for r in read_records(seg)]


def test_concurrent_appends_share_syncs_and_every_record_is_readable(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    sent = [b"%d-%d" % (t, i) * 100 for t in range(16) for i in range(20)]

    def run(t: int) -> None:
        for i in range(20):
            spool.append("metrics", "protobuf", b"%d-%d" % (t, i) * 100)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    syncs = spool.syncs
    spool.close()
    assert sorted(_bodies(tmp_path)) == sorted(sent)
    assert syncs < len(sent)  # 16 writers at once: group commit shares syncs (one each would be 320)


def test_a_failed_sync_fails_every_waiting_request_and_the_segment_is_not_trusted_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = spool_module._datasync
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def failing_once(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            entered.set()
            release.wait(10)
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(spool_module, "_datasync", failing_once)  # a disk error, without a failing disk
    spool = Spool(tmp_path)
    errors: list[BaseException | None] = []

    def append(body: bytes) -> None:
        try:
            spool.append("metrics", "protobuf", body)
            errors.append(None)
        except OSError as exc:
            errors.append(exc)

    leader = threading.Thread(target=append, args=(b"first",))
    follower = threading.Thread(target=append, args=(b"second",))
    try:
        leader.start()
        assert entered.wait(10)  # the leader is inside the sync that will fail
        failed_segment = spool.current
        follower.start()
        deadline = time.monotonic() + 10
        while spool._written < 2 and time.monotonic() < deadline:  # the follower's record is written, not synced
            time.sleep(0.01)
    finally:
        release.set()  # never leave the threads blocked, even when an assertion above fails
        leader.join(10)
        follower.join(10)
    assert [type(e) for e in errors] == [OSError, OSError]  # neither got a durable acknowledgement
    assert spool.current is None  # the segment whose sync failed is abandoned, never synced again
    spool.append("metrics", "protobuf", b"third")
    assert spool.current is not None and spool.current != failed_segment and len(calls) == 2
    spool.close()
    # nothing in the abandoned segment was acknowledged: it is deleted, not left behind as an .open file
    assert not failed_segment.exists() and [p.suffix for p in tmp_path.iterdir()] == [".seg"]
    assert _bodies(tmp_path) == [b"third"]


def test_a_failed_write_cuts_the_segment_back_to_what_was_acknowledged(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real = spool_module._datasync
    calls: list[int] = []

    def failing_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(spool_module, "_datasync", failing_second)  # a full disk at the second sync
    spool = Spool(tmp_path)
    spool.append("metrics", "protobuf", b"acknowledged")
    segment = spool.current
    assert segment is not None
    with pytest.raises(OSError):
        spool.append("metrics", "protobuf", b"answered 503")
    # the segment holds exactly the acknowledged record, closed (not a torn .open for a fold to keep aside)
    assert [p.name for p in tmp_path.iterdir()] == [segment.with_suffix(".seg").name]
    assert _bodies(tmp_path) == [b"acknowledged"]
    spool.append("metrics", "protobuf", b"after")  # the next request opens a new segment
    spool.close()
    assert _bodies(tmp_path) == [b"acknowledged", b"after"]
