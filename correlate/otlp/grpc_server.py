"""The OTLP/gRPC receiver (port 4317 by default), beside OTLP/HTTP, over the same :class:`Intake`.

Services and methods are those ``opentelemetry-proto`` defines (``MetricsService``, ``LogsService``,
``TraceService``, each with ``Export``). Bodies are taken as raw bytes, so a request is validated by the
same parser as OTLP/HTTP and spooled exactly as received, and a body that does not parse gets
``INVALID_ARGUMENT`` (gRPC's own deserialiser would answer ``INTERNAL``, which clients retry).

Status codes (OTLP/gRPC spec):

* ``OK`` + an empty ``Export*ServiceResponse`` once the request is on disk (fsynced);
* ``UNAUTHENTICATED`` when ``[otel] token_env`` names a token and the ``authorization`` metadata does
  not carry ``Bearer <token>``: checked when the call starts, before its message is read;
* ``RESOURCE_EXHAUSTED`` for a message over ``[otel] max_body_bytes`` (after decompression; gRPC's
  limit) or a JSON cap, and when more calls are open than the receiver serves at once;
* ``INVALID_ARGUMENT`` for a message that is not a valid export request (the client must not retry);
* ``UNAVAILABLE`` with ``google.rpc.RetryInfo`` when the spool cannot be written or every in-flight
  slot stays taken (retryable: the client keeps the data);
* ``DEADLINE_EXCEEDED`` when a message does not arrive in time (a client trickling its body).

The asyncio server holds no thread while a message arrives, so slow clients cost a coroutine, not a
slot; validation and the spool's fsync run in a small thread pool under the shared in-flight slots.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from connectors.errors import PayloadError
from connectors.otlp import Signal
from correlate.otlp.intake import INFLIGHT_WAIT_S, MAX_INFLIGHT, Intake, TooLarge

__all__ = ["GrpcReceiver", "SERVICES"]

# (full service name, signal), from the service definitions opentelemetry-proto ships
SERVICES: tuple[tuple[str, Signal], ...] = (
    (metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"].full_name, "metrics"),
    (logs_service_pb2.DESCRIPTOR.services_by_name["LogsService"].full_name, "logs"),
    (trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"].full_name, "traces"),
)
MAX_CALLS = 4 * MAX_INFLIGHT  # calls open at once (beyond: RESOURCE_EXHAUSTED); each may hold one message
BODY_GRACE_S = 10.0  # a message must arrive within this plus its allowed size at BODY_MIN_RATE
BODY_MIN_RATE = 1024 * 1024  # bytes/s


def _retry_after(seconds: int) -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata telling the client when to retry (the OTLP/gRPC form of Retry-After)."""
    info = RetryInfo(retry_delay=Duration(seconds=seconds))
    return (("google.rpc.retryinfo-bin", info.SerializeToString()),)


class GrpcReceiver:
    """An asyncio gRPC server on its own thread and event loop; ``start()`` binds, ``stop()`` drains.

    Args:
        intake: the spool, token, limits and counters shared with the HTTP receiver.
        host, port: where to listen; ``port=0`` picks a free port (see :attr:`port` after ``start``).
        body_deadline_s: how long a call may take to deliver its message (default: the grace plus the
            largest allowed body at 1 MiB/s).
    """

    def __init__(self, intake: Intake, host: str, port: int, *, body_deadline_s: float | None = None) -> None:
        self.intake = intake
        self.host = host
        self.requested_port = port
        self.port = 0
        self.body_deadline_s = body_deadline_s if body_deadline_s is not None else (
            BODY_GRACE_S + intake.max_body_bytes / BODY_MIN_RATE)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="otlp-grpc", daemon=True)
        self._pool = ThreadPoolExecutor(max_workers=MAX_INFLIGHT, thread_name_prefix="otlp-grpc-work")
        self._server: grpc.aio.Server | None = None

    def start(self) -> int:
        """Bind and start serving; returns the bound port.

        Raises:
            OSError: the address cannot be bound (in use, not local, no permission).
        """
        self._thread.start()
        try:
            return asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            raise

    async def _start(self) -> int:
        limit = self.intake.max_body_bytes
        server = grpc.aio.server(
            handlers=_handlers(self),
            maximum_concurrent_rpcs=MAX_CALLS,
            options=[
                ("grpc.max_receive_message_length", limit),  # checked after decompression too
                ("grpc.max_send_message_length", 1024 * 1024),
                ("grpc.so_reuseport", 0),  # a second receiver on the same port must fail, not share it
            ],
        )
        try:
            port = int(server.add_insecure_port(f"{self.host}:{self.requested_port}"))
        except RuntimeError as exc:  # grpc raises RuntimeError("Failed to bind to address ...")
            raise OSError(98, f"cannot bind {self.host}:{self.requested_port} ({exc})") from None
        await server.start()
        self._server, self.port = server, port
        return port

    def stop(self, grace: float = 5.0) -> None:
        """Finish the calls in progress (up to ``grace`` seconds), then stop the loop and the pool."""
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(grace), self._loop).result(timeout=grace + 10)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True)
        self._loop.close()

    # -- one call ----------------------------------------------------------------------------------------
    async def export(self, signal: Signal, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        """Handle one ``Export`` call: token, message (with a deadline), slot, validation, spool."""
        intake = self.intake
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        if not intake.authorized(metadata.get("authorization")):
            intake.count(False)
            intake.warn("grpc-401", f"OTLP/gRPC: refused calls from {context.peer()} without the right bearer "
                                    "token (metadata authorization: Bearer ...)")
            await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                "missing or wrong bearer token (metadata authorization: Bearer ...)")
        try:
            async with asyncio.timeout(self.body_deadline_s):  # no extra task per call, unlike wait_for
                body = await context.read()
        except TimeoutError:
            intake.count(False)
            intake.warn("grpc-slow", f"OTLP/gRPC: cut off a call from {context.peer()} whose message did not arrive "
                                     f"within {self.body_deadline_s:.0f} s")
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                                f"the message did not arrive within {self.body_deadline_s:.0f} s")
        if not isinstance(body, bytes):
            # no message: gRPC refused it (over max_receive_message_length, before or after decompression)
            # and has already answered RESOURCE_EXHAUSTED, or the client half-closed without one. There is
            # nobody to answer: end the call quietly (a cancelled handler sends nothing).
            intake.count(False)
            raise asyncio.CancelledError
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._pool, self._accept, signal, body)
        if outcome is None:
            intake.count(True)
            return b""  # an empty Export*ServiceResponse: full success
        intake.count(False)
        code, details, trailing = outcome
        await context.abort(code, details, trailing_metadata=trailing)
        raise AssertionError("unreachable: abort raises")

    def _accept(self, signal: Signal, body: bytes) -> tuple[grpc.StatusCode, str, tuple[Any, ...]] | None:
        """Validate and spool in a worker thread, under an in-flight slot; ``None`` or (code, details, trailers)."""
        intake = self.intake
        if not intake.inflight.acquire(timeout=INFLIGHT_WAIT_S):
            return grpc.StatusCode.UNAVAILABLE, "too many requests in flight; retry shortly", _retry_after(5)
        try:
            intake.accept(signal, body, "protobuf")
        except PayloadError as exc:
            return grpc.StatusCode.INVALID_ARGUMENT, exc.message, ()
        except TooLarge:
            return grpc.StatusCode.RESOURCE_EXHAUSTED, "the request exceeds the receiver's limit", ()
        except OSError as exc:
            intake.warn("spool", f"OTLP receiver: cannot write the spool ({exc.strerror or exc}); answering "
                                 "retryable errors until it can")
            return (grpc.StatusCode.UNAVAILABLE, f"cannot write the spool: {exc.strerror or exc}",
                    _retry_after(30))
        finally:
            intake.inflight.release()
        return None


def _handlers(receiver: GrpcReceiver) -> list[Any]:
    """Generic handlers for ``/<service>/Export`` of the three OTLP services, bodies as raw bytes.

    Registered as stream-unary (a unary call is a stream of one message on the wire), so the handler
    runs when the call starts: the token is checked before the message is read, and the read has a
    deadline.
    """
    return [grpc.method_handlers_generic_handler(service, {"Export": grpc.stream_unary_rpc_method_handler(
        _bind(receiver, signal))}) for service, signal in SERVICES]


def _bind(receiver: GrpcReceiver, signal: Signal) -> Callable[[AsyncIterator[bytes], Any], Awaitable[bytes]]:
    async def behaviour(requests: AsyncIterator[bytes], context: Any) -> bytes:
        return await receiver.export(signal, context)  # reads the message itself, with a deadline

    return behaviour
