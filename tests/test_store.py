"""The store: migrations, idempotent upserts, and cursors that never move without their rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors import records
from connectors.records import AIUsageDay, PullRequest, Record
from correlate.errors import StoreError
from correlate.store import SCHEMA_VERSION, Store

RECORD_TYPES = [getattr(records, n) for n in records.__all__
                if isinstance(getattr(records, n), type) and dataclasses.is_dataclass(getattr(records, n))]


def usage(actor: str, sessions: int, day: date = date(2026, 3, 2)) -> AIUsageDay:
    return AIUsageDay("claude_code", "analytics_api", day, actor, sessions=sessions, cost_usd=1.25)


def test_a_new_store_is_migrated_to_the_latest_version(store_path: Path) -> None:
    with Store.open(store_path) as store:
        assert store.version() == SCHEMA_VERSION
    with Store.open(store_path) as store:  # reopening applies nothing twice
        assert store.migrate() == []


def test_a_migration_numbered_below_the_store_s_newest_is_still_applied(store_path: Path) -> None:
    # migrations are numbered by the work that added them, so 0015 landed after 0018: a store that had
    # 18 but not 15 (built between the two) must get 15, not be judged up to date by its highest number
    with Store.open(store_path) as store:
        store.con.execute("DROP TABLE quarantine; DROP TABLE pr_comments; "
                          "DELETE FROM schema_version WHERE version = 15")
    with Store.open(store_path) as store:
        assert store.migrate() == []  # applied on open already
        assert 15 in store.applied_versions()
        assert store.one("SELECT count(*) FROM quarantine") == (0,)


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_record_type_has_a_table_with_exactly_its_columns(store_path: Path, record_type: type[Record]) -> None:
    with Store.open(store_path) as store:
        cols = store.query(f"SELECT column_name FROM information_schema.columns WHERE table_name = "
                           f"'{record_type.TABLE}' ORDER BY ordinal_position")["column_name"].tolist()
    assert cols == records.record_columns(record_type)


def test_upserting_the_same_records_twice_leaves_the_same_store(store_path: Path) -> None:
    rows = [usage("a@x.com", 3), usage("b@x.com", 4)]
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, rows)
        first = store.query("SELECT * FROM ai_usage_daily ORDER BY actor")
        store.upsert(AIUsageDay, rows)
        second = store.query("SELECT * FROM ai_usage_daily ORDER BY actor")
    assert len(first) == 2
    assert first.equals(second)


def test_an_upsert_replaces_a_row_by_its_natural_key(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [usage("a@x.com", 3)])
        store.upsert(AIUsageDay, [usage("a@x.com", 9)])
        assert store.query("SELECT sessions FROM ai_usage_daily")["sessions"].tolist() == [9]


def test_within_one_batch_the_last_row_for_a_key_wins(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [usage("a@x.com", 3), usage("a@x.com", 5)])
        assert store.query("SELECT sessions FROM ai_usage_daily")["sessions"].tolist() == [5]


def test_a_cursor_is_written_with_its_rows_or_not_at_all(store_path: Path) -> None:
    with Store.open(store_path) as store:
        with store.transaction():
            store.upsert(AIUsageDay, [usage("a@x.com", 1)])
            store.set_cursor("claude_code", "usage", "", "2026-03-02")
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert(AIUsageDay, [usage("b@x.com", 1, date(2026, 3, 3))])
            store.set_cursor("claude_code", "usage", "", "2026-03-03")
            raise RuntimeError("the fetch of the next page failed")
        assert store.get_cursor("claude_code", "usage") == "2026-03-02"
        assert store.count(AIUsageDay) == 1


def test_a_cursor_survives_reopening(store_path: Path) -> None:
    with Store.open(store_path) as store, store.transaction():
        store.upsert(AIUsageDay, [usage("a@x.com", 1)])
        store.set_cursor("github", "pull_requests", "acme/api", "2026-03-02T10:00:00Z")
    with Store.open(store_path) as store:
        assert store.get_cursor("github", "pull_requests", "acme/api") == "2026-03-02T10:00:00Z"


def test_replace_restates_a_partition(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.upsert(AIUsageDay, [usage("a@x.com", 1), usage("gone@x.com", 1)])
        store.replace(AIUsageDay, {"source": "analytics_api", "day": date(2026, 3, 2)}, [usage("a@x.com", 2)])
        assert store.query("SELECT actor, sessions FROM ai_usage_daily").values.tolist() == [["a@x.com", 2]]


def test_timestamps_keep_their_instant(store_path: Path) -> None:
    t = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    with Store.open(store_path) as store:
        store.upsert(PullRequest, [PullRequest("acme/api", 1, "bob", created_at=t)])
        got = store.query("SELECT created_at FROM pull_requests")["created_at"].iloc[0]
    assert got.to_pydatetime() == t


def test_a_frame_with_an_unknown_column_is_refused(store_path: Path) -> None:
    import pandas as pd

    with Store.open(store_path) as store, pytest.raises(StoreError, match="unexpected columns"):
        store.upsert(AIUsageDay, pd.DataFrame({"tool": ["x"], "source": ["y"], "day": [date(2026, 1, 1)],
                                               "actor": ["a"], "sesions": [1]}))


def test_a_store_from_a_newer_correlate_is_refused(store_path: Path) -> None:
    with Store.open(store_path) as store:
        store.con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    with pytest.raises(StoreError, match="newer than this correlate"):
        Store.open(store_path)


def test_every_table_holds_one_row_per_natural_key_after_repeated_upserts(store_path: Path) -> None:
    from correlate.demo import generate, load

    org = generate(teams=3, devs=20, days=30, seed=2)
    with Store.open(store_path) as store:
        load(store, org)
        load(store, org)
        for record_type in RECORD_TYPES:
            keys = ", ".join(record_type.KEY)
            total, distinct = store.con.execute(
                f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {record_type.TABLE})) "
                f"FROM {record_type.TABLE}").fetchone()
            assert total == distinct, record_type.TABLE
        assert store.count(PullRequest) == len(org.tables[PullRequest])
