"""A broken feed, a missing feed and a missing page are recorded and skipped; the rest goes on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tasks import pipeline as P
from tasks.fetch import FetchPolicy, Fetcher
from tasks.storage import Lake

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def fetcher(**kw) -> Fetcher:
    return Fetcher(FetchPolicy(**{"allow_private": True, "connect_timeout": 2, "read_timeout": 5,
                                  "total_timeout": 10, **kw}))


def test_broken_feed_is_a_parse_error_with_backoff(fixture_server, tmp_path):
    with fetcher() as f:
        poll = P.poll_feed(f, Lake(str(tmp_path)), f"{fixture_server.base_url}/broken/feed.xml", None, NOW,
                           retry_base=timedelta(minutes=30), retry_cap=timedelta(hours=24))
    assert poll.status == "failed"
    assert poll.state["last_error_class"] == "parse_error"
    assert poll.state["consecutive_failures"] == 1
    assert poll.state["next_fetch_at"] > NOW


def test_failing_feed_is_slowed_not_dropped(fixture_server, tmp_path):
    url = f"{fixture_server.base_url}/nowhere/feed.xml"
    lake = Lake(str(tmp_path))
    with fetcher() as f:
        first = P.poll_feed(f, lake, url, None, NOW)
        skipped = P.poll_feed(f, lake, url, first.state, NOW + timedelta(minutes=1))
        later = P.poll_feed(f, lake, url, first.state, first.state["next_fetch_at"] + timedelta(seconds=1))
    assert first.state["last_error_class"] == "http_4xx"
    assert skipped.status == "skipped" and skipped.state["consecutive_failures"] == 1
    assert later.status == "failed" and later.state["consecutive_failures"] == 2
    assert later.state["next_fetch_at"] - first.state["next_fetch_at"] > timedelta(minutes=30)


def test_missing_page_is_recorded_and_the_others_land(fixture_server, tmp_path):
    lake = Lake(str(tmp_path))
    with fetcher() as f:
        poll = P.poll_feed(f, lake, f"{fixture_server.base_url}/riverside-courier/feed.xml", None, NOW)
        cands, _ = P.select_new_entries([poll], set())
        results = [P.get_article(f, lake, c, NOW) for c in cands]
        log = f.fetch_log()
    failures = [r for r in results if isinstance(r, P.ArticleFailure)]
    assert [(r.url.rsplit("/", 1)[-1], r.error_class) for r in failures] == [("gone.html", "http_4xx")]
    landed = [r for r in results if isinstance(r, P.RawArticle)]
    assert len(landed) == 2
    assert {r.canonical_url.rsplit("/", 1)[-1] for r in landed} == {"ferry-timetable.html", "library-reopens.html"}
    assert any(row["url"].endswith("gone.html") and row["status"] == 404 for row in log)


def test_loopback_is_refused_without_allow_private(fixture_server, tmp_path):
    with Fetcher(FetchPolicy(allow_private=False, connect_timeout=2)) as f:
        poll = P.poll_feed(f, Lake(str(tmp_path)), f"{fixture_server.base_url}/riverside-courier/feed.xml", None, NOW)
    assert poll.status == "failed"
    assert poll.state["last_error_class"] == "blocked_private"
