"""A page refused by robots.txt is retried at the cap interval and fetched once robots.txt allows it."""
from __future__ import annotations

from datetime import timedelta

from tasks import pipeline as P
from tasks.fetch import Fetcher
from tasks.pending import RetryPolicy, due_candidates, update_queue
from tasks.storage import Lake
from tests.e2e.test_retry import feed, page
from tests.integration.faultserver import FaultServer, sequence, static
from tests.integration.test_retry_backfill import DAY1, POLICY


def test_a_robots_refusal_is_retried_without_a_page_request_until_robots_txt_allows_it(tmp_path):
    """Each run has a Fetcher of its own (robots.txt is read once per run and host)."""
    lake = Lake(str(tmp_path / "lake"))
    with FaultServer(routes={}) as server:
        server.routes.update({
            "/robots.txt": sequence([static(b"User-agent: *\nDisallow: /herald/\n", content_type="text/plain")] * 2
                                    + [static(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")]),
            "/herald/feed.xml": static(feed(server.url(""), ("ferry.html",)), content_type="application/rss+xml"),
            "/herald/ferry.html": static(page("ferry"), content_type="text/html"),
        })
        with Fetcher(POLICY) as fetcher:
            poll = P.poll_feed(fetcher, lake, server.url("/herald/feed.xml"), None, DAY1)
            cands, _ = P.select_new_entries([poll], set())
            got = [P.get_article(fetcher, lake, c, DAY1) for c in cands]
        assert [(r.error_class, r.status) for r in got] == [("robots", None)]
        queue, _ = update_queue([], cands, {r.url: r for r in got}, set(), DAY1, RetryPolicy())
        assert queue[0]["next_attempt_at"] == DAY1 + timedelta(days=1)
        assert due_candidates(queue, DAY1 + timedelta(hours=23), set()) == []
        attempts = []
        for now in (DAY1 + timedelta(days=1), DAY1 + timedelta(days=2)):
            retry = due_candidates(queue, now, set())
            with Fetcher(POLICY) as fetcher:
                got = [P.get_article(fetcher, lake, c, now) for c in retry]
            attempts.append(type(got[0]).__name__)
            queue, counts = update_queue(queue, retry, {r.url: r for r in got if isinstance(r, P.ArticleFailure)},
                                         set(), now, RetryPolicy())
        assert attempts == ["ArticleFailure", "RawArticle"] and queue == [] and counts.recovered == 1
        assert len(server.hits("/robots.txt")) == 3 and len(server.hits("/herald/ferry.html")) == 1
