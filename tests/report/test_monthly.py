"""The monthly report rendered from a small synthetic organisation: sections, self-containment,
privacy, determinism, and the statistics shown or honestly missing."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from correlate.commands import write_monthly
from correlate.config import Config
from correlate.errors import UsageError
from correlate.html.render import render
from correlate.panel import build_panel
from correlate.report.answer import verdicts
from correlate.report.monthly import build_monthly, month_bounds
from correlate.report.sections import AttRow, MonthlyReport, StatLine, StatsSection
from correlate.report.statistics import run_statistics, statistics_window
from correlate.report.teams import OTHER, SUPPRESSED, team_rows
from correlate.stats.wording import check_wording
from correlate.store import Store
from tests.htmlcheck import external_reference, parse
from tests.reportdata import (
    HOSTILE,
    HOSTILE_EDIT_TOOL,
    HOSTILE_EMAIL,
    HOSTILE_MODEL,
    MONTH,
    NO_STATS,
    Rendered,
    hostile_monthly,
)

SECTIONS = [("summary", "1. The answer"), ("adoption", "2. Adoption"), ("cost", "3. Cost"),
            ("leading", "4. Leading indicators"), ("lagging", "5. Lagging indicators"),
            ("before-after", "6. Before and after adoption"), ("data-quality", "7. Data quality"),
            ("appendix", "Appendix")]


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return hostile_monthly()


@pytest.fixture(scope="module")
def org(rendered: Rendered) -> tuple[Config, Store]:
    return rendered.config, rendered.store


@pytest.fixture(scope="module")
def report(rendered: Rendered) -> MonthlyReport:
    return rendered.report


@pytest.fixture(scope="module")
def html(rendered: Rendered) -> str:
    return rendered.html


def test_every_section_is_there_in_the_issue_order(html: str) -> None:
    assert parse(html).sections == SECTIONS


def test_the_file_is_self_contained_and_forbids_loading_anything(html: str) -> None:
    doc = parse(html)
    csp = [a.get("content") for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0] or "")
    assert not [t for t, _ in doc.tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    assert not doc.attrs("src")
    ids = set(doc.attrs("id"))
    assert doc.attrs("href") and all(h.startswith("#") and h[1:] in ids for h in doc.attrs("href"))  # in-page only
    assert external_reference(html) is None, external_reference(html)
    assert html.index("<style>") < html.index("</head>")  # the inlined stylesheet (charts carry their own)


def test_each_chart_has_a_title_and_a_data_table_behind_it(html: str) -> None:
    figures = re.findall(r"<figure[^>]*>.*?</figure>", html, flags=re.S)
    assert len(figures) >= 4
    for fig in figures:
        assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*><title>[^<]+</title>', fig)
        assert "<table" in fig and 'scope="col"' in fig


def test_table_headers_have_scope(html: str) -> None:
    for tag, attrs in parse(html).tags:
        if tag == "th":
            assert attrs.get("scope") in ("col", "row", "colgroup"), attrs


def test_a_team_below_the_minimum_group_size_is_suppressed_and_the_report_says_so(
        org: tuple[Config, Store], report: MonthlyReport, html: str) -> None:
    config, store = org
    first, last = month_bounds(MONTH)
    rows = team_rows(build_panel(store, config, first, last, "month", keep_lists=True), 5, period="month")
    small = rows.grouping.small
    assert small, "the synthetic organisation has one small team"
    doc = parse(html)
    for team in small:
        assert team not in doc.row_headers
        assert team not in "".join(doc.svg_text)
    note = [a for t, a in doc.tags if t == "p" and a.get("data-privacy") == "suppression"]
    assert note and "fewer than 5 people" in html
    table = report.adoption.table
    people = [c.key for c in table.columns].index("headcount")
    for row in table.rows:
        if row.kind == "team":
            assert row.cells[people].value >= 5
        if row.kind == "suppressed":  # only additive totals: no people count, rate or median
            assert row.cells[people].suppressed and math.isnan(row.cells[people].value)
    total = table.rows[-1]
    assert total.kind == "total" and total.cells[people].value == sum(rows.grouping.headcount.values())


def test_small_teams_are_merged_into_other_when_together_they_are_big_enough(org: tuple[Config, Store]) -> None:
    config, store = org
    first, last = month_bounds(MONTH)
    panel = build_panel(store, config, first, last, "month", keep_lists=True)
    rows = team_rows(panel, 9, period="month")
    merged = rows.grouping.merged
    assert len(merged) >= 2
    assert OTHER in rows.labels and SUPPRESSED not in rows.labels
    assert rows.rows[OTHER].value("headcount") == sum(rows.grouping.headcount[t] for t in merged) >= 9
    assert not set(rows.labels) & set(merged)
    assert "shown together as “Other (small teams)”" in rows.grouping.note
    assert rows.org.value("headcount") == sum(rows.grouping.headcount.values())


def test_same_data_renders_byte_identical_html(org: tuple[Config, Store], html: str, tmp_path: Path) -> None:
    config, store = org
    again = write_monthly(store, config, MONTH, tmp_path / "again.html", org_name=HOSTILE[0],
                          stats=NO_STATS).read_text(encoding="utf-8")
    assert again == html


def test_without_the_statistics_engine_the_report_says_so_and_prints_no_estimate(html: str) -> None:
    doc = parse(html)
    caveats = [a for t, a in doc.tags if t == "p" and a.get("data-stats") == "unavailable"]
    assert len(caveats) == 3  # sections 1, 4 and 6
    assert "Statistical estimates unavailable: the statistics engine" in html  # the reason given (NO_STATS)
    assert "p (BH-adjusted)" not in html and "95% interval" not in html


def test_the_report_itself_uses_no_causal_verbs(html: str) -> None:
    text = parse(html).all_text().lower()
    for verb in ("caused", "drove", "resulted in", "impact of", "because of ai", "led to", "thanks to"):
        assert verb not in text, verb


def test_an_empty_store_is_refused_with_what_to_do(org: tuple[Config, Store], tmp_path: Path) -> None:
    config, _ = org
    with Store.open(tmp_path / "empty.duckdb") as empty:
        assert statistics_window(empty, month_bounds(MONTH)[1]) is None
        with pytest.raises(UsageError, match="no AI usage and no pull requests yet.*correlate sync"):
            build_monthly(empty, config, MONTH)


@pytest.mark.slow
def test_the_statistics_engine_fills_sections_1_4_and_6(org: tuple[Config, Store], report: MonthlyReport) -> None:
    config, store = org
    last = month_bounds(MONTH)[1]
    start = statistics_window(store, last)
    assert start is not None
    view = run_statistics(build_panel(store, config, start, last, "week"), config)
    assert view.available, view.reason
    assert {s.outcome for s in view.summary} == {"median PR cycle time", "merged PRs per developer-week",
                                                  "change failure rate", "deployments per working week"}
    for line in view.summary:
        assert line.n > 0 and line.n_units == len(config.team_names) and line.rung_label
        assert line.verdict in ("detected", "inconclusive", "not_after_correction", "descriptive")
        if line.verdict == "inconclusive":
            assert "reliably detect only changes larger than" in line.paragraph
        rung = int(line.rung_label[0])
        check_wording(line.sentence, rung if rung >= 4 else 1)  # raises on causal verbs below rung 4
    out = render("monthly.html.j2", r=replace(report, stats=view))
    doc = parse(out)
    assert 'data-stats="unavailable"' not in out
    assert "p (BH-adjusted)" in out and "Minimum detectable effect" in out
    assert sum(1 for t, a in doc.tags if t == "svg") >= 4 + len(view.event_studies) and view.event_studies
    assert all(c.cohort.startswith("week of 20") for c in view.cohorts)


def test_statistics_when_present_print_estimate_interval_n_rung_and_bh_p(report: MonthlyReport) -> None:
    # Hand-built section (not engine output): checks only that the template prints every field.
    view = StatsSection(
        available=True, level="exploratory", gate_text="8 teams: exploratory.",
        summary=(StatLine("median PR cycle time", "Sentence from the engine.", "", -12.5, -20.0, -4.0, "%", 421, 8,
                          "4 · difference-in-differences", 0.0123, "detected", "pr_cycle_time_h", 4, "", 9.0),
                 StatLine("change failure rate", "Another sentence.", "Inconclusive paragraph.", 1.5, -3.0, 6.0, "pp",
                          393, 8, "4 · difference-in-differences", 0.47, "inconclusive", "change_failure_rate", 4, "",
                          7.2)),
        att=(AttRow("change failure rate", 1.5, -3.0, 6.0, "pp", 7.2, 0.47, "inconclusive", "flat", 6, 2,
                    "Inconclusive paragraph."),))
    found, evidence = verdicts(view)  # page one words the engine's numbers
    out = render("monthly.html.j2", r=replace(report, stats=view,
                                              summary=replace(report.summary, verdicts=found, evidence=evidence)))
    text = parse(out).all_text()
    for expected in ("421 / 8", "4 · difference-in-differences", "0.012", "+1.5 pp", "± 7.2 pp",
                     "Inconclusive paragraph.", "Sentence from the engine.",
                     # page one, in plain words
                     "Teams that adopted AI coding assistants merged PRs 12% faster (95% CI 4.0–20%)",
                     "Change failure rate: no detectable change (+1.5 pp, 95% CI −3.0 pp to +6.0 pp); the data could "
                     "only have seen changes larger than about 7.2 percentage points"):
        assert expected in text, expected
    assert 'data-stats="unavailable"' not in out
    assert not math.isnan(view.summary[0].estimate)


def test_cost_section_prices_caching_against_the_list_input_price(report: MonthlyReport) -> None:
    sonnet = next(m for m in report.cost.models if m.model == "claude-sonnet-5" and m.tool == "claude_code")
    # Sonnet 5: input $2, cache read $0.20, output $10 per million tokens (docs/sources.md §6); batch halves in and out
    assert sonnet.cache_saved_usd == pytest.approx(sonnet.tokens_cache_read * (2.0 - 0.2) / 1e6)
    assert sonnet.batch_saving_usd == pytest.approx((sonnet.tokens_input * 2.0 + sonnet.tokens_output * 10.0) / 2e6)
    org = report.cost.table.rows[-1]
    cols = [c.key for c in report.cost.table.columns]
    per_commit = org.cells[cols.index("cost_per_commit")]
    assert per_commit.value == pytest.approx(per_commit.n / per_commit.of)
    assert per_commit.n == pytest.approx(org.cells[cols.index("ai_cost_usd")].value)


def test_element_ids_are_unique_across_the_inline_charts(html: str) -> None:
    ids = parse(html).attrs("id")
    assert len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", html):
        assert ref in ids


def test_hostile_team_names_emails_models_and_edit_tools_are_inert_text(html: str) -> None:
    doc = parse(html)
    assert not [t for t, _ in doc.tags if t in ("script", "img")]
    assert not [(t, k) for t, a in doc.tags for k in a if k.lower().startswith("on")]  # no event handlers
    text, svg_text = doc.all_text(), "".join(doc.svg_text)
    for name in HOSTILE:  # team names: in tables (row headers) and in chart legends and axis labels
        assert name in doc.row_headers, name
        assert name in svg_text, name
    assert "{{ 7*7 }}" in text and ">49<" not in html  # no template evaluation of data
    for value in (HOSTILE_MODEL, HOSTILE_EDIT_TOOL):
        assert value in text, value
    assert "$x^2$" in text  # a model name with TeX markup prints literally
    assert HOSTILE_EMAIL not in text and "evil.example" not in html  # an identity is counted, never printed
