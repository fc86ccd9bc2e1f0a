"""Records only the Claude Enterprise Analytics API supplies: org-wide skill and connector use per day.

Claude Code per-user metrics and cost from that API use the shared records in
:mod:`connectors.records` (``AIUsageDay`` and friends, ``source="enterprise_api"``); these two
tables hold what has no counterpart in other sources. Tables come from migration
``0003_claude_enterprise.sql``; a test keeps fields and columns in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from connectors.records import Record

__all__ = ["EnterpriseConnectorDay", "EnterpriseSkillDay"]


@dataclass(frozen=True, slots=True)
class EnterpriseSkillDay(Record):
    """Use of one skill across the organisation on one UTC day (``/analytics/skills``).

    ``skill_name`` is an opaque id for private skills; ``skill_display_name`` is for people.
    Distinct counts are the API's own (a skill counts only when explicitly activated).
    """

    TABLE: ClassVar[str] = "claude_enterprise_skill_daily"
    KEY: ClassVar[tuple[str, ...]] = ("source", "day", "skill_name")

    source: str
    day: date
    skill_name: str
    skill_display_name: str | None = None
    distinct_user_count: int | None = None
    invocation_count: int | None = None
    chat_conversations: int | None = None  # chat_metrics.distinct_conversation_skill_used_count
    claude_code_sessions: int | None = None  # claude_code_metrics.distinct_session_skill_used_count
    cowork_sessions: int | None = None  # cowork_metrics.distinct_session_skill_used_count
    share_status: str | None = None
    extra_json: str | None = None  # other fields verbatim (JSON object)


@dataclass(frozen=True, slots=True)
class EnterpriseConnectorDay(Record):
    """Use of one (normalised) MCP connector across the organisation on one UTC day (``/analytics/connectors``).

    The call counts are ``None`` where the API cannot state them (before 2026-05-29, or the
    read/write split is not enabled), never 0.
    """

    TABLE: ClassVar[str] = "claude_enterprise_connector_daily"
    KEY: ClassVar[tuple[str, ...]] = ("source", "day", "connector_name")

    source: str
    day: date
    connector_name: str
    connector_display_name: str | None = None
    distinct_user_count: int | None = None
    chat_conversations: int | None = None  # chat_metrics.distinct_conversation_connector_used_count
    claude_code_sessions: int | None = None  # claude_code_metrics.distinct_session_connector_used_count
    cowork_sessions: int | None = None  # cowork_metrics.distinct_session_connector_used_count
    read_call_count: int | None = None
    write_call_count: int | None = None
    unclassified_call_count: int | None = None
    extra_json: str | None = None
