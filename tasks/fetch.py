"""Polite, bounded HTTP fetching of feeds and pages: every failure is classified, never raised."""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import replace as _replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from urllib.parse import urljoin

import certifi
import httpcore
import httpx
import protego

__all__ = [
    "ERROR_CLASSES",
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "address_refusal",
    "next_fetch_at",
    "parse_retry_after",
]

ERROR_CLASSES = (
    "dns",  # name did not resolve (or the resolver timed out)
    "connect",  # TCP connection refused/unreachable
    "timeout",  # connect/read timeout or the overall deadline
    "tls",  # handshake or certificate failure
    "network",  # connection reset or broken after it was established
    "protocol",  # malformed or truncated HTTP response, 3xx without Location
    "decode_error",  # broken or unsupported Content-Encoding
    "http_4xx",
    "http_5xx",
    "too_large",  # body (decompressed) over the policy's cap
    "redirect_loop",  # a URL seen twice in the chain, or too many hops
    "not_a_feed",  # set by tasks.feeds.parse_feed
    "parse_error",  # set by tasks.feeds.parse_feed
    "blocked_private",  # resolved to a refused address (private, loopback, link-local...)
    "robots",  # robots.txt disallows the page
    "bad_scheme",  # not http/https
    "bad_url",  # unparseable URL, no host
)

KINDS = ("feed", "page")
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5",
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
}
# NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits; a gateway would forward to it.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and manners of one run's HTTP client.

    total_timeout bounds the time one fetch() spends on the network, redirects included;
    waiting for a per-host slot, the per-host interval and an honoured Retry-After are not
    counted. With the default transport every socket operation is clamped to it; a custom
    transport is checked between body chunks only.
    """

    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_feed_bytes: int = 10 * 2**20
    max_page_bytes: int = 5 * 2**20
    max_redirects: int = 5
    allow_private: bool = False
    per_host_concurrency: int = 2
    per_host_interval: float = 0.0  # min seconds between request starts to one host
    obey_robots: bool = True
    max_retry_after: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_feed_bytes", "max_page_bytes", "per_host_concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("max_redirects", "per_host_interval", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one fetch() call (the whole redirect chain).

    error_class is None on success (2xx or 304). not_modified is True on a 304 or when the
    body's sha256 equals the previous_sha256 passed in; the body is still returned in the
    latter case. headers are the final response's, lower-cased.
    """

    url: str
    final_url: str
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    elapsed_ms: int
    error_class: str | None
    error: str | None
    not_modified: bool
    etag: str | None
    last_modified: str | None
    body_sha256: str | None

    @property
    def ok(self) -> bool:
        """True when the fetch succeeded (a body or a 304)."""
        return self.error_class is None


class _Refused(Exception):
    """A request stopped by us, not the network: carries its error class."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


class AddressRefused(_Refused):
    """Raised (inside the transport too) when a host resolves to a refused address."""

    def __init__(self, message: str) -> None:
        super().__init__("blocked_private", message)


def address_refusal(address: str, *, allow_private: bool) -> str | None:
    """Say why an IP address must not be connected to, or None when it may be.

    Takes an IPv4/IPv6 address string (a scope id is allowed) and whether private/loopback
    targets are permitted. Link-local (169.254.0.0/16, fe80::/10, where cloud metadata
    services live) and IPv4-mapped IPv6 forms are refused always; loopback, private,
    unspecified, multicast, reserved and other non-global addresses unless allow_private.
    Returns a short reason. Raises ValueError for a string that is not an IP address.
    """
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return f"{address} is an IPv4-mapped IPv6 address"
        embedded = ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(str(embedded), allow_private=allow_private)
            if reason:
                return f"{address} embeds {embedded}: {reason}"
    if ip.is_link_local:
        return f"{address} is link-local"
    if allow_private:
        return None
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return f"{address} is {label}"
    if not ip.is_global:
        return f"{address} is not globally routable"
    return None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


class _AddressGuard:
    """Resolves hosts with the injected resolver and vets every address before use.

    The addresses vetted last for (host, port) are kept so the transport connects to exactly
    what was checked, with no second lookup (DNS rebinding between check and connect).
    """

    def __init__(self, resolver: Resolver, allow_private: bool, timeout: float) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._timeout = timeout
        self._vetted: dict[tuple[str, int], list[str]] = {}
        self._lock = threading.Lock()
        # getaddrinfo has no timeout of its own; a small pool lets us stop waiting for it.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="newsflow-dns")

    def check(self, host: str, port: int) -> list[str]:
        """Resolve and vet host; return its addresses. Raises _Refused (dns/blocked_private)."""
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            addresses = self._resolve(host, port)
        for address in addresses:
            try:
                reason = address_refusal(address, allow_private=self._allow_private)
            except ValueError:
                raise _Refused("dns", f"resolver returned {address!r} for {host!r}, not an IP address") from None
            if reason:
                # One refused answer refuses the host: mixed answers are a rebinding trick.
                raise AddressRefused(f"refused {host!r}: {reason}")
        with self._lock:
            self._vetted[(host, port)] = addresses
        return addresses

    def vetted(self, host: str, port: int) -> list[str]:
        """Addresses to connect to: the ones checked last, else a fresh check."""
        with self._lock:
            addresses = self._vetted.get((host, port))
        return addresses if addresses is not None else self.check(host, port)

    def _resolve(self, host: str, port: int) -> list[str]:
        future = self._pool.submit(self._resolver, host, port)
        try:
            found = future.result(timeout=self._timeout)
        except concurrent.futures.TimeoutError:
            raise _Refused("dns", f"resolving {host!r} took over {self._timeout}s") from None
        except (OSError, UnicodeError, ValueError) as exc:
            raise _Refused("dns", f"cannot resolve {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(found))
        if not addresses:
            raise _Refused("dns", f"no address for {host!r}")
        return addresses

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# The deadline of the request the current thread is making. httpcore's sync pool does all
# socket I/O in the caller's thread, so the stream below can clamp every read, write and
# handshake to it: a server trickling header or body bytes cannot outlive the deadline.
_REQUEST_DEADLINE = threading.local()


def _clamp(timeout: float | None) -> float | None:
    deadline = getattr(_REQUEST_DEADLINE, "value", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("total deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore backend that only ever connects to addresses the guard vetted."""

    def __init__(self, guard: _AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last_error: Exception | None = None
        for address in self._guard.vetted(host, port):
            try:
                stream = self._inner.connect_tcp(address, port, _clamp(timeout), local_address, socket_options)
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # vetted() never returns an empty list
        raise last_error

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError(f"unix sockets are not allowed: {path!r}")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise _as_httpx(exc) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise _as_httpx(exc) from exc


def _as_httpx(exc: Exception) -> httpx.HTTPError:
    for core_type, httpx_type in _HTTPCORE_TO_HTTPX:
        if isinstance(exc, core_type):
            return httpx_type(str(exc))
    return httpx.TransportError(str(exc))


class _GuardedStream(httpx.SyncByteStream):
    def __init__(self, stream) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        with _httpx_errors():
            self._stream.close()


class _GuardedTransport(httpx.BaseTransport):
    """HTTP/1.1 transport over httpcore whose every TCP connection goes through the guard."""

    def __init__(self, guard: _AddressGuard) -> None:
        context = ssl.create_default_context(cafile=certifi.where())
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=64,
            max_keepalive_connections=16,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=_GuardedBackend(guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_GuardedStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _NoCookies(CookieJar):
    """One client serves every host of a run: keep no cookies between them."""

    def set_cookie(self, cookie) -> None:  # noqa: D102 - CookieJar API
        pass

    def extract_cookies(self, response, request) -> None:  # noqa: D102 - CookieJar API
        pass


class _HostLimiter:
    """Per-host concurrency cap and minimum interval between request starts."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self._concurrency = concurrency
        self._interval = interval
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._intervals: dict[str, float] = {}

    def set_interval(self, host: str, seconds: float) -> None:
        """Raise one host's interval (robots.txt Crawl-delay); never lowers the policy's."""
        with self._lock:
            self._intervals[host] = max(self._interval, seconds)

    @contextlib.contextmanager
    def slot(self, host: str) -> Iterator[float]:
        """Hold one of host's slots; yields the seconds spent waiting for it."""
        started = time.monotonic()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self._concurrency))
        semaphore.acquire()
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                # Reserve the start time under the lock so concurrent callers are staggered.
                self._next_start[host] = start + self._intervals.get(host, self._interval)
            if start > now:
                time.sleep(start - now)
            yield time.monotonic() - started
        finally:
            semaphore.release()


class _Inflater:
    """Incremental gzip/deflate decoder whose output never exceeds a limit (gzip bombs)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._wbits = 31 if encoding in ("gzip", "x-gzip") else 15
        self._decoder = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode data; return at most limit + 1 bytes (one over means: too large)."""
        out = bytearray()
        while data and len(out) <= limit:
            try:
                out += self._decoder.decompress(data, limit + 1 - len(out))
            except zlib.error:
                if self._encoding == "deflate" and not self._started:
                    # Some servers send raw deflate without the zlib header.
                    self._wbits = -15
                    self._decoder = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise
            self._started = True
            if self._decoder.eof and self._decoder.unused_data:
                data = self._decoder.unused_data  # concatenated gzip members
                self._decoder = zlib.decompressobj(self._wbits)
            else:
                data = self._decoder.unconsumed_tail
        return bytes(out)

    def finish(self) -> None:
        """Raise zlib.error when the stream stopped before its end."""
        if self._started and not self._decoder.eof:
            raise zlib.error(f"truncated {self._encoding} stream")


def _decoders(content_encoding: str | None) -> list[_Inflater]:
    """Decoders for a Content-Encoding header, in the order to apply them."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    decoders = []
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise _Refused("decode_error", f"unsupported Content-Encoding {coding!r} (we only accept gzip, deflate)")
        decoders.append(_Inflater(coding))
    return decoders


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date).

    Takes the header value and the current UTC time. Returns None when the value is
    missing or unparseable; a date in the past gives 0.0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def next_fetch_at(consecutive_failures: int, now: datetime, *, base: timedelta, cap: timedelta) -> datetime:
    """When to fetch a feed next: now + base * 2**failures, capped at now + cap.

    A failing feed is slowed, never dropped: the result is always at most now + cap.
    Takes the count of consecutive failures (0 after a success), the current time (aware),
    the normal interval and the cap. Raises ValueError for a negative count, a naive now,
    a non-positive base or a cap below base.
    """
    if consecutive_failures < 0:
        raise ValueError(f"consecutive_failures must be >= 0, got {consecutive_failures!r}")
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    if base <= timedelta(0):
        raise ValueError(f"base must be positive, got {base!r}")
    if cap < base:
        raise ValueError(f"cap {cap!r} is below base {base!r}")
    # Compare the factor with cap/base before multiplying: base * 2**n overflows timedelta
    # for a feed that has failed a few hundred times.
    factor = 2 ** min(consecutive_failures, 128)
    if factor >= cap / base:
        return now + cap
    return now + base * factor


@dataclass
class _Hop:
    """One HTTP request's outcome inside a fetch() chain."""

    url: str
    status: int | None = None
    headers: dict[str, str] | None = None
    body: bytes | None = None
    error_class: str | None = None
    error: str | None = None
    wire_bytes: int = 0
    ms: int = 0


def _error_class_of(exc: BaseException) -> str:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(e, _Refused) for e in chain):
        return next(e for e in chain if isinstance(e, _Refused)).error_class
    if any(isinstance(e, (ssl.SSLError, ssl.CertificateError)) for e in chain):
        return "tls"
    if isinstance(exc, httpx.TimeoutException) or any(isinstance(e, (socket.timeout, TimeoutError)) for e in chain):
        return "timeout"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "dns"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.ProtocolError):
        return "protocol"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "bad_scheme"
    if isinstance(exc, httpx.InvalidURL):
        return "bad_url"
    return "network"


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    return f"{type(exc).__name__}: {text}"


class Fetcher:
    """Thread-safe HTTP client for one run, shared by feed and page fetches.

    Every URL of a redirect chain is checked (scheme, resolved address, robots.txt for
    pages) before any connection is made; requests to one host share a concurrency cap and
    a minimum interval; bodies are streamed under a size cap and an overall deadline.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Takes the policy, a resolver (host, port) -> IP strings (default: the system's)
        and an httpx transport (default: one that connects only to vetted addresses)."""
        self.policy = policy
        self._guard = _AddressGuard(resolver or _system_resolver, policy.allow_private, policy.connect_timeout)
        self._client = httpx.Client(
            transport=transport or _GuardedTransport(self._guard),
            follow_redirects=False,
            trust_env=False,  # no proxies or .netrc credentials from the environment
            cookies=_NoCookies(),
        )
        self._limiter = _HostLimiter(policy.per_host_concurrency, policy.per_host_interval)
        self._log: list[dict] = []
        self._lock = threading.Lock()
        self._robots: dict[tuple[str, str, int], protego.Protego | bool] = {}
        self._robots_locks: dict[tuple[str, str, int], threading.Lock] = {}

    # -- public API ---------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        kind: str = "page",
        etag: str | None = None,
        last_modified: str | None = None,
        previous_sha256: str | None = None,
    ) -> FetchResult:
        """Fetch url following up to policy.max_redirects redirects.

        Takes the URL, kind ("feed" or "page": picks the size cap; robots.txt is obeyed for
        pages only), the validators stored from the previous fetch (only one is sent: the
        ETag, else Last-Modified) and the previous body's sha256. Returns a FetchResult;
        network and HTTP failures are classified in it, never raised. Raises ValueError for
        an unknown kind.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        elif last_modified:
            conditional["If-Modified-Since"] = last_modified
        max_bytes = self.policy.max_feed_bytes if kind == "feed" else self.policy.max_page_bytes
        result = self._run(url, kind, max_bytes, conditional, self.policy.obey_robots and kind == "page")
        if result.error_class is None and result.status == 304:
            return _replace(
                result,
                not_modified=True,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        if result.error_class is None and previous_sha256 and result.body_sha256 == previous_sha256:
            return _replace(result, not_modified=True)
        return result

    def fetch_log(self) -> list[dict]:
        """One row per HTTP request attempted so far, refused ones included (status None).

        Rows: url, kind ("feed", "page" or "robots"), status, bytes (body bytes received on
        the wire), ms, error_class, error.
        """
        with self._lock:
            return [dict(row) for row in self._log]

    def close(self) -> None:
        """Close pooled connections and the resolver threads."""
        self._client.close()
        self._guard.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the redirect chain -------------------------------------------------------------

    def _run(self, url: str, kind: str, max_bytes: int, conditional: dict[str, str], check_robots: bool) -> FetchResult:
        started = time.monotonic()
        deadline = started + self.policy.total_timeout
        current, chain = url, [url]
        retry_wait: float | None = None  # set once we honoured a Retry-After
        while True:
            hop, waited = self._hop(current, kind, max_bytes, conditional, check_robots, deadline)
            deadline += waited
            if hop.error_class is None and hop.status in _REDIRECT_STATUSES:
                location = (hop.headers or {}).get("location")
                if not location:
                    hop.error_class, hop.error = "protocol", f"HTTP {hop.status} without a Location header"
                else:
                    target = urljoin(current, location.strip())
                    if target in chain:
                        hop.error_class = "redirect_loop"
                        hop.error = "redirect loop: " + " -> ".join([*chain[chain.index(target) :], target])
                    elif len(chain) > self.policy.max_redirects:
                        hop.error_class = "redirect_loop"
                        hop.error = f"more than {self.policy.max_redirects} redirects, last to {target}"
                    else:
                        self._record(kind, hop)
                        current = target
                        chain.append(target)
                        continue
            elif hop.error_class in ("http_4xx", "http_5xx") and hop.status in (429, 503) and retry_wait is None:
                wait = parse_retry_after((hop.headers or {}).get("retry-after"), datetime.now(timezone.utc))
                if wait is not None and wait <= self.policy.max_retry_after:
                    self._record(kind, hop)
                    retry_wait = wait
                    time.sleep(wait)
                    deadline += wait
                    continue
                if wait is not None:
                    hop.error += f" (Retry-After {wait:.0f}s exceeds the {self.policy.max_retry_after:.0f}s we wait)"
            if retry_wait is not None and hop.error:
                hop.error += f" (after one retry {retry_wait:.0f}s later, as Retry-After asked)"
            # Recorded after the chain-level verdict so the row carries it (redirect_loop...).
            self._record(kind, hop)
            return self._result(url, hop, started)

    def _result(self, url: str, hop: _Hop, started: float) -> FetchResult:
        headers = hop.headers or {}
        ok = hop.error_class is None
        return FetchResult(
            url=url,
            final_url=hop.url,
            status=hop.status,
            headers=headers,
            body=hop.body if ok else None,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            error_class=hop.error_class,
            error=hop.error,
            not_modified=False,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            body_sha256=hashlib.sha256(hop.body).hexdigest() if ok and hop.body is not None else None,
        )

    def _hop(
        self,
        url: str,
        kind: str,
        max_bytes: int,
        conditional: dict[str, str],
        check_robots: bool,
        deadline: float,
    ) -> tuple[_Hop, float]:
        """One request; returns its outcome and the seconds spent waiting for a host slot."""
        hop = _Hop(url)
        started = time.monotonic()
        waited = 0.0
        try:
            parsed = httpx.URL(url)
            scheme = parsed.scheme
            if not scheme:
                raise _Refused("bad_url", f"not an absolute URL: {url!r}")
            if scheme not in _DEFAULT_PORTS:
                raise _Refused("bad_scheme", f"refused scheme {scheme!r} in {url!r}: only http and https")
            if not parsed.host:
                raise _Refused("bad_url", f"no host in {url!r}")
            host = parsed.raw_host.decode("ascii")
            port = parsed.port or _DEFAULT_PORTS[scheme]
            self._guard.check(host, port)
            if check_robots and not self._robots_allow(scheme, host, port, url):
                raise _Refused("robots", f"robots.txt of {host} disallows {url}")
            with self._limiter.slot(host) as waited:
                started = time.monotonic()
                remaining = deadline + waited - started
                if remaining <= 0:
                    raise _Refused("timeout", f"total deadline of {self.policy.total_timeout}s exceeded")
                timeout = httpx.Timeout(
                    connect=min(self.policy.connect_timeout, remaining),
                    read=min(self.policy.read_timeout, remaining),
                    write=min(self.policy.read_timeout, remaining),
                    pool=remaining,
                )
                headers = {
                    "User-Agent": self.policy.user_agent,
                    "Accept": _ACCEPT[kind],
                    "Accept-Encoding": "gzip, deflate",
                    **conditional,
                }
                request = self._client.build_request("GET", parsed, headers=headers, timeout=timeout)
                _REQUEST_DEADLINE.value = deadline + waited
                response = self._client.send(request, stream=True)
                try:
                    hop.status = response.status_code
                    hop.headers = {k.lower(): v for k, v in response.headers.items()}
                    if 200 <= hop.status < 300:
                        hop.body = self._read_body(response, hop, max_bytes, deadline + waited)
                    elif hop.status >= 500:
                        hop.error_class, hop.error = "http_5xx", f"HTTP {hop.status} from {url}"
                    elif hop.status >= 400:
                        hop.error_class, hop.error = "http_4xx", f"HTTP {hop.status} from {url}"
                    elif hop.status < 200 or (hop.status != 304 and hop.status not in _REDIRECT_STATUSES):
                        hop.error_class, hop.error = "protocol", f"unexpected HTTP {hop.status} from {url}"
                finally:
                    response.close()
        except _Refused as exc:
            hop.error_class, hop.error = exc.error_class, str(exc)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            hop.error_class, hop.error = _error_class_of(exc), _describe(exc)
            if hop.error_class == "timeout" and time.monotonic() >= deadline + waited:
                hop.error = f"total deadline of {self.policy.total_timeout}s exceeded for {url}"
        finally:
            _REQUEST_DEADLINE.value = None
        hop.ms = round((time.monotonic() - started) * 1000)
        return hop, waited

    def _read_body(self, response: httpx.Response, hop: _Hop, max_bytes: int, deadline: float) -> bytes:
        """Stream the body, decoded, under the size cap and deadline; counts hop.wire_bytes."""
        url = hop.url
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise _Refused("too_large", f"Content-Length {declared} exceeds the {max_bytes}-byte cap for {url}")
        decoders = _decoders(response.headers.get("content-encoding"))
        body = bytearray()
        try:
            # A response built with content= (httpx.MockTransport in tests) is already read;
            # its stream still yields the raw bytes.
            chunks = response.stream if response.is_stream_consumed else response.iter_raw()
            for chunk in chunks:
                hop.wire_bytes += len(chunk)
                for decoder in decoders:
                    chunk = decoder.feed(chunk, max_bytes - len(body))
                body += chunk
                if len(body) > max_bytes or hop.wire_bytes > max_bytes:
                    raise _Refused("too_large", f"body of {url} exceeds the {max_bytes}-byte cap")
                if time.monotonic() > deadline:
                    raise _Refused(
                        "timeout",
                        f"total deadline of {self.policy.total_timeout}s exceeded after {hop.wire_bytes} bytes of {url}",
                    )
            for decoder in decoders:
                decoder.finish()
        except zlib.error as exc:
            raise _Refused("decode_error", f"cannot decode {url}: {exc}") from exc
        return bytes(body)

    def _record(self, kind: str, hop: _Hop) -> None:
        row = {
            "url": hop.url,
            "kind": kind,
            "status": hop.status,
            "bytes": hop.wire_bytes,
            "ms": hop.ms,
            "error_class": hop.error_class,
            "error": hop.error,
        }
        with self._lock:
            self._log.append(row)

    # -- robots.txt ---------------------------------------------------------------------

    def _robots_allow(self, scheme: str, host: str, port: int, url: str) -> bool:
        key = (scheme, host, port)
        with self._lock:
            origin_lock = self._robots_locks.setdefault(key, threading.Lock())
        with origin_lock:  # one robots.txt fetch per origin, however many threads ask
            with self._lock:
                rules = self._robots.get(key)
            if rules is None:
                rules = self._load_robots(scheme, host, port)
                with self._lock:
                    self._robots[key] = rules
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self.policy.user_agent)

    def _load_robots(self, scheme: str, host: str, port: int) -> protego.Protego | bool:
        """Rules for an origin: True (allow all), False (disallow all) or parsed rules.

        Per RFC 9309: 4xx means no rules; 5xx and 429 mean the site is unreachable, so
        disallow. A network failure allows (the page fetch will meet the same failure).
        """
        netloc = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
        if ":" in host:
            netloc = f"[{host}]" if port == _DEFAULT_PORTS[scheme] else f"[{host}]:{port}"
        result = self._run(f"{scheme}://{netloc}/robots.txt", "robots", ROBOTS_MAX_BYTES, {}, False)
        if result.status == 429 or result.error_class == "http_5xx":
            return False
        if result.error_class is not None or result.body is None:
            return True
        rules = protego.Protego.parse(result.body.decode("utf-8", errors="replace"))
        delay = rules.crawl_delay(self.policy.user_agent)
        if delay:
            self._limiter.set_interval(host, min(float(delay), self.policy.max_retry_after))
        return rules


