"""`correlate report compare`: side by side with differences and intervals; bad team lists refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from correlate.cli import app
from correlate.commands import write_compare
from correlate.config import Config
from correlate.demo import dump_toml
from correlate.errors import UsageError
from correlate.store import Store
from tests.htmlcheck import external_reference, parse
from tests.reportdata import build


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, Store, Path]]:
    folder = tmp_path_factory.mktemp("compare")
    config, store_path = build(folder)
    with Store.open(store_path) as store:
        yield config, store, folder


def _big(config: Config, n: int) -> list[str]:
    heads: dict[str, set[str]] = {}
    for m in config.memberships:
        heads.setdefault(m.team, set()).add(m.person)
    return [t for t in config.team_names if len(heads.get(t, ())) >= 5][:n]


def test_compare_shows_each_indicator_for_each_team_with_differences_and_intervals(
        org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    config, store, _ = org
    a, b, c = _big(config, 3)
    html = write_compare(store, config, f"{a},{b},{c}", None, None, tmp_path / "c.html").read_text(encoding="utf-8")
    doc = parse(html)
    assert [s for s, _ in doc.sections] == ["caveats", "side-by-side", "teams", "trends"]
    for label in ("AI adoption share", "Median PR cycle time", "Deployments per working week", "Change failure rate",
                  "Deployment rework rate"):
        assert label in doc.row_headers
    assert f"{b} − {a} (weekly medians; rates pooled)" in doc.all_text()
    assert f"{c} − {a} (weekly medians; rates pooled)" in doc.all_text()
    assert "Teams differ in the work they do" in html
    # the engine's outcomes carry BH-adjusted p-values; the report's own bootstrap rows have intervals only
    rows = {r.split("</th>")[0].split(">")[-1]: r for r in re.findall(r'<th scope="row">.*?</tr>', html, flags=re.S)}
    assert re.search(r"<td>(?:0\.\d+|1\.00|≤0\.\d+)</td>", rows["Median PR cycle time"])
    assert rows["AI adoption share"].count("<td>not tested</td>") == 2
    assert "&lt;0.001" not in html  # a bootstrap p-value never claims more than 1/(B+1)
    assert external_reference(html) is None and "<script" not in html
    again = write_compare(store, config, f"{a},{b},{c}", None, None, tmp_path / "d.html").read_text(encoding="utf-8")
    assert again == html


def test_unknown_team_is_a_usage_error_listing_known_teams(org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    config, store, _ = org
    with pytest.raises(UsageError) as err:
        write_compare(store, config, f"{config.team_names[0]},nosuch", None, None, tmp_path / "x.html")
    assert "'nosuch'" in str(err.value)
    for team in config.team_names:
        assert team in str(err.value)
    assert not (tmp_path / "x.html").exists()


def test_a_team_below_min_group_size_is_refused(org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    config, store, _ = org
    small = [t for t in config.team_names if t not in _big(config, 10)]
    assert small
    with pytest.raises(UsageError, match="min_group_size"):
        write_compare(store, config, f"{_big(config, 1)[0]},{small[0]}", None, None, tmp_path / "x.html")


def test_cli_exits_2_on_an_unknown_team(org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    config, _, folder = org
    data = {"store": {"path": str(config.store_path)}, "teams": [{"name": t} for t in config.team_names]}
    path = tmp_path / "correlate.toml"
    path.write_text(dump_toml(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(path), "report", "compare", "--teams", "x,y", "--out",
                                      str(tmp_path / "c.html")])
    assert result.exit_code == 2
    assert "unknown team" in result.output


def test_window_values_are_the_catalogue_values_of_each_team(org: tuple[Config, Store, Path]) -> None:
    from datetime import timedelta

    from correlate.panel import build_panel
    from correlate.report.team_comparison import build_comparison, default_window
    from correlate.report.teams import team_rows

    config, store, _ = org
    a, b = _big(config, 2)
    since, until = default_window(date(2026, 10, 31))
    report = build_comparison(store, config, [a, b], since, until)
    weekly = build_panel(store, config, since, until, "week", keep_lists=True)
    rows = team_rows(weekly[weekly["team"].isin([a, b])], 5, period="week")
    for ind in report.indicators:
        for team, value in zip((a, b), ind.values, strict=True):
            assert value == pytest.approx(rows.rows[team].value(ind.key), nan_ok=True), (ind.key, team)
    per_week = next(i for i in report.indicators if i.key == "prs_merged_per_dev_week")
    r = rows.rows[a]
    assert per_week.values[0] == pytest.approx(r.n("prs_merged") / r["prs_merged_per_dev_week"].of * 5)
    assert until - since == timedelta(days=90)
