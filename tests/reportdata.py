"""A small synthetic organisation for report tests (fast: 5 teams, 45 developers, 150 days).

``hostile=True`` renames three teams to attack strings and stores usage rows whose identity, model
and edit-tool names are attack strings too, so every place the report prints data is exercised.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from correlate.config import Config, from_mapping
from correlate.demo import SyntheticOrg, generate, load, record_truth
from correlate.html.render import render
from correlate.report.monthly import build_monthly
from correlate.report.sections import MonthlyReport
from correlate.report.statistics import unavailable
from correlate.store import Store

END = date(2026, 10, 31)
MONTH = "2026-10"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
]
HOSTILE_MODEL = "<svg onload=alert(2)>$x^2$"
HOSTILE_EMAIL = "<script>alert(3)</script>@evil.example"
HOSTILE_EDIT_TOOL = "</td><script>alert(4)</script>"


def build(folder: Path, *, hostile: bool = False, min_group_size: int = 5) -> tuple[Config, Path]:
    """Generate, store and configure the organisation in ``folder``; returns (config, store path)."""
    org = generate(teams=5, devs=45, days=150, seed=11, end=END)
    data = dict(org.config_data)
    data["report"] = {"min_group_size": min_group_size}
    data["analysis"] = {"bootstrap_reps": 199}
    if hostile:
        teams = [dict(t) for t in data["teams"]]
        for team, name in zip(teams, HOSTILE, strict=False):
            team["name"] = name
        data["teams"] = teams
    store_path = folder / "store.duckdb"
    data["store"] = {"path": str(store_path)}
    config = from_mapping(data, path=None)
    with Store.open(store_path) as store:
        load(store, org)
        if hostile:
            _hostile_rows(store, config)
    return config, store_path


def _hostile_rows(store: Store, config: Config) -> None:
    """Usage rows carrying attack strings: an unmatched identity, a model name and an edit tool used by
    enough people (>= min group size) that the report shows them."""
    members = sorted({m.identity for m in config.memberships if "@" in m.identity})[:6]
    con = store.con
    con.execute("""INSERT INTO ai_usage_daily (tool, source, day, actor, sessions, cost_usd)
                   VALUES ('claude_code', 'demo', DATE '2026-10-14', ?, 3, 1.5)""", [HOSTILE_EMAIL])
    # the model mix of usage days that exist (a model row splits its day row's spend; alone it is no spend)
    used = [r[0] for r in con.execute("""
        SELECT actor FROM ai_usage_daily WHERE tool = 'claude_code' AND source = 'demo'
          AND day = DATE '2026-10-15' AND cost_usd > 0 ORDER BY actor LIMIT 6""").fetchall()]
    assert used, "the demo has Claude Code usage on 2026-10-15"
    for who in used:
        con.execute("""INSERT INTO ai_usage_model_daily (tool, source, day, actor, model, tokens_input, tokens_output,
                       tokens_cache_read, cost_usd) VALUES ('claude_code', 'demo', DATE '2026-10-15', ?, ?, 10, 10, 10,
                       0.01)""", [who, HOSTILE_MODEL])
    for who in members:
        con.execute("""INSERT INTO ai_edit_actions (tool, source, day, actor, edit_tool, accepted, rejected)
                       VALUES ('claude_code', 'demo', DATE '2026-10-15', ?, ?, 3, 1)""", [who, HOSTILE_EDIT_TOOL])


@dataclass
class Rendered:
    """The hostile organisation's monthly report, built once per test process (it takes seconds)."""

    config: Config
    store: Store
    report: MonthlyReport
    html: str
    path: Path


NO_STATS = unavailable("the statistics engine (correlate.stats) is not part of this build")


@functools.cache
def hostile_monthly() -> Rendered:
    """Build the hostile organisation and render its monthly report (without running the statistics,
    which have their own test); shared by the HTML and browser tests so the work happens once."""
    folder = Path(tempfile.mkdtemp(prefix="correlate-report-tests-"))
    atexit.register(shutil.rmtree, folder, True)
    config, store_path = build(folder, hostile=True)
    store = Store.open(store_path)
    atexit.register(store.close)
    report = build_monthly(store, config, MONTH, org_name=HOSTILE[0], stats=NO_STATS)
    html = render("monthly.html.j2", r=report)
    path = folder / "monthly.html"
    path.write_text(html, encoding="utf-8")
    return Rendered(config, store, report, html, path)


def store_truth(store: Store, org: SyntheticOrg, seed: int) -> None:
    """What the demo planted, in the tables a demo store keeps it in (``correlate demo`` writes them itself;
    tests that build the organisation with ``generate`` and ``load`` call this)."""
    assert org.truth["seed"] == seed, "the organisation was generated with another seed"
    record_truth(store, org)
