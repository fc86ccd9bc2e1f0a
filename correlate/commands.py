"""Bodies of the store-backed commands (the CLI only parses and calls these)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from correlate import clock
from correlate.config import Config, load_config
from correlate.console import console, install_countdown, progress
from correlate.csv_writer import write_csv
from correlate.days import last_complete_month
from correlate.errors import UsageError
from correlate.export_window import data_span_or_recent, data_window
from correlate.outfile import writing
from correlate.panel import build_panel
from correlate.plausible import PlausibleWindow
from correlate.store import Store
from correlate.sync import SyncContext, configured_sources, run_sync

if TYPE_CHECKING:
    from correlate.report.sections import StatsSection

__all__ = ["export_panel", "report_compare", "report_format", "report_monthly", "sync", "write_compare",
           "write_monthly"]


def sync(config_path: Path, sources: list[str], since: date | None) -> None:
    """``correlate sync``: every configured source, or the ones named."""
    config = load_config(config_path)
    names = [s for item in sources for s in item.split(",") if s] or configured_sources(config)
    if not names:
        raise UsageError("no source is configured: add a [sources.<name>] section (see examples/correlate.toml).")
    with Store.open(config.store_path, window=PlausibleWindow.of(config)) as store, install_countdown(), \
            progress() as bar:
        summaries = run_sync(SyncContext(config, store, bar), names, since)
    for s in summaries:
        console.print(f"[green]✓[/] {s.describe()}", soft_wrap=True)
    console.print(f"Store: {config.store_path}")


def export_panel(config_path: Path, out: Path, since: date | None, until: date | None, grain: str) -> None:
    """``correlate export panel``: the team × day table (or weekly/monthly) as CSV."""
    config = load_config(config_path)
    with Store.open(config.store_path, read_only=True) as store:  # an export only reads
        first, last = data_window(store, since, until)
        frame = build_panel(store, config, first, last, grain)  # type: ignore[arg-type]
    write_csv(frame, out)
    console.print(f"Wrote {len(frame):,} rows ({frame['team'].nunique()} teams × {grain}) to {out}")


def _write(html: str, out: Path, fmt: str) -> Path:
    """Write a rendered report as HTML, or print it to PDF through headless Chromium."""
    if fmt not in ("html", "pdf"):
        raise UsageError(f"--format must be html or pdf, not {fmt!r}")
    if fmt == "pdf":
        from correlate.html.pdf import html_to_pdf

        with writing(out, by_another_program=True):
            return html_to_pdf(html, out)
    with writing(out):
        out.write_text(html, encoding="utf-8")
    return out


def write_monthly(store: Store, config: Config, month: str, out: Path, fmt: str = "html",
                  org_name: str = "Your organisation", stats: StatsSection | None = None) -> Path:
    """Render the monthly report for ``month`` into ``out`` (HTML or PDF); returns the path written."""
    if fmt not in ("html", "pdf"):
        raise UsageError(f"--format must be html or pdf, not {fmt!r}")
    # the report stack (matplotlib, jinja2) loads only for commands that write reports
    from correlate.html.render import render
    from correlate.report.monthly import build_monthly

    report = build_monthly(store, config, month, org_name=org_name, stats=stats)
    return _write(render("monthly.html.j2", r=report), out, fmt)


def write_compare(store: Store, config: Config, teams: str, since: date | None, until: date | None, out: Path,
                  fmt: str = "html", org_name: str = "Your organisation") -> Path:
    """Render the team comparison for ``teams`` ("A,B[,C]") into ``out``; returns the path written."""
    if fmt not in ("html", "pdf"):
        raise UsageError(f"--format must be html or pdf, not {fmt!r}")
    from correlate.html.render import render
    from correlate.report.team_comparison import build_comparison, default_window, parse_teams

    names = parse_teams(teams, config.team_names)
    if since is None or until is None:
        _, hi = data_span_or_recent(store)
        lo, hi = default_window(until or hi)
        since, until = since or lo, until or hi
    if until < since:
        raise UsageError(f"--until ({until}) is before --since ({since})")
    report = build_comparison(store, config, names, since, until, org_name=org_name)
    return _write(render("compare.html.j2", r=report), out, fmt)


def _month_arg(month: str | None) -> str:
    if month is None:
        first, _ = last_complete_month(clock.today())
        return first.strftime("%Y-%m")
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise UsageError(f"--month must look like 2026-10, not {month!r}") from None
    return month


def report_format(fmt: str | None, out: Path | None) -> str:
    """``--format`` as given, else what ``--out``'s extension says: ``pdf`` for ``.pdf``, otherwise ``html``.

    Raises:
        UsageError: an unknown format, or one that contradicts the extension of ``--out``.
    """
    suffix = out.suffix.lower() if out is not None else ""
    implied = {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(suffix)
    if fmt is None:
        return implied or "html"
    if fmt not in ("html", "pdf"):
        raise UsageError(f"--format must be html or pdf, not {fmt!r}")
    if implied is not None and implied != fmt:
        raise UsageError(f"--format {fmt} contradicts --out {out} (a {implied} file name); "
                         f"drop --format or name the file *.{fmt}")
    return fmt


def report_monthly(config_path: Path, month: str | None, out: Path | None, fmt: str | None) -> None:
    """``correlate report monthly``."""
    fmt = report_format(fmt, out)
    config = load_config(config_path)
    m = _month_arg(month)
    target = out or Path(f"correlate-report-{m}.{fmt}")
    with Store.open(config.store_path, read_only=True) as store:
        path = write_monthly(store, config, m, target, fmt)
    console.print(f"Wrote the monthly report for {m} to {path}")


def report_compare(config_path: Path, teams: str, since: date | None, until: date | None, out: Path | None,
                   fmt: str | None) -> None:
    """``correlate report compare``: the chosen teams side by side with differences and intervals."""
    fmt = report_format(fmt, out)
    config = load_config(config_path)
    target = out or Path(f"correlate-compare.{fmt}")
    with Store.open(config.store_path, read_only=True) as store:
        path = write_compare(store, config, teams, since, until, target, fmt)
    console.print(f"Wrote the team comparison to {path}")
