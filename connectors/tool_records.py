"""Record types that only the other AI tools (GitHub Copilot, Cursor) produce.

The shared usage records (:class:`connectors.records.AIUsageDay` and
:class:`~connectors.records.AIUsageModelDay`) carry every tool's activity. What lives here has no
counterpart in Claude Code: Copilot's daily user-teams report, which names the GitHub teams a user
belonged to on a day. Each type names its table (``TABLE``) and natural key (``KEY``) like the records in
:mod:`connectors.records`, so ``Store.upsert`` writes it; its table is created by migration
``0010_tools.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from connectors.records import Record

__all__ = ["CopilotUserTeam"]


@dataclass(frozen=True, slots=True)
class CopilotUserTeam(Record):
    """One (user, team) membership on one day, from Copilot's ``user-teams-1-day`` report.

    ``scope`` is where the report came from (``org:<org>`` or ``enterprise:<enterprise>``). GitHub
    leaves teams with fewer than five Copilot-seated users out of this report, and a user in two teams
    has two rows: summing team rows double-counts such users (see docs/tools.md).
    """

    TABLE: ClassVar[str] = "copilot_user_teams"
    KEY: ClassVar[tuple[str, ...]] = ("scope", "day", "user_id", "team_id")

    scope: str
    day: date
    user_id: int
    team_id: int
    user_login: str | None = None
    team_slug: str | None = None
