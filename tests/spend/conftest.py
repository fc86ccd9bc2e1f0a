"""Fixtures for the spend tests: hand-built stores for single rules, and one planted synthetic world.

The evidence tables of other ingestion paths (``ai_session_daily`` from OTEL/transcripts,
``pr_commits`` from GitHub) are not on main yet: tests build them as DataFrames with those tables'
columns and attach them with ``with_evidence``, the same call the store path makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from connectors.records import AIUsageDay, AIUsageModelDay, PullRequest, Review
from correlate.config import Config, from_mapping
from correlate.demo import generate, load
from correlate.spend.inputs import SpendInputs, load_inputs, with_evidence
from correlate.store import Store
from tests.spend.synthetic import SpendWorld, plant

D = date(2026, 3, 2)  # a Monday
AS_OF = date(2026, 5, 1)


def at(d: date, hour: float = 10) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(hours=hour)


def cfg(**spend: Any) -> Config:
    return from_mapping({
        "teams": [
            {"name": "payments", "members": [["alice@acme.com", "alice-gh"], ["bob@acme.com", "bob-gh"]],
             "repos": ["acme/pay"]},
            {"name": "search", "members": [["carol@acme.com", "carol-gh"]], "repos": ["acme/search"]},
        ],
        "spend": spend,
    }, path=None)


def usage(actor: str, day: date, cost: float, tool: str = "claude_code", source: str = "demo",
          **kw: Any) -> AIUsageDay:
    return AIUsageDay(tool, source, day, actor, cost_usd=cost, **kw)


def pr(number: int, author: str, first: date, ready: date, *, merged: date | None = None, closed: date | None = None,
       size: int = 100, repo: str = "acme/pay", **kw: Any) -> PullRequest:
    done = merged or closed
    return PullRequest(repo, number, author, created_at=at(ready, 9), first_commit_at=at(first, 9),
                       ready_at=at(ready, 9), merged_at=at(merged, 15) if merged else None,
                       closed_at=at(done, 15) if done else None, size_lines=size,
                       state="merged" if merged else ("closed" if closed else "open"), **kw)


def session(actor: str, day: date, sid: str, cost: float, *, branch: str | None = None,
            commits: list[str] | None = None, source: str = "otel", tool: str = "claude_code") -> dict[str, Any]:
    import json

    return {"tool": tool, "source": source, "day": day, "actor": actor, "session_id": sid, "git_branch": branch,
            "cost_usd": cost, "commit_ids": json.dumps(commits) if commits else None}


def commit(repo: str, number: int, sha: str, when: datetime, ai_tool: str | None = None) -> dict[str, Any]:
    return {"repo": repo, "number": number, "sha": sha, "authored_at": when,
            "message_has_ai_trailer": ai_tool is not None, "ai_tool": ai_tool}


@dataclass
class Built:
    store: Store
    config: Config

    def inputs(self, since: date = D, until: date = D + timedelta(days=6), *, sessions: list[dict[str, Any]] | None
               = None, commits: list[dict[str, Any]] | None = None, as_of: date = AS_OF) -> SpendInputs:
        base = load_inputs(self.store, self.config, since, until, as_of=as_of)
        return with_evidence(base, sessions=pd.DataFrame(sessions) if sessions is not None else None,
                             pr_commits=pd.DataFrame(commits) if commits is not None else None)


Build = Callable[..., Built]


@pytest.fixture
def build(store_path: Path) -> Iterator[Build]:
    """``build(usage=[...], prs=[...], reviews=[...], models=[...], **spend)`` -> :class:`Built`."""
    stores: list[Store] = []

    def make(usage: list[AIUsageDay] = (), prs: list[PullRequest] = (), reviews: list[Review] = (),
             models: list[AIUsageModelDay] = (), **spend: Any) -> Built:
        store = Store.open(store_path)
        stores.append(store)
        store.upsert(AIUsageDay, list(usage))
        store.upsert(PullRequest, list(prs))
        store.upsert(Review, list(reviews))
        store.upsert(AIUsageModelDay, list(models))
        return Built(store, cfg(**spend))

    yield make
    for s in stores:
        s.close()


@dataclass
class World:
    """A planted synthetic organisation in a store, and the window where every fate is settled."""

    world: SpendWorld
    store: Store
    config: Config
    since: date
    until: date
    as_of: date

    def inputs(self, config: Config | None = None, *, evidence: bool = True) -> SpendInputs:
        base = load_inputs(self.store, config or self.config, self.since, self.until, as_of=self.as_of)
        if not evidence:
            return base
        return with_evidence(base, sessions=self.world.sessions, pr_commits=self.world.pr_commits)

    def truth(self) -> pd.DataFrame:
        t = self.world.truth
        return t[t["mapped"] & (t["day"] >= self.since) & (t["day"] <= self.until)]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """5 teams, 50 developers, 200 days; the window ends 40 days before the data so fates are settled."""
    org = generate(teams=5, devs=50, days=200, seed=5, end=date(2026, 10, 31))
    planted = plant(org, seed=2)
    store = Store.open(tmp_path_factory.mktemp("spend") / "world.duckdb")
    load(store, planted.org)
    yield World(planted, store, planted.org.config, org.start + timedelta(days=30), org.end - timedelta(days=40),
                org.end)
    store.close()
