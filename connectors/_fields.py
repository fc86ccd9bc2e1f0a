"""Typed reads of JSON fields with errors that name the field: the Anthropic connectors' shape checks.

Vendors add fields and omit optional ones; both are tolerated. A field that is present but of the
wrong type is not: it raises :class:`~connectors.errors.PayloadError` naming the field path and the
context (``source``, day), because silently coercing it would store a wrong number.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.errors import PayloadError

__all__ = ["Ctx", "get_bool", "get_count", "get_decimal", "get_map", "get_str"]


class Ctx:
    """Where a value came from, for error messages: source, stream and the unit (a day)."""

    __slots__ = ("source", "stream", "unit")

    def __init__(self, source: str, stream: str, unit: str) -> None:
        self.source = source
        self.stream = stream
        self.unit = unit

    def fail(self, path: str, problem: str) -> PayloadError:
        return PayloadError(
            f"field `{path}` {problem} in the {self.stream} answer for {self.unit}. The API changed shape or "
            "the response is damaged; re-run later, and report it if it persists.",
            source=self.source,
            stream=self.stream,
            where=f"{self.unit}: {path}",
        )


def _describe(value: Any) -> str:
    return f"is a {type(value).__name__}"


def get_map(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str) -> Mapping[str, Any] | None:
    """``obj[key]`` as an object, ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ctx.fail(path, f"should be an object but {_describe(value)}")
    return value


def get_str(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str) -> str | None:
    """``obj[key]`` as a string, ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ctx.fail(path, f"should be a string but {_describe(value)}")
    return value


def get_bool(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str) -> bool | None:
    """``obj[key]`` as a boolean, ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ctx.fail(path, f"should be true/false but {_describe(value)}")
    return value


def get_count(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str) -> int | None:
    """``obj[key]`` as a non-negative whole number (``5`` or ``5.0``), ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(path, f"should be a number but {_describe(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise ctx.fail(path, f"should be a whole number but is {value!r}")
    if value < 0:
        raise ctx.fail(path, f"should not be negative but is {value!r}")
    return int(value)


def get_decimal(obj: Mapping[str, Any], key: str, ctx: Ctx, path: str) -> Decimal | None:
    """``obj[key]`` as an exact decimal from a JSON number or a decimal string (``"41280.000000"``)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ctx.fail(path, f"should be a number but {_describe(value)}")
    try:
        # str() first: Decimal(0.1) would carry binary noise into the sum
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ctx.fail(path, f"should be a decimal number but is {value!r}") from None
    if not result.is_finite():
        raise ctx.fail(path, f"should be a finite number but is {value!r}")
    return result
