"""The ingest flow: feeds -> articles -> clean -> stories -> NLP -> Parquet lake -> DuckDB catalog."""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import itertools
import json
import queue
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
from prefect import flow, task, unmapped
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.cache_policies import NO_CACHE

from flows import workers
from flows.lock import run_lock
from flows.objectstore import open_lake
from flows.progress import counted, progress
from flows.settings import Settings, load_settings
from schemas.tables import (ARTICLES, CAPTURES, FEEDS, FETCHES, NLP_DOCS, PENDING_PAGES, RUNS, SITE_FURNITURE, Column,
                            TableSpec)
from tasks import pipeline as P
from tasks.catalog import refresh_catalog
from tasks.clean import CLEANER_VERSION
from tasks.dedup import INDEX_SCHEMA, StoryIndex
from tasks.extract import EXTRACTOR_VERSION
from tasks.feeds import FeedListEntry, read_feed_list
from tasks.fetch import Fetcher
from tasks.nlp import NLP_VERSION, Analysis, ModelNotFound, map_analysis, plan_reuse, release_memory, resolve_model
from tasks.paragraphs import PARAGRAPHS, ParagraphStats, analyze_by_paragraph, paragraphs_table, stored_parses
from tasks.pending import RetryPolicy, due_candidates, queued_ids, update_queue
from tasks.storage import Lake


# Paragraphs per nlp.pipe batch per text of the batch_size setting (a paragraph is about a
# tenth of a news text).
PARAGRAPH_BATCH = 4
ARTICLES_PER_WRITE = 2_000   # rows per `articles` write (bounds the memory of building them)
INDEX_ROWS_PER_WRITE = 10_000   # rows per `story_index` write (see clean_and_group)
# Pending texts per round of the NLP stage (whole stories; see analyze): bounds what the run
# holds of them. Between two rounds the workers wait for the last jobs of the first.
TEXTS_PER_ROUND = 4_000
# Threads of the ingest flow's task runner: feed polls and page batches wait on the network.
FETCH_THREADS = 16
# Fetching's lead over extraction (LocalFetching.get_articles): page batches being fetched or
# waiting for a fetch thread (twice the threads, so that a thread never waits for the next
# batch), and pages handed to the workers but not yet extracted.
FETCH_BATCHES_AHEAD = 2 * FETCH_THREADS
PAGES_AWAITING_EXTRACTION = 1_000
# The index's columns are tasks.dedup's business; the lake only needs a spec to store them.
STORY_INDEX = TableSpec("story_index", "Near-duplicate index rows (tasks.dedup)",
                        tuple(Column(f.name, f.type, "") for f in INDEX_SCHEMA), ("article_id",))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# The clock handed to jobs on other machines (a plain function, pickled by reference).
CLOCK = functools.partial(datetime.now, timezone.utc)


@dataclass
class RunSummary:
    run_id: str
    status: str
    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    entries: int = 0
    new_articles: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_retried: int = 0
    pages_recovered: int = 0
    pages_given_up: int = 0
    duplicates: int = 0
    new_stories: int = 0
    texts_analyzed: int = 0
    texts_mapped: int = 0
    paragraphs_parsed: int = 0
    paragraphs_reused: int = 0
    texts_by_language: dict = field(default_factory=dict)   # texts pending NLP per language (runs: as JSON)
    texts_without_model: int = 0
    texts_failed: int = 0
    entities: int = 0
    quotes: int = 0
    seconds: float = 0.0
    failed_feeds: tuple[tuple[str, str, str], ...] = ()   # (feed_url, error_class, error)


# -- Prefect tasks: thin wrappers, coarse (per feed, per page batch, per stage) ---------------
@task(name="poll-feed", cache_policy=NO_CACHE)
def poll_feed(fetcher: Fetcher, lake: Lake, feed_url: str, previous: dict | None,
              settings: Settings, site: str | None = None) -> P.FeedPoll:
    return P.poll_feed(fetcher, lake, feed_url, previous, utcnow(), site=site,
                       retry_base=timedelta(minutes=settings.retry_base_minutes),
                       retry_cap=timedelta(hours=settings.retry_cap_hours))


@task(name="get-articles", cache_policy=NO_CACHE)
def get_articles(fetcher: Fetcher, lake: Lake, batch: list[P.Candidate]) -> list:
    """Feed full texts as articles, other entries' pages fetched and captured (extracted later)."""
    return [P.fetch_article(fetcher, lake, c, utcnow()) for c in batch]


@task(name="clean-and-group", cache_policy=NO_CACHE)
def clean_and_group(lake: Lake, raws: list[P.RawArticle], run_id: str, versions: dict,
                    map_fn: Callable = map, cpu_seconds: float | None = None,
                    after_cleaning: Callable[[int], None] = lambda n: None) -> dict:
    """Clean per site, assign stories against the persistent index, write index rows and articles.

    `raws` is emptied (see tasks.pipeline.clean_articles); `after_cleaning` is called with the
    number of articles cleaned once `map_fn` has no more work. Returns the counts of articles
    that joined a story, of new stories and of pages failed (over their CPU budget in cleaning).
    """
    furniture_t = lake.read_table("site_furniture", schema=SITE_FURNITURE.schema)
    furniture: dict[str, set[str]] = defaultdict(set)
    if furniture_t is not None:
        for site, line in zip(furniture_t.column("site").to_pylist(), furniture_t.column("line").to_pylist()):
            furniture[site].add(line)
    batch, learned, failed = P.clean_articles(raws, {k: frozenset(v) for k, v in furniture.items()}, map_fn,
                                              cpu_seconds)
    furniture.update(learned)
    after_cleaning(len(batch.docs))

    index_t = lake.read_table("story_index", schema=INDEX_SCHEMA)
    indexed: dict[str, tuple[str, str]] = {}
    if index_t is not None:
        indexed = {a: (s, m) for a, s, m in zip(*(index_t.column(c).to_pylist()
                                                  for c in ("article_id", "story_id", "method")))}
    index = StoryIndex.from_arrow(index_t)
    del index_t
    # Articles already indexed (re-derived by a backfill, or a crash came between the index and
    # the articles) keep their story: a story id never changes once given.
    fresh = [d for d in batch.docs if d.article_id not in indexed]
    stories = {d.article_id: indexed[d.article_id] for d in batch.docs if d.article_id in indexed}
    del indexed
    assigned = P.assign_stories(index, fresh)
    del fresh
    batch.docs = []   # the signatures: only the index's representatives are needed from here on
    stories.update(assigned)
    # A slice a file: Parquet's writer holds a file's row group in memory, several times its
    # size for the sample lists (a 100k-article run's 83 MB of rows took 460 MB more to write).
    for n, i in enumerate(range(0, index.new_count, INDEX_ROWS_PER_WRITE)):
        lake.append(STORY_INDEX, index.new_rows(i, i + INDEX_ROWS_PER_WRITE), name=f"{run_id}-{n}")
    del index
    # In slices that follow the partitions (publication dates), so that each date gets one file,
    # or a few: every file costs each query that reads the table (the 30k benchmark's articles
    # were written in 436 files; rewritten as one file per date, its top-entities query took
    # 400 ms instead of 800).
    for table, parts in P.articles_tables(batch, stories, run_id, versions, ARTICLES_PER_WRITE):
        lake.append(ARTICLES, table, partition_values=parts)
    lake.replace_state(SITE_FURNITURE, pa.Table.from_pylist(
        [{"site": s, "line": line} for s, lines in sorted(furniture.items()) for line in sorted(lines)],
        schema=SITE_FURNITURE.schema))
    methods = [m for _, m in assigned.values()]
    return {"duplicates": sum(m != "new" for m in methods), "new_stories": sum(m == "new" for m in methods),
            "pages_failed": len(failed)}


@task(name="analyze-texts", cache_policy=NO_CACHE)
def analyze(lake: Lake, settings: Settings, run_id: str, models: dict[str, tuple[str | None, str]],
            pool: cf.Executor | None = None, write_every: int = 500, texts_per_round: int = TEXTS_PER_ROUND) -> dict:
    """Entities and quotes for every stored text not analysed yet, written in atomic chunks.

    `models` maps a language to (model name, model id "name-version"): each text goes to its
    language's model (see P.pending_texts), which runs only on paragraphs no run has parsed
    before, each text being assembled from its paragraphs' parses (tasks.paragraphs; the new
    parses are stored before the analyses that use them). A copy whose paragraphs all occur in
    another copy of its story (a short or retypeset repost) gets that copy's analysis mapped
    onto it. Texts of a language without a model are counted, not analysed.
    """
    ids = {lang: model_id for lang, (_, model_id) in models.items()}
    pending, without = P.pending_texts(lake, ids, NLP_VERSION)
    model_ids = {name: model_id for name, model_id in models.values()}
    copies: dict[str, list[tuple[str, str, list]]] = defaultdict(list)   # source key -> copies mapped from it
    counts = {"texts_analyzed": 0, "texts_mapped": 0, "entities": 0, "quotes": 0,
              "texts_by_language": {**{lang: len(items) for lang, items in pending.items()}, **without},
              "texts_without_model": sum(without.values()), "texts_failed": 0}
    buf: list[Analysis] = []
    parses: dict[str, dict[str, bytes]] = defaultdict(dict)   # model id -> paragraph key -> new parse
    derived: dict[str, str] = {}

    def add(a: Analysis) -> None:
        buf.append(a)
        done = counts["texts_analyzed"] + counts["texts_mapped"]   # of every pending text
        if total > 50 and (done % 50 == 0 or done == total):
            progress("nlp texts", done, total)
        counts["texts_failed"] += a.error is not None
        counts["entities"] += len(a.entities)
        counts["quotes"] += len(a.quotes)
        if len(buf) >= write_every:
            flush()

    def add_copies(source: Analysis) -> None:
        for key, text, segments in copies.pop(source.key, ()):
            derived[key] = source.key
            counts["texts_mapped"] += 1
            add(map_analysis(source, key, text, segments))

    def flush() -> None:
        # Parses first: a crash in between leaves parses no analysis used yet, never the reverse.
        for model_id, new in parses.items():
            if new:
                lake.append(PARAGRAPHS, paragraphs_table(new, model_id, NLP_VERSION, run_id))
        parses.clear()
        if buf:
            lake.append(NLP_DOCS, P.nlp_table(buf, model_ids, NLP_VERSION, run_id, derived))
            buf.clear()

    # One model after another (each loads in the workers on its first job), every model with its
    # own paragraph cache (keyed on the model id); each model's texts in rounds of whole stories,
    # read from the lake round by round, so that the run never holds all its texts at once. A
    # round's parses are stored before the next round starts: a paragraph that texts of two
    # rounds share is parsed by the first and read from the cache by the second.
    stats = ParagraphStats()
    total = sum(map(len, pending.values()))
    for lang, rows in sorted(pending.items()):
        name, model_id = models[lang]

        def parsed(new: dict[str, bytes], model_id: str = model_id) -> None:
            parses[model_id].update(new)
            if sum(map(len, parses.values())) >= 20 * write_every:
                flush()

        for part in P.story_rounds(rows, texts_per_round):
            texts = P.stored_texts(lake, [h for h, _ in part])
            items = [(h, texts.pop(h), story) for h, story in part]
            del texts
            sources, source_analyses = P.analysed_sources(lake, {s for _, s in part}, model_id, NLP_VERSION)
            to_analyse, to_map = plan_reuse(items, sources)
            del items, sources
            for key, text, src, segments in to_map:
                copies[src].append((key, text, segments))
            del to_map
            # Copies are mapped as their source's analysis arrives (in this process, while the
            # workers run the model on later texts), so no analysis is held longer than its
            # copies need it.
            round_stats = ParagraphStats()
            for a in analyze_by_paragraph(
                    to_analyse, lambda keys, model_id=model_id: stored_parses(lake, keys, model_id, NLP_VERSION),
                    model_name=name, n_process=settings.n_process, batch_size=PARAGRAPH_BATCH * settings.batch_size,
                    pool=pool, on_parsed=parsed, stats=round_stats):
                counts["texts_analyzed"] += 1
                add(a)
                add_copies(a)
            # The other sources were analysed by earlier runs (analysed_sources loads each one's analysis).
            for source in source_analyses.values():
                source.model = name
                add_copies(source)
            stats.paragraphs_parsed += round_stats.paragraphs_parsed
            stats.paragraphs_cached += round_stats.paragraphs_cached
            flush()
            # The round's texts, plan and results are freed but stay mapped unless handed back:
            # replayed on 30k articles the process grew by about 25 MB a round (184 -> 363 MB
            # over seven rounds), and stays near 230 MB with this.
            release_memory(collect=False)
    return {**counts, "paragraphs_parsed": stats.paragraphs_parsed, "paragraphs_reused": stats.paragraphs_cached}


@dataclass
class RunContext:
    """What every run (ingest or backfill) starts with: ids, lake, versions, its `runs` row."""

    settings: Settings
    run_id: str
    lake: Lake
    versions: dict
    row: dict
    t0: float
    models: dict[str, tuple[str | None, str]]   # language -> (model name, model id), see resolve_models


def resolve_models(settings: Settings) -> dict[str, tuple[str | None, str]]:
    """Language -> (model name, "name-version") of every language whose model is installed.

    English must have one; a model set in `models` must be installed; a default model of
    another language that is not installed leaves that language without NLP (the run summary
    counts its texts). Raises ModelNotFound.
    """
    out = {}
    for lang, name in settings.language_models().items():
        try:
            package, version = resolve_model(name)
        except ModelNotFound:
            if lang == "en" or lang in dict(settings.models):
                raise
            continue
        out[lang] = (name, f"{package}-{version}")
    return out


def start_run(settings: Settings, flow_name: str, parameters: dict) -> RunContext:
    """Open a run: resolve versions and record a `running` row (a crash leaves it visible as such)."""
    started = utcnow()
    run_id = f"{started:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:6]}"
    lake = open_lake(settings.lake_root)
    lake.check()   # an unreachable store or a missing bucket fails the run here, before any fetch
    lake.remove_temporaries()   # a killed run's: under the run lock, this run is the lake's only writer
    models = resolve_models(settings)
    versions = {"extractor": EXTRACTOR_VERSION, "cleaner": CLEANER_VERSION,
                "model": models["en"][1], "models": {lang: m for lang, (_, m) in sorted(models.items())},
                "nlp": NLP_VERSION}
    row = {"run_id": run_id, "flow": flow_name, "started_at": started, "status": "running",
           "parameters": json.dumps({**parameters, "settings": asdict(settings)}, default=str),
           "versions": json.dumps(versions)}
    ctx = RunContext(settings, run_id, lake, versions, row, time.monotonic(), models)
    _write_run(ctx)
    return ctx


def _write_run(ctx: RunContext) -> None:
    ctx.lake.append(RUNS, pa.Table.from_pylist([ctx.row], schema=RUNS.schema), name=ctx.run_id)


def write_captures(ctx: RunContext, captures: list[dict]) -> None:
    if captures:
        ctx.lake.append(CAPTURES, pa.Table.from_pylist([{**c, "run_id": ctx.run_id} for c in captures],
                                                       schema=CAPTURES.schema),
                        partition_values=[c["fetched_at"].date().isoformat() for c in captures], name=ctx.run_id)


def group(ctx: RunContext, raws: list[P.RawArticle], summary: RunSummary, pool: cf.Executor | None,
          stack: contextlib.ExitStack) -> cf.Executor | None:
    """Clean (per site, in `pool`'s workers if given), assign stories and write the articles
    (empties `raws`); returns the workers for the NLP stage.

    For a large run the workers are renewed (flows.workers.renewed; the new ones are stopped
    when `stack` closes): cleaning runs in new workers without the model, and the NLP stage's
    load it while stories are assigned.
    """
    pool = workers.renewed(pool, ctx.settings, stack, len(raws), load=False)

    def renew(cleaned: int) -> None:
        nonlocal pool
        pool = workers.renewed(pool, ctx.settings, stack, cleaned)

    if raws:
        progress("articles grouped", 0, n := len(raws))
        counts = clean_and_group(ctx.lake, raws, ctx.run_id, ctx.versions, workers.map_fn(pool),
                                 ctx.settings.page_cpu_budget, renew)
        progress("articles grouped", n, n)
        summary.duplicates, summary.new_stories = counts["duplicates"], counts["new_stories"]
        summary.pages_failed += counts["pages_failed"]
        summary.new_articles -= counts["pages_failed"]
    return pool


def analyse_pending(ctx: RunContext, summary: RunSummary, pool: cf.Executor | None = None) -> None:
    """Run the NLP stage (the `analyze` task; in `pool`'s workers if given) and add its counts to the summary."""
    progress("nlp stage", 0, 1)
    for k, v in analyze(ctx.lake, ctx.settings, ctx.run_id, ctx.models, pool).items():
        setattr(summary, k, v)
    progress("nlp stage", 1, 1)


def finish_run(ctx: RunContext, summary: RunSummary) -> dict:
    """Record the run's final row and rebuild the catalog; returns the summary as a dict."""
    summary.seconds = round(time.monotonic() - ctx.t0, 2)
    ctx.row.update({k: v for k, v in asdict(summary).items() if k in RUNS.column_names and k != "run_id"})
    ctx.row["texts_by_language"] = json.dumps(summary.texts_by_language, sort_keys=True)
    ctx.row.update(finished_at=utcnow(), status=summary.status)
    _write_run(ctx)
    progress("catalog", 0, 1)
    refresh_catalog(ctx.lake, ctx.settings.catalog_path)
    progress("catalog", 1, 1)
    return asdict(summary)


def fetches_table(log: list[dict], run_id: str) -> pa.Table:
    """The `fetches` rows of a run's fetch log (its requests in order), built column by column:
    a copy of each row with its run id and number would be a hundred thousand more dicts."""
    own = pa.schema([f for f in FETCHES.schema if f.name not in ("run_id", "seq")])
    table = pa.Table.from_pylist(log, schema=own)
    return pa.Table.from_arrays([pa.array([run_id] * len(log), pa.string()), pa.array(range(len(log)), pa.int32()),
                                 *table.columns], schema=FETCHES.schema)


def fetch_then_extract(batches: list[list[P.Candidate]], fetch: Callable[[list[P.Candidate]], cf.Future],
                       extract: Callable[[list[P.FetchedPage]], Iterator], on_fetched: Callable[[int], None],
                       ahead: int = FETCH_BATCHES_AHEAD, max_waiting: int = PAGES_AWAITING_EXTRACTION
                       ) -> tuple[list, list[dict]]:
    """(RawArticle or ArticleFailure per candidate, in no set order; the page captures) of the
    page batches: `fetch` starts fetching a batch, `extract` maps extraction over fetched pages
    (lazily, or in workers as they come free); `on_fetched` is told how many are fetched so far.

    At most `ahead` batches are being fetched at once, and each goes to extraction as soon as it
    is fetched, whatever the order (a slow host's batch holds no other); fetching waits while
    more than `max_waiting` pages wait for extraction: on a fast network fetching outruns the
    workers, and every page waiting holds its HTML in this process.
    """
    results, page_captures, done = [], [], 0
    todo = iter(batches)
    fetched: queue.SimpleQueue = queue.SimpleQueue()   # futures of batches, as they finish
    fetching = 0
    extracting: deque[tuple[Iterator, int]] = deque()   # (the results of a batch's pages, how many)
    waiting = 0   # pages fetched, not yet extracted
    while True:
        for b in itertools.islice(todo, ahead - fetching):
            fetch(b).add_done_callback(fetched.put)
            fetching += 1
        if not fetching:
            break
        # Each future is dropped once read: a future holds its result, and the page bodies in
        # it must go as soon as extraction has them.
        batch = fetched.get().result()
        fetching -= 1
        done += len(batch)
        pages = [r for r in batch if isinstance(r, P.FetchedPage)]
        results.extend(r for r in batch if not isinstance(r, P.FetchedPage))
        page_captures.extend(p.capture for p in pages)   # a page that fails extraction is captured too
        extracting.append((iter(extract(pages)), len(pages)))
        waiting += len(pages)
        del batch, pages
        on_fetched(done)
        while waiting > max_waiting:
            extracted, n = extracting.popleft()
            results.extend(extracted)
            waiting -= n
    results += [r for extracted, _ in extracting for r in extracted]
    return results, page_captures


class LocalFetching:
    """Fetching from this process: one Fetcher shared by threads (Prefect tasks), so per-host
    limits hold across them; pages are extracted in the CPU workers while later ones are fetched."""

    def __init__(self, ctx: RunContext, cpu_pool: cf.Executor | None):
        self.ctx = ctx
        self.fetcher = Fetcher(ctx.settings.fetch_policy())
        self.cpu_pool = cpu_pool

    def poll(self, feeds: list[FeedListEntry], prev: dict[str, dict],
             on_poll: Callable[[P.FeedPoll], None]) -> list[P.FeedPoll]:
        """Each feed's poll, in the list's order; `on_poll` is called with each as it is read."""
        polls = []
        for f in counted("feeds polled", poll_feed.map(
                unmapped(self.fetcher), unmapped(self.ctx.lake), [f.url for f in feeds], [prev.get(f.url) for f in feeds],
                unmapped(self.ctx.settings), [f.site for f in feeds])):   # sites the list names
            polls.append(f.result())
            on_poll(polls[-1])
        return polls

    def get_articles(self, cands: list[P.Candidate]) -> tuple[list, list[dict]]:
        """(RawArticle or ArticleFailure per candidate, in no set order; the page captures)."""
        cpu_map = functools.partial(self.cpu_pool.map, chunksize=4) if self.cpu_pool else map
        extract = functools.partial(cpu_map, functools.partial(P.extract_fetched,
                                                               cpu_seconds=self.ctx.settings.page_cpu_budget))
        fetch = functools.partial(get_articles.submit, self.fetcher, self.ctx.lake)
        batches = P.page_batches(cands, self.ctx.settings.page_batch, self.ctx.settings.per_host_concurrency)
        return fetch_then_extract(batches, fetch, extract,
                                  lambda done: progress("articles fetched", done, len(cands)))

    def fetch_log(self) -> list[dict]:
        return self.fetcher.fetch_log()

    def close(self) -> None:
        self.fetcher.close()


class ClusterFetching:
    """Fetching on a Dask cluster: one job per host owns every request to that host (its feeds,
    then its pages, fetched and extracted on the worker), so per-host limits and robots.txt hold
    however many workers fetch; each job's fetch log comes back with its result."""

    def __init__(self, ctx: RunContext, executor: cf.Executor):
        self.ctx = ctx
        self.executor = executor
        self.log: list[dict] = []

    def _run(self, fn: Callable, groups: list[list], stage: str, **kwargs) -> list:
        policy = self.ctx.settings.fetch_policy()
        jobs = [self.executor.submit(fn, policy, self.ctx.lake, g, CLOCK, **kwargs) for g in groups]
        works, done, total = [], 0, sum(map(len, groups))
        for i in range(len(jobs)):   # in submission order: the run's fetch log is the same whatever finishes first
            work, jobs[i] = jobs[i].result(), None
            self.log += work.fetch_log
            works.append(work)
            done += len(work.results)
            progress(stage, done, total)
        return works

    def poll(self, feeds: list[FeedListEntry], prev: dict[str, dict],
             on_poll: Callable[[P.FeedPoll], None]) -> list[P.FeedPoll]:
        s = self.ctx.settings
        works = self._run(P.poll_host, P.by_host([(f.url, prev.get(f.url), f.site) for f in feeds], lambda f: f[0]),
                          "feeds polled", retry_base=timedelta(minutes=s.retry_base_minutes),
                          retry_cap=timedelta(hours=s.retry_cap_hours))
        polled = {p.feed_url: p for w in works for p in w.results}
        for f in feeds:
            on_poll(polled[f.url])
        return [polled[f.url] for f in feeds]

    def get_articles(self, cands: list[P.Candidate]) -> tuple[list, list[dict]]:
        works = self._run(P.fetch_host_pages, P.by_host(cands, lambda c: c.entry.url), "articles fetched",
                          cpu_seconds=self.ctx.settings.page_cpu_budget)
        return [r for w in works for r in w.results], [c for w in works for c in w.captures]

    def fetch_log(self) -> list[dict]:
        return list(self.log)

    def close(self) -> None:
        pass


def fetch_articles(ctx: RunContext, fetching: LocalFetching | ClusterFetching, polls: list[P.FeedPoll],
                   cands: list[P.Candidate], known: set[str], summary: RunSummary
                   ) -> tuple[list[P.RawArticle], list[P.ArticleFailure]]:
    """The new articles (feed full texts as they are, other pages fetched, captured and
    extracted) and the candidates' failures.

    The captures manifest is written before anything else of the run.
    """
    results, page_captures = fetching.get_articles(cands) if cands else ([], [])
    # The manifest goes first: a backfill must find every capture even if this run dies later.
    write_captures(ctx, [p.capture for p in polls if p.capture] + page_captures)
    # In the feeds' order, whatever the batching: of two pages naming one canonical URL, the
    # first listed is kept.
    position = {c.article_id: i for i, c in enumerate(cands)}
    raws = sorted((r for r in results if isinstance(r, P.RawArticle)), key=lambda r: position[r.candidate.article_id])
    raws = P.dedupe_by_canonical(raws, known)
    summary.pages_fetched = len(page_captures)
    failures = [r for r in results if isinstance(r, P.ArticleFailure)]
    summary.pages_failed = len(failures)
    summary.new_articles = len(raws)
    return raws, failures


# Feed polls and page batches are I/O-bound tasks: threads overlap them. Per-host politeness
# lives in the shared Fetcher, so more threads never means more load on one host.
@flow(name="newsflow-ingest", task_runner=ThreadPoolTaskRunner(max_workers=FETCH_THREADS))
def ingest_flow(feeds_file: str, data_dir: str, overrides: dict | None = None) -> dict:
    """Ingest the feeds listed in `feeds_file` into the lake and catalog under `data_dir`.

    CPU work runs on the Dask cluster of the `dask_address` setting, else in the worker
    processes the caller started (flows.workers), else in worker processes of its own.
    """
    settings = load_settings(data_dir, overrides)
    retry_policy = RetryPolicy(base=timedelta(minutes=settings.page_retry_base_minutes),   # bad values fail here
                               cap=timedelta(hours=settings.retry_cap_hours),
                               give_up=timedelta(days=settings.page_give_up_days))
    with run_lock(data_dir, settings.lake_root, settings.lock_lease_seconds):
        feed_list = read_feed_list(Path(feeds_file).read_text(encoding="utf-8"))
        feed_urls = [f.url for f in feed_list]
        ctx = start_run(settings, "ingest", {"feeds_file": str(Path(feeds_file).resolve()), "data_dir": data_dir})
        summary = RunSummary(ctx.run_id, "running", feeds_total=len(feed_urls))
        lake = ctx.lake
        prev_t = lake.read_table("feeds", schema=FEEDS.schema)
        prev = {r["feed_url"]: r for r in prev_t.to_pylist()} if prev_t is not None else {}

        with contextlib.ExitStack() as workers_stack:
            # Workers for the CPU-bound stages (locally, the CLI's pool, created while the
            # Prefect server starts): extraction and cleaning run in them, and they load the
            # model while pages are fetched, so that the NLP stage finds them ready (a large run
            # renews them between its stages, see group). A run with nothing new starts no worker
            # process and loads no model.
            pool = workers_stack.enter_context(workers.run_workers(settings))
            fetching = ClusterFetching(ctx, pool) if settings.dask_address else LocalFetching(ctx, pool)
            with contextlib.closing(fetching):
                known = P.known_article_ids(lake)
                queue_t = lake.read_table(PENDING_PAGES.name, schema=PENDING_PAGES.schema)
                queue = queue_t.to_pylist() if queue_t is not None else []
                # Queued pages are fetched when the queue says, whether or not a feed lists them.
                due, listed = due_candidates(queue, utcnow(), known), known | queued_ids(queue)
                # The workers start, and load the model, once something new is known (a page due,
                # or the first poll listing a new article), while later feeds are polled.
                loading = bool(due)
                if loading:
                    workers.load_model_soon(pool, settings)

                def load_on_news(poll: P.FeedPoll) -> None:
                    nonlocal loading
                    if not loading and P.has_new_entry(poll, listed):
                        workers.load_model_soon(pool, settings)
                        loading = True

                polls = fetching.poll(feed_list, prev, load_on_news)
                cands, summary.entries = P.select_new_entries(polls, listed)
                cands += due
                # Polls keep only what the end of the run needs (states, captures): entries are in `cands`.
                polls = [dataclasses.replace(p, entries=[]) for p in polls]
                if summary.entries:   # a full collection costs 0.3 s even when no feed was parsed
                    release_memory()   # the feeds' parse trees, freed in the poll threads' heaps
                if not cands and not settings.dask_address:
                    workers_stack.close()   # stops the workers if the flow started them
                    pool = fetching.cpu_pool = None
                raws, failures = fetch_articles(ctx, fetching, polls, cands, known, summary)
                queue, retries = update_queue(queue, cands, {f.url: f for f in failures}, known, utcnow(),
                                              retry_policy)
                summary.pages_retried, summary.pages_recovered, summary.pages_given_up = (
                    retries.retried, retries.recovered, retries.given_up)
                del cands, failures
                # Every fetch of the run is done: its log is stored now, so a run that dies later
                # still leaves it.
                fetch_log = fetching.fetch_log()
            del fetching   # its fetcher keeps every request's row (a hundred thousand at 100k pages)
            lake.append(FETCHES, fetches_table(fetch_log, ctx.run_id),
                        partition_values=[utcnow().date().isoformat()] * len(fetch_log), name=ctx.run_id)
            del fetch_log
            release_memory(collect=False)   # the log's rows (a hundred thousand dicts at 100k pages)
            pool = group(ctx, raws, summary, pool, workers_stack)
            del raws   # the run's texts are in the lake now; the NLP stage reads them from there
            # After the articles (a page leaves the queue only once its article is stored) and
            # before the feeds' states (a feed's validators never move past a failed page that
            # is not queued): a crash between any two of these writes loses no page, and
            # articles stored meanwhile are known next run (queued rows for them are dropped).
            lake.replace_state(PENDING_PAGES, pa.Table.from_pylist(queue, schema=PENDING_PAGES.schema))
            if summary.new_articles:
                release_memory()
            analyse_pending(ctx, summary, pool)

        states = {**prev, **{p.feed_url: p.state for p in polls}}
        lake.replace_state(FEEDS, pa.Table.from_pylist(list(states.values()), schema=FEEDS.schema))
        for p in polls:
            attr = f"feeds_{'ok' if p.status == 'ok' else p.status}"
            setattr(summary, attr, getattr(summary, attr) + 1)
        # A feed waiting out its backoff is still failing: it is named, and the run is partial.
        summary.failed_feeds = tuple(
            (p.feed_url, p.state["last_error_class"],
             p.state["last_error"] if p.status == "failed" else f"not retried before {p.state['next_fetch_at']:%Y-%m-%d %H:%M} UTC")
            for p in polls if p.status in ("failed", "skipped"))
        summary.status = "partial" if summary.failed_feeds else "ok"
        return finish_run(ctx, summary)
