"""The OTLP receivers (``correlate serve-otlp``) and their durable spool.

Naming: ``otlp`` is the wire protocol and what speaks it: this package (``server`` OTLP/HTTP,
``grpc_server`` OTLP/gRPC, ``intake`` what both share, ``spool`` the files they append to) and
``connectors/otlp.py`` (decoding export requests). ``otel`` is the *source* users name
(``correlate sync --source otel``, the ``[otel]`` config section, the ``otel_*`` tables and
``connectors/otel_records.py``); its fold into the store is ``correlate/ingest/otel.py``, named like
every other source's ingest module.
"""
