"""Small builders for DORA tests: a config with teams, and records with readable defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.records import Deployment, Incident, PullRequest
from correlate.config import Config, from_mapping

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(hours: float = 0.0, days: float = 0.0) -> datetime:
    """T0 plus an offset: tests read as a timeline."""
    return T0 + timedelta(hours=hours, days=days)


def config(**dora: Any) -> Config:
    return from_mapping({
        "teams": [
            {"name": "payments", "repos": ["acme/api"], "services": ["PSVC1", "checkout"]},
            {"name": "web", "repos": ["acme/web"], "services": ["frontend"], "pagerduty_teams": ["PTWEB"]},
        ],
        "dora": dora,
    }, path=None)


def pr(number: int, merged: datetime, sha: str, first_commit: datetime | None, repo: str = "acme/api") -> PullRequest:
    return PullRequest(repo=repo, number=number, author="dev", state="merged", merged_at=merged,
                       first_commit_at=first_commit, merge_commit_sha=sha)


def deploy(dep_id: str, finished: datetime, *, sha: str | None = None, repo: str | None = "acme/api",
           service: str | None = None, team: str | None = None, kind: str = "deploy", status: str = "success",
           environment: str = "production", source: str = "csv", started: datetime | None = None) -> Deployment:
    return Deployment(source=source, deployment_id=dep_id, repo=repo, service=service, team=team,
                      environment=environment, sha=sha, started_at=started or finished - timedelta(minutes=10),
                      finished_at=finished, status=status, kind=kind,
                      is_production=environment in ("production", "prod"))


def incident(inc_id: str, created: datetime, resolved: datetime | None = None, *, service: str | None = None,
             repo: str | None = None, team: str | None = None, kind: str = "incident", sha: str | None = None,
             deployment: str | None = None, source: str = "csv") -> Incident:
    return Incident(source=source, incident_id=inc_id, service=service, repo=repo, team=team, kind=kind,
                    created_at=created, resolved_at=resolved, status="resolved" if resolved else "triggered",
                    caused_by_sha=sha, caused_by_deployment=deployment)
