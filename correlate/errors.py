"""Errors raised by correlate, typed by what the user should do. Caught once, in ``correlate.cli``.

::

    CorrelateError                  root; ``exit_code`` is what the CLI exits with
    ├── ConfigError        (2)      correlate.toml is missing, malformed or contradicts itself
    ├── UsageError         (2)      a command's arguments cannot work (unknown team, bad date)
    ├── StoreError         (1)      the DuckDB store cannot be opened, migrated or written
    ├── InputError         (1)      a file handed to ``import``/``analyze`` has a bad row; names file and line
    ├── AnalysisError      (1)      the analysis cannot run on these data (not "inconclusive": that is a result)
    └── NotAvailableError  (1)      the command exists but its data path is not configured or not built yet

Warnings that become report caveats derive from :class:`CorrelateWarning`.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "ConfigError",
    "CorrelateError",
    "CorrelateWarning",
    "InputError",
    "InsufficientDataWarning",
    "NotAvailableError",
    "StoreError",
    "UsageError",
]


class CorrelateError(Exception):
    """Root of every correlate failure."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CorrelateError):
    """A configuration problem. The message names the file, the key and what to do."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        where = ""
        if path:
            where = f"{path}: "
        if key:
            where += f"[{key}] "
        super().__init__(f"{where}{message}")
        self.path = path
        self.key = key


class UsageError(CorrelateError):
    """Arguments that cannot work."""

    exit_code = 2


class StoreError(CorrelateError):
    """The store cannot be opened, migrated or written."""


class InputError(CorrelateError):
    """A bad row or field in a user-supplied file."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = path or ""
        if line is not None:
            where += f":{line}"
        if field:
            where += f" (column {field!r})" if where else f"column {field!r}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.field = field


class AnalysisError(CorrelateError):
    """The analysis cannot run on these data."""


class NotAvailableError(CorrelateError):
    """The command's data path is not configured (or not built in this release)."""


class CorrelateWarning(UserWarning):
    """Base of warnings that the report turns into caveats."""


class InsufficientDataWarning(CorrelateWarning):
    """Too little data for a statistic; the result is NaN and the report says so."""
