"""A tiny DevTools-protocol client for tests: headless Chromium driven over ``--remote-debugging-pipe``.

No websocket library needed: with ``--remote-debugging-pipe`` Chromium reads JSON commands on file
descriptor 3 and writes replies and events on descriptor 4, each message ending in a NUL byte.
The page is opened offline (``Network.emulateNetworkConditions``) in a fresh profile, and every
network request, console message, log entry and uncaught exception is recorded.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from correlate.html.pdf import CHROMIUM_FLAGS

__all__ = ["PageVisit", "visit"]


@dataclass
class PageVisit:
    """What happened while a page loaded."""

    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    exceptions: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert()/confirm() a script would open
    screenshot: bytes = b""
    title: str = ""

    @property
    def errors(self) -> list[str]:
        return [t for lvl, t in self.console if lvl in ("error", "assert")] + self.exceptions


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.proc, self.wfd, self.rfd = proc, write_fd, read_fd
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer over the DevTools pipe in time")
            ready, _, _ = select.select([self.rfd], [], [], left)
            if ready:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return dict(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            ev = self._read_message(deadline)
            if ev.get("method") == method:
                self.events.append(ev)
                return ev
            self.events.append(ev)


def visit(chromium: str, url: str, *, width: int = 1200, height: int = 900, full_page: bool = True,
          media: str = "screen") -> PageVisit:
    """Open ``url`` in headless Chromium with the network off; record requests, console and a PNG screenshot."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="correlate-cdp-") as profile:
        # Chromium expects its pipe on fds 3 (read) and 4 (write): remap in the child before exec, via
        # fds >= 10 so neither dup2 clobbers the other's source. os.dup2 makes 3 and 4 inheritable; every
        # other Python fd is non-inheritable, so close_fds=False passes exactly these two (pass_fds=(3, 4)
        # would fail when the parent has no fd 3 or 4 open).
        def remap() -> None:
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.close(r)
            os.close(w)

        proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=remap, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
        visit_ = PageVisit()
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                           "uploadThroughput": -1}, session=session)
            pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                             "deviceScaleFactor": 1, "mobile": False},
                      session=session)
            pipe.send("Emulation.setEmulatedMedia", {"media": media}, session=session)
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout=60)
            visit_.title = str(pipe.send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                                         session=session)["result"].get("value", ""))
            shot: dict[str, Any] = {"format": "png"}
            if full_page:
                metrics = pipe.send("Page.getLayoutMetrics", session=session)
                size = metrics.get("cssContentSize") or metrics["contentSize"]
                shot.update(captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
            visit_.screenshot = base64.b64decode(pipe.send("Page.captureScreenshot", shot, session=session,
                                                           timeout=60)["data"])
            pipe.send("Runtime.evaluate", {"expression": "0"}, session=session)  # flush pending events
        finally:
            for ev in pipe.events:
                method, params = ev.get("method"), ev.get("params", {})
                if method == "Network.requestWillBeSent":
                    visit_.requests.append(str(params["request"]["url"]))
                elif method == "Runtime.consoleAPICalled":
                    text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                    visit_.console.append((str(params.get("type")), text))
                elif method == "Log.entryAdded":
                    entry = params.get("entry", {})
                    visit_.console.append((str(entry.get("level")), str(entry.get("text"))))
                elif method == "Page.javascriptDialogOpening":
                    visit_.dialogs.append(str(params.get("message")))
                elif method == "Runtime.exceptionThrown":
                    visit_.exceptions.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            try:
                pipe.send("Browser.close", timeout=5)
            except (RuntimeError, TimeoutError, OSError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_chrome_w)
            os.close(from_chrome_r)
    return visit_


def save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
