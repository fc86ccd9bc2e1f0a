"""Claude Code session transcripts (``~/.claude/projects/**/*.jsonl``) read into deduplicated usage entries.

The format is internal to Claude Code and changes between versions (sources.md §5), so the reader is
tolerant and counts what it skips instead of failing:

* only lines carrying ``message.usage`` matter (assistant lines and nested subagent ``progress``
  lines, whose usage sits under ``data.message``);
* a line is skipped (and counted) when it is not JSON, when ``version`` is not semver-like, when
  ``sessionId`` / ``requestId`` / ``message.id`` / ``model`` is an empty string, or when one of the
  fields ccusage requires non-null is null; ``<synthetic>`` model lines are skipped too;
* one API response is written as several lines repeating ``message.id`` + ``requestId``, streaming
  copies with partial usage: per (message id, request id) the copy with the **most tokens** is kept,
  preferring a non-sidechain copy and then one carrying ``speed`` (ccusage's current rule);
* a sidechain replay (``/btw``, ``subagents/``) repeats a parent ``message.id`` under another request
  id: a sidechain entry whose message id also appears outside a sidechain is dropped.

Entries are bucketed by UTC day, like every Anthropic API.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["TranscriptScan", "UsageEntry", "scan", "transcript_files"]

_SEMVER = re.compile(r"^\d+\.\d+\.\d+")
_NON_NULL = ("id", "cwd", "model", "speed", "costUSD", "version", "sessionId", "requestId", "isApiErrorMessage",
             "cache_read_input_tokens", "cache_creation_input_tokens")
_IN_USAGE = frozenset({"speed", "cache_read_input_tokens", "cache_creation_input_tokens"})
_MAX_TOKENS = 2**53  # no response uses this many tokens; beyond it floats are not exact


@dataclass(frozen=True, slots=True)
class UsageEntry:
    """The usage of one API response."""

    session_id: str
    message_id: str | None
    request_id: str | None
    model: str
    timestamp: datetime
    day: date
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    cache_creation_5m: int | None  # the split, when the line carries ``usage.cache_creation``
    cache_creation_1h: int | None
    is_sidechain: bool
    speed: str | None
    git_branch: str | None
    cost_usd_recorded: float | None  # ``costUSD`` written by old Claude Code versions
    file: str

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_creation_tokens


@dataclass
class TranscriptScan:
    """Deduplicated entries plus counts of everything read and skipped (for the data-quality section)."""

    entries: list[UsageEntry] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    usage_lines: int = 0
    malformed: int = 0
    synthetic: int = 0
    duplicates: int = 0
    sidechain_replays: int = 0
    problems: list[str] = field(default_factory=list)  # the first few malformed places, "file:line: why"

    def note(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.problems) < 20:
            self.problems.append(f"{where}: {why}")


def _int(v: Any) -> int:
    if isinstance(v, bool) or v is None:
        return 0
    if isinstance(v, (int, float)) and 0 <= v <= _MAX_TOKENS:  # false for NaN
        return int(v)
    # negative, infinite or absurdly large counts mark a damaged line (and would overflow the store's sums)
    raise ValueError(f"token count {v!r:.30} is not a count")


def _cost(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return f if math.isfinite(f) else None


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("no timestamp")
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp {value!r} is outside the years 1-9999 in UTC") from None


def _entry(obj: dict[str, Any], file: str) -> UsageEntry | str | None:
    """An entry, ``None`` for a line without usage, or a string saying why the line is skipped."""
    envelope = obj
    msg = obj.get("message")
    nested = obj.get("data")
    if not (isinstance(msg, dict) and isinstance(msg.get("usage"), dict)) and isinstance(nested, dict):
        inner = nested.get("message")
        if isinstance(inner, dict) and isinstance(inner.get("message"), dict) and isinstance(
                inner["message"].get("usage"), dict):
            # subagent progress line: data.message.{timestamp, requestId, isSidechain, message{usage, model, id}}
            envelope = {**obj, **{k: v for k, v in inner.items() if k != "message"}}
            msg = inner["message"]
    if not (isinstance(msg, dict) and isinstance(msg.get("usage"), dict)):
        return None
    usage = msg["usage"]
    for key in _NON_NULL:
        holder = msg if key in ("id", "model") else usage if key in _IN_USAGE else envelope
        if key in holder and holder[key] is None:
            return f"`{key}` is null"
    version = envelope.get("version")
    if version is not None and not (isinstance(version, str) and _SEMVER.match(version)):
        return f"version {version!r} is not semver-like"
    for key, holder in (("sessionId", envelope), ("requestId", envelope), ("id", msg), ("model", msg)):
        if holder.get(key) == "":
            return f"`{key}` is empty"
    model = msg.get("model")
    if not isinstance(model, str):
        return "no model"
    session = envelope.get("sessionId")
    if not isinstance(session, str):
        session = Path(file).stem  # the file is named after the session
    split = usage.get("cache_creation") if isinstance(usage.get("cache_creation"), dict) else None
    ts = _timestamp(envelope.get("timestamp"))
    return UsageEntry(
        session_id=session, message_id=msg.get("id") if isinstance(msg.get("id"), str) else None,
        request_id=envelope.get("requestId") if isinstance(envelope.get("requestId"), str) else None,
        model=model, timestamp=ts, day=ts.date(),
        input_tokens=_int(usage.get("input_tokens")), output_tokens=_int(usage.get("output_tokens")),
        cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
        cache_creation_tokens=_int(usage.get("cache_creation_input_tokens")),
        cache_creation_5m=_int(split.get("ephemeral_5m_input_tokens")) if split else None,
        cache_creation_1h=_int(split.get("ephemeral_1h_input_tokens")) if split else None,
        is_sidechain=envelope.get("isSidechain") is True,
        speed=usage.get("speed") if isinstance(usage.get("speed"), str) else None,
        git_branch=envelope.get("gitBranch") if isinstance(envelope.get("gitBranch"), str) else None,
        cost_usd_recorded=_cost(envelope.get("costUSD")), file=file,
    )


def _lines(files: list[Path], on_file: Callable[[Path], None] | None,
           result: TranscriptScan) -> Iterator[tuple[str, int, bytes]]:
    for path in files:
        try:
            with open(path, "rb") as f:
                for lineno, line in enumerate(f, 1):
                    yield str(path), lineno, line
        except OSError as exc:  # unreadable (permissions, vanished mid-scan): counted, the rest still read
            result.note(str(path), f"cannot read the file: {exc.strerror or exc}")
        finally:
            if on_file is not None:
                on_file(path)


def _rank(e: UsageEntry) -> tuple[int, int, int]:
    return (e.total_tokens, 0 if e.is_sidechain else 1, 1 if e.speed else 0)


def transcript_files(root: Path) -> list[Path]:
    """Every ``*.jsonl`` under ``root`` (recursively), or ``root`` itself when it is a file."""
    return [root] if root.is_file() else sorted(p for p in root.rglob("*.jsonl") if p.is_file())


def scan(root: Path, on_file: Callable[[Path], None] | None = None) -> TranscriptScan:
    """Read every ``*.jsonl`` under ``root`` (recursively; or ``root`` itself if it is a file).

    Args:
        root: a folder such as ``~/.claude/projects``, or one transcript file.
        on_file: called after each file (progress bars).

    Returns:
        A :class:`TranscriptScan`: entries deduplicated on (message id, request id), sidechain replays
        removed, and counts of lines read, skipped as malformed, synthetic, duplicate or replay.
    """
    result = TranscriptScan()
    files = transcript_files(root)
    result.files = len(files)
    keyed: dict[tuple[str, str], UsageEntry] = {}
    unkeyed: list[UsageEntry] = []
    for file, lineno, raw in _lines(files, on_file, result):
        result.lines += 1
        if not raw.strip():
            continue
        if b'"usage"' not in raw:
            continue  # user, system, summary, snapshot lines: nothing to count (and cheap to skip)
        where = f"{file}:{lineno}"
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            result.note(where, "not JSON (a torn or partial line)")
            continue
        if not isinstance(obj, dict):
            result.note(where, "not a JSON object")
            continue
        try:
            entry = _entry(obj, file)
        except (ValueError, TypeError) as exc:
            result.note(where, str(exc))
            continue
        if entry is None:
            continue
        if isinstance(entry, str):
            result.note(where, entry)
            continue
        result.usage_lines += 1
        if entry.model == "<synthetic>":
            result.synthetic += 1
            continue
        if entry.message_id is None or entry.request_id is None:
            unkeyed.append(entry)  # never deduplicated (ccusage does the same)
            continue
        key = (entry.message_id, entry.request_id)
        kept = keyed.get(key)
        if kept is None:
            keyed[key] = entry
        else:
            result.duplicates += 1
            if _rank(entry) > _rank(kept):
                keyed[key] = entry
    main_ids = {e.message_id for e in keyed.values() if not e.is_sidechain}
    entries = []
    for e in keyed.values():
        if e.is_sidechain and e.message_id in main_ids:
            result.sidechain_replays += 1
            continue
        entries.append(e)
    result.entries = sorted(entries + unkeyed, key=lambda e: (e.timestamp, e.session_id))
    return result
