"""Report builders: store → typed sections (:mod:`.sections`) that ``correlate/html`` renders.

:mod:`.monthly` and :mod:`.team_comparison` build the two reports; :mod:`.teams` applies the
minimum-group-size rule and lays out catalogue tables; :mod:`.statistics` runs the statistics engine
once and converts its results; :mod:`.queries` holds the store queries beyond the panel;
:mod:`.method_text` the static method notes.
"""
