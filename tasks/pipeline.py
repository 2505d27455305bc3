"""The ingest stages as plain functions over the stage modules (no Prefect, no clock: `now` is passed in)."""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import itertools
import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import ARTICLES, NLP_DOCS
from tasks.budget import CpuBudget, CpuBudgetExceeded
from tasks.clean import clean_page, furniture_of_pages, page_furniture_keys, site_title_keys
from tasks.dedup import Shingler, Signature, StoryDoc, StoryIndex, canonicalize_url, content_hash
from tasks.extract import ExtractionError, extract_article, html_fragment_to_text
from tasks.feeds import FeedEntry, FeedParseError, parse_feed
from tasks.fetch import Fetcher, FetchPolicy, next_fetch_at
from tasks.lang import choose_language, language_identifier, primary
from tasks.nlp import Analysis, entity_counts, release_memory
from tasks.raw import put_raw
from tasks.sites import site_key
from tasks.storage import Lake

FUTURE_SLACK = timedelta(days=1)


def text_hash(text: str) -> str:
    """Hash of the exact text (NLP offsets are only valid for the very text they were computed on)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:32]


def article_id_for(canonical_url: str) -> str:
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def same_site(a: str, b: str) -> bool:
    ha, hb = urlsplit(a).netloc.lower().removeprefix("www."), urlsplit(b).netloc.lower().removeprefix("www.")
    return ha == hb


# -- feeds -----------------------------------------------------------------------------
@dataclass
class FeedPoll:
    """What polling one feed gave: its new state and the entries it lists."""

    feed_url: str
    status: str                          # ok | unchanged | failed | skipped
    state: dict                          # the feed's row in the `feeds` table after this poll
    site: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    capture: dict | None = None          # a `captures` row for the feed document


def poll_feed(fetcher: Fetcher, lake: Lake, feed_url: str, previous: dict | None, now: datetime, *,
              site: str | None = None, retry_base: timedelta = timedelta(minutes=30),
              retry_cap: timedelta = timedelta(hours=24), respect_backoff: bool = True) -> FeedPoll:
    """Fetch and parse one feed (conditional GET), store the raw document, and return its poll.

    `site` is the site the feed list names for the feed; without one, the site is that of the
    feed's own link (its channel link, from this poll or the last good one), else of its URL.
    The site is worked out again on every poll, so a change in the feed list shows at once.
    """
    prev = dict(previous or {})
    state = {
        "feed_url": feed_url, "title": prev.get("title"), "link": prev.get("link"), "site": None,
        "last_status": None, "last_http_status": None, "last_error_class": None, "last_error": None,
        "last_fetched_at": now, "last_ok_at": prev.get("last_ok_at"), "etag": prev.get("etag"),
        "last_modified": prev.get("last_modified"), "body_sha256": prev.get("body_sha256"),
        "consecutive_failures": prev.get("consecutive_failures") or 0, "next_fetch_at": None,
        "n_entries": prev.get("n_entries"),
    }

    def poll(status: str, entries: list[FeedEntry] | None = None, capture: dict | None = None) -> FeedPoll:
        state["site"] = site or feed_site(feed_url, state["link"])
        return FeedPoll(feed_url, status, state, state["site"], entries or [], capture)

    due = prev.get("next_fetch_at")
    if respect_backoff and state["consecutive_failures"] and due is not None and due > now:
        state.update(last_status="skipped", last_fetched_at=prev.get("last_fetched_at"), next_fetch_at=due,
                     last_error_class=prev.get("last_error_class"), last_error=prev.get("last_error"))
        return poll("skipped")

    res = fetcher.fetch(feed_url, kind="feed", etag=prev.get("etag"), last_modified=prev.get("last_modified"),
                        previous_sha256=prev.get("body_sha256"))
    state["last_http_status"] = res.status

    def failed(error_class: str, error: str) -> FeedPoll:
        n = state["consecutive_failures"] + 1
        state.update(last_status="failed", last_error_class=error_class, last_error=error,
                     consecutive_failures=n, next_fetch_at=next_fetch_at(n, now, base=retry_base, cap=retry_cap))
        return poll("failed")

    if res.error_class:
        return failed(res.error_class, res.error or res.error_class)
    if res.not_modified:
        state.update(last_status="unchanged", last_ok_at=now, consecutive_failures=0)
        return poll("unchanged")
    body = res.body or b""
    try:
        parsed = parse_feed(body, res.final_url or feed_url, content_type=res.headers.get("content-type"))
    except FeedParseError as e:
        return failed(e.error_class, str(e))
    sha = put_raw(lake, body)
    capture = {"sha256": sha, "url": feed_url, "kind": "feed", "feed_url": feed_url,
               "content_type": res.headers.get("content-type"), "n_bytes": len(body), "fetched_at": now}
    state.update(last_status="ok", title=parsed.title or prev.get("title"), link=parsed.link, last_ok_at=now,
                 etag=res.etag, last_modified=res.last_modified, body_sha256=res.body_sha256,
                 consecutive_failures=0, n_entries=len(parsed.entries))
    return poll("ok", list(parsed.entries), capture)


def feed_site(feed_url: str, link: str | None) -> str:
    """The site of a feed no feed list names: that of its own link to its site, else of its URL.

    The link matters for feeds served from elsewhere (feeds.bbci.co.uk for bbc.co.uk).
    """
    return site_key(link) if link and link.startswith(("http://", "https://")) else site_key(feed_url)


def replay_feed(lake: Lake, capture: dict, site: str | None = None) -> FeedPoll:
    """A FeedPoll rebuilt from a raw feed capture (backfills: no network).

    `site` is the feed's site as the last ingest stored it (the feed list's name, if any);
    without one, the site comes from the captured document as in poll_feed.
    """
    from tasks.raw import get_raw

    url = capture["feed_url"] or capture["url"]
    state = {"feed_url": url}
    try:
        parsed = parse_feed(get_raw(lake, capture["sha256"]), capture["url"], content_type=capture.get("content_type"))
    except (FeedParseError, FileNotFoundError, ValueError) as e:
        state.update(last_status="failed", last_error_class="replay_error", last_error=str(e))
        return FeedPoll(url, "failed", state, site or site_key(url))
    return FeedPoll(url, "ok", state, site or feed_site(url, parsed.link), list(parsed.entries), dict(capture))


# -- entries -> candidates ----------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """A feed entry not seen before, with the ids it will be stored under."""

    article_id: str
    canonical_url: str
    entry: FeedEntry
    feed_url: str
    site: str
    feed_sha256: str | None = None       # raw capture of the feed document that listed it

    def without_html(self) -> Candidate:
        """This candidate without its entry's HTML: all that is kept once the text is taken from it."""
        return dataclasses.replace(self, entry=dataclasses.replace(self.entry, summary_html=None, content_html=None))


def _entry_ids(poll: FeedPoll) -> Iterator[tuple[FeedEntry, str, str]]:
    """(entry, canonical URL, article id) of each of the poll's entries whose link canonicalizes."""
    for entry in poll.entries:
        try:
            canon = canonicalize_url(entry.url)
        except ValueError:   # e.g. a port out of range: one bad link must not stop the run
            continue
        yield entry, canon, article_id_for(canon)


def has_new_entry(poll: FeedPoll, known_ids: set[str]) -> bool:
    """Whether the poll lists an article not in `known_ids` (select_new_entries would take one)."""
    return any(aid not in known_ids for _, _, aid in _entry_ids(poll))


def select_new_entries(polls: Sequence[FeedPoll], known_ids: set[str]) -> tuple[list[Candidate], int]:
    """New entries across all polls, each article once (first feed wins). Returns (candidates, entries seen)."""
    seen = set(known_ids)
    out: list[Candidate] = []
    n = sum(len(poll.entries) for poll in polls)
    for poll in polls:
        for entry, canon, aid in _entry_ids(poll):
            if aid in seen:
                continue
            seen.add(aid)
            out.append(Candidate(aid, canon, entry, poll.feed_url, poll.site,
                                 poll.capture["sha256"] if poll.capture else None))
    return out, n


def page_batches(cands: Sequence[Candidate], size: int, per_host: int = 1) -> list[list[Candidate]]:
    """The candidates in batches, one host per batch, hosts taken in turn.

    Each host's candidates are split into at least `per_host` batches (the connections its
    politeness limit allows at once, which separate threads can then use) of at most `size`.
    Hosts are taken in turn (each host's first batch, then each host's second, ...), so that
    threads running the batches work on different hosts at once.
    """
    by_host: dict[str, list[Candidate]] = {}
    for c in cands:
        by_host.setdefault(urlsplit(c.entry.url).netloc, []).append(c)
    per_host_batches = []
    for _, group in sorted(by_host.items()):
        n = min(size, max(1, -(-len(group) // max(1, per_host))))
        per_host_batches.append([group[i:i + n] for i in range(0, len(group), n)])
    return [b for wave in itertools.zip_longest(*per_host_batches) for b in wave if b is not None]


# -- article text --------------------------------------------------------------------------
@dataclass
class RawArticle:
    """An article's text and metadata before cleaning."""

    candidate: Candidate
    url: str
    canonical_url: str
    text: str | bytes    # bytes: packed (pack_text), as fetching makes them
    title: str | None
    author: str | None
    published_at: datetime | None
    published_source: str
    language: str | None
    text_source: str
    fetched_at: datetime
    raw_sha256: str | None
    language_source: str | None = None   # where `language` was declared: page or feed (None: nowhere)


def pack_text(text: str) -> bytes:
    """A raw text as a run holds it until cleaning: zlib-compressed UTF-8, level 1 (on 3,000
    testbed texts 1.7 times smaller than UTF-8, 65 MB/s on one loaded core). As Python strings a
    text takes two bytes a character once it holds one curly quote, and a run held them all from
    its fetches until each site's cleaning began."""
    return zlib.compress(text.encode("utf-8"), 1)


def unpack_text(text: str | bytes) -> str:
    return zlib.decompress(text).decode("utf-8") if isinstance(text, bytes) else text


@dataclass(frozen=True)
class ArticleFailure:
    url: str
    feed_url: str
    error_class: str
    error: str
    status: int | None = None            # HTTP status, when the server answered


def pick_published(page: datetime | None, feed: datetime | None, fetched: datetime) -> tuple[datetime, str]:
    """Page date, else feed date, else the fetch time; dates over a day in the future are not believed."""
    for value, source in ((page, "page"), (feed, "feed")):
        if value is not None and value <= fetched + FUTURE_SLACK:
            return value, source
    return fetched, "fetch"


@dataclass
class FetchedPage:
    """An article page fetched and captured, not yet extracted (extraction is CPU work for a pool)."""

    candidate: Candidate
    url: str
    body: bytes
    fetched_at: datetime
    capture: dict


def fetch_article(fetcher: Fetcher, lake: Lake, cand: Candidate, now: datetime
                  ) -> RawArticle | FetchedPage | ArticleFailure:
    """The feed's full content as an article when the entry has it, else the page fetched and captured.

    What it returns holds the candidate without its entry's HTML (a run holds thousands).
    """
    e = cand.entry
    text = html_fragment_to_text(e.content_html) if e.content_html else ""
    cand = cand.without_html()
    if text.strip():
        published, source = pick_published(None, e.published_at, now)
        return RawArticle(cand, e.url, cand.canonical_url, pack_text(text), e.title, e.author, published, source,
                          e.language, "feed", now, cand.feed_sha256, language_source="feed" if e.language else None)
    res = fetcher.fetch(e.url, kind="page")
    if res.error_class:
        return ArticleFailure(e.url, cand.feed_url, res.error_class, res.error or res.error_class, res.status)
    body = res.body or b""
    sha = put_raw(lake, body)
    # The listing's capture goes with the page's: a retried page is captured runs after its listing.
    capture = {"sha256": sha, "url": e.url, "kind": "page", "feed_url": cand.feed_url,
               "content_type": res.headers.get("content-type"), "n_bytes": len(body), "fetched_at": now,
               "feed_sha256": cand.feed_sha256}
    return FetchedPage(cand, res.final_url or e.url, body, now, capture)


def extract_fetched(page: FetchedPage, cpu_seconds: float | None = None) -> RawArticle | ArticleFailure:
    """The article in a fetched page (trafilatura), with canonical URL and dates resolved.

    A page whose extraction takes more than `cpu_seconds` of CPU (None: no limit) is an
    ArticleFailure of class "cpu_budget" (see tasks.budget).
    """
    cand, e = page.candidate, page.candidate.entry
    budget = CpuBudget(cpu_seconds)
    try:
        with budget:
            ex = extract_article(page.body, page.url, check=budget.check)
    except CpuBudgetExceeded as err:
        return ArticleFailure(e.url, cand.feed_url, err.error_class, str(err))
    except ExtractionError as err:
        return ArticleFailure(e.url, cand.feed_url, "extract_error", str(err))
    except Exception as err:  # noqa: BLE001 - a page that breaks the extractor is recorded, not fatal
        return ArticleFailure(e.url, cand.feed_url, "extract_error", f"{type(err).__name__}: {err}")
    canonical = cand.canonical_url
    if ex.canonical_url and same_site(ex.canonical_url, e.url):
        canonical = canonicalize_url(ex.canonical_url)
    published, source = pick_published(ex.published_at, e.published_at, page.fetched_at)
    return RawArticle(cand, e.url, canonical, pack_text(ex.text), ex.title or e.title, ex.author or e.author, published,
                      source, ex.language or e.language, "page", page.fetched_at, page.capture["sha256"],
                      language_source="page" if ex.language else "feed" if e.language else None)


def get_article(fetcher: Fetcher, lake: Lake, cand: Candidate, now: datetime,
                cpu_seconds: float | None = None) -> RawArticle | ArticleFailure:
    """fetch_article then extract_fetched, in this process."""
    got = fetch_article(fetcher, lake, cand, now)
    return extract_fetched(got, cpu_seconds) if isinstance(got, FetchedPage) else got


# -- one host's share of a run, for workers on other machines -----------------------------------
@dataclass
class JobResult:
    """What one job on a worker gave: its results in input order, the captures it stored, and the
    requests it made (its fetch log)."""

    results: list
    captures: list[dict]
    fetch_log: list[dict]


def host_of(url: str) -> str:
    """The host (with port) whose politeness limits a request to `url` counts against."""
    return urlsplit(url).netloc.lower()


def by_host(items: Sequence, url: Callable[[object], str]) -> list[list]:
    """`items` grouped by the host of url(item), groups in host order, items in input order."""
    groups: dict[str, list] = {}
    for it in items:
        groups.setdefault(host_of(url(it)), []).append(it)
    return [groups[h] for h in sorted(groups)]


def poll_host(policy: FetchPolicy, lake: Lake, feeds: Sequence[tuple[str, dict | None, str | None]],
              clock: Callable[[], datetime], *, retry_base: timedelta, retry_cap: timedelta) -> JobResult:
    """Poll the feeds of one host, (url, previous state, site the feed list names) each, with a
    Fetcher of its own (see poll_feed); results are FeedPolls.

    A job that owns every request to its host keeps that host's politeness limits (concurrency,
    interval, robots.txt) however many such jobs run at once on however many machines.
    """
    with Fetcher(policy) as fetcher, cf.ThreadPoolExecutor(max(1, policy.per_host_concurrency)) as threads:
        polls = list(threads.map(lambda f: poll_feed(fetcher, lake, f[0], f[1], clock(), site=f[2],
                                                     retry_base=retry_base, retry_cap=retry_cap), feeds))
        return JobResult(polls, [], fetcher.fetch_log())


def fetch_host_pages(policy: FetchPolicy, lake: Lake, cands: Sequence[Candidate],
                     clock: Callable[[], datetime], cpu_seconds: float | None = None) -> JobResult:
    """Get the articles of one host's candidates: fetched, captured and extracted here (see poll_host).

    Results are RawArticle or ArticleFailure, in the candidates' order; a page that fails
    extraction (or goes over `cpu_seconds`, see extract_fetched) is captured all the same.
    """
    def one(cand: Candidate) -> tuple[RawArticle | ArticleFailure, dict | None]:
        got = fetch_article(fetcher, lake, cand, clock())
        if isinstance(got, FetchedPage):
            return extract_fetched(got, cpu_seconds), got.capture
        return got, None

    with Fetcher(policy) as fetcher, cf.ThreadPoolExecutor(max(1, policy.per_host_concurrency)) as threads:
        pairs = list(threads.map(one, cands))
        return JobResult([r for r, _ in pairs], [c for _, c in pairs if c], fetcher.fetch_log())


def import_warc(lake: Lake, path: str, clock: Callable[[], datetime],
                opener: Callable[[str], object] | None = None, cpu_seconds: float | None = None) -> JobResult:
    """The articles in the HTML responses of one WARC file, captured in the lake (a job per file).

    Results are RawArticle or ArticleFailure per response, as extract_fetched gives them (each
    page captured either way); `clock()` dates records without a WARC-Date. `opener` as for
    tasks.raw.iter_warc_pages. Raises ValueError when the file is not a readable WARC.
    """
    from tasks.raw import iter_warc_pages

    name = path.rstrip("/").rsplit("/", 1)[-1]
    results, captures = [], []
    for url, when, ctype, body in iter_warc_pages(path, opener):
        when = when or clock()
        capture = {"sha256": put_raw(lake, body), "url": url, "kind": "page", "feed_url": f"warc:{name}",
                   "content_type": ctype, "n_bytes": len(body), "fetched_at": when}
        captures.append(capture)
        canon = canonicalize_url(url)
        entry = FeedEntry(url=url, guid=None, title=None, author=None, published_at=None, summary_html=None,
                          content_html=None, language=None)
        cand = Candidate(article_id_for(canon), canon, entry, f"warc:{name}", site_key(url), capture["sha256"])
        results.append(extract_fetched(FetchedPage(cand, url, body, when, capture), cpu_seconds))
    return JobResult(results, captures, [])


# -- clean + stories -------------------------------------------------------------------------
# The `articles` columns known once a copy is cleaned: story assignment adds story_id and
# dedup_method, the run its id and code versions (articles_tables).
_RUN_COLUMNS = ("story_id", "dedup_method", "extractor_version", "cleaner_version", "run_id")
CLEANED_SCHEMA = pa.schema([f for f in ARTICLES.schema if f.name not in _RUN_COLUMNS])


@dataclass
class CleanBatch:
    """Cleaned articles: their `articles` rows so far (CLEANED_SCHEMA), and in the same order
    what story assignment needs of each, a StoryDoc that carries its signature instead of its
    text.

    The rows are held packed, each site's apart (pack_rows: compressed), with their publication
    dates beside them: story assignment, which holds the signatures and the story index, runs
    while they wait, and they are stored in order of date a table at a time (articles_tables).
    At 30k articles the rows are 99 MB as Arrow, most of it text, and 33 MB packed.
    """

    packed: list[pa.Buffer]
    dates: list[pa.Array]   # each packed part's publication dates (YYYY-MM-DD, UTC)
    docs: list[StoryDoc]

    @property
    def rows(self) -> pa.Table:
        """The rows, unpacked (a new table at each call)."""
        tables = [unpack_rows(b) for b in self.packed]
        return pa.concat_tables(tables) if tables else CLEANED_SCHEMA.empty_table()


# zstd at its fastest level (see CleanBatch).
_ROWS_CODEC = pa.ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=1))


def pack_rows(table: pa.Table) -> pa.Buffer:
    """`table` as a compressed Arrow IPC stream (CleanBatch.rows reads it back)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_ROWS_CODEC) as writer:
        writer.write_table(table)
    return sink.getvalue()


def unpack_rows(packed: pa.Buffer) -> pa.Table:
    """The table pack_rows packed."""
    return pa.ipc.open_stream(packed).read_all()


class CleanError(Exception):
    """A page whose cleaning raised (a rule tripping on copy nobody foresaw): it fails alone."""

    error_class = "clean_error"


_PAGE_FAILURES = (CpuBudgetExceeded, CleanError)


def _clean_site(args: tuple) -> tuple[frozenset[str], list[tuple[dict, Signature] | CpuBudgetExceeded | CleanError]]:
    """One site's work, run in a worker: learn its furniture, clean, and compute what the
    articles' rows and story assignment need of each cleaned text (hashes, word count,
    language, story signature), so that the run's process needs the texts only to store them.

    Each page has its own CPU budget for these steps; a page over it, or whose cleaning raises,
    is left out of the furniture and comes back as its CpuBudgetExceeded or CleanError, the
    other pages go on.
    """
    texts, titles, known, bylines, cpu_seconds, declared = args
    texts = [unpack_text(t) for t in texts]
    language_identifier()   # loaded once per process (0.4 s of CPU), never charged to a page's budget
    budgets = [CpuBudget(cpu_seconds) for _ in texts]
    pages = [_charged(budget, page_furniture_keys, text, title) for text, title, budget in zip(texts, titles, budgets)]
    furniture = known | furniture_of_pages([p for p in pages if not isinstance(p, _PAGE_FAILURES)])
    title_keys = site_title_keys(titles)
    shingler = Shingler()   # its token cache serves the site's pages
    cleaned = [p if isinstance(p, _PAGE_FAILURES) else _charged(budget, _finished, text, title, furniture, byline,
                                                                 title_keys, decl, shingler)
               for p, text, title, byline, budget, decl in zip(pages, texts, titles, bylines, budgets, declared)]
    del pages, shingler
    release_memory(collect=False)   # in a worker: what the site's pages (and the extraction before) left
    return furniture, cleaned


def _finished(text: str, title: str | None, furniture: frozenset[str], byline: str | None, title_keys,
              declared: tuple, shingler: Shingler, check: Callable[[], None]) -> tuple[dict, Signature]:
    """One page cleaned: the `articles` fields that its cleaning decides, and its story signature."""
    c = clean_page(text, title, furniture, byline, title_keys, check)
    language, language_source = choose_language(c.text, *declared)
    fields = {"language": language, "language_source": language_source, "wire_agency_detected": c.wire_agency,
              "dateline": c.dateline, "text": c.text, "removed": list(c.removed), "word_count": len(c.text.split()),
              "content_hash": content_hash(c.text), "text_hash": text_hash(c.text)}
    return fields, shingler.signature(c.text, c.dateline)


def _charged(budget: CpuBudget, fn: Callable, *args):
    """fn(*args, budget.check) with its CPU time charged to `budget`; the CpuBudgetExceeded if
    it runs over, a CleanError if it raises."""
    try:
        with budget:
            return fn(*args, budget.check)
    except CpuBudgetExceeded as err:
        return err
    except Exception as err:  # noqa: BLE001 - one page's failure is recorded, not the site's
        return CleanError(f"{type(err).__name__}: {err}"[:500])


def clean_articles(raws: list[RawArticle], furniture: dict[str, frozenset[str]], map_fn: Callable = map,
                   cpu_seconds: float | None = None
                   ) -> tuple[CleanBatch, dict[str, frozenset[str]], list[ArticleFailure]]:
    """Clean articles site by site; returns them, each site's furniture (known plus learned)
    and the articles that failed: over their CPU budget (`cpu_seconds` per page; None: no
    limit) or whose cleaning raised.

    A site's furniture (lines that recur across its articles) is learned from its own articles
    in this batch, added to what `furniture` knew. `map_fn` maps the per-site work (e.g. a
    process pool's map); sites are independent. The articles come in site order, each site's
    in the order of `raws`.

    `raws` is emptied: each raw text goes to its site's job, and each site's results become
    Arrow rows as they come back, so the raw and cleaned texts of a whole run are never all
    held at once, nor as Python strings.
    """
    by_site: dict[str, list[RawArticle]] = {}
    for r in raws:
        by_site.setdefault(r.candidate.site, []).append(r)
    raws.clear()
    sites = sorted(by_site)

    def work(site: str) -> tuple:
        rs = by_site[site]
        declared = [(r.language, None) if r.language_source == "page" else (None, r.language) for r in rs]
        args = ([r.text for r in rs], [r.title for r in rs], furniture.get(site, frozenset()), [r.author for r in rs],
                cpu_seconds, declared)
        by_site[site] = [dataclasses.replace(r, text="") for r in rs]
        return args

    packed, dates, docs, failed = [], [], [], []
    learned = {}
    for site, (site_furniture_keys, cleaned) in zip(sites, map_fn(_clean_site, (work(s) for s in sites))):
        learned[site] = site_furniture_keys
        rows = []
        for r, got in zip(by_site.pop(site), cleaned):
            if isinstance(got, _PAGE_FAILURES):
                failed.append(ArticleFailure(r.url, r.candidate.feed_url, got.error_class, str(got)))
                continue
            fields, signature = got
            article_id = article_id_for(r.canonical_url)
            rows.append({
                "article_id": article_id, "url": r.url, "canonical_url": r.canonical_url, "site": site,
                "feed_url": r.candidate.feed_url, "title": r.title, "author": r.author,
                "published_at": r.published_at, "published_source": r.published_source, "fetched_at": r.fetched_at,
                "text_source": r.text_source, "raw_sha256": r.raw_sha256, **fields})
            docs.append(StoryDoc(article_id, site, "", r.title, r.published_at, fields["wire_agency_detected"],
                                 fields["dateline"], fields["content_hash"], fields["language"], signature))
        table = pa.Table.from_pylist(rows, schema=CLEANED_SCHEMA)
        packed.append(pack_rows(table))
        dates.append(_dates(table))
        del rows, cleaned, table
        release_memory(collect=False)   # the site's results, now rows: the heap they leave goes back
    return CleanBatch(packed, dates, docs), learned, failed


def assign_stories(index: StoryIndex, docs: Sequence[StoryDoc]) -> dict[str, tuple[str, str]]:
    """story_id and dedup method per article_id (articles with no text become their own story)."""
    return {s.article_id: (s.story_id, s.method) for s in index.assign(docs)}


def articles_tables(batch: CleanBatch, stories: Mapping[str, tuple[str, str]], run_id: str,
                    versions: Mapping[str, str], rows_per_table: int) -> Iterator[tuple[pa.Table, list[str]]]:
    """The `articles` rows of `batch` (with their stories, run id and versions) in tables of at
    most `rows_per_table` rows, and each table's partition values (publication dates, UTC).

    Rows come ordered by publication date (the batch's order within a date), so that the
    tables follow the partitions: each date's rows go to one file, or a few, however many
    sites wrote them. The batch's rows are taken: it holds none after. They are never all
    unpacked at once: each site's are split among the tables they go to, packed again, and
    each table is unpacked only when its turn comes.
    """
    dates = pa.concat_arrays(batch.dates) if batch.dates else pa.array([], pa.string())
    order = pc.sort_indices(dates).to_numpy()   # stable: ties keep the batch's order
    place = np.empty(len(order), np.int64)   # each row's position in the output
    place[order] = np.arange(len(order))
    pieces: dict[int, list[tuple[pa.Buffer, np.ndarray]]] = defaultdict(list)
    start, packed = 0, batch.packed
    batch.packed, batch.dates = [], []
    packed.reverse()
    while packed:
        part = unpack_rows(packed.pop())
        places = place[start:start + part.num_rows]
        start += part.num_rows
        goes_to = places // rows_per_table
        for k in np.unique(goes_to):
            mine = goes_to == k
            pieces[int(k)].append((pack_rows(part.filter(pa.array(mine))), places[mine]))
        del part
    for k in range(-(-len(order) // rows_per_table)):
        parts = pieces.pop(k)
        places = np.concatenate([p for _, p in parts])
        table = pa.concat_tables([unpack_rows(b) for b, _ in parts]).take(pa.array(np.argsort(places, kind="stable")))
        del parts
        ids = table.column("article_id").to_pylist()
        n = table.num_rows
        table = (table.append_column("story_id", pa.array([stories[a][0] for a in ids], pa.string()))
                 .append_column("dedup_method", pa.array([stories[a][1] for a in ids], pa.string()))
                 .append_column("extractor_version", pa.array([versions["extractor"]] * n, pa.string()))
                 .append_column("cleaner_version", pa.array([versions["cleaner"]] * n, pa.string()))
                 .append_column("run_id", pa.array([run_id] * n, pa.string())))
        yield table, pc.take(dates, pa.array(order[k * rows_per_table:(k + 1) * rows_per_table])).to_pylist()


def _dates(rows: pa.Table) -> pa.Array:
    """The rows' publication dates, YYYY-MM-DD (the column is in UTC)."""
    return pc.strftime(rows.column("published_at"), format="%Y-%m-%d").combine_chunks() \
        if rows.num_rows else pa.array([], pa.string())


def dedupe_by_canonical(raws: Sequence[RawArticle], known_ids: set[str]) -> list[RawArticle]:
    """Drop pages whose canonical URL (learned from the page) names an article already stored or seen."""
    seen = set(known_ids)
    out = []
    for r in raws:
        aid = article_id_for(r.canonical_url)
        if aid in seen:
            continue
        seen.add(aid)
        out.append(r)
    return out



# -- NLP -------------------------------------------------------------------------------------
def known_article_ids(lake: Lake) -> set[str]:
    """Ids of stored articles, under their canonical URL and under their link's canonical form."""
    t = lake.read_table("articles", schema=ARTICLES.schema, columns=["article_id", "url"])
    if t is None:
        return set()
    ids = set(t.column("article_id").to_pylist())
    ids.update(article_id_for(canonicalize_url(u)) for u in t.column("url").to_pylist())
    return ids


def pending_texts(lake: Lake, models: Mapping[str, str], nlp_version: str, default: str = "en"
                  ) -> tuple[dict[str, list[tuple[str, str]]], dict[str, int]]:
    """Stored texts not yet analysed by the model of their language, per language.

    `models` maps a language to its model id (name-version); a text whose language is unknown
    goes to `default`'s. Returns ({language: [(text_hash, story_id)] sorted by hash},
    {language: number of texts}) where the second dict counts the texts of languages without a
    model (they get no NLP rows); stored_texts reads the texts themselves. Looking at all stored
    texts rather than this run's makes the stage self-healing: texts whose analysis a crash
    interrupted are picked up next run.
    """
    arts = lake.read_table("articles", schema=ARTICLES.schema, columns=["text_hash", "language", "story_id"])
    if arts is None:
        return {}, {}
    hashes = arts.column("text_hash").to_pylist()
    lang_of: dict[str, str] = {}
    for h, lang in zip(hashes, arts.column("language").to_pylist()):
        if lang or h not in lang_of:
            lang_of[h] = primary(lang) or default   # older rows hold codes as declared ("en-US")
    done = analysed_hashes(lake, nlp_version)
    todo_lang, without = {}, {}
    for h in sorted(lang_of):
        lang = lang_of[h]
        if lang not in models:
            without[lang] = without.get(lang, 0) + 1
        elif (h, models[lang]) not in done:
            todo_lang[h] = lang
    del lang_of, done
    story_of: dict[str, str] = {}   # of the pending texts only
    for h, story in zip(hashes, arts.column("story_id").to_pylist()):
        if h in todo_lang:
            story_of.setdefault(h, story)
    todo: dict[str, list[tuple[str, str]]] = {}
    for h, lang in todo_lang.items():
        todo.setdefault(lang, []).append((h, story_of[h]))
    return todo, without


def stored_texts(lake: Lake, hashes: Collection[str]) -> dict[str, str]:
    """text_hash -> text, for these stored texts."""
    if not hashes:
        return {}
    t = lake.read_table("articles", schema=ARTICLES.schema, columns=["text_hash", "text"],
                        filter=pc.field("text_hash").isin(sorted(hashes)))
    return {} if t is None else dict(zip(t.column("text_hash").to_pylist(), t.column("text").to_pylist()))


def story_rounds(items: Sequence[tuple[str, str]], max_texts: int) -> Iterator[list[tuple[str, str]]]:
    """(text_hash, story_id) items in rounds of whole stories, about `max_texts` texts each
    (a story larger than that is a round of its own), stories in id order."""
    by_story: dict[str, list[tuple[str, str]]] = {}
    for h, story in items:
        by_story.setdefault(story, []).append((h, story))
    part: list[tuple[str, str]] = []
    for story in sorted(by_story):
        if part and len(part) + len(by_story[story]) > max_texts:
            yield part
            part = []
        part += by_story[story]
    if part:
        yield part


def analysed_hashes(lake: Lake, nlp_version: str) -> set[tuple[str, str]]:
    """(text_hash, model) of the texts analysed with this NLP version."""
    done = lake.read_table("nlp_docs", schema=NLP_DOCS.schema, columns=["text_hash", "model", "nlp_version"])
    if done is None:
        return set()
    return {(h, m) for h, m, v in zip(*(done.column(c).to_pylist() for c in ("text_hash", "model", "nlp_version")))
            if v == nlp_version}


def analysed_sources(lake: Lake, story_ids: set[str], model: str, nlp_version: str
                     ) -> tuple[dict[str, list[tuple[str, str]]], dict[str, Analysis]]:
    """Texts of these stories analysed by the model itself in earlier runs, and their analyses.

    Returns ({story_id: [(text_hash, text)]}, {text_hash: Analysis}): the sources that
    later copies of a story can be mapped onto instead of being analysed again. Reads the
    analyses of these stories' texts only (the NLP stage calls it once per round of stories).
    """
    if not story_ids:
        return {}, {}
    arts = lake.read_table("articles", schema=ARTICLES.schema, columns=["text_hash", "story_id"],
                           filter=pc.field("story_id").isin(sorted(story_ids)))
    if arts is None or arts.num_rows == 0:
        return {}, {}
    usable = ((pc.field("model") == model) & (pc.field("nlp_version") == nlp_version)
              & pc.field("derived_from").is_null() & pc.field("error").is_null()
              & pc.field("text_hash").isin(pc.unique(arts.column("text_hash"))))
    # The keys first: the whole rows (entity and quote lists) are read only when a story has a
    # source, not once per round of a run whose stories are all new.
    found = lake.read_table("nlp_docs", schema=NLP_DOCS.schema, columns=["text_hash"], filter=usable)
    if found is None or found.num_rows == 0:
        return {}, {}
    docs = lake.read_table("nlp_docs", schema=NLP_DOCS.schema, filter=usable)
    analyses = {}
    for row in docs.to_pylist():
        analyses[row["text_hash"]] = Analysis(row["text_hash"], row["n_words"], row["entities"], row["quotes"])
    texts = stored_texts(lake, analyses)
    sources: dict[str, dict[str, str]] = {}
    for h, story in zip(arts.column("text_hash").to_pylist(), arts.column("story_id").to_pylist()):
        if h in analyses:
            sources.setdefault(story, {})[h] = texts[h]
    return {s: sorted(t.items()) for s, t in sources.items()}, analyses


def nlp_table(analyses: Sequence[Analysis], model: str | Mapping[str | None, str], nlp_version: str, run_id: str,
              derived_from: dict[str, str] | None = None) -> pa.Table:
    """`nlp_docs` rows for a batch of Analysis results (`derived_from`: copy key -> source key).

    `model` is the model id (name-version) written, or a mapping from Analysis.model (the model's
    name) to it.
    """
    derived_from = derived_from or {}
    ent_fields = [f.name for f in NLP_DOCS.schema.field("entities").type.value_type]
    quote_fields = [f.name for f in NLP_DOCS.schema.field("quotes").type.value_type]
    rows = [{
        "text_hash": a.key, "n_words": a.n_words, "n_entities": len(a.entities), "n_quotes": len(a.quotes),
        "entities": [{k: e.get(k) for k in ent_fields} for e in a.entities],
        "entity_counts": entity_counts(a.entities),
        "quotes": [{k: q.get(k) for k in quote_fields} for q in a.quotes],
        "model": model if isinstance(model, str) else model[a.model], "nlp_version": nlp_version,
        "derived_from": derived_from.get(a.key), "error": a.error, "run_id": run_id,
    } for a in analyses]
    return pa.Table.from_pylist(rows, schema=NLP_DOCS.schema)
