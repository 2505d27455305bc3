"""A loopback S3 server (moto) that counts the requests it answers, by kind, for tests and benchmarks."""
from __future__ import annotations

import collections
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:   # one line per request would drown a benchmark's output
        pass

# What each request is, as S3 bills it: the method, with the ones that are not plain object
# reads and writes told apart (a PUT with a copy source is a server-side copy, a GET on a
# bucket is a listing, a POST with `uploads` starts a multipart upload).
def request_kind(environ: dict) -> str:
    method = environ["REQUEST_METHOD"]
    query = environ.get("QUERY_STRING", "")
    path = environ.get("PATH_INFO", "/").strip("/")
    if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
        return "COPY"
    if method == "PUT" and "partNumber=" in query:
        return "PUT part"
    if method == "POST" and ("uploads" in query or "uploadId=" in query):
        return "POST multipart"
    if method == "GET" and ("/" not in path or "list-type=" in query):
        return "LIST"
    return method


class CountingS3Server:
    """moto's S3 on 127.0.0.1 (a free port), counting requests by request_kind().

    Use as a context manager; `endpoint` is its URL, `counts` a Counter of request kinds,
    `keys_written` the object keys PUT in order.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.keys_written: list[str] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)

        def counting(environ, start_response):
            kind = request_kind(environ)
            with self._lock:
                self.counts[kind] += 1
                if kind == "PUT":
                    self.keys_written.append(environ.get("PATH_INFO", ""))
            return app(environ, start_response)

        self._server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=_QuietHandler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="s3-server", daemon=True)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.keys_written.clear()

    def __enter__(self) -> "CountingS3Server":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
