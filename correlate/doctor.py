"""``correlate doctor``: which Claude Code ingestion path fits this setup, and do the configured ones work?

Prints two tables: the paths (who each is for and what it needs) and one line per configured
source. The Claude APIs are checked with one cheap request each; other sources are listed as
configured. A key's value is never printed: only the variable it lives in and, when it helps, the
documented key prefix it does or does not carry.

When the store exists it is read (never written) for one more check: API-key logins that the Analytics
API and OpenTelemetry name differently (:mod:`correlate.overlap`), each printed with a ``[[people]]``
entry that makes them one person, so the path first in ``[ingest] precedence`` counts and the other does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from connectors import claude_code, claude_enterprise
from connectors.errors import AuthError, ConnectorError
from correlate import clock
from correlate.config import Config, load_config
from correlate.console import console
from correlate.errors import ConfigError, CorrelateError, StoreError
from correlate.overlap import Overlap, find_overlaps
from correlate.store import Store
from correlate.sync import configured_sources, load_source

__all__ = ["PATHS", "DoctorError", "KeyProblemError", "run"]


class DoctorError(CorrelateError):
    """At least one configured source failed its check (the table says which and why)."""


class KeyProblemError(DoctorError):
    """A check failed because a key is missing or was refused (exit 2, like any config/auth problem)."""

    exit_code = 2


# (who it is for, path and command, what it needs, config section)
PATHS: tuple[tuple[str, str, str, str], ...] = (
    ("Claude Console / API-billed organisation (developers use API keys or Console logins)",
     "Claude Code Analytics API: `correlate sync --source claude_code`",
     "Admin API key (sk-ant-admin01-...), created by an organisation admin",
     "[sources.claude_code]"),
    ("claude.ai Enterprise plan (developers log in with claude.ai)",
     "Enterprise Analytics API: `correlate sync --source claude_enterprise` (data from 2026-01-01)",
     "Analytics API key with read:analytics, created by the primary owner; not an Admin key",
     "[sources.claude_enterprise]"),
    ("Bedrock, Vertex AI or Foundry; or Team/Pro subscription users the Analytics API does not list",
     "OpenTelemetry: `correlate serve-otlp` (OTLP/gRPC on port 4317, OTLP/HTTP on 4318), then "
     "`correlate sync --source otel`",
     "CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTLP settings on developer machines (managed settings): "
     "OTEL_EXPORTER_OTLP_PROTOCOL=grpc with port 4317, or http/protobuf or http/json with port 4318",
     "[otel]"),
    ("No admin access (an individual or a small team)",
     "Local transcripts: `correlate import transcripts ~/.claude/projects --actor EMAIL`",
     "read access to each developer's ~/.claude/projects",
     "none"),
)


@dataclass(frozen=True)
class Check:
    source: str
    status: str  # ok | warn | fail | configured
    detail: str
    exit_code: int = 0


def run(config_path: Path) -> None:
    """Explain the ingestion paths, check each configured source, and end with a summary line.

    Raises:
        DoctorError: a configured source failed its check (exit 2 when a key is missing or
            refused, else 1).
    """
    config = load_config(config_path, required=False)  # without one: every path explained, "not found"
    console.print(_paths_table(config))
    names = configured_sources(config)
    checks = [_check(config, name) for name in names]
    table = Table(title="Configured sources", show_lines=False)
    for col in ("source", "status", "detail"):
        table.add_column(col, overflow="fold")
    style = {"ok": "green", "warn": "yellow", "fail": "bold red", "configured": "cyan"}
    for c in checks:
        table.add_row(c.source, f"[{style[c.status]}]{c.status}[/]", escape(c.detail))
    if not checks:
        table.add_row("(none)", "-", "no source is configured: add the section of the path that fits, above")
    console.print(table)

    overlap_note = _report_overlaps(config)

    failed = [c for c in checks if c.status == "fail"]
    tested = [c for c in checks if c.status != "configured"]
    where = str(config.path) if config.path else f"{config_path} (not found: showing defaults)"
    console.print(
        f"doctor: {len(tested)} source(s) checked, {len(tested) - len(failed)} working, {len(failed)} failing; "
        f"{len(checks) - len(tested)} more configured but not checked here. Config: {escape(where)}"
    )
    if overlap_note:
        console.print(escape(overlap_note))
    if failed:
        message = f"{len(failed)} source check(s) failed ({', '.join(c.source for c in failed)}); see the table above."
        raise (KeyProblemError if any(c.exit_code == 2 for c in failed) else DoctorError)(message)


def _report_overlaps(config: Config) -> str:
    """Print API-key logins counted under two identities, with the entry that joins each; returns a summary line."""
    path = config.store_path
    if not path.exists():
        return f"Double counting: not checked, no store at {path} yet (run `correlate sync` first)."
    try:
        with Store.open(path, read_only=True) as store:
            found = find_overlaps(store, config)
    except StoreError as exc:
        return f"Double counting: not checked ({exc})."
    if not found:
        return ("Double counting: no API-key login appears under two identities (Analytics API key name and "
                f"OpenTelemetry account) in {path}.")
    table = Table(title="Possibly one person under two identities (API-key logins)", show_lines=False)
    for col in ("API key (Analytics API)", "account (OpenTelemetry)", "days in common (key / account)",
                "daily totals agree", "in the team × day table today"):
        table.add_column(col, overflow="fold")
    for o in found:
        table.add_row(escape(o.api_key), escape(o.account), f"{o.common_days} of {o.key_days} / {o.account_days}",
                      f"{o.metric}: {o.agreement:.0%}", escape(o.effect))
    console.print(table)
    console.print(
        "Each pair above is active on mostly the same days with matching daily totals, and no [[people]] entry "
        "joins it: the same use arrived by both paths under two names. While both names are team members, the "
        "team counts it twice; while only one is, days only the other path saw are missing. If a pair is one "
        "person, add its entry (keep any identities you know, such as the email) to the config; the path first "
        "in [ingest] precedence then counts each day once:", markup=False)
    for o in found:
        console.print("\n" + _entry_for(o), markup=False, highlight=False)
    twice = sum(o.counted_twice for o in found)
    return (f"Double counting: {len(found)} API-key login(s) appear under two identities ({twice} counted twice "
            "today); paste the [[people]] entries above into the config to count each once.")


def _entry_for(o: Overlap) -> str:
    return f"# {o.api_key} (Analytics API key) and {o.account} (OpenTelemetry account): {o.common_days} days in " \
           f"common, {o.metric} agree {o.agreement:.0%}\n{o.people_entry()}"


def _paths_table(config: Config) -> Table:
    table = Table(title="Which ingestion path fits your setup", show_lines=True)
    for col in ("your setup", "path", "what you need", "config"):
        table.add_column(col, overflow="fold")
    configured = set(configured_sources(config))
    marks = {"[sources.claude_code]": "claude_code", "[sources.claude_enterprise]": "claude_enterprise",
             "[otel]": "otel"}
    for who, path, need, section in PATHS:
        mark = " (configured)" if marks.get(section) in configured else ""
        table.add_row(*(escape(cell) for cell in (who, path, need, section + mark)))
    return table


def _check(config: Config, name: str) -> Check:
    if name == "claude_code":
        return _check_claude_code(config)
    if name == "claude_enterprise":
        return _check_claude_enterprise(config)
    section = load_source(name).section
    return Check(name, "configured", f"[sources.{section}] present; not checked by doctor" if section else
                 "spool folder present; not checked by doctor")


def _key(config: Config, env_var: str, what: str, name: str) -> str | Check:
    """The key, or a failed check naming the unset variable."""
    try:
        return config.secret(env_var, what=what).reveal()
    except ConfigError:
        return Check(name, "fail", f"${env_var} is not set; it should hold {what}.", exit_code=2)


def _check_claude_code(config: Config) -> Check:
    cfg = config.root.sources.claude_code
    if cfg is None:  # pragma: no cover - only called for configured sources
        raise ConfigError("[sources.claude_code] is missing")
    key = _key(config, cfg.api_key_env, "an Anthropic Admin API key (sk-ant-admin01-...)", "claude_code")
    if isinstance(key, Check):
        return key
    hint = ""
    if not key.startswith("sk-ant-admin"):
        hint = (f" ${cfg.api_key_env} does not start with sk-ant-admin: this endpoint needs an Admin key, "
                "not an API or Analytics key.")
    day = clock.today() - timedelta(days=1)
    try:
        with claude_code.make_client(cfg.base_url, key) as client:
            rows = claude_code.probe(client, day, env_var=cfg.api_key_env)
    except ConnectorError as exc:
        return _failure("claude_code", exc, hint)
    if rows:
        return Check("claude_code", "warn" if hint else "ok", f"key accepted; usage reported for {day}.{hint}")
    return Check("claude_code", "warn",
                 f"key accepted, but no Claude Code usage reported for {day}. Subscription (claude.ai) logins and "
                 f"Bedrock/Vertex use never appear here: use the Enterprise API or OpenTelemetry for them.{hint}")


def _check_claude_enterprise(config: Config) -> Check:
    cfg = config.root.sources.claude_enterprise
    if cfg is None:  # pragma: no cover - only called for configured sources
        raise ConfigError("[sources.claude_enterprise] is missing")
    what = "a Claude Enterprise Analytics API key (read:analytics scope)"
    key = _key(config, cfg.api_key_env, what, "claude_enterprise")
    if isinstance(key, Check):
        return key
    hint = ""
    if key.startswith("sk-ant-admin"):
        hint = (f" ${cfg.api_key_env} starts with sk-ant-admin: that is a Console Admin key, which this API does "
                "not accept; create an Analytics key at claude.ai.")
    day = clock.today() - timedelta(days=1)
    try:
        with claude_enterprise.make_client(cfg.base_url, key, env_var=cfg.api_key_env) as client:
            served, latest = claude_enterprise.probe(client, day)
    except ConnectorError as exc:
        return _failure("claude_enterprise", exc, hint)
    if served:
        return Check("claude_enterprise", "ok", f"key accepted; {day} is available.{hint}")
    return Check("claude_enterprise", "ok",
                 f"key accepted; {day} is not aggregated yet (latest available day: {latest or 'not named'}).")


def _failure(name: str, exc: ConnectorError, hint: str) -> Check:
    if isinstance(exc, AuthError):
        return Check(name, "fail", f"{exc.message}{hint}", exit_code=2)
    return Check(name, "fail", f"{type(exc).__name__}: {exc}{hint}", exit_code=1)

