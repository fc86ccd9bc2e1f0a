"""``correlate export identities``: the identities that matched no team, for the admin who fixes the mapping.

Reports never list people: the data-quality section counts unmatched identities and says how many rows
they carry. Fixing the mapping needs the names themselves, so they go to a CSV the admin runs for
themself (``source, identity, rows, cost_usd``, most rows first), not into an attachment that is
forwarded to leadership.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from correlate.config import load_config
from correlate.console import console
from correlate.csv_writer import write_csv
from correlate.export_window import data_window
from correlate.quality import data_quality
from correlate.store import Store

__all__ = ["export_identities"]


def export_identities(config_path: Path, out: Path, since: date | None, until: date | None) -> None:
    """Write every identity that resolved to no configured team in ``[since, until]`` (default: the store's
    data span) with its source, rows and spend; print how many and where."""
    config = load_config(config_path)
    with Store.open(config.store_path, read_only=True) as store:  # an export only reads
        first, last = data_window(store, since, until)
        unmatched = data_quality(store, config, first, last, top=10**9).unmatched
    frame = unmatched[["source", "identity", "rows", "cost_usd"]]
    write_csv(frame, out, float_format="%.2f")
    people = frame["identity"].nunique()
    console.print(f"Wrote {people:,} identit{'y' if people == 1 else 'ies'} that matched no team ({first} to {last}, "
                  f"{int(frame['rows'].sum()):,} rows) to {out}. Add them to a team's members, or to a [[people]] "
                  "entry, to count them.", markup=False, highlight=False)
