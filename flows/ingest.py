"""The ingest flow: feeds -> articles -> clean -> stories -> NLP -> Parquet lake -> DuckDB catalog."""
from __future__ import annotations

import json
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from flows.settings import Settings, load_settings
from schemas.tables import ARTICLES, CAPTURES, FEEDS, FETCHES, NLP_DOCS, RUNS, SITE_FURNITURE, Column, TableSpec
from tasks import pipeline as P
from tasks.catalog import refresh_catalog
from tasks.clean import CLEANER_VERSION, site_furniture
from tasks.dedup import INDEX_SCHEMA, StoryIndex
from tasks.extract import EXTRACTOR_VERSION
from tasks.feeds import read_feed_list
from tasks.fetch import Fetcher
from tasks.nlp import NLP_VERSION, analyze_texts, resolve_model
from tasks.storage import Lake


# The index's columns are tasks.dedup's business; the lake only needs a spec to store them.
STORY_INDEX = TableSpec("story_index", "Near-duplicate index rows (tasks.dedup)",
                        tuple(Column(f.name, f.type, "") for f in INDEX_SCHEMA), ("article_id",))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def progress(stage: str, done: int, total: int) -> None:
    print(f"  {stage}: {done}/{total}", file=sys.stderr, flush=True)


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
    duplicates: int = 0
    new_stories: int = 0
    texts_analyzed: int = 0
    entities: int = 0
    quotes: int = 0
    seconds: float = 0.0
    failed_feeds: tuple[tuple[str, str, str], ...] = ()   # (feed_url, error_class, error)


# -- Prefect tasks: thin wrappers, coarse (per feed, per page batch, per stage) ---------------
@task(name="poll-feed", cache_policy=NO_CACHE)
def poll_feed(fetcher: Fetcher, lake: Lake, feed_url: str, previous: dict | None,
              settings: Settings) -> P.FeedPoll:
    from datetime import timedelta
    return P.poll_feed(fetcher, lake, feed_url, previous, utcnow(),
                       retry_base=timedelta(minutes=settings.retry_base_minutes),
                       retry_cap=timedelta(hours=settings.retry_cap_hours))


@task(name="get-articles", cache_policy=NO_CACHE)
def get_articles(fetcher: Fetcher, lake: Lake, batch: list[P.Candidate]) -> list:
    return [P.get_article(fetcher, lake, c, utcnow()) for c in batch]


@task(name="clean-and-group", cache_policy=NO_CACHE)
def clean_and_group(lake: Lake, raws: list[P.RawArticle], run_id: str, versions: dict) -> tuple[pa.Table, dict]:
    """Clean per site, assign stories against the persistent index, write index rows and articles."""
    furniture_t = lake.read_table("site_furniture", schema=SITE_FURNITURE.schema)
    furniture: dict[str, set[str]] = defaultdict(set)
    if furniture_t is not None:
        for site, line in zip(furniture_t.column("site").to_pylist(), furniture_t.column("line").to_pylist()):
            furniture[site].add(line)
    by_site: dict[str, list[str]] = defaultdict(list)
    for r in raws:
        by_site[r.candidate.site].append(r.text)
    for site, texts in by_site.items():
        furniture[site] |= site_furniture(texts)
    arts = P.clean_articles(raws, {k: frozenset(v) for k, v in furniture.items()})

    index_t = lake.read_table("story_index", schema=INDEX_SCHEMA)
    indexed: dict[str, str] = {}
    if index_t is not None:
        indexed = dict(zip(index_t.column("article_id").to_pylist(), index_t.column("story_id").to_pylist()))
    index = StoryIndex.from_arrow(index_t)
    # A crash after the index was written but before the articles: those keep their story.
    fresh = [a for a in arts if a.article_id not in indexed]
    stories = {a.article_id: (indexed[a.article_id], "exact") for a in arts if a.article_id in indexed}
    stories.update(P.assign_stories(index, fresh))
    lake.append(STORY_INDEX, index.new_rows(), name=run_id)
    table, parts = P.articles_table(arts, stories, run_id, versions)
    lake.append(ARTICLES, table, partition_values=parts)
    lake.replace_state(SITE_FURNITURE, pa.Table.from_pylist(
        [{"site": s, "line": line} for s, lines in sorted(furniture.items()) for line in sorted(lines)],
        schema=SITE_FURNITURE.schema))
    methods = [m for _, m in stories.values()]
    return table, {"duplicates": sum(m != "new" for m in methods), "new_stories": sum(m == "new" for m in methods)}


@task(name="analyze-texts", cache_policy=NO_CACHE)
def analyze(lake: Lake, settings: Settings, run_id: str, model: str, write_every: int = 500) -> dict:
    """Entities and quotes for every stored text not analysed yet; written in atomic chunks."""
    items = P.pending_texts(lake)
    counts = {"texts_analyzed": 0, "entities": 0, "quotes": 0}
    buf = []

    def flush():
        if buf:
            t = P.nlp_table(buf, model, NLP_VERSION, run_id)
            lake.append(NLP_DOCS, t)
            buf.clear()

    for a in analyze_texts(items, model_name=settings.model or None, n_process=settings.n_process,
                           batch_size=settings.batch_size,
                           progress=lambda d, n: progress("nlp texts", d, n) if n > 50 else None):
        buf.append(a)
        counts["texts_analyzed"] += 1
        counts["entities"] += len(a.entities)
        counts["quotes"] += len(a.quotes)
        if len(buf) >= write_every:
            flush()
    flush()
    return counts


def _batches(cands: list[P.Candidate], size: int) -> list[list[P.Candidate]]:
    """Page batches, one host per batch so per-host politeness limits do not stall other hosts."""
    by_host: dict[str, list[P.Candidate]] = defaultdict(list)
    for c in cands:
        by_host[urlsplit(c.entry.url).netloc].append(c)
    out = []
    for host in sorted(by_host):
        group = by_host[host]
        out.extend(group[i:i + size] for i in range(0, len(group), size))
    return out


def _write_run(lake: Lake, row: dict) -> None:
    lake.append(RUNS, pa.Table.from_pylist([row], schema=RUNS.schema), name=row["run_id"])


@flow(name="newsflow-ingest")
def ingest_flow(feeds_file: str, data_dir: str, overrides: dict | None = None) -> dict:
    """Ingest the feeds listed in `feeds_file` into the lake and catalog under `data_dir`."""
    settings = load_settings(data_dir, overrides)
    started = utcnow()
    t0 = time.monotonic()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    lake = Lake(settings.lake_root)
    model, model_version = resolve_model(settings.model or None)
    versions = {"extractor": EXTRACTOR_VERSION, "cleaner": CLEANER_VERSION,
                "model": f"{model}-{model_version}", "nlp": NLP_VERSION}
    feed_urls = read_feed_list(Path(feeds_file).read_text(encoding="utf-8"))
    run_row = {"run_id": run_id, "flow": "ingest", "started_at": started, "status": "running",
               "parameters": json.dumps({"feeds_file": str(Path(feeds_file).resolve()), "data_dir": settings.data_dir,
                                         "settings": {k: v for k, v in asdict(settings).items()}}, default=str),
               "versions": json.dumps(versions)}
    _write_run(lake, run_row)
    summary = RunSummary(run_id, "running", feeds_total=len(feed_urls))

    prev_t = lake.read_table("feeds", schema=FEEDS.schema)
    prev = {r["feed_url"]: r for r in prev_t.to_pylist()} if prev_t is not None else {}

    with Fetcher(settings.fetch_policy()) as fetcher:
        polls = [f.result() for f in poll_feed.map(unmapped(fetcher), unmapped(lake), feed_urls,
                                                   [prev.get(u) for u in feed_urls], unmapped(settings))]
        known = P.known_article_ids(lake)
        cands, summary.entries = P.select_new_entries(polls, known)
        batches = _batches(cands, settings.page_batch)
        results = []
        for i, fut in enumerate(get_articles.map(unmapped(fetcher), unmapped(lake), batches)):
            results.extend(fut.result())
            if len(batches) > 4:
                progress("article batches", i + 1, len(batches))
        fetch_log = fetcher.fetch_log()

    raws = P.dedupe_by_canonical([r for r in results if isinstance(r, P.RawArticle)], known)
    failures = [r for r in results if isinstance(r, P.ArticleFailure)]
    summary.pages_fetched = sum(1 for r in results if isinstance(r, P.RawArticle) and r.text_source == "page")
    summary.pages_failed = len(failures)
    summary.new_articles = len(raws)
    if raws:
        _, counts = clean_and_group(lake, raws, run_id, versions)
        summary.duplicates, summary.new_stories = counts["duplicates"], counts["new_stories"]
    nlp_counts = analyze(lake, settings, run_id, versions["model"])
    for k, v in nlp_counts.items():
        setattr(summary, k, v)

    now = utcnow()
    lake.append(FETCHES, pa.Table.from_pylist([{**row, "run_id": run_id, "seq": i} for i, row in enumerate(fetch_log)],
                                              schema=FETCHES.schema),
                partition_values=[now.date().isoformat()] * len(fetch_log), name=run_id)
    captures = [p.capture for p in polls if p.capture] + [r.capture for r in raws if r.capture]
    if captures:
        lake.append(CAPTURES, pa.Table.from_pylist([{**c, "run_id": run_id} for c in captures], schema=CAPTURES.schema),
                    partition_values=[c["fetched_at"].date().isoformat() for c in captures], name=run_id)
    states = {**prev, **{p.feed_url: p.state for p in polls}}
    lake.replace_state(FEEDS, pa.Table.from_pylist(list(states.values()), schema=FEEDS.schema))

    for p in polls:
        attr = {"ok": "feeds_ok", "unchanged": "feeds_unchanged", "failed": "feeds_failed", "skipped": "feeds_skipped"}[p.status]
        setattr(summary, attr, getattr(summary, attr) + 1)
    summary.failed_feeds = tuple((p.feed_url, p.state["last_error_class"], p.state["last_error"])
                                 for p in polls if p.status == "failed")
    summary.status = "ok" if not summary.feeds_failed else "partial"
    summary.seconds = round(time.monotonic() - t0, 2)
    run_row.update({k: v for k, v in asdict(summary).items() if k in RUNS.column_names and k != "run_id"})
    run_row.update(finished_at=utcnow(), status=summary.status)
    _write_run(lake, run_row)
    refresh_catalog(lake, settings.catalog_path)
    return asdict(summary)
