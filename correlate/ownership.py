"""Which team owns a repository, a service or a PagerDuty team: the one rule, for Python and for SQL.

The ``[[teams]]`` entries ``repos``, ``services`` and ``pagerduty_teams`` say it. Matching ignores case
and surrounding space.

* **Repositories.** An ``owner/name`` entry owns that repository. A bare ``name`` entry owns a
  repository of that name under *any* owner (``"api"`` matches ``acme/api`` and ``other/api``). An
  ``owner/name`` entry wins over a bare one; between entries of the same kind the first team in the
  config wins (config order is the user's).
* **Services** (incident-tool and deployment services): an entry matches the service's id or its name.
* **PagerDuty teams**: an entry matches the PagerDuty team's id or its name. They only place PagerDuty
  incidents (at sync); a ``service`` column is never matched against them.

SQL reads the same rule through temp tables :func:`register_owners` fills by applying these functions
to every repository and service string the store holds, so a join never re-implements the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from correlate.config import Config
from correlate.store import Store

__all__ = ["owner_rows", "register_owners", "team_of_pagerduty_teams", "team_of_repo", "team_of_service"]


def _key(value: str) -> str:
    return value.strip().lower()


def _repo_index(config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """(owner/name -> team, bare name -> team), the first team in config order winning each key."""
    exact: dict[str, str] = {}
    bare: dict[str, str] = {}
    for team in config.root.teams:
        for entry in team.repos:
            e = _key(entry)
            (exact if "/" in e else bare).setdefault(e, team.name)
    return exact, bare


def _service_index(config: Config, kind: str) -> dict[str, tuple[int, str]]:
    """service (or PagerDuty team) id or name -> (config rank, team), the first team in config order winning."""
    index: dict[str, tuple[int, str]] = {}
    for rank, team in enumerate(config.root.teams):
        for entry in getattr(team, kind):
            if entry and entry.strip():
                index.setdefault(_key(entry), (rank, team.name))
    return index


def _repo_team(index: tuple[dict[str, str], dict[str, str]], repo: str | None) -> str | None:
    if not repo or not repo.strip():
        return None
    exact, bare = index
    full = _key(repo)
    return exact.get(full) or bare.get(full.rsplit("/", 1)[-1])


def _first_team(index: dict[str, tuple[int, str]], keys: Iterable[str | None]) -> str | None:
    found = [index[k] for k in _keys(keys) if k in index]
    return min(found)[1] if found else None


def team_of_repo(config: Config, repo: str | None) -> str | None:
    """The team owning ``repo`` (``owner/name``, or a bare name), or None."""
    return _repo_team(_repo_index(config), repo)


def team_of_service(config: Config, *keys: str | None) -> str | None:
    """The team owning a service given by id and/or name, or None."""
    return _first_team(_service_index(config, "services"), keys)


def team_of_pagerduty_teams(config: Config, teams: Iterable[tuple[str, str | None]]) -> str | None:
    """The configured team matching any of the PagerDuty teams given as (id, name), or None."""
    return _first_team(_service_index(config, "pagerduty_teams"), (k for pair in teams for k in pair))


def _keys(keys: Iterable[str | None]) -> set[str]:
    return {_key(k) for k in keys if k and k.strip()}


def owner_rows(config: Config, repos: Iterable[str], services: Iterable[str]) -> pd.DataFrame:
    """``(kind, key, team)`` for each repository and service string that has an owner; ``key`` is the string
    in lower case (what SQL joins on: ``lower(x.repo)``).

    Repositories named only in the config are included, so a join finds them before any row mentions them.
    """
    config_repos = (r for t in config.root.teams for r in t.repos)
    repo_index, service_index = _repo_index(config), _service_index(config, "services")
    rows = [("repo", k, _repo_team(repo_index, k)) for k in sorted({r.lower() for r in (*repos, *config_repos) if r})]
    rows += [("service", k, _first_team(service_index, [k])) for k in sorted({s.lower() for s in services if s})]
    frame = pd.DataFrame([r for r in rows if r[2] is not None], columns=["kind", "key", "team"])
    return frame.astype("string")


def register_owners(store: Store, config: Config) -> None:
    """Create the temp tables ``_owner(kind, key, team)``, ``_repo_owner(repo, team)`` and
    ``_service_owner(service, team)`` for every repository and service string in the store.

    ``_repo_owner.repo`` is the lower-case repository (join on ``lower(x.repo)``); ``_service_owner``
    holds each service string both as stored and in lower case (join on either).
    """
    store.mapped = None  # these tables may now follow another config than register_mapping's
    seen = store.con.execute("""
        SELECT DISTINCT 'repo' AS kind, repo AS key FROM deployments WHERE repo IS NOT NULL
        UNION SELECT 'repo', repo FROM incidents WHERE repo IS NOT NULL
        UNION SELECT 'repo', repo FROM pull_requests
        UNION SELECT 'service', service FROM deployments WHERE service IS NOT NULL
        UNION SELECT 'service', service FROM incidents WHERE service IS NOT NULL""").fetchall()
    repos = [k for kind, k in seen if kind == "repo"]
    services = [k for kind, k in seen if kind == "service"]
    owners = owner_rows(config, repos, services)
    raw = pd.DataFrame({"service": pd.Series(services, dtype="string")})
    raw["key"] = raw["service"].str.lower()
    con = store.con
    con.register("_owner_df", owners)
    con.register("_service_raw_df", raw)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _owner AS SELECT * FROM _owner_df")
        con.execute("CREATE OR REPLACE TEMP TABLE _repo_owner AS "
                    "SELECT key AS repo, team FROM _owner WHERE kind = 'repo'")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _service_owner AS
            SELECT key AS service, team FROM _owner WHERE kind = 'service'
            UNION
            SELECT r.service, o.team FROM _service_raw_df r JOIN _owner o ON o.kind = 'service' AND o.key = r.key""")
    finally:
        con.unregister("_owner_df")
        con.unregister("_service_raw_df")
