"""A loopback HTTP server that misbehaves on purpose: hangs, trickles, lies, resets and bombs.

Usage (tests only; binds 127.0.0.1 on a free port)::

    with FaultServer() as server:                 # default_routes(): every fault below
        server.routes["/site/feed.xml"] = static(rss_bytes, content_type="application/rss+xml")
        fetcher.fetch(server.url("/hang"))

`routes` maps a path (query string excluded) to a handler: a callable taking the
FaultHandler of the request. The factories below build the usual ones. Every slow handler
is bounded by `max_seconds` and released at stop(), so a test can never hang on the server.
"""

from __future__ import annotations

import collections
import functools
import gzip
import http.server
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "ALL_PATHS",
    "FaultHandler",
    "FaultServer",
    "RecordedRequest",
    "declared_huge",
    "default_routes",
    "endless",
    "gzip_bomb",
    "gzipped",
    "hang",
    "redirect",
    "reset_mid_body",
    "rss_feed",
    "sequence",
    "slow",
    "static",
    "status",
    "trickle",
]

Handler = Callable[["FaultHandler"], None]
ALL_PATHS = "*"   # peak_in_flight(ALL_PATHS): requests in flight to the whole server (one host)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    started_at: float  # time.monotonic()
    in_flight: int  # requests for the same path being served on arrival, itself included
    extra: dict = field(default_factory=dict)


class FaultHandler(http.server.BaseHTTPRequestHandler):
    """Dispatches to the route; gives handlers small helpers to answer."""

    protocol_version = "HTTP/1.1"
    server_version = "faultserver/1"
    fault: FaultServer  # set on the subclass created by FaultServer.start()

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        split = urlsplit(self.path)
        self.route_path, self.query = split.path, parse_qs(split.query)
        fault = self.fault
        with fault._lock:
            fault._in_flight[split.path] += 1
            fault._in_flight[ALL_PATHS] += 1
            now_serving = fault._in_flight[split.path]
            fault._peaks[split.path] = max(fault._peaks[split.path], now_serving)
            fault._peaks[ALL_PATHS] = max(fault._peaks[ALL_PATHS], fault._in_flight[ALL_PATHS])
            fault.requests.append(
                RecordedRequest(
                    "GET",
                    split.path,
                    split.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    time.monotonic(),
                    now_serving,
                )
            )
        try:
            handler = self.fault.routes.get(split.path)
            if handler is None:
                self.respond(404, b"no such route\n", content_type="text/plain")
            else:
                handler(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            # The client gave up (size cap, timeout): that is what most routes are for.
            self.close_connection = True
        finally:
            with fault._lock:
                fault._in_flight[split.path] -= 1
                fault._in_flight[ALL_PATHS] -= 1

    def respond(
        self,
        code: int,
        body: bytes = b"",
        *,
        content_type: str = "application/xml",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send a complete response with a Content-Length."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def wait(self, seconds: float) -> bool:
        """Sleep up to seconds (bounded by max_seconds); False once stopping or the client left."""
        deadline = time.monotonic() + min(seconds, self.fault.max_seconds)
        while (left := deadline - time.monotonic()) > 0:
            if self.fault.stopping.wait(min(left, 0.1)):
                return False
            if self.client_gone():
                return False
        return True

    def client_gone(self) -> bool:
        """True when the client closed its end (so a stalled handler can finish early)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server API
        pass  # keep pytest output clean; requests are recorded in FaultServer.requests


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a handler that is hanging on purpose

    def handle_error(self, request, client_address) -> None:
        pass  # client aborts are expected; handler bugs show up as test failures instead


class FaultServer:
    """Threaded loopback HTTP server with a mutable `routes` dict.

    Takes routes (default: default_routes()) and max_seconds, the longest any handler may
    stall. Attributes: base_url (after start()), routes, requests (the last 10,000
    RecordedRequest); peak_in_flight(path) gives the most concurrent requests seen.
    """

    def __init__(self, routes: dict[str, Handler] | None = None, *, max_seconds: float = 20.0) -> None:
        self.routes: dict[str, Handler] = default_routes() if routes is None else routes
        self.max_seconds = max_seconds
        self.requests: collections.deque[RecordedRequest] = collections.deque(maxlen=10_000)
        self.stopping = threading.Event()
        self.base_url = ""
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._peaks: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FaultServer:
        """Bind 127.0.0.1 on a free port and serve in a background thread; returns self."""
        handler = type("BoundFaultHandler", (FaultHandler,), {"fault": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release stalled handlers, stop serving and close the socket."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def hits(self, path: str) -> list[RecordedRequest]:
        """Requests received for one path."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def peak_in_flight(self, path: str) -> int:
        """Most requests for path (ALL_PATHS: for any path) served at the same time since the last reset_stats()."""
        with self._lock:
            return self._peaks[path]

    def reset_stats(self) -> None:
        """Forget recorded requests and concurrency peaks."""
        with self._lock:
            self.requests.clear()
            self._peaks.clear()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# -- route factories ----------------------------------------------------------------------


def static(
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/xml",
    headers: dict[str, str] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Handler:
    """Serve body; with etag/last_modified, answer matching conditional requests with 304."""

    def handler(h: FaultHandler) -> None:
        extra = dict(headers or {})
        if etag:
            extra["ETag"] = etag
        if last_modified:
            extra["Last-Modified"] = last_modified
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        if (etag and inm == etag) or (last_modified and not inm and ims == last_modified):
            h.respond(304, headers=extra, content_type=content_type)
            return
        h.respond(status, body, content_type=content_type, headers=extra)

    return handler


def status(code: int, *, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    """A bare status response (e.g. 404, 410, 500, 429 with Retry-After)."""
    return static(body, status=code, content_type="text/plain", headers=headers)


def redirect(location: str, code: int = 302) -> Handler:
    """Redirect to location (absolute or relative)."""
    return status(code, headers={"Location": location})


def sequence(handlers: Sequence[Handler]) -> Handler:
    """Answer the n-th request with handlers[n]; the last one repeats."""
    counter = iter(range(10**9))
    lock = threading.Lock()

    def handler(h: FaultHandler) -> None:
        with lock:
            n = next(counter)
        handlers[min(n, len(handlers) - 1)](h)

    return handler


def hang(seconds: float = 60.0) -> Handler:
    """Accept the request, then send nothing at all (bounded by max_seconds)."""

    def handler(h: FaultHandler) -> None:
        h.wait(seconds)
        h.close_connection = True

    return handler


def slow(seconds: float, body: bytes = b"<ok/>", content_type: str = "application/xml") -> Handler:
    """Wait, then answer normally: keeps requests in flight for concurrency tests."""

    def handler(h: FaultHandler) -> None:
        h.wait(seconds)
        h.respond(200, body, content_type=content_type)

    return handler


def trickle(interval: float = 0.2, chunk: bytes = b" ") -> Handler:
    """200 with a huge declared feed, then one small chunk per interval, for max_seconds."""

    def handler(h: FaultHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(10**6))
        h.end_headers()
        h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        deadline = time.monotonic() + h.fault.max_seconds
        while time.monotonic() < deadline and h.wait(interval):
            h.wfile.write(chunk)
            h.wfile.flush()
        h.close_connection = True

    return handler


def endless(limit: int = 256 * 2**20, chunk_size: int = 64 * 1024) -> Handler:
    """200 without Content-Length streaming filler until limit bytes or the client leaves."""

    def handler(h: FaultHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        filler = b"<!-- filler -->" * (chunk_size // 15)
        sent = 0
        while sent < limit and not h.fault.stopping.is_set():
            h.wfile.write(filler)
            sent += len(filler)

    return handler


def declared_huge(size: int = 2**30) -> Handler:
    """200 declaring a Content-Length far over any cap; sends a little, then waits."""

    def handler(h: FaultHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(b"<html>" + b" " * 1024)
        h.wait(5)
        h.close_connection = True

    return handler


@functools.lru_cache(maxsize=4)
def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 2**20
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_bomb(size: int = 128 * 2**20) -> Handler:
    """A small gzip body (~size/1000 bytes) that inflates to size bytes of zeros.

    The body is built here, not per request (128 MiB takes ~0.5 s), and cached.
    """
    body = _gzip_of_zeros(size)

    def handler(h: FaultHandler) -> None:
        h.respond(
            200,
            body,
            content_type="application/rss+xml",
            headers={"Content-Encoding": "gzip"},
        )

    return handler


def gzipped(body: bytes, content_type: str = "application/rss+xml") -> Handler:
    """A well-behaved gzip-encoded response."""

    def handler(h: FaultHandler) -> None:
        h.respond(200, gzip.compress(body), content_type=content_type, headers={"Content-Encoding": "gzip"})

    return handler


def reset_mid_body(declared: int = 100_000, sent: int = 2_000) -> Handler:
    """Declare declared bytes, send sent of them, then reset the TCP connection (RST)."""

    def handler(h: FaultHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(declared))
        h.end_headers()
        h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>' + b"x" * sent)
        h.wfile.flush()
        time.sleep(0.05)  # let the client read the headers before the reset
        # SO_LINGER with a zero timeout turns close() into a RST instead of a FIN.
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return handler


# -- sample documents (fictional) ---------------------------------------------------------


def rss_feed(n_entries: int, *, title: str = "Harbor Gazette", path_prefix: str = "/article/") -> bytes:
    """A valid RSS 2.0 feed with n_entries items linking (relatively) to path_prefix + i."""
    items = "".join(
        f"<item><title>Council report {i}</title><link>{path_prefix}{i}</link>"
        f"<guid isPermaLink=\"false\">harbor-{i}</guid>"
        f"<pubDate>Tue, 07 Jan 2025 {i % 24:02d}:15:00 GMT</pubDate>"
        f"<description>The harbor council met for session {i} and approved new ferry times.</description></item>"
        for i in range(n_entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>/</link><language>en</language>{items}</channel></rss>"
    ).encode()


MALFORMED_XML = (
    b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Broken Ledger</ti'
    b"<<<>>> &&& </channel"
)

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY ha "ha">\n'
    + b"".join(
        b'<!ENTITY ha%d "%s">\n' % (i, (b"&ha%d;" % (i - 1) if i > 1 else b"&ha;") * 10) for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&ha9;</title>'
    b"<item><title>&ha9;</title><link>/article/laugh</link></item></channel></rss>"
)

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Harbor Gazette</title>"
    b'<link rel="alternate" type="application/rss+xml" href="/ok.xml"></head>'
    b"<body><h1>Harbor Gazette</h1><p>Ferry schedules change next week.</p></body></html>"
)

# Declares UTF-8 but the bytes are Windows-1252 (0xE9 = e-acute, 0x93/0x94 = curly quotes).
WRONG_CHARSET = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Caf\xe9 Chronicle</title>'
    b"<item><title>The \x93new\x94 caf\xe9 opens</title><link>/article/cafe</link>"
    b"<description>Owners said the caf\xe9 will open daily.</description></item></channel></rss>"
)

ARTICLE_HTML = (
    b"<!DOCTYPE html><html><head><title>Ferry times change</title></head><body><article>"
    b"<h1>Ferry times change</h1><p>The harbor council approved new ferry times on Tuesday, "
    b"officials said.</p></article></body></html>"
)


def default_routes() -> dict[str, Handler]:
    """Every fault the fetch tests exercise, plus healthy feeds and articles."""
    return {
        "/ok.xml": static(rss_feed(3), content_type="application/rss+xml"),
        "/gzipped.xml": gzipped(rss_feed(3)),
        "/conditional.xml": static(
            rss_feed(2),
            content_type="application/rss+xml",
            etag='"v1"',
            last_modified="Tue, 07 Jan 2025 10:00:00 GMT",
        ),
        "/hang": hang(),
        "/500": status(500),
        "/404": status(404),
        "/410": status(410),
        "/429": status(429, headers={"Retry-After": "1"}),
        "/429-long": status(429, headers={"Retry-After": "3600"}),
        "/503-then-ok": sequence(
            [status(503, headers={"Retry-After": "1"}), static(rss_feed(1), content_type="application/rss+xml")]
        ),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/redirect/ok": redirect("/ok.xml", 301),
        "/redirect/chain/1": redirect("/redirect/chain/2"),
        "/redirect/chain/2": redirect("/redirect/chain/3"),
        "/redirect/chain/3": redirect("/ok.xml"),
        "/huge": endless(),
        "/huge-declared": declared_huge(),
        "/gzip-bomb": gzip_bomb(),
        "/malformed.xml": static(MALFORMED_XML, content_type="application/rss+xml"),
        "/billion-laughs.xml": static(BILLION_LAUGHS, content_type="application/rss+xml"),
        "/html-as-feed.xml": static(HTML_PAGE, content_type="application/rss+xml"),
        "/wrong-charset.xml": static(WRONG_CHARSET, content_type="application/rss+xml; charset=utf-8"),
        "/reset": reset_mid_body(),
        "/empty": static(b"", content_type="application/rss+xml"),
        "/10k.xml": static(rss_feed(10_000), content_type="application/rss+xml"),
        "/trickle": trickle(),
        "/slow": slow(0.3),
        "/article/ok": static(ARTICLE_HTML, content_type="text/html; charset=utf-8"),
        "/article/hang": hang(),
        "/article/404": status(404),
        "/article/huge": endless(),
    }
