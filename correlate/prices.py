"""Model prices: an effective-dated, versioned table shipped as data (``correlate/data/prices.toml``).

Cost is taken as a source states it where it does (Analytics API cents, OTEL ``cost_usd``) and
derived here from tokens x price where it does not (local transcripts, re-pricing). An unknown model
prices to ``None`` (never a guess) so callers can leave the cost empty and count it.

Model ids arrive in many spellings; :func:`normalize_model` maps them onto the table's ids::

    claude-sonnet-4-5-20250929            -> claude-sonnet-4-5   (dated id)
    claude-opus-4-6[1m]                   -> claude-opus-4-6     (1M-context suffix)
    anthropic.claude-3-5-haiku-20241022-v1:0, claude-3-5-haiku@20241022, us.anthropic.… (Bedrock/Vertex)
    cursor:claude-sonnet-5                -> claude-sonnet-5     (a tool's prefix)

This is the one price table and the one model-id normaliser: every cost figure (transcript costs, the
report's caching and batch figures, the spend section's savings and model mix) prices through
:class:`PriceTable`, loaded with the user's ``[prices] file`` by :func:`table_for_config`.

A user file named by ``[prices] file`` in ``correlate.toml`` has the same shape; each model it lists
replaces every shipped row of that model (Bedrock, Vertex and negotiated rates differ from list).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from correlate.errors import ConfigError

__all__ = ["ModelPrice", "PriceTable", "load_prices", "normalize_model", "show", "table_for_config"]

_PER_MILLION = 1_000_000.0
_DATED = re.compile(r"-(\d{8})$")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
_PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def normalize_model(model: str) -> str:
    """The canonical spelling of a model id (lower case, no provider prefix, date, ``[1m]`` or version).

    Examples:
        >>> normalize_model("claude-opus-4-6[1m]")
        'claude-opus-4-6'
        >>> normalize_model("us.anthropic.claude-3-5-haiku-20241022-v1:0")
        'claude-3-5-haiku'
        >>> normalize_model("cursor:claude-haiku-4-5-20251001")
        'claude-haiku-4-5'
    """
    m = model.strip().lower()
    m = re.sub(r"\[[^\]]*\]$", "", m)  # claude-opus-4-6[1m]
    m = m.split("/")[-1]  # anthropic/claude-…, openrouter-style prefixes
    m = re.sub(r"^(?:[a-z]{2,4}\.)?anthropic\.", "", m)  # Bedrock: anthropic.…, us.anthropic.…, global.anthropic.…
    m = _BEDROCK_VERSION.sub("", m)  # Bedrock: …-v1:0
    m = m.split(":")[-1]  # a tool's prefix: cursor:claude-sonnet-5
    m = m.split("@")[0]  # Vertex: claude-3-5-haiku@20241022
    m = re.sub(r"-latest$", "", m)
    m = _DATED.sub("", m)
    return m


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens for one model from ``effective_from`` (``None``: every earlier day)."""

    model: str
    name: str
    effective_from: date | None
    input: float
    output: float
    cache_write_5m: float | None
    cache_write_1h: float | None
    cache_read: float | None
    listed_since: date | None = None
    status: str | None = None
    provenance: str | None = None


@dataclass(frozen=True)
class PriceTable:
    """A loaded price table. ``prices`` maps canonical model id to its rows, oldest first."""

    prices: dict[str, tuple[ModelPrice, ...]]
    aliases: dict[str, str]
    version: str
    source: str
    source_date: str
    batch_discount: float
    files: tuple[str, ...]

    def resolve(self, model: str) -> str | None:
        """The table's id for ``model``, or ``None`` when the model is unknown."""
        key = normalize_model(model)
        if key in self.prices:
            return key
        raw = model.strip().lower()
        return self.aliases.get(raw) or self.aliases.get(key)

    def price(self, model: str, day: date) -> ModelPrice | None:
        """The row in force for ``model`` on ``day`` (``None``: unknown model)."""
        key = self.resolve(model)
        if key is None:
            return None
        chosen = None
        for row in self.prices[key]:
            if row.effective_from is None or row.effective_from <= day:
                chosen = row
        return chosen or self.prices[key][0]

    def cost(
        self,
        model: str,
        day: date,
        *,
        input: int = 0,
        output: int = 0,
        cache_read: int = 0,
        cache_write_5m: int = 0,
        cache_write_1h: int = 0,
        batch: bool = False,
    ) -> float | None:
        """Cost in USD of these tokens, or ``None`` when the model (or a needed rate) is unknown.

        Cache writes without a 5m/1h split should be passed as ``cache_write_5m`` (the default
        duration, and how Anthropic's own estimates price them).
        """
        row = self.price(model, day)
        if row is None:
            return None
        total = 0.0
        io_factor = (1.0 - self.batch_discount) if batch else 1.0
        for tokens, rate, factor in (
            (input, row.input, io_factor),
            (output, row.output, io_factor),
            (cache_read, row.cache_read, 1.0),
            (cache_write_5m, row.cache_write_5m, 1.0),
            (cache_write_1h, row.cache_write_1h, 1.0),
        ):
            if not tokens:
                continue
            if rate is None:
                return None  # a rate the source does not publish: never guess
            total += tokens * rate * factor / _PER_MILLION
        return total


    def rate(self, models: Iterable[str], days: Iterable[date], field: str) -> list[float]:
        """The ``field`` rate (``input``, ``output``, ``cache_read``, ...; USD per million tokens) in force for
        each (model, day) pair, NaN where the model or that rate is unknown. Each distinct pair is looked
        up once, so a frame of many rows prices fast."""
        if field not in _PRICE_FIELDS:
            raise ValueError(f"no price field {field!r}; use one of {', '.join(_PRICE_FIELDS)}")
        seen: dict[tuple[str, date], float] = {}
        out = []
        for model, day in zip(models, days, strict=True):
            key = (str(model), day)
            if key not in seen:
                row = self.price(key[0], day)
                value = getattr(row, field) if row is not None else None
                seen[key] = float("nan") if value is None else float(value)
            out.append(seen[key])
        return out


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date; use YYYY-MM-DD.") from None


def _parse(data: dict[str, Any], where: str) -> tuple[dict[str, list[ModelPrice]], dict[str, str], dict[str, Any]]:
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise ConfigError(f"{where}: no [[models]] entries. See correlate/data/prices.toml for the shape.")
    prices: dict[str, list[ModelPrice]] = {}
    aliases: dict[str, str] = {}
    for i, entry in enumerate(models):
        here = f"{where}: models[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(f"{here} needs an `id` (the model id, e.g. claude-sonnet-4-5).")
        key = normalize_model(entry["id"])
        rows = []
        for j, p in enumerate(entry.get("prices") or []):
            try:
                rates = {f: (float(p[f]) if p.get(f) is not None else None) for f in _PRICE_FIELDS}
            except (TypeError, ValueError):
                raise ConfigError(f"{here}.prices[{j}]: prices must be numbers (USD per million tokens).") from None
            if rates["input"] is None or rates["output"] is None:
                raise ConfigError(f"{here}.prices[{j}]: `input` and `output` are required.")
            rows.append(ModelPrice(
                model=key, name=str(entry.get("name", key)),
                effective_from=_date(p.get("effective_from"), f"{here}.prices[{j}].effective_from"),
                input=rates["input"], output=rates["output"], cache_write_5m=rates["cache_write_5m"],
                cache_write_1h=rates["cache_write_1h"], cache_read=rates["cache_read"],
                listed_since=_date(p.get("listed_since"), f"{here}.prices[{j}].listed_since"),
                status=entry.get("status"), provenance=p.get("provenance"),
            ))
        if not rows:
            raise ConfigError(f"{here} ({key}) has no `prices` rows.")
        rows.sort(key=lambda r: r.effective_from or date.min)
        prices[key] = rows
        for alias in entry.get("aliases") or []:
            aliases[str(alias).strip().lower()] = key
            aliases[normalize_model(str(alias))] = key
    return prices, aliases, data


def _read(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = (Path(__file__).parent / "data" / "prices.toml").read_text(encoding="utf-8")
        return tomllib.loads(text), "correlate/data/prices.toml (shipped)"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
    except FileNotFoundError:
        raise ConfigError(f"price file {path} not found. Fix `[prices] file` in the config.", key="prices") from None
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"price file {path} cannot be read: {exc}", key="prices") from None


def load_prices(override: Path | None = None) -> PriceTable:
    """The shipped table, with the models of ``override`` (a user TOML file) replacing shipped rows.

    Raises:
        ConfigError: the override file is missing or malformed (names the file and entry).
    """
    data, where = _read(None)
    prices, aliases, meta = _parse(data, where)
    files = [where]
    version, source_date = str(meta.get("version", "")), str(meta.get("source_date", ""))
    source = str(meta.get("source", ""))
    discount = float(meta.get("batch_discount", 0.5))
    if override is not None:
        odata, owhere = _read(override)
        oprices, oaliases, ometa = _parse(odata, owhere)
        prices.update(oprices)
        for alias, key in list(aliases.items()):
            if key in oprices:
                del aliases[alias]
        aliases.update(oaliases)
        files.append(owhere)
        version = f"{version} + {ometa.get('version', 'user')}"
        source_date = str(ometa.get("source_date", source_date))
        source = str(ometa.get("source", owhere))
        discount = float(ometa.get("batch_discount", discount))
    return PriceTable(
        prices={k: tuple(v) for k, v in prices.items()}, aliases=aliases, version=version, source=source,
        source_date=source_date, batch_discount=discount, files=tuple(files),
    )


def table_for_config(config: Any) -> PriceTable:
    """The price table a loaded :class:`correlate.config.Config` asks for (``[prices] file``)."""
    file = config.root.prices.file
    return load_prices(config.resolve(file) if file is not None else None)


def show(config_path: Path) -> None:
    """``correlate prices``: print the table in use, its version and the date of its source.

    It fits an 80-column terminal: model ids, dates and prices never wrap or shorten, and the long
    status notes are numbered under the table instead of squeezed into a column.
    """
    from rich import box
    from rich.table import Table

    from correlate.config import DEFAULT_CONFIG_PATH, load_config
    from correlate.console import console

    config = load_config(config_path, required=Path(config_path) != DEFAULT_CONFIG_PATH)  # a named file must exist
    table = table_for_config(config)
    out = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    out.add_column("model", no_wrap=True)
    out.add_column("from", no_wrap=True)
    for header in ("input", "output", "5m\nwrite", "1h\nwrite", "cache\nread"):
        out.add_column(header, justify="right", no_wrap=True)
    out.add_column("note", justify="right", no_wrap=True)

    def fmt(v: float | None) -> str:
        return "—" if v is None else f"{v:g}"

    notes: dict[str, int] = {}
    listed = False
    for key in sorted(table.prices):
        for row in table.prices[key]:
            if row.effective_from is not None:
                since = row.effective_from.isoformat()
            elif row.listed_since is not None:
                since, listed = f"{row.listed_since.isoformat()}*", True
            else:
                since = "—"
            note = "; ".join(x for x in (row.status, row.provenance) if x)
            mark = str(notes.setdefault(note, len(notes) + 1)) if note else ""
            out.add_row(key, since, fmt(row.input), fmt(row.output), fmt(row.cache_write_5m),
                        fmt(row.cache_write_1h), fmt(row.cache_read), mark)
    console.print("Model prices, USD per million tokens.")
    console.print(f"Version {table.version}, source dated {table.source_date}.")
    console.print(out)
    console.print("from: the day the price took effect" + ("; * the day its source first listed it" if listed else "")
                  + "; — always.")
    for note, number in notes.items():
        console.print(f"{number:>2}. {note}")
    console.print(f"Batch API: {table.batch_discount:.0%} off input and output. Source: {table.source}")
    console.print("Files: " + ", ".join(table.files))
