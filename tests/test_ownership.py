"""One ownership rule (correlate.ownership): bare names match any owner, owner/name wins, case is ignored,
and SQL joins give the same owner as Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.records import Deployment, Incident
from correlate.config import Config, from_mapping
from correlate.ownership import register_owners, team_of_pagerduty_teams, team_of_repo, team_of_service
from correlate.store import Store


def config(*teams: dict[str, Any]) -> Config:
    return from_mapping({"teams": list(teams)}, path=None)


CFG = config(
    {"name": "wildcard", "repos": ["api"], "services": ["Checkout"]},
    {"name": "exact", "repos": ["Acme/API", "acme/web"], "services": ["PABC123"], "pagerduty_teams": ["PTEAM1"]},
    {"name": "late", "repos": ["acme/web", "tools"]},
)


@pytest.mark.parametrize(("repo", "team"), [
    ("acme/api", "exact"),  # owner/name wins over the earlier team's bare "api"
    ("ACME/Api", "exact"),  # case does not matter
    ("other/api", "wildcard"),  # a bare name matches the repository under any owner
    ("api", "wildcard"),
    ("acme/web", "exact"),  # two exact entries: the first team in the config wins
    ("someone/tools", "late"),
    ("acme/unknown", None),
    ("apis/other", None),  # a bare name matches the name, not a prefix or the owner
    ("", None),
    (None, None),
])
def test_who_owns_a_repository(repo: str | None, team: str | None) -> None:
    assert team_of_repo(CFG, repo) == team


def test_services_and_pagerduty_teams_match_id_or_name_without_case() -> None:
    assert team_of_service(CFG, "pabc123") == "exact"
    assert team_of_service(CFG, "P999", "checkout") == "wildcard"  # by name when the id is not listed
    assert team_of_service(CFG, None, "nothing") is None
    assert team_of_pagerduty_teams(CFG, [("ptx", None), ("pteam1", "Payments")]) == "exact"
    assert team_of_service(CFG, "PTEAM1") is None  # a PagerDuty team is not a service


def test_sql_joins_find_the_owner_python_finds(store_path: Path) -> None:
    repos = ["acme/api", "ACME/Api", "other/api", "acme/web", "someone/tools", "acme/unknown"]
    services = ["checkout", "Checkout", "PABC123", "pteam1"]
    with Store.open(store_path) as store:
        store.upsert(Deployment, [Deployment("csv", f"d{i}", repo=r) for i, r in enumerate(repos)])
        store.upsert(Incident, [Incident("csv", f"i{i}", service=s) for i, s in enumerate(services)])
        register_owners(store, CFG)
        joined = store.con.execute("SELECT d.repo, ro.team FROM deployments d "
                                   "LEFT JOIN _repo_owner ro ON ro.repo = lower(d.repo)").fetchall()
        by_repo = dict(joined)
        by_service = dict(store.con.execute("SELECT i.service, so.team FROM incidents i "
                                            "LEFT JOIN _service_owner so ON so.service = i.service").fetchall())
    assert len(joined) == len(repos)  # a repository two teams list still joins one owner
    assert by_repo == {r: team_of_repo(CFG, r) for r in repos}
    assert by_service == {s: team_of_service(CFG, s) for s in services}
