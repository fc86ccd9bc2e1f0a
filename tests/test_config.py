"""correlate.toml: every kind of mistake is a ConfigError naming the file and key, exit code 2."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from correlate.config import load_config, normalize_identity
from correlate.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "correlate.toml"
    p.write_text(text, encoding="utf-8")
    return p


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "correlate", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}, timeout=120)


BAD = {
    "unknown key": ('[store]\npth = "x.duckdb"\n', "unknown key `store.pth`"),
    "wrong type": ("[report]\nmin_group_size = \"five\"\n", "report.min_group_size"),
    "duplicate team": ('[[teams]]\nname = "a"\n[[teams]]\nname = "a"\n', "team 'a' is defined twice"),
    "person in two teams": ('[[teams]]\nname = "a"\nmembers = ["x@acme.com"]\n'
                            '[[teams]]\nname = "b"\nmembers = ["X@acme.com"]\n',
                            "'x@acme.com' is a member of both 'a' and 'b'"),
    "bad time zone": ('[calendar]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
    "toml syntax": ("[store\npath = 1\n", "not valid TOML"),
    "unknown team key": ('[[teams]]\nname = "a"\nmembrs = []\n', "unknown key `teams[a].membrs`"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_config_mistake_is_a_config_error_naming_file_and_key(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)
    assert str(path.resolve()) in str(err.value) or str(path) in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize("case", ["unknown key", "person in two teams"])
def test_the_cli_prints_the_config_error_and_exits_2(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    write(tmp_path, text)
    result = run_cli("export", "panel", "--out", "x.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "ConfigError" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_says_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli("--config", "nope.toml", "export", "panel", "--out", "x.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "config file not found" in result.stderr and "correlate demo" in result.stderr


def test_people_who_move_team_with_dates_are_fine_and_expand_to_dated_rows(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[teams]]
name = "a"
members = [{ ids = ["bob@acme.com", "bob-gh"], until = 2026-03-01 }]
[[teams]]
name = "b"
members = [{ id = "bob@acme.com", since = 2026-03-01 }]
""")
    config = load_config(path)
    rows = {(m.team, m.identity, m.since, m.until) for m in config.memberships}
    assert ("a", "bob-gh", None, date(2026, 3, 1)) in rows
    assert ("b", "bob@acme.com", date(2026, 3, 1), None) in rows


def test_overlapping_dated_memberships_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[teams]]
name = "a"
members = [{ id = "bob", until = 2026-03-05 }]
[[teams]]
name = "b"
members = [{ id = "bob", since = 2026-03-01 }]
""")
    with pytest.raises(ConfigError, match="between 2026-03-01 and 2026-03-05"):
        load_config(path)


def test_people_entries_join_identities_into_one_person(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[people]]
ids = ["alice@acme.com", "alice-gh"]
[[teams]]
name = "a"
members = ["alice@acme.com"]
""")
    config = load_config(path)
    assert {(m.person, m.identity) for m in config.memberships} == {
        ("alice@acme.com", "alice@acme.com"), ("alice@acme.com", "alice-gh")}


def test_secrets_come_from_the_environment_and_never_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, "[sources.github]\ntoken_env = \"MY_GH\"\n"))
    with pytest.raises(ConfigError, match="MY_GH is not set"):
        config.secret("MY_GH", what="a GitHub token")
    monkeypatch.setenv("MY_GH", "ghp_fake_value_123")
    secret = config.secret("MY_GH", what="a GitHub token")
    assert secret.reveal() == "ghp_fake_value_123"
    assert "ghp_fake" not in repr(secret) and "ghp_fake" not in str(secret)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Alice@Acme.com ", "alice@acme.com"),
    ("12345+alice-gh@users.noreply.github.com", "alice-gh"),
    ("alice-gh@users.noreply.github.com", "alice-gh"),
    ("dependabot[bot]", "dependabot[bot]"),
])
def test_identities_are_normalised_once(raw: str, expected: str) -> None:
    assert normalize_identity(raw) == expected


def test_the_example_config_is_valid() -> None:
    config = load_config(ROOT / "examples" / "correlate.toml")
    assert config.team_names
