"""Headless Chromium driven over the DevTools protocol: load a page, record console errors and requests, screenshot."""
from __future__ import annotations

import base64
import itertools
import json
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

# A browser that cannot reach anything: no proxy-less connection, no DNS, no background traffic.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--remote-debugging-port=0", "--remote-allow-origins=*"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@dataclass
class PageLoad:
    """What happened while a page loaded: its console errors, exceptions and every request it made."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class Chromium:
    """One headless Chromium process and a DevTools session on one tab (a context manager)."""

    def __init__(self, profile_dir: Path, exe: str | None = None):
        self.exe = exe or find_chromium()
        if not self.exe:
            raise FileNotFoundError("no chromium on PATH")
        self.profile_dir = profile_dir
        self._ids = itertools.count(1)
        self._events: list[dict] = []

    def __enter__(self) -> Chromium:
        self.proc = subprocess.Popen([self.exe, *FLAGS, f"--user-data-dir={self.profile_dir}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.proc.stderr], daemon=True).start()
        deadline = time.monotonic() + 30
        ws_url = None
        while ws_url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                raise TimeoutError("chromium did not announce its DevTools endpoint within 30 s") from None
            if line.startswith("DevTools listening on "):
                ws_url = line.split(" on ", 1)[1].strip()
        self.ws = connect(ws_url, max_size=None, open_timeout=10)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def call(self, method: str, params: dict | None = None, *, session: bool = False, timeout: float = 30) -> dict:
        """Send one DevTools command and return its result (events received meanwhile are kept)."""
        msg_id = next(self._ids)
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self._events.append(reply)

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        session=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression[:60]}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def load(self, url: str, width: int, height: int, *, mobile: bool = False, ready: str = "true",
             timeout: float = 60) -> PageLoad:
        """Open `url` in a `width` x `height` viewport and wait until the JavaScript `ready` is truthy."""
        self._events.clear()
        self.resize(width, height, mobile=mobile)
        self.call("Page.navigate", {"url": url}, session=True)
        if not self.wait_for(f"document.readyState === 'complete' && !!({ready})", timeout):
            raise TimeoutError(f"{url} was not ready within {timeout} s")
        out = PageLoad()
        for ev in self._events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Network.requestWillBeSent":
                out.requests.append(p["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                out.console_errors.append(p["exceptionDetails"].get("exception", {}).get("description")
                                          or p["exceptionDetails"].get("text"))
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.console_errors.append(f"{p['entry']['source']}: {p['entry']['text']}")
        return out

    def wait_for(self, expression: str, timeout: float = 10):
        """The value of the JavaScript `expression` once it is truthy (or its last value after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    def resize(self, width: int, height: int, *, mobile: bool = False) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, session=True)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """Write a PNG of the viewport (or of the whole page) to `path`."""
        params: dict = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params, session=True)["data"]))
        return path
