"""Page one in plain words: a verdict per primary outcome worded by its evidence rung, how sure, what it
costs and what to do next; engine notes without internal names; the compare report's honest intervals."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest

from correlate.config import from_mapping
from correlate.html.render import render
from correlate.report.answer import next_steps, spend_summary, verdicts
from correlate.report.paper import locale_paper, paper_size
from correlate.report.sections import Diff, Period, SpendMonth, StatLine, StatsSection, Verdict
from correlate.report.statistics import plain_note, unavailable
from correlate.report.team_comparison import AT_ZERO, NO_SPREAD, degenerate
from correlate.stats.wording import CAUSAL_PATTERN, DIVERGING, inconclusive_paragraph
from tests.htmlcheck import parse


def _line(metric: str, label: str, est: float, lo: float, hi: float, unit: str, verdict: str, rung: int,
          reason: str = "", mde: float = math.nan) -> StatLine:
    return StatLine(label, "engine sentence", "", est, lo, hi, unit, 400, 32, f"{rung} · x", 0.01, verdict, metric,
                    rung, reason, mde)


def _stats(*lines: StatLine) -> StatsSection:
    return StatsSection(available=True, level="confirmatory (32 teams: 24 adopting, 8 comparison; 52 weeks)",
                        summary=lines, n_control=8)


def test_a_detected_change_at_rung_4_is_an_estimate_under_parallel_trends() -> None:
    (v,), evidence = verdicts(_stats(_line("pr_cycle_time_h", "median PR cycle time", -18.2, -26.0, -9.0, "%",
                                           "detected", 4)))
    assert v.status == "detected" and v.better is True
    assert v.sentence.startswith("Teams that adopted AI coding assistants merged PRs 18% faster (95% CI 9.0–26%), "
                                 "a change the data can distinguish from noise.")
    assert "would otherwise have moved like the comparison teams" in v.sentence
    assert "difference-in-differences" in evidence and "How sure: confirmatory" in evidence


def test_below_rung_4_a_detected_change_is_an_association_with_the_engines_reason() -> None:
    reason = "Adopting teams were already diverging from the comparison teams before adoption."
    (v,), _ = verdicts(_stats(_line("pr_cycle_time_h", "median PR cycle time", -18.2, -26.0, -9.0, "%", "detected",
                                    2, reason)))
    # the reason follows a colon, so it starts in lower case
    assert "It is an association, not an estimate of what adoption changed: adopting teams were already " \
           "diverging from the comparison teams before adoption." in v.sentence
    assert not CAUSAL_PATTERN.search(v.sentence)


@pytest.mark.parametrize(("verdict", "lo", "hi"), [("inconclusive", -25.0, 2.0), ("not_after_correction", -25.0, -1.7)])
def test_a_change_that_is_not_a_detection_still_says_the_adopters_were_already_diverging(
        verdict: str, lo: float, hi: float) -> None:
    # a confounded trend: whatever the interval says, the reader must learn the comparison was not like for like
    reason = (f"{DIVERGING} from the comparison teams before adoption (pre-trend test p = 0.002, slope -0.02 per "
              "period), so this is an association, not an estimated effect.")
    (v,), _ = verdicts(_stats(_corrected(_line("pr_cycle_time_h", "median PR cycle time", -14.0, lo, hi, "%", verdict,
                                               2, reason, mde=18.0), p_bh=0.13, tests=28)))
    assert v.sentence.endswith("That is not evidence of no change. " + reason)
    assert not CAUSAL_PATTERN.search(v.sentence)
    (flat,), _ = verdicts(_stats(_corrected(_line("pr_cycle_time_h", "median PR cycle time", -14.0, lo, hi, "%",
                                                  verdict, 2, "There are too few weeks before adoption.", mde=18.0),
                                            p_bh=0.13, tests=28)))
    assert flat.sentence.endswith("That is not evidence of no change.")  # other reasons stay in appendix B


def test_an_estimate_inside_its_mde_is_no_detectable_change_with_what_the_data_could_see() -> None:
    (v, w), _ = verdicts(_stats(
        _line("prs_merged_per_dev_week", "merged PRs per developer-week", 5.3, -1.0, 11.6, "%", "inconclusive", 4,
              mde=8.9),
        _line("change_failure_rate", "change failure rate", 4.1, 1.0, 7.0, "pp", "detected", 4)))
    assert v.status == "no_change" and v.sentence == (
        "Merged PRs per developer-week: no detectable change (+5.3%, 95% CI −1.0% to +12%); the data could only "
        "have seen changes larger than about 8.9%. That is not evidence of no change.")
    assert "no effect" not in v.sentence
    assert w.better is False and "had a change failure rate 4.1 percentage points higher" in w.sentence


def _corrected(line: StatLine, p_bh: float, tests: int) -> StatLine:
    from dataclasses import replace

    return replace(line, p_bh=p_bh, tests=tests)


@pytest.mark.parametrize(("est", "lo", "hi", "move"), [(9.8, 1.3, 18.2, "a rise of 9.8"),
                                                       (-9.8, -18.2, -1.3, "a fall of 9.8")])
def test_an_interval_excluding_zero_that_fails_the_correction_says_so_and_offers_no_mde(
        est: float, lo: float, hi: float, move: str) -> None:
    line = _corrected(_line("change_failure_rate", "change failure rate", est, lo, hi, "pp", "not_after_correction",
                            2, mde=12.0), p_bh=0.080, tests=28)
    (v,), _ = verdicts(_stats(line))
    assert v.status == "not_after_correction" and v.better is None
    assert v.sentence == (
        f"Change failure rate: {move} percentage points (95% CI 1.3–18.2 percentage points), which does not survive "
        "the correction for testing 28 estimates at once (adjusted p = 0.080), so it is not counted as a detected "
        "change. That is not evidence of no change.")
    assert "no detectable change" not in v.sentence and "could only have seen" not in v.sentence


@pytest.mark.parametrize(("lo", "hi", "mde_shown"), [(-1.0, 11.6, True), (0.0, 11.6, True), (1.3, 11.6, False)])
def test_the_mde_sentence_appears_only_when_the_interval_includes_zero(lo: float, hi: float, mde_shown: bool) -> None:
    (v,), _ = verdicts(_stats(_line("prs_merged_per_dev_week", "merged PRs per developer-week", 5.3, lo, hi, "%",
                                    "inconclusive", 4, mde=8.9)))
    assert ("the data could only have seen changes larger than about 8.9%" in v.sentence) is mde_shown, v.sentence


@pytest.mark.parametrize(("rungs", "kind"), [
    ((4, 4, 4, 4), "difference-in-differences: each adopting team against teams that had not adopted"),
    ((2, 2, 2, 2), "none of the 4 outcomes passed the checks that make a result an estimate of what adoption changed, "
                   "so all are read as associations (appendix B says why)"),
    ((2,), "the one outcome did not pass the checks that make a result an estimate of what adoption changed, so it "
           "is read as an association"),
    ((4, 2, 2, 2), "1 of 4 outcomes passed the checks that make a result an estimate of what adoption changed, the "
                   "other 3 are read as associations (appendix B says why)"),
    ((4, 4, 4, 2), "3 of 4 outcomes passed the checks that make a result an estimate of what adoption changed, the "
                   "other is read as an association (appendix B says why)"),
])
def test_how_sure_words_none_some_and_all_outcomes_passing_the_checks(rungs: tuple[int, ...], kind: str) -> None:
    lines = [_line("pr_cycle_time_h", f"outcome {i}", -5.0, -9.0, 1.0, "%", "inconclusive", r)
             for i, r in enumerate(rungs)]
    _, evidence = verdicts(_stats(*lines))
    assert kind in evidence, evidence
    if 4 not in rungs:
        assert "the other" not in evidence


def test_the_estimates_tables_print_the_verdict_page_one_prints() -> None:
    import re
    from dataclasses import replace

    from correlate.report.sections import AttRow
    from tests.reportdata import hostile_monthly

    cases = [("median PR cycle time", -12.5, -20.0, -4.0, "%", "detected", 0.012),
             ("merged PRs per developer-week", 5.3, -1.0, 11.6, "%", "inconclusive", 0.70),
             ("change failure rate", 9.8, 1.3, 18.2, "pp", "not_after_correction", 0.080)]
    summary = tuple(_corrected(_line("", label, est, lo, hi, unit, verdict, 2, mde=12.0), p_bh=p, tests=28)
                    for label, est, lo, hi, unit, verdict, p in cases)
    att = tuple(AttRow(label, est, lo, hi, unit, 12.0, p, verdict, "flat", 24, 8, "")
                for label, est, lo, hi, unit, verdict, p in cases)
    stats = replace(_stats(*summary), att=att)
    found, evidence = verdicts(stats)
    report = hostile_monthly().report
    html = render("monthly.html.j2", r=replace(report, stats=stats,
                                              summary=replace(report.summary, verdicts=found, evidence=evidence)))

    def text(fragment: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())

    badges = [text(b) for b in re.findall(r'<span class="badge">(.*?)</span>', html, re.S)]
    assert badges == ["detected", "no detectable change", "does not survive the correction"]
    rows = [[text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S)]
    for (label, *_), badge in zip(cases, badges, strict=True):
        printed = [row[-1] for row in rows if row and row[0] == label]
        assert printed == [badge, badge], (label, printed)  # the ATT table and the primary-outcomes table


def test_too_little_data_and_no_engine_say_so() -> None:
    (v,), _ = verdicts(_stats(_line("pr_cycle_time_h", "median PR cycle time", math.nan, math.nan, math.nan, "",
                                    "descriptive", 1)))
    assert v.status == "too_little_data" and "too little data to estimate a change" in v.sentence
    (u,), evidence = verdicts(unavailable("the store holds too little history"))
    assert u.status == "unavailable" and "the store holds too little history" in u.sentence
    assert "No statistical estimate" in evidence


def test_spend_sentence_compares_like_for_like_and_says_no_data() -> None:
    whole = Period(date(2026, 11, 1), date(2026, 11, 30), "November 2026", date(2026, 10, 1), date(2026, 10, 31),
                   previous_label="October 2026")
    s = spend_summary(85_125.0, 93_120.0, 10.87, 0.15, whole, [SpendMonth("Nov 2026", 85_125.0, 30, 30)])
    assert s.sentence == ("AI spend: $85,125 in November 2026 (−9% against $93,120 in October 2026); $10.87 per "
                          "merged PR; 15% of it went to work that merged and held.")
    linked = spend_summary(85_125.0, 93_120.0, 10.87, 0.15, whole, [], linked=0.33)
    assert "; 33% of it can be linked to pull requests, 15% to work that merged and held." in linked.sentence
    first = spend_summary(100.0, math.nan, math.nan, math.nan, whole, [])
    assert "no data to compare with in October 2026" in first.sentence and "$0" not in first.sentence
    # the month's last weeks are still being judged: the productive share is a floor, and the sentence says so
    recent = spend_summary(85_125.0, 93_120.0, 10.87, 0.15, whole, [], linked=0.33, pending_share=0.41)
    assert "15% to work that merged and held (41% is too recent to judge yet)." in recent.sentence
    assert "too recent" not in spend_summary(85_125.0, 93_120.0, 10.87, 0.15, whole, [], linked=0.33,
                                             pending_share=0.0).sentence


def test_next_steps_come_from_the_verdicts_and_the_data() -> None:
    found, _ = verdicts(_stats(
        _line("change_failure_rate", "change failure rate", 4.1, 1.0, 7.0, "pp", "detected", 4),
        _line("prs_merged_per_dev_week", "merged PRs per developer-week", 5.3, -1.0, 11.6, "%", "inconclusive", 4)))
    partial = Period(date(2026, 12, 1), date(2026, 12, 6), "1–6 Dec 2026 (6 of 31 days)", partial=True,
                     note="December 2026 is in progress.")
    steps = next_steps(found, _stats(), period=partial, recommendations=3, unmatched_share=0.2, n_control=8,
                       kinds=2)
    assert steps[0].startswith("Look into change failure rate")
    assert any("8 comparison teams" in s for s in steps)
    assert steps[-1].startswith("December 2026 is in progress.") and len(steps) == 4


def test_engine_notes_are_printed_in_plain_words() -> None:
    note = ("change_failure_rate: between-team correlation of adoption_share and _y not computed: 3 teams with data, "
            "and it needs at least 5")
    assert plain_note(note) == ("Change failure rate: between-team correlation of AI adoption share and change "
                                "failure rate not computed: 3 teams with data, and it needs at least 5")
    assert plain_note("maturity_days = 14 leaves out recent weeks") == "maturity_days = 14 leaves out recent weeks"


def test_the_mde_paragraph_names_its_own_duration() -> None:
    text = inconclusive_paragraph(G=8, adopting=6, comparison=2, weeks=53, mde_pct=40.0, est_pct=-3.0, lo=-30.0,
                                  hi=25.0, mde_hours=12.9, label="median PR review time")
    assert "(12.9 h of median PR review time)" in text and "cycle time" not in text


def test_a_degenerate_interval_is_explained_not_printed_as_a_range() -> None:
    assert degenerate(Diff("b", 0.92, 0.92, 0.92, 13)) == NO_SPREAD
    assert degenerate(Diff("b", 1.0, 0.0, 2.0, 13)) == AT_ZERO
    assert degenerate(Diff("b", 1.0, 0.5, 2.0, 13)) == ""
    assert degenerate(Diff("b", math.nan, math.nan, math.nan, 2)) == ""


def test_paper_follows_the_config_then_the_locale_then_letter() -> None:
    assert locale_paper({"LANG": "en_GB.UTF-8"}) == "A4"
    assert locale_paper({"LANG": "en_US.UTF-8"}) == "Letter"
    assert locale_paper({"LC_PAPER": "fr_CA.UTF-8", "LANG": "de_DE.UTF-8"}) == "Letter"
    assert locale_paper({"LANG": "C.UTF-8"}) is None and locale_paper({}) is None
    plain = from_mapping({"teams": [{"name": "a"}]}, path=None)
    assert paper_size(plain, {}) == "Letter" and paper_size(plain, {"LANG": "de_DE.UTF-8"}) == "A4"
    a4 = from_mapping({"teams": [{"name": "a"}], "report": {"paper": "A4"}}, path=None)
    assert paper_size(a4, {"LANG": "en_US.UTF-8"}) == "A4"
    with pytest.raises(Exception, match="paper"):
        from_mapping({"teams": [{"name": "a"}], "report": {"paper": "A3"}}, path=None)


def test_page_one_prints_verdicts_before_anything_else(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from tests.reportdata import hostile_monthly

    report = hostile_monthly().report
    stats = _stats(_line("pr_cycle_time_h", "median PR cycle time", -18.2, -26.0, -9.0, "%", "detected", 4))
    found, evidence = verdicts(stats)
    html = render("monthly.html.j2", r=replace(report, stats=stats,
                                              summary=replace(report.summary, verdicts=found, evidence=evidence)))
    text = parse(html).all_text()
    first = text.index("1. The answer")
    assert first < text.index("Is it working?") < text.index("merged PRs 18% faster") < text.index(
        "What does it cost?") < text.index("What to do next") < text.index("2. Adoption")
    assert "@page { size: Letter" in html or "@page { size: A4" in html


@pytest.mark.parametrize(("low", "high", "wide"), [(-96.6, 120235.0, True), (-99.5, 10.0, True), (-100.0, 5.0, True),
                                                    (-60.0, 150.0, False), (-90.0, 800.0, False)])
def test_a_ratio_interval_spanning_more_than_a_100_fold_change_is_too_wide_to_print(low: float, high: float,
                                                                                    wide: bool) -> None:
    from correlate.report.statistics import too_wide

    assert too_wide(low, high, "%") is wide
    assert not too_wide(-300.0, 300.0, "pp")  # percentage points are bounded by their definition instead


def test_an_estimate_too_wide_to_read_prints_too_few_events_not_its_numbers() -> None:
    import re
    from dataclasses import replace

    from correlate.report.sections import AttRow
    from tests.reportdata import hostile_monthly

    line = _line("incidents_per_100_deploys", "incidents per 100 deployments", math.nan, math.nan, math.nan, "%",
                 "too_wide", 2)
    (v,), _ = verdicts(_stats(line))
    assert v.status == "too_little_data" and "too few events to estimate a change" in v.sentence
    att = (AttRow("incidents per 100 deployments", 537.8, -96.6, 120235.0, "%", 165503.6, 0.70, "too_wide", "flat",
                  18, 6, "", too_wide=True),)
    report = hostile_monthly().report
    html = render("monthly.html.j2", r=replace(report, stats=replace(_stats(line), att=att)))
    row = " ".join(re.sub(r"<[^>]+>", " ", re.search(r"<tr><th scope=\"row\">incidents per 100 deployments</th>"
                                                       r"(.*?)</tr>", html, re.S).group(1)).split())  # type: ignore[union-attr]
    assert row.startswith("too few events: the interval spans more than a 100-fold change")
    assert "537.8" not in html and "120235" not in html and "165503" not in html
    assert row.endswith("too little data")


WHOLE = Period(date(2026, 11, 1), date(2026, 11, 30), "November 2026", date(2026, 10, 1), date(2026, 10, 31),
               previous_label="October 2026")


def _faster(rung: int) -> tuple[Verdict, ...]:
    found, _ = verdicts(_stats(_line("pr_cycle_time_h", "median PR cycle time", -18.2, -26.0, -9.0, "%", "detected",
                                     rung, "" if rung >= 4 else f"{DIVERGING} from the comparison teams.")))
    return found


def test_at_rung_4_a_change_the_right_way_says_keep_the_rollout_going() -> None:
    steps = next_steps(_faster(4), _stats(), period=WHOLE, recommendations=0, unmatched_share=0.0, n_control=8)
    assert steps[0].startswith("Keep the rollout going and keep measuring: median PR cycle time moved the right way")


@pytest.mark.parametrize("rung", [1, 2, 3])
def test_below_rung_4_a_change_the_right_way_is_not_a_reason_to_act(rung: int) -> None:
    # an association (adopters on a prior trend, say) must not read as an effect to build the rollout on
    steps = next_steps(_faster(rung), _stats(), period=WHOLE, recommendations=0, unmatched_share=0.0, n_control=8)
    assert not any("Keep the rollout going" in s for s in steps)
    assert steps[0].startswith("Median PR cycle time moved the right way in adopting teams, but the data cannot yet "
                               "separate adoption from other differences between the teams (appendix B): keep "
                               "measuring")


def test_a_partial_month_is_said_once_however_few_the_other_steps() -> None:
    partial = Period(date(2026, 12, 1), date(2026, 12, 6), "1–6 Dec 2026 (6 of 31 days)", partial=True,
                     note="December 2026 is in progress.")
    for unmatched in (0.0, 0.6):  # no other step, one other step
        steps = next_steps((), _stats(), period=partial, recommendations=0, unmatched_share=unmatched, n_control=8)
        assert sum("December 2026 is in progress." in s for s in steps) == 1
        assert steps[-1].startswith("December 2026 is in progress.")


def test_too_little_data_gives_the_gates_reason_not_a_team_count() -> None:
    gated = replace(_line("pr_cycle_time_h", "median PR cycle time", math.nan, math.nan, math.nan, "", "descriptive",
                          1), reason="only 0 adopting teams (need 2)")
    (v,), _ = verdicts(_stats(gated))
    assert v.sentence == ("Median PR cycle time: too little data to estimate a change: only 0 adopting teams "
                          "(need 2). The report shows medians only.")
    assert "32 teams" not in v.sentence


def test_a_hidden_spend_says_hidden_and_no_figure() -> None:
    s = spend_summary(41.56, 30.0, 4.2, 0.3, WHOLE, [], linked=0.69, hidden="hidden (fewer than 5 AI-active people)")
    assert s.sentence == "AI spend in November 2026: hidden (fewer than 5 AI-active people)."
    assert all(math.isnan(v) for v in (s.total_usd, s.previous_usd, s.per_merged_pr, s.productive_share))
    before = spend_summary(41.56, math.nan, 4.2, 0.3, WHOLE, [],
                           previous_hidden="hidden (fewer than 5 AI-active people)")
    assert "(October 2026: hidden (fewer than 5 AI-active people))" in before.sentence
    assert "no data" not in before.sentence


def test_a_productive_share_that_cannot_be_known_yet_is_not_yet_known() -> None:
    s = spend_summary(6930.0, 8369.0, 8.46, 0.0, WHOLE, [], linked=0.35, pending="this spend is at most 5 days old")
    assert s.sentence.endswith("; 35% of it can be linked to pull requests; how much went to work that merged and held "
                               "is not yet known (this spend is at most 5 days old).")
    assert "0% to work" not in s.sentence and math.isnan(s.productive_share)


@pytest.mark.parametrize(("rung", "tagged"), [(2, True), (4, False)])
def test_a_detection_below_rung_4_carries_an_association_badge_on_page_one(rung: int, tagged: bool) -> None:
    from dataclasses import replace

    from tests.reportdata import hostile_monthly

    line = _line("pr_cycle_time_h", "median PR cycle time", -18.2, -26.0, -9.0, "%", "detected", rung,
                 "the checks did not pass.")
    found, evidence = verdicts(_stats(line))
    report = hostile_monthly().report
    html = render("monthly.html.j2", r=replace(report, stats=_stats(line),
                                              summary=replace(report.summary, verdicts=found, evidence=evidence)))
    assert ('data-badge="association">association, not an effect estimate</span>' in html) is tagged
