"""Typed records every source is normalised into: the boundary between ``connectors`` and ``correlate``.

Each record class names its store table (``TABLE``) and natural key (``KEY``). The store's
migrations create those tables with one column per field (a test keeps the two in step), and
``correlate.store.Store.upsert`` accepts either a list of records or a DataFrame with exactly
these columns, so connectors and the synthetic demo organisation share one write path.

Conventions:
    * timestamps are timezone-aware UTC ``datetime``; ``day`` fields are the source's own day
      (the usage APIs bucket by UTC day and cannot be re-bucketed);
    * a value a source does not have is ``None`` (empty), never 0;
    * durations are seconds; money is US dollars as ``float`` (cents converted at the edge).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, ClassVar

__all__ = [
    "AIEditActions",
    "AIUsageDay",
    "AIUsageModelDay",
    "Deployment",
    "DeploymentChange",
    "DeploymentFailure",
    "Identity",
    "Incident",
    "PullRequest",
    "Record",
    "Review",
    "record_columns",
]


class Record:
    """Marker base: a frozen dataclass with ``TABLE`` and ``KEY``."""

    TABLE: ClassVar[str]
    KEY: ClassVar[tuple[str, ...]]


def record_columns(cls: type[Record]) -> list[str]:
    """Column names of a record type, in declaration order."""
    return [f.name for f in fields(cls)]  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AIUsageDay(Record):
    """One actor's AI-assistant activity on one day, from one ingestion path.

    ``tool`` is the assistant (``claude_code``, ``copilot``, ``cursor``); ``source`` the path it
    came by (``analytics_api``, ``enterprise_api``, ``otel``, ``transcripts``, ``copilot_api``,
    ``cursor_api``, ``demo``). When one actor-day arrives by two paths for the same tool, the
    team x day table takes one by the precedence rule in ``correlate.panel``.
    """

    TABLE: ClassVar[str] = "ai_usage_daily"
    KEY: ClassVar[tuple[str, ...]] = ("tool", "source", "day", "actor")

    tool: str
    source: str
    day: date
    actor: str
    actor_type: str = "user"  # user | api_key | unknown
    sessions: int | None = None
    requests: int | None = None
    active_seconds: float | None = None
    lines_added: int | None = None
    lines_removed: int | None = None
    lines_suggested: int | None = None
    lines_accepted: int | None = None
    commits: int | None = None
    prs: int | None = None
    edit_accepted: int | None = None
    edit_rejected: int | None = None
    tokens_input: int | None = None
    tokens_output: int | None = None
    tokens_cache_read: int | None = None
    tokens_cache_creation: int | None = None
    cost_usd: float | None = None
    cost_provenance: str | None = None  # billed | estimated | discounted | derived | seat | unknown
    customer_type: str | None = None  # api | subscription (Claude Code Analytics API)
    extra_json: str | None = None  # source fields with no shared column, kept verbatim (JSON object)


@dataclass(frozen=True, slots=True)
class AIUsageModelDay(Record):
    """Tokens and cost of one actor on one day for one model (the cost-by-model view)."""

    TABLE: ClassVar[str] = "ai_usage_model_daily"
    KEY: ClassVar[tuple[str, ...]] = ("tool", "source", "day", "actor", "model")

    tool: str
    source: str
    day: date
    actor: str
    model: str
    tokens_input: int | None = None
    tokens_output: int | None = None
    tokens_cache_read: int | None = None
    tokens_cache_creation: int | None = None
    tokens_cache_creation_1h: int | None = None
    requests: int | None = None
    cost_usd: float | None = None
    cost_provenance: str | None = None


@dataclass(frozen=True, slots=True)
class AIEditActions(Record):
    """Accepted and rejected edit proposals of one actor-day per edit tool (``edit_tool``, ``write_tool`` ...)."""

    TABLE: ClassVar[str] = "ai_edit_actions"
    KEY: ClassVar[tuple[str, ...]] = ("tool", "source", "day", "actor", "edit_tool")

    tool: str
    source: str
    day: date
    actor: str
    edit_tool: str
    accepted: int | None = None
    rejected: int | None = None


@dataclass(frozen=True, slots=True)
class PullRequest(Record):
    """A pull request with the timestamps its stages derive from.

    The ``*_s`` durations and flags are derived by ``correlate`` (definitions.md §4) before storing,
    so reports never need the API.
    """

    TABLE: ClassVar[str] = "pull_requests"
    KEY: ClassVar[tuple[str, ...]] = ("repo", "number")

    repo: str
    number: int
    author: str | None
    author_type: str | None = None  # User | Bot | Agent
    title: str | None = None
    state: str | None = None  # open | merged | closed
    is_draft: bool | None = None
    created_at: datetime | None = None
    ready_at: datetime | None = None
    first_commit_at: datetime | None = None
    first_review_at: datetime | None = None
    first_approval_at: datetime | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    size_lines: int | None = None
    merge_commit_sha: str | None = None
    head_sha: str | None = None
    base_branch: str | None = None
    head_branch: str | None = None
    labels: str | None = None  # JSON array of label names
    ai_assisted: bool | None = None
    ai_rule: str | None = None
    ai_tool: str | None = None
    merged_without_review: bool | None = None
    coding_s: float | None = None
    pickup_s: float | None = None
    review_s: float | None = None
    cycle_s: float | None = None
    lifetime_s: float | None = None


@dataclass(frozen=True, slots=True)
class Review(Record):
    """One submitted review on a pull request."""

    TABLE: ClassVar[str] = "reviews"
    KEY: ClassVar[tuple[str, ...]] = ("repo", "number", "review_id")

    repo: str
    number: int
    review_id: str
    author: str | None
    author_type: str | None = None
    state: str | None = None  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    submitted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deployment(Record):
    """A deployment to an environment (successful production ones feed DORA).

    ``team`` is set when the source names it (CSV); otherwise the owner of ``repo`` or ``service``.
    """

    TABLE: ClassVar[str] = "deployments"
    KEY: ClassVar[tuple[str, ...]] = ("source", "deployment_id")

    source: str
    deployment_id: str
    repo: str | None = None
    service: str | None = None
    team: str | None = None
    environment: str | None = None
    sha: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str | None = None  # success | failure | error | in_progress
    kind: str | None = None  # deploy | rollback | revert | hotfix
    is_production: bool | None = None


@dataclass(frozen=True, slots=True)
class Incident(Record):
    """An incident (PagerDuty, GitHub issue with an incident label, CSV) or a bug, owned by a team."""

    TABLE: ClassVar[str] = "incidents"
    KEY: ClassVar[tuple[str, ...]] = ("source", "incident_id")

    source: str
    incident_id: str
    number: int | None = None
    title: str | None = None
    status: str | None = None
    urgency: str | None = None
    priority: str | None = None
    service: str | None = None
    repo: str | None = None
    team: str | None = None
    kind: str | None = None  # incident | bug
    created_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    caused_by_sha: str | None = None
    caused_by_deployment: str | None = None


@dataclass(frozen=True, slots=True)
class DeploymentChange(Record):
    """A merged PR first reaching production in a deployment, with its lead time (definitions.md §3)."""

    TABLE: ClassVar[str] = "deployment_changes"
    KEY: ClassVar[tuple[str, ...]] = ("deployment_source", "deployment_id", "repo", "number")

    deployment_source: str
    deployment_id: str
    repo: str
    number: int
    lead_time_s: float | None = None
    rule: str | None = None  # ancestry | sha | merge_proxy | declared


@dataclass(frozen=True, slots=True)
class DeploymentFailure(Record):
    """A failure linked to a deployment, and the rule that linked it (definitions.md §5)."""

    TABLE: ClassVar[str] = "deployment_failures"
    KEY: ClassVar[tuple[str, ...]] = ("deployment_source", "deployment_id", "incident_source", "incident_id")

    deployment_source: str
    deployment_id: str
    incident_source: str
    incident_id: str
    rule: str | None = None  # explicit | revert | rollback | time_heuristic | declared


@dataclass(frozen=True, slots=True)
class Identity(Record):
    """An identity seen in a source, with how much activity it carries (for the match-rate table)."""

    TABLE: ClassVar[str] = "identities"
    KEY: ClassVar[tuple[str, ...]] = ("source", "identity")

    source: str
    identity: str
    kind: str | None = None  # email | login | api_key | account_uuid | pagerduty_user
    display: str | None = None
    first_seen: date | None = None
    last_seen: date | None = None


def as_dict(record: Record) -> dict[str, Any]:
    """A record as a plain dict (column -> value)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}  # type: ignore[arg-type]
