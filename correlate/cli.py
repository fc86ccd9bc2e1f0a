"""The ``correlate`` command line: parse, call, and turn errors into a message and an exit code.

Exit codes: 0 ok; 1 a data or analysis problem; 2 a usage, config or auth problem. Every
``CorrelateError`` and ``ConnectorError`` is caught here, in :func:`_errors`, and nowhere else. Command
bodies live in the modules they name and are imported inside each command, so ``correlate --help`` does not
load the report or statistics stacks; this file holds no business logic.

``--config PATH`` is accepted before the command (``correlate --config x.toml report monthly``) and after it
(``correlate report monthly --config x.toml``); when both are given, the later one wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand

from connectors.errors import ConnectorError
from correlate.config import DEFAULT_CONFIG_PATH
from correlate.console import err_console
from correlate.errors import CorrelateError
from correlate.sync import SOURCES  # a dict of module names: importing it loads no connector

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Relate AI coding-assistant adoption and spend to delivery outcomes, team by team.")
export_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Write tables as CSV for audit or your own analysis.")
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Write self-contained HTML (or PDF) reports.")
import_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Load files: deployments, incidents, OTLP, transcripts.")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")


class _Command(TyperCommand):
    """A command whose usage line and argument list read like click's: ``correlate analyze [OPTIONS] PANEL``.

    Typer prints a required argument as ``{panel}`` and adds its type (``PANEL <path>``); people copy usage
    lines, so arguments show their upper-case metavar only (``[X]`` when optional, ``X...`` when repeatable).
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_label(param, usage=True))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        params = [p for p in self.get_params(ctx) if not p.hidden]  # type: ignore[attr-defined]
        arguments = [(_argument_label(p, usage=False), p.help or "")  # type: ignore[attr-defined]
                     for p in params if p.param_type_name == "argument"]
        options = [record for p in params if p.param_type_name == "option"
                   and (record := p.get_help_record(ctx)) is not None]
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _argument_label(param: Any, *, usage: bool) -> str:
    label = str(param.metavar or param.name.upper())
    if param.nargs != 1:
        label += "..."
    return f"[{label}]" if usage and not param.required else label


ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="PATH",
    help=f"The correlate.toml to read (default ./{DEFAULT_CONFIG_PATH}); also accepted before the command.")]
Since = Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="First day.")]
Until = Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Last day (inclusive).")]
Out = Annotated[Path, typer.Option("--out", metavar="FILE", help="CSV file to write.")]
Fmt = Annotated[str | None, typer.Option(
    "--format", metavar="FORMAT", help="html or pdf (default: pdf when --out ends in .pdf, else html).")]


@contextmanager
def _errors() -> Iterator[None]:
    """The one place correlate's and the connectors' errors become a message and an exit code."""
    try:
        yield
    except (CorrelateError, ConnectorError) as exc:
        err_console.print(f"[bold red]{type(exc).__name__}[/]: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted. Everything already written is stored; re-run to continue.")
        raise typer.Exit(130) from None


def _config(ctx: typer.Context, given: Path | None) -> Path:
    """The command's own ``--config``, else the one given before the command, else ./correlate.toml."""
    if given is not None:
        return given
    before: Path | None = ctx.find_root().params.get("config")
    return before if before is not None else DEFAULT_CONFIG_PATH


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=flag) from None


def _sources(values: list[str] | None) -> list[str]:
    """``--source a --source b,c`` as names, every one a source ``sync`` knows."""
    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    for name in names:
        if name not in SOURCES:
            raise typer.BadParameter(f"unknown source {name!r}; choose from {', '.join(SOURCES)}",
                                     param_hint="--source")
    return names


def _version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"correlate {version('correlate')}")
    except PackageNotFoundError:  # run from a checkout that was never installed
        from correlate import __version__

        typer.echo(f"correlate {__version__} (not installed)")
    raise typer.Exit()


@app.callback()
def _root(
    config: ConfigOpt = None,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Relate AI coding-assistant adoption and spend to delivery outcomes, team by team."""


@app.command(cls=_Command)
def demo(
    dir: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", help="Folder for the store, config and report (default ./correlate-demo).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Report path; a .pdf name writes a PDF (default DIR/report-YYYY-MM.html).")
                                  ] = None,
    teams: Annotated[int | None, typer.Option(metavar="N", min=2, help="Number of teams (default 24).")] = None,
    devs: Annotated[int | None, typer.Option(metavar="N", min=2, help="Number of developers (default 720).")
                    ] = None,
    days: Annotated[int | None, typer.Option(
        metavar="N", min=28, help="Days of history, ending the day before --as-of (default 365).")] = None,
    seed: Annotated[int | None, typer.Option(
        metavar="N", help="Random seed: the same seed and --as-of give the same organisation (default 7).")] = None,
    effect: Annotated[float | None, typer.Option(
        metavar="X", help="Planted change in PR cycle time after adoption; -0.3 = 30% faster (default -0.3).")
                      ] = None,
    incident_effect: Annotated[float | None, typer.Option(
        metavar="X", help="Planted change in the incident rate after adoption (default 0.3).")] = None,
    confound_trend: Annotated[float | None, typer.Option(
        "--confound-trend", metavar="X",
        help="A trend of the adopting teams' own, unrelated to adoption, in SD of log PR duration per week; "
             "-0.02 = they were already getting faster (default 0: none).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD", help="The demo's today: its history ends the day before (default today).")
                     ] = None,
) -> None:
    """Build a synthetic organisation, store it, and write its monthly report. No credentials needed."""
    day = _day(as_of, "--as-of")
    with _errors():
        from correlate.demo import run_demo

        run_demo(dir=dir, out=out, teams=teams, devs=devs, days=days, seed=seed, effect=effect,
                 incident_effect=incident_effect, as_of=day, confound_trend=confound_trend)


@app.command(cls=_Command)
def sync(
    ctx: typer.Context,
    source: Annotated[list[str] | None, typer.Option(
        "--source", metavar="NAME",
        help=f"Source to sync (repeatable, or comma-separated): {', '.join(SOURCES)}; default every configured one.")
                      ] = None,
    since: Since = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch new data from the configured sources into the store."""
    names, day = _sources(source), _day(since, "--since")
    with _errors():
        from correlate.commands import sync as run

        run(config_path=_config(ctx, config), sources=names, since=day)


@app.command(cls=_Command)
def derive(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """Recompute what is derived from stored facts (PR metrics, AI attribution, DORA links); sync and import run it."""
    with _errors():
        from correlate.derive import run

        run(config_path=_config(ctx, config))


@export_app.command("panel", cls=_Command)
def export_panel(
    ctx: typer.Context,
    out: Out,
    since: Since = None,
    until: Until = None,
    grain: Annotated[str, typer.Option("--grain", metavar="GRAIN", help="day, week or month.")] = "day",
    config: ConfigOpt = None,
) -> None:
    """The team x day table (or its weekly/monthly aggregation) as CSV."""
    lo, hi = _day(since, "--since"), _day(until, "--until")
    with _errors():
        from correlate.commands import export_panel as run

        run(config_path=_config(ctx, config), out=out, since=lo, until=hi, grain=grain)


@export_app.command("deployments", cls=_Command)
def export_deployments(ctx: typer.Context, out: Out, since: Since = None, until: Until = None,
                       config: ConfigOpt = None) -> None:
    """One row per deployment with its changes' lead times and linked failures (the DORA audit trail)."""
    lo, hi = _day(since, "--since"), _day(until, "--until")
    with _errors():
        from correlate.dora.export import export_deployments as run

        run(config_path=_config(ctx, config), out=out, since=lo, until=hi)


@export_app.command("spend", cls=_Command)
def export_spend(ctx: typer.Context, out: Out, since: Since = None, until: Until = None,
                 config: ConfigOpt = None) -> None:
    """AI spend per team x day x class x model (productive, inefficient, wasteful, pending, unattributed)."""
    lo, hi = _day(since, "--since"), _day(until, "--until")
    with _errors():
        from correlate.spend.export import export_spend as run

        run(config_path=_config(ctx, config), out=out, since=lo, until=hi)


@export_app.command("identities", cls=_Command)
def export_identities(ctx: typer.Context, out: Out, since: Since = None, until: Until = None,
                      config: ConfigOpt = None) -> None:
    """Identities that matched no team (for the admin fixing the mapping; reports only count them)."""
    lo, hi = _day(since, "--since"), _day(until, "--until")
    with _errors():
        from correlate.identities import export_identities as run

        run(config_path=_config(ctx, config), out=out, since=lo, until=hi)


@report_app.command("monthly", cls=_Command)
def report_monthly(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option(
        "--month", metavar="YYYY-MM", help="The month to report (default the last complete month).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Report file; *.pdf writes a PDF (default ./correlate-report-YYYY-MM.html).")
                   ] = None,
    format: Fmt = None,
    config: ConfigOpt = None,
) -> None:
    """The monthly report for every team."""
    with _errors():
        from correlate.commands import report_monthly as run

        run(config_path=_config(ctx, config), month=month, out=out, fmt=format)


@report_app.command("compare", cls=_Command)
def report_compare(
    ctx: typer.Context,
    teams: Annotated[str, typer.Option("--teams", metavar="TEAMS", help="Comma-separated team names, e.g. A,B.")],
    since: Since = None,
    until: Until = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Report file; *.pdf writes a PDF (default ./correlate-compare.html).")] = None,
    format: Fmt = None,
    config: ConfigOpt = None,
) -> None:
    """The same indicators side by side for chosen teams, with differences and intervals."""
    lo, hi = _day(since, "--since"), _day(until, "--until")
    with _errors():
        from correlate.commands import report_compare as run

        run(config_path=_config(ctx, config), teams=teams, since=lo, until=hi, out=out, fmt=format)


@app.command(cls=_Command)
def analyze(
    panel: Annotated[Path, typer.Argument(metavar="PANEL",
                                          help="A panel CSV (your own or `correlate export panel`).")],
    unit: Annotated[str, typer.Option("--unit", metavar="COLUMN", help="The column naming the unit (team).")],
    time: Annotated[str, typer.Option("--time", metavar="COLUMN", help="The column naming the period.")],
    outcome: Annotated[str, typer.Option("--outcome", metavar="COLUMN", help="The outcome column.")],
    adoption: Annotated[str | None, typer.Option(
        "--adoption", metavar="COLUMN", help="The adoption (treatment) column, 0/1 or a share.")] = None,
    cohort: Annotated[str | None, typer.Option(
        "--cohort", metavar="COLUMN", help="The column with the first treated period; 0 or empty = never.")] = None,
    control: Annotated[str, typer.Option(
        "--control", metavar="GROUP", help="Comparison group for staggered DiD: never or not_yet.")] = "not_yet",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run the statistics engine on any panel: association, TWFE, staggered DiD, power."""
    with _errors():
        from correlate.stats.command import analyze as run

        run(panel=panel, unit=unit, time=time, outcome=outcome, adoption=adoption, cohort=cohort, control=control,
            json_out=json_out)


@app.command("serve-otlp", cls=_Command)
def serve_otlp(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="OTLP/HTTP port.")] = 4318,
    grpc_port: Annotated[int, typer.Option("--grpc-port", metavar="PORT", help="OTLP/gRPC port.")] = 4317,
    no_grpc: Annotated[bool, typer.Option("--no-grpc", help="Serve OTLP/HTTP only.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Receive Claude Code OpenTelemetry (OTLP/HTTP and OTLP/gRPC) into a durable spool."""
    with _errors():
        from correlate.otlp.server import serve

        serve(config_path=_config(ctx, config), host=host, port=port, grpc_port=None if no_grpc else grpc_port)


CsvFile = Annotated[Path, typer.Argument(metavar="FILE", help="The CSV file (columns: docs/csv-import.md).")]


@import_app.command("deployments", cls=_Command)
def import_deployments(ctx: typer.Context, file: CsvFile, config: ConfigOpt = None) -> None:
    """Import deployments from CSV (all-or-nothing; re-importing changes nothing)."""
    with _errors():
        from correlate.ingest.csv_import import import_deployments as run

        run(config_path=_config(ctx, config), path=file)


@import_app.command("incidents", cls=_Command)
def import_incidents(ctx: typer.Context, file: CsvFile, config: ConfigOpt = None) -> None:
    """Import incidents from CSV (all-or-nothing; re-importing changes nothing)."""
    with _errors():
        from correlate.ingest.csv_import import import_incidents as run

        run(config_path=_config(ctx, config), path=file)


@import_app.command("otlp", cls=_Command)
def import_otlp(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE", help="Collector file-exporter output: JSON lines or length-prefixed protobuf.")],
    config: ConfigOpt = None,
) -> None:
    """Import OpenTelemetry Collector file-exporter output (JSON lines or length-prefixed protobuf)."""
    with _errors():
        from correlate.ingest.otel import import_files

        import_files(config_path=_config(ctx, config), paths=files)


@import_app.command("transcripts", cls=_Command)
def import_transcripts(
    ctx: typer.Context,
    dir: Annotated[Path, typer.Argument(metavar="DIR", help="The transcripts folder, e.g. ~/.claude/projects.")],
    actor: Annotated[str, typer.Option("--actor", metavar="ID", help="The developer's identity (email or login).")],
    config: ConfigOpt = None,
) -> None:
    """Import local Claude Code session transcripts for one developer."""
    with _errors():
        from correlate.ingest.transcripts import import_dir

        import_dir(config_path=_config(ctx, config), path=dir, actor=actor)


@app.command(cls=_Command)
def prices(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """List the model price table in use and its effective dates."""
    with _errors():
        from correlate.prices import show

        show(config_path=_config(ctx, config))


@app.command(cls=_Command)
def doctor(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """Say which ingestion path fits your setup, and check each configured one with one cheap request."""
    with _errors():
        from correlate.doctor import run

        run(config_path=_config(ctx, config))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; exits with the command's exit code."""
    app(args=argv, prog_name="correlate")
