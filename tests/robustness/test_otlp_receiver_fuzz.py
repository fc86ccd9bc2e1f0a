"""A bounded fuzz of the real OTLP receiver: hypothesis-built HTTP requests over raw sockets, zero 5xx.

The receiver (``correlate.otlp.server.make_server``) runs on 127.0.0.1 with its own spool. Each example
is one connection carrying one request with a random method, path, HTTP version and headers
(Content-Type, Content-Encoding, Content-Length that lies, chunked framing good and bad, Authorization,
Expect) and a body that is random bytes, damaged or valid protobuf/JSON (HAND-BUILT Claude Code
payloads, tests/otlp_payloads.py), gzip of any of these, a gzip bomb, or empty. The client half-closes
after sending, so a body shorter than its Content-Length ends in a hang-up rather than a timeout.

Asserted: zero 5xx (an unknown method gets 405 with ``Allow: POST`` and an HTTP version other than 1.x
gets 400, where the stdlib would answer 501 and 505: to an OTLP client a 5xx means "retry"); the spool
holds exactly the metrics and logs requests answered 200, in order, each a valid export request
(``/v1/traces`` is validated and counted, never spooled); and a valid request is still accepted
afterwards. The histogram of answers is printed (``pytest -s``): 0 counts connections
closed without an answer (the client hung up mid-body), 9 answers to HTTP/0.9 requests (no status line),
-1 connections reset by the server closing with bytes of the client unread (the kernel may then drop
answers already sent, so the spool says whether that request was acknowledged).
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import PayloadError
from connectors.otlp import parse_request
from correlate.otlp.server import OtlpServer, make_server
from correlate.otlp.spool import read_records, segments
from tests.otlp_payloads import api_request, day_of_usage, logs_request, metrics_request, to_json

LIMIT = 64 * 1024
TOKEN = "fuzz-token-not-real"  # noqa: S105 - a test value, not a secret
IMPLEMENTED = {"POST", "GET", "PUT", "DELETE", "PATCH"}
VALID = {
    ("metrics", "protobuf"): metrics_request(day_of_usage()).SerializeToString(),
    ("logs", "protobuf"): logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)]).SerializeToString(),
    ("metrics", "json"): to_json(metrics_request(day_of_usage()[:3])),
    ("logs", "json"): to_json(logs_request([api_request("claude-sonnet-4-6", 0.04, 1200, 800)])),
}
RESET = -1  # in a list of statuses: the connection was reset, answers may be missing
BOMB = gzip.compress(b"\0" * (16 * LIMIT))  # 1 MiB of zeros in ~1 KiB: inflates past the limit


@dataclass
class Sent:
    """One fuzzed request: the raw bytes on the wire plus what the receiver should make of them."""

    raw: bytes
    method: str
    version: str
    path: str
    complete: bool  # the body is all there (not cut short of its Content-Length or chunked framing)

    def __repr__(self) -> str:  # bodies can be 64 KiB: show the head and the size
        return f"Sent({len(self.raw)} bytes: {self.raw[:400]!r})"


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "valid", "valid", "damaged", "damaged", "empty", "bomb", "too-long",
                                 "json-junk"]))
    if kind == "random":
        return draw(st.binary(max_size=200))
    if kind == "empty":
        return b""
    if kind == "bomb":
        return BOMB
    if kind == "too-long":
        return b"\0" * (LIMIT + 1)
    if kind == "json-junk":
        return draw(st.sampled_from([b"{", b"[]", b"null", b'{"resourceMetrics": 5}', b'{"\\udcff": 1}',
                                     b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "x"}]}]}]}',
                                     b"[" * 5000, json.dumps({"resourceMetrics": [{}] * 3}).encode()]))
    body = bytearray(draw(st.sampled_from(list(VALID.values()))))
    if kind == "damaged" and body:
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(body) - 1))
            body[i] = draw(st.integers(0, 255))
        body = body[:draw(st.integers(0, len(body)))]
    return bytes(body)


@st.composite
def requests(draw: st.DrawFn) -> Sent:
    # weighted (repeats in sampled_from) so most requests get past routing to the body and the parser
    method = draw(st.sampled_from(["POST"] * 17 + ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"]))
    path = draw(st.sampled_from(["/v1/metrics", "/v1/logs"] * 16 + ["/v1/traces"] * 4 + [
        "/v1/metrics?x=1", "/", "//v1/metrics", "/v1/logs/../metrics", "*", "/v1/metrics#frag",
        "/%00", "/v1/metrics/", "/V1/LOGS", "/" + "a" * 3000]))
    version = draw(st.sampled_from(["HTTP/1.1"] * 12 + ["HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1x"]))
    headers: list[tuple[str, str]] = [("Host", "127.0.0.1")]
    ctype = draw(st.sampled_from(["application/x-protobuf", "application/json"] * 6 + [
        "application/json; charset=utf-8", "APPLICATION/X-PROTOBUF", "text/plain", "", "application/xml", None]))
    if ctype is not None:
        headers.append(("Content-Type", ctype))
    body = draw(bodies())
    encoding = draw(st.one_of(st.none(), st.sampled_from(["gzip", "identity", "deflate", "GZIP", "gzip, br", ""])))
    if encoding is not None:
        headers.append(("Content-Encoding", encoding))
        if encoding.lower() == "gzip" and body is not BOMB and draw(st.booleans()):
            body = gzip.compress(body)
    if draw(st.booleans()):
        auth = draw(st.sampled_from([f"Bearer {TOKEN}", "Bearer wrong", "Basic Zm9vOmJhcg==", "", f"bearer {TOKEN}",
                                     f"Bearer {TOKEN} "]))
        headers.append(("Authorization", auth))
    if draw(st.integers(0, 9)) == 0:
        headers.append(("Expect", "100-continue"))
    if draw(st.integers(0, 4)) == 0:
        headers.append(("Connection", "close"))
    framing = draw(st.sampled_from(["length", "length", "length", "more", "less", "none", "bad-length", "chunked",
                                    "bad-chunked"]))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "more":  # claims more than it sends, then hangs up
        headers.append(("Content-Length", str(len(body) + draw(st.integers(1, 10_000)))))
        payload = body
    elif framing == "less":  # the rest of the body is read as the next request on the connection
        headers.append(("Content-Length", str(draw(st.integers(0, max(0, len(body) - 1))))))
        payload = body
    elif framing == "none":
        payload = body
    elif framing == "bad-length":
        headers.append(("Content-Length", draw(st.sampled_from(["abc", "-1", "-100", str(2**64), "1e3", " ",
                                                                "12, 12"]))))
        payload = body
    else:
        headers.append(("Transfer-Encoding", "chunked"))
        cut = draw(st.integers(0, len(body)))
        chunks = [c for c in (body[:cut], body[cut:]) if c]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        if framing == "bad-chunked":
            payload = draw(st.sampled_from([b"zz\r\n" + body, b"-1\r\n" + body, b"%x\r\n" % (2 * LIMIT) + body,
                                            payload[:len(payload) // 2], b"5;ext=1\r\nabcde\r\n0\r\nX-T: 1\r\n\r\n",
                                            b"ffffffffffffffffffff\r\n"]))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    complete = framing not in ("more", "bad-chunked")
    return Sent(head.encode("latin-1") + payload, method, version, path, complete)


def exchange(port: int, raw: bytes, http09: bool = False) -> list[int]:
    """Send ``raw`` on a fresh connection, half-close, and return the status of every answer (1xx dropped).

    A reset connection (the server closed with bytes of ours unread, so the kernel sent RST) can drop
    answers already sent; such an exchange returns what arrived with :data:`RESET` appended.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # EPIPE, ECONNRESET, ENOTCONN
            pass  # the server answered and closed before reading everything (a refused body): read the answer
        data = b""
        reset = False
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            reset = True
    try:
        statuses = [s for s in _statuses(data, http09) if s >= 200 or s == 9]
    except AssertionError:
        if not reset:
            raise
        statuses = []  # an answer cut off by the reset
    return statuses + [RESET] if reset else statuses


def _statuses(data: bytes, http09: bool) -> Iterator[int]:
    while data:
        if not data.startswith(b"HTTP/"):
            # the stdlib answers a request line it cannot read in HTTP/0.9 style: the error page, no headers
            # (and answers an HTTP/0.9 request the same way: 9 stands for such an answer, which has no status)
            found = re.search(rb"Error code: (\d+)", data)
            assert found or http09, f"an answer that is not HTTP: {data[:200]!r}"
            yield int(found.group(1)) if found else 9
            return
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError(f"a truncated answer: {data[:200]!r}")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        yield status
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = rest[length:]


def spooled(spool_dir: Path) -> list[tuple[str, bytes]]:
    return [(r.signal, r.body) for seg in segments(spool_dir) for r in read_records(seg)]


@pytest.fixture
def receiver(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[OtlpServer, Path]]:
    spool_dir = tmp_path / "spool"
    server = make_server(spool_dir, "127.0.0.1", 0, max_body_bytes=LIMIT, token=getattr(request, "param", None))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, spool_dir
    finally:
        server.shutdown()
        server.server_close()
        server.spool.close()


def fuzz(server: OtlpServer, spool_dir: Path, examples: int, token: str | None) -> Counter[int]:
    port = int(server.server_address[1])
    histogram: Counter[int] = Counter()
    acknowledged: list[str] = []
    sent_count: list[int] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def one(sent: Sent) -> None:
        sent_count.append(1)
        statuses = exchange(port, sent.raw, http09=sent.version == "HTTP/0.9")
        histogram.update(statuses or [0])  # 0: the receiver closed without answering (the client hung up)
        path = sent.path.split("?")[0]
        signal = "metrics" if path == "/v1/metrics" else "logs"
        traces = path == "/v1/traces"  # accepted and counted, never spooled
        if RESET in statuses or sent.version == "HTTP/0.9":
            # the answer may be lost (reset) or carry no status line (HTTP/0.9, and a 200 to protobuf has no
            # body): take what the spool gained instead, which can only be this request
            statuses = [s for s in statuses if s != RESET]
            gained = spooled(spool_dir)[len(acknowledged):]
            assert len(gained) <= 1 and all(g[0] == signal for g in gained), (sent, gained)
            if gained and 200 not in statuses:
                acknowledged.append(signal)
            elif 200 in statuses and traces:
                statuses = [s for s in statuses if s != 200]
        else:
            assert statuses or not sent.complete, sent  # every complete request is answered
        for i, status in enumerate(statuses):
            assert status < 500, (status, sent)  # zero 5xx: nothing a client sends is a server fault
            if status == 200:
                assert i == 0, sent  # leftovers of a short Content-Length never make a valid export
                if not traces:
                    acknowledged.append(signal)
        assert len(spooled(spool_dir)) == len(acknowledged), (sent, statuses)

    one()
    records = spooled(spool_dir)
    assert [signal for signal, _ in records] == acknowledged  # exactly the 200s, in order
    for signal, body in records:
        try:
            parse_request(signal, body, "protobuf")  # type: ignore[arg-type]
        except PayloadError as exc:
            raise AssertionError(f"the spool holds an invalid {signal} request: {exc}") from None
    # and the receiver still takes a valid request
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    body = VALID[("metrics", "protobuf")]
    raw = (f"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n{auth}"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    assert exchange(port, raw) == [200]
    assert spooled(spool_dir)[-1] == ("metrics", body)
    print(f"\nOTLP receiver fuzz{' (bearer token)' if token else ''}: {len(sent_count)} requests, "
          f"{len(acknowledged)} acknowledged and spooled, status histogram {dict(sorted(histogram.items()))}")
    return histogram


def test_fuzzed_requests_never_get_a_server_error(receiver: tuple[OtlpServer, Path]) -> None:
    server, spool_dir = receiver
    histogram = fuzz(server, spool_dir, 600, None)
    assert histogram[200] > 0 and histogram[400] > 0 and histogram[413] > 0  # the fuzz reached the parser


@pytest.mark.parametrize("receiver", [TOKEN], indirect=True)
def test_fuzzed_requests_to_a_token_protected_receiver_never_get_a_server_error(
        receiver: tuple[OtlpServer, Path]) -> None:
    server, spool_dir = receiver
    histogram = fuzz(server, spool_dir, 100, TOKEN)
    assert histogram[401] > 0


def test_a_negative_chunk_size_is_refused_not_read_to_the_end_of_the_connection(
        receiver: tuple[OtlpServer, Path]) -> None:
    # int("-1", 16) is -1, and rfile.read(-1) reads until the client hangs up: unbounded memory, no answer
    server, _ = receiver
    raw = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n-1\r\n" + b"\0" * (2 * LIMIT))
    assert exchange(int(server.server_address[1]), raw) == [400]


def test_a_body_sent_with_a_get_is_never_read_as_a_second_request(receiver: tuple[OtlpServer, Path]) -> None:
    # the 405 used to keep the connection open with the body unread, so a body holding a request was served
    server, spool_dir = receiver
    body = VALID[("metrics", "protobuf")]
    inner = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body)) + body
    raw = b"GET /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner
    assert exchange(int(server.server_address[1]), raw) == [405]
    assert spooled(spool_dir) == []
