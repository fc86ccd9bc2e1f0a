"""Plain-language wording obeys the evidence ladder (docs/statistics.md §1) and the mandatory paragraphs (§3.J)."""

from __future__ import annotations

import pytest

from correlate.stats.results import ConfidenceInterval, CorrelationResult, Gates
from correlate.stats.wording import (
    ASSUMPTION,
    association_sentence,
    check_wording,
    effect_sentence,
    inconclusive_paragraph,
    insufficient_paragraph,
    intensity_sentence,
)


@pytest.mark.parametrize("word", ["caused", "drove", "resulted in", "impact of", "because of", "led to"])
def test_causal_words_are_refused_below_rung_four(word: str) -> None:
    with pytest.raises(ValueError, match="rung 2"):
        check_wording(f"AI {word} faster reviews", 2)
    assert check_wording(f"AI {word} faster reviews", 4)


def test_sentences_at_each_rung() -> None:
    r4 = effect_sentence("median PR cycle time", -18.2, -27.0, -8.1, "%", rung=4, control="not_yet", n_units=20,
                         n_adopting=12)
    assert "estimated effect (difference-in-differences)" in r4 and ASSUMPTION[4] in r4
    assert "-18.2% (95% CI -27.0% to -8.1%; 20 teams, 12 adopting)" in r4
    r2 = effect_sentence("deploys", 1.2, -0.5, 2.9, "deploys per week", rung=2, control="never", n_units=9,
                         n_adopting=4)
    assert "association, not an estimate" in r2 and "+1.2 deploys per week" in r2 and "never adopted" in r2
    slope = intensity_sentence("merged PRs per developer-week", 4.0, 1.0, 7.0, "%", n_units=30)
    assert slope.startswith("Within the same team") and "between no use and full use" in slope


def test_association_sentences_name_n_and_interval() -> None:
    between = CorrelationResult("Spearman", -0.42, 0.03, ConfidenceInterval(-0.7, -0.05), 24, 24, rung=1)
    assert association_sentence(between, "AI use", "cycle time") == (
        "Teams with higher AI use tend to have lower cycle time (Spearman rho = -0.42, 95% CI -0.70 to -0.05; "
        "24 teams).")
    within = CorrelationResult("rm", 0.2, None, ConfidenceInterval(0.05, 0.33), 800, 20, rung=2)
    assert "800 team-weeks, 20 teams" in association_sentence(within, "AI use", "merged PRs")


def test_mandatory_paragraphs() -> None:
    text = inconclusive_paragraph(G=12, adopting=5, comparison=7, weeks=30, mde_pct=24.6, est_pct=-8.0, lo=-25.1,
                                  hi=12.4, mde_hours=5.2)
    assert text.startswith("With 12 teams (5 adopting, 7 comparison) and 30 weeks")
    assert "larger than about 24.6% (5.2 h of median PR cycle time)" in text
    assert "-8.0% (95% CI -25.1% to +12.4%)" in text and "inconclusive" in text and "no effect" not in text
    g = Gates(3, 2, 1, 30, 8, "descriptive", ("only 3 teams (need 5)",))
    para = insufficient_paragraph(g)
    assert "only 3 teams (need 5)" in para and "without p-values" in para
