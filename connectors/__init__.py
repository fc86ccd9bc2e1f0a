"""Source connectors: turn vendor APIs and files into :mod:`connectors.records` plus a cursor.

This package never imports ``correlate``; storage, joins and reports live there.
"""

from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalSourceError,
    PayloadError,
    RateLimitError,
    TransientSourceError,
)

__all__ = [
    "AuthError",
    "ConnectorError",
    "FatalSourceError",
    "PayloadError",
    "RateLimitError",
    "TransientSourceError",
]
