"""Host jobs (what a Dask worker runs): one job owns a host's requests, keeps its limits, returns its log."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tasks import pipeline as P
from tasks.fetch import FetchPolicy
from tasks.storage import Lake
from tests.integration.faultserver import ALL_PATHS, FaultServer, rss_feed, slow, static, status

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
POLICY = FetchPolicy(allow_private=True, connect_timeout=5, read_timeout=10, total_timeout=20,
                     per_host_concurrency=2, obey_robots=True)


def clock() -> datetime:
    return NOW


def page(i: int) -> bytes:
    return (f"<html><head><title>Pier report {i}</title></head><body><article><h1>Pier report {i}</h1>"
            + "".join(f"<p>The harbor council approved new ferry times for the eastern pier in report {i}, "
                      f"after a long debate about the winter timetable (part {p}).</p>" for p in range(5))
            + "</article></body></html>").encode()


@pytest.fixture
def server():
    with FaultServer(routes={}) as s:
        s.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        for i in range(6):
            s.routes[f"/article/{i}"] = slow(0.2, page(i), content_type="text/html")
        s.routes["/article/6"] = status(503)
        s.routes["/article/7"] = static(b"<html><body><div></div></body></html>", content_type="text/html")
        yield s


def candidates(server: FaultServer) -> list[P.Candidate]:
    feed = P.parse_feed(rss_feed(8), server.url("/feed.xml"))
    cands, _ = P.select_new_entries([P.FeedPoll(server.url("/feed.xml"), "ok", {}, "harbor", list(feed.entries))],
                                    set())
    return cands


def test_a_host_job_fetches_extracts_and_logs_its_pages_politely(server, tmp_path):
    cands = candidates(server)
    work = P.fetch_host_pages(POLICY, Lake(str(tmp_path)), cands, clock)
    # One result per candidate, in order: six articles, the 503 and the unreadable page recorded.
    assert [type(r).__name__ for r in work.results] == ["RawArticle"] * 6 + ["ArticleFailure"] * 2
    assert [r.url for r in work.results[:6]] == [c.entry.url for c in cands[:6]]
    assert work.results[6].error_class == "http_5xx"
    assert "eastern pier in report 3" in P.unpack_text(work.results[3].text)
    # Every page the server answered is captured, the unextractable one too; the 503 is not.
    assert sorted(c["url"] for c in work.captures) == sorted(c.entry.url for i, c in enumerate(cands) if i != 6)
    # The job's fetch log has robots.txt once and every page request.
    kinds = [row["kind"] for row in work.fetch_log]
    assert kinds.count("robots") == 1 and kinds.count("page") >= 8
    assert server.peak_in_flight(ALL_PATHS) <= POLICY.per_host_concurrency


def test_a_host_job_polls_its_feeds(server, tmp_path):
    server.routes["/a.xml"] = static(rss_feed(2, title="A"), content_type="application/rss+xml")
    server.routes["/b.xml"] = status(500)
    feeds = [(server.url("/a.xml"), None, None), (server.url("/b.xml"), None, "Harbor Gazette")]
    work = P.poll_host(POLICY, Lake(str(tmp_path)), feeds, clock, retry_base=timedelta(minutes=30),
                       retry_cap=timedelta(hours=24))
    a, b = work.results
    assert (a.status, len(a.entries), a.capture is not None) == ("ok", 2, True)
    assert (b.status, b.state["last_error_class"], b.state["next_fetch_at"]) == (
        "failed", "http_5xx", P.next_fetch_at(1, NOW, base=timedelta(minutes=30), cap=timedelta(hours=24)))
    assert [row["kind"] for row in work.fetch_log] == ["feed", "feed"]


def test_by_host_groups_in_host_order_keeping_item_order():
    urls = ["http://b.example/1", "http://A.example/1", "http://b.example/2", "http://a.example:8080/x",
            "http://a.example/2"]
    assert P.by_host(urls, lambda u: u) == [["http://A.example/1", "http://a.example/2"], ["http://a.example:8080/x"],
                                            ["http://b.example/1", "http://b.example/2"]]
