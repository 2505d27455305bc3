"""Unit tests of tasks.fetch with stub resolvers and httpx.MockTransport: no sockets opened."""

from __future__ import annotations

import gzip
import hashlib
import ssl
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tasks.feeds import FeedParseError, parse_feed
from tasks.fetch import (
    ERROR_CLASSES,
    FetchPolicy,
    Fetcher,
    address_refusal,
    next_fetch_at,
    parse_retry_after,
)

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
PUBLIC = {
    "news.example": ["93.184.216.34"],
    "wire.example": ["203.0.113.7"],  # documentation range: refused unless allow_private
    "cdn.example": ["2606:4700::6810:84e5"],
}


class StubResolver:
    """Resolves from a table; records every lookup."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return self.table[host]


class Recorder:
    """MockTransport handler: answers from a route table and records requests."""

    def __init__(self, routes: dict[str, object]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get(str(request.url))
        if answer is None:
            return httpx.Response(404)
        if callable(answer):
            return answer(request)
        return answer

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def encoded(content: bytes, encoding: str) -> httpx.Response:
    """A response whose body httpx has not decoded (content= would decode it eagerly)."""
    return httpx.Response(200, headers={"Content-Encoding": encoding}, stream=httpx.ByteStream(content))


def make_fetcher(routes, *, resolver=None, **policy) -> tuple[Fetcher, Recorder]:
    policy.setdefault("obey_robots", False)
    recorder = Recorder(routes)
    fetcher = Fetcher(
        FetchPolicy(**policy),
        resolver=resolver or StubResolver(dict(PUBLIC)),
        transport=httpx.MockTransport(recorder),
    )
    return fetcher, recorder


# -- address guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "allow_private", "refused"),
    [
        ("93.184.216.34", False, False),
        ("2606:4700::6810:84e5", False, False),
        ("10.0.0.5", False, True),
        ("10.0.0.5", True, False),
        ("192.168.1.10", False, True),
        ("172.16.0.1", False, True),
        ("127.0.0.1", False, True),
        ("127.0.0.1", True, False),
        ("::1", False, True),
        ("0.0.0.0", False, True),
        ("224.0.0.1", False, True),
        ("100.64.0.1", False, True),  # carrier-grade NAT: not global
        ("169.254.169.254", False, True),
        ("169.254.169.254", True, True),  # link-local: always
        ("fe80::1", True, True),
        ("::ffff:127.0.0.1", True, True),  # IPv4-mapped: always
        ("::ffff:93.184.216.34", True, True),
        ("2002:a9fe:a9fe::1", True, True),  # 6to4 wrapping 169.254.169.254
        ("64:ff9b::a9fe:a9fe", True, True),  # NAT64 wrapping 169.254.169.254
        ("64:ff9b::a00:5", False, True),  # NAT64 wrapping 10.0.0.5
    ],
)
def test_address_refusal(address, allow_private, refused):
    assert (address_refusal(address, allow_private=allow_private) is not None) is refused


def test_address_refusal_names_the_reason():
    assert address_refusal("169.254.169.254", allow_private=True) == "169.254.169.254 is link-local"
    assert address_refusal("10.0.0.5", allow_private=False) == "10.0.0.5 is private"


@pytest.mark.parametrize(
    ("url", "table", "allow_private", "message"),
    [
        ("http://intranet.example/feed", {"intranet.example": ["10.0.0.5"]}, False, "10.0.0.5 is private"),
        ("http://meta.example/latest", {"meta.example": ["169.254.169.254"]}, True, "is link-local"),
        ("http://169.254.169.254/latest/meta-data/", {}, True, "is link-local"),
        ("http://[::ffff:10.0.0.5]/", {}, True, "IPv4-mapped"),
        ("http://[fe80::1]/", {}, True, "is link-local"),
        ("http://localhost/feed", {"localhost": ["127.0.0.1"]}, False, "is loopback"),
        # One refused address among public ones refuses the host (DNS rebinding trick).
        ("http://mixed.example/", {"mixed.example": ["93.184.216.34", "10.0.0.5"]}, False, "10.0.0.5"),
    ],
)
def test_refused_addresses_never_reach_the_transport(url, table, allow_private, message):
    fetcher, recorder = make_fetcher({}, resolver=StubResolver(table), allow_private=allow_private)
    result = fetcher.fetch(url, kind="feed")
    assert result.error_class == "blocked_private"
    assert message in result.error
    assert recorder.requests == []
    assert fetcher.fetch_log()[0]["error_class"] == "blocked_private"
    assert fetcher.fetch_log()[0]["status"] is None


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://intranet.example/admin",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_redirect_to_a_refused_address_is_blocked_before_connecting(location):
    resolver = StubResolver({**PUBLIC, "intranet.example": ["10.0.0.5"]})
    routes = {"http://news.example/feed": httpx.Response(302, headers={"Location": location})}
    fetcher, recorder = make_fetcher(routes, resolver=resolver)
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == "blocked_private"
    assert result.final_url == location
    assert recorder.urls == ["http://news.example/feed"]


@pytest.mark.parametrize(
    ("url", "error_class"),
    [
        ("file:///etc/passwd", "bad_scheme"),
        ("ftp://news.example/feed", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("/relative/feed.xml", "bad_url"),
        ("http:///feed.xml", "bad_url"),
        ("http://[::1/", "bad_url"),
    ],
)
def test_non_http_urls_are_refused(url, error_class):
    fetcher, recorder = make_fetcher({})
    result = fetcher.fetch(url)
    assert result.error_class == error_class
    assert recorder.requests == []


def test_redirect_to_file_scheme_is_refused():
    routes = {"http://news.example/a": httpx.Response(301, headers={"Location": "file:///etc/passwd"})}
    fetcher, _ = make_fetcher(routes)
    result = fetcher.fetch("http://news.example/a")
    assert result.error_class == "bad_scheme"
    assert "'file'" in result.error


def test_dns_failure_is_classified():
    fetcher, recorder = make_fetcher({})
    result = fetcher.fetch("http://nowhere.example/feed", kind="feed")
    assert (result.error_class, result.status, result.body) == ("dns", None, None)
    assert "nowhere.example" in result.error
    assert recorder.requests == []


def test_every_hop_is_resolved_and_checked():
    resolver = StubResolver(dict(PUBLIC))
    routes = {
        "http://news.example/a": httpx.Response(301, headers={"Location": "http://wire.example/b"}),
        "http://wire.example/b": httpx.Response(200, content=FEED),
    }
    fetcher, _ = make_fetcher(routes, resolver=resolver, allow_private=True)
    result = fetcher.fetch("http://news.example/a", kind="feed")
    assert result.ok and result.final_url == "http://wire.example/b"
    assert resolver.calls == ["news.example", "wire.example"]


# -- HTTP outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(200, None), (204, None), (404, "http_4xx"), (410, "http_4xx"), (500, "http_5xx"), (502, "http_5xx")],
)
def test_status_classes(status, error_class):
    routes = {"http://news.example/feed": httpx.Response(status, content=FEED if status == 200 else b"")}
    fetcher, _ = make_fetcher(routes)
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.status == status
    assert result.error_class == error_class
    assert (result.body is not None) is (error_class is None)


def test_success_carries_body_hash_validators_and_headers():
    headers = {"ETag": '"abc"', "Last-Modified": "Tue, 07 Jan 2025 10:00:00 GMT", "Content-Type": "application/rss+xml"}
    fetcher, _ = make_fetcher({"http://news.example/feed": httpx.Response(200, content=FEED, headers=headers)})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.body == FEED
    assert result.body_sha256 == hashlib.sha256(FEED).hexdigest()
    assert (result.etag, result.last_modified) == ('"abc"', "Tue, 07 Jan 2025 10:00:00 GMT")
    assert result.headers["content-type"] == "application/rss+xml"
    assert not result.not_modified


def test_request_names_newsflow_and_accepts_only_encodings_we_cap():
    fetcher, recorder = make_fetcher({"http://news.example/feed": httpx.Response(200, content=FEED)})
    fetcher.fetch("http://news.example/feed", kind="feed")
    request = recorder.requests[0]
    assert request.headers["user-agent"].startswith("newsflow/")
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert "application/rss+xml" in request.headers["accept"]


@pytest.mark.parametrize(
    ("etag", "last_modified", "sent"),
    [
        ('"v1"', "Tue, 07 Jan 2025 10:00:00 GMT", {"if-none-match": '"v1"'}),
        (None, "Tue, 07 Jan 2025 10:00:00 GMT", {"if-modified-since": "Tue, 07 Jan 2025 10:00:00 GMT"}),
        (None, None, {}),
    ],
)
def test_conditional_get_sends_one_validator(etag, last_modified, sent):
    fetcher, recorder = make_fetcher({"http://news.example/feed": httpx.Response(304)})
    result = fetcher.fetch("http://news.example/feed", kind="feed", etag=etag, last_modified=last_modified)
    headers = recorder.requests[0].headers
    assert {k: headers[k] for k in ("if-none-match", "if-modified-since") if k in headers} == sent
    assert result.ok and result.not_modified and result.body is None
    # A 304 without validators keeps the stored ones, so the next run stays conditional.
    assert (result.etag, result.last_modified) == (etag, last_modified)


def test_unchanged_body_hash_counts_as_not_modified():
    routes = {"http://news.example/feed": httpx.Response(200, content=FEED, headers={"ETag": '"new-every-time"'})}
    fetcher, _ = make_fetcher(routes)
    same = fetcher.fetch("http://news.example/feed", kind="feed", previous_sha256=hashlib.sha256(FEED).hexdigest())
    changed = fetcher.fetch("http://news.example/feed", kind="feed", previous_sha256="0" * 64)
    assert same.not_modified and same.body == FEED
    assert not changed.not_modified


def test_redirect_loop_names_the_cycle():
    routes = {
        "http://news.example/a": httpx.Response(302, headers={"Location": "/b"}),
        "http://news.example/b": httpx.Response(302, headers={"Location": "http://news.example/a"}),
    }
    fetcher, recorder = make_fetcher(routes)
    result = fetcher.fetch("http://news.example/a")
    assert result.error_class == "redirect_loop"
    assert result.error == "redirect loop: http://news.example/a -> http://news.example/b -> http://news.example/a"
    assert len(recorder.requests) == 2


def test_redirects_are_capped():
    routes = {
        f"http://news.example/{i}": httpx.Response(301, headers={"Location": f"/{i + 1}"}) for i in range(10)
    }
    fetcher, recorder = make_fetcher(routes, max_redirects=3)
    result = fetcher.fetch("http://news.example/0")
    assert result.error_class == "redirect_loop"
    assert result.error == "more than 3 redirects, last to http://news.example/4"
    assert len(recorder.requests) == 4


def test_redirect_without_location_is_a_protocol_error():
    fetcher, _ = make_fetcher({"http://news.example/a": httpx.Response(302)})
    assert fetcher.fetch("http://news.example/a").error_class == "protocol"


# -- sizes and decoding --------------------------------------------------------------------


def test_declared_length_over_cap_is_refused_before_reading():
    def huge(request):
        return httpx.Response(200, headers={"Content-Length": str(2**30)}, content=b"x" * 10)

    fetcher, _ = make_fetcher({"http://news.example/p": huge}, max_page_bytes=1000)
    result = fetcher.fetch("http://news.example/p")
    assert result.error_class == "too_large"
    assert result.error.startswith("Content-Length 1073741824 exceeds the 1000-byte cap")


def test_streamed_body_over_cap_without_length_is_cut():
    def stream(request):
        return httpx.Response(200, content=(b"y" * 500 for _ in range(10**6)))

    fetcher, _ = make_fetcher({"http://news.example/p": stream}, max_page_bytes=10_000)
    result = fetcher.fetch("http://news.example/p")
    assert result.error_class == "too_large" and result.body is None


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, no zlib header
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
    ],
)
def test_compressed_bodies_are_decoded(encoding, encode):
    response = encoded(encode(FEED), encoding)
    fetcher, _ = make_fetcher({"http://news.example/feed": response})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.body == FEED
    assert result.body_sha256 == hashlib.sha256(FEED).hexdigest()


def test_gzip_bomb_is_cut_at_the_decompressed_cap():
    bomb = gzip.compress(b"\0" * (64 * 2**20), compresslevel=9)
    assert len(bomb) < 100_000
    response = encoded(bomb, "gzip")
    fetcher, _ = make_fetcher({"http://news.example/feed": response}, max_feed_bytes=2**20)
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == "too_large"
    assert fetcher.fetch_log()[0]["bytes"] < len(bomb) + 1


@pytest.mark.parametrize(
    ("encoding", "content", "message"),
    [
        ("br", b"\x0b\x02\x80", "unsupported Content-Encoding 'br'"),
        ("gzip", b"not gzip at all", "cannot decode"),
        ("gzip", gzip.compress(FEED)[:-12], "truncated gzip stream"),
    ],
)
def test_broken_encodings_are_classified(encoding, content, message):
    response = encoded(content, encoding)
    fetcher, _ = make_fetcher({"http://news.example/feed": response})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == "decode_error"
    assert message in result.error


# -- transport errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "error_class"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connect"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "network"),
        (httpx.RemoteProtocolError("peer closed connection without sending complete message body"), "protocol"),
    ],
)
def test_transport_errors_are_classified_not_raised(exc, error_class):
    def fail(request):
        raise exc

    fetcher, _ = make_fetcher({"http://news.example/feed": fail})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == error_class
    assert str(exc) in result.error


def test_tls_failure_is_classified_from_the_cause():
    def fail(request):
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
        except ssl.SSLError as cause:
            raise httpx.ConnectError("handshake failed") from cause

    fetcher, _ = make_fetcher({"https://news.example/feed": fail})
    assert fetcher.fetch("https://news.example/feed").error_class == "tls"


def _raising(exc: Exception):
    def handler(request):
        raise exc
    return handler


def _tls_failure(request):
    try:
        raise ssl.SSLCertVerificationError("certificate verify failed")
    except ssl.SSLError as cause:
        raise httpx.ConnectError("handshake failed") from cause


def _fetched_class(url: str, routes: dict | None = None, kind: str = "feed", resolver=None, **policy) -> str | None:
    fetcher, _ = make_fetcher(routes or {}, resolver=resolver, **policy)
    return fetcher.fetch(url, kind=kind).error_class


def _parse_class(body: bytes) -> str:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, "http://news.example/feed")
    return info.value.error_class


FEED_URL = "http://news.example/feed"
# One fault for each error class: what a server, the network or a feed does to earn it.
FAULTS = {
    "dns": lambda: _fetched_class("http://nowhere.example/feed"),
    "connect": lambda: _fetched_class(FEED_URL, {FEED_URL: _raising(httpx.ConnectError("[Errno 111] refused"))}),
    "timeout": lambda: _fetched_class(FEED_URL, {FEED_URL: _raising(httpx.ReadTimeout("timed out"))}),
    "tls": lambda: _fetched_class(FEED_URL, {FEED_URL: _tls_failure}),
    "network": lambda: _fetched_class(FEED_URL, {FEED_URL: _raising(httpx.ReadError("[Errno 104] reset by peer"))}),
    "protocol": lambda: _fetched_class(FEED_URL, {FEED_URL: httpx.Response(302)}),
    "decode_error": lambda: _fetched_class(FEED_URL, {FEED_URL: encoded(b"not gzip at all", "gzip")}),
    "http_4xx": lambda: _fetched_class(FEED_URL, {FEED_URL: httpx.Response(404)}),
    "http_5xx": lambda: _fetched_class(FEED_URL, {FEED_URL: httpx.Response(502)}),
    "too_large": lambda: _fetched_class(FEED_URL, {FEED_URL: httpx.Response(200, content=b"x" * 2000)},
                                        max_feed_bytes=1000),
    "redirect_loop": lambda: _fetched_class(FEED_URL, {
        FEED_URL: httpx.Response(301, headers={"Location": "/b"}),
        "http://news.example/b": httpx.Response(301, headers={"Location": "/feed"})}),
    "not_a_feed": lambda: _parse_class(b"<!DOCTYPE html><html><body><p>Our news</p></body></html>"),
    "parse_error": lambda: _parse_class(b'<!DOCTYPE rss [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><rss/>'),
    "blocked_private": lambda: _fetched_class("http://intranet.example/feed",
                                              resolver=StubResolver({"intranet.example": ["10.0.0.5"]})),
    "robots": lambda: _fetched_class("http://news.example/s", {
        "http://news.example/robots.txt": httpx.Response(200, content=b"User-agent: *\nDisallow: /\n")},
        kind="page", obey_robots=True),
    "bad_scheme": lambda: _fetched_class("ftp://news.example/feed"),
    "bad_url": lambda: _fetched_class("http:///feed.xml"),
}


@pytest.mark.parametrize("error_class", ERROR_CLASSES)
def test_each_fault_gives_its_class(error_class):
    assert error_class in FAULTS, f"{error_class} is declared, but no fault here produces it"
    assert FAULTS[error_class]() == error_class


# -- Retry-After ----------------------------------------------------------------------------

NOW = datetime(2025, 1, 7, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Tue, 07 Jan 2025 12:01:30 GMT", 90.0),
        ("Tue, 07 Jan 2025 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_within_limit_is_honoured_once(status):
    answers = iter([httpx.Response(status, headers={"Retry-After": "0"}), httpx.Response(200, content=FEED)])
    fetcher, recorder = make_fetcher({"http://news.example/feed": lambda request: next(answers)})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.ok and result.body == FEED
    assert len(recorder.requests) == 2


def test_retry_after_is_honoured_only_once():
    response = httpx.Response(429, headers={"Retry-After": "0"})
    fetcher, recorder = make_fetcher({"http://news.example/feed": response})
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == "http_4xx" and result.status == 429
    assert "after one retry" in result.error
    assert len(recorder.requests) == 2


def test_retry_after_over_limit_is_classified_without_waiting():
    response = httpx.Response(503, headers={"Retry-After": "3600"})
    fetcher, recorder = make_fetcher({"http://news.example/feed": response}, max_retry_after=5)
    result = fetcher.fetch("http://news.example/feed", kind="feed")
    assert result.error_class == "http_5xx"
    assert "Retry-After 3600s exceeds the 5s we wait" in result.error
    assert result.headers["retry-after"] == "3600"
    assert len(recorder.requests) == 1
    assert result.elapsed_ms < 5 * 1000   # less than even the longest wait the policy allows


# -- robots.txt ------------------------------------------------------------------------------

ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: newsflow\nDisallow: /no-newsflow/\n"


@pytest.mark.parametrize(
    ("robots", "path", "allowed"),
    [
        (httpx.Response(200, content=ROBOTS), "/story", True),
        (httpx.Response(200, content=ROBOTS), "/no-newsflow/story", False),
        (httpx.Response(200, content=b"User-agent: *\nDisallow: /\n"), "/story", False),
        (httpx.Response(404), "/story", True),  # no robots.txt: everything allowed
        (httpx.Response(403), "/story", True),
        (httpx.Response(500), "/story", False),  # unreachable: assume disallowed
        (httpx.Response(429), "/story", False),
        (httpx.Response(200, content=b"\xff\xfe garbage \x00"), "/story", True),
    ],
)
def test_robots_txt_rules(robots, path, allowed):
    routes = {"https://news.example/robots.txt": robots, f"https://news.example{path}": httpx.Response(200)}
    fetcher, _ = make_fetcher(routes, obey_robots=True)
    result = fetcher.fetch(f"https://news.example{path}")
    assert (result.error_class is None) is allowed
    if not allowed:
        assert result.error_class == "robots"
        assert result.error == f"robots.txt of news.example disallows https://news.example{path}"


def test_robots_network_failure_allows():
    def fail(request):
        raise httpx.ConnectError("refused")

    routes = {"http://news.example/robots.txt": fail, "http://news.example/story": httpx.Response(200)}
    fetcher, _ = make_fetcher(routes, obey_robots=True)
    assert fetcher.fetch("http://news.example/story").ok


def test_robots_is_fetched_once_per_origin_and_never_for_feeds():
    routes = {
        "http://news.example/robots.txt": httpx.Response(200, content=b"User-agent: *\nDisallow: /feed\n"),
        "http://news.example/feed": httpx.Response(200, content=FEED),
        **{f"http://news.example/s{i}": httpx.Response(200) for i in range(5)},
    }
    fetcher, recorder = make_fetcher(routes, obey_robots=True)
    assert fetcher.fetch("http://news.example/feed", kind="feed").ok  # feeds ignore robots
    results = [fetcher.fetch(f"http://news.example/s{i}") for i in range(5)]
    assert all(r.ok for r in results)
    assert recorder.urls.count("http://news.example/robots.txt") == 1
    kinds = [row["kind"] for row in fetcher.fetch_log()]
    assert kinds == ["feed", "robots"] + ["page"] * 5


def test_robots_checked_on_the_redirect_target():
    routes = {
        "http://news.example/robots.txt": httpx.Response(404),
        "http://wire.example/robots.txt": httpx.Response(200, content=b"User-agent: *\nDisallow: /\n"),
        "http://news.example/s": httpx.Response(302, headers={"Location": "http://wire.example/s"}),
    }
    fetcher, recorder = make_fetcher(routes, obey_robots=True, allow_private=True)
    result = fetcher.fetch("http://news.example/s")
    assert result.error_class == "robots"
    assert "http://wire.example/s" not in recorder.urls


def test_robots_crawl_delay_spaces_page_requests():
    starts: list[float] = []

    def page(request):
        starts.append(time.monotonic())
        return httpx.Response(200)

    routes = {
        "http://news.example/robots.txt": httpx.Response(200, content=b"User-agent: *\nCrawl-delay: 0.3\n"),
        **{f"http://news.example/s{i}": page for i in range(3)},
    }
    fetcher, _ = make_fetcher(routes, obey_robots=True)
    asked = []
    for i in range(3):
        asked.append(time.monotonic())
        assert fetcher.fetch(f"http://news.example/s{i}").ok
    # Each request reached the server at least the delay after the previous one was asked for
    # (a lower bound that a slow machine can only lengthen).
    assert [round(b - a, 3) >= 0.3 for a, b in zip(asked, starts[1:])] == [True, True]


def test_robots_ignored_when_policy_says_so():
    routes = {"http://news.example/s": httpx.Response(200)}
    fetcher, recorder = make_fetcher(routes, obey_robots=False)
    assert fetcher.fetch("http://news.example/s").ok
    assert recorder.urls == ["http://news.example/s"]


# -- politeness and the log -------------------------------------------------------------------


def test_per_host_concurrency_is_capped_across_threads():
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    release = threading.Event()

    def held(request):   # stays in flight until released, so that the cap is reached whatever the load
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        release.wait(30)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, content=b"ok")

    routes = {f"http://news.example/{i}": held for i in range(12)}
    fetcher, _ = make_fetcher(routes, per_host_concurrency=2)
    threads = [threading.Thread(target=fetcher.fetch, args=(f"http://news.example/{i}",)) for i in range(12)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while state["now"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)   # room for a third request, had the cap let one through
    in_flight_while_held = state["now"]
    release.set()
    for t in threads:
        t.join(30)
    assert in_flight_while_held == 2
    assert state["peak"] == 2
    assert len(fetcher.fetch_log()) == 12


def test_fetch_log_has_one_row_per_request():
    routes = {
        "http://news.example/a": httpx.Response(301, headers={"Location": "/b"}),
        "http://news.example/b": httpx.Response(200, content=b"12345"),
    }
    fetcher, _ = make_fetcher(routes)
    fetcher.fetch("http://news.example/a")
    fetcher.fetch("http://nowhere.example/")
    rows = fetcher.fetch_log()
    assert [(r["url"], r["kind"], r["status"], r["bytes"], r["error_class"]) for r in rows] == [
        ("http://news.example/a", "page", 301, 0, None),
        ("http://news.example/b", "page", 200, 5, None),
        ("http://nowhere.example/", "page", None, 0, "dns"),
    ]
    assert all(isinstance(r["ms"], int) and r["ms"] >= 0 for r in rows)


def test_unknown_kind_is_a_programming_error():
    fetcher, _ = make_fetcher({})
    with pytest.raises(ValueError, match="kind must be one of"):
        fetcher.fetch("http://news.example/", kind="article")


@pytest.mark.parametrize(
    ("field", "value"),
    [("connect_timeout", 0), ("max_feed_bytes", 0), ("per_host_concurrency", 0), ("max_redirects", -1)],
)
def test_policy_rejects_nonsense(field, value):
    with pytest.raises(ValueError, match=field):
        FetchPolicy(**{field: value})


# -- backoff -----------------------------------------------------------------------------------

BASE, CAP = timedelta(minutes=30), timedelta(days=1)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, timedelta(minutes=30)),
        (1, timedelta(hours=1)),
        (2, timedelta(hours=2)),
        (5, timedelta(hours=16)),
        (6, timedelta(days=1)),
        (10_000, timedelta(days=1)),  # slowed, never dropped, never overflowing
    ],
)
def test_next_fetch_at_backs_off_to_the_cap(failures, delay):
    assert next_fetch_at(failures, NOW, base=BASE, cap=CAP) == NOW + delay


@pytest.mark.parametrize(
    ("failures", "now", "base", "cap", "message"),
    [
        (-1, NOW, BASE, CAP, "consecutive_failures must be >= 0"),
        (0, datetime(2025, 1, 7), BASE, CAP, "must be timezone-aware"),
        (0, NOW, timedelta(0), CAP, "base must be positive"),
        (0, NOW, CAP, BASE, "is below base"),
    ],
)
def test_next_fetch_at_rejects_bad_arguments(failures, now, base, cap, message):
    with pytest.raises(ValueError, match=message):
        next_fetch_at(failures, now, base=base, cap=cap)
