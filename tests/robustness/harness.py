"""Sources the robustness tests drive, listed as data, plus the helpers that run and compare syncs.

To cover another source, add a :class:`SyncCase` to :data:`CASES`: its config section, the env vars
holding (fake) credentials, a factory for a deterministic local server handler, and the tables it
writes. The crash, fault and secret tests are parametrised over this list.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from correlate.config import load_config
from correlate.store import Store
from correlate.sync import SyncContext, run_sync
from tests.connectors.copilot_pages import FakeCopilot, ndjson, team_row, user_row
from tests.connectors.cursor_pages import FakeCursor, daily_row, days, event
from tests.httpserver import Handler

ROOT = Path(__file__).resolve().parents[2]

# Recognisable fake credentials: any of these strings in output, a store or a report is a leak.
CURSOR_KEY = "key_CANARYcursor7f3a9b2e4d1c"
GITHUB_TOKEN = "ghp_FAKE-CANARY-github-7f3e"


def _people(day: date) -> list[str]:
    """A deterministic, day-dependent set of users, so windows differ and a gap would show."""
    n = 2 + int(hashlib.sha256(day.isoformat().encode()).hexdigest(), 16) % 3
    return [f"dev{i}@acme.example" for i in range(n)]


def _cursor_handler() -> Handler:
    def daily(start: date, end: date) -> list[dict[str, Any]]:
        return [daily_row(d, who, totalLinesAdded=10 + i) for d in days(start, end) for i, who in enumerate(_people(d))]

    def events(start: date, end: date) -> list[dict[str, Any]]:
        return [event(d, who, model=("claude-4-opus", "gpt-5")[i % 2], cents=1.5 + i)
                for d in days(start, end) for i, who in enumerate(_people(d))]

    return FakeCursor(daily=daily, events=events, key=CURSOR_KEY)


def _copilot_handler() -> FakeCopilot:
    def files(report: str, day: str) -> list[str] | None:
        who = [p.split("@")[0] for p in _people(date.fromisoformat(day))]
        if report == "users-1-day":
            return [ndjson([user_row(day, 1000 + i, login) for i, login in enumerate(who)])]
        return [ndjson([team_row(day, 1000 + i, login, 42, "frontend") for i, login in enumerate(who)])]

    return FakeCopilot(files)


@dataclass(frozen=True)
class SyncCase:
    """One source as the robustness tests see it."""

    source: str
    section: Callable[[str], str]  # server URL -> the TOML of its [sources.x] section
    env: dict[str, str]
    handler: Callable[[], Handler]
    tables: tuple[str, ...]
    secrets: tuple[str, ...]
    needs_url: bool = False  # the handler links back to the server (Copilot's signed file URLs)


CASES = [
    SyncCase(
        source="cursor",
        section=lambda url: (f'[sources.cursor]\nbase_url = "{url}"\napi_key_env = "CURSOR_API_KEY"\n'
                             "backfill_days = 95\n"),
        env={"CURSOR_API_KEY": CURSOR_KEY}, handler=_cursor_handler,
        tables=("ai_usage_daily", "ai_usage_model_daily"), secrets=(CURSOR_KEY,),
    ),
    SyncCase(
        source="copilot",
        section=lambda url: (f'[sources.copilot]\nbase_url = "{url}"\ntoken_env = "GITHUB_TOKEN"\norg = "acme"\n'
                             "backfill_days = 6\n"),
        env={"GITHUB_TOKEN": GITHUB_TOKEN}, handler=_copilot_handler,
        tables=("ai_usage_daily", "copilot_user_teams"), secrets=(GITHUB_TOKEN,), needs_url=True,
    ),
]
CASE_IDS = [c.source for c in CASES]


def write_config(folder: Path, case: SyncCase, url: str) -> Path:
    path = folder / "correlate.toml"
    path.write_text(f'[store]\npath = "store.duckdb"\n\n{case.section(url)}', encoding="utf-8")
    return path


def cli(config: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``python -m correlate --config CONFIG ARGS`` with only ``env`` as credentials."""
    base = {k: v for k, v in os.environ.items()
            if not (k.startswith("CORRELATE_") or k.endswith(("_TOKEN", "_KEY", "_API_KEY")))}
    return subprocess.Popen([sys.executable, "-m", "correlate", "--config", str(config), *args], cwd=ROOT,
                            env={**base, **env, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def sync_in_process(config_path: Path, source: str) -> None:
    """A resumed sync in this process (faster than a new interpreter; the crash was the real process)."""
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        run_sync(SyncContext(config, store), [source], None)


def snapshot(store_path: Path, tables: tuple[str, ...]) -> dict[str, Any]:
    """Every row of ``tables`` (sorted) and the source's cursors, without write timestamps."""
    with Store.open(store_path) as store:
        out: dict[str, Any] = {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        out["sync_state"] = store.con.execute(
            'SELECT source, stream, "partition", cursor FROM sync_state ORDER BY ALL').fetchall()
    return out


def key_duplicates(store_path: Path) -> dict[str, int]:
    """Rows beyond one per natural key, per table (must be all zero)."""
    from connectors.records import AIUsageDay, AIUsageModelDay
    from connectors.tool_records import CopilotUserTeam

    found = {}
    with Store.open(store_path) as store:
        for rt in (AIUsageDay, AIUsageModelDay, CopilotUserTeam):
            keys = ", ".join(f'"{k}"' for k in rt.KEY)
            row = store.con.execute(f"SELECT count(*) - count(DISTINCT ({keys})) FROM {rt.TABLE}").fetchone()
            found[rt.TABLE] = int(row[0]) if row else 0
    return found


def today() -> date:
    return datetime.now(UTC).date()


def yesterday() -> date:
    return today() - timedelta(days=1)
