"""CSV import of deployments and incidents: validation names file, line and column; all-or-nothing; idempotent."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from correlate.errors import InputError
from correlate.ingest.csv_import import import_deployments, import_incidents
from correlate.store import Store

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[store]
path = "store.duckdb"

[[teams]]
name = "payments"
repos = ["acme/api"]
services = ["checkout"]

[[teams]]
name = "web"
repos = ["acme/web"]
"""

DEPLOYS = """id,repo,team,service,started_at,finished_at,status,environment,sha,kind
d1,acme/api,,,2026-03-02T09:00:00Z,2026-03-02T09:20:00Z,success,production,abc1234,deploy
d2,acme/web,web,,2026-03-02 10:00:00+01:00,2026-03-02 10:15:00+01:00,,,,
d3,,,checkout,,2026-03-03T12:00:00Z,failed,staging,,
d4,acme/api,,,2026-03-04T08:00:00Z,2026-03-04T08:05:00Z,success,prod,def5678,rollback
"""

INCIDENTS = """id,service,created_at,resolved_at,caused_by_deployment,kind,title
i1,checkout,2026-03-02T11:00:00Z,2026-03-02T12:30:00Z,d1,,Checkout errors
i2,checkout,2026-03-05T11:00:00Z,,,bug,Typo
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "correlate.toml"
    path.write_text(CONFIG)
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def dump(cfg: Path) -> dict[str, list[tuple[object, ...]]]:
    with Store.open(cfg.parent / "store.duckdb") as store:
        return {t: sorted(store.con.execute(f"SELECT * FROM {t}").fetchall(), key=str)
                for t in ("deployments", "incidents", "deployment_changes", "deployment_failures")}


def test_deployments_are_imported_with_defaults_and_utc_times(tmp_path: Path, cfg: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "deploys.csv", DEPLOYS)
    import_deployments(cfg, path)
    rows = {r[1]: r for r in dump(cfg)["deployments"]}
    # columns: source, deployment_id, repo, service, team, environment, sha, started, finished, status, kind, prod
    assert rows["d1"][0] == "csv" and rows["d1"][4] is None  # team comes from repo ownership at query time
    assert rows["d2"][4] == "web" and rows["d2"][5] == "production"
    assert rows["d2"][8] == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)  # +01:00 converted to UTC
    assert (rows["d2"][9], rows["d2"][10], rows["d2"][11]) == ("success", "deploy", True)
    assert (rows["d3"][9], rows["d3"][11]) == ("failure", False)
    assert (rows["d4"][10], rows["d4"][11]) == ("rollback", True)
    out = capsys.readouterr().out
    assert "Imported 4 deployments" in out and "4 new" in out and str(path) in out and "store.duckdb" in out


def test_incidents_link_to_the_deployment_they_name(tmp_path: Path, cfg: Path) -> None:
    import_deployments(cfg, write(tmp_path, "deploys.csv", DEPLOYS))
    import_incidents(cfg, write(tmp_path, "incidents.csv", INCIDENTS))
    tables = dump(cfg)
    assert ("csv", "d1", "csv", "i1", "explicit") in tables["deployment_failures"]
    assert not any(f[3] == "i2" for f in tables["deployment_failures"])  # a bug is not a change failure
    kinds = {r[1]: (r[10], r[13], r[14]) for r in tables["incidents"]}  # kind, created, acknowledged
    assert kinds["i2"][0] == "bug"


def test_re_importing_the_same_files_changes_nothing(tmp_path: Path, cfg: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    deploys, incidents = write(tmp_path, "d.csv", DEPLOYS), write(tmp_path, "i.csv", INCIDENTS)
    import_deployments(cfg, deploys)
    import_incidents(cfg, incidents)
    before = dump(cfg)
    capsys.readouterr()
    import_deployments(cfg, deploys)
    import_incidents(cfg, incidents)
    assert dump(cfg) == before
    assert "0 new, 4 already stored" in capsys.readouterr().out


BAD = [
    # (case, file body, line, column, words the message must contain)
    ("missing column", "id,repo\nd1,acme/api\n", 1, "finished_at", "missing column"),
    ("unparseable time", "id,repo,finished_at\nd1,acme/api,2026-03-02T09:00:00Z\nd2,acme/api,yesterday\n",
     3, "finished_at", "not a timestamp"),
    ("time without zone", "id,repo,finished_at\nd1,acme/api,2026-03-02T09:00:00\n", 2, "finished_at",
     "no time zone"),
    ("end before start", "id,repo,started_at,finished_at\nd1,acme/api,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z\n",
     2, "finished_at", "before started_at"),
    ("unknown team", "id,team,finished_at\nd1,paymnets,2026-03-02T09:00:00Z\n", 2, "team", "unknown team"),
    ("repo no team owns", "id,repo,finished_at\nd1,acme/other,2026-03-02T09:00:00Z\n", 2, "repo", "no team owns"),
    ("no owner at all", "id,repo,service,finished_at\nd1,,,2026-03-02T09:00:00Z\n", 2, "team", "no `team`"),
    ("bad kind", "id,repo,finished_at,kind\nd1,acme/api,2026-03-02T09:00:00Z,redeploy\n", 2, "kind",
     "not one of"),
    ("bad sha", "id,repo,finished_at,sha\nd1,acme/api,2026-03-02T09:00:00Z,main\n", 2, "sha", "not a commit sha"),
    ("empty id", "id,repo,finished_at\n,acme/api,2026-03-02T09:00:00Z\n", 2, "id", "empty"),
    ("duplicate id", "id,repo,finished_at\nd1,acme/api,2026-03-02T09:00:00Z\nd1,acme/api,2026-03-03T09:00:00Z\n",
     3, "id", "appears twice"),
]


@pytest.mark.parametrize(("case", "body", "line", "column", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_deployment_row_is_named_and_nothing_is_written(tmp_path: Path, cfg: Path, case: str, body: str,
                                                              line: int, column: str, words: str) -> None:
    import_deployments(cfg, write(tmp_path, "good.csv", DEPLOYS))
    before = dump(cfg)
    path = write(tmp_path, "bad.csv", body)
    with pytest.raises(InputError) as caught:
        import_deployments(cfg, path)
    message = str(caught.value)
    assert f"{path}:{line} (column {column!r})" in message, message
    assert words in message
    assert "Nothing was imported" in message
    assert (caught.value.line, caught.value.field) == (line, column)
    assert dump(cfg) == before  # valid rows before the bad one were not written either


def test_incident_rows_are_checked_the_same_way(tmp_path: Path, cfg: Path) -> None:
    path = write(tmp_path, "bad.csv", "id,service,created_at,resolved_at\n"
                                      "i1,checkout,2026-03-02T11:00:00Z,2026-03-02T10:00:00Z\n")
    with pytest.raises(InputError, match=r":2 \(column 'resolved_at'\).*before created_at"):
        import_incidents(cfg, path)


def test_every_problem_is_counted_but_the_first_is_named_first(tmp_path: Path, cfg: Path) -> None:
    body = "id,repo,finished_at\n" + "".join(f"d{n},acme/api,noon\n" for n in range(9))
    with pytest.raises(InputError) as caught:
        import_deployments(cfg, write(tmp_path, "bad.csv", body))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'bad.csv'}:2 (column 'finished_at')")
    assert "(and 4 more)" in message


def test_the_cli_exits_1_and_names_the_line(tmp_path: Path, cfg: Path) -> None:
    path = write(tmp_path, "bad.csv", "id,repo,finished_at\nd1,acme/api,2026-03-02T09:00:00\n")
    done = subprocess.run([sys.executable, "-m", "correlate", "--config", str(cfg), "import", "deployments",
                           str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert "InputError" in done.stderr and "bad.csv:2" in done.stderr and "finished_at" in done.stderr


def test_docs_list_every_column_and_alias() -> None:
    from correlate.ingest.csv_import import DEPLOYMENT_COLUMNS, INCIDENT_COLUMNS

    text = (ROOT / "docs" / "csv-import.md").read_text()
    for column in DEPLOYMENT_COLUMNS + INCIDENT_COLUMNS:
        for name in (column.name, *column.aliases):
            assert f"`{name}`" in text, name
        assert column.meaning in text, column.name
