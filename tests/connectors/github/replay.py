"""Replay PyGithub's recorded GitHub exchanges (``tests/fixtures/pygithub-replay/``) from a real local server.

File format (fixtures README): 11 lines per exchange — protocol, verb, host, port, path+query,
request headers, request body, status, response headers (a Python literal read with
``ast.literal_eval``), response body, blank. The server matches a request on (method, path,
sorted query) and answers matching exchanges in recorded order; absolute ``https://api.github.com``
URLs in ``Link`` headers and bodies are rewritten to the local server.

Two deliberate relaxations, both named here so a reader can judge them:
    * query parameters that only size or order a page (``per_page``, ``sort``, ``direction``,
      ``state``) are ignored when matching: the recordings were made with other values than our
      connector sends, and the recorded answer is still a real answer of that endpoint;
    * a test may add ``extra`` answers for paths no recording covers; those come from GitHub's
      vendor-written OpenAPI examples (``tests/fixtures/github-openapi-examples/``) and the
      test says so.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.httpserver import Reply, Request

IGNORED_QUERY = frozenset({"per_page", "sort", "direction", "state"})
_DROP_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "status", "connection"}


@dataclass
class Exchange:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    headers: dict[str, str]
    body: str


def _key_query(query: str | dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else [
        (k, v) for k, vs in query.items() for v in vs]
    return tuple(sorted((k, v) for k, v in pairs if k not in IGNORED_QUERY))


def load(path: Path) -> list[Exchange]:
    """The exchanges of one replay file, in order."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block = lines[i:i + 10]
        i += 10
        parts = urlsplit(block[4])
        headers = {str(k).lower(): str(v) for k, v in ast.literal_eval(block[8])}
        out.append(Exchange(block[1].strip(), parts.path, _key_query(parts.query), int(block[7]), headers, block[9]))
    return out


class Replay:
    """A handler for :func:`tests.httpserver.serve` answering from recorded exchanges."""

    def __init__(self, files: Iterable[Path], *, extra: Iterable[Exchange] = (),
                 header_overrides: dict[tuple[str, str], dict[str, str]] | None = None) -> None:
        self.exchanges = [e for f in files for e in load(f)] + list(extra)
        self.header_overrides = header_overrides or {}
        self.base_url = ""
        self.unmatched: list[str] = []
        self.answered: list[tuple[str, str, int]] = []

    def __call__(self, req: Request) -> Reply:
        key = (req.method, req.path, _key_query(req.query))
        for i, ex in enumerate(self.exchanges):
            if (ex.method, ex.path, ex.query) == key:
                self.exchanges.pop(i)
                self.answered.append((req.method, req.path, ex.status))
                return self.reply(ex)
        self.unmatched.append(f"{req.method} {req.path}?{sorted(req.query.items())}")
        return Reply(404, {"message": f"no recorded exchange for {req.method} {req.path}"})

    def reply(self, ex: Exchange) -> Reply:
        """The recorded answer of ``ex``, with headers and absolute URLs made local."""
        headers = {k: self._local(v) for k, v in ex.headers.items() if k not in _DROP_HEADERS}
        headers.update(self.header_overrides.get((ex.method, ex.path), {}))
        return Reply(ex.status, self._local(ex.body).encode(), headers=headers)

    def _local(self, text: str) -> str:
        return text.replace("https://api.github.com", self.base_url)


def vendor_example(fixtures_dir: Path, operation: str, path: str, *, status: str = "200") -> Exchange:
    """An answer built from GitHub's vendor-written OpenAPI example for ``operation`` (not a recording)."""
    spec = json.loads((fixtures_dir / "github-openapi-examples" / "examples" / f"{operation}.json").read_text())
    content = spec["responses"][status]["content"]["application/json"]
    value: Any = next(iter(content["examples"].values()))["value"]
    return Exchange("GET", path, (), int(status), {"content-type": "application/json"}, json.dumps(value))


def replay_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "pygithub-replay" / "ReplayData"
