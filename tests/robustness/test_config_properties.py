"""Hostile configuration: any TOML-shaped mapping either loads as a Config or raises a ConfigError that
names the key at fault; never another exception (a traceback is a bug).

Mappings are generated two ways: free-form (any keys, any TOML values) and schema-guided (the real
section and key names with values of the right or wrong type), so most examples get deep enough
into validation to exercise the team-membership expansion and its overlap checks.
"""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlate.config import Config, from_mapping, load_config
from correlate.errors import ConfigError

SECTIONS = {
    "store": ["path"],
    "calendar": ["timezone", "holidays", "workdays"],
    "otel": ["token_env", "team_attribute", "spool_dir", "max_body_bytes"],
    "ingest": ["precedence"],
    "report": ["min_group_size", "primary_outcomes"],
    "analysis": ["adoption_threshold", "adoption_sustain", "control_group", "anticipation_weeks", "maturity_days",
                 "bootstrap_reps", "seed"],
    "dora": ["year"],
    "prices": ["file"],
}
SOURCE_KEYS = {
    "cursor": ["base_url", "api_key_env", "seat_cost_usd_per_month", "backfill_days"],
    "copilot": ["base_url", "token_env", "org", "enterprise", "seat_cost_usd_per_month", "backfill_days"],
    "github": ["base_url", "token_env", "repos", "org", "api", "bot_logins", "lookback_days"],
    "pagerduty": ["base_url", "token_env", "lookback_days"],
}

text = st.text(alphabet=string.ascii_letters + string.digits + " _-.@/+[]é", max_size=12)
scalars = st.one_of(text, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.booleans(), st.dates(date(1990, 1, 1), date(2040, 1, 1)))
toml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(text, inner, max_size=4), max_leaves=12)
dates = st.dates(date(2025, 1, 1), date(2027, 1, 1))
identity = st.sampled_from(["alice", "bob", "Alice@Acme.example", "12+carol@users.noreply.github.com", " dan ", "",
                            "erin"])
member = st.one_of(
    identity,
    st.lists(identity, max_size=3),
    st.fixed_dictionaries({}, optional={"id": identity, "ids": st.lists(identity, max_size=3), "since": dates,
                                        "until": dates, "role": text}),
    toml_values,
)
team = st.fixed_dictionaries(
    {"name": st.sampled_from(["payments", "search", "", "payments "])},
    optional={"members": st.lists(member, max_size=4), "repos": st.lists(text, max_size=2) | toml_values,
              "services": st.lists(text, max_size=2), "colour": text},
)


def section(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys + ["typo_key"]), toml_values, max_size=3)


guided = st.fixed_dictionaries({}, optional={
    **{name: section(keys) | toml_values for name, keys in SECTIONS.items()},
    "teams": st.lists(team, max_size=4) | toml_values,
    "people": st.lists(st.fixed_dictionaries({}, optional={"ids": st.lists(identity, max_size=3), "x": text}),
                       max_size=2),
    "sources": st.fixed_dictionaries({}, optional={n: section(k) for n, k in SOURCE_KEYS.items()}) | toml_values,
    "unknown_section": toml_values,
})
# Keys are non-empty: TOML allows `"" = 1`, and the loader then names the key as ``, which is correct but
# unreadable (reported to the lead rather than changed here: config.py is a shared file).
# (and hold no `.` or `[`, which the loader uses to spell nested locations)
keys = st.text(alphabet=string.ascii_letters + string.digits + " _-@/+é", min_size=1, max_size=12)
free_form = st.dictionaries(keys, toml_values, max_size=5)


def check(data: dict[str, Any]) -> None:
    try:
        result = from_mapping(data, path=Path("/tmp/correlate.toml"))
    except ConfigError as exc:
        # the key at fault is named, and it is one the mapping actually has (or `teams`, for overlaps)
        assert exc.key, exc.message
        assert any(exc.key == k or exc.key.startswith((f"{k}.", f"{k}[")) for k in data), (exc.key, exc.message)
        assert "/tmp/correlate.toml" in str(exc)
    else:
        assert isinstance(result, Config)
        for m in result.memberships:
            assert m.identity == m.identity.strip().lower() and m.identity
            assert m.since is None or m.until is None or m.since < m.until


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(guided)
def test_schema_guided_mappings_load_or_name_the_key(data: dict[str, Any]) -> None:
    check(data)


@settings(max_examples=50, deadline=None)
@given(free_form)
def test_free_form_mappings_load_or_name_the_key(data: dict[str, Any]) -> None:
    check(data)


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=string.printable + "é\x00", max_size=200))
def test_any_file_text_loads_or_raises_a_config_error_naming_the_file(tmp_path_factory: Any, body: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "correlate.toml"
    path.write_text(body, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


def test_a_person_in_two_teams_at_once_names_the_teams_key() -> None:
    data = {"teams": [{"name": "a", "members": ["alice"]}, {"name": "b", "members": ["Alice"]}]}
    try:
        from_mapping(data, path=None)
    except ConfigError as exc:
        assert exc.key == "teams" and "'alice'" in exc.message
    else:
        raise AssertionError("an overlapping membership loaded")
