"""GitHub's own record types and their tables (migration 0004) stay in step; the store upserts them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.github.records import DeploymentCommit, PRCommit, TeamMember
from connectors.records import Record, record_columns
from correlate.store import Store


@pytest.mark.parametrize("record_type", [DeploymentCommit, PRCommit, TeamMember])
def test_table_columns_match_record_fields(store_path: Path, record_type: type[Record]) -> None:
    with Store.open(store_path) as store:
        columns = store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [record_type.TABLE])["column_name"].tolist()
    assert columns == record_columns(record_type)


def test_upsert_is_idempotent_on_the_key(store_path: Path) -> None:
    row = PRCommit("a/b", 1, "f" * 40, datetime(2026, 1, 1, tzinfo=UTC), True, "claude_code")
    with Store.open(store_path) as store:
        store.upsert(PRCommit, [row])
        store.upsert(PRCommit, [PRCommit("a/b", 1, "f" * 40, row.authored_at, False, None)])
        got = store.query("SELECT * FROM pr_commits")
    assert len(got) == 1 and bool(got.message_has_ai_trailer[0]) is False
