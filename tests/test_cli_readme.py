"""The README's commands table is the CLI: every command it lists exists with the flags it shows, optional
flags are the ones in brackets, and every command of the CLI has a row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import typer

from correlate.cli import app
from tests.cli import ROOT

SHARED = {"--help", "--config"}  # on every command that reads a config; the README says so under the table


@dataclass(frozen=True)
class Row:
    path: tuple[str, ...]
    arguments: tuple[str, ...]
    flags: dict[str, bool]  # flag -> shown in brackets (optional)
    text: str


def readme_rows() -> list[Row]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    root = typer.main.get_command(app)
    for line in section.splitlines():
        if not line.startswith("| `correlate"):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1]
        spans = re.findall(r"`([^`]+)`", cell)
        assert len(spans) == 1, f"one command per row: {cell}"
        usage = spans[0].replace("\\|", "|")
        words = usage.split()
        assert words[0] == "correlate", usage
        command: Any = root
        path: list[str] = []
        rest = words[1:]
        while rest and rest[0] in getattr(command, "commands", {}):
            path.append(rest[0])
            command = command.commands[rest.pop(0)]
        arguments = []
        while rest and not rest[0].startswith(("-", "[")):
            arguments.append(rest.pop(0))
        flags, depth = {}, 0
        for word in rest:
            bare = word.lstrip("[")
            opened = depth + len(word) - len(bare)
            if (flag := re.match(r"--[a-z0-9-]+", bare)) is not None:
                flags[flag.group()] = opened > 0
            depth = opened + bare.count("[") - word.count("]")
        rows.append(Row(tuple(path), tuple(arguments), flags, usage))
    return rows


def leaf_commands(command: Any = None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    command = command or typer.main.get_command(app)
    if not hasattr(command, "commands"):
        return {path: command}
    found: dict[tuple[str, ...], Any] = {}
    for name, sub in command.commands.items():
        found |= leaf_commands(sub, (*path, name))
    return found


def test_the_parser_reads_brackets_and_arguments() -> None:
    rows = {r.path: r for r in readme_rows()}
    compare = rows[("report", "compare")]
    assert compare.flags["--teams"] is False and compare.flags["--out"] is True  # `--teams A,B[,C]` stays required
    assert rows[("import", "transcripts")].arguments == ("DIR",)


def test_every_command_of_the_cli_has_one_row() -> None:
    listed = [r.path for r in readme_rows()]
    assert sorted(listed) == sorted(leaf_commands())


def test_every_row_shows_exactly_the_commands_flags_and_arguments() -> None:
    commands = leaf_commands()
    for row in readme_rows():
        command = commands[row.path]
        options = {o: p for p in command.params if p.param_type_name == "option" for o in (*p.opts, *p.secondary_opts)}
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        assert set(row.flags) <= set(options), f"{row.text}: {set(row.flags) - set(options)} do not exist"
        missing = {o for o in options if o not in SHARED} - set(row.flags)
        assert not missing, f"{row.text}: {missing} not shown"
        for flag, optional in row.flags.items():
            assert optional == (not options[flag].required), f"{row.text}: {flag} brackets"
        assert len(row.arguments) == len(arguments), row.text
