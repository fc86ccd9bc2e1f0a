"""Charts: data strings are literal text in the SVG, output is deterministic, and a report chart is drawn
from the same rows its data table prints."""

from __future__ import annotations

import re
from datetime import date

from correlate.html import charts
from correlate.report.sections import ChartData


def test_chart_labels_are_literal_text_and_output_is_deterministic() -> None:
    days = [date(2026, 1, 5), date(2026, 1, 12)]
    names = {"<b>x</b>": [1.0, 2.0], "$\\frac{1}{0}$": [2.0, None], "{{ 7*7 }}": [0.5, 0.7]}
    svg = charts.line_chart("t & <t>", days, names)
    assert svg == charts.line_chart("t & <t>", days, names)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "&lt;b&gt;x&lt;/b&gt;" in texts and "$\\frac{1}{0}$" in texts and "{{ 7*7 }}" in texts
    assert "<title>t &amp; &lt;t&gt;</title>" in svg and "<b>" not in svg


def test_a_report_chart_is_drawn_from_its_rows() -> None:
    weeks = (date(2026, 1, 5), date(2026, 1, 12))
    line = ChartData("Weekly x", "line", ("week", "a", "b"), ((weeks[0], 0.5, None), (weeks[1], 0.25, 0.75)), "pct",
                     {"percent": True, "ylabel": "share"})
    assert charts.draw(line) == charts.line_chart("Weekly x", list(weeks), {"a": [0.5, 0.25], "b": [None, 0.75]},
                                                  ylabel="share", percent=True)
    study = ChartData("Event study", "event_study", ("t", "est", "lo", "hi"),
                      tuple((t, 0.1 * t, 0.1 * t - 1, 0.1 * t + 1) for t in range(-20, 30)), "num",
                      {"window": (-2, 3), "mde": (-1.0, 1.0)})
    assert charts.draw(study) == charts.event_study_chart(
        "Event study", [-2, -1, 0, 1, 2, 3], [0.1 * t for t in range(-2, 4)], [0.1 * t - 1 for t in range(-2, 4)],
        [0.1 * t + 1 for t in range(-2, 4)], mde=(-1.0, 1.0))
