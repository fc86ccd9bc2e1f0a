"""Record types only GitHub produces: the commit SHAs behind deployments and pull requests.

They feed DORA lead time by git ancestry (definitions.md §3): a deployment's commits are the ones
the compare API lists between the previous successful production deployment of the repo and this
one, and a PR reaches production in the first deployment that introduced one of its commits (or
its merge commit). Tables are created by ``correlate/migrations/0004_github.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from connectors.records import Record

__all__ = ["DeploymentCommit", "PRComment", "PRCommit", "TeamMember"]


@dataclass(frozen=True, slots=True)
class DeploymentCommit(Record):
    """A commit a production deployment introduced, relative to the repo's previous successful one."""

    TABLE: ClassVar[str] = "deployment_commits"
    KEY: ClassVar[tuple[str, ...]] = ("deployment_source", "deployment_id", "repo", "sha")

    deployment_source: str
    deployment_id: str
    repo: str
    sha: str


@dataclass(frozen=True, slots=True)
class PRCommit(Record):
    """One commit of a pull request, with its authored time and any AI attribution in its message.

    ``ai_tool`` is set when the message carries a tool's trailer (``message_has_ai_trailer``) or the
    commit was authored by a known AI agent account (then ``message_has_ai_trailer`` is False).
    """

    TABLE: ClassVar[str] = "pr_commits"
    KEY: ClassVar[tuple[str, ...]] = ("repo", "number", "sha")

    repo: str
    number: int
    sha: str
    authored_at: datetime | None = None
    message_has_ai_trailer: bool | None = None
    ai_tool: str | None = None


@dataclass(frozen=True, slots=True)
class PRComment(Record):
    """A conversation comment on a pull request: with the reviews, the input of its first-response time.

    Comments without an author (a deleted account) or a time cannot be a response and are not kept.
    """

    TABLE: ClassVar[str] = "pr_comments"
    KEY: ClassVar[tuple[str, ...]] = ("repo", "number", "author", "commented_at")

    repo: str
    number: int
    author: str
    commented_at: datetime
    author_type: str | None = None


@dataclass(frozen=True, slots=True)
class TeamMember(Record):
    """A login in a GitHub organisation team (``[sources.github] import_teams``).

    The config's ``[[teams]]`` mapping wins over these rows wherever both name a login.
    """

    TABLE: ClassVar[str] = "github_team_members"
    KEY: ClassVar[tuple[str, ...]] = ("org", "team", "login")

    org: str
    team: str  # the team's name (unique within an organisation)
    login: str
