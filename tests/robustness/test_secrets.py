"""Secrets never leak: every command that can run here is run as a real process with recognisable fake
credentials for every source at once, and its output, the store file (and WAL) and every file it wrote
are searched for them.

The sources and their fake credentials come from ``harness.CASES``; each HTTP source gets its own local
fake (hand-built pages, see ``harness``), the file sources their input files. Commands run once with the
right keys and then each source's sync once more with its key refused (error paths format more context).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.httpserver import Reply, Request, serve
from tests.robustness.harness import (
    CASES,
    CSV_TEAMS,
    HTTP_CASES,
    cli,
    forked,
    write_deployments,
    write_incidents,
    write_spool,
    write_transcripts,
)

MONTHLY_MONTH = "2026-10"


def _config(folder: Path, sections: str) -> Path:
    members = ", ".join(f'"dev{i}@acme.example", "dev{i}"' for i in range(5))
    path = folder / "correlate.toml"
    path.write_text(f'[store]\npath = "store.duckdb"\n\n[[teams]]\nname = "platform"\nmembers = [{members}]\n'
                    f"{CSV_TEAMS}\n{sections}", encoding="utf-8")
    return path


def _leaks(folder: Path, texts: list[str], secrets: list[str]) -> list[str]:
    found = [f"output of run {i}" for i, text in enumerate(texts) for s in secrets if s in text]
    for file in folder.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            found += [f"{file.name}" for s in secrets if s.encode() in data]
    return found


class _Refusable:
    """A source's fake that answers 401 once ``refuse`` is on (the key was revoked)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.refuse = False

    def __call__(self, req: Request) -> Reply:
        if self.refuse:
            return Reply(401, {"message": "Bad credentials"})
        return self.inner(req)


def test_no_command_shows_or_stores_a_credential(tmp_path: Path) -> None:
    secrets = [s for case in CASES for s in case.secrets]
    env = {k: v for case in CASES for k, v in case.env.items()}
    assert len(secrets) >= 6, "every credentialed source brings its canary"
    for write in (write_spool, write_transcripts, write_deployments, write_incidents):
        write(tmp_path)
    fakes = {case.source: _Refusable(case.handler()) for case in HTTP_CASES if case.handler is not None}
    outputs: list[str] = []
    with ExitStack() as stack:
        urls = {}
        for case in HTTP_CASES:
            server = stack.enter_context(serve(fakes[case.source]))
            urls[case.source] = server.url
            if case.needs_url:
                fakes[case.source].inner.url = server.url
        otel = next(c for c in CASES if c.source == "otel")
        config = _config(tmp_path, "\n".join([*(c.section(urls[c.source]) for c in HTTP_CASES), otel.section("")]))
        runs: list[tuple[str, ...]] = [
            ("sync",),
            ("import", "transcripts", str(tmp_path / "projects"), "--actor", "dev1@acme.example"),
            ("import", "deployments", str(tmp_path / "deployments.csv")),
            ("import", "incidents", str(tmp_path / "incidents.csv")),
            ("export", "panel", "--out", str(tmp_path / "panel.csv")),
            ("export", "deployments", "--out", str(tmp_path / "deployments-out.csv")),
            ("export", "spend", "--out", str(tmp_path / "spend.csv")),
            ("report", "monthly", "--month", MONTHLY_MONTH, "--out", str(tmp_path / "monthly.html")),
            ("doctor",),
            ("prices",),
        ]
        codes = []
        for i, args in enumerate(runs):
            # the first sync runs as `python -m correlate`; the rest forked from a pre-imported interpreter (real
            # processes too, without ~2 s of imports each)
            proc = cli(config, *args, env=env) if i == 0 else forked(config, *args, env=env)
            out, err = proc.communicate(timeout=120)
            outputs.append(out + err)
            codes.append(proc.returncode)
        for fake in fakes.values():
            fake.refuse = True
        for case in HTTP_CASES:
            proc = forked(config, "sync", "--source", case.source, env=env)
            out, err = proc.communicate(timeout=120)
            outputs.append(out + err)
            assert proc.returncode == 2, f"{case.source}: {out + err}"  # refused key: exit 2 naming the variable
            assert next(iter(case.env)) in out + err, case.source
            assert "Traceback" not in out + err, case.source
    failed = [(runs[i], codes[i], outputs[i][-600:]) for i in range(len(runs)) if codes[i] != 0]
    assert failed == [], failed
    assert all("Traceback" not in text for text in outputs)
    assert (tmp_path / "store.duckdb").stat().st_size > 0 and (tmp_path / "monthly.html").exists()
    assert _leaks(tmp_path, outputs, secrets) == []


def test_the_search_finds_a_planted_credential(tmp_path: Path) -> None:
    """The leak search itself can fail: a planted token in a file and in output is found."""
    secret = CASES[0].secrets[0]
    (tmp_path / "report.html").write_text(f"<p>{secret}</p>", encoding="utf-8")
    assert _leaks(tmp_path, [f"key {secret}"], [secret]) == ["output of run 0", "report.html"]
