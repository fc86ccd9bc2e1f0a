"""Statistics for correlate: immutable results, no formatting (``docs/statistics.md`` is the method).

Modules, by section of the method:

* grain, adoption — team x ISO week panel with exposures; adoption share and absorbing adoption week
* descriptives (A), association (B), intensity + fixed_effects (C), did + cs + pretrend (D), compare (E),
  mixed (F), multiple (BH), power (MDE), gates, units (business units), wording (sentences)
* suite — ``run_suite``, the one entry point reports call; command — ``correlate analyze``
"""

from correlate.stats.results import (
    AttGt,
    ComparisonResult,
    ConfidenceInterval,
    CorrelationResult,
    DescriptiveResult,
    DidResult,
    Estimate,
    EventTime,
    Gates,
    PowerResult,
)

__all__ = [
    "AttGt",
    "ComparisonResult",
    "ConfidenceInterval",
    "CorrelationResult",
    "DescriptiveResult",
    "DidResult",
    "Estimate",
    "EventTime",
    "Gates",
    "PowerResult",
]
