"""GitHub delivery data through PyGithub: pull requests (GraphQL bulk or REST), deployments, issues, teams.

Modules, one job each:
    * ``client``      — the PyGithub client (base URL, token, visible retries) and error mapping;
    * ``graphql``     — runs the query files in ``queries/`` and maps GraphQL ``errors``;
    * ``pulls``       — pull-request pages through GraphQL, nested lists paginated to the end;
    * ``rest``        — the REST fallback for PRs, and deployments, releases, comparisons, issues, teams;
    * ``attribution`` — AI attribution evidence in text and author accounts;
    * ``records``     — GitHub-only record types (deployment and PR commit SHAs).
"""

from connectors.github.client import connect, translate_errors
from connectors.github.pulls import Activity, PullRequestPage, fetch_pull_requests
from connectors.github.records import DeploymentCommit, PRCommit, TeamMember
from connectors.github.rest import (
    deployment_commits,
    fetch_deployments,
    fetch_incident_issues,
    fetch_pull_requests_rest,
    fetch_releases,
    fetch_team_members,
    list_org_repos,
)

__all__ = [
    "Activity",
    "DeploymentCommit",
    "PRCommit",
    "PullRequestPage",
    "TeamMember",
    "connect",
    "deployment_commits",
    "fetch_deployments",
    "fetch_incident_issues",
    "fetch_pull_requests",
    "fetch_pull_requests_rest",
    "fetch_releases",
    "fetch_team_members",
    "list_org_repos",
    "translate_errors",
]
