"""Reading the spend and its evidence from the store, including evidence tables from other ingestion paths.

``ai_session_daily`` (migration 0007, OTEL/transcripts) and ``pr_commits`` (migration 0004, GitHub) are
not on this branch's migrations yet; the test creates them with their published columns
(``IF NOT EXISTS``, so it keeps working once those migrations land) to check that ``load_inputs``
finds them through ``information_schema`` and that the store path links through them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from correlate.spend import classify_window
from tests.spend.conftest import Build, D, at, pr, usage

SESSIONS_DDL = """
CREATE TABLE IF NOT EXISTS ai_session_daily (
    tool VARCHAR NOT NULL, source VARCHAR NOT NULL, day DATE NOT NULL, actor VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL, team VARCHAR, git_branch VARCHAR, first_at TIMESTAMPTZ, last_at TIMESTAMPTZ,
    requests BIGINT, tokens_input BIGINT, tokens_output BIGINT, tokens_cache_read BIGINT,
    tokens_cache_creation BIGINT, cost_usd DOUBLE, cost_provenance VARCHAR, models VARCHAR, commit_ids VARCHAR,
    lines_added BIGINT, lines_removed BIGINT, PRIMARY KEY (tool, source, day, actor, session_id))
"""
COMMITS_DDL = """
CREATE TABLE IF NOT EXISTS pr_commits (
    repo VARCHAR NOT NULL, number BIGINT NOT NULL, sha VARCHAR NOT NULL, authored_at TIMESTAMPTZ,
    message_has_ai_trailer BOOLEAN, ai_tool VARCHAR, PRIMARY KEY (repo, number, sha))
"""


def test_without_evidence_tables_the_store_path_uses_the_author_day_rule(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)], prs=[pr(1, "alice-gh", D, D, merged=D)])
    inputs, c = classify_window(b.store, b.config, D, D)
    assert inputs.sessions is None and inputs.pr_commits is None
    assert set(c.detail["rule"]) == {"author_day"}


def test_evidence_tables_in_the_store_are_found_and_used(build: Build) -> None:
    b = build(usage=[usage("alice@acme.com", D, 10.0)],
              prs=[pr(1, "alice-gh", D, D, merged=D + timedelta(days=1)), pr(2, "alice-gh", D, D, size=900)])
    con = b.store.con
    con.execute(SESSIONS_DDL)
    con.execute(COMMITS_DDL)
    sha = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    con.execute("INSERT INTO pr_commits VALUES (?, ?, ?, ?, ?, ?)", ["acme/pay", 1, sha, at(D), True, "claude_code"])
    con.execute("INSERT INTO ai_session_daily (tool, source, day, actor, session_id, git_branch, cost_usd, "
                "commit_ids) VALUES ('claude_code', 'otel', ?, 'alice@acme.com', 's1', 'alice/x', 6.0, ?)",
                [D, f'["{sha[:7]}"]'])
    inputs, c = classify_window(b.store, b.config, D, D)
    assert inputs.sessions is not None and len(inputs.sessions) == 1
    by_rule = c.detail.groupby("rule")["cost_usd"].sum()
    assert by_rule["session_commit"] == pytest.approx(6.0)
    assert by_rule["co_authored"] == pytest.approx(4.0)  # the rest: alice's co-authored commit that day
    assert c.links.rule_shares()["author_day"] == 0.0
