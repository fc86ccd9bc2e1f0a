"""A figure the privacy rule withholds is withheld everywhere it would appear and says "hidden (fewer than N
AI-active people)", never "no data"; the caching recommendation quotes the cost table's own number."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.records import AIUsageDay, AIUsageModelDay, PullRequest
from correlate.config import from_mapping
from correlate.html.render import render
from correlate.metrics.catalogue import metric
from correlate.report.monthly import build_monthly
from correlate.report.sections import MetricTable, MonthlyReport
from correlate.report.statistics import unavailable
from correlate.report.teams import FEW_AI_USERS, about_ai_users, hidden_reason
from correlate.store import Store

DAYS = [date(2026, 3, d) for d in (3, 4, 5, 10, 11)]
HIDDEN = hidden_reason(5)


def _team(name: str, n: int) -> dict[str, object]:
    return {"name": name, "members": [f"{name}{i}@acme.example" for i in range(n)]}


def _usage(team: str, people: int, cost: float) -> list[AIUsageDay]:
    return [AIUsageDay("claude_code", "analytics_api", d, f"{team}{i}@acme.example", cost_usd=cost, sessions=2)
            for i in range(people) for d in DAYS]


def _prs(team: str, people: int, start: int, n: int, assisted: int) -> list[PullRequest]:
    """``n`` PRs merged in March by the team's people, the first ``assisted`` of them AI-assisted."""
    return [PullRequest(repo="acme/x", number=start + i, author=f"{team}{i % people}@acme.example", author_type="User",
                        title="t", state="merged", created_at=datetime(2026, 3, 2 + i % 5, 10, tzinfo=UTC),
                        merged_at=datetime(2026, 3, 3 + i % 5, 10, tzinfo=UTC), ai_assisted=i < assisted)
            for i in range(n)]


def _report(folder: Path, teams: list[dict[str, object]], usage: list[AIUsageDay], prs: list[PullRequest],
            today: date) -> tuple[MonthlyReport, str]:
    config = from_mapping({"store": {"path": str(folder / "s.duckdb")}, "report": {"min_group_size": 5},
                           "teams": teams}, path=None)
    models = [AIUsageModelDay(r.tool, r.source, r.day, r.actor, "claude-sonnet-5", tokens_input=1000,
                              tokens_output=100, tokens_cache_read=3000, cost_usd=r.cost_usd) for r in usage]
    with Store.open(config.store_path) as store:
        store.upsert(AIUsageDay, usage)
        store.upsert(AIUsageModelDay, models)
        store.upsert(PullRequest, prs)
        report = build_monthly(store, config, "2026-03", today=today, stats=unavailable("not needed"))
    return report, render("monthly.html.j2", r=report)


def _cell(table: MetricTable, label: str, key: str):  # type: ignore[no-untyped-def]
    i = [c.key for c in table.columns].index(key)
    return next(r for r in table.rows if r.label == label).cells[i]


def _section(html: str, name: str) -> str:
    return re.search(rf'<section id="{name}".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]


def test_the_ai_assisted_share_of_prs_is_about_ai_users() -> None:
    assert about_ai_users(metric("ai_assisted_share"))


@pytest.fixture(scope="module")
def one_ai_user(tmp_path_factory: pytest.TempPathFactory) -> tuple[MonthlyReport, str]:
    """payments (8 people) has ONE AI user, who wrote 4 AI-assisted PRs of the team's 10; search (8) has five AI
    users (hidden with it, so that the organisation's total does not give payments away); data (8) eight."""
    usage = [*_usage("payments", 1, 2.658), *_usage("search", 5, 1.0), *_usage("data", 8, 1.5)]
    prs = [*_prs("payments", 8, 0, 10, 4), *_prs("search", 8, 50, 10, 1), *_prs("data", 8, 100, 20, 12)]
    return _report(tmp_path_factory.mktemp("one"), [_team("payments", 8), _team("search", 8), _team("data", 8)],
                   usage, prs, date(2026, 12, 7))


def test_a_team_with_one_ai_user_hides_the_share_of_its_prs_that_person_made_with_an_assistant(
        one_ai_user: tuple[MonthlyReport, str]) -> None:
    report, html = one_ai_user
    cell = _cell(report.adoption.table, "payments", "ai_assisted_share")
    assert cell.suppressed and math.isnan(cell.value) and cell.why == FEW_AI_USERS.format(n=5)
    # the team with enough AI users, and the organisation, keep theirs
    assert _cell(report.adoption.table, "data", "ai_assisted_share").value == pytest.approx(12 / 20)
    assert _cell(report.adoption.table, "Organisation", "ai_assisted_share").value == pytest.approx(17 / 40)
    row = re.search(r"<tr><th scope=\"row\">payments</th>.*?</tr>", _section(html, "adoption"), re.S).group(0)  # type: ignore[union-attr]
    assert "40%" not in row and row.count(">n/a<") == 5


@pytest.fixture(scope="module")
def two_ai_users(tmp_path_factory: pytest.TempPathFactory) -> tuple[MonthlyReport, str]:
    """Two teams of 6 with one AI user each: the organisation's AI usage is two people's."""
    usage = [*_usage("checkout", 1, 3.117), *_usage("ledger", 1, 4.229)]
    prs = [*_prs("checkout", 6, 0, 6, 3), *_prs("ledger", 6, 100, 6, 2)]
    return _report(tmp_path_factory.mktemp("two"), [_team("checkout", 6), _team("ledger", 6)], usage, prs,
                   date(2026, 12, 7))


def test_an_organisation_with_too_few_ai_users_hides_its_ai_figures_everywhere(
        two_ai_users: tuple[MonthlyReport, str]) -> None:
    report, html = two_ai_users
    spend = 5 * (3.117 + 4.229)  # $36.73: the two people's month
    # page one: the spend sentence, the months, the cards
    assert report.summary.spend is not None
    assert report.summary.spend.sentence == f"AI spend in {report.period.label}: {HIDDEN}."
    assert report.summary.spend.trend and all(m.hidden == HIDDEN and math.isnan(m.usd)
                                              for m in report.summary.spend.trend)
    cards = {h.label: h for h in report.summary.headlines}
    for name in ("adoption_share", "ai_cost_usd", "cost_per_merged_pr"):
        assert cards[metric(name).title].hidden == HIDDEN
    # the organisation row of every table: no AI figure, the AI-assisted share of PRs included
    for table in (report.adoption.table, report.cost.table):
        org = next(r for r in table.rows if r.label == "Organisation")
        for col, cell in zip(table.columns, org.cells, strict=True):
            assert cell.suppressed == about_ai_users(metric(col.key)), col.key
    # section 3: neither the spend classes nor the models' total
    assert report.cost.spend.hidden == HIDDEN and report.cost.hidden == HIDDEN
    for text in (f"{spend:,.2f}", "could be linked", "to work that merged and held", "$"):
        assert text not in _section(html, "summary") and text not in _section(html, "cost"), text
    assert f"{spend:,.2f}" not in html
    # a withheld figure says so: "no data" would claim the data are missing
    assert HIDDEN in _section(html, "summary") and HIDDEN in _section(html, "cost")
    page_one_cards = re.findall(r'<div class="card">.*?</div>\s*</div>', _section(html, "summary"), re.S)
    ai_cards = [c for c in page_one_cards if any(metric(n).title in c for n in ("adoption_share", "ai_cost_usd"))]
    assert ai_cards and all('<div class="value">no data' not in c and HIDDEN in c for c in ai_cards)
    assert report.appendix is not None
    for matrix in (report.appendix.team_model, report.appendix.spend_by_team):
        assert matrix.rows and all(v == "hidden" for row in matrix.rows for v in row[1:])
        assert HIDDEN in matrix.note


@pytest.fixture(scope="module")
def early_in_the_month(tmp_path_factory: pytest.TempPathFactory) -> tuple[MonthlyReport, str]:
    """Six teams of 6, all using an assistant, reported on 12 March: 11 days of March, all of it too recent to judge."""
    teams = [_team(t, 6) for t in ("a", "b", "c", "d", "e", "f")]
    usage = [r for t in ("a", "b", "c", "d", "e", "f") for r in _usage(t, 6, 1.0)]
    prs = [p for k, t in enumerate(("a", "b", "c", "d", "e", "f")) for p in _prs(t, 6, 100 * k, 6, 3)]
    return _report(tmp_path_factory.mktemp("early"), teams, usage, prs, date(2026, 3, 12))


def test_spend_too_recent_to_judge_has_no_productive_share_yet(early_in_the_month: tuple[MonthlyReport, str]) -> None:
    report, html = early_in_the_month
    assert report.period.partial
    assert report.summary.spend is not None
    sentence = report.summary.spend.sentence
    assert "how much went to work that merged and held is not yet known" in sentence
    assert "% to work that merged and held" not in sentence and math.isnan(report.summary.spend.productive_share)
    assert report.cost.spend.maturity_note and "not yet known" in _section(html, "cost")


def test_a_partial_month_says_it_is_in_progress_once_in_what_to_do_next(
        early_in_the_month: tuple[MonthlyReport, str]) -> None:
    report, _ = early_in_the_month
    steps = report.summary.next_steps
    assert sum(report.period.note in s for s in steps) == 1 and report.period.note in steps[-1]


@pytest.fixture(scope="module")
def one_team_barely_caches(tmp_path_factory: pytest.TempPathFactory) -> tuple[MonthlyReport, str]:
    """Six teams of 6 AI users; team "a" reads a fifth of its input from the cache, the others most of it, and
    everyone writes the cache heavily (cache writes are not in the cache-read share)."""
    folder = tmp_path_factory.mktemp("cache")
    names = ("a", "b", "c", "d", "e", "f")
    config = from_mapping({"store": {"path": str(folder / "s.duckdb")}, "report": {"min_group_size": 5},
                           "teams": [_team(t, 6) for t in names]}, path=None)
    reads = {"a": 250, "b": 9000, "c": 8000, "d": 9500, "e": 7000, "f": 8800}
    # the daily rows carry the day's tokens (the cost table's source), the model rows the same split by model
    usage = [replace(r, tokens_input=1000, tokens_output=100, tokens_cache_read=reads[r.actor[0]])
             for t in names for r in _usage(t, 6, 2.0)]
    models = [AIUsageModelDay(r.tool, r.source, r.day, r.actor, "claude-sonnet-5", tokens_input=1000,
                              tokens_output=100, tokens_cache_read=reads[r.actor[0]], tokens_cache_creation=20000,
                              cost_usd=r.cost_usd) for r in usage]
    with Store.open(config.store_path) as store:
        store.upsert(AIUsageDay, usage)
        store.upsert(AIUsageModelDay, models)
        report = build_monthly(store, config, "2026-03", today=date(2026, 12, 7), stats=unavailable("not needed"))
    return report, render("monthly.html.j2", r=report)


def test_the_caching_recommendation_quotes_the_cost_tables_cache_read_share(
        one_team_barely_caches: tuple[MonthlyReport, str]) -> None:
    report, html = one_team_barely_caches
    (rec,) = [r for r in report.cost.spend.recommendations if r.kind.lower().endswith("prompt caching")]
    ((team, sentence),) = rec.findings
    assert team == "a"
    shares = {r.label: _cell(report.cost.table, r.label, "cache_read_share").value for r in report.cost.table.rows}
    others = sorted(v for k, v in shares.items() if k not in ("a", "Organisation"))
    median = (others[2] + others[3]) / 2 if len(others) == 6 else others[len(others) // 2]
    assert f"Cache reads are {100 * shares['a']:.0f}% of input tokens for a" in sentence
    assert f"a median of {100 * median:.0f}% in the other teams" in sentence
    # and both are the catalogue's definition: cache reads over uncached input plus cache reads
    assert shares["a"] == pytest.approx(250 / 1250)
    assert f"{100 * shares['a']:.0f}%" in _section(html, "cost")


@pytest.mark.parametrize(("strangers", "printed"), [(1, False), (6, True)])
def test_spend_of_a_few_identities_no_team_claims_is_not_printed(tmp_path: Path, strangers: int,
                                                                   printed: bool) -> None:
    # one unclaimed identity's spend is that person's spend; six together are a group
    usage = [*_usage("data", 8, 1.5), *[AIUsageDay("claude_code", "analytics_api", d, f"stranger{i}@elsewhere.example",
                                                  cost_usd=7.919, sessions=1) for i in range(strangers) for d in DAYS]]
    report, html = _report(tmp_path, [_team("data", 8)], usage, _prs("data", 8, 0, 10, 5), date(2026, 12, 7))
    cost = _section(html, "cost")
    assert "identities no team claims" in cost
    assert bool(re.search(r"Not in these figures: \$[\d,.]+ of", cost)) is printed
    if not printed:  # nor anywhere else in the report (data quality counts identities, it does not price them)
        assert not re.search(r"\$39\.6|\$40\b", html)
    assert ("the amount is hidden: fewer than 5 identities" in cost) is not printed
