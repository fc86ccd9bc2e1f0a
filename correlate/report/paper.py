"""The paper a report prints on: ``[report] paper`` ("A4" or "Letter"), else the locale's, else Letter.

Why the locale: a reader in Europe prints on A4 and one in North America on Letter, and a PDF laid out for
the other size gets shrunk or cut. POSIX locales name their territory (``en_GB.UTF-8``); the countries
that use Letter are few, so any other named territory means A4. With no locale at all (a bare container),
Letter, the size of the project's first users.
"""

from __future__ import annotations

import os

from correlate.config import Config

__all__ = ["LETTER_TERRITORIES", "PAPERS", "locale_paper", "paper_size"]

PAPERS = ("A4", "Letter")
# Territories where Letter is the common paper size (CLDR's paperSize data)
LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "PR", "BZ", "CR", "SV", "NI",
                                "PA"})


def locale_paper(env: dict[str, str] | None = None) -> str | None:
    """The paper the locale implies (``LC_ALL``, then ``LC_PAPER``, then ``LANG``), or None without a territory."""
    env = dict(os.environ) if env is None else env
    for var in ("LC_ALL", "LC_PAPER", "LANG"):
        raw = env.get(var, "").strip()
        if not raw or raw in ("C", "POSIX") or raw.startswith("C."):
            continue
        code = raw.split(".")[0].split("@")[0]
        if "_" not in code:
            return None
        return "Letter" if code.split("_")[1].upper() in LETTER_TERRITORIES else "A4"
    return None


def paper_size(config: Config, env: dict[str, str] | None = None) -> str:
    """``[report] paper`` when set, else :func:`locale_paper`, else Letter."""
    chosen = config.root.report.paper
    return chosen if chosen else (locale_paper(env) or "Letter")
