"""Charts as inline SVG strings: explicit matplotlib Figures, deterministic output, colour-blind safe.

No global pyplot state, no timestamps or random ids in the SVG (``svg.hashsalt`` is fixed and the
metadata date is removed), so the same data renders byte-identical files. Series differ by colour
(Okabe–Ito palette), line style and marker, so charts stay legible in greyscale print. Each chart
carries an SVG ``<title>`` as its text alternative; the report prints the data table next to it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["bar_chart", "line_chart", "PALETTE"]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
RC = {
    "svg.hashsalt": "correlate",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _to_svg(fig: Figure, title: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inlined in HTML
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Inline SVG in HTML needs no namespace declarations (the HTML parser supplies them); dropping them
    # keeps every URL-looking string out of the report.
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("<svg ", '<svg role="img" aria-label="' + escape(title, {'"': "&quot;"}) + '" ', 1)
    return re.sub(r"(<svg[^>]*>)", r"\1<title>" + escape(title) + "</title>", svg, count=1)


def line_chart(title: str, x: Sequence[date], series: dict[str, Sequence[float | None]], *, ylabel: str = "",
               percent: bool = False, vline: date | None = None, width: float = 7.0, height: float = 2.8) -> str:
    """One line per series over dates; ``None``/NaN leave gaps. Returns an inline SVG string."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        for i, (name, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else (100 * v if percent else v) for v in values]
            ax.plot(list(x), ys, label=name, color=PALETTE[i % len(PALETTE)], linestyle=STYLES[i % len(STYLES)],
                    marker=MARKERS[i % len(MARKERS)], markersize=2.5, linewidth=1.4)
        if vline is not None:
            ax.axvline(vline, color="#555555", linewidth=0.8, linestyle=":")
        ax.set_ylabel(ylabel + (" (%)" if percent and "%" not in ylabel else ""))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        fig.autofmt_xdate()
        return _to_svg(fig, title)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, xlabel: str = "",
              width: float = 7.0) -> str:
    """Horizontal bars, largest first as given. Returns an inline SVG string."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, 0.35 * max(3, len(labels)) + 0.6))
        ax = fig.add_subplot()
        pos = list(range(len(labels)))[::-1]
        ax.barh(pos, list(values), color=PALETTE[0], hatch="//", edgecolor="white", linewidth=0)
        ax.set_yticks(pos, list(labels))
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        return _to_svg(fig, title)
