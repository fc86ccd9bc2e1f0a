"""Opening the store: every failure names its real cause, and reports read a store they cannot write."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from correlate.errors import StoreError
from correlate.store import Store, migrations
from tests.cli import ROOT, run_cli


def unprivileged(*command: str) -> list[str]:
    """``command`` as a user whom file modes bind: root ignores them, so as root it runs without capabilities."""
    if os.geteuid() == 0:
        return ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]
    return list(command)


def open_in_subprocess(path: Path, *, read_only: bool) -> subprocess.CompletedProcess[str]:
    code = ("import sys\nfrom correlate.errors import StoreError\nfrom correlate.store import Store\n"
            f"try:\n    Store.open({str(path)!r}, read_only={read_only}).close()\n"
            "except StoreError as exc:\n    print(exc)\n    sys.exit(1)\n")
    return subprocess.run(unprivileged(sys.executable, "-c", code), cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)


def test_a_file_that_is_not_duckdb_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    path.write_text("date,team\n2026-01-01,a\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError) as err:
        Store.open(path)
    assert f"{path} is not a DuckDB database" in str(err.value)
    assert "another correlate command" not in str(err.value)


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    path.mkdir()
    with pytest.raises(StoreError, match="is a folder, not a store file"):
        Store.open(path)


def test_a_store_locked_by_another_process_names_that_process(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    with subprocess.Popen([sys.executable, "-c", f"import duckdb, time\nc = duckdb.connect({str(path)!r})\n"
                           "print('open', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
            for read_only in (False, True):
                with pytest.raises(StoreError) as err:
                    Store.open(path, read_only=read_only)
                assert f"{path} is locked by another process (PID {holder.pid})" in str(err.value)
                assert "another correlate command" in str(err.value)
        finally:
            holder.kill()


def test_a_store_the_user_cannot_write_says_permission_denied_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    path.chmod(0o444)
    result = open_in_subprocess(path, read_only=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"permission denied opening the store {path} for writing" in result.stdout
    assert "locked" not in result.stdout
    assert open_in_subprocess(path, read_only=True).returncode == 0  # reading needs only read access


def test_a_store_the_user_cannot_read_says_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    path.chmod(0o000)
    result = open_in_subprocess(path, read_only=True)
    assert result.returncode == 1 and f"permission denied reading the store {path}" in result.stdout


def test_read_only_needs_an_existing_store_and_never_creates_one(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.duckdb"
    with pytest.raises(StoreError, match="there is no store at"):
        Store.open(path, read_only=True)
    assert not path.exists()


def test_a_store_needing_migrations_opened_read_only_says_they_cannot_run(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        version, name, _ = migrations()[-1]
        store.con.execute("DELETE FROM schema_version WHERE version = ?", [version])
    with pytest.raises(StoreError) as err:
        Store.open(path, read_only=True)
    assert f"needs 1 migration ({name}) that cannot run on a read-only store" in str(err.value)
    with Store.open(path) as store:  # a writing open applies it
        assert version in store.applied_versions()
    with Store.open(path, read_only=True) as store:
        assert store.read_only


def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store.open(path).close()
    with Store.open(path, read_only=True) as store, pytest.raises(Exception, match="read-only"):
        store.con.execute("CREATE TABLE t (a INTEGER)")


def test_reports_work_on_a_store_in_a_read_only_folder_and_leave_it_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    made = run_cli("demo", "--dir", str(folder), "--teams", "2", "--devs", "12", "--days", "60")
    assert made.returncode == 0, made.stderr
    month = re.search(r"report-(\d{4}-\d{2})\.html", " ".join(p.name for p in folder.iterdir()))
    assert month is not None
    store = folder / "correlate.duckdb"
    before = store.read_bytes()
    store.chmod(0o444)
    folder.chmod(0o555)
    out = tmp_path / "out"
    out.mkdir()
    try:
        config = str(folder / "correlate.toml")
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_TOKEN"))}
        env.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200"})
        for args in (["report", "monthly", "--month", month.group(1), "--out", str(out / "m.html")],
                     ["report", "compare", "--teams", "payments,checkout", "--out", str(out / "c.html")]):
            result = subprocess.run(unprivileged(sys.executable, "-m", "correlate", "--config", config, *args),
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
        assert (out / "m.html").stat().st_size > 0 and (out / "c.html").stat().st_size > 0
        for export in ("panel", "spend", "identities", "deployments"):  # exports only read, too
            result = subprocess.run(unprivileged(sys.executable, "-m", "correlate", "--config", config, "export",
                                                 export, "--out", str(out / f"{export}.csv")),
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, (export, result.stderr)
            assert (out / f"{export}.csv").stat().st_size > 0
        writing = subprocess.run(unprivileged(sys.executable, "-m", "correlate", "--config", config, "derive"),
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert writing.returncode == 1 and "permission denied" in writing.stderr  # a writing open says why
    finally:
        folder.chmod(0o755)
    assert store.read_bytes() == before


def test_a_read_only_open_joins_this_process_s_writing_connection(tmp_path: Path) -> None:
    """DuckDB allows one configuration per file and process: a report inside a program that holds the store
    open for writing reads through that database instead of failing."""
    path = tmp_path / "store.duckdb"
    with Store.open(path) as writer:
        writer.con.execute("CREATE TABLE marker AS SELECT 42 AS answer")
        with Store.open(path, read_only=True) as reader:
            assert reader.read_only and reader.one("SELECT answer FROM marker") == (42,)
    with Store.open(path, read_only=True) as reader, pytest.raises(StoreError, match="already has the store"):
        Store.open(path)
