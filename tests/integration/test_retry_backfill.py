"""A page retried on a later day than its listing is replayed by a backfill of that later day.

The ingest stages run in-process with an explicit clock (as flows/ingest.py chains them) on the
loopback fault server: the feed is captured at 23:50 on one day, its page fails then and is
retried and captured at 00:10 the next day. A backfill of the second day alone must find the
listing through the page's capture.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from flows.backfill import replay_window
from schemas.tables import CAPTURES, FEEDS
from tasks import pipeline as P
from tasks.fetch import FetchPolicy, Fetcher
from tasks.pending import RetryPolicy, due_candidates, update_queue
from tasks.storage import Lake
from tests.e2e.test_retry import feed, page
from tests.integration.faultserver import FaultServer, sequence, static, status

POLICY = FetchPolicy(allow_private=True, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
DAY1 = datetime(2026, 11, 28, 23, 50, tzinfo=timezone.utc)
DAY2 = datetime(2026, 11, 29, 0, 10, tzinfo=timezone.utc)


def write_captures(lake: Lake, captures: list[dict], run_id: str) -> None:
    lake.append(CAPTURES, pa.Table.from_pylist([{**c, "run_id": run_id} for c in captures], schema=CAPTURES.schema),
                partition_values=[c["fetched_at"].date().isoformat() for c in captures], name=run_id)


def test_a_backfill_of_the_retry_day_replays_a_page_listed_the_day_before(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    with FaultServer(routes={}) as server, Fetcher(POLICY) as fetcher:
        server.routes.update({
            "/herald/feed.xml": static(feed(server.url("")), content_type="application/rss+xml"),
            "/herald/ferry.html": sequence([status(503), static(page("ferry"), content_type="text/html")]),
            "/herald/lighthouse.html": static(page("lighthouse"), content_type="text/html"),
            "/herald/withdrawn.html": status(404),
        })
        # Day 1: the feed is captured; the ferry page fails, the lighthouse page is stored.
        poll = P.poll_feed(fetcher, lake, server.url("/herald/feed.xml"), None, DAY1, site="Gull Point Herald")
        cands, _ = P.select_new_entries([poll], set())
        got = [P.fetch_article(fetcher, lake, c, DAY1) for c in cands]
        write_captures(lake, [poll.capture] + [r.capture for r in got if isinstance(r, P.FetchedPage)], "run1")
        lake.replace_state(FEEDS, pa.Table.from_pylist([poll.state], schema=FEEDS.schema))   # the feed's site for backfills
        failures = {r.url: r for r in got if isinstance(r, P.ArticleFailure)}
        assert sorted(f.rsplit("/", 1)[-1] for f in failures) == ["ferry.html", "withdrawn.html"]
        queue, _ = update_queue([], cands, failures, set(), DAY1, RetryPolicy())
        # Day 2: the feed is not fetched again; the queue brings the ferry page back.
        retry = due_candidates(queue, DAY2, set())
        assert [c.entry.url.rsplit("/", 1)[-1] for c in retry] == ["ferry.html"]
        [fetched] = [P.fetch_article(fetcher, lake, c, DAY2) for c in retry]
        assert isinstance(P.extract_fetched(fetched), P.RawArticle)
        write_captures(lake, [fetched.capture], "run2")

    out, entries, failures = replay_window(lake, "2026-11-29", "2026-11-29")
    assert [(r.url.rsplit("/", 1)[-1], r.title, r.raw_sha256, r.fetched_at) for r in out] == [
        ("ferry.html", "Ferry timetable changes after the winter storms", fetched.capture["sha256"], DAY2)]
    assert out[0].candidate.feed_sha256 == poll.capture["sha256"] and out[0].candidate.site == "Gull Point Herald"
    assert entries == 1 and failures == 0   # only the page captured in the window is replayed
    # The day before holds the listing and the lighthouse page, not the ferry page.
    assert [r.url.rsplit("/", 1)[-1] for r in replay_window(lake, "2026-11-28", "2026-11-28")[0]] == ["lighthouse.html"]


def test_captures_written_before_the_listing_column_still_replay(tmp_path):
    """Manifests written by earlier versions lack captures.feed_sha256: they read as null."""
    lake = Lake(str(tmp_path / "lake"))
    old = pa.schema([f for f in CAPTURES.schema if f.name != "feed_sha256"])
    row = {"sha256": "ab" * 32, "url": "http://127.0.0.1/x.html", "kind": "page", "feed_url": "http://127.0.0.1/f.xml",
           "content_type": "text/html", "n_bytes": 1, "fetched_at": DAY2, "run_id": "old"}
    lake.write_file("captures/fetched_date=2026-11-29/old.parquet", pa.Table.from_pylist([row], schema=old))
    assert pq.read_schema(str(tmp_path / "lake/captures/fetched_date=2026-11-29/old.parquet")).names == old.names
    t = lake.read_table("captures", schema=CAPTURES.schema)
    assert t.column("feed_sha256").to_pylist() == [None]
    assert replay_window(lake, "2026-11-29", "2026-11-29") == ([], 0, 0)   # a page with no listing: nothing to derive
