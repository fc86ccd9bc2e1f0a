"""Secrets never leak: every command that can run here is run as a real process with recognisable fake
credentials, and its output, the store file (and WAL) and every file it wrote are searched for them.

The sources and their fake credentials come from ``harness.CASES``; commands run against their local
fakes, once with the right key and once with a refused one (error paths format more context).
"""

from __future__ import annotations

from pathlib import Path

from tests.httpserver import Reply, Request, serve
from tests.robustness.harness import CASES, cli

MONTHLY_MONTH = "2026-10"


def _config(folder: Path, sections: str) -> Path:
    members = ", ".join(f'"dev{i}@acme.example", "dev{i}"' for i in range(5))
    path = folder / "correlate.toml"
    path.write_text(f'[store]\npath = "store.duckdb"\n\n[[teams]]\nname = "platform"\nmembers = [{members}]\n\n'
                    f"{sections}", encoding="utf-8")
    return path


def _leaks(folder: Path, texts: list[str], secrets: list[str]) -> list[str]:
    found = [f"output of run {i}" for i, text in enumerate(texts) for s in secrets if s in text]
    for file in folder.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            found += [f"{file.name}" for s in secrets if s.encode() in data]
    return found


def test_no_command_shows_or_stores_a_credential(tmp_path: Path) -> None:
    secrets = [s for case in CASES for s in case.secrets]
    env = {k: v for case in CASES for k, v in case.env.items()}
    handlers = {case.source: case.handler() for case in CASES}
    refuse = {"on": False}

    def handler(req: Request) -> Reply:
        if refuse["on"]:
            return Reply(401, {"message": "Bad credentials"})
        source = "cursor" if req.path.startswith("/teams/") else "copilot"
        return handlers[source](req)

    outputs: list[str] = []
    with serve(handler) as server:
        for case in CASES:
            if case.needs_url:
                handlers[case.source].url = server.url  # type: ignore[attr-defined]
        config = _config(tmp_path, "\n".join(case.section(server.url) for case in CASES))
        runs = [("sync",), ("export", "panel", "--out", str(tmp_path / "panel.csv")),
                ("report", "monthly", "--month", MONTHLY_MONTH, "--out", str(tmp_path / "monthly.html")),
                ("doctor",)]
        codes = []
        for args in runs:
            proc = cli(config, *args, env=env)
            out, err = proc.communicate(timeout=120)
            outputs.append(out + err)
            codes.append(proc.returncode)
        refuse["on"] = True
        for case in CASES:
            proc = cli(config, "sync", "--source", case.source, env=env)
            out, err = proc.communicate(timeout=120)
            outputs.append(out + err)
            assert proc.returncode == 2, out + err  # refused key: exit 2 naming the variable
            assert next(iter(case.env)) in out + err
    assert codes[:3] == [0, 0, 0], "\n".join(outputs[:3])
    assert (tmp_path / "store.duckdb").stat().st_size > 0 and (tmp_path / "monthly.html").exists()
    assert _leaks(tmp_path, outputs, secrets) == []


def test_the_search_finds_a_planted_credential(tmp_path: Path) -> None:
    """The leak search itself can fail: a planted token in a file and in output is found."""
    secret = CASES[0].secrets[0]
    (tmp_path / "report.html").write_text(f"<p>{secret}</p>", encoding="utf-8")
    assert _leaks(tmp_path, [f"key {secret}"], [secret]) == ["output of run 0", "report.html"]
