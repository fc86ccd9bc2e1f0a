"""Token intelligence: link AI spend to pull requests and classify it with transparent rules.

``classify_window`` is the one path from the store to classified spend; the report section
(:mod:`correlate.spend.section`) and the CSV export (:mod:`correlate.spend.export`) both use it.
"""

from __future__ import annotations

from datetime import date

from correlate.config import Config
from correlate.spend.classify import CLASSES, Classified, classify
from correlate.spend.inputs import SpendInputs, load_inputs
from correlate.spend.linking import LINK_RULES, link_spend
from correlate.store import Store

__all__ = ["CLASSES", "LINK_RULES", "Classified", "SpendInputs", "classify_window"]


def classify_window(store: Store, config: Config, since: date, until: date,
                    as_of: date | None = None) -> tuple[SpendInputs, Classified]:
    """Load, link and classify the spend of ``[since, until]`` (days, inclusive).

    Args:
        store: an open store.
        config: teams, precedence and the ``[spend]`` thresholds.
        since, until: the spend days.
        as_of: the classification day (default: the newest data day in the store).
    """
    inputs = load_inputs(store, config, since, until, as_of=as_of)
    links = link_spend(inputs, config.root.spend, config.root.ingest.precedence)
    return inputs, classify(inputs, links, config.root.spend)
