"""Sources the robustness tests drive, listed as data, plus the helpers that run and compare syncs.

To cover another source, add a :class:`SyncCase` to :data:`CASES`: its config section, the env vars
holding (fake) credentials, a deterministic local server handler (or the input files it reads), and
the tables it writes. The crash, fault and secret tests are parametrised over this list.

Every vendor page served here is HAND-BUILT from the documented shapes (the builders in
``tests/claude_pages.py``, ``tests/connectors/*_pages.py``, ``tests/connectors/github/fake_github.py``,
``tests/ingest/test_pagerduty_sync.py``); the OTLP requests and transcript lines are hand-built too
(``tests/otlp_payloads.py``, ``tests/connectors/test_transcripts.py``). Each is deterministic for a given
UTC day, and needs several units of work (requests, pages, segments), so a kill can land between them.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from correlate.config import load_config
from correlate.store import Store
from correlate.sync import SyncContext, run_sync
from tests.claude_pages import cc_page, cc_row, ent_connector, ent_cost, ent_page, ent_skill, ent_usage, ent_user, model
from tests.connectors.copilot_pages import FakeCopilot, ndjson, team_row, user_row
from tests.connectors.cursor_pages import FakeCursor, daily_row, days, event
from tests.httpserver import Handler, Reply, Request

ROOT = Path(__file__).resolve().parents[2]

# Recognisable fake credentials: any of these strings in output, a store or a report is a leak. Obviously fake
# and shorter than the real token shapes (a secret scanner must not mistake them for real ones).
CURSOR_KEY = "key_CANARYcursor7f3a9b2e4d1c"
GITHUB_TOKEN = "ghp_FAKE-CANARY-github-7f3e"
GH_SYNC_TOKEN = "ghp_FAKE-CANARY-ghsync-4b1d"
CLAUDE_ADMIN_KEY = "sk-ant-admin01-FAKE-CANARY-cc9d"
ENTERPRISE_KEY = "sk-ant-api01-FAKE-CANARY-ent2"
PAGERDUTY_TOKEN = "pd-FAKE-CANARY-token-5e8a"


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


def _claude_code_handler() -> Handler:
    """Hand-built Claude Code Analytics API: each day's rows in two pages (a kill can fall between them)."""
    def handler(req: Request) -> Reply:
        if req.headers.get("x-api-key") != CLAUDE_ADMIN_KEY:
            return Reply(401, {"type": "error",
                               "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
        day = date.fromisoformat(req.q("starting_at") or "")
        rows = [cc_row(day, email=who, sessions=1 + i, added=100 + 7 * i + day.day,
                       models=[model(("claude-opus-5", "claude-sonnet-5")[i % 2], 40 + i + day.day)])
                for i, who in enumerate(_people(day))]
        if req.q("page") is None:
            return Reply(200, cc_page(rows[:1], next_page=f"page2-{day}"))
        return Reply(200, cc_page(rows[1:]))

    return handler


def _enterprise_rows(name: str, day: date) -> list[dict[str, Any]]:
    who = _people(day)
    if name == "users":
        return [ent_user(w, sessions=1 + i, added=50 + i + day.day, removed=i, commits=i, edit=(3 + i, i))
                for i, w in enumerate(who)]
    if name == "user_cost_report":
        return [ent_cost(w, "claude-opus-5", f"{1000 + 37 * i + day.day}.250000", requests=5 + i)
                for i, w in enumerate(who)]
    if name == "user_usage_report":
        return [ent_usage(w, "claude-opus-5", uncached=100 * (i + 1) + day.day, requests=5 + i)
                for i, w in enumerate(who)]
    if name == "skills":
        return [ent_skill("pdf-extract", users=len(who))]
    return [ent_connector("github", users=len(who))]


def _enterprise_handler() -> Handler:
    """Hand-built Enterprise Analytics API; the bucketed cost restatement answers the same rows per day."""
    def handler(req: Request) -> Reply:
        if req.headers.get("x-api-key") != ENTERPRISE_KEY:
            return Reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid key"}})
        name = req.path.rsplit("/", 1)[-1]
        report = name in ("user_cost_report", "user_usage_report")
        if req.q("bucket_width") == "1d":
            first = date.fromisoformat((req.q("starting_at") or "")[:10])
            n = (date.fromisoformat((req.q("ending_at") or "")[:10]) - first).days
            rows = [{**row, "starting_at": f"{first + timedelta(days=i)}T00:00:00Z"}
                    for i in range(n) for row in _enterprise_rows(name, first + timedelta(days=i))]
            return Reply(200, ent_page(rows, has_more=False))
        day = date.fromisoformat(req.q("date") or (req.q("starting_at") or "")[:10])
        return Reply(200, ent_page(_enterprise_rows(name, day), has_more=False if report else None))

    return handler


def _github_handler() -> Handler:
    """The hand-built, schema-executing fake GitHub (tests/connectors/github/fake_github.py): two
    repositories of merged and open PRs dated from today, so one PR page per repository."""
    from tests.connectors.github.fake_github import FakeCommit, FakeGitHub, FakePR, FakeRepo, FakeReview, schema

    schema()  # built once, now: inside the first answer it would slow the clean run a kill plan is timed on

    base = datetime.combine(today(), time(9), UTC) - timedelta(days=20)
    repos = []
    for r in range(2):
        pulls = {}
        for n in range(1, 4 + r % 2):
            created = base + timedelta(days=3 * n + r, hours=r)
            merged = created + timedelta(hours=5 + n) if (n + r) % 3 else None
            pulls[n] = FakePR(number=n, author=f"dev{n % 3}", created_at=created,
                              updated_at=(merged or created) + timedelta(minutes=10 * r),
                              merged_at=merged, merge_sha=f"{r}{n:039x}" if merged else None,
                              reviews=[FakeReview(1000 * r + n, "dev9", "APPROVED", created + timedelta(hours=2))],
                              commits=[FakeCommit(f"{r:02x}{n:038x}", created - timedelta(hours=3))])
        repos.append(FakeRepo(f"acme/repo{r}", pulls))
    fake = FakeGitHub(repos)

    def handler(req: Request) -> Reply:
        if req.headers.get("authorization") != f"token {GH_SYNC_TOKEN}":
            return Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        return fake(req)

    return handler


def _pagerduty_incidents() -> list[dict[str, Any]]:
    """Hand-built incidents over the last year (PagerDuty's v2 shape), some still open."""
    from tests.ingest.test_pagerduty_sync import built

    start = datetime.combine(today(), time(0), UTC)
    out = []
    for n in range(1, 15):
        created = start - timedelta(days=25 * n, hours=n)
        resolved = {"status": "resolved", "resolved_at": (created + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        out.append(built(n, created, **(resolved if n % 4 else {}),
                         acknowledgements=[{"at": (created + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")}]
                         if n % 3 == 0 else []))
    return out


def _pagerduty_handler() -> Handler:
    """Incidents created in the asked window, two a page, ``more`` while more follow (hand-built envelope)."""
    incidents = _pagerduty_incidents()

    def handler(req: Request) -> Reply:
        if req.headers.get("authorization") != f"Token token={PAGERDUTY_TOKEN}":
            return Reply(401, {"error": {"message": "Authentication failed", "code": 2006}})
        lo = datetime.fromisoformat((req.q("since") or "").replace("Z", "+00:00"))
        hi = datetime.fromisoformat((req.q("until") or "").replace("Z", "+00:00"))
        hits = [i for i in incidents if lo <= datetime.fromisoformat(i["created_at"].replace("Z", "+00:00")) < hi]
        offset = int(req.q("offset") or 0)
        page = hits[offset:offset + 2]
        return Reply(200, {"incidents": page, "limit": 2, "offset": offset, "more": offset + 2 < len(hits)})

    return handler


# -- file sources: the input a run reads, written into its folder ----------------------------------------------
SPOOL_SEGMENTS = 5


def write_spool(folder: Path) -> None:
    """Five closed spool segments of hand-built Claude Code OTLP (delta and cumulative counters, events),
    so the fold has several units (one transaction and cursor per segment) and cumulative series span them."""
    from correlate.otlp.spool import encode_record
    from tests.otlp_payloads import MINUTE, T0, Point, api_request, day_of_usage, logs_request, metrics_request

    spool = folder / "spool"
    spool.mkdir()
    for s in range(SPOOL_SEGMENTS):
        records = []
        for r in range(3):
            t = T0 + (s * 3 + r) * 7 * MINUTE
            user = {"user.email": f"dev{r % 3}@acme.example", "session.id": f"sess-{r % 3}-{s // 2}"}
            delta = metrics_request(day_of_usage(session=user["session.id"], t=t), user=user)
            # one cumulative series per developer, running across every segment: exactly-once differencing
            cumulative = metrics_request([Point("claude_code.token.usage", 1000.0 * (s * 3 + r + 1),
                                                {"type": "input", "model": "claude-opus-4-6"}, t, T0 - MINUTE)],
                                         temporality=2, user={**user, "session.id": f"cum-{r % 3}"})
            logs = logs_request([api_request("claude-sonnet-4-6", 0.01 * (r + 1), 100 + r, 50, t=t,
                                             request_id=f"req-{s}-{r}")])
            records += [encode_record("metrics", "protobuf", delta.SerializeToString()),
                        encode_record("metrics", "protobuf", cumulative.SerializeToString()),
                        encode_record("logs", "protobuf", logs.SerializeToString())]
        # closed segments named as the receiver names them (<20-digit ns>-<pid>.seg), oldest first
        (spool / f"{T0 + s:020d}-4242.seg").write_bytes(b"".join(records))


def _spool_units_done(folder: Path) -> int:
    """Segments folded and retired so far (the fold deletes a segment after its rows and cursor commit)."""
    spool = folder / "spool"
    return SPOOL_SEGMENTS - sum(1 for p in spool.iterdir() if p.suffix == ".seg") if spool.is_dir() else 0


def write_transcripts(folder: Path) -> None:
    """Hand-built Claude Code session transcripts (tests/connectors/test_transcripts.py's line shape)."""
    from tests.connectors.test_transcripts import line

    for p in range(4):
        lines = [line(f"msg-{p}-{i}", f"req-{p}-{i}", inp=10 + i, out=100 + p, cr=1000 * (i % 4),
                      model=("claude-sonnet-4-6", "claude-opus-4-6")[i % 2], session=f"s{p}-{i // 50}",
                      ts=f"2026-10-{1 + (i % 20):02d}T{i % 24:02d}:{p * 7:02d}:00.000Z")
                 for i in range(150)]
        path = folder / "projects" / f"-src-app{p}" / "session.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


CSV_TEAMS = """
[[teams]]
name = "payments"
repos = ["acme/api"]
services = ["checkout"]

[[teams]]
name = "web"
repos = ["acme/web"]
"""


def write_deployments(folder: Path) -> None:
    rows = ["id,repo,team,service,started_at,finished_at,status,environment,sha"]
    for n in range(600):
        at = datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(hours=5 * n)
        repo = ("acme/api", "acme/web")[n % 2]
        rows.append(f"d{n},{repo},,{'checkout' if n % 2 == 0 else ''},{at:%Y-%m-%dT%H:%M:%SZ},"
                    f"{at + timedelta(minutes=9):%Y-%m-%dT%H:%M:%SZ},{('success', 'failure')[n % 7 == 0]},"
                    f"production,{n:07x}")
    (folder / "deployments.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def write_incidents(folder: Path) -> None:
    rows = ["id,service,created_at,resolved_at,caused_by_deployment,title"]
    for n in range(600):
        at = datetime(2026, 3, 2, 11, tzinfo=UTC) + timedelta(hours=5 * n)
        rows.append(f"i{n},checkout,{at:%Y-%m-%dT%H:%M:%SZ},{at + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ},"
                    f"{f'd{n}' if n % 5 == 0 else ''},incident {n}")
    (folder / "incidents.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def _csv_after(first: str) -> Callable[[Path], None]:
    """Both CSV files, with ``first`` already imported (so the killed import also relinks failures)."""
    def prepare(folder: Path) -> None:
        write_deployments(folder)
        write_incidents(folder)
        _import_in_process(first)(folder / "correlate.toml")
    return prepare


def _transcripts_and_a_store(folder: Path) -> None:
    """The transcripts, and the store already created (so a kill in the commit is the import's commit)."""
    write_transcripts(folder)
    with Store.open(load_config(folder / "correlate.toml").store_path):
        pass


def _import_in_process(kind: str) -> Callable[[Path], None]:
    def resume(config: Path) -> None:
        if kind == "transcripts":
            from correlate.ingest.transcripts import import_dir

            import_dir(config, config.parent / "projects", "dev@acme.example")
        else:
            from correlate.ingest import csv_import

            getattr(csv_import, f"import_{kind}")(config, config.parent / f"{kind}.csv")
    return resume


@dataclass(frozen=True)
class SyncCase:
    """One source as the robustness tests see it.

    An HTTP source has a ``handler`` (a deterministic local server); a file source has ``prepare``, which
    writes its input into a run's folder. ``command`` is the CLI invocation (default ``sync --source X``)
    and ``resume`` the in-process re-run after a kill (default :func:`sync_in_process`).
    """

    source: str
    section: Callable[[str], str]  # server URL ("" without a server) -> the TOML after [store]
    env: dict[str, str]
    tables: tuple[str, ...]
    secrets: tuple[str, ...]
    handler: Callable[[], Handler] | None = None
    needs_url: bool = False  # the handler links back to the server (Copilot's signed file URLs)
    prepare: Callable[[Path], None] | None = None  # run folder (its correlate.toml written) -> input files
    command: Callable[[Path], tuple[str, ...]] | None = None  # run folder -> CLI arguments after --config
    resume: Callable[[Path], None] | None = None  # config path -> an in-process re-run
    units_done: Callable[[Path], int] | None = None  # file sources: units committed so far, seen from outside
    units: int = 0  # how many units ``units_done`` counts to
    all_or_nothing: bool = False  # one transaction: a killed run leaves nothing or everything
    # cursors that hold the run's clock (PagerDuty's window end): compared by day, not by second
    clock_cursors: tuple[str, ...] = ()
    no_faults: str | None = None  # why the wire-fault tests do not apply (file sources)

    def args(self, folder: Path) -> tuple[str, ...]:
        return self.command(folder) if self.command else ("sync", "--source", self.source)

    def rerun(self, config: Path) -> None:
        (self.resume or (lambda c: sync_in_process(c, self.source)))(config)


_USAGE = ("ai_usage_daily", "ai_usage_model_daily", "ai_edit_actions")
_FILES = "files, no server: there is no wire to fault"

CASES = [
    SyncCase(
        source="cursor",
        section=lambda url: (f'[sources.cursor]\nbase_url = "{url}"\napi_key_env = "CURSOR_API_KEY"\n'
                             "backfill_days = 45\n"),
        env={"CURSOR_API_KEY": CURSOR_KEY}, handler=_cursor_handler,
        tables=("ai_usage_daily", "ai_usage_model_daily"), secrets=(CURSOR_KEY,),
    ),
    SyncCase(
        source="copilot",
        section=lambda url: (f'[sources.copilot]\nbase_url = "{url}"\ntoken_env = "GITHUB_TOKEN"\norg = "acme"\n'
                             "backfill_days = 3\n"),
        env={"GITHUB_TOKEN": GITHUB_TOKEN}, handler=_copilot_handler,
        tables=("ai_usage_daily", "copilot_user_teams"), secrets=(GITHUB_TOKEN,), needs_url=True,
    ),
    SyncCase(
        source="claude_code",
        section=lambda url: (f'[sources.claude_code]\nbase_url = "{url}"\napi_key_env = "CLAUDE_ADMIN_KEY"\n'
                             "backfill_days = 4\n"),
        env={"CLAUDE_ADMIN_KEY": CLAUDE_ADMIN_KEY}, handler=_claude_code_handler,
        tables=_USAGE, secrets=(CLAUDE_ADMIN_KEY,),
    ),
    SyncCase(
        source="claude_enterprise",
        section=lambda url: (f'[sources.claude_enterprise]\nbase_url = "{url}"\n'
                             'api_key_env = "CLAUDE_ANALYTICS_KEY"\nbackfill_days = 3\n'),
        env={"CLAUDE_ANALYTICS_KEY": ENTERPRISE_KEY}, handler=_enterprise_handler,
        tables=(*_USAGE, "claude_enterprise_skill_daily", "claude_enterprise_connector_daily"),
        secrets=(ENTERPRISE_KEY,),
    ),
    SyncCase(
        source="github",
        section=lambda url: (f'[sources.github]\nbase_url = "{url}"\ntoken_env = "GH_SYNC_TOKEN"\n'
                             'repos = ["acme/repo0", "acme/repo1"]\n'
                             'deployments_from = "merges"\nbackfill_days = 30\n'),
        env={"GH_SYNC_TOKEN": GH_SYNC_TOKEN}, handler=_github_handler,
        tables=("pull_requests", "reviews", "pr_commits", "deployments", "deployment_commits", "deployment_changes"),
        secrets=(GH_SYNC_TOKEN,),
    ),
    SyncCase(
        source="pagerduty",
        section=lambda url: (f'[sources.pagerduty]\nbase_url = "{url}"\ntoken_env = "PAGERDUTY_TOKEN"\n'
                             'backfill_days = 365\n'),
        env={"PAGERDUTY_TOKEN": PAGERDUTY_TOKEN}, handler=_pagerduty_handler,
        tables=("incidents",), secrets=(PAGERDUTY_TOKEN,), clock_cursors=("pagerduty",),
    ),
    SyncCase(
        source="otel",
        section=lambda url: '[otel]\nspool_dir = "spool"\nteam_attribute = "team.id"\n',
        env={}, prepare=write_spool, units_done=_spool_units_done, units=SPOOL_SEGMENTS,
        tables=(*_USAGE, "ai_session_daily", "otel_metric_deltas", "otel_events", "otel_series_state"),
        secrets=(), no_faults=_FILES,
    ),
    SyncCase(
        source="transcripts",
        section=lambda url: "",
        env={}, prepare=_transcripts_and_a_store, command=lambda f: ("import", "transcripts", str(f / "projects"),
                                                               "--actor", "dev@acme.example"),
        resume=_import_in_process("transcripts"), all_or_nothing=True,
        tables=("ai_usage_daily", "ai_usage_model_daily", "ai_session_daily"), secrets=(), no_faults=_FILES,
    ),
    SyncCase(
        source="csv_deployments",
        section=lambda url: CSV_TEAMS,
        env={}, prepare=_csv_after("incidents"),
        command=lambda f: ("import", "deployments", str(f / "deployments.csv")),
        resume=_import_in_process("deployments"), all_or_nothing=True,
        tables=("deployments", "deployment_failures"), secrets=(), no_faults=_FILES,
    ),
    SyncCase(
        source="csv_incidents",
        section=lambda url: CSV_TEAMS,
        env={}, prepare=_csv_after("deployments"),
        command=lambda f: ("import", "incidents", str(f / "incidents.csv")),
        resume=_import_in_process("incidents"), all_or_nothing=True,
        tables=("incidents", "deployment_failures"), secrets=(), no_faults=_FILES,
    ),
]
CASE_IDS = [c.source for c in CASES]
HTTP_CASES = [c for c in CASES if c.handler is not None]


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


def _norm(value: Any) -> Any:
    # otel differences cumulative doubles: the same increments summed in another grouping differ in the 16th digit
    return round(value, 9) if isinstance(value, float) else value


def snapshot(store_path: Path, case: SyncCase) -> dict[str, Any]:
    """Every row of the case's tables (sorted, floats to 1e-9) and every cursor.

    A cursor that holds the run's clock (``case.clock_cursors``) is compared by its day: a resumed run
    ends later than the clean one, and must still have moved the cursor to today.
    """
    with Store.open(store_path) as store:
        out: dict[str, Any] = {
            t: sorted((tuple(_norm(v) for v in row) for row in store.con.execute(f"SELECT * FROM {t}").fetchall()),
                      key=repr)
            for t in case.tables}
        state = store.con.execute('SELECT source, stream, "partition", cursor FROM sync_state ORDER BY ALL').fetchall()
    out["sync_state"] = [(s, st, p, c[:10] + " (clock)" if s in case.clock_cursors and c else c)
                         for s, st, p, c in state]
    return out


def table_keys() -> dict[str, tuple[str, ...]]:
    """Every stored record type's table and natural key, from the record classes themselves."""
    import connectors.enterprise_records
    import connectors.github.records
    import connectors.otel_records
    import connectors.tool_records  # noqa: F401  (imported for their Record subclasses)
    from connectors.records import Record

    found: dict[str, tuple[str, ...]] = {}
    todo = list(Record.__subclasses__())
    while todo:
        rt = todo.pop()
        todo += rt.__subclasses__()
        if "TABLE" in vars(rt):
            found[rt.TABLE] = rt.KEY
    return found


def key_duplicates(store_path: Path, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows beyond one per natural key, for each of ``tables`` (must be all zero).

    Raises:
        KeyError: a table without a record type (so a new table cannot slip past the check).
    """
    keys = table_keys()
    found = {}
    with Store.open(store_path) as store:
        for table in tables:
            cols = ", ".join(f'"{k}"' for k in keys[table])
            row = store.con.execute(f"SELECT count(*) - count(DISTINCT ({cols})) FROM {table}").fetchone()
            found[table] = int(row[0]) if row else 0
    return found


def today() -> date:
    return datetime.now(UTC).date()


def clear_of_midnight(margin_s: float) -> None:
    """Wait out the last ``margin_s`` seconds of a UTC day.

    Why: syncs read up to "yesterday" (UTC), so a clean run before midnight and a resumed run after it
    cover different days and differ for a reason that is not a bug (seen once, at 00:00).
    """
    import time as clock

    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), time(0), UTC) - now).total_seconds()
    if left < margin_s:
        clock.sleep(left + 1)


def yesterday() -> date:
    return today() - timedelta(days=1)


# -- running the CLI as a real process, fast ----------------------------------------------------------------------
# A kill point costs a process. ``python -m correlate`` spends ~2 s importing (pandas, DuckDB, PyGithub) before it
# does anything a kill could hurt, so the kill points run in processes *forked* from one pre-imported interpreter
# (a zygote): each is a real OS process running ``correlate.cli.main`` on its own pid, stdout and stderr, killed
# with a real SIGKILL. The zygote imports but never runs anything (no store, no threads), so every child starts
# as fresh as a new interpreter. ``cli()`` above still starts the real ``python -m correlate`` where that matters.

# a fork copies only the forking thread: no BLAS thread pool, no jemalloc background thread (pyarrow's), so the
# zygote has one thread and nothing is held by a thread the child would not have
_ZYGOTE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "JE_ARROW_MALLOC_CONF": "background_thread:false", "COLUMNS": "200"}


def _zygote_main() -> None:
    """The zygote: import everything a command needs, then fork one child per job line on stdin."""
    import importlib
    import traceback

    import correlate.cli
    from correlate.sync import SOURCES

    for module in (*(m for m, _ in SOURCES.values()), "correlate.commands", "correlate.ingest.csv_import",
                   "correlate.ingest.transcripts", "correlate.doctor"):
        importlib.import_module(module)
    threads = len(os.listdir(f"/proc/{os.getpid()}/task")) if Path("/proc/self/task").is_dir() else 1
    if threads != 1:
        raise RuntimeError(f"the zygote has {threads} threads after its imports; forking it would not be safe")
    reply = os.fdopen(os.dup(1), "w")
    reply.write(json.dumps({"ready": os.getpid()}) + "\n")
    reply.flush()
    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for fd, name in ((1, "out"), (2, "err")):
                    os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                reply.close()
                os.chdir(job["cwd"])
                os.environ.clear()
                os.environ.update(job["env"])
                try:
                    correlate.cli.main(job["args"])
                    code = 0
                except SystemExit as exc:  # typer exits with the command's code
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except BaseException:  # what the interpreter would print for an uncaught exception
                    traceback.print_exc()
                    code = 1
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        reply.write(json.dumps({"pid": pid}) + "\n")
        reply.flush()
        _, status = os.waitpid(pid, 0)
        reply.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        reply.flush()


class _Zygote:
    """The parent's end of the zygote: one job at a time, answers read with a timeout."""

    def __init__(self) -> None:
        base = {k: v for k, v in os.environ.items()
                if not (k.startswith("CORRELATE_") or k.endswith(("_TOKEN", "_KEY", "_API_KEY")))}
        self.base = {**base, "PYTHONPATH": str(ROOT), **_ZYGOTE_ENV}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.robustness.harness import _zygote_main; _zygote_main()"],
            cwd=ROOT, env=self.base, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.read(120)

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise subprocess.TimeoutExpired("correlate (forked)", timeout)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the zygote died (exit {self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_ZYGOTE: list[_Zygote] = []


def zygote() -> _Zygote:
    """The running zygote, started on first use (call it before timing a run: it takes seconds to start)."""
    if not _ZYGOTE or _ZYGOTE[0].proc.poll() is not None:
        _ZYGOTE[:] = [_Zygote()]
        atexit.register(_ZYGOTE[0].close)
    return _ZYGOTE[0]


class Forked:
    """A forked ``correlate`` run with the parts of :class:`subprocess.Popen` the tests use."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path) -> None:
        self._zygote = zygote()
        self._out, self._err = folder / "run.stdout", folder / "run.stderr"
        job = {"args": args, "env": {**self._zygote.base, **env}, "cwd": str(ROOT), "out": str(self._out),
               "err": str(self._err)}
        assert self._zygote.proc.stdin is not None
        self._zygote.proc.stdin.write(json.dumps(job) + "\n")
        self._zygote.proc.stdin.flush()
        self.pid: int = self._zygote.read(30)["pid"]
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = int(self._zygote.read(timeout if timeout is not None else 3600)["rc"])
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            self.wait(30)
            raise
        return self._out.read_text(errors="replace"), self._err.read_text(errors="replace")


def forked(config: Path, *args: str, env: dict[str, str]) -> Forked:
    """Run ``correlate --config CONFIG ARGS`` in a process forked from the zygote, with only ``env`` as credentials."""
    return Forked(["--config", str(config), *args], {**env, "COLUMNS": "200"}, config.parent)
