"""The chart view-model: an inline SVG plus the data table behind it (its text alternative)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Chart"]


@dataclass(frozen=True)
class Chart:
    """``svg`` is trusted markup from :mod:`correlate.html.charts` (matplotlib escapes its text);
    ``columns``/``rows`` are data and are escaped by the template like every other value."""

    title: str
    svg: str
    columns: list[str]
    rows: list[list[Any]]
    fmt: str = "num"
