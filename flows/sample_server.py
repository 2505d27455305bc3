"""A loopback HTTP server for bundled sample sites and test fixtures ({{BASE_URL}} filled in)."""
from __future__ import annotations

import email.utils
import hashlib
import http.server
import ipaddress
import os
import sys
import threading
from pathlib import Path

PLACEHOLDER = b"{{BASE_URL}}"
TEXT_TYPES = {".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
              ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
              ".opml": "text/x-opml", ".json": "application/json", ".rdf": "application/rdf+xml"}


def loopback_host(host: str) -> str:
    """Check that `host` is an IPv4 loopback address (127.0.0.0/8); returns it normalized.

    Raises ValueError for anything else, names such as "localhost" included: the server never
    listens beyond loopback, and a name could resolve elsewhere.
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"sample server host must be an IPv4 loopback address, got {host!r}") from None
    if ip.version != 4 or not ip.is_loopback:
        raise ValueError(f"sample server host must be an IPv4 loopback address (127.0.0.0/8), got {host!r}")
    return str(ip)


class SampleServer:
    """Serves `root` on a loopback address with {{BASE_URL}} replaced, ETag/Last-Modified and 304s.

    Use as a context manager; `base_url` is known once started. `host` must be an IPv4 loopback
    address (127.0.0.1 by default; any of 127.0.0.0/8 works on Linux, so several servers can
    share a port as distinct hosts); anything else raises ValueError.
    """

    def __init__(self, root: str | os.PathLike, port: int = 0, host: str = "127.0.0.1"):
        self.root = Path(root).resolve()
        self.host = loopback_host(host)
        self.port = port
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def render(self, text: str) -> str:
        return text.replace(PLACEHOLDER.decode(), self.base_url)

    def start(self) -> "SampleServer":
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test and demo output readable
                pass

            def do_GET(self):
                rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
                path = (server.root / rel).resolve()
                if path.is_dir():
                    path = path / "index.html"
                if not str(path).startswith(str(server.root)) or not path.is_file():
                    body = b"not found"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = path.read_bytes().replace(PLACEHOLDER, server.base_url.encode())
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                mtime = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", TEXT_TYPES.get(path.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", mtime)
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A client that hangs up mid-request (a test killing a run) is not an error here.
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)

        self._httpd = Server((self.host, self.port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "SampleServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
