"""``correlate.toml``: typed, validated, and free of secrets (it names environment variables).

Every section is a frozen pydantic model that forbids unknown keys, so a typo is a
:class:`~correlate.errors.ConfigError` naming the file and the key instead of a silently ignored
setting. Team membership is expanded here into dated identity rows (:class:`Membership`), the one
mapping every join uses.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from correlate.errors import ConfigError
from correlate.identity import normalize_identity

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "Membership",
    "Secret",
    "load_config",
    "normalize_identity",
]

DEFAULT_CONFIG_PATH = Path("correlate.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The `source` values usage rows carry (connectors.records.AIUsageDay): what [ingest] precedence orders.
USAGE_SOURCES = ("analytics_api", "enterprise_api", "otel", "transcripts", "copilot_api", "cursor_api", "demo")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL; write it like 'https://api.example.com'")
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name (letters, digits and _, not a value: "
                         "secrets live in the environment, the config names the variable)")
    return value


def _repo(value: str) -> str:
    owner, _, name = value.rpartition("/")
    if not name or value.count("/") > 1 or (value.count("/") == 1 and not owner) or value != value.strip():
        raise ValueError(f"{value!r} is not a repository; write 'owner/name' or a bare 'name'")
    return value


def _distinct(values: tuple[Any, ...]) -> tuple[Any, ...]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return values


Url = Annotated[str, AfterValidator(_url)]
EnvName = Annotated[str, AfterValidator(_env_name)]
Repo = Annotated[str, AfterValidator(_repo)]
BackfillDays = Annotated[int, Field(ge=1)]  # days of history the first sync reads
LookbackDays = Annotated[int, Field(ge=0)]  # days re-read before the cursor on every sync
SeatCost = Annotated[float, Field(ge=0)]


class StoreConfig(_Section):
    path: Path = Path("correlate.duckdb")


class CalendarConfig(_Section):
    """What a day is and which days are working days (the denominators of per-working-day rates)."""

    timezone: str = "UTC"
    holidays: str | None = None  # country code for the `holidays` package, e.g. "US", "DE"
    workdays: Annotated[tuple[Annotated[int, Field(ge=0, le=6)], ...], Field(min_length=1),
                        AfterValidator(_distinct)] = (0, 1, 2, 3, 4)  # Monday = 0 ... Sunday = 6

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays  # only when a calendar is configured: the package is large

        if value not in holidays.list_supported_countries():
            hint = f"; did you mean {value.upper()!r}?" if value.upper() in holidays.list_supported_countries() else ""
            raise ValueError(f"{value!r} is not a country the `holidays` package knows (ISO 3166 alpha-2 codes "
                             f"such as 'US', 'DE', 'GB'){hint}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from None
        return value


class MemberEntry(_Section):
    """A person in a team, optionally for a date range (``until`` is exclusive)."""

    ids: tuple[str, ...] = ()
    id: str | None = None
    since: date | None = None
    until: date | None = None

    @model_validator(mode="after")
    def _has_ids(self) -> MemberEntry:
        if not self.ids and not self.id:
            raise ValueError("a member table needs `id` or `ids`")
        if self.since and self.until and self.until <= self.since:
            raise ValueError(f"`until` ({self.until}) is not after `since` ({self.since}): the membership would end "
                             "before it starts (`until` is exclusive)")
        return self

    def all_ids(self) -> tuple[str, ...]:
        return ((self.id,) if self.id else ()) + self.ids


def _member_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list[str]"
    return "MemberEntry" if isinstance(value, (dict, MemberEntry)) else None


# The branch is chosen by the value's shape, so a member table's error (``until`` before ``since``) is
# reported as itself instead of as "not a string", the first branch's complaint.
Member = Annotated[Annotated[str, Tag("str")] | Annotated[list[str], Tag("list[str]")]
                   | Annotated[MemberEntry, Tag("MemberEntry")], Discriminator(
    _member_kind, custom_error_type="member", custom_error_message="a member is an identity (a string), a list of "
    "one person's identities, or a table with `id`/`ids` and optional `since`/`until`")]


class TeamConfig(_Section):
    name: Annotated[str, Field(min_length=1)]
    members: tuple[Member, ...] = ()
    repos: tuple[Repo, ...] = ()
    services: tuple[str, ...] = ()  # incident-tool service ids the team owns
    pagerduty_teams: tuple[str, ...] = ()


class PersonConfig(_Section):
    """Identities that belong to one person (joins an email, a GitHub login and an API-key name)."""

    ids: tuple[str, ...]


class ClaudeCodeSource(_Section):
    base_url: Url = "https://api.anthropic.com"
    api_key_env: EnvName = "ANTHROPIC_ADMIN_KEY"
    backfill_days: BackfillDays = 90


class ClaudeEnterpriseSource(_Section):
    base_url: Url = "https://api.anthropic.com"
    api_key_env: EnvName = "ANTHROPIC_ANALYTICS_KEY"
    backfill_days: BackfillDays = 90


class GitHubSource(_Section):
    base_url: Url = "https://api.github.com"
    token_env: EnvName = "GITHUB_TOKEN"
    repos: tuple[Repo, ...] = ()
    org: str | None = None
    api: Literal["graphql", "rest"] = "graphql"
    deployments_from: Literal["deployments", "releases", "merges"] = "deployments"
    production_environments: tuple[str, ...] = ("production", "prod")
    incident_labels: tuple[str, ...] = ("incident",)
    bug_labels: tuple[str, ...] = ("bug",)
    ai_labels: tuple[str, ...] = ("claude-code-assisted", "ai-assisted")
    bot_logins: tuple[str, ...] = ()
    generated_paths: tuple[str, ...] = ()
    import_teams: bool = False
    lookback_days: LookbackDays = 3
    backfill_days: BackfillDays = 365


class PagerDutySource(_Section):
    base_url: Url = "https://api.pagerduty.com"
    token_env: EnvName = "PAGERDUTY_TOKEN"
    lookback_days: LookbackDays = 14
    backfill_days: BackfillDays = 365


class CopilotSource(_Section):
    base_url: Url = "https://api.github.com"
    token_env: EnvName = "GITHUB_TOKEN"
    org: str | None = None
    enterprise: str | None = None
    seat_cost_usd_per_month: SeatCost | None = None
    backfill_days: BackfillDays = 90


class CursorSource(_Section):
    base_url: Url = "https://api.cursor.com"
    api_key_env: EnvName = "CURSOR_API_KEY"
    seat_cost_usd_per_month: SeatCost | None = None
    backfill_days: BackfillDays = 90


class SourcesConfig(_Section):
    claude_code: ClaudeCodeSource | None = None
    claude_enterprise: ClaudeEnterpriseSource | None = None
    github: GitHubSource | None = None
    pagerduty: PagerDutySource | None = None
    copilot: CopilotSource | None = None
    cursor: CursorSource | None = None


class OtelConfig(_Section):
    token_env: EnvName | None = None
    # resource attribute naming the team, e.g. "team.id"
    team_attribute: Annotated[str, Field(min_length=1)] | None = None
    spool_dir: Path = Path("otlp-spool")
    max_body_bytes: Annotated[int, Field(ge=1)] = 64 * 1024 * 1024  # per request, after decompression


class IngestConfig(_Section):
    # When one actor-day of one tool arrives by several paths, the first source listed wins.
    precedence: tuple[str, ...] = ("analytics_api", "enterprise_api", "otel", "transcripts", "copilot_api",
                                   "cursor_api", "demo")
    # Event times outside [plausible_since, plausible_until] are quarantined, not stored (correlate/plausible.py);
    # no plausible_until means tomorrow.
    plausible_since: date = date(2015, 1, 1)
    plausible_until: date | None = None

    @field_validator("precedence")
    @classmethod
    def _known_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in USAGE_SOURCES]
        if unknown:
            raise ValueError(f"unknown source {', '.join(map(repr, unknown))}; the usage sources are "
                             f"{', '.join(USAGE_SOURCES)}")
        return _distinct(value)

    @model_validator(mode="after")
    def _window_in_order(self) -> IngestConfig:
        if self.plausible_until is not None and self.plausible_until < self.plausible_since:
            raise ValueError(f"`plausible_until` ({self.plausible_until}) is before `plausible_since` "
                             f"({self.plausible_since})")
        return self


class ReportConfig(_Section):
    min_group_size: Annotated[int, Field(ge=1)] = 5
    # the PDF's and the print stylesheet's page size; None: from the locale, else Letter (correlate/report/paper.py)
    paper: Literal["A4", "Letter"] | None = None
    primary_outcomes: tuple[str, ...] = ("pr_cycle_time_h", "prs_merged_per_dev_week", "change_failure_rate",
                                         "deployments_per_week")
    # printed on every report (monthly, compare); unset: "Your organisation"
    organisation: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("primary_outcomes")
    @classmethod
    def _modelled_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from correlate.metrics.catalogue import outcomes

        known = [m.name for m in outcomes()]
        if not value:  # page one would have no answer at all
            raise ValueError(f"name at least one outcome; choose from {', '.join(known)}")
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} is not an outcome the statistics model; choose from "
                             f"{', '.join(known)}")
        return _distinct(value)


class AnalysisConfig(_Section):
    adoption_threshold: Annotated[float, Field(gt=0, le=1)] = 0.5
    adoption_sustain: tuple[int, int] = (2, 3)  # threshold met in >= 2 of the next 3 weeks
    control_group: Literal["never", "not_yet"] = "not_yet"
    anticipation_weeks: Annotated[int, Field(ge=0)] = 0
    maturity_days: Annotated[int, Field(ge=1)] | None = None  # None: the pre-period p90 of cycle time
    bootstrap_reps: Annotated[int, Field(ge=99)] = 999
    seed: int = 1

    @field_validator("adoption_sustain")
    @classmethod
    def _sustain(cls, value: tuple[int, int]) -> tuple[int, int]:
        k, m = value
        if m < 1 or not 0 <= k <= m:
            raise ValueError(f"[{k}, {m}] means 'the share stays at or above the threshold in at least {k} of the "
                             f"next {m} weeks': it needs 0 <= {k} <= {m} and at least 1 week to look at "
                             "(the default [2, 3]: 2 of the next 3)")
        return value


class DoraConfig(_Section):
    year: Literal[2021, 2023] = 2023
    # time heuristic (definitions.md §5.3): an incident goes to the last successful production deploy of its
    # service/repo/team that finished at most this long before it started; older deploys are not blamed.
    failure_window_hours: Annotated[float, Field(gt=0)] = 168.0


class PricesConfig(_Section):
    file: Path | None = None


class SpendConfig(_Section):
    """Thresholds of the token-intelligence classes (correlate/spend); every one is printed in the report."""

    # a follow-up fix PR within N days of the merge marks the PR as troubled (not DORA's deployment rework);
    # ``rework_days``, its old name, is still read
    follow_up_days: Annotated[int, Field(ge=0, validation_alias=AliasChoices("follow_up_days", "rework_days"))] = 14
    wasteful_days: Annotated[int, Field(ge=0)] = 14  # git activity in no PR after N days is wasteful
    review_rounds: Annotated[int, Field(ge=1)] = 2  # >= N changes-requested reviews marks the PR as troubled
    # PR size (lines) bucket edges for "similar size", strictly increasing
    size_buckets: Annotated[tuple[Annotated[int, Field(ge=1)], ...], Field(min_length=1)] = (50, 200, 800)
    inefficiency_multiple: Annotated[float, Field(gt=0)] | None = 2.0  # cost above k x median is inefficient
    min_evidence_prs: Annotated[int, Field(ge=1)] = 5  # PRs behind a median or a recommendation
    min_evidence_usd: Annotated[float, Field(ge=0)] = 50.0  # spend behind a recommendation
    min_evidence_share: Annotated[float, Field(ge=0, le=1)] = 0.10  # share change a recommendation must show
    small_pr_lines: Annotated[int, Field(ge=1)] = 50  # "small PR" for the model-mix view
    rising_cost_per_commit: Annotated[float, Field(gt=0)] = 0.25  # flag a 25 % rise not matched by PR size
    # non-interactive actors whose spend could use the Batch API (actor types: user, api_key, unknown)
    batch_actor_types: tuple[Literal["user", "api_key", "unknown"], ...] = ("api_key",)

    @field_validator("size_buckets")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError(f"bucket edges {list(value)} must increase, e.g. [50, 200, 800]")
        return value


class _Root(_Section):
    store: StoreConfig = StoreConfig()
    calendar: CalendarConfig = CalendarConfig()
    teams: tuple[TeamConfig, ...] = ()
    people: tuple[PersonConfig, ...] = ()
    sources: SourcesConfig = SourcesConfig()
    otel: OtelConfig = OtelConfig()
    ingest: IngestConfig = IngestConfig()
    report: ReportConfig = ReportConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    dora: DoraConfig = DoraConfig()
    prices: PricesConfig = PricesConfig()
    spend: SpendConfig = SpendConfig()


class Secret:
    """A secret read from the environment; its repr and str never show the value."""

    __slots__ = ("_value", "env_var")

    def __init__(self, value: str, env_var: str) -> None:
        self._value = value
        self.env_var = env_var

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(${self.env_var}=***)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Membership:
    """One identity of one person in one team over ``[since, until)`` (``None`` = open)."""

    team: str
    person: str
    identity: str
    since: date | None
    until: date | None


@dataclass(frozen=True)
class Config:
    """A loaded configuration. ``root`` is the validated file; paths are resolved against its folder."""

    root: _Root
    path: Path | None
    memberships: tuple[Membership, ...]

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def store_path(self) -> Path:
        p = self.root.store.path
        return p if p.is_absolute() else self.base_dir / p

    @property
    def timezone(self) -> str:
        return self.root.calendar.timezone

    @property
    def team_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.root.teams)

    def resolve(self, p: Path) -> Path:
        return p if p.is_absolute() else self.base_dir / p

    def secret(self, env_var: str, *, what: str) -> Secret:
        """Read a secret from the environment, or raise a ConfigError naming the variable (never a value)."""
        value = os.environ.get(env_var, "")
        if not value.strip():
            raise ConfigError(
                f"environment variable {env_var} is not set; it should hold {what}. "
                f"Export it (export {env_var}=...) or name another variable in the config.",
                path=str(self.path) if self.path else None,
            )
        return Secret(value.strip(), env_var)


def load_config(path: Path | str | None = None, *, required: bool = True) -> Config:
    """Load and validate ``correlate.toml``.

    Args:
        path: the file; ``None`` means ``./correlate.toml``.
        required: when False and the file is absent, return the defaults (``correlate demo``).

    Raises:
        ConfigError: missing file, TOML syntax error, unknown key, wrong type, duplicate team, or a
            person in two teams on the same dates.
    """
    p = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    if not p.exists():
        if required:
            raise ConfigError(
                "config file not found. Create one from examples/correlate.toml, pass --config PATH, "
                "or try `correlate demo`, which writes one.",
                path=str(p),
            )
        return from_mapping({}, path=None)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}. Fix the syntax at that line.", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(p)) from None
    return from_mapping(data, path=p.resolve())


def from_mapping(data: dict[str, Any], *, path: Path | None) -> Config:
    """Validate an already-parsed mapping (used by ``load_config`` and by tests)."""
    where = str(path) if path else "<config>"
    try:
        root = _Root.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _dotted(err["loc"], data)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = f"unknown key `{key}`. Check the spelling against examples/correlate.toml (README lists every key)."
        elif kind == "missing":
            msg = f"required key `{key}` is missing."
        else:
            text = str(err["msg"]).removeprefix("Value error, ")  # a validator's own sentence needs no label
            msg = f"`{key}`: {text}" + ("" if text.endswith((".", "?")) else ".")
            # correlate's own validators quote the value they reject; pydantic's do not
            if kind != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
                msg += f" Got {err['input']!r}."
        more = len(exc.errors()) - 1
        if more:
            msg += f" ({more} more problem{'s' if more > 1 else ''} after this one.)"
        raise ConfigError(msg, path=where, key=key.split(".")[0]) from None
    memberships = _expand_memberships(root, where)
    return Config(root=root, path=path, memberships=memberships)


def _dotted(loc: Iterable[int | str], data: Any) -> str:
    """pydantic's error location as a config path, with team names instead of list indexes."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and item < len(node) and isinstance(
                node[item], dict) else None
            parts[-1] = f"{parts[-1]}[{name or item}]" if parts else f"[{item}]"
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            if item in {"str", "list[str]", "MemberEntry"}:
                continue  # union branch names add nothing for a reader
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _expand_memberships(root: _Root, where: str) -> tuple[Membership, ...]:
    person_of: dict[str, str] = {}
    for person in root.people:
        key = normalize_identity(person.ids[0]) if person.ids else ""
        for ident in person.ids:
            person_of[normalize_identity(ident)] = key

    seen_teams: set[str] = set()
    rows: list[Membership] = []
    for team in root.teams:
        if team.name in seen_teams:
            raise ConfigError(f"team {team.name!r} is defined twice; merge the two [[teams]] entries.",
                              path=where, key="teams")
        seen_teams.add(team.name)
        for member in team.members:
            ids: tuple[str, ...]
            if isinstance(member, str):
                ids, since, until = (member,), None, None
            elif isinstance(member, list):
                ids, since, until = tuple(member), None, None
            else:
                ids, since, until = member.all_ids(), member.since, member.until
            normalized = [normalize_identity(i) for i in ids if i.strip()]
            if not normalized:
                raise ConfigError(f"team {team.name!r} has an empty member entry.", path=where, key="teams")
            person_key = next((person_of[i] for i in normalized if i in person_of), normalized[0])
            for ident in dict.fromkeys(normalized):
                rows.append(Membership(team.name, person_key, ident, since, until))
            # every identity the [[people]] entry knows for this person belongs to the team too
            for ident, owner in person_of.items():
                if owner == person_key and ident not in normalized:
                    rows.append(Membership(team.name, person_key, ident, since, until))

    _check_overlaps(rows, where)
    return tuple(dict.fromkeys(rows))


def _check_overlaps(rows: list[Membership], where: str) -> None:
    by_identity: dict[str, list[Membership]] = {}
    for row in rows:
        by_identity.setdefault(row.identity, []).append(row)
    for ident, entries in by_identity.items():
        for i, a in enumerate(entries):
            for b in entries[i + 1:]:
                if a.team == b.team and (a.since, a.until) == (b.since, b.until):
                    continue
                if _overlap(a, b):
                    span = _span(a, b)
                    raise ConfigError(
                        f"{ident!r} is a member of both {a.team!r} and {b.team!r} {span}. A person belongs to one "
                        "team at a time: give the memberships `since`/`until` dates that do not overlap.",
                        path=where,
                        key="teams",
                    )


def _overlap(a: Membership, b: Membership) -> bool:
    lo = max(a.since or date.min, b.since or date.min)
    hi = min(a.until or date.max, b.until or date.max)
    return lo < hi


def _span(a: Membership, b: Membership) -> str:
    lo = max(a.since or date.min, b.since or date.min)
    hi = min(a.until or date.max, b.until or date.max)
    if lo == date.min and hi == date.max:
        return "at the same time (neither membership has dates)"
    return f"between {'the start' if lo == date.min else lo} and {'now' if hi == date.max else hi}"
