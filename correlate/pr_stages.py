"""Pull-request stage durations (definitions.md §4), derived once and stored with the PR.

* coding   = first commit → ready (``ready_at``; a PR not opened as a draft is ready when created);
* pickup   = ready → first review or comment by a non-author, non-bot account; if none, → first
  approval; else → merge;
* review   = end of pickup → merge;
* cycle    = ready → merge; lifetime = first commit → merge.

A stage whose endpoints are missing stays NULL (never 0) so coverage can be reported. A stage whose end
precedes its start (commits pushed after the PR opened, a review left on a draft) counts as 0: the work
of that stage happened inside another one.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["derive_stages"]


def _seconds(end: pd.Series, start: pd.Series) -> pd.Series:
    delta = (pd.to_datetime(end, utc=True) - pd.to_datetime(start, utc=True)).dt.total_seconds()
    return delta.clip(lower=0)


def derive_stages(prs: pd.DataFrame) -> pd.DataFrame:
    """Add ``coding_s``, ``pickup_s``, ``review_s``, ``cycle_s`` and ``lifetime_s`` to a PR frame.

    Args:
        prs: columns ``created_at``, ``ready_at`` (may be empty), ``first_commit_at``, ``first_review_at``
            (already excluding authors and bots), ``first_approval_at`` and ``merged_at``.

    Returns:
        A copy with the five duration columns in seconds (float, NaN where a stage cannot be computed).

    Examples:
        >>> import pandas as pd
        >>> t = lambda s: pd.Timestamp(s, tz="UTC")
        >>> f = pd.DataFrame({"created_at": [t("2026-01-05 09:00")], "ready_at": [pd.NaT],
        ...     "first_commit_at": [t("2026-01-05 08:00")], "first_review_at": [t("2026-01-05 11:00")],
        ...     "first_approval_at": [pd.NaT], "merged_at": [t("2026-01-05 15:00")]})
        >>> derive_stages(f)[["coding_s", "pickup_s", "review_s", "cycle_s"]].iloc[0].tolist()
        [3600.0, 7200.0, 14400.0, 21600.0]
    """
    out = prs.copy()
    ready = pd.to_datetime(out["ready_at"], utc=True).fillna(pd.to_datetime(out["created_at"], utc=True))
    merged = pd.to_datetime(out["merged_at"], utc=True)
    pickup_end = pd.to_datetime(out["first_review_at"], utc=True)
    pickup_end = pickup_end.fillna(pd.to_datetime(out["first_approval_at"], utc=True)).fillna(merged)
    if "merged_at" in out:
        # a review after the merge does not end pickup for a merged PR
        pickup_end = pickup_end.where(merged.isna() | (pickup_end <= merged), merged)
    out["coding_s"] = _seconds(ready, out["first_commit_at"])
    out["pickup_s"] = _seconds(pickup_end, ready)
    out["review_s"] = _seconds(merged, pickup_end)
    out["cycle_s"] = _seconds(merged, ready)
    out["lifetime_s"] = _seconds(merged, out["first_commit_at"])
    return out
