"""Where a command writes what it made (a report, a CSV): the folder is created, and an OS refusal becomes a
message that names the file and the cause instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from correlate.errors import UsageError

__all__ = ["writing"]


def _refusal(out: Path, exc: OSError) -> UsageError:
    cause = exc.strerror or str(exc)
    return UsageError(f"cannot write {out}: {cause}. Pass --out with a path in a folder you can write to.")


@contextmanager
def writing(out: Path, *, by_another_program: bool = False) -> Iterator[Path]:
    """Make ``out``'s folder and turn an ``OSError`` raised while writing ``out`` into a :class:`UsageError`.

    ``by_another_program``: the file is written by a child process (Chromium printing a PDF), whose failure
    would only say "failed": the folder's write access is checked here first.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if by_another_program and not os.access(out.parent, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out.parent))
        yield out
    except OSError as exc:
        raise _refusal(out, exc) from None
