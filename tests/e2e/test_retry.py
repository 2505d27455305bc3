"""Failed pages are retried on later runs even when their feed answers 304 (issue #15), through the CLI.

One feed on the loopback fault server lists three pages: one fails with 500 on the first run
and is served on the second, one always fails with 500, one is 404. The feed answers 304 from
the second run on (its ETag matches), so it lists nothing then: only the queue can bring the
pages back. Three ingests (the third with a give-up time that has passed) and a backfill.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.test_cli import snapshot
from tests.integration.faultserver import FaultServer, sequence, static, status

pytestmark = pytest.mark.slow

PARAGRAPHS = {
    "ferry": ("Ferry timetable changes after the winter storms", [
        "The harbor authority will run the Gull Point ferry every forty minutes instead of every half hour "
        "from Monday, after two storms damaged the landing stage on the north quay.",
        "Repairs to the landing stage are expected to take three weeks. Until they are finished, the ferry "
        "will berth at the old fish market pier, a short walk from the bus station.",
        "Harbor master Lena Okafor said the authority had chosen the longer interval so that crews could "
        "check the temporary mooring lines on every crossing.",
    ]),
    "lighthouse": ("Volunteers repaint the old lighthouse", [
        "Twenty volunteers spent the weekend repainting the red and white bands of the Gull Point "
        "lighthouse, which has not guided ships since 1987 but remains the town's best known landmark.",
        "The paint was donated by a hardware shop on Quay Street. The heritage society says the tower "
        "will open for guided visits again in the spring.",
    ]),
}


def page(key: str) -> bytes:
    title, paragraphs = PARAGRAPHS[key]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><nav>Home | Harbor | Weather</nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Gull Point Herald, a fictional paper</footer></body></html>").encode()


ITEMS = {"ferry.html": "Ferry timetable changes", "lighthouse.html": "Lighthouse repainted",
         "withdrawn.html": "A withdrawn story"}


def feed(base: str, paths=tuple(ITEMS)) -> bytes:
    """The Herald's RSS listing the pages `paths` with short teasers (their pages are fetched)."""
    items = "".join(
        f"<item><title>{ITEMS[path]}</title><link>{base}/herald/{path}</link><guid>{path}</guid>"
        "<pubDate>Sat, 28 Nov 2026 09:00:00 +0000</pubDate><description>Short teaser only.</description></item>"
        for path in paths)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Gull Point Herald</title>'
            f"<link>{base}/herald/</link>{items}</channel></rss>").encode()


def newsflow(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "NEWSFLOW_"))}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=900)


def query(data: Path, sql: str) -> list[dict]:
    res = newsflow("sql", "--data", str(data), "--format", "json", sql)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


def pending(data: Path) -> dict[str, dict]:
    return {r["url"].rsplit("/", 1)[-1]: r for r in query(data, "SELECT * FROM pending_pages")}


def last_run(data: Path) -> dict:
    return query(data, "SELECT * FROM runs WHERE flow = 'ingest' AND status <> 'running' ORDER BY started_at DESC LIMIT 1")[0]


@pytest.fixture(scope="module")
def retried(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with FaultServer(routes={}) as server:
        server.routes.update({
            "/herald/feed.xml": static(feed(server.url("")), content_type="application/rss+xml", etag='"v1"'),
            "/herald/ferry.html": sequence([status(500), static(page("ferry"), content_type="text/html")]),
            "/herald/lighthouse.html": status(500),
            "/herald/withdrawn.html": status(404),
        })
        feeds = data / "feeds.txt"
        feeds.write_text(server.url("/herald/feed.xml") + "  Gull Point Herald\n")
        ingest = ("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private")
        runs, states = [], []
        for env in ({}, {}, {"NEWSFLOW_PAGE_GIVE_UP_DAYS": "0.000001"}):   # the third: given up after 86 ms
            runs.append(newsflow(*ingest, NEWSFLOW_PAGE_RETRY_BASE_MINUTES="0", **env))
            states.append({"pending": pending(data), "run": last_run(data),
                           "articles": query(data, "SELECT url, title, run_id FROM articles"),
                           "feed": query(data, "SELECT last_status, last_http_status FROM feeds")[0]})
        hits = {p: len(server.hits(f"/herald/{p}")) for p in ("ferry.html", "lighthouse.html", "withdrawn.html")}
    return data, runs, states, hits


def test_a_page_that_failed_is_in_articles_after_the_next_run_while_its_feed_answers_304(retried):
    _, runs, states, _ = retried
    assert all(r.returncode == 0 for r in runs), [r.stderr[-2000:] for r in runs]
    first, second = states[0], states[1]
    assert first["articles"] == [] and set(first["pending"]) == {"ferry.html", "lighthouse.html", "withdrawn.html"}
    assert second["feed"] == {"last_status": "unchanged", "last_http_status": 304}
    assert [(a["url"].rsplit("/", 1)[-1], a["title"]) for a in second["articles"]] == [
        ("ferry.html", "Ferry timetable changes after the winter storms")]
    assert "ferry.html" not in second["pending"]
    assert "1 new articles" in runs[1].stdout and "2 failed pages retried, 1 recovered, 0 given up" in runs[1].stdout
    assert {k: second["run"][k] for k in ("pages_retried", "pages_recovered", "pages_given_up", "new_articles")} == {
        "pages_retried": 2, "pages_recovered": 1, "pages_given_up": 0, "new_articles": 1}


def test_a_page_still_failing_stays_queued_with_its_attempts(retried):
    _, _, states, _ = retried
    row = states[1]["pending"]["lighthouse.html"]
    assert (row["attempts"], row["last_error_class"], row["last_http_status"]) == (2, "http_5xx", 500)
    assert row["gave_up_at"] is None and row["next_attempt_at"] is not None
    assert row["first_seen_at"] == states[0]["pending"]["lighthouse.html"]["first_seen_at"]
    assert row["title"] == "Lighthouse repainted" and row["site"] == "Gull Point Herald"


def test_a_404_page_is_given_up_at_once_and_never_fetched_again(retried):
    _, _, states, hits = retried
    row = states[0]["pending"]["withdrawn.html"]
    assert row["attempts"] == 1 and row["gave_up_reason"] == "HTTP 404: the page is gone"
    assert row["gave_up_at"] is not None and row["next_attempt_at"] is None
    assert states[0]["run"]["pages_given_up"] == 1
    assert hits["withdrawn.html"] == 1 and hits["ferry.html"] == 2


def test_a_page_failing_past_the_give_up_time_is_given_up_with_the_reason(retried):
    _, runs, states, hits = retried
    row = states[2]["pending"]["lighthouse.html"]
    assert row["attempts"] == 3 and hits["lighthouse.html"] == 3
    assert row["gave_up_at"] is not None and row["next_attempt_at"] is None
    assert row["gave_up_reason"] == "still failing (http_5xx) 1e-06 days after the first failure (3 attempts)"
    assert "1 failed pages retried, 0 recovered, 1 given up" in runs[2].stdout
    assert states[2]["run"]["pages_given_up"] == 1


def test_a_backfill_replays_the_retried_page(retried):
    data = retried[0]
    before = snapshot(data)
    days = query(data, "SELECT min(fetched_at)::DATE::VARCHAR AS lo, max(fetched_at)::DATE::VARCHAR AS hi FROM captures")[0]
    res = newsflow("backfill", "--data", str(data), "--since", days["lo"], "--until", days["hi"])
    assert res.returncode == 0, res.stderr
    assert "1 new articles" in res.stdout
    assert snapshot(data) == before
    [article] = query(data, "SELECT a.run_id, r.flow FROM articles a JOIN runs r USING (run_id) WHERE r.status = 'ok'")
    assert article["flow"] == "backfill"   # re-derived from the page captured by the retry


# SIGKILLs the run's whole process group (its own session) the moment it would write the queue:
# after its articles, before the queue and the feeds' states.
CRASH_AT_QUEUE_WRITE = """
import os, signal, sys
from tasks.storage import Lake
write = Lake.replace_state
def replace_state(self, spec, table):
    if spec.name == "pending_pages":
        os.killpg(os.getpgid(0), signal.SIGKILL)
    return write(self, spec, table)
Lake.replace_state = replace_state
from flows.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_between_the_articles_and_the_queue_loses_no_page_and_stores_no_article_twice(tmp_path):
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    with FaultServer(routes={}) as server:
        def listing(*paths: str, etag: str):
            return static(feed(server.url(""), paths), content_type="application/rss+xml", etag=etag)

        server.routes.update({
            # Run 1 lists the ferry page; run 2 a new version that adds the lighthouse page.
            "/herald/feed.xml": sequence([listing("ferry.html", etag='"v1"'),
                                          listing("ferry.html", "lighthouse.html", etag='"v2"')]),
            "/herald/ferry.html": sequence([status(500), static(page("ferry"), content_type="text/html")]),
            "/herald/lighthouse.html": sequence([status(500), static(page("lighthouse"), content_type="text/html")]),
        })
        feeds = data / "feeds.txt"
        data.mkdir()
        feeds.write_text(server.url("/herald/feed.xml") + "\n")
        ingest = ("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "NEWSFLOW_"))}
        env.update(PYTHONPATH=str(ROOT), NEWSFLOW_PAGE_RETRY_BASE_MINUTES="0")

        assert newsflow(*ingest, NEWSFLOW_PAGE_RETRY_BASE_MINUTES="0").returncode == 0
        assert set(pending(data)) == {"ferry.html"}
        # Run 2: the ferry page is recovered and stored, the lighthouse page fails for the first
        # time; the run dies before writing the queue and the feed's new state.
        crashed = subprocess.run([sys.executable, "-c", CRASH_AT_QUEUE_WRITE, *ingest], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=900, start_new_session=True)
        assert crashed.returncode == -9, crashed.stderr[-2000:]
        assert set(pending(data)) == {"ferry.html"}   # the queue as run 1 left it
        # Run 3: the feed still has run 1's validators, so it lists the lighthouse page again.
        final = newsflow(*ingest, NEWSFLOW_PAGE_RETRY_BASE_MINUTES="0")
        assert final.returncode == 0, final.stderr[-2000:]
        hits = {p: len(server.hits(f"/herald/{p}")) for p in ("ferry.html", "lighthouse.html")}

    assert hits == {"ferry.html": 2, "lighthouse.html": 2}   # the stored page is not fetched again
    assert sorted(a["url"].rsplit("/", 1)[-1] for a in query(data, "SELECT url FROM articles")) == [
        "ferry.html", "lighthouse.html"]
    stored = pq.read_table(data / "lake" / "articles").column("article_id").to_pylist()
    assert len(stored) == len(set(stored)) == 2                # one row each in the lake, not just in the view
    assert pending(data) == {}
