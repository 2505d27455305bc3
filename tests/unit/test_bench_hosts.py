"""The performance bench serves each testbed site on its own loopback address (bench.perf)."""
from __future__ import annotations

import contextlib
import socket
import urllib.request

import pytest

from bench import perf
from bench.common import free_port

BASE = "http://127.0.0.1:8000"
BASES = {"site-a": "http://127.0.0.2:9000", "site-ab": "http://127.0.0.3:9000"}


@pytest.mark.parametrize("text, expected", [
    # feeds.txt: one feed URL a line
    ("http://127.0.0.1:8000/site-a/feed.xml\nhttp://127.0.0.1:8000/site-ab/feed.xml\n",
     "http://127.0.0.2:9000/site-a/feed.xml\nhttp://127.0.0.3:9000/site-ab/feed.xml\n"),
    # OPML and HTML attributes, a site's home page with and without its trailing slash
    ('<outline xmlUrl="http://127.0.0.1:8000/site-ab/feed.xml" htmlUrl="http://127.0.0.1:8000/site-ab/"/>',
     '<outline xmlUrl="http://127.0.0.3:9000/site-ab/feed.xml" htmlUrl="http://127.0.0.3:9000/site-ab/"/>'),
    ('<a href="http://127.0.0.1:8000/site-a">Home</a>', '<a href="http://127.0.0.2:9000/site-a">Home</a>'),
    # a page linking to another site keeps each URL's own site
    ('<link rel="canonical" href="http://127.0.0.1:8000/site-a/2024/04/x.html?utm_source=rss">'
     '<a href="http://127.0.0.1:8000/site-ab/2024/04/x.html#top">original</a>',
     '<link rel="canonical" href="http://127.0.0.2:9000/site-a/2024/04/x.html?utm_source=rss">'
     '<a href="http://127.0.0.3:9000/site-ab/2024/04/x.html#top">original</a>'),
    # JSON (truth.json, JSON-LD)
    ('{"url": "http://127.0.0.1:8000/site-a/2024/04/x.html", "path": "site-a/2024/04/x.html"}',
     '{"url": "http://127.0.0.2:9000/site-a/2024/04/x.html", "path": "site-a/2024/04/x.html"}'),
    # left alone: the bare base URL, a directory that is no site, a longer name, another port or host
    ('{"base_url": "http://127.0.0.1:8000"}', '{"base_url": "http://127.0.0.1:8000"}'),
    ("http://127.0.0.1:8000/robots.txt http://127.0.0.1:8000/site-abc/feed.xml",
     "http://127.0.0.1:8000/robots.txt http://127.0.0.1:8000/site-abc/feed.xml"),
    ("http://127.0.0.1:80001/site-a/ http://127.0.0.10:8000/site-a/ https://example.org/site-a/",
     "http://127.0.0.1:80001/site-a/ http://127.0.0.10:8000/site-a/ https://example.org/site-a/"),
])
def test_rehost_urls_points_each_site_at_its_own_host(text, expected):
    assert perf.rehost_urls(text, BASE, BASES) == expected


@pytest.mark.parametrize("dirs, expected", [
    (["site-b", "site-a", "site-c"], {"site-a": "127.0.0.2", "site-b": "127.0.0.3", "site-c": "127.0.0.4"}),
    # the order of the names as strings, the order `ls` shows the testbed's directories in
    (["site-2", "site-10"], {"site-10": "127.0.0.2", "site-2": "127.0.0.3"}),
])
def test_site_hosts_numbers_sites_in_sorted_order_from_127_0_0_2(dirs, expected):
    assert perf.site_hosts(dirs) == expected


def test_site_hosts_go_past_127_0_0_255_but_never_leave_loopback():
    hosts = perf.site_hosts([f"site-{i:03d}" for i in range(300)])
    assert hosts["site-253"] == "127.0.0.255" and hosts["site-254"] == "127.0.1.0"
    with pytest.raises(ValueError, match="outside loopback"):
        perf.site_hosts(["site-a", "site-b"], first="127.255.255.255")


def test_rehost_testbed_changes_only_the_urls_byte_for_byte(tmp_path):
    page = tmp_path / "site-a" / "2024" / "x.html"
    page.parent.mkdir(parents=True)
    # An ISO-8859-1 page: its non-ASCII bytes must come back unchanged.
    page.write_bytes('<meta charset="iso-8859-1"><p>Café crème</p><a href="http://127.0.0.1:8000/site-ab/y.html">'
                     .encode("iso-8859-1"))
    (tmp_path / "feeds.txt").write_text("http://127.0.0.1:8000/site-a/feed.xml\n")
    (tmp_path / "README.md").write_text("base URL `http://127.0.0.1:8000`\n")
    assert perf.rehost_testbed(tmp_path, BASE, BASES) == 2
    assert page.read_bytes() == ('<meta charset="iso-8859-1"><p>Café crème</p>'
                                 '<a href="http://127.0.0.3:9000/site-ab/y.html">').encode("iso-8859-1")
    assert (tmp_path / "feeds.txt").read_text() == "http://127.0.0.2:9000/site-a/feed.xml\n"
    assert (tmp_path / "README.md").read_text() == "base URL `http://127.0.0.1:8000`\n"


def test_serve_sites_gives_every_site_its_host_on_one_port(tmp_path):
    for site in ("site-a", "site-b"):
        (tmp_path / site).mkdir()
        (tmp_path / site / "feed.xml").write_text(f"<rss>{site}</rss>")
    with contextlib.ExitStack() as stack:
        port = perf.serve_sites(stack, tmp_path, ["127.0.0.2", "127.0.0.3"])
        for host, site in (("127.0.0.2", "site-a"), ("127.0.0.3", "site-b")):
            with urllib.request.urlopen(f"http://{host}:{port}/{site}/feed.xml", timeout=5) as resp:
                assert resp.read() == f"<rss>{site}</rss>".encode()
    with pytest.raises(OSError):   # closed with the stack
        urllib.request.urlopen(f"http://127.0.0.2:{port}/site-a/feed.xml", timeout=5)


def test_serve_sites_tries_another_port_when_one_address_is_taken(tmp_path, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.3", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy, free_port()])
        monkeypatch.setattr(perf, "free_port", lambda: next(ports))
        with contextlib.ExitStack() as stack:
            port = perf.serve_sites(stack, tmp_path, ["127.0.0.2", "127.0.0.3"])
            assert port != busy
            # The first try's server on 127.0.0.2 was stopped: that port is free there again.
            with socket.socket() as probe:
                probe.bind(("127.0.0.2", busy))


def test_testbeds_past_the_default_mix_grow_bases_and_scale_together():
    """Up to 33k articles the testbed keeps its 100 base stories; 100k takes nearly every usable
    base text at a scale of the same size, with a sibling and a write-through per wire story
    (the default mix tops out near 72k articles)."""
    from bench.perf import USABLE_BASES, testbed_mix, testbed_shape

    assert testbed_shape(30_000) == (100, 91) and testbed_mix(30_000) == ()
    n, k = testbed_shape(100_000)
    assert n == k <= USABLE_BASES and n * k * 4.8 >= 100_000
    assert testbed_mix(100_000) == ("--siblings", "1", "--writethru", "1")
