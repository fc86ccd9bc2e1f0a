"""Hostile files through the real CLI: ``correlate import ...`` ends with a message naming the file and the
line, a non-zero exit for a refused file, and never a traceback; a refused file leaves no store behind.

One file per importer, each holding a damage the hostile-input properties found crashing a parser
(tests/robustness/test_*_properties.py); the OTLP and transcript lines are HAND-BUILT.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, write_config
from tests.connectors.test_transcripts import line
from tests.dora.builders import TEAMS_TOML

DEEP = "[" * 100_000


@pytest.mark.parametrize(("command", "name", "text", "where"), [
    ("deployments", "deploys.csv", "id,repo,finished_at\nd1,acme/api,9999-12-31T23:59:59-05:00\n",
     "deploys.csv:2 (column 'finished_at')"),
    ("incidents", "incidents.csv", "id,service,created_at\ni1,checkout,2026-03-02T11:00:00Z\ni2,checkout,\xe9\n",
     "incidents.csv:3"),
    ("otlp", "otel.json", '{"resourceMetrics": ' + DEEP + "\n", "otel.json:1"),
])
def test_a_refused_file_names_file_and_line_without_a_traceback(tmp_path: Path, command: str, name: str, text: str,
                                                                  where: str) -> None:
    config = write_config(tmp_path, TEAMS_TOML.replace('[store]\npath = "store.duckdb"\n', ""))
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1") if command == "incidents" else text.encode())
    result = run_cli("import", command, str(path), config=config)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert where in " ".join(output.split()), output  # rich may wrap the path
    assert "Traceback" not in output
    assert not (tmp_path / "store.duckdb").exists() or command == "otlp"  # the CSV is refused before opening


def test_damaged_transcript_lines_are_skipped_counted_and_named(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    projects = tmp_path / "projects" / "-src-app"
    projects.mkdir(parents=True)
    (projects / "s1.jsonl").write_text("\n".join([
        line("msg_1", "req_1"), '{"message": {"usage": ' + DEEP, line("msg_2", "req_2", inp=2**70),
        line("msg_3", "req_3", ts="9999-12-31T23:59:59-05:00")]) + "\n")
    result = run_cli("import", "transcripts", str(tmp_path / "projects"), "--actor", "dev@example.com",
                     config=config)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, output
    assert "3 malformed lines" in output and "s1.jsonl:2" in output and "Traceback" not in output
