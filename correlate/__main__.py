"""``python -m correlate`` is the ``correlate`` command."""

from correlate.cli import main

main()
