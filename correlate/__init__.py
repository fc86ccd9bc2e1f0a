"""correlate: is AI coding-assistant spend producing better delivery, or just more code?

The public API is small; the command line (``correlate``) is built on it.
"""

from correlate.config import Config, load_config
from correlate.errors import CorrelateError
from correlate.panel import PANEL_COLUMNS, build_panel
from correlate.store import Store

__all__ = ["PANEL_COLUMNS", "Config", "CorrelateError", "Store", "build_panel", "load_config"]
__version__ = "0.1.0"
