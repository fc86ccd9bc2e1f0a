"""Typed reads of vendor JSON fields: a value is what the field documents, absent (``None``), or an error.

Vendors add fields and omit optional ones; both are tolerated, and the readers keep the line between
"the vendor did not send this" (``None``, stored as NULL) and "the vendor sent 0". A field that is
present but of the wrong type is not tolerated: it raises :class:`~connectors.errors.PayloadError`
naming the field path and where it was read (source, stream, day or file line), because silently
coercing it would store a wrong number.

Every reader takes the object, the key, a :class:`Ctx` and the field's path for the message
(``data[3].core_metrics.num_sessions``); without a path the message names the bare key, which is
enough when the context is one located row (:meth:`Ctx.at`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx

from connectors import _http
from connectors.errors import PayloadError

__all__ = ["MAX_NUMBER", "Ctx", "compact_json", "get_bool", "get_count", "get_decimal", "get_map", "get_number",
           "get_rows", "get_str", "get_text", "json_body", "sum_present"]

_N = TypeVar("_N", int, float, Decimal)
# No real count or amount (tokens, cents) reaches 2**53, the largest integer a float holds exactly; a larger
# one is a damaged answer, and storing it would overflow the store's BIGINT sums.
MAX_NUMBER = 2**53


class Ctx:
    """Where values come from, for error messages: source, stream and the unit (a day, a file line)."""

    __slots__ = ("source", "stream", "unit", "_located")

    def __init__(self, source: str, stream: str, unit: str) -> None:
        self.source = source
        self.stream = stream
        self.unit = unit
        self._located = False

    @classmethod
    def at(cls, source: str, where: str) -> Ctx:
        """A context for one already located row (``users-1-day 2026-05-07 file 1 line 3``).

        Errors keep ``where`` exactly as given and name the field in the message only.
        """
        ctx = cls(source, "", where)
        ctx._located = True
        return ctx

    def fail(self, path: str, problem: str) -> PayloadError:
        """The :class:`PayloadError` for field ``path`` with ``problem`` (``"should be a string but is a int"``)."""
        advice = "The API changed shape or the response is damaged; re-run later, and report it if it persists."
        if self._located:
            return PayloadError(f"field `{path}` {problem}. {advice}", source=self.source, where=self.unit)
        return PayloadError(
            f"field `{path}` {problem} in the {self.stream} answer for {self.unit}. {advice}",
            source=self.source,
            stream=self.stream,
            where=f"{self.unit}: {path}",
        )


def _describe(value: Any) -> str:
    return f"is a {type(value).__name__}"


def json_body(response: httpx.Response, ctx: Ctx) -> Mapping[str, Any]:
    """The response body as a JSON object; a :class:`PayloadError` when it is not JSON or not an object."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: nesting past Python's limit
        raise PayloadError(
            f"the {ctx.stream} answer for {ctx.unit} is not JSON (HTTP {response.status_code}).",
            source=ctx.source, stream=ctx.stream, where=_http.redact_url(response.request.url),
        ) from None
    if not isinstance(body, Mapping):
        raise ctx.fail("(top level)", f"should be an object but {_describe(body)}")
    return body


def get_rows(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> list[Mapping[str, Any]]:
    """``obj[key]`` as a list of objects (a page's ``data``), ``[]`` when the key is absent.

    Unlike the scalar readers, a ``null`` list is an error: a page whose rows are null is damaged,
    and reading it as empty would replace a stored day with nothing.
    """
    where = path or key
    rows = obj.get(key, [])
    if not isinstance(rows, list):
        raise ctx.fail(where, f"should be a list but {_describe(rows)}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ctx.fail(f"{where}[{i}]", f"should be an object but {_describe(row)}")
    return rows


def get_map(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> Mapping[str, Any] | None:
    """``obj[key]`` as an object, ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ctx.fail(path or key, f"should be an object but {_describe(value)}")
    return value


def get_str(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> str | None:
    """``obj[key]`` as a string (as sent), ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ctx.fail(path or key, f"should be a string but {_describe(value)}")
    return value


def get_text(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> str | None:
    """``obj[key]`` as a stripped non-empty string, ``None`` when absent, null or blank."""
    value = get_str(obj, key, ctx, path)
    return None if value is None else value.strip() or None


def get_bool(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> bool | None:
    """``obj[key]`` as a boolean, ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ctx.fail(path or key, f"should be true/false but {_describe(value)}")
    return value


def get_count(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> int | None:
    """``obj[key]`` as a non-negative whole number, ``None`` when absent or null.

    Integral floats (``5.0``) are accepted because JSON encoders emit them; booleans, strings and
    negative numbers are not counts.
    """
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(path or key, f"should be a number but {_describe(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise ctx.fail(path or key, f"should be a whole number but is {value!r}")
    if value < 0:
        raise ctx.fail(path or key, f"should not be negative but is {value!r}")
    if value > MAX_NUMBER:
        raise ctx.fail(path or key, f"is {value!r:.30}, too large to be a real count")
    return int(value)


def get_decimal(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> Decimal | None:
    """``obj[key]`` as an exact decimal from a JSON number or a decimal string (``"41280.000000"``).

    Some vendors send decimals as strings to keep precision; both forms are read exactly.
    """
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ctx.fail(path or key, f"should be a number but {_describe(value)}")
    try:
        # str() first: Decimal(0.1) would carry binary noise into the sum
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ctx.fail(path or key, f"should be a decimal number but is {value!r:.40}") from None
    if not result.is_finite():
        raise ctx.fail(path or key, f"should be a finite number but is {value!r}")
    if abs(result) > MAX_NUMBER:
        raise ctx.fail(path or key, f"is {value!r:.30}, too large to be a real amount")
    return result


def get_number(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str | None = None) -> float | None:
    """``obj[key]`` as a float (cents, averages) read like :func:`get_decimal`, ``None`` when absent or null."""
    value = get_decimal(obj, key, ctx, path)
    return None if value is None else float(value)


def sum_present(*values: _N | None) -> _N | None:
    """Sum of the values that are present; ``None`` when none is (absent is not zero)."""
    total: _N | None = None
    for value in values:
        if value is not None:
            total = value if total is None else total + value
    return total


def compact_json(mapping: Mapping[str, Any]) -> str | None:
    """A JSON object with sorted keys (stable across syncs), or ``None`` when there is nothing to keep."""
    if not mapping:
        return None
    return json.dumps(mapping, sort_keys=True, separators=(",", ":"), default=str)
