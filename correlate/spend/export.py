"""``correlate export spend``: one row per team × day × class × model, so the numbers can be checked.

The classes partition the spend: per team and day the ``cost_usd`` of all rows adds up to the team ×
day table's ``ai_cost_usd`` (``correlate export panel``). Rows are also split by ``rule``, the
linking rule behind the dollars, so the evidence for each class can be audited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from correlate.config import load_config
from correlate.console import console
from correlate.csv_writer import write_csv
from correlate.export_window import data_window
from correlate.spend import CLASSES, classify_window
from correlate.spend.wording import describe_thresholds, rule_name
from correlate.store import Store

__all__ = ["EXPORT_COLUMNS", "export_spend", "spend_rows"]

EXPORT_COLUMNS = ["team", "day", "class", "model", "rule", "cost_usd"]


def spend_rows(detail: pd.DataFrame) -> pd.DataFrame:
    """The export table from classified detail: summed per team, day, class, model and rule."""
    rows = detail.groupby(["team", "day", "class", "model", "rule"], as_index=False)["cost_usd"].sum()
    rows["class"] = pd.Categorical(rows["class"], categories=list(CLASSES), ordered=True)
    rows = rows.sort_values(["team", "day", "class", "model", "rule"]).reset_index(drop=True)
    rows["class"] = rows["class"].astype(str)
    return rows[EXPORT_COLUMNS]


def export_spend(config_path: Path, out: Path, since: date | None, until: date | None) -> None:
    """Write the spend classes as CSV and print a summary (total, class shares, linking rules, path).

    Args:
        config_path: ``correlate.toml``.
        out: the CSV file to write.
        since, until: spend days (default: the store's data span).
    """
    config = load_config(config_path)
    with Store.open(config.store_path, read_only=True) as store:  # an export only reads
        first, last = data_window(store, since, until)
        inputs, classified = classify_window(store, config, first, last)
    rows = spend_rows(classified.detail)
    write_csv(rows, out, float_format="%.6f")
    total = float(rows["cost_usd"].sum())
    console.print(f"AI spend {first} to {last} (as of {classified.as_of}): ${total:,.2f} across "
                  f"{rows['team'].nunique()} teams")
    by_class = rows.groupby("class")["cost_usd"].sum()
    for c in CLASSES:
        value = float(by_class.get(c, 0.0))
        console.print(f"  {c:<13} ${value:>12,.2f}  {100 * value / total if total else 0:5.1f}%")
    shares = classified.links.rule_shares()
    console.print("How the spend links to pull requests:")
    for rule, share in shares.items():
        console.print(f"  {100 * share:5.1f}%  {rule_name(rule)}", markup=False, highlight=False)
    # markup off: "[spend]" is the config section's name, not rich markup (it printed as "Thresholds ():")
    console.print("Thresholds, from the [spend] section of the config:", markup=False)
    for clause in describe_thresholds(config.root.spend.model_dump()):
        console.print(f"  {clause}", markup=False, highlight=False, soft_wrap=True)
    if inputs.unmapped_cost_usd:
        console.print(f"Not in any team (fix the mapping): ${inputs.unmapped_cost_usd:,.2f}")
    console.print(f"Wrote {len(rows):,} rows to {out}")
