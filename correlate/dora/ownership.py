"""Who owns a repo, a service or a PagerDuty team: the ``[[teams]]`` ``repos``/``services``/``pagerduty_teams`` map.

Matching is case-insensitive. A repo entry without an owner (``"api"``) matches that repo name
in any organisation; a service or PagerDuty-team entry matches either the id or the name. When
two teams claim the same thing, the first team in the config wins (config order is the user's).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from correlate.config import Config

__all__ = ["ownership_frame", "team_of_pagerduty_teams", "team_of_repo", "team_of_service"]


def team_of_repo(config: Config, repo: str | None) -> str | None:
    """The team owning ``repo`` ("owner/name"), or None."""
    if not repo:
        return None
    full = repo.strip().lower()
    name = full.rsplit("/", 1)[-1]
    for team in config.root.teams:
        for entry in team.repos:
            e = entry.strip().lower()
            if e == full or ("/" not in e and e == name):
                return team.name
    return None


def team_of_service(config: Config, *keys: str | None) -> str | None:
    """The team owning a service given by id and/or name, or None."""
    wanted = _norm(keys)
    for team in config.root.teams:
        if wanted & _norm(team.services):
            return team.name
    return None


def team_of_pagerduty_teams(config: Config, teams: Iterable[tuple[str, str | None]]) -> str | None:
    """The configured team matching any of the PagerDuty teams (id, name), or None."""
    wanted = _norm(k for pair in teams for k in pair)
    for team in config.root.teams:
        if wanted & _norm(team.pagerduty_teams):
            return team.name
    return None


def ownership_frame(config: Config) -> pd.DataFrame:
    """(kind, key, team, rank) rows, lower-cased keys, for joins in SQL; ``rank`` is config order."""
    rows = []
    for rank, team in enumerate(config.root.teams):
        rows += [("repo", r.strip().lower(), team.name, rank) for r in team.repos]
        rows += [("service", s.strip().lower(), team.name, rank) for s in team.services]
    return pd.DataFrame(rows, columns=["kind", "key", "team", "rank"]).astype(
        {"kind": "string", "key": "string", "team": "string", "rank": "int64"})


def _norm(keys: Iterable[str | None]) -> set[str]:
    return {k.strip().lower() for k in keys if k and k.strip()}
