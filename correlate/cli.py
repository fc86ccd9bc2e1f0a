"""The ``correlate`` command line: parse, call, and turn errors into a message and an exit code.

Exit codes: 0 ok; 1 a data or analysis problem; 2 a usage, config or auth problem. Every
``CorrelateError`` and ``ConnectorError`` is caught here and nowhere else. Command bodies live in
the modules they name; this file holds no business logic.
"""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from connectors.errors import ConnectorError
from correlate.config import DEFAULT_CONFIG_PATH
from correlate.console import err_console
from correlate.errors import CorrelateError, NotAvailableError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Relate AI coding-assistant adoption and spend to delivery outcomes, team by team.")
export_app = typer.Typer(no_args_is_help=True, help="Write tables as CSV for audit or your own analysis.")
report_app = typer.Typer(no_args_is_help=True, help="Write self-contained HTML (or PDF) reports.")
import_app = typer.Typer(no_args_is_help=True, help="Load files: deployments, incidents, OTLP, transcripts.")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")

ConfigOpt = Annotated[Path, typer.Option("--config", help="Path to correlate.toml.")]
Since = Annotated[str | None, typer.Option("--since", help="First day, YYYY-MM-DD.")]
Until = Annotated[str | None, typer.Option("--until", help="Last day (inclusive), YYYY-MM-DD.")]
Fmt = Annotated[str, typer.Option("--format", help="html or pdf.")]


def _call(target: str, **kwargs: Any) -> None:
    """Import ``module:function`` lazily (keeps start-up fast), call it, and map errors to exit codes.

    This is the one place where correlate's and the connectors' errors are caught.
    """
    module_name, func = target.split(":")
    try:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            raise NotAvailableError("this command is not built in this release yet.") from None
        getattr(module, func)(**kwargs)
    except (CorrelateError, ConnectorError) as exc:
        err_console.print(f"[bold red]{type(exc).__name__}[/]: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted. Everything already written is stored; re-run to continue.")
        raise typer.Exit(130) from None


def _cfg(ctx: typer.Context) -> Path:
    return Path(ctx.obj["config"])


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=flag) from None


@app.callback()
def _root(ctx: typer.Context, config: ConfigOpt = DEFAULT_CONFIG_PATH) -> None:
    ctx.obj = {"config": config}


@app.command()
def demo(
    dir: Annotated[Path, typer.Option("--dir", help="Folder for the store, config and report.")] = Path(
        "correlate-demo"),
    out: Annotated[Path | None, typer.Option("--out", help="Report path (default: DIR/report-YYYY-MM.html).")] = None,
    teams: Annotated[int, typer.Option(min=2, help="Number of teams.")] = 8,
    devs: Annotated[int, typer.Option(min=2, help="Number of developers.")] = 120,
    days: Annotated[int, typer.Option(min=28, help="Days of history, ending yesterday.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same organisation).")] = 7,
    effect: Annotated[float, typer.Option(help="Planted change in PR cycle time after adoption (-0.2 = 20% faster).")
                      ] = -0.2,
    incident_effect: Annotated[float, typer.Option(help="Planted change in incident rate after adoption.")] = 0.3,
) -> None:
    """Build a synthetic organisation, store it, and write its monthly report. No credentials needed."""
    _call("correlate.demo:run_demo", dir=dir, out=out, teams=teams, devs=devs, days=days, seed=seed, effect=effect,
          incident_effect=incident_effect)


@app.command()
def sync(
    ctx: typer.Context,
    source: Annotated[list[str] | None, typer.Option("--source", help="Source to sync (repeatable); default all.")
                      ] = None,
    since: Since = None,
) -> None:
    """Fetch new data from the configured sources into the store."""
    _call("correlate.commands:sync", config_path=_cfg(ctx), sources=source or [], since=_day(since, "--since"))


@app.command()
def derive(ctx: typer.Context) -> None:
    """Recompute what is derived from stored facts (PR metrics, AI attribution, DORA links); sync and import run it."""
    _call("correlate.derive:run", config_path=_cfg(ctx))


@export_app.command("panel")
def export_panel(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    since: Since = None,
    until: Until = None,
    grain: Annotated[str, typer.Option("--grain", help="day, week or month.")] = "day",
) -> None:
    """The team x day table (or its weekly/monthly aggregation) as CSV."""
    _call("correlate.commands:export_panel", config_path=_cfg(ctx), out=out, since=_day(since, "--since"),
          until=_day(until, "--until"), grain=grain)


@export_app.command("deployments")
def export_deployments(ctx: typer.Context, out: Annotated[Path, typer.Option("--out")],
                       since: Since = None, until: Until = None) -> None:
    """One row per deployment with its changes' lead times and linked failures (the DORA audit trail)."""
    _call("correlate.dora.export:export_deployments", config_path=_cfg(ctx), out=out,
          since=_day(since, "--since"), until=_day(until, "--until"))


@export_app.command("spend")
def export_spend(ctx: typer.Context, out: Annotated[Path, typer.Option("--out")],
                 since: Since = None, until: Until = None) -> None:
    """AI spend per team x day x class x model (productive, inefficient, wasteful, pending, unattributed)."""
    _call("correlate.spend.export:export_spend", config_path=_cfg(ctx), out=out,
          since=_day(since, "--since"), until=_day(until, "--until"))


@export_app.command("identities")
def export_identities(ctx: typer.Context, out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
                      since: Since = None, until: Until = None) -> None:
    """Identities that matched no team (for the admin fixing the mapping; reports only count them)."""
    _call("correlate.identities:export_identities", config_path=_cfg(ctx), out=out,
          since=_day(since, "--since"), until=_day(until, "--until"))


@report_app.command("monthly")
def report_monthly(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM; default the last complete month.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
    format: Fmt = "html",
) -> None:
    """The monthly report for every team."""
    _call("correlate.commands:report_monthly", config_path=_cfg(ctx), month=month, out=out, fmt=format)


@report_app.command("compare")
def report_compare(
    ctx: typer.Context,
    teams: Annotated[str, typer.Option("--teams", help="Comma-separated team names, e.g. A,B.")],
    since: Since = None,
    until: Until = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
    format: Fmt = "html",
) -> None:
    """The same indicators side by side for chosen teams, with differences and intervals."""
    _call("correlate.commands:report_compare", config_path=_cfg(ctx), teams=teams, since=_day(since, "--since"),
          until=_day(until, "--until"), out=out, fmt=format)


@app.command()
def analyze(
    panel: Annotated[Path, typer.Argument(help="A panel CSV (your own or `correlate export panel`).")],
    unit: Annotated[str, typer.Option("--unit")],
    time: Annotated[str, typer.Option("--time")],
    outcome: Annotated[str, typer.Option("--outcome")],
    adoption: Annotated[str | None, typer.Option("--adoption")] = None,
    cohort: Annotated[str | None, typer.Option("--cohort", help="First treated period; 0 or empty = never.")] = None,
    control: Annotated[str, typer.Option("--control", help="never or not_yet.")] = "not_yet",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run the statistics engine on any panel: association, TWFE, staggered DiD, power."""
    _call("correlate.stats.command:analyze", panel=panel, unit=unit, time=time, outcome=outcome, adoption=adoption,
          cohort=cohort, control=control, json_out=json_out)


@app.command("serve-otlp")
def serve_otlp(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="OTLP/HTTP port.")] = 4318,
    grpc_port: Annotated[int, typer.Option("--grpc-port", help="OTLP/gRPC port.")] = 4317,
    no_grpc: Annotated[bool, typer.Option("--no-grpc", help="Serve OTLP/HTTP only.")] = False,
) -> None:
    """Receive Claude Code OpenTelemetry (OTLP/HTTP and OTLP/gRPC) into a durable spool."""
    _call("correlate.otlp.server:serve", config_path=_cfg(ctx), host=host, port=port,
          grpc_port=None if no_grpc else grpc_port)


@import_app.command("deployments")
def import_deployments(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Import deployments from CSV (all-or-nothing; re-importing changes nothing)."""
    _call("correlate.ingest.csv_import:import_deployments", config_path=_cfg(ctx), path=file)


@import_app.command("incidents")
def import_incidents(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
    """Import incidents from CSV (all-or-nothing; re-importing changes nothing)."""
    _call("correlate.ingest.csv_import:import_incidents", config_path=_cfg(ctx), path=file)


@import_app.command("otlp")
def import_otlp(ctx: typer.Context, files: Annotated[list[Path], typer.Argument()]) -> None:
    """Import OpenTelemetry Collector file-exporter output (JSON lines or length-prefixed protobuf)."""
    _call("correlate.ingest.otel:import_files", config_path=_cfg(ctx), paths=files)


@import_app.command("transcripts")
def import_transcripts(
    ctx: typer.Context,
    dir: Annotated[Path, typer.Argument(help="e.g. ~/.claude/projects")],
    actor: Annotated[str, typer.Option("--actor", help="The developer's identity (email or login).")],
) -> None:
    """Import local Claude Code session transcripts for one developer."""
    _call("correlate.ingest.transcripts:import_dir", config_path=_cfg(ctx), path=dir, actor=actor)


@app.command()
def prices(ctx: typer.Context) -> None:
    """List the model price table in use and its effective dates."""
    _call("correlate.prices:show", config_path=_cfg(ctx))


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Say which ingestion path fits your setup, and check each configured one with one cheap request."""
    _call("correlate.doctor:run", config_path=_cfg(ctx))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; exits with the command's exit code."""
    app(args=argv, prog_name="correlate")
