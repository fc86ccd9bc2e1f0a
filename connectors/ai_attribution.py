"""Which AI coding tool a commit message or PR body says assisted it (definitions.md §"AI-assisted PR", rule 1).

Each tool leaves its own mark in the text it writes:

* Claude Code: a ``Co-Authored-By: Claude … <noreply@anthropic.com>`` trailer, or the
  "🤖 Generated with [Claude Code](…)" line it adds to commit messages and PR bodies;
* Cursor: a ``Made-with: Cursor`` trailer, or its background agent as co-author
  (``Co-authored-by: Cursor Agent <cursoragent@cursor.com>``);
* GitHub Copilot: the coding agent as co-author (``Co-authored-by: Copilot
  <…+Copilot@users.noreply.github.com>`` or ``copilot-swe-agent[bot]``).

Only trailers at the start of a line count, and a co-author counts only by the tool's own name or
address: a human called Claude (``Co-authored-by: Claude Monet <claude@monet.fr>``) is not Claude Code.

Example::

    >>> detect_ai_tool(["Fix flaky test\\n\\nCo-Authored-By: Claude <noreply@anthropic.com>"])
    ('claude_code', 'co_author_claude')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["RULES", "detect_ai_tool"]

# (tool, rule name, pattern). Patterns are multiline and case-insensitive; each is anchored to a line start.
_CO = r"^[ \t>]*co-authored-by:[ \t]*"
RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (tool, rule, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for tool, rule, pattern in (
        ("cursor", "made_with_cursor", r"^[ \t>]*made-with:[ \t]*cursor\b"),
        ("cursor", "co_author_cursor",
         _CO + r"(?:cursor(?:[ \t]+agent)?[ \t]*<[^>\n]*>|[^<\n]*<cursoragent@cursor\.com>)"),
        ("copilot", "co_author_copilot",
         _CO + r"(?:(?:github[ \t]+)?copilot(?:-swe-agent(?:\[bot\])?)?[ \t]*<[^>\n]*>"
               r"|[^<\n]*<[^>\n]*\+(?:copilot|copilot-swe-agent\[bot\])@users\.noreply\.github\.com>)"),
        ("claude_code", "co_author_claude",
         _CO + r"(?:[^<\n]*<[^>\n]*@anthropic\.com>|claude(?:[ \t]+(?:code|opus|sonnet|haiku)\b[^<\n]*)?[ \t]*<)"),
        ("claude_code", "generated_with_claude_code", r"^[^\n]*generated with \[?claude code\b"),
    )
)


def detect_ai_tool(texts: Iterable[str | None]) -> tuple[str, str] | None:
    """The first AI tool named by a trailer in ``texts``, with the rule that matched.

    Args:
        texts: commit messages and PR bodies, in the order they should be trusted (for example the PR
            body first, then commits oldest first). ``None`` entries are skipped.

    Returns:
        ``(tool, rule)`` — tool is ``claude_code``, ``cursor`` or ``copilot`` (the ``tool`` values of
        the usage tables) — for the earliest match in the first text that has one; ``None`` when no
        text names a tool.
    """
    for text in texts:
        if not text:
            continue
        best: tuple[int, str, str] | None = None
        for tool, rule, pattern in RULES:
            m = pattern.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), tool, rule)
        if best:
            return best[1], best[2]
    return None
