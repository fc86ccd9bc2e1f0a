"""The command line as people type it: ``--config`` on either side of the command, ``--version``, help text
on every option, upper-case placeholders, the sync sources named, PDF by file name, and a clock-driven default
month."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from correlate.cli import app
from correlate.commands import report_format
from correlate.demo import dump_toml
from correlate.errors import UsageError
from correlate.export_window import data_window
from correlate.store import Store
from correlate.sync import SOURCES
from tests.cli import ROOT, run_cli

WIDE = {"COLUMNS": "200"}


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env={**WIDE, **(env or {})}, prog_name="correlate")


def commands(command: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group of the CLI with its path (``()`` is ``correlate`` itself)."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


def leaf_paths() -> list[tuple[str, ...]]:
    return [path for path, command in commands() if not hasattr(command, "commands")]


def price_config(folder: Path, version: str) -> Path:
    """A config whose only effect visible to ``correlate prices`` is the price file's ``version``."""
    prices = folder / f"{version}.toml"
    prices.write_text(f'version = "{version}"\n[[models]]\nid = "claude-opus-5"\n'
                      'prices = [{ input = 1.0, output = 2.0 }]\n', encoding="utf-8")
    config = folder / f"{version}-correlate.toml"
    config.write_text(f'[prices]\nfile = "{prices.name}"\n', encoding="utf-8")
    return config


# --- --config on either side -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_read_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    config = str(price_config(tmp_path, "acme-negotiated"))
    args = ["--config", config, "prices"] if where == "before" else ["prices", "--config", config]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "acme-negotiated" in result.output


def test_the_later_config_wins(tmp_path: Path) -> None:
    first, second = price_config(tmp_path, "first-file"), price_config(tmp_path, "second-file")
    result = invoke("--config", str(first), "prices", "--config", str(second))
    assert result.exit_code == 0, result.output
    assert "second-file" in result.output and "first-file" not in result.output


@pytest.mark.parametrize("args", [
    ("report", "monthly", "--config", "{cfg}"),
    ("--config", "{cfg}", "report", "monthly"),
    ("export", "panel", "--out", "x.csv", "--config", "{cfg}"),
    ("import", "deployments", "d.csv", "--config", "{cfg}"),
])
def test_a_config_named_in_either_position_is_the_one_reported_missing(tmp_path: Path,
                                                                        args: tuple[str, ...]) -> None:
    missing = tmp_path / "nowhere" / "x.toml"
    result = run_cli(*(str(missing) if a == "{cfg}" else a for a in args))
    assert result.returncode == 2, result.stderr
    assert "No such option" not in result.stderr
    assert "ConfigError" in result.stderr and "x.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_that_reads_a_config_takes_config_after_its_name() -> None:
    no_config = {("demo",), ("analyze",)}  # the demo writes its own; analyze reads only the panel file
    for path, command in commands():
        if path and path not in no_config and not hasattr(command, "commands"):
            assert "--config" in {o for p in command.params for o in p.opts}, path


# --- --version, help text, placeholders --------------------------------------------------------------------


def test_version_prints_the_project_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert result.stdout.split()[:2] == ["correlate", version]


def test_every_command_option_and_argument_has_help() -> None:
    for path, command in commands():
        assert (command.help or "").strip(), f"correlate {' '.join(path)} has no help"
        for param in command.params:
            if param.name != "help":
                assert (getattr(param, "help", None) or "").strip(), f"correlate {' '.join(path)}: {param.name}"


@pytest.mark.parametrize("path", [path for path, _ in commands()], ids=lambda p: " ".join(p) or "correlate")
def test_help_placeholders_are_upper_case_never_braces(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    usage = next(line for line in result.output.splitlines() if line.startswith("Usage:"))
    assert "{" not in usage and "<" not in usage, usage
    placeholders = usage.split(" ".join(("correlate", *path)), 1)[1].split()
    for word in placeholders:
        assert re.fullmatch(r"\[?[A-Z][A-Z0-9_.-]*\]?(\.\.\.)?", word), f"{word!r} in {usage!r}"
    listing = result.output.split("Usage:", 1)[1]
    assert not re.search(r"[<{][a-z]", listing), listing  # typer's `<path>` / `{panel}` style


def test_start_up_does_not_load_the_report_or_statistics_stack() -> None:
    probe = ("import sys, correlate.cli; heavy = ('matplotlib', 'jinja2', 'scipy', 'statsmodels', "
             "'correlate.report.monthly', 'correlate.demo'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- sync --source -----------------------------------------------------------------------------------------


def test_sync_help_lists_every_source_name() -> None:
    result = invoke("sync", "--help")
    text = " ".join(result.output.split())
    for name in SOURCES:
        assert name in text


def test_an_unknown_sync_source_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    result = run_cli("sync", "--source", "github,jira", "--config", str(tmp_path / "unused.toml"))
    assert result.returncode == 2
    assert "'jira'" in result.stderr
    for name in SOURCES:
        assert name in result.stderr


# --- demo --------------------------------------------------------------------------------------------------


def test_demo_takes_an_as_of_date_and_states_every_default() -> None:
    result = invoke("demo", "--help")
    assert "--as-of YYYY-MM-DD" in result.output
    demo = typer.main.get_command(app).commands["demo"]  # type: ignore[attr-defined]
    for param in demo.params:
        if param.name != "help":
            assert param.default is None, param.name  # None: the demo's own default, stated in the help
            assert "default" in param.help, param.name


def test_the_demo_defaults_its_help_states_are_the_ones_it_uses() -> None:
    from correlate.demo import DEMO_DEFAULTS

    demo = typer.main.get_command(app).commands["demo"]  # type: ignore[attr-defined]
    stated = {p.name: re.search(r"\(default ([^)]*)\)", p.help).group(1) for p in demo.params  # type: ignore[union-attr]
              if p.name in ("teams", "devs", "days", "seed", "effect", "incident_effect", "confound_trend")}
    assert stated == {"teams": str(DEMO_DEFAULTS.teams), "devs": str(DEMO_DEFAULTS.devs),
                      "days": str(DEMO_DEFAULTS.days), "seed": str(DEMO_DEFAULTS.seed),
                      "effect": str(DEMO_DEFAULTS.effect), "incident_effect": str(DEMO_DEFAULTS.incident_effect),
                      "confound_trend": "0: none"}
    assert DEMO_DEFAULTS.confound_trend == 0


def test_demo_refuses_an_as_of_that_is_not_a_date() -> None:
    result = invoke("demo", "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


# --- report format ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "out", "expected"), [
    (None, None, "html"),
    (None, "r.pdf", "pdf"),
    (None, "R.PDF", "pdf"),
    (None, "r.html", "html"),
    ("pdf", None, "pdf"),
    ("pdf", "r.pdf", "pdf"),
    ("html", "r.htm", "html"),
])
def test_the_report_format_follows_the_extension_unless_given(fmt: str | None, out: str | None,
                                                                expected: str) -> None:
    assert report_format(fmt, Path(out) if out else None) == expected


def test_a_format_that_contradicts_the_file_name_names_both() -> None:
    with pytest.raises(UsageError) as err:
        report_format("pdf", Path("x.html"))
    assert "--format pdf" in str(err.value) and "x.html" in str(err.value)
    with pytest.raises(UsageError, match="html or pdf"):
        report_format("docx", None)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report tests' small organisation (data to 2026-10-31), stored and closed, with its config file."""
    from tests.reportdata import build

    folder = tmp_path_factory.mktemp("cli-reports")
    config, store_path = build(folder)
    teams = [{"name": t.name, "members": list(t.members)} for t in config.root.teams]
    path = folder / "correlate.toml"
    path.write_text(dump_toml({"store": {"path": str(store_path)}, "teams": teams,
                               "analysis": {"bootstrap_reps": 199}}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chromium() -> None:
    import os
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        reason = "headless Chromium is not installed (apt-get install chromium): PDF tests NOT RUN"
        if os.environ.get("CI"):
            pytest.fail(reason + " — and CI is set, so this is a failure")
        pytest.skip(reason)


@pytest.mark.browser
@pytest.mark.parametrize("command", [("report", "monthly", "--month", "2026-10"),
                                     ("report", "compare", "--teams", "{two}")])
def test_an_out_file_ending_in_pdf_is_a_pdf(small_store: Path, chromium: None, tmp_path: Path,
                                            command: tuple[str, ...]) -> None:
    config = tomllib.loads(small_store.read_text())
    two = ",".join(t["name"] for t in config["teams"][:2])
    out = tmp_path / "report.pdf"
    result = invoke(*(two if a == "{two}" else a for a in command), "--out", str(out), "--config", str(small_store),
                    env={"CORRELATE_TODAY": "2026-11-15"})
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("command", [("report", "monthly"), ("report", "compare", "--teams", "a,b")])
def test_format_pdf_with_an_html_file_name_is_refused_before_any_work(tmp_path: Path,
                                                                      command: tuple[str, ...]) -> None:
    out = tmp_path / "x.html"
    result = run_cli(*command, "--format", "pdf", "--out", str(out), "--config", str(tmp_path / "unread.toml"))
    assert result.returncode == 2, result.stderr
    assert "--format pdf" in result.stderr and "x.html" in result.stderr
    assert not out.exists()


# --- the clock -----------------------------------------------------------------------------------------------


def test_the_default_month_is_the_last_complete_month_of_the_clock(small_store: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("report", "monthly", "--config", str(small_store), env={"CORRELATE_TODAY": "2026-10-02"})
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["correlate-report-2026-09.html"]


def test_an_empty_store_defaults_to_the_90_days_before_the_clock(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    monkeypatch.setenv("CORRELATE_TODAY", "2025-03-31")
    with Store.open(tmp_path / "s.duckdb") as store:
        assert data_window(store, None, None) == (date(2024, 12, 31), date(2025, 3, 31))
        assert data_window(store, date(2025, 1, 5), None) == (date(2025, 1, 5), date(2025, 3, 31))


# --- export windows -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["panel", "spend", "identities", "deployments"])
def test_an_export_window_that_ends_before_it_starts_is_refused(small_store: Path, tmp_path: Path,
                                                                export: str) -> None:
    out = tmp_path / f"{export}.csv"
    result = invoke("export", export, "--config", str(small_store), "--out", str(out),
                    "--since", "2026-10-20", "--until", "2026-10-01")
    assert result.exit_code == 2, result.output
    assert "--until (2026-10-01) is before --since (2026-10-20)" in result.output
    assert not out.exists()


@pytest.mark.parametrize("export", ["panel", "spend", "identities"])
def test_an_export_without_a_window_covers_the_stores_data(small_store: Path, tmp_path: Path, export: str) -> None:
    out = tmp_path / f"{export}.csv"
    result = invoke("export", export, "--config", str(small_store), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists()
    if export != "panel":  # the panel's summary counts rows; the others name the window they covered
        assert "2026-10-31" in result.output, result.output


@pytest.mark.parametrize(("flag", "day", "says"), [
    ("--since", "2030-01-01", "--since 2030-01-01 is after the store's last day (2026-10-31)"),
    ("--until", "2020-01-01", "--until 2020-01-01 is before the store's first day")])
def test_one_bound_beyond_the_data_names_the_bound_given(small_store: Path, tmp_path: Path, flag: str, day: str,
                                                         says: str) -> None:
    result = invoke("export", "spend", "--config", str(small_store), "--out", str(tmp_path / "s.csv"), flag, day)
    assert result.exit_code == 2 and says in result.output, result.output
    assert ("--until (" in result.output) is False  # no flag the user did not pass


def test_prices_with_a_named_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    # the shipped table would be printed as if the named file's [prices] override were in force
    result = invoke("--config", str(tmp_path / "missing.toml"), "prices")
    assert result.exit_code == 2 and "missing.toml" in result.output, result.output


def test_prices_without_any_config_prints_the_shipped_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no correlate.toml here
    result = invoke("prices")
    assert result.exit_code == 0 and "claude" in result.output.lower(), result.output


def test_a_report_into_a_folder_that_cannot_be_made_says_so(small_store: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for args in (("report", "monthly", "--month", "2026-10"), ("export", "panel")):
        result = invoke(*args, "--config", str(small_store), "--out", str(blocker / "out.html"))
        assert result.exit_code == 2, result.output
        assert f"cannot write {blocker / 'out.html'}" in result.output and "Traceback" not in result.output
