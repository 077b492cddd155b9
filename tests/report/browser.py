"""Headless Chromium over the DevTools protocol (--remote-debugging-pipe: JSON
messages separated by NUL bytes on file descriptors 3 and 4), standard library
only.  `inspect(url)` loads a page and returns what a test needs to decide
whether it rendered: console errors, uncaught exceptions, failed loads, the
state of every image, the page size, and a PNG screenshot."""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PROBE = """(() => {
  const imgs = [...document.images].map(i => ({src: i.src.slice(0, 60), alt: i.alt, complete: i.complete,
      width: i.naturalWidth, height: i.naturalHeight, shownWidth: i.getBoundingClientRect().width}));
  return JSON.stringify({title: document.title, readyState: document.readyState,
      bodyHeight: document.body ? document.body.scrollHeight : 0,
      bodyWidth: document.body ? document.body.scrollWidth : 0,
      tables: document.querySelectorAll('table').length, images: imgs,
      text: document.body ? document.body.innerText.length : 0});
})()"""


def find_chromium() -> str | None:
    env = os.environ.get("FB_CHROMIUM")
    if env:
        return env if shutil.which(env) or os.path.exists(env) else None
    for n in CHROMIUM_NAMES:
        p = shutil.which(n)
        if p:
            return p
    return None


class BrowserError(Exception):
    pass


class Chromium:
    def __init__(self, exe: str, width: int = 1400, height: int = 1000, timeout: float = 60):
        self.timeout = timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="fb-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds():
            # Via fresh descriptors first, so neither dup2 overwrites the other's source.
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", f"--user-data-dir={self.tmp.name}", "--remote-debugging-pipe",
                f"--window-size={width},{height}", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events = []

    # ------------------------------------------------------------ protocol

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium closed the pipe (exit {self.proc.poll()})")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        mid = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise BrowserError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, session: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            try:
                m = self._read_message(deadline)
            except BrowserError:
                return None
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)
        return None

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._read_message(deadline))
            except BrowserError:
                return

    def close(self) -> None:
        try:
            self._send("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self.tmp.cleanup()

    # ------------------------------------------------------------ one page

    def inspect(self, url: str, settle: float = 1.0, script: str | None = None) -> dict:
        """script: a JavaScript expression run after the load (it may click and
        type); its value, JSON-decoded when a string, comes back as "script"."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", {}, session)
        self.events = [e for e in self.events if e.get("sessionId") != session]
        nav = self.call("Page.navigate", {"url": url}, session)
        problems = []
        if nav.get("errorText"):
            problems.append(f"navigation failed: {nav['errorText']}")
        loaded = self.wait_event("Page.loadEventFired", session, self.timeout)
        if loaded is None:
            problems.append("the load event never fired")
        self.drain(settle)
        scripted = None
        if script:
            val = self.call("Runtime.evaluate", {"expression": script, "returnByValue": True,
                                                 "awaitPromise": True}, session)
            if val.get("exceptionDetails"):
                problems.append(f"the test script failed: {val['exceptionDetails']}")
            scripted = (val.get("result") or {}).get("value")
            if isinstance(scripted, str):
                try:
                    scripted = json.loads(scripted)
                except ValueError:
                    pass
            self.drain(0.3)
        probe = json.loads(self.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                                     session)["result"]["value"])
        metrics = self.call("Page.getLayoutMetrics", {}, session)
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session)
        console, exceptions, failed, logs, requests = [], [], [], [], []
        for e in self.events:
            if e.get("sessionId") != session:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                exceptions.append(d.get("text", "") + " " + str((d.get("exception") or {}).get("description", "")))
            elif m == "Network.loadingFailed":
                failed.append(p.get("errorText", "") + " " + str(p.get("requestId")))
            elif m == "Network.requestWillBeSent":
                requests.append(p.get("request", {}).get("url", ""))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                logs.append(p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
        self.call("Target.closeTarget", {"targetId": target})
        return {"problems": problems, "console_errors": console, "exceptions": exceptions,
                "failed_loads": failed, "log_errors": logs, "page": probe, "content_size": size,
                "requests": requests, "script": scripted, "url": url.split("#", 1)[0],
                "screenshot": base64.b64decode(shot["data"])}


# ------------------------------------------------------------ PNG check

def png_colors(png: bytes, limit: int = 64) -> int:
    """Distinct colours in a PNG (8-bit RGB or RGBA, any filter), up to `limit`:
    a page that failed to render is one flat colour."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    height = depth = ctype = 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", data[:10])
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colors = set()
    i = 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        for x in range(0, stride, bpp * 7):   # a sparse sample of each row is enough
            colors.add(bytes(line[x:x + 3]))
        if len(colors) >= limit:
            return len(colors)
        prev = line
    return len(colors)
