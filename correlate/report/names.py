"""Text from the data made safe to print: no control or bidirectional-override characters, no endless names.

Team, model, tool and edit-tool names come from configuration files and vendor APIs, so a report treats
them as untrusted text. HTML escaping (jinja2 autoescape) stops markup; this module stops the rest:

* control characters and Unicode bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and friends) would
  reorder or hide what a reader sees (a team name that displays as another team's), so each becomes
  U+FFFD, visibly replaced;
* a name of thousands of characters would widen tables and charts (a 5,000-character team name made a
  chart 25,496 pt wide), so names are cut to :data:`NAME_LIMIT` characters with an ellipsis, and any run
  of more than :data:`RUN_LIMIT` characters without a space is cut wherever it is printed.

The report renderer applies :func:`neutralise` to every value a template prints, and charts apply
:func:`display_name` to every label they draw, so no single template or chart can forget it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NAME_LIMIT", "RUN_LIMIT", "display_name", "neutralise"]

NAME_LIMIT = 48  # characters of a name in a table row header or a chart label
RUN_LIMIT = 80  # characters without a space anywhere in printed text

REPLACEMENT = "\ufffd"
# Unicode's bidirectional formatting characters (UAX #9) and the Arabic letter mark
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEEP = set("\t\n\r")
_RUN = re.compile(r"\S{%d,}" % (RUN_LIMIT + 1))


def _unsafe(ch: str) -> bool:
    if ch in _KEEP:
        return False
    if ch in _BIDI:
        return True
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Zl", "Zp") or (cat == "Cf" and ch not in "\u200c\u200d")  # ZWJ/ZWNJ shape scripts


def neutralise(text: str) -> str:
    """``text`` with control and bidirectional characters replaced by U+FFFD and over-long runs cut."""
    if not any(_unsafe(ch) for ch in text) and len(text) <= RUN_LIMIT:
        return text
    clean = "".join(REPLACEMENT if _unsafe(ch) else ch for ch in text)
    return _RUN.sub(lambda m: m.group(0)[:RUN_LIMIT - 1] + "…", clean)


def display_name(name: object, limit: int = NAME_LIMIT) -> str:
    """A name as a table or chart shows it: neutralised, and cut to ``limit`` characters with an ellipsis."""
    text = neutralise(str(name))
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
