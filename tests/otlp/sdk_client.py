"""One "Claude Code process" as a real OpenTelemetry Python SDK client (run as a script by the tests).

It sends the eight Claude Code metrics (names, units and attributes as documented, sources.md §3) and
``claude_code.api_request`` events (body ``claude_code.api_request``, attribute ``event.name``) through
the SDK's own OTLP exporters, over gRPC or HTTP/protobuf, with delta or cumulative temporality, in
``ROUNDS`` exports. Its attributes carry no ``session.id`` and the resource no ``service.instance.id``
(``OTEL_METRICS_INCLUDE_SESSION_ID=false``): two processes then export identical series that differ only
in their start times. What it sends is :func:`increments` (the tests compute the expected totals from it).

    python tests/otlp/sdk_client.py PROTOCOL TEMPORALITY PORT PROCESS TOKEN START_AT

Exports happen at ``START_AT`` (a wall-clock time, after the imports) plus ``(PROCESS - 1) * STEP_S`` plus
``2 * STEP_S`` per round, so the two processes' exports alternate.
"""

from __future__ import annotations

import sys
import time
from typing import Any

ROUNDS = 3
STEP_S = 0.25
USER = {"user.email": "dev@example.com", "user.account_uuid": "acc-1", "organization.id": "org-1",
        "terminal.type": "vscode"}
MODEL = "claude-sonnet-4-6"


def increments(process: int, rnd: int) -> dict[str, Any]:
    """What process ``process`` (1, 2) adds in round ``rnd`` (1..ROUNDS): distinct per process and round."""
    k = process * 10 + rnd
    return {"input": 100 * k, "output": 10 * k, "cache_read": 1000 * k, "cache_creation": 50 * k,
            "cost": 0.0125 * k, "added": 3 * k, "removed": k, "commits": 1, "prs": rnd % 2, "sessions": 1 if rnd == 1
            else 0, "accept": 2, "reject": 1, "user_s": 1.5 * k, "cli_s": 0.5 * k}


def main(protocol: str, temporality: str, port: int, process: int, token: str, start_at: float) -> None:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import Counter, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    prefer = {Counter: AggregationTemporality.DELTA if temporality == "delta" else AggregationTemporality.CUMULATIVE}
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogs
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics

        auth_md = (("authorization", f"Bearer {token}"),)
        metrics: Any = GrpcMetrics(endpoint=f"127.0.0.1:{port}", insecure=True, headers=auth_md,
                                   preferred_temporality=prefer, timeout=10)
        logs: Any = GrpcLogs(endpoint=f"127.0.0.1:{port}", insecure=True, headers=auth_md, timeout=10)
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogs
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics

        auth_h = {"Authorization": f"Bearer {token}"}
        metrics = HttpMetrics(endpoint=f"http://127.0.0.1:{port}/v1/metrics", headers=auth_h,
                              preferred_temporality=prefer, timeout=10)
        logs = HttpLogs(endpoint=f"http://127.0.0.1:{port}/v1/logs", headers=auth_h, timeout=10)

    # Resource(...), not Resource.create(...): create() adds a random service.instance.id per process, which
    # Claude Code's resource does not carry
    resource = Resource({"service.name": "claude-code", "service.version": "2.1.240", "os.type": "linux",
                         "team.id": "payments"})
    reader = PeriodicExportingMetricReader(metrics, export_interval_millis=3_600_000)  # exports on force_flush
    meters = MeterProvider(resource=resource, metric_readers=[reader])
    meter = meters.get_meter("com.anthropic.claude_code", "2.1.240")
    session = meter.create_counter("claude_code.session.count", unit="")
    lines = meter.create_counter("claude_code.lines_of_code.count", unit="")
    prs = meter.create_counter("claude_code.pull_request.count", unit="")
    commits = meter.create_counter("claude_code.commit.count", unit="")
    cost = meter.create_counter("claude_code.cost.usage", unit="USD")
    tokens = meter.create_counter("claude_code.token.usage", unit="tokens")
    edits = meter.create_counter("claude_code.code_edit_tool.decision", unit="")
    active = meter.create_counter("claude_code.active_time.total", unit="s")
    loggers = LoggerProvider(resource=resource)
    loggers.add_log_record_processor(SimpleLogRecordProcessor(logs))
    events = loggers.get_logger("com.anthropic.claude_code.events", "2.1.240")

    for rnd in range(1, ROUNDS + 1):
        time.sleep(max(0.0, start_at + (process - 1) * STEP_S + (rnd - 1) * 2 * STEP_S - time.time()))
        inc = increments(process, rnd)
        if inc["sessions"]:
            session.add(inc["sessions"], {**USER, "start_type": "fresh"})
        lines.add(inc["added"], {**USER, "type": "added", "model": MODEL})
        lines.add(inc["removed"], {**USER, "type": "removed", "model": MODEL})
        if inc["prs"]:
            prs.add(inc["prs"], USER)
        commits.add(inc["commits"], USER)
        cost.add(inc["cost"], {**USER, "model": MODEL, "query_source": "main"})
        for kind, key in (("input", "input"), ("output", "output"), ("cacheRead", "cache_read"),
                          ("cacheCreation", "cache_creation")):
            tokens.add(inc[key], {**USER, "type": kind, "model": MODEL, "query_source": "main"})
        edits.add(inc["accept"], {**USER, "tool_name": "Edit", "decision": "accept", "source": "config",
                                  "language": "Python"})
        edits.add(inc["reject"], {**USER, "tool_name": "Write", "decision": "reject", "source": "user_reject",
                                  "language": "Python"})
        active.add(inc["user_s"], {**USER, "type": "user"})
        active.add(inc["cli_s"], {**USER, "type": "cli"})
        now = time.time_ns()
        events.emit(timestamp=now, body="claude_code.api_request", attributes={
            **USER, "event.name": "api_request", "event.timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model": MODEL, "cost_usd": inc["cost"], "input_tokens": inc["input"], "output_tokens": inc["output"],
            "cache_read_tokens": inc["cache_read"], "cache_creation_tokens": inc["cache_creation"],
            "duration_ms": 900.0, "request_id": f"req-{process}-{rnd}"})
        if not meters.force_flush(timeout_millis=20_000):
            raise SystemExit(f"process {process}: the metric export of round {rnd} failed")
    meters.shutdown()  # a last export: cumulative points repeat their totals, delta ones are empty
    loggers.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6]))
