"""One ingest batch, without Prefect, against every fault of issue 4 at once.

Healthy feeds (two bundled sample feeds, a small site of our own, a feed with a wrong
declared charset and one with 10,000 entries) are polled in the same batch as feeds that
hang, fail, loop, bomb, lie or reset, through the stage functions of tasks.pipeline and one
real Fetcher, the way flows/ingest.py chains them. The batch runs once per module; each test
checks one thing a user would notice: it ends in bounded time, every failure is in the
`feeds` table with its class, every healthy article lands, failing links are recorded, and
memory stays bounded.
"""
from __future__ import annotations

import concurrent.futures
import ipaddress
import resource
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from flows.settings import Settings
from schemas.tables import ARTICLES, FEEDS
from tasks import pipeline as P
from tasks.dedup import StoryIndex
from tasks.fetch import FetchPolicy, Fetcher
from tasks.storage import Lake
from tests.conftest import SAMPLE
from tests.integration.faultserver import (
    ALL_PATHS,
    BILLION_LAUGHS,
    HTML_PAGE,
    MALFORMED_XML,
    WRONG_CHARSET,
    FaultServer,
    endless,
    gzip_bomb,
    hang,
    redirect,
    reset_mid_body,
    static,
    status,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
# Timeouts long enough for the healthy servers to answer on a loaded machine (they run in this
# process, sharing the GIL with the 8 fetching threads: at a 1 s read timeout a healthy page timed
# out at a load average of ~20), short enough that the hanging fetches (5-10 s, in parallel)
# keep the batch quick.
POLICY = FetchPolicy(
    allow_private=True,  # every server here is on loopback
    connect_timeout=5.0,
    read_timeout=5.0,
    total_timeout=10.0,
    max_feed_bytes=4 * 2**20,   # the 10,000-entry feed is ~3 MiB; the bombs are 128-256 MiB
    max_page_bytes=512 * 1024,
    max_retry_after=2.0,
)
WORKERS = 8            # threads, like the flow's task runner mapping polls and page batches
N_BIG = 10_000
# Measured on a 2-core machine: the whole batch took 8-14 s with 1-3 s timeouts on a quiet machine
# (the 10,000-entry feed is ~6 s of CPU), and 72 s at a load average of ~20 (polls 30 s, cleaning
# and storing 37 s: CPU stretches with load). So this bound only catches a stall of minutes; that
# no request waits beyond its deadline is asserted per request, and that the fetches run side by
# side by the most requests the fault server had in flight at once.
MAX_BATCH_SECONDS = 300
LATE_WAKEUP_SECONDS = 10.0   # how late a thread may wake on a loaded machine, at most
# Measured peak RSS growth of the batch: 115-135 MiB (feedparser on the 10,000-entry feed
# dominates; the bombs stay near their 4 MiB cap). Issue 4 asks for "well under 2 GB".
MAX_PEAK_MIB = 400

# (path, expected feeds.last_error_class, expected last_http_status)
FAULT_FEEDS = {
    "/faults/hang.xml": ("timeout", None),
    "/faults/500.xml": ("http_5xx", 500),
    "/faults/404.xml": ("http_4xx", 404),
    "/faults/410.xml": ("http_4xx", 410),
    "/faults/429.xml": ("http_4xx", 429),
    "/faults/loop/a.xml": ("redirect_loop", 302),
    "/faults/endless.xml": ("too_large", 200),
    "/faults/gzip-bomb.xml": ("too_large", 200),
    "/faults/malformed.xml": ("parse_error", 200),
    "/faults/billion-laughs.xml": ("parse_error", 200),
    "/faults/html-page.xml": ("not_a_feed", 200),
    "/faults/reset.xml": ("network", 200),
    "/faults/empty.xml": ("not_a_feed", 200),
}
# Failures decided by the fetcher (also visible in the `fetches` log), not by the feed parser.
FETCH_LEVEL = {path for path, (cls, _) in FAULT_FEEDS.items()
               if cls not in ("parse_error", "not_a_feed")}
CHAINS = {"/faults/loop/a.xml": ("/faults/loop/a.xml", "/faults/loop/b.xml")}
# Article links of the Gull Point Herald that fail, and how.
FAILING_LINKS = {
    "/herald/2026/11/ferry-inquiry-live.html": "timeout",
    "/herald/2026/11/withdrawn-story.html": "http_4xx",
    "/herald/2026/11/photo-archive.html": "too_large",
}


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>"
            f"<body><nav>Home | Harbor | Weather</nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Gull Point Herald, a fictional paper</footer></body></html>").encode()


HERALD_PAGES = {
    "/herald/2026/11/breakwater-repairs.html": page("Breakwater repairs start before the winter storms", [
        "Crews began repairing the Gull Point breakwater on Monday, two weeks earlier than planned, "
        "after the harbor board warned that a cracked section could give way in the first big swell.",
        "The work will close the northern walkway until the end of the month. Fishing boats can still "
        "use the inner harbor, but the board asked skippers to keep clear of the crane barge.",
        "Board chair Edith Morrow said the repairs would cost about 410,000 dollars, most of it from "
        "a state resilience grant awarded last spring.",
    ]),
    "/herald/2026/11/school-garden-harvest.html": page("School garden sends its first harvest to the food bank", [
        "Pupils at Gull Point Elementary delivered forty kilos of squash, beans and kale to the town "
        "food bank on Friday, the first harvest of a garden they planted in April.",
        "Teacher Marcus Leone said the class weighed every basket and wrote the totals on a chart "
        "in the hallway. The food bank plans to hand out the vegetables next week.",
        "The garden will be covered with straw for the winter and replanted in March.",
    ]),
}
HERALD_FULL_TEXT = (
    "<p>The Gull Point library will stay open until nine on weekday evenings from December, "
    "the town council decided on Tuesday after a petition signed by 600 residents.</p>"
    "<p>Librarian Nadia Ferris said the extra hours would be covered by two part-time posts "
    "funded for a trial year.</p>"
)
CAFE_PAGE = page("A new cafe opens on the quay", [
    "A cafe opened on the Gull Point quay on Saturday in the old net shed, which had stood empty "
    "since the cannery closed.",
    "The owners said the cafe will open daily from seven, and that fishermen coming off the "
    "morning boats get their first coffee free.",
])


def herald_feed(base: str) -> bytes:
    items = []
    for path, title in [("/herald/2026/11/breakwater-repairs.html", "Breakwater repairs start"),
                        ("/herald/2026/11/school-garden-harvest.html", "School garden harvest"),
                        *((p, "A link that fails") for p in FAILING_LINKS)]:
        items.append(f"<item><title>{title}</title><link>{base}{path}</link><guid>{path}</guid>"
                     "<pubDate>Sat, 21 Nov 2026 09:00:00 +0000</pubDate>"
                     "<description>Short teaser only.</description></item>")
    items.append(f"<item><title>Library opens late on weekdays</title><link>{base}/herald/2026/11/library-hours.html"
                 "</link><guid>library-hours</guid><pubDate>Sun, 22 Nov 2026 08:00:00 +0000</pubDate>"
                 f"<content:encoded><![CDATA[{HERALD_FULL_TEXT}]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Gull Point Herald</title><link>{base}/herald/</link>{''.join(items)}"
            "</channel></rss>").encode()


TIDE_WORDS = "ferry council harbor tide lantern gull pier ledger dune kelp beacon channel".split()


def tide_feed(base: str, n: int) -> bytes:
    """A valid feed with n full-text entries (so no page fetch per entry), ~300 bytes each."""
    items = []
    for i in range(n):
        words = " ".join(TIDE_WORDS[(i * 7 + j * 3) % len(TIDE_WORDS)] for j in range(12))
        items.append(f"<item><title>Tide note {i}</title><link>{base}/tides/{i}.html</link><guid>tide-{i}</guid>"
                     f"<pubDate>Sat, 21 Nov 2026 {i % 24:02d}:00:00 +0000</pubDate>"
                     f"<content:encoded><![CDATA[<p>Tide note {i}: {words}.</p>]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Tide Tables</title><link>{base}/tides/</link>{''.join(items)}</channel></rss>").encode()


def fault_routes(base: str, sample_server) -> dict:
    routes = {
        "/faults/hang.xml": hang(),
        "/faults/500.xml": status(500),
        "/faults/404.xml": status(404),
        "/faults/410.xml": status(410),
        "/faults/429.xml": status(429, headers={"Retry-After": "1"}),
        "/faults/loop/a.xml": redirect("/faults/loop/b.xml"),
        "/faults/loop/b.xml": redirect("/faults/loop/a.xml"),
        "/faults/endless.xml": endless(),
        "/faults/gzip-bomb.xml": gzip_bomb(),
        "/faults/malformed.xml": static(MALFORMED_XML, content_type="application/rss+xml"),
        "/faults/billion-laughs.xml": static(BILLION_LAUGHS, content_type="application/rss+xml"),
        "/faults/html-page.xml": static(HTML_PAGE, content_type="application/rss+xml"),
        "/faults/reset.xml": reset_mid_body(),
        "/faults/empty.xml": static(b"", content_type="application/rss+xml"),
        # Healthy: the charset lie is survivable, the 10,000 entries are just many.
        "/faults/wrong-charset.xml": static(WRONG_CHARSET, content_type="application/rss+xml; charset=utf-8"),
        "/article/cafe": static(CAFE_PAGE, content_type="text/html; charset=utf-8"),
        "/tides/feed.xml": static(tide_feed(base, N_BIG), content_type="application/rss+xml"),
        "/herald/feed.xml": static(herald_feed(base), content_type="application/rss+xml"),
        "/herald/2026/11/ferry-inquiry-live.html": hang(),
        "/herald/2026/11/withdrawn-story.html": status(404),
        "/herald/2026/11/photo-archive.html": endless(),
    }
    for path, body in HERALD_PAGES.items():
        routes[path] = static(body, content_type="text/html; charset=utf-8")
    # Two bundled sample feeds, served from here; their articles live on the sample server.
    for name, rel in (("harbor-gazette", "harbor-gazette/feed.xml"), ("coastline-daily", "coastline-daily/rss.xml")):
        rendered = sample_server.render((SAMPLE / "sites" / rel).read_text(encoding="utf-8")).encode()
        routes[f"/sample/{name}.xml"] = static(rendered, content_type="application/rss+xml")
    return routes


HEALTHY_FEEDS = {  # path -> entries it lists
    "/sample/harbor-gazette.xml": 9,
    "/sample/coastline-daily.xml": 8,
    "/herald/feed.xml": 2 + len(FAILING_LINKS) + 1,
    "/faults/wrong-charset.xml": 1,
    "/tides/feed.xml": N_BIG,
}


# -- memory ------------------------------------------------------------------------------------
def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    hwm = _status_mib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the batch ---------------------------------------------------------------------------------
@dataclass
class Batch:
    base: str
    polls: dict[str, P.FeedPoll]
    results: list
    articles_written: int
    feeds_table: dict[str, dict]
    fetch_log: list[dict]
    seconds: float
    stage_seconds: dict[str, float]
    peak_growth_mib: float
    peak_in_flight: int
    server: FaultServer


def run_batch(fetcher: Fetcher, lake: Lake, feed_urls: list[str]) -> tuple[dict, list, int, dict[str, float]]:
    """Poll, select, fetch pages, clean, group and store, as flows/ingest.py does (minus Prefect)."""
    marks = {}
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        polls = list(pool.map(lambda u: P.poll_feed(fetcher, lake, u, None, NOW), feed_urls))
        marks["poll"] = time.monotonic() - t
        cands, _ = P.select_new_entries(polls, P.known_article_ids(lake))
        batches = P.page_batches(cands, Settings.page_batch, Settings.per_host_concurrency)
        results = [r for batch in pool.map(lambda b: [P.get_article(fetcher, lake, c, NOW) for c in b], batches)
                   for r in batch]
        marks["articles"] = time.monotonic() - t - marks["poll"]
    t2 = time.monotonic()
    raws = P.dedupe_by_canonical([r for r in results if isinstance(r, P.RawArticle)], set())
    batch, _, _ = P.clean_articles(raws, {})
    stories = P.assign_stories(StoryIndex.from_arrow(None), batch.docs)
    written = 0
    for table, parts in P.articles_tables(batch, stories, "faults-run", {"extractor": "test", "cleaner": "test"}, 500):
        lake.append(ARTICLES, table, partition_values=parts)
        written += table.num_rows
    lake.replace_state(FEEDS, pa.Table.from_pylist([p.state for p in polls], schema=FEEDS.schema))
    marks["clean+store"] = time.monotonic() - t2
    return {p.feed_url: p for p in polls}, results, written, marks


@pytest.fixture(scope="module")
def loopback_only():
    """Safety net for the whole module: a connection beyond loopback fails instead of leaving."""
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"test refused a non-loopback connection to {address}")
        return real(address, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "create_connection", guarded)
        yield


@pytest.fixture(scope="module")
def batch(loopback_only, sample_server, tmp_path_factory):
    server = FaultServer(routes={}, max_seconds=60.0).start()   # a hung request outlasts any bound below
    try:
        server.routes.update(fault_routes(server.base_url, sample_server))
        feed_urls = [server.url(p) for p in [*FAULT_FEEDS, *HEALTHY_FEEDS]]
        lake = Lake(str(tmp_path_factory.mktemp("lake")))
        baseline = _status_mib("VmRSS") or peak_rss_mib()
        reset_peak_rss()
        started = time.monotonic()
        with Fetcher(POLICY) as fetcher:
            polls, results, written, marks = run_batch(fetcher, lake, feed_urls)
            log = fetcher.fetch_log()
        seconds = time.monotonic() - started
        growth = peak_rss_mib() - baseline
        feeds_t = lake.read_table("feeds", schema=FEEDS.schema)
        feeds_table = {r["feed_url"]: r for r in feeds_t.to_pylist()}
        print(f"\nfault batch: {seconds:.1f} s {({k: round(v, 1) for k, v in marks.items()})}, "
              f"peak RSS growth {growth:.0f} MiB (baseline {baseline:.0f} MiB)")
        yield Batch(server.base_url, polls, results, written, feeds_table, log, seconds, marks, growth,
                    server.peak_in_flight(ALL_PATHS), server)
    finally:
        server.stop()


# -- assertions ------------------------------------------------------------------------------
def test_batch_finishes_in_bounded_time(batch):
    assert batch.seconds < MAX_BATCH_SECONDS, batch.stage_seconds
    # No single request outlived the fetch deadline, whatever the server did (with room for a
    # loaded machine's late wake-ups: far less than the 60 s a hung request would take).
    slowest = max(batch.fetch_log, key=lambda row: row["ms"])
    assert slowest["ms"] <= (POLICY.total_timeout + LATE_WAKEUP_SECONDS) * 1000, slowest
    # The fetches overlapped (a hanging feed holds its request for the 5 s read timeout meanwhile).
    assert batch.peak_in_flight >= 2


@pytest.mark.parametrize(("path", "error_class", "http_status"),
                         [(p, c, s) for p, (c, s) in FAULT_FEEDS.items()], ids=list(FAULT_FEEDS))
def test_fault_feed_is_recorded_with_its_class(batch, path, error_class, http_status):
    row = batch.feeds_table[batch.base + path]
    assert (row["last_status"], row["last_error_class"]) == ("failed", error_class), row["last_error"]
    assert row["last_http_status"] == http_status
    assert row["last_error"]
    # Slowed, never dropped: one failure counted, and a retry time in the future.
    assert row["consecutive_failures"] == 1
    assert row["next_fetch_at"] > NOW
    assert row["last_ok_at"] is None and row["n_entries"] is None


@pytest.mark.parametrize("path", sorted(FETCH_LEVEL))
def test_fetch_level_faults_are_in_the_fetch_log(batch, path):
    # A redirect chain is one row per hop; the verdict is on the hop that closed the loop.
    chain = {batch.base + p for p in CHAINS.get(path, (path,))}
    rows = [r for r in batch.fetch_log if r["url"] in chain]
    assert rows and rows[-1]["error_class"] == FAULT_FEEDS[path][0], rows


def test_rate_limited_feed_was_retried_once_after_retry_after(batch):
    hits = batch.server.hits("/faults/429.xml")
    assert len(hits) == 2
    assert hits[1].started_at - hits[0].started_at >= 0.9


def test_bombs_were_cut_off_near_the_cap(batch):
    for path in ("/faults/endless.xml", "/faults/gzip-bomb.xml"):
        row = [r for r in batch.fetch_log if r["url"] == batch.base + path][-1]
        # Wire bytes read: the endless body stops within a chunk or two of the cap; the bomb
        # is small on the wire, its 128 MiB of zeros were never inflated past the cap.
        assert row["bytes"] <= POLICY.max_feed_bytes + 2**20, row


@pytest.mark.parametrize(("path", "n_entries"), list(HEALTHY_FEEDS.items()), ids=list(HEALTHY_FEEDS))
def test_healthy_feed_is_fully_processed(batch, path, n_entries):
    url = batch.base + path
    poll = batch.polls[url]
    row = batch.feeds_table[url]
    assert (row["last_status"], row["last_error_class"], row["consecutive_failures"]) == ("ok", None, 0)
    assert row["n_entries"] == n_entries == len(poll.entries)
    landed = {r.url for r in batch.results if isinstance(r, P.RawArticle) and r.candidate.feed_url == url}
    expected = {e.url for e in poll.entries} - {batch.base + p for p in FAILING_LINKS}
    assert landed == expected
    assert all(P.unpack_text(r.text).strip() for r in batch.results
               if isinstance(r, P.RawArticle) and r.candidate.feed_url == url)


def test_every_landed_article_is_stored(batch):
    landed = [r for r in batch.results if isinstance(r, P.RawArticle)]
    assert batch.articles_written == len(landed) == sum(HEALTHY_FEEDS.values()) - len(FAILING_LINKS)


def test_wrong_charset_feed_keeps_its_accents(batch):
    poll = batch.polls[batch.base + "/faults/wrong-charset.xml"]
    assert poll.state["title"] == "Café Chronicle"
    assert poll.entries[0].title == "The \u201cnew\u201d café opens"


def test_failing_article_links_are_recorded_with_their_class(batch):
    failures = {r.url: r for r in batch.results if isinstance(r, P.ArticleFailure)}
    assert {u.removeprefix(batch.base): f.error_class for u, f in failures.items()} == FAILING_LINKS
    assert all(f.feed_url == batch.base + "/herald/feed.xml" and f.error for f in failures.values())


def test_peak_memory_stays_bounded(batch):
    assert batch.peak_growth_mib < MAX_PEAK_MIB


def test_backoff_grows_for_a_feed_that_keeps_failing(batch, tmp_path):
    """Polled again once due, the still-failing feed is retried and pushed further out."""
    url = batch.base + "/faults/500.xml"
    first = batch.feeds_table[url]
    due = first["next_fetch_at"] + timedelta(seconds=1)
    with Fetcher(POLICY) as fetcher:
        again = P.poll_feed(fetcher, Lake(str(tmp_path)), url, first, due)
    assert (again.status, again.state["consecutive_failures"]) == ("failed", 2)
    assert again.state["next_fetch_at"] - due > first["next_fetch_at"] - NOW
