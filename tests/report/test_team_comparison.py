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
    assert f"{b} − {a} (of the values at left)" in doc.all_text()
    assert f"{c} − {a} (of the values at left)" in doc.all_text()
    assert "Teams differ in the work they do" in html
    # the engine's outcomes carry BH-adjusted p-values; the report's own bootstrap rows have intervals only
    rows = {r.split("</th>")[0].split(">")[-1]: r for r in re.findall(r'<th scope="row">.*?</tr>', html, flags=re.S)}
    assert re.search(r"<td>(?:0\.\d+|1\.00|≤0\.\d+)</td>", rows["Median PR cycle time"])
    assert rows["AI adoption share"].count("<td>not tested</td>") == 2
    assert "&lt;0.001" not in html  # a bootstrap p-value never claims more than 1/(B+1)
    assert external_reference(html) is None and "<script" not in html
    again = write_compare(store, config, f"{a},{b},{c}", None, None, tmp_path / "d.html").read_text(encoding="utf-8")
    assert again == html


_CELL = re.compile(r"^(?P<sign>[+−]?)(?P<usd>\$?)(?P<num>[\d,]+(?:\.(?P<dec>\d+))?)\s*(?P<unit>.*)$")


def _printed(cell: str) -> tuple[str, float, float, str]:
    """A printed number → (sign, value, half its last digit, unit), "%" read as "pp" and "$" as a unit."""
    m = _CELL.match(cell)
    assert m, cell
    value = float(m["num"].replace(",", "")) * (-1 if m["sign"] == "−" else 1)
    unit = "$" if m["usd"] else ("pp" if m["unit"] == "%" else m["unit"])
    return m["sign"], value, 0.5 * 10 ** -len(m["dec"] or ""), unit


def _side_by_side(html: str) -> dict[str, list[str]]:
    table = html[html.index('<table class="compare">'):]
    table = table[:table.index("</table>")]
    cells = {}
    for row in re.findall(r'<tr><th scope="row">.*?</tr>', table, flags=re.S):
        texts = [re.sub(r"<sup>.*?</sup>|<[^>]+>", "", c).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        cells[texts[0]] = texts[1:]
    return cells


def test_every_difference_is_b_minus_a_of_the_printed_values_in_their_unit(
        org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    """A reader checks a difference by subtracting the two values beside it: it must agree (up to the
    rounding of the three printed numbers), in the same unit, with the sign the header gives (B − A)."""
    config, store, _ = org
    teams = _big(config, 3)
    html = write_compare(store, config, ",".join(teams), None, None, tmp_path / "c.html").read_text(encoding="utf-8")
    rows = _side_by_side(html)
    assert len(rows) == 11
    checked = 0
    for label, cells in rows.items():
        values, diffs = cells[:3], cells[3:]
        for k, team in enumerate(teams[1:]):
            diff, a, b = diffs[3 * k], values[0], values[k + 1]
            if "no data" in (diff, a, b):
                assert diff == "no data" or "no data" not in (a, b), (label, team)
                continue
            (_, va, ra, ua), (_, vb, rb, ub), (sign, vd, rd, ud) = _printed(a), _printed(b), _printed(diff)
            assert ua == ub == ud, (label, a, b, diff)  # one unit per row: never "4.7 d" beside "−11.1 h"
            assert abs(vd - (vb - va)) <= ra + rb + rd + 1e-9, (label, team, a, b, diff)
            assert (sign == "") == (vd == 0), (label, diff)  # a zero has no sign, a non-zero always one
            checked += 1
    assert checked >= 15
    assert not re.search(r"[+−]0(?:\.0+)?(?![\d.])", "".join(c for cells in rows.values() for c in cells))


def test_a_row_of_durations_in_days_prints_its_difference_and_interval_in_days(
        org: tuple[Config, Store, Path], tmp_path: Path) -> None:
    config, store, _ = org
    teams = _big(config, 3)
    rows = _side_by_side(write_compare(store, config, ",".join(teams), None, None, tmp_path / "c.html")
                         .read_text(encoding="utf-8"))
    assert "d" in {_printed(c)[3] for c in rows["Median lead time"][:3]}  # the case that mixed units
    for label in ("Median PR cycle time", "Median PR review time", "Median lead time"):
        units = {_printed(c)[3] for c in rows[label][:4]}
        assert len(units) == 1, rows[label]
        interval = rows[label][4]
        if interval.startswith("["):
            ends = interval.split("]")[0].strip("[").split(", ")
            assert {_printed(e)[3] for e in ends} == units, (label, interval)


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


def test_a_team_with_too_few_ai_users_shows_no_ai_figure_anywhere_in_the_comparison(tmp_path: Path) -> None:
    # platform's usage is two people's: the teams table printed n/a while the side-by-side printed its 5% adoption,
    # its spend per AI-active developer-day, the difference and the weekly adoption line
    from correlate.demo import generate, load
    from correlate.html.render import render
    from correlate.metrics.catalogue import metric
    from correlate.report.team_comparison import build_comparison
    from correlate.report.teams import about_ai_users

    org_ = generate(teams=24, devs=720, days=120, seed=7, end=date(2026, 12, 6))
    with Store.open(tmp_path / "s.duckdb") as store:
        load(store, org_)
        report = build_comparison(store, org_.config, ["platform", "payments"], date(2026, 9, 7), date(2026, 12, 6))
    hidden_rows = [ind for ind in report.indicators if any(ind.hidden)]
    assert hidden_rows and all(about_ai_users(metric(ind.key)) for ind in hidden_rows)
    for ind in hidden_rows:
        assert all(d.hidden and d.p_bh is None for d in ind.diffs)
    adoption = next(c for c in report.charts if "adoption" in c.title.lower())
    assert all(v is None for row in adoption.rows for v in row[1:])
    html = render("compare.html.j2", r=report)
    side = _side_by_side(html)
    assert side["AI adoption share"] == ["n/a"] * 5  # two teams, a difference, its interval and p
    assert "hidden" not in side.get("Median PR cycle time", []) and side["Median PR cycle time"][0] != "n/a"
