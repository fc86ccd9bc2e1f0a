"""Charts as inline SVG strings: explicit matplotlib Figures, deterministic output, colour-blind safe.

No global pyplot state, no timestamps or random ids in the SVG (``svg.hashsalt`` is fixed and the
metadata date is removed), so the same data renders byte-identical files. Series differ by colour
(Okabe–Ito palette), line style and marker, so charts stay legible in greyscale print. Each chart
carries an SVG ``<title>`` as its text alternative; the report prints the data table next to it.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from correlate.report.names import display_name  # noqa: E402
from correlate.report.sections import ChartData  # noqa: E402

__all__ = ["PALETTE", "bar_chart", "draw", "event_study_chart", "line_chart", "safe_label"]

# Okabe–Ito, ordered so neighbouring series also differ in lightness (greyscale print); the pale yellow,
# hard to see on white even in colour, comes last.
PALETTE = ["#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442"]
BLUE, SKY, VERMILLION = "#0072B2", "#56B4E9", "#D55E00"
STYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
RC: dict[str, Any] = {
    "svg.hashsalt": "correlate",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


_RC = cast(Any, RC)  # matplotlib types rc keys as literals; these are checked by matplotlib at run time


def safe_label(text: str) -> str:
    """A data string made literal and bounded for matplotlib: control and bidirectional characters replaced and
    the name cut to a label's length (:func:`correlate.report.names.display_name`: a 5,000-character legend
    entry made a chart 25,496 pt wide), and ``$`` escaped, since it would start mathtext (a malformed formula
    raises). XML escaping of the text happens in matplotlib's SVG writer."""
    return display_name(text).replace("$", r"\$")


def _to_svg(fig: Figure, title: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inlined in HTML
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Inline SVG in HTML needs no namespace declarations (the HTML parser supplies them); dropping them
    # keeps every URL-looking string out of the report.
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    # matplotlib's ids (clip paths, markers) repeat across figures; several SVGs inline in one HTML
    # document need unique ids, so each chart's ids get a prefix derived from its title (deterministic).
    prefix = "c" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:10] + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    svg = svg.replace("<svg ", '<svg role="img" aria-label="' + escape(title, {'"': "&quot;"}) + '" ', 1)
    return re.sub(r"(<svg[^>]*>)", r"\1<title>" + escape(title) + "</title>", svg, count=1)


def line_chart(title: str, x: Sequence[date], series: Mapping[str, Sequence[float | None]], *, ylabel: str = "",
               percent: bool = False, vline: date | None = None, width: float = 7.0, height: float = 2.8) -> str:
    """One line per series over dates; ``None``/NaN leave gaps. Returns an inline SVG string."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        for i, (name, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else (100 * v if percent else v) for v in values]
            # matplotlib's stubs omit dates; its unit converters take them
            ax.plot(list(x), ys, label=safe_label(name), color=PALETTE[i % len(PALETTE)],  # type: ignore[arg-type]
                    linestyle=STYLES[i % len(STYLES)],
                    marker=MARKERS[i % len(MARKERS)], markersize=2.5, linewidth=1.4)
        if vline is not None:
            ax.axvline(vline, color="#555555", linewidth=0.8, linestyle=":")  # type: ignore[arg-type]
        ax.set_ylabel(ylabel + (" (%)" if percent and "%" not in ylabel else ""))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        fig.autofmt_xdate()
        return _to_svg(fig, title)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, xlabel: str = "",
              width: float = 7.0) -> str:
    """Horizontal bars, largest first as given. Returns an inline SVG string."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, 0.18 * max(3, len(labels)) + 0.6))
        ax = fig.add_subplot()
        pos = list(range(len(labels)))[::-1]
        ax.barh(pos, list(values), color=BLUE, hatch="//", edgecolor="white", linewidth=0)
        ax.set_yticks(pos, [safe_label(v) for v in labels])
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        return _to_svg(fig, title)


def event_study_chart(title: str, event_time: Sequence[int], estimate: Sequence[float], low: Sequence[float],
                      high: Sequence[float], *, ylabel: str = "", mde: tuple[float, float] | None = None,
                      ylim: tuple[float, float] | None = None, width: float = 7.0,
                      height: float = 2.8) -> str:
    """Estimates by weeks relative to adoption with their interval band, a zero line, a dotted line at
    adoption and (optionally) dashed lines at the minimum detectable effect (lower, upper: they differ
    when a log-scale effect is shown as a % change)."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        xs = list(event_time)
        ax.fill_between(xs, list(low), list(high), color=SKY, alpha=0.35, linewidth=0, label="95% band")
        ax.plot(xs, list(estimate), color=BLUE, marker="o", markersize=2.5, linewidth=1.4, label="estimate")
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.axvline(-0.5, color="#555555", linewidth=0.8, linestyle=":")
        if mde is not None and mde[0] == mde[0] and mde[1] == mde[1]:
            ax.axhline(mde[1], color=VERMILLION, linewidth=0.9, linestyle="--", label="minimum detectable effect")
            ax.axhline(mde[0], color=VERMILLION, linewidth=0.9, linestyle="--")
        if ylim is not None:  # bounded axis chosen by the statistics engine (wide far bands are cut at the edge)
            ax.set_ylim(*ylim)
        ax.set_xlabel("weeks relative to adoption (0 = first adopted week)")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        return _to_svg(fig, title)


def draw(chart: ChartData) -> str:
    """The inline SVG of a report chart, drawn from its data (the same rows its data table prints)."""
    o = chart.options
    width, height = float(o.get("width", 7.0)), float(o.get("height", 2.8))  # inches: hints for print layout
    if chart.kind == "line":
        x = [r[0] for r in chart.rows]
        series = {name: [r[i] for r in chart.rows] for i, name in enumerate(chart.columns[1:], start=1)}
        return line_chart(chart.title, x, series, ylabel=o.get("ylabel", ""), percent=bool(o.get("percent")),
                          width=width, height=height)
    if chart.kind == "bar":
        return bar_chart(o.get("svg_title", chart.title), [str(r[0]) for r in chart.rows],
                         [float(r[1]) for r in chart.rows], xlabel=o.get("xlabel", ""), width=width)
    if chart.kind == "event_study":
        lo, hi = o.get("window", (-(10**9), 10**9))
        pts = [r for r in chart.rows if lo <= r[0] <= hi]
        return event_study_chart(chart.title, [r[0] for r in pts], [r[1] for r in pts], [r[2] for r in pts],
                                 [r[3] for r in pts], ylabel=o.get("ylabel", ""), mde=o.get("mde"),
                                 ylim=o.get("ylim"), width=width, height=height)
    raise ValueError(f"unknown chart kind {chart.kind!r}")
