"""Typed reads of vendor JSON fields: a value is what the field documents, absent (``None``), or an error.

Usage APIs are counters, so the readers here keep the line between "the vendor did not send this"
(``None``, stored as NULL) and "the vendor sent 0". A value of the wrong type is a
:class:`~connectors.errors.PayloadError` naming the field and where it was read, never a silent 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.errors import PayloadError

__all__ = ["as_count", "as_number", "as_text", "compact_json", "sum_present"]


def as_count(row: Mapping[str, Any], key: str, *, source: str, where: str) -> int | None:
    """``row[key]`` as a non-negative integer count, or ``None`` when absent or null.

    Integral floats (``12.0``) are accepted because JSON encoders emit them; booleans, strings and
    negative numbers are not counts.

    Raises:
        PayloadError: the value is present but not a count.
    """
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"field {key!r} should be a count, got {type(value).__name__} {value!r:.40}",
                           source=source, where=where)
    if isinstance(value, float) and not value.is_integer():
        raise PayloadError(f"field {key!r} should be a whole count, got {value!r}", source=source, where=where)
    if value < 0:
        raise PayloadError(f"field {key!r} is negative ({value!r})", source=source, where=where)
    return int(value)


def as_number(row: Mapping[str, Any], key: str, *, source: str, where: str) -> float | None:
    """``row[key]`` as a float (money in cents, averages), or ``None`` when absent or null.

    Numeric strings are accepted: some vendors send decimals as strings to keep precision.
    """
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise PayloadError(f"field {key!r} should be a number, got {type(value).__name__} {value!r:.40}",
                       source=source, where=where)


def as_text(row: Mapping[str, Any], key: str, *, source: str, where: str) -> str | None:
    """``row[key]`` as a stripped non-empty string, or ``None`` when absent, null or blank."""
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"field {key!r} should be a string, got {type(value).__name__}", source=source,
                           where=where)
    return value.strip() or None


def sum_present(*values: int | None) -> int | None:
    """Sum of the values that are present; ``None`` when none is (absent is not zero)."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def compact_json(mapping: Mapping[str, Any]) -> str | None:
    """A JSON object with sorted keys (stable across syncs), or ``None`` when there is nothing to keep."""
    if not mapping:
        return None
    return json.dumps(mapping, sort_keys=True, separators=(",", ":"), default=str)
