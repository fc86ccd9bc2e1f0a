"""The one CSV writer: every CSV correlate writes goes through :func:`write_csv`.

Exports are opened in spreadsheets, and text in them comes from places an attacker can reach (an
OpenTelemetry ``model`` attribute any client on the network can send, a repository's environment
name, a deployment service). A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)`` leaks data when clicked, DDE payloads run commands), and a leading
tab or carriage return can hide such a start. Following the OWASP CSV-injection guidance, a text cell
that starts with one of those characters is written with a leading ``'``, which spreadsheets show as
text and do not evaluate.

Numbers stay numbers: numeric columns are written as they are (``-0.5`` is a number, not a formula),
and so is a text cell that is exactly a number. Only text is ever prefixed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from correlate.outfile import writing

__all__ = ["FORMULA_STARTS", "neutralise", "safe_frame", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula; else unchanged.

    Example:
        >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-3.5"), neutralise(-3.5), neutralise("api")
        ('\\'=HYPERLINK("http://x")', '-3.5', -3.5, 'api')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised (numeric, boolean and date columns untouched)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        out[name] = column.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, out: Path, *, float_format: str | None = None) -> Path:
    """Write ``frame`` to ``out`` as CSV (no index) with formula-leading text neutralised; returns ``out``."""
    safe = safe_frame(frame)
    with writing(Path(out)) as path:
        safe.to_csv(path, index=False, float_format=float_format)
    return path
