"""How many GitHub requests does a sync cost? A synthetic repository of 5,000 PRs on a local server.

Runs ``correlate sync --source github`` (``correlate.sync.run_sync``, GraphQL path) against the hand-built GitHub of
``tests/connectors/github/fake_github.py`` (answers are executed against GitHub's recorded schema),
once from an empty store and once more with nothing changed, and counts the HTTP requests the
server received. Deployments come from the merge proxy and no incident labels are configured,
so the figures are the pull-request stream's; ``--with-rest-streams`` adds GitHub Deployments and
labelled issues (one REST list each per repository).

Usage::

    python bench/github_requests.py [--prs 5000] [--seed 1] [--with-rest-streams]

Prints one JSON object: ``requests_per_1000_prs`` (full sync), ``resync_requests_per_repo``
(no-change re-sync), wall times (split into the fake server's time executing queries, which a
real GitHub spends instead, and the client's: PyGithub, derivation, DuckDB), and the counts
behind them. Goals: ≤ 15 and ≤ 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.records import PullRequest  # noqa: E402
from correlate.config import from_mapping  # noqa: E402
from correlate.store import Store  # noqa: E402
from correlate.sync import SyncContext, run_sync  # noqa: E402
from tests.connectors.github.fake_github import (  # noqa: E402
    FakeCommit,
    FakeGitHub,
    FakePR,
    FakeRepo,
    FakeReview,
    schema,
)
from tests.httpserver import serve  # noqa: E402

REPO = "bench/monorepo"


def synthetic_repo(n_prs: int, seed: int) -> FakeRepo:
    """``n_prs`` PRs opened over 300 days up to 10 days ago (so no merge, close or review lies in the future,
    where the store would quarantine it); 1 in 500 has more than 100 reviews or commits (paged separately)."""
    rng = random.Random(seed)
    devs = [f"dev{i:02d}" for i in range(40)]
    now = datetime.now(UTC).replace(microsecond=0)
    pulls = {}
    for number in range(1, n_prs + 1):
        created = now - timedelta(days=310) + timedelta(minutes=int(number * 300 * 24 * 60 / n_prs))
        author = rng.choice(devs)
        big = number % 500 == 0
        n_commits = rng.randint(101, 180) if big and number % 1000 == 0 else rng.randint(1, 6)
        n_reviews = rng.randint(101, 130) if big and number % 1000 != 0 else rng.randint(0, 4)
        merged = created + timedelta(hours=rng.uniform(1, 72)) if rng.random() < 0.85 else None
        closed = merged or (created + timedelta(hours=rng.uniform(1, 200)) if rng.random() < 0.5 else None)
        reviewers = [d for d in devs if d != author]
        pulls[number] = FakePR(
            number=number, author=author, created_at=created,
            updated_at=min(now, (closed or created) + timedelta(minutes=5)), merged_at=merged,
            closed_at=closed if not merged else None, merge_sha=f"{number:040x}" if merged else None,
            additions=rng.randint(1, 800), deletions=rng.randint(0, 300), changed_files=rng.randint(1, 30),
            body="🤖 Generated with [Claude Code](https://claude.com/claude-code)" if rng.random() < 0.2 else "",
            reviews=[FakeReview(number * 1000 + i, rng.choice(reviewers), rng.choice(["APPROVED", "COMMENTED"]),
                                created + timedelta(hours=rng.uniform(0.5, 24))) for i in range(n_reviews)],
            commits=[FakeCommit(f"{number * 1000 + i:040x}", created - timedelta(hours=rng.uniform(0, 48)),
                                "change") for i in range(n_commits)],
        )
    return FakeRepo(REPO, pulls)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prs", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with-rest-streams", action="store_true")
    args = parser.parse_args(argv)

    schema()  # build GitHub's schema once, outside the timings
    repo = synthetic_repo(args.prs, args.seed)
    fake = FakeGitHub([repo], remaining=1_000_000)
    os.environ.setdefault("GITHUB_BENCH_TOKEN", "bench-token")
    with tempfile.TemporaryDirectory() as tmp, serve(fake) as server:
        store_path = Path(tmp) / "bench.duckdb"
        section = {"base_url": server.url, "token_env": "GITHUB_BENCH_TOKEN", "repos": [REPO]}
        if not args.with_rest_streams:
            section.update({"deployments_from": "merges", "incident_labels": [], "bug_labels": []})
        config = from_mapping({"store": {"path": str(store_path)}, "sources": {"github": section}}, path=None)

        start = time.perf_counter()
        with Store.open(store_path) as store:
            run_sync(SyncContext(config, store), ["github"], None)
            stored = store.count(PullRequest)
        full_s = time.perf_counter() - start
        full_requests = len(server.requests)
        full_server_s = fake.busy_s

        start = time.perf_counter()
        with Store.open(store_path) as store:
            run_sync(SyncContext(config, store), ["github"], None)
        resync_s = time.perf_counter() - start
        resync_requests = len(server.requests) - full_requests
        resync_server_s = fake.busy_s - full_server_s

    print(json.dumps({
        "prs": args.prs,
        "prs_stored": stored,
        "full_sync_requests": full_requests,
        "requests_per_1000_prs": round(full_requests * 1000 / args.prs, 2),
        "resync_requests_per_repo": resync_requests,
        "full_sync_wall_s": round(full_s, 2),
        "full_sync_fake_server_s": round(full_server_s, 2),
        "full_sync_client_s": round(full_s - full_server_s, 2),
        "resync_wall_s": round(resync_s, 2),
        "resync_client_s": round(resync_s - resync_server_s, 2),
        "streams": "pull_requests+deployments+issues" if args.with_rest_streams else "pull_requests (merge proxy)",
        "goal": {"requests_per_1000_prs": 15, "resync_requests_per_repo": 1},
    }))


if __name__ == "__main__":
    main()
