"""Terminal output: one rich console, progress bars for long work, and the rate-limit countdown.

Commands print what they did and where the output is; long loops show a progress bar; a wait for a
rate limit shows a live countdown (installed into ``connectors._http`` as its waiter).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from connectors import _http

__all__ = ["console", "countdown", "err_console", "install_countdown", "progress"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def progress(*, transient: bool = False) -> Progress:
    """A progress bar in correlate's style: description, bar, n/total, elapsed and remaining time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )


def countdown(seconds: float, reason: str) -> None:
    """Wait ``seconds`` with a visible countdown (rate limits, back-off)."""
    end = time.monotonic() + seconds
    if seconds < 1.5 or not err_console.is_terminal:
        err_console.print(f"[yellow]waiting {seconds:.0f}s[/]: {reason}")
        time.sleep(max(0.0, seconds))
        return
    with err_console.status("") as status:
        while (left := end - time.monotonic()) > 0:
            status.update(f"[yellow]{reason}[/] — resuming in {int(left) + 1}s")
            time.sleep(min(1.0, left))


@contextmanager
def install_countdown() -> Iterator[None]:
    """Route every connector wait through :func:`countdown` for the duration of a command."""
    previous = _http.set_waiter(countdown)
    try:
        yield
    finally:
        _http.set_waiter(previous)
