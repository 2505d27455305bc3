"""Unit tests of tasks.sites: which site a URL belongs to, offline, with the bundled suffix list."""
from __future__ import annotations

import socket

import pytest

from tasks import sites


@pytest.mark.parametrize("url, site", [
    # section feeds and subdomains of one registrable domain are one site
    ("https://www.example-news.com/world/rss.xml", "example-news.com"),
    ("https://www.example-news.com/business/rss.xml", "example-news.com"),
    ("https://example-news.com/", "example-news.com"),
    ("https://feeds.example-news.com/rss/world.xml", "example-news.com"),
    ("https://WWW.Example-News.COM./feed", "example-news.com"),              # case, trailing dot
    ("https://www.example-news.com:8443/feed", "example-news.com"),         # the port is no part of a domain
    # country suffixes: the registrable domain sits one label below the public suffix
    ("https://news.bbc.co.uk/1/hi/world/", "bbc.co.uk"),
    ("https://www.bbc.co.uk/news/world/rss.xml", "bbc.co.uk"),
    ("https://feeds.bbci.co.uk/news/rss.xml", "bbci.co.uk"),
    ("https://www3.nhk.or.jp/news/", "nhk.or.jp"),
    ("https://www.abc.net.au/news/feed/51120/rss.xml", "abc.net.au"),
    # private-suffix platforms (and publication platforms the list lacks): one site per subdomain
    ("https://a.substack.com/feed", "a.substack.com"),
    ("https://b.substack.com/p/some-post", "b.substack.com"),
    ("https://someone.blogspot.com/feeds/posts/default", "someone.blogspot.com"),
    ("https://someone.github.io/blog/atom.xml", "someone.github.io"),
    ("https://github.io/", "github.io"),                                      # a bare public suffix: itself
    ("https://writer.wordpress.com/feed/", "writer.wordpress.com"),
    # a WARC page's date path is no site
    ("https://host.example/2026/11/23/some-story.html", "host.example"),
    ("https://www.riverside-courier.example/riverside-courier/2026/11/x.html", "riverside-courier.example"),
    # IPs and one-label hosts: each server (host and port) is its own site
    ("http://127.0.0.1:8765/site-3/feed.xml", "127.0.0.1:8765"),
    ("http://127.0.0.1:8766/site-3/feed.xml", "127.0.0.1:8766"),
    ("http://127.0.0.1:80/feed.xml", "127.0.0.1"),                            # the scheme's default port
    ("http://192.0.2.10/feed", "192.0.2.10"),
    ("http://localhost:8000/feed", "localhost:8000"),
    ("http://LOCALHOST/feed", "localhost"),
    ("http://[::1]:8080/feed.xml", "[::1]:8080"),
    ("https://[2001:db8::7]/feed.xml", "[2001:db8::7]"),
    ("http://newsbox:8080/rss", "newsbox:8080"),
    # hopeless input: never an exception
    ("http://news.example:99999/feed", "news.example"),
    ("http://127.0.0.1:99999/feed", "127.0.0.1"),
    ("not a url", ""),
])
def test_site_key(url, site):
    assert sites.site_key(url) == site


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/a", "http://localhost/", "http://[::1]/", "mailto:x@y"])
def test_hosts_that_cannot_name_a_site_have_no_registrable_domain(url):
    assert sites.registrable_domain(url) is None


def test_the_bundled_suffix_list_is_used_without_any_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network attempted: {args}")

    # tldextract's defaults would resolve publicsuffix.org here (and fail this test)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    sites._extractor.cache_clear()      # build the extractor again, under the guard
    try:
        assert sites.site_key("https://a.substack.com/") != sites.site_key("https://b.substack.com/")
        assert sites.site_key("https://news.bbc.co.uk/") == sites.site_key("https://www.bbc.co.uk/") == "bbc.co.uk"
        assert sites.site_key("https://x.github.io/") != sites.site_key("https://y.github.io/")
    finally:
        sites._extractor.cache_clear()
    extractor = sites._extractor()
    assert not extractor.suffix_list_urls and extractor.include_psl_private_domains
