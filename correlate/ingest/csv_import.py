"""``correlate import deployments|incidents FILE.csv``: deployments and incidents from any tool, as CSV.

The columns are documented in ``docs/csv-import.md`` (and :data:`DEPLOYMENT_COLUMNS` /
:data:`INCIDENT_COLUMNS` below, the one source of that page's tables). The import is all-or-nothing:
every row is validated first, and only a file without problems is written, in one transaction
together with the derive stage (the recomputed DORA links). Rows are upserted on (source, id), so
importing the same file again changes nothing, and a corrected file replaces the rows it names. A row
dated outside the plausible window (:mod:`correlate.plausible`) is quarantined, and the closing lines
say how many.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.records import Deployment, Incident, Record
from correlate.config import Config, load_config
from correlate.console import console
from correlate.dora.linkage import production_environments
from correlate.errors import InputError
from correlate.ownership import team_of_repo, team_of_service
from correlate.plausible import PlausibleWindow
from correlate.store import Store
from correlate.sync import Batch, Rows, Run, Source, SyncContext, run_import

__all__ = ["DEPLOYMENT_COLUMNS", "INCIDENT_COLUMNS", "Column", "import_deployments", "import_incidents",
           "read_deployments", "read_incidents"]

_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_MAX_LISTED = 5  # further problems are counted, not listed


@dataclass(frozen=True)
class Column:
    """A documented CSV column: its name, accepted aliases, whether it is required, and its meaning."""

    name: str
    required: bool
    meaning: str
    aliases: tuple[str, ...] = ()


_OWNER = ("At least one of `team`, `repo`, `service` is required. A `team` must be a configured team; a "
          "`repo` or `service` alone must be owned by one (`[[teams]] repos` / `services`).")

DEPLOYMENT_COLUMNS: tuple[Column, ...] = (
    Column("id", True, "Your tool's deployment id, unique within `source`.", ("deployment_id",)),
    Column("finished_at", True, "When the deployment finished (ISO 8601 with a time zone: `2026-03-02T09:30:00Z`, "
           "`2026-03-02 10:30:00+01:00`). The deployment counts on this day.", ("finished",)),
    Column("started_at", False, "When it started (same format); must not be after `finished_at`.", ("started",)),
    Column("team", False, "Owning team, as named in `[[teams]] name`. " + _OWNER),
    Column("repo", False, "`owner/name` of the deployed repository; needed to link merged PRs (lead time)."),
    Column("service", False, "Deployed service, as in `[[teams]] services`; links incidents of that service."),
    Column("status", False, "`success` (default), `failure`, `error`, `in_progress` or `cancelled`. Only "
           "successful production deployments count for DORA."),
    Column("environment", False, "Default `production`. Production = one of `[sources.github] "
           "production_environments` (default `production`, `prod`)."),
    Column("sha", False, "The deployed commit (7-40 hex characters)."),
    Column("kind", False, "`deploy` (default), `rollback`, `revert` or `hotfix`. Rollbacks and reverts mark the "
           "deployment they undo as failed; all three count as rework."),
    Column("source", False, "A name for the tool, default `csv` (keeps ids from two tools apart)."),
)

INCIDENT_COLUMNS: tuple[Column, ...] = (
    Column("id", True, "Your tool's incident id, unique within `source`.", ("incident_id",)),
    Column("created_at", True, "When the incident started (ISO 8601 with a time zone).", ("created", "started_at")),
    Column("resolved_at", False, "When it was resolved; empty while open (open incidents are excluded from "
           "recovery times and counted).", ("resolved",)),
    Column("acknowledged_at", False, "First acknowledgement.", ("acknowledged",)),
    Column("team", False, "Owning team. " + _OWNER),
    Column("repo", False, "`owner/name` of the affected repository."),
    Column("service", False, "Affected service."),
    Column("status", False, "Free text from your tool; default `resolved` when `resolved_at` is set, else `open`."),
    Column("kind", False, "`incident` (default) or `bug`. Bugs feed the bug rate, not the change failure rate."),
    Column("title", False, "Free text."),
    Column("urgency", False, "Free text (for example `high`)."),
    Column("priority", False, "Free text (for example `P1`, `SEV2`)."),
    Column("caused_by_deployment", False, "The id of the deployment that caused it (explicit link, the strongest "
           "evidence for the change failure rate).", ("linked_deployment_id", "deployment_id")),
    Column("caused_by_sha", False, "The commit that caused it (root cause); linked to the first deployment that "
           "shipped it.", ("root_cause_sha",)),
    Column("source", False, "A name for the tool, default `csv`."),
)

_DEPLOY_STATUS = {"success": "success", "succeeded": "success", "successful": "success", "ok": "success",
                  "failure": "failure", "failed": "failure", "error": "error", "in_progress": "in_progress",
                  "cancelled": "cancelled", "canceled": "cancelled"}
_DEPLOY_KINDS = ("deploy", "rollback", "revert", "hotfix")
_INCIDENT_KINDS = ("incident", "bug")


class _Row:
    """One data row with its line number; getters raise InputError naming line and column."""

    def __init__(self, path: Path, line: int, values: dict[str, str]) -> None:
        self.path, self.line, self.values = path, line, values

    def fail(self, column: str, message: str) -> InputError:
        return InputError(message, path=str(self.path), line=self.line, field=column)

    def text(self, column: str) -> str | None:
        value = self.values.get(column, "").strip()
        return value or None

    def required(self, column: str) -> str:
        value = self.text(column)
        if value is None:
            raise self.fail(column, f"`{column}` is empty; every row needs one.")
        return value

    def time(self, column: str) -> datetime | None:
        raw = self.text(column)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(column, f"{raw!r} is not a timestamp; write ISO 8601 with a time zone, e.g. "
                                    "2026-03-02T09:30:00Z or 2026-03-02 10:30:00+01:00.") from None
        if value.tzinfo is None:
            raise self.fail(column, f"{raw!r} has no time zone, so its day is ambiguous; add one, e.g. "
                                    f"{raw}Z for UTC or {raw}+01:00.")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 0001-01-01 east of UTC or 9999-12-31 west of it
            raise self.fail(column, f"{raw!r} is outside the years 1-9999 in UTC; is the year right?") from None

    def choice(self, column: str, allowed: dict[str, str] | tuple[str, ...], default: str) -> str:
        raw = self.text(column)
        if raw is None:
            return default
        table = allowed if isinstance(allowed, dict) else {a: a for a in allowed}
        key = raw.lower()
        if key not in table:
            names = ", ".join(dict.fromkeys(table.values()))
            raise self.fail(column, f"{raw!r} is not one of: {names}.")
        return table[key]

    def sha(self, column: str) -> str | None:
        raw = self.text(column)
        if raw is not None and not _SHA.match(raw.lower()):
            raise self.fail(column, f"{raw!r} is not a commit sha (7-40 hexadecimal characters).")
        return raw.lower() if raw else None

    def not_before(self, later: str, later_value: datetime | None, earlier: str,
                   earlier_value: datetime | None) -> None:
        if later_value is not None and earlier_value is not None and later_value < earlier_value:
            raise self.fail(later, f"{later} ({self.text(later)}) is before {earlier} ({self.text(earlier)}).")

    def owner(self, config: Config) -> tuple[str | None, str | None, str | None]:
        """(team, repo, service); the team as given (validated) or None when a repo/service owner exists."""
        team, repo, service = self.text("team"), self.text("repo"), self.text("service")
        if team is None and repo is None and service is None:
            raise self.fail("team", "the row names no `team`, `repo` or `service`; give at least one so it "
                                    "belongs to a team.")
        if team is not None:
            known = config.team_names
            match = next((t for t in known if t.lower() == team.lower()), None)
            if match is None:
                listed = ", ".join(known) or "none are configured"
                raise self.fail("team", f"unknown team {team!r}; configured teams: {listed}. Fix the name or add "
                                        "the team to [[teams]] in the config.")
            return match, repo, service
        if team_of_repo(config, repo) is None and team_of_service(config, service) is None:
            what = f"repo {repo!r}" if repo else f"service {service!r}"
            raise self.fail("repo" if repo else "service",
                            f"no team owns {what}; add it to a team's `repos`/`services` in the config, or "
                            "give a `team` column.")
        return None, repo, service


def read_deployments(path: Path, config: Config) -> list[Deployment]:
    """Validate every row of a deployments CSV and return the records.

    Raises:
        InputError: the first problem, with file, line and column (and how many more problems there are).
    """
    prod = production_environments(config)

    def parse(row: _Row) -> Deployment:
        dep_id = row.required("id")
        started, finished = row.time("started_at"), row.time("finished_at")
        if finished is None:
            raise row.fail("finished_at", "`finished_at` is empty; every deployment needs its finish time.")
        row.not_before("finished_at", finished, "started_at", started)
        team, repo, service = row.owner(config)
        environment = row.text("environment") or "production"
        return Deployment(
            source=row.text("source") or "csv", deployment_id=dep_id, repo=repo, service=service, team=team,
            environment=environment, sha=row.sha("sha"), started_at=started, finished_at=finished,
            status=row.choice("status", _DEPLOY_STATUS, "success"), kind=row.choice("kind", _DEPLOY_KINDS, "deploy"),
            is_production=environment.lower() in prod,
        )

    return _read(path, DEPLOYMENT_COLUMNS, parse, lambda r: (r.source, r.deployment_id))


def read_incidents(path: Path, config: Config) -> list[Incident]:
    """Validate every row of an incidents CSV and return the records.

    Raises:
        InputError: the first problem, with file, line and column (and how many more problems there are).
    """
    def parse(row: _Row) -> Incident:
        inc_id = row.required("id")
        created = row.time("created_at")
        if created is None:
            raise row.fail("created_at", "`created_at` is empty; every incident needs its start time.")
        resolved, acknowledged = row.time("resolved_at"), row.time("acknowledged_at")
        row.not_before("resolved_at", resolved, "created_at", created)
        row.not_before("acknowledged_at", acknowledged, "created_at", created)
        team, repo, service = row.owner(config)
        return Incident(
            source=row.text("source") or "csv", incident_id=inc_id, title=row.text("title"),
            status=row.text("status") or ("resolved" if resolved else "open"), urgency=row.text("urgency"),
            priority=row.text("priority"), service=service, repo=repo, team=team,
            kind=row.choice("kind", _INCIDENT_KINDS, "incident"), created_at=created, acknowledged_at=acknowledged,
            resolved_at=resolved, caused_by_sha=row.sha("caused_by_sha"),
            caused_by_deployment=row.text("caused_by_deployment"),
        )

    return _read(path, INCIDENT_COLUMNS, parse, lambda r: (r.source, r.incident_id))


def import_deployments(config_path: Path, path: Path) -> None:
    """``correlate import deployments FILE.csv``: validate, store with the derived tables in one transaction,
    and say so."""
    config = load_config(config_path)
    _import(config, Path(path), Deployment, read_deployments, "deployments")


def import_incidents(config_path: Path, path: Path) -> None:
    """``correlate import incidents FILE.csv``: validate, store with the derived tables in one transaction,
    and say so."""
    config = load_config(config_path)
    _import(config, Path(path), Incident, read_incidents, "incidents")


def _import(config: Config, path: Path, record_type: type[Record], read: Callable[[Path, Config], list[Any]],
            what: str) -> None:
    records = read(path, config)  # every row validated before the store is even opened

    def fetch(run: Run, file: Path) -> Iterator[Batch]:
        yield Batch(rows=[Rows(record_type, records)])

    source = Source(name=f"csv {what}", plan=lambda run: [path], fetch=fetch)
    key = record_type.KEY
    keys = f"SELECT {', '.join(key)} FROM {record_type.TABLE}"
    with Store.open(config.store_path, window=PlausibleWindow.of(config)) as store:
        before = {tuple(r) for r in store.con.execute(keys).fetchall()}
        summary = run_import(SyncContext(config, store), source)
        after = {tuple(r) for r in store.con.execute(keys).fetchall()}
    stored = [k for k in (tuple(getattr(r, c) for c in key) for r in records) if k in after]
    new = sum(1 for k in stored if k not in before)
    console.print(f"Imported {len(stored):,} {what} from {path} ({new:,} new, {len(stored) - new:,} already "
                  f"stored) into {config.store_path}.", soft_wrap=True)
    for note in summary.notes:
        console.print(note, soft_wrap=True)


def _read(path: Path, columns: tuple[Column, ...], parse: Callable[[_Row], Any],
          key: Callable[[Any], tuple[str, str]]) -> list[Any]:
    try:
        rows = list(_rows(path, columns))
    except InputError as exc:
        exc.args = (f"{exc.message} Nothing was imported.",)
        exc.message = exc.args[0]
        raise
    records: list[Any] = []
    problems: list[InputError] = []
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        try:
            record = parse(row)
        except InputError as exc:
            problems.append(exc)
            continue
        k = key(record)
        if k in first_line:
            problems.append(row.fail("id", f"id {k[1]!r} (source {k[0]!r}) appears twice, first on line "
                                           f"{first_line[k]}; ids must be unique within a file."))
            continue
        first_line[k] = row.line
        records.append(record)
    if problems:
        first = problems[0]
        text = first.message
        if len(problems) > 1:
            extra = len(problems) - _MAX_LISTED
            text += " Also: " + "; ".join(p.message for p in problems[1:_MAX_LISTED])
            text += f" (and {extra} more)." if extra > 0 else ""
        first.args = (f"{text} Nothing was imported.",)
        first.message = first.args[0]
        raise first
    if not records:
        raise InputError("the file has a header but no rows; nothing to import.", path=str(path), line=2)
    return records


def _rows(path: Path, columns: tuple[Column, ...]) -> Iterator[_Row]:
    """Data rows with canonical column names; header problems raise InputError on line 1."""
    try:
        data = path.read_bytes()  # deployment and incident files are small; decoding whole names the bad line
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}.", path=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"byte {exc.object[exc.start]:#04x} is not UTF-8 text; save the file as CSV UTF-8.",
                         path=str(path), line=data[:exc.start].count(b"\n") + 1) from None
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty; the first line must be the header.", path=str(path), line=1)
            names = _canonical_header(path, header, columns)
            for values in reader:
                if not any(v.strip() for v in values):
                    continue  # blank line
                if len(values) > len(names):
                    raise InputError(f"the row has {len(values)} fields but the header has {len(names)}; quote "
                                     "values that contain commas.", path=str(path), line=reader.line_num)
                yield _Row(path, reader.line_num, dict(zip(names, values, strict=False)))
        except csv.Error as exc:
            raise InputError(f"not valid CSV: {exc}.", path=str(path), line=reader.line_num) from None


def _canonical_header(path: Path, header: list[str], columns: tuple[Column, ...]) -> list[str]:
    alias = {a: c.name for c in columns for a in (c.name, *c.aliases)}
    names = [alias.get(h.strip().lower(), h.strip().lower()) for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen and name in alias.values():
            raise InputError(f"column {name!r} appears twice (an alias counts as the same column).",
                             path=str(path), line=1, field=name)
        seen.add(name)
    for column in columns:
        if column.required and column.name not in seen:
            raise InputError(f"missing column {column.name!r}: {column.meaning} The header has: "
                             f"{', '.join(h.strip() for h in header)}.", path=str(path), line=1, field=column.name)
    if not seen & {"team", "repo", "service"}:
        raise InputError("missing column: the header needs at least one of team, repo, service.",
                         path=str(path), line=1, field="team")
    return names
