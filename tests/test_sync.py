"""The one runner loop (correlate.sync): a source is a declaration plus its mapping; the runner commits each
batch with its cursor, resumes, reports, and checks the config the same way for every source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from connectors.records import AIUsageDay
from correlate.config import from_mapping
from correlate.errors import ConfigError
from correlate.ingest.usage_days import plan_days
from correlate.store import Store
from correlate.sync import SOURCES, Batch, Cursor, EndOfData, Rows, Run, Source, SyncContext, load_source, run_source

END = date(2026, 3, 10)
VENDOR: dict[date, int] = {END - timedelta(days=i): 10 + i for i in range(5)}  # sessions per day, as a vendor has them


# -- the smallest complete source: a declaration and its mapping -------------------------------------------------
def plan(run: Run) -> list[date]:
    return plan_days(since=run.since, cursor=run.cursor("daily"), end=END, backfill_days=5, lag_days=1)


def fetch(run: Run, day: date) -> Iterator[Batch]:
    if day not in VENDOR:
        raise EndOfData(f"{day} is not ready yet")
    usage = [AIUsageDay("toy", "toy_api", day, "dev@example.com", sessions=VENDOR[day])]
    yield Batch(rows=[Rows(AIUsageDay, usage, replacing={"tool": "toy", "source": "toy_api", "day": day})],
                cursor=Cursor("daily", day), counts={"actor-days": len(usage)})


TOY = Source(name="toy", plan=plan, fetch=fetch)
# ---------------------------------------------------------------------------------------------------------------


def stored(store: Store) -> dict[date, int]:
    return dict(store.con.execute("SELECT day, sessions FROM ai_usage_daily ORDER BY day").fetchall())


def test_a_declared_source_is_stored_day_by_day_with_its_cursor_and_resumes(store_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = from_mapping({}, path=None)
    with Store.open(store_path) as store:
        summary = run_source(SyncContext(config, store), TOY, None)
        assert summary.rows == {"actor-days": 5}
        assert stored(store) == dict(sorted(VENDOR.items()))
        assert store.get_cursor("toy", "daily") == END.isoformat()
        monkeypatch.setitem(VENDOR, END, 99)  # the vendor restates its last day: re-pulled (lag 1) and replaced
        assert run_source(SyncContext(config, store), TOY, None).rows == {"actor-days": 1}
        assert stored(store)[END] == 99


def test_a_failing_unit_keeps_the_units_before_it_and_their_cursor(store_path: Path) -> None:
    def failing(run: Run, day: date) -> Iterator[Batch]:
        if day == END - timedelta(days=1):
            raise RuntimeError("connection reset")
        yield from fetch(run, day)

    config = from_mapping({}, path=None)
    with Store.open(store_path) as store:
        with pytest.raises(RuntimeError):
            run_source(SyncContext(config, store), Source(name="toy", plan=plan, fetch=failing), None)
        assert sorted(stored(store)) == [END - timedelta(days=i) for i in (4, 3, 2)]
        assert store.get_cursor("toy", "daily") == (END - timedelta(days=2)).isoformat()


def test_a_source_with_nothing_more_yet_ends_the_run_with_a_note(store_path: Path) -> None:
    config = from_mapping({}, path=None)
    with Store.open(store_path) as store:
        summary = run_source(SyncContext(config, store), TOY, END - timedelta(days=6))
    assert summary.rows == {} and summary.notes == [f"{END - timedelta(days=6)} is not ready yet"]


@pytest.mark.parametrize("name", [n for n in SOURCES if load_source(n).section is not None])
def test_every_source_without_its_section_is_the_same_config_error(name: str, store_path: Path) -> None:
    source = load_source(name)
    with Store.open(store_path) as store, pytest.raises(ConfigError) as err:
        run_source(SyncContext(from_mapping({}, path=None), store), source, None)
    assert f"add a [sources.{source.section}] section" in str(err.value) and err.value.exit_code == 2


def test_rows_dated_outside_the_plausible_window_are_named_in_the_summary(store_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch_with_a_bad_clock(run: Run, day: date) -> Iterator[Batch]:
        yield from fetch(run, day)
        bad = AIUsageDay("toy", "toy_api", date(1999, 12, 31), "dev@example.com", sessions=1)
        yield Batch(rows=[Rows(AIUsageDay, [bad])], counts={"actor-days": 1})

    monkeypatch.setenv("CORRELATE_TODAY", END.isoformat())
    config = from_mapping({}, path=None)
    with Store.open(store_path) as store:
        summary = run_source(SyncContext(config, store), Source(name="toy", plan=plan, fetch=fetch_with_a_bad_clock),
                             END)
        assert date(1999, 12, 31) not in stored(store)
    assert summary.notes == ["quarantined 1 rows with an event time outside 2015-01-01..2026-03-11 "
                             "(1 ai_usage_daily; see the quarantine table)"]
