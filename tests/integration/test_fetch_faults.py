"""Fetch and parse against the loopback fault server: every fault classified in bounded time."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import tracemalloc
from dataclasses import replace

import pytest

from tasks.feeds import FeedParseError, parse_feed
from tasks.fetch import FetchPolicy, Fetcher

try:  # importable both as a package module and from this directory (pytest rootdir mode)
    from tests.integration.faultserver import FaultServer, redirect, sequence, static, status
except ImportError:  # pragma: no cover - depends on how pytest was started
    from faultserver import FaultServer, redirect, sequence, static, status

POLICY = FetchPolicy(
    connect_timeout=1.0,
    read_timeout=1.0,
    total_timeout=3.0,
    max_feed_bytes=2**20,
    max_page_bytes=256 * 1024,
    allow_private=True,  # the fault server is on loopback
    per_host_concurrency=4,
    max_retry_after=2.0,
)


# A loaded 2-core machine can delay a thread's wake-up or a loopback answer by seconds. So a
# fault's duration is bounded below by the limit that must end it (load only lengthens that),
# and above only by what the policy allows any fetch, its total deadline extended once by a
# Retry-After wait, plus this slack: still far below what a fetch that ignored its limits would
# take (the server holds a hung request for 60 s).
SLACK = 10.0
MAX_FETCH_SECONDS = POLICY.total_timeout + POLICY.max_retry_after + SLACK


@pytest.fixture(scope="module")
def server():
    with FaultServer(max_seconds=60.0) as running:
        yield running


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Safety net: any attempt to connect beyond loopback fails the test instead of leaving."""
    attempts: list[tuple] = []
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        if not ipaddress.ip_address(address[0]).is_loopback:
            attempts.append(address)
            raise ConnectionRefusedError(f"test refused a non-loopback connection to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    yield
    assert attempts == [], f"tried to connect beyond loopback: {attempts}"


@pytest.fixture
def fetcher():
    with Fetcher(POLICY) as client:
        yield client


def timed(fn, *args, **kwargs):
    started = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - started


# -- transport-level faults ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind", "error_class", "status", "requests", "at_least"),
    [
        ("/hang", "feed", "timeout", None, 1, POLICY.read_timeout),
        ("/trickle", "feed", "timeout", 200, 1, POLICY.total_timeout),  # the deadline, despite steady bytes
        ("/500", "feed", "http_5xx", 500, 1, 0),
        ("/404", "feed", "http_4xx", 404, 1, 0),
        ("/410", "feed", "http_4xx", 410, 1, 0),
        ("/429", "feed", "http_4xx", 429, 2, 1.0),  # waits Retry-After: 1 once, then gives up
        ("/429-long", "feed", "http_4xx", 429, 1, 0),  # Retry-After: 3600 is not waited for
        ("/loop/a", "feed", "redirect_loop", 302, 2, 0),
        ("/huge", "feed", "too_large", 200, 1, 0),  # no Content-Length
        ("/huge-declared", "feed", "too_large", 200, 1, 0),
        ("/gzip-bomb", "feed", "too_large", 200, 1, 0),
        ("/reset", "feed", "network", 200, 1, 0),
        ("/article/hang", "page", "timeout", None, 1, POLICY.read_timeout),
        ("/article/404", "page", "http_4xx", 404, 1, 0),
        ("/article/huge", "page", "too_large", 200, 1, 0),
    ],
)
def test_fault_is_classified_in_bounded_time(server, fetcher, path, kind, error_class, status, requests, at_least):
    result, seconds = timed(fetcher.fetch, server.url(path), kind=kind)
    assert (result.error_class, result.status) == (error_class, status), result.error
    assert result.body is None
    assert at_least <= seconds < MAX_FETCH_SECONDS
    log = [row for row in fetcher.fetch_log() if row["kind"] == kind]   # a page's robots.txt aside
    assert len(log) == requests and log[-1]["error_class"] == error_class


def test_connection_refused(fetcher):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml", kind="feed")
    assert result.error_class == "connect"


def test_gzip_bomb_memory_stays_near_the_cap(server, fetcher):
    tracemalloc.start()
    try:
        result = fetcher.fetch(server.url("/gzip-bomb"), kind="feed")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_class == "too_large"
    # 128 MiB of zeros behind the gzip; we never hold more than a few copies of the 1 MiB cap.
    assert peak < 8 * POLICY.max_feed_bytes


def test_retry_after_then_success(server, fetcher):
    server.routes["/503-once"] = sequence([status(503, headers={"Retry-After": "1"}), static(b"<rss/>")])
    result, seconds = timed(fetcher.fetch, server.url("/503-once"), kind="feed")
    assert result.ok and result.body == b"<rss/>"
    assert 1.0 <= seconds < MAX_FETCH_SECONDS
    assert [row["status"] for row in fetcher.fetch_log()] == [503, 200]


def test_redirects_followed_and_gzip_decoded(server, fetcher):
    chained = fetcher.fetch(server.url("/redirect/chain/1"), kind="feed")
    assert chained.ok and chained.final_url == server.url("/ok.xml")
    zipped = fetcher.fetch(server.url("/gzipped.xml"), kind="feed")
    assert zipped.body == fetcher.fetch(server.url("/ok.xml"), kind="feed").body


# -- feed-level faults ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error_class", "message"),
    [
        ("/empty", "not_a_feed", "empty body"),
        ("/malformed.xml", "parse_error", "malformed rss20 feed"),
        ("/billion-laughs.xml", "parse_error", "refers to other entities"),
        ("/html-as-feed.xml", "not_a_feed", "is an HTML page, not RSS or Atom (it advertises"),
    ],
)
def test_bad_feed_bodies_are_classified(server, fetcher, path, error_class, message):
    result = fetcher.fetch(server.url(path), kind="feed")
    assert result.ok
    started = time.thread_time()
    with pytest.raises(FeedParseError) as info:
        parse_feed(result.body, result.final_url, content_type=result.headers.get("content-type"))
    assert info.value.error_class == error_class
    assert message in str(info.value)
    assert time.thread_time() - started < 1.0   # CPU time, which a busy machine does not stretch


def test_wrong_declared_charset_still_parses(server, fetcher):
    result = fetcher.fetch(server.url("/wrong-charset.xml"), kind="feed")
    feed = parse_feed(result.body, result.final_url, content_type=result.headers["content-type"])
    assert feed.title == "Café Chronicle"
    assert feed.entries[0].title == "The \u201cnew\u201d café opens"
    assert feed.entries[0].url == server.url("/article/cafe")


def test_feed_with_10000_entries(server):
    with Fetcher(replace(POLICY, max_feed_bytes=8 * 2**20)) as big:
        result = big.fetch(server.url("/10k.xml"), kind="feed")
    assert result.ok
    started = time.thread_time()
    feed = parse_feed(result.body, result.final_url)
    assert len(feed.entries) == 10_000
    assert feed.entries[-1].url == server.url("/article/9999")
    assert time.thread_time() - started < 30   # CPU seconds (about 6 on a 2-core machine)


# -- politeness ---------------------------------------------------------------------------------


def test_conditional_get_round_trip(server, fetcher):
    first = fetcher.fetch(server.url("/conditional.xml"), kind="feed")
    assert first.status == 200 and first.etag == '"v1"'
    by_etag = fetcher.fetch(server.url("/conditional.xml"), kind="feed", etag=first.etag, last_modified="junk")
    by_date = fetcher.fetch(server.url("/conditional.xml"), kind="feed", last_modified=first.last_modified)
    by_hash = fetcher.fetch(server.url("/conditional.xml"), kind="feed", previous_sha256=first.body_sha256)
    assert (by_etag.status, by_etag.not_modified, by_etag.body) == (304, True, None)
    assert (by_date.status, by_date.not_modified) == (304, True)
    assert (by_hash.status, by_hash.not_modified) == (200, True)
    sent = [r.headers for r in server.hits("/conditional.xml")][-3:]
    assert "if-modified-since" not in sent[0]  # one validator only


def test_user_agent_names_newsflow(server, fetcher):
    fetcher.fetch(server.url("/ok.xml"), kind="feed")
    assert server.hits("/ok.xml")[-1].headers["user-agent"] == POLICY.user_agent


def test_per_host_concurrency_cap_holds_on_the_wire(server):
    release = threading.Event()

    def held(h):   # in flight until released, so that the cap is reached however slow the machine
        while not release.is_set() and h.wait(0.02):
            pass
        h.respond(200, b"<ok/>", content_type="application/xml")

    server.routes["/held"] = held
    server.reset_stats()
    policy = replace(POLICY, per_host_concurrency=2, read_timeout=60.0, total_timeout=60.0)
    results = []
    try:
        with Fetcher(policy) as client:
            threads = [threading.Thread(target=lambda: results.append(client.fetch(server.url("/held"))))
                       for _ in range(8)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while server.peak_in_flight("/held") < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)   # room for a third request, had the cap let one through
            held_peak = server.peak_in_flight("/held")
            release.set()
            for t in threads:
                t.join(60)
    finally:
        release.set()
        del server.routes["/held"]
    assert held_peak == 2
    assert server.peak_in_flight("/held") == 2
    assert len(server.hits("/held")) == 8 and all(r.ok for r in results) and len(results) == 8


def test_per_host_interval_spaces_request_starts(server):
    policy = replace(POLICY, per_host_interval=0.25)
    asked = []
    with Fetcher(policy) as client:
        for _ in range(4):
            asked.append(time.monotonic())
            client.fetch(server.url("/ok.xml"), kind="feed")
    arrived = [r.started_at for r in server.hits("/ok.xml")][-4:]
    # Each request reached the server at least the interval after the previous one was asked for
    # (a lower bound that a slow machine can only lengthen).
    assert [round(b - a, 3) >= 0.25 for a, b in zip(asked, arrived[1:])] == [True, True, True]


def test_robots_txt_obeyed_for_pages_only(server):
    server.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /article/\n", content_type="text/plain")
    try:
        with Fetcher(replace(POLICY, obey_robots=True)) as client:
            page = client.fetch(server.url("/article/ok"))
            feed = client.fetch(server.url("/ok.xml"), kind="feed")
            again = client.fetch(server.url("/article/ok"))
    finally:
        del server.routes["/robots.txt"]
    assert page.error_class == "robots" and again.error_class == "robots"
    assert feed.ok
    assert [row["kind"] for row in client.fetch_log()] == ["robots", "page", "feed", "page"]


# -- address guard with the real transport ---------------------------------------------------


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def test_loopback_refused_unless_allowed(server):
    before = len(server.requests)
    with Fetcher(replace(POLICY, allow_private=False)) as client:
        result = client.fetch(server.url("/ok.xml"), kind="feed")
    assert result.error_class == "blocked_private"
    assert result.error == "refused '127.0.0.1': 127.0.0.1 is loopback"
    assert len(server.requests) == before


def test_connects_to_the_address_the_resolver_gave(server):
    calls = []

    def resolver(host, port):
        calls.append(host)
        return ["127.0.0.1"] if host == "feeds.newsflow.test" else []

    with Fetcher(POLICY, resolver=resolver) as client:
        result = client.fetch(f"http://feeds.newsflow.test:{port_of(server)}/ok.xml", kind="feed")
    assert result.ok, result.error
    assert server.hits("/ok.xml")[-1].headers["host"] == f"feeds.newsflow.test:{port_of(server)}"
    assert calls == ["feeds.newsflow.test"]  # checked once, and the check is what we connect to


def test_dns_rebinding_after_the_check_is_not_followed(server):
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])

    def rebinding(host, port):
        return next(answers)

    with Fetcher(POLICY, resolver=rebinding) as client:
        result = client.fetch(f"http://rebind.newsflow.test:{port_of(server)}/ok.xml", kind="feed")
    assert result.ok  # served from the vetted loopback address, never the rebound one


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://metadata.newsflow.test/computeMetadata/v1/",
        "http://[::ffff:127.0.0.1]:{port}/ok.xml",
    ],
)
def test_redirect_into_link_local_is_blocked(server, target):
    target = target.format(port=port_of(server))
    server.routes["/redirect/evil"] = redirect(target)

    def resolver(host, port):
        return {"metadata.newsflow.test": ["169.254.169.254"]}.get(host, ["127.0.0.1"])

    with Fetcher(POLICY, resolver=resolver) as client:
        result = client.fetch(server.url("/redirect/evil"), kind="feed")
    assert result.error_class == "blocked_private"
    assert result.final_url == target


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """HTTPS on loopback with a self-signed certificate (needs the openssl command)."""
    import http.server
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_untrusted_certificate_is_a_tls_error(tls_server, fetcher):
    result = fetcher.fetch(tls_server + "/feed.xml", kind="feed")
    assert result.error_class == "tls"
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
