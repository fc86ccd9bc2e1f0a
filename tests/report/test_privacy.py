"""Privacy by construction: the minimum group size applies to every cell that counts people (sub-groups
too), no report names a person, and text from the data cannot reorder or blow up what a reader sees."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.records import AIUsageDay, AIUsageModelDay, PullRequest
from correlate.cli import app
from correlate.commands import write_compare, write_monthly
from correlate.config import from_mapping
from correlate.demo import dump_toml
from correlate.html.charts import draw
from correlate.html.render import render
from correlate.report.monthly import HIDDEN_ROW, build_monthly
from correlate.report.names import RUN_LIMIT, display_name, neutralise
from correlate.report.statistics import unavailable
from correlate.report.teams import COMPLEMENT, FEW_AI_USERS
from correlate.store import Store
from tests.htmlcheck import parse
from tests.reportdata import NO_STATS, build

TODAY = date(2026, 12, 7)
DAYS = [date(2026, 3, d) for d in (3, 4, 5, 10, 11)]


def _team(name: str, n: int) -> dict[str, object]:
    return {"name": name, "members": [f"{name}{i}@acme.example" for i in range(n)]}


def _usage(team: str, people: int, cost: float, sessions: int) -> list[AIUsageDay]:
    return [AIUsageDay("claude_code", "analytics_api", d, f"{team}{i}@acme.example", cost_usd=cost, sessions=sessions)
            for i in range(people) for d in DAYS]


@pytest.fixture(scope="module")
def small_groups(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three teams of 8: payments has ONE AI user, search five, data eight (min_group_size 5)."""
    folder = tmp_path_factory.mktemp("privacy")
    config = from_mapping({"store": {"path": str(folder / "s.duckdb")}, "report": {"min_group_size": 5},
                           "teams": [_team("payments", 8), _team("search", 8), _team("data", 8)]}, path=None)
    rows = [*_usage("payments", 1, 2.658, 3), *_usage("search", 5, 1.0, 2), *_usage("data", 8, 1.5, 2)]
    models = [AIUsageModelDay(r.tool, r.source, r.day, r.actor, "claude-sonnet-5", tokens_input=1000,
                              tokens_output=100, cost_usd=r.cost_usd) for r in rows]
    # one person of data also tried a model nobody else used
    models.append(AIUsageModelDay("claude_code", "analytics_api", DAYS[0], "data0@acme.example", "claude-opus-4-8",
                                  tokens_input=10, tokens_output=10, cost_usd=0.5))
    prs = [PullRequest(repo="acme/x", number=i, author=f"data{i % 8}@acme.example", author_type="User", title="t",
                       state="merged", created_at=datetime(2026, 3, 2 + i % 5, 10, tzinfo=UTC),
                       merged_at=datetime(2026, 3, 10 + i % 5, 10, tzinfo=UTC)) for i in range(20)]
    with Store.open(config.store_path) as store:
        store.upsert(AIUsageDay, rows)
        store.upsert(AIUsageModelDay, models)
        store.upsert(PullRequest, prs)
        report = build_monthly(store, config, "2026-03", today=TODAY, stats=unavailable("not needed"))
    return report, render("monthly.html.j2", r=report)


def _cell(table, team: str, key: str):  # type: ignore[no-untyped-def]
    i = [c.key for c in table.columns].index(key)
    return next(r for r in table.rows if r.label == team).cells[i]


def test_a_team_with_one_ai_user_shows_none_of_that_persons_usage(small_groups) -> None:  # type: ignore[no-untyped-def]
    report, html = small_groups
    for table, keys in ((report.adoption.table, ("ai_active_users", "adoption_share", "ai_sessions")),
                        (report.cost.table, ("ai_cost_usd", "cost_per_merged_pr", "cost_per_dev_day"))):
        for key in keys:
            cell = _cell(table, "payments", key)
            assert cell.suppressed and cell.value != cell.value and FEW_AI_USERS.format(n=5) == cell.why, key
        assert not _cell(table, "payments", "headcount" if "headcount" in [c.key for c in table.columns]
                         else keys[0]).value == 1
    # the one person's month: 5 days x $2.658 = $13.29, 15 sessions; neither is printed anywhere
    assert "13.29" not in html and "$13" not in html
    assert "payments" not in {str(r[0]) for r in report.cost.chart.rows}


def test_the_next_smallest_team_is_hidden_too_so_the_total_does_not_give_it_away(small_groups) -> None:  # type: ignore[no-untyped-def]
    report, _ = small_groups
    search = _cell(report.cost.table, "search", "ai_cost_usd")
    assert search.suppressed and search.why == COMPLEMENT
    assert not _cell(report.cost.table, "data", "ai_cost_usd").suppressed
    # per-team matrices merge the hidden teams into one row (6 AI users together: shown), never payments alone
    labels = [r[0] for r in report.cost.team_model.rows]
    assert "payments" not in labels and "search" not in labels and HIDDEN_ROW in labels
    merged = next(r for r in report.cost.team_model.rows if r[0] == HIDDEN_ROW)
    assert merged[-1] == pytest.approx(13.29 + 25.0)


def test_a_model_used_by_one_person_is_only_in_the_total(small_groups) -> None:  # type: ignore[no-untyped-def]
    report, _ = small_groups
    assert {m.model for m in report.cost.models} == {"claude-sonnet-5"}
    assert "claude-opus-4-8" in report.cost.price_note  # named as not shown, no figure
    assert report.cost.model_total.cost_usd == pytest.approx(13.29 + 25.0 + 60.0)


def _identities(store: Store, config) -> set[str]:  # type: ignore[no-untyped-def]
    found = {m.identity for m in config.memberships} | {m.person for m in config.memberships}
    for sql in ("SELECT DISTINCT actor FROM ai_usage_daily", "SELECT DISTINCT author FROM pull_requests",
                "SELECT DISTINCT actor FROM ai_usage_model_daily", "SELECT DISTINCT actor FROM ai_edit_actions"):
        found |= {str(r[0]) for r in store.con.execute(sql).fetchall() if r[0]}
    return {i for i in found if len(i) >= 6}


def test_no_report_names_a_person(tmp_path: Path) -> None:
    config, store_path = build(tmp_path)
    planted = {"planted.person@example.org", "plantedlogin42", "api-key-planted-7"}
    with Store.open(store_path) as store:
        for who in planted:  # identities no team claims, with activity in the month
            store.upsert(AIUsageDay, [AIUsageDay("claude_code", "analytics_api", date(2026, 10, d), who,
                                                 cost_usd=40.0, sessions=9) for d in range(5, 25)])
        store.upsert(PullRequest, [PullRequest(repo="acme/payments-api", number=90_000 + i, author="plantedlogin42",
                                               author_type="User", title="t", state="merged",
                                               created_at=datetime(2026, 10, 5, 10, tzinfo=UTC),
                                               merged_at=datetime(2026, 10, 6, 10, tzinfo=UTC)) for i in range(5)])
        everyone = _identities(store, config)
        assert planted <= everyone and len(everyone) > 50
        reports = [write_monthly(store, config, "2026-10", tmp_path / "m.html", stats=NO_STATS).read_text("utf-8")]
        teams = [t for t in config.team_names if sum(1 for m in config.memberships if m.team == t) >= 10][:2]
        reports.append(write_compare(store, config, ",".join(teams), date(2026, 8, 3), date(2026, 10, 25),
                                     tmp_path / "c.html").read_text("utf-8"))
    for html in reports:
        low = html.lower()
        leaked = sorted(i for i in everyone if i.lower() in low)
        assert not leaked, leaked[:5]
    assert "Identities that resolved to no team (counts only)" in reports[0]
    # the admin gets them from the export instead
    path = tmp_path / "correlate.toml"
    path.write_text(dump_toml({"store": {"path": str(store_path)},
                               "teams": [{"name": t.name, "members": list(t.members)} for t in config.root.teams]}),
                    encoding="utf-8")
    out = tmp_path / "ids.csv"
    result = CliRunner().invoke(app, ["--config", str(path), "export", "identities", "--out", str(out),
                                      "--since", "2026-10-01", "--until", "2026-10-31"])
    assert result.exit_code == 0, result.output
    listed = out.read_text(encoding="utf-8")
    assert all(who in listed for who in planted) and "matched no team" in result.output


BIDI = "pay\u202ements\u2066x\u2069"
LONG = "squad-" + "x" * 5000


def test_names_are_neutralised() -> None:
    assert "\u202e" not in neutralise(BIDI) and "\ufffd" in neutralise(BIDI)
    assert neutralise("tab\tand newline\nstay") == "tab\tand newline\nstay"
    assert len(display_name(LONG)) <= 48 and display_name(LONG).endswith("…")
    assert max(len(run) for run in neutralise(LONG).split()) <= RUN_LIMIT


def test_bidi_characters_and_endless_team_names_are_neutralised_in_text_and_charts(tmp_path: Path) -> None:
    config, store_path = build(tmp_path)
    data = {"store": {"path": str(store_path)}, "report": {"min_group_size": 5},
            "teams": [dict(t.model_dump(exclude_none=True), name=n)
                      for t, n in zip(config.root.teams, [BIDI, LONG, *config.team_names[2:]], strict=True)]}
    config = from_mapping(data, path=None)
    with Store.open(store_path) as store:
        report = build_monthly(store, config, "2026-10", today=TODAY, stats=NO_STATS)
    html = render("monthly.html.j2", r=report)
    assert "\u202e" not in html and "\u2066" not in html
    text = parse(html).all_text()
    assert max(len(w) for w in text.split()) <= RUN_LIMIT + 1
    assert "pay\ufffdments" in text  # visibly replaced, still recognisable
    for chart in (report.adoption.share_chart, report.cost.chart, report.leading.cycle_chart):
        svg = draw(chart)
        width = float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
        assert width < 1000, (chart.title, width)  # a 5,000-character legend made it 25,496 pt
        assert "\u202e" not in svg and "x" * 100 not in svg


def test_a_table_with_hidden_cells_says_why(small_groups) -> None:  # type: ignore[no-untyped-def]
    report, html = small_groups
    assert report.cost.table.note.startswith("n/a in AI-usage columns: fewer than 5 AI-active people")
    assert f'title="{FEW_AI_USERS.format(n=5)}"' in html
