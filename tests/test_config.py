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
    # a key that did nothing (durations are calendar hours) no longer exists rather than being silently ignored
    "removed key": ("[analysis]\nbusiness_hours = true\n", "unknown key `analysis.business_hours`"),
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


# Values that parse but make no sense: (TOML, the key the message names, the cause it states).
NONSENSE = {
    "unknown holiday country": ('[calendar]\nholidays = "XX"\n', "calendar.holidays",
                                "'XX' is not a country the `holidays` package knows"),
    "weekday out of range": ("[calendar]\nworkdays = [0, 9]\n", "calendar.workdays[1]", "less than or equal to 6"),
    "weekday twice": ("[calendar]\nworkdays = [0, 0, 1]\n", "calendar.workdays", "0 listed more than once"),
    "no working weekday": ("[calendar]\nworkdays = []\n", "calendar.workdays", "at least 1 item"),
    "no primary outcome": ("[report]\nprimary_outcomes = []\n", "report.primary_outcomes",
                           "name at least one outcome"),
    "size buckets not increasing": ("[spend]\nsize_buckets = [800, 50]\n", "spend.size_buckets", "must increase"),
    "size bucket not positive": ("[spend]\nsize_buckets = [0, 50]\n", "spend.size_buckets[0]",
                                 "greater than or equal to 1"),
    "sustain more weeks than it looks at": ("[analysis]\nadoption_sustain = [5, 3]\n", "analysis.adoption_sustain",
                                            "at least 5 of the next 3 weeks"),
    "sustain looks at no week": ("[analysis]\nadoption_sustain = [0, 0]\n", "analysis.adoption_sustain",
                                 "at least 1 week to look at"),
    "negative backfill": ("[sources.claude_code]\nbackfill_days = -5\n", "sources.claude_code.backfill_days",
                          "greater than or equal to 1"),
    "negative lookback": ("[sources.github]\nlookback_days = -1\n", "sources.github.lookback_days",
                          "greater than or equal to 0"),
    "negative body limit": ("[otel]\nmax_body_bytes = -1\n", "otel.max_body_bytes", "greater than or equal to 1"),
    "unknown precedence source": ('[ingest]\nprecedence = ["nonsense"]\n', "ingest.precedence",
                                  "unknown source 'nonsense'"),
    "unknown primary outcome": ('[report]\nprimary_outcomes = ["nonsense_metric"]\n', "report.primary_outcomes",
                                "'nonsense_metric' is not an outcome the statistics model"),
    "empty organisation": ('[report]\norganisation = ""\n', "report.organisation", "at least 1 character"),
    "base_url without scheme": ('[sources.github]\nbase_url = "api.github.com"\n', "sources.github.base_url",
                                "is not an http(s) URL"),
    "a secret instead of a variable name": ('[sources.cursor]\napi_key_env = "key_abc 123"\n',
                                            "sources.cursor.api_key_env", "is not an environment variable name"),
    "negative seat cost": ("[sources.copilot]\nseat_cost_usd_per_month = -19\n",
                           "sources.copilot.seat_cost_usd_per_month", "greater than or equal to 0"),
    "zero maturity": ("[analysis]\nmaturity_days = 0\n", "analysis.maturity_days", "greater than or equal to 1"),
    "repo with two slashes": ('[[teams]]\nname = "a"\nrepos = ["acme/api/v2"]\n', "teams[a].repos[0]",
                              "is not a repository"),
    "unknown batch actor type": ('[spend]\nbatch_actor_types = ["robot"]\n', "spend.batch_actor_types[0]",
                                 "'user', 'api_key' or 'unknown'"),
    "membership ending before it starts": (
        '[[teams]]\nname = "a"\nmembers = [{ id = "x@acme.com", since = 2026-03-01, until = 2026-01-01 }]\n',
        "teams[a].members[0]", "`until` (2026-01-01) is not after `since` (2026-03-01)"),
    "member of no known shape": ('[[teams]]\nname = "a"\nmembers = [3]\n', "teams[a].members[0]",
                                 "a member is an identity (a string), a list of one person's identities, or a table"),
}


@pytest.mark.parametrize("case", sorted(NONSENSE))
def test_a_value_that_makes_no_sense_stops_the_cli_naming_file_key_and_cause(tmp_path: Path, case: str) -> None:
    text, key, cause = NONSENSE[case]
    path = write(tmp_path, text)
    result = run_cli("--config", str(path), "doctor", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ConfigError" in result.stderr and "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert f"`{key}`" in result.stderr
    assert cause in result.stderr
    assert "Input should be a valid string" not in result.stderr  # the union's first branch is not the cause


def test_sensible_values_of_the_same_keys_load(tmp_path: Path) -> None:
    path = write(tmp_path, """
[calendar]
holidays = "DE"
workdays = [0, 1, 2, 3]
[spend]
size_buckets = [20, 100]
batch_actor_types = ["api_key", "unknown"]
[analysis]
adoption_sustain = [0, 1]
maturity_days = 30
[sources.claude_code]
backfill_days = 1
[sources.github]
lookback_days = 0
repos = ["acme/api", "web"]
[otel]
max_body_bytes = 1
[ingest]
precedence = ["otel", "analytics_api"]
[report]
primary_outcomes = ["pr_review_time_h", "incidents_per_100_deploys"]
organisation = "Acme"
[[teams]]
name = "a"
members = [{ id = "x@acme.com", since = 2026-01-01, until = 2026-03-01 }]
""")
    root = load_config(path).root
    assert (root.calendar.holidays, root.calendar.workdays) == ("DE", (0, 1, 2, 3))
    assert root.analysis.adoption_sustain == (0, 1)
    assert root.report.organisation == "Acme"
    assert root.ingest.precedence == ("otel", "analytics_api")


def test_every_modelled_outcome_can_be_primary_and_nothing_else_can() -> None:
    from correlate.config import ReportConfig
    from correlate.metrics.catalogue import METRICS, outcomes

    modelled = {m.name for m in outcomes()}
    for m in METRICS:
        if m.name in modelled:
            assert ReportConfig(primary_outcomes=(m.name,)).primary_outcomes == (m.name,)
        else:
            with pytest.raises(ValueError, match="is not an outcome the statistics model"):
                ReportConfig(primary_outcomes=(m.name,))


def test_every_usage_source_a_connector_writes_can_be_ordered_in_precedence() -> None:
    """A new usage path must be added to USAGE_SOURCES, or a config naming it would be refused."""
    from connectors.claude_code import PATH_TAG
    from correlate.config import USAGE_SOURCES, IngestConfig
    from correlate.ingest.otel import SOURCE as OTEL
    from correlate.ingest.transcripts import SOURCE as TRANSCRIPTS

    assert {PATH_TAG, OTEL, TRANSCRIPTS} <= set(USAGE_SOURCES)
    assert set(IngestConfig().precedence) == set(USAGE_SOURCES)
