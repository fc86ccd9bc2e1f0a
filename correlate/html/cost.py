"""What caching saved and what the Batch API discount would change, per model.

Anthropic list prices, USD per million tokens (``../shared/docs/sources.md`` §6, Claude API
first-party, as of 2026-08). Cache reads cost 0.1 × the base input price, so each cache-read
token saved 0.9 × the input price compared with sending the same tokens uncached. The Batch API
halves input and output prices but applies only to asynchronous batch jobs, never to interactive
assistant sessions, so it is shown as "what it would change if this work could be batched".

Models not in this table (other vendors, unknown ids) get no savings figure, shown as a dash: a
guessed price would be a wrong number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LIST_PRICES", "ModelCost", "model_cost", "price_of"]

# model id prefix -> (input, output) USD per million tokens.
LIST_PRICES: dict[str, tuple[float, float]] = {
    "claude-fable-5": (10.0, 50.0),
    "claude-mythos-5": (10.0, 50.0),
    "claude-opus-5": (5.0, 25.0),
    "claude-opus-4-8": (5.0, 25.0),
    "claude-opus-4-7": (5.0, 25.0),
    "claude-opus-4-6": (5.0, 25.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-5": (2.0, 10.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
}
CACHE_READ_FACTOR = 0.1
BATCH_FACTOR = 0.5


def price_of(model: str) -> tuple[float, float] | None:
    """(input, output) list price for a model id; dated suffixes and ``[1m]`` tags are ignored."""
    key = re.sub(r"\[.*?\]$", "", (model or "").strip().lower())
    for prefix in sorted(LIST_PRICES, key=len, reverse=True):
        if key == prefix or key.startswith((prefix + "-", prefix + "@")):
            return LIST_PRICES[prefix]
    return None


@dataclass(frozen=True)
class ModelCost:
    """One tool × model line of the cost section."""

    tool: str
    model: str
    cost_usd: float
    tokens_input: float
    tokens_output: float
    tokens_cache_read: float
    cache_read_share: float
    cache_saved_usd: float
    uncached_cost_usd: float
    batch_saving_usd: float


def model_cost(tool: str, model: str, cost: float, tokens_input: float, tokens_output: float,
               tokens_cache_read: float) -> ModelCost:
    """Caching savings and the batch-discount counterfactual for one model's tokens.

    ``cache_saved_usd`` = cache-read tokens × input price × (1 − 0.1); ``uncached_cost_usd`` = spend +
    that saving; ``batch_saving_usd`` = half of what the uncached input and output tokens cost.
    """
    nan = float("nan")
    price = price_of(model)
    total_in = tokens_input + tokens_cache_read
    share = tokens_cache_read / total_in if total_in else nan
    if price is None:
        return ModelCost(tool, model, cost, tokens_input, tokens_output, tokens_cache_read, share, nan, nan, nan)
    p_in, p_out = price
    saved = tokens_cache_read * p_in * (1 - CACHE_READ_FACTOR) / 1e6
    batch = (tokens_input * p_in + tokens_output * p_out) * (1 - BATCH_FACTOR) / 1e6
    return ModelCost(tool, model, cost, tokens_input, tokens_output, tokens_cache_read, share, saved, cost + saved,
                     batch)
