"""One identity rule and one bot rule, the same in Python and in SQL (correlate.identity)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from correlate.identity import is_bot, normalize_identity, sql_macros
from correlate.store import Store

CASES = [
    ("ann@example.com", "ann@example.com"),
    ("  Ann@Example.COM ", "ann@example.com"),  # case and space do not matter
    ("ann", "ann"),
    ("ANN", "ann"),
    ("12345+Ann@users.noreply.github.com", "ann"),  # a GitHub noreply address is its login
    ("ann@users.noreply.github.com", "ann"),
    ("123+renovate[bot]@users.noreply.github.com", "renovate[bot]"),
    ("ann@users.noreply.github.com.evil.example", "ann@users.noreply.github.com.evil.example"),  # not noreply
    ("ann+tag@example.com", "ann+tag@example.com"),  # only GitHub's noreply form is folded
    ("api-key-ci", "api-key-ci"),
]

BOTS = [
    # login, author_type, a bot?
    ("dependabot[bot]", "Bot", True),
    ("Renovate[BOT]", None, True),  # the suffix, in any case
    ("coderabbitai", "User", True),  # listed by default
    ("house-robot", "User", True),  # listed in the config (below)
    ("ann", "User", False),
    ("ann", "Bot", True),  # GitHub says so
    ("claude-monet", None, False),
    (None, None, False),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_python_normalises_an_identity(raw: str, expected: str) -> None:
    assert normalize_identity(raw) == expected


def test_sql_normalises_every_identity_as_python_does(store_path: Path) -> None:
    with Store.open(store_path) as store:
        for stmt in sql_macros().split(";\n"):
            store.con.execute(stmt)
        got = [store.con.execute("SELECT _norm_id(?)", [raw]).fetchall()[0][0] for raw, _ in CASES]
    assert got == [expected for _, expected in CASES]


def test_python_and_sql_agree_on_bots(store_path: Path) -> None:
    logins = pd.Series([b[0] for b in BOTS], dtype="object")
    kinds = pd.Series([b[1] for b in BOTS], dtype="object")
    assert is_bot(logins, kinds, ["House-Robot"]).tolist() == [b[2] for b in BOTS]
    with Store.open(store_path) as store:
        for stmt in sql_macros(["House-Robot"]).split(";\n"):
            store.con.execute(stmt)
        got = [store.con.execute("SELECT _is_bot(?, ?)", [login, kind]).fetchall()[0][0] for login, kind, _ in BOTS]
    assert got == [b[2] for b in BOTS]
