"""Claude Code session transcripts: dedupe, sidechain replays, malformed lines, UTC days.

The JSONL lines are HAND-BUILT after the real v2.1.247 line quoted in sources.md §5 (no licensed
transcript recording exists publicly).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from connectors.transcripts import scan


def line(msg_id: str | None, req_id: str | None, *, out: int = 100, inp: int = 10, cr: int = 1000, cc: int = 0,
         model: str = "claude-sonnet-4-6", ts: str = "2026-08-30T20:50:24.858Z", session: str = "4a0d-s1",
         sidechain: bool = False, branch: str = "main", split: tuple[int, int] | None = None,
         **over: Any) -> str:
    usage: dict[str, Any] = {"input_tokens": inp, "cache_creation_input_tokens": cc, "cache_read_input_tokens": cr,
                             "output_tokens": out, "service_tier": "standard", "speed": "standard"}
    if split is not None:
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": split[0], "ephemeral_1h_input_tokens": split[1]}
    obj: dict[str, Any] = {
        "parentUuid": "p", "isSidechain": sidechain, "userType": "external", "cwd": "/src/app",
        "sessionId": session, "version": "2.1.247", "gitBranch": branch, "entrypoint": "cli", "type": "assistant",
        "uuid": "u", "timestamp": ts, "requestId": req_id,
        "message": {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [],
                    "stop_reason": None, "usage": usage},
    }
    if req_id is None:
        del obj["requestId"]
    if msg_id is None:
        del obj["message"]["id"]
    obj.update(over)
    return json.dumps(obj)


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / "projects" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return tmp_path / "projects"


def test_streaming_copies_are_deduplicated_keeping_the_copy_with_most_tokens(tmp_path: Path) -> None:
    root = write(tmp_path, "-src-app/4a0d-s1.jsonl", [
        line("msg_1", "req_1", out=1),  # streaming intermediate: partial usage
        line("msg_1", "req_1", out=250),  # the final copy
        line("msg_1", "req_1", out=3),
        line("msg_2", "req_2", out=40),
    ])
    result = scan(root)
    assert [e.output_tokens for e in result.entries] == [250, 40]
    assert result.duplicates == 2 and result.malformed == 0


def test_sidechain_replays_of_a_parent_message_are_skipped_but_real_subagent_work_counts(tmp_path: Path) -> None:
    root = write(tmp_path, "-src-app/4a0d-s1.jsonl", [line("msg_1", "req_1", out=100)])
    write(tmp_path, "-src-app/4a0d-s1/subagents/agent-1.jsonl", [
        line("msg_1", "req_9", out=100, sidechain=True),  # /btw replay of the parent's message, new request id
        line("msg_7", "req_7", out=60, sidechain=True),  # the subagent's own call
    ])
    result = scan(root)
    assert sorted((e.message_id, e.output_tokens) for e in result.entries) == [("msg_1", 100), ("msg_7", 60)]
    assert result.sidechain_replays == 1 and result.files == 2


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    root = write(tmp_path, "-src-app/4a0d-s1.jsonl", [
        '{"type":"user","message":{"role":"user","content":"hi"}}',  # no usage: not counted at all
        '{"type":"assistant","message":{"usage":{"input_tokens":',  # torn line
        line("msg_a", "req_a", version="not-a-version"),
        line("msg_b", "", ),  # empty requestId
        line("msg_c", "req_c", model=""),
        line("msg_d", "req_d", costUSD=None),  # a required field present but null
        line("msg_e", "req_e", ts="yesterday"),
        line("msg_f", "req_f", model="<synthetic>"),
        line("msg_ok", "req_ok", out=5),
        "",
    ])
    result = scan(root)
    assert [e.message_id for e in result.entries] == ["msg_ok"]
    assert result.malformed == 6 and result.synthetic == 1
    assert result.problems[0].endswith("4a0d-s1.jsonl:2: not JSON (a torn or partial line)")


def test_lines_without_ids_are_never_merged_and_progress_lines_are_read(tmp_path: Path) -> None:
    progress = json.dumps({"type": "progress", "sessionId": "4a0d-s1", "version": "2.1.126", "data": {"message": {
        "timestamp": "2026-08-30T21:00:00Z", "requestId": "req_p", "isSidechain": True,
        "message": {"id": "msg_p", "model": "claude-haiku-4-5", "usage": {"input_tokens": 5, "output_tokens": 7}}}}})
    root = write(tmp_path, "-src-app/4a0d-s1.jsonl", [line(None, None, out=1), line(None, None, out=1), progress])
    result = scan(root)
    assert len(result.entries) == 3
    sub = [e for e in result.entries if e.message_id == "msg_p"][0]
    assert (sub.model, sub.output_tokens, sub.is_sidechain) == ("claude-haiku-4-5", 7, True)


def test_days_are_utc_days(tmp_path: Path) -> None:
    root = write(tmp_path, "a/s.jsonl", [line("m1", "r1", ts="2026-08-30T23:59:59.999Z"),
                                         line("m2", "r2", ts="2026-08-31T00:00:00+02:00")])
    assert [e.day for e in scan(root).entries] == [date(2026, 8, 30), date(2026, 8, 30)]
