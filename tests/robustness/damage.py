"""Hypothesis strategies that damage a document in the documented shape, shared by the hostile-input tests.

A damaged document starts from a valid one (a HAND-BUILT vendor row, an OTLP export) and has a few
fields deleted or replaced with arbitrary JSON values, at any depth; the names of the damaged keys
come back with it so a test can check that an error names one of them.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from datetime import date, datetime
from typing import Any

from hypothesis import strategies as st

__all__ = ["assert_storable", "damaged", "json_values", "key_paths"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def key_paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into the nested dicts/lists of ``obj``."""
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    for k, v in items:
        out.append((*prefix, k))
        out.extend(key_paths(v, (*prefix, k)))
    return out


@st.composite
def damaged(draw: st.DrawFn, doc: dict[str, Any], values: st.SearchStrategy[Any] = json_values,
            max_damage: int = 3) -> tuple[dict[str, Any], list[str]]:
    """``doc`` with 1..``max_damage`` fields deleted or replaced; returns it with the names of the damaged keys."""
    doc = copy.deepcopy(doc)
    names = []
    for _ in range(draw(st.integers(1, max_damage))):
        paths = key_paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
        names.extend(str(k) for k in path if isinstance(k, str))
    return doc, names


def assert_storable(record: Any) -> None:
    """Every field of a record dataclass holds its declared type, in the store's range (BIGINT, finite DOUBLE).

    A mapper that lets a dict into a ``str`` field or 2**70 into an ``int`` one has not crashed yet, but the
    store will, so a hostile-input test checks the records a mapper returns, not only that it returned.
    """
    hints = typing.get_type_hints(type(record))
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        hint = hints[f.name]
        allowed = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        kinds = tuple(type(None) if a is None else a for a in allowed)
        where = f"{type(record).__name__}.{f.name} = {value!r:.80}"
        if isinstance(value, bool):
            assert bool in kinds, where
        elif isinstance(value, int):
            assert (int in kinds or float in kinds) and -2**63 <= value < 2**63, where
        elif isinstance(value, float):
            assert float in kinds and math.isfinite(value), where
        elif isinstance(value, datetime):
            assert datetime in kinds and value.tzinfo is not None, where
        elif isinstance(value, date):
            assert date in kinds, where
        else:
            assert isinstance(value, kinds), where
