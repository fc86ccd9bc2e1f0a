"""`correlate demo` end to end, and the synthetic organisation it is built on."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from correlate.config import load_config
from correlate.demo import generate
from correlate.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], float]:
    work = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "correlate", "demo", "--dir", "out", "--out", "out/report.html"],
                            cwd=work, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    return work / "out", result, time.perf_counter() - started


def test_demo_writes_store_config_and_report_and_says_where(demo_dir: tuple[Path, subprocess.CompletedProcess[str],
                                                                               float]) -> None:
    out, result, _ = demo_dir
    assert result.returncode == 0, result.stderr
    for name in ("correlate.duckdb", "correlate.toml", "report.html"):
        assert (out / name).exists(), name
        assert name in result.stdout
    assert "report compare --teams" in result.stdout


def test_the_demo_report_names_every_team_and_loads_nothing_external(
        demo_dir: tuple[Path, subprocess.CompletedProcess[str], float]) -> None:
    out, _, _ = demo_dir
    html = (out / "report.html").read_text(encoding="utf-8")
    config = load_config(out / "correlate.toml")
    for team in config.team_names:
        assert team in html, team
    assert not re.search(r"https?://", html)
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "<script" not in html


def test_the_demo_config_points_at_its_store(demo_dir: tuple[Path, subprocess.CompletedProcess[str], float]) -> None:
    out, _, _ = demo_dir
    config = load_config(out / "correlate.toml")
    assert config.store_path.resolve() == (out / "correlate.duckdb").resolve()
    with Store.open(config.store_path, read_only=True) as store:
        assert store.query("SELECT count(*) AS n FROM pull_requests")["n"].iloc[0] > 1000


def test_export_panel_on_the_demo_store(demo_dir: tuple[Path, subprocess.CompletedProcess[str], float]) -> None:
    out, _, _ = demo_dir
    result = subprocess.run([sys.executable, "-m", "correlate", "--config", str(out / "correlate.toml"), "export",
                             "panel", "--grain", "week", "--out", str(out / "panel.csv")],
                            capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    header = (out / "panel.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["team", "week", "headcount"]
    assert "panel.csv" in result.stdout


def test_the_same_seed_gives_the_same_organisation() -> None:
    a = generate(teams=4, devs=30, days=60, seed=3)
    b = generate(teams=4, devs=30, days=60, seed=3, end=a.end)
    for record_type, frame in a.tables.items():
        assert frame.equals(b.tables[record_type]), record_type.TABLE


def test_the_organisation_is_not_uniform() -> None:
    org = generate(teams=6, devs=80, days=120, seed=5)
    prs = org.tables[next(t for t in org.tables if t.TABLE == "pull_requests")]
    created = prs["created_at"].dt.day_of_week
    weekday_rate = (created < 5).mean()
    assert weekday_rate > 0.9  # quiet weekends
    cycle = prs["cycle_s"].dropna()
    assert cycle.mean() > 1.3 * cycle.median()  # a heavy right tail (log-normal)
    adopt = org.truth["adoption_day"]
    assert len({d for d in adopt.values() if d}) >= 2 and any(d is None for d in adopt.values())  # staggered
    usage = org.tables[next(t for t in org.tables if t.TABLE == "ai_usage_daily")]
    assert set(usage["tool"]) == {"claude_code", "copilot", "cursor"}
    assert usage.loc[usage["tool"] == "copilot", "cost_usd"].isna().all()  # a seat tool has no token cost
    assert org.truth["unmatched_identities"]


def test_1000_developers_for_a_year_generate_in_seconds() -> None:
    started = time.perf_counter()
    org = generate(teams=50, devs=1000, days=365, seed=1)
    elapsed = time.perf_counter() - started
    assert org.rows() > 300_000
    assert elapsed < 30, f"{elapsed:.1f}s"


def test_the_planted_cycle_time_effect_is_in_the_data() -> None:
    org = generate(teams=8, devs=200, days=240, seed=11, effect=-0.3)
    prs = org.tables[next(t for t in org.tables if t.TABLE == "pull_requests")]
    team_of_repo = {f"acme/{t}-api": t for t in org.truth["adoption_day"]}
    adopt = prs["repo"].map(team_of_repo).map(org.truth["adoption_day"])
    after = prs["created_at"].dt.date >= adopt.fillna(org.end)
    # pickup+review scale with the effect: the median ratio should sit near 0.7
    ratio = np.median(prs.loc[after, "cycle_s"].dropna()) / np.median(prs.loc[~after, "cycle_s"].dropna())
    assert 0.55 < ratio < 0.85


def test_a_confounding_trend_moves_the_adopting_teams_only_and_before_they_adopt() -> None:
    # --confound-trend: teams that will adopt already get faster week by week, with no effect of adoption
    org = generate(teams=8, devs=200, days=240, seed=11, effect=0.0, confound_trend=-0.1, never_share=0.5)
    prs = org.tables[next(t for t in org.tables if t.TABLE == "pull_requests")]
    team = prs["repo"].str.removeprefix("acme/").str.removesuffix("-api")
    adopt = team.map(org.truth["adoption_day"])
    first_adoption = min(d for d in org.truth["adoption_day"].values() if d is not None)
    before_anyone = prs["created_at"].dt.date < first_adoption  # no team has adopted yet
    early = prs["created_at"].dt.date < org.start + (first_adoption - org.start) / 2

    def ratio(rows: pd.Series) -> float:  # median cycle time, late half / early half, before anyone adopted
        late = before_anyone & ~early & rows
        cycle = prs["cycle_s"]
        return float(np.median(cycle[late].dropna()) / np.median(cycle[early & rows].dropna()))

    weeks_apart = (first_adoption - org.start).days / 2 / 7
    assert ratio(adopt.notna()) == pytest.approx(np.exp(-0.1 * weeks_apart), rel=0.12)
    assert ratio(adopt.isna()) == pytest.approx(1.0, rel=0.1)
    assert weeks_apart > 3 and org.truth["confound_trend"] == -0.1
