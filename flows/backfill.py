"""The backfill flow: re-derive articles, stories and NLP from raw captures (or WARC files), offline."""
from __future__ import annotations

import contextlib
import dataclasses
import glob
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

import pyarrow.compute as pc
from prefect import flow

from flows import workers
from flows.ingest import CLOCK, RunSummary, analyse_pending, finish_run, group, start_run, utcnow, write_captures
from flows.lock import run_lock
from flows.objectstore import is_object_store, s3_filesystem
from flows.progress import counted, progress
from flows.settings import load_settings
from schemas.tables import ARTICLES, CAPTURES, FEEDS
from tasks import pipeline as P
from tasks.raw import ReplayFetcher


def _day_start(d: str) -> datetime:
    return datetime.combine(date.fromisoformat(d), dtime.min, tzinfo=timezone.utc)


def replay_window(lake, since: str, until: str, cpu_seconds: float | None = None
                  ) -> tuple[list[P.RawArticle], int, int]:
    """Articles re-derived from the captures fetched from `since` to `until` (whole days, UTC).

    Only articles that those captures produced (or that were never stored) are re-derived, so
    data outside the window is untouched; a page's extraction may take `cpu_seconds` of CPU. A
    page captured in the window whose listing was captured before it (a page retried on a later
    run, a run spanning midnight) is found through the listing its capture names. Returns
    (articles, entries seen, failures).
    """
    lo, hi = _day_start(since), _day_start(until) + timedelta(days=1)
    caps = lake.read_table("captures", schema=CAPTURES.schema,
                           filter=(pc.field("fetched_at") >= lo) & (pc.field("fetched_at") < hi))
    if caps is None or caps.num_rows == 0:
        return [], 0, 0
    rows = sorted(caps.to_pylist(), key=lambda r: r["fetched_at"])
    window_shas = {r["sha256"] for r in rows}
    pages = {r["url"]: r for r in rows if r["kind"] == "page"}       # latest capture of each page wins
    feed_at = {r["sha256"]: r["fetched_at"] for r in rows if r["kind"] == "feed"}
    # Each feed keeps the site the last ingest gave it (a name from the feed list can't be re-derived here).
    feeds = lake.read_table("feeds", schema=FEEDS.schema, columns=["feed_url", "site"])
    sites = {r["feed_url"]: r["site"] for r in feeds.to_pylist()} if feeds is not None else {}
    polls = [P.replay_feed(lake, r, sites.get(r["feed_url"])) for r in reversed(rows) if r["kind"] == "feed"]   # newest listing first
    polls += _earlier_listings(lake, pages, feed_at, sites)
    cands, n_entries = P.select_new_entries(polls, set())
    stored_t = lake.read_table("articles", schema=ARTICLES.schema, columns=["article_id", "raw_sha256", "run_id"])
    stored: dict[str, str | None] = {}   # article_id -> raw capture of its latest version
    if stored_t is not None:
        for row in sorted(stored_t.to_pylist(), key=lambda r: r["run_id"]):
            stored[row["article_id"]] = row["raw_sha256"]
    out, failures = [], 0
    with ReplayFetcher(lake, pages) as replay:
        for cand in counted("pages replayed", cands):
            # The time the text was originally obtained: the page's capture, else the listing feed's.
            when = (pages.get(cand.entry.url) or {}).get("fetched_at") or feed_at[cand.feed_sha256]
            r = P.get_article(replay, lake, cand, when, cpu_seconds)
            if isinstance(r, P.ArticleFailure):
                failures += r.error_class != "not_captured"
                continue
            aid = P.article_id_for(r.canonical_url)
            if r.raw_sha256 in window_shas and (aid not in stored or stored[aid] in window_shas):
                out.append(r)
    return out, n_entries, failures


def _earlier_listings(lake, pages: dict[str, dict], feed_at: dict, sites: dict) -> list[P.FeedPoll]:
    """Polls of the feed captures from before the window that listed pages captured in it,
    holding only those pages' entries (newest listing first); adds their times to `feed_at`."""
    wanted: dict[str, set[str]] = {}   # listing sha -> page urls
    for url, r in pages.items():
        if r.get("feed_sha256") and r["feed_sha256"] not in feed_at:
            wanted.setdefault(r["feed_sha256"], set()).add(url)
    if not wanted:
        return []
    caps = lake.read_table("captures", schema=CAPTURES.schema,
                           filter=pc.field("sha256").isin(sorted(wanted)) & (pc.field("kind") == "feed"))
    polls = []
    for r in sorted(caps.to_pylist() if caps is not None else [], key=lambda r: r["fetched_at"], reverse=True):
        if r["sha256"] in feed_at:   # the same document captured by several runs
            continue
        feed_at[r["sha256"]] = r["fetched_at"]
        poll = P.replay_feed(lake, r, sites.get(r["feed_url"]))
        polls.append(dataclasses.replace(poll, entries=[e for e in poll.entries if e.url in wanted[r["sha256"]]]))
    return polls


def resolve_warc_paths(patterns: list[str]) -> list[str]:
    """The WARC files named by `patterns`: local paths or globs, or s3:// URIs or globs, sorted.

    Raises FileNotFoundError naming a pattern that matches nothing.
    """
    out = []
    for pattern in patterns:
        if is_object_store(pattern):
            scheme = pattern.split("://", 1)[0]
            found = [f"{scheme}://{p}" for p in s3_filesystem().glob(pattern)]
        else:
            found = glob.glob(pattern) if glob.has_magic(pattern) else [pattern] if Path(pattern).is_file() else []
            found = [str(Path(p).resolve()) for p in found]
        if not found:
            raise FileNotFoundError(f"no WARC file matches {pattern}")
        out += sorted(found)
    return list(dict.fromkeys(out))


def import_warcs(ctx, paths: list[str], pool, summary: RunSummary) -> list[P.RawArticle]:
    """Articles from WARC files, one job per file in `pool` (the Dask cluster's or local workers),
    their captures' manifest written once."""
    def job(path: str) -> tuple:
        return (P.import_warc, ctx.lake, path, CLOCK, s3_filesystem().open if is_object_store(path) else None,
                ctx.settings.page_cpu_budget)

    if pool is not None:
        futures = [pool.submit(*job(p)) for p in paths]
        works = (futures[i].result() for i in range(len(futures)))
    else:
        works = (fn(*args) for fn, *args in map(job, paths))
    raws, captures = [], []
    for i, work in enumerate(works):
        captures += work.captures
        raws += [r for r in work.results if isinstance(r, P.RawArticle)]
        summary.entries += len(work.captures)
        summary.pages_failed += sum(isinstance(r, P.ArticleFailure) for r in work.results)
        if len(paths) > 1:
            progress("warc files", i + 1, len(paths))
    write_captures(ctx, captures)   # one manifest file per run and day: written once
    return raws


@flow(name="newsflow-backfill")
def backfill_flow(data_dir: str, since: str | None = None, until: str | None = None,
                  warc_files: list[str] | None = None, overrides: dict | None = None) -> dict:
    """Re-derive the tables from raw captures fetched in [since, until], and/or import WARC files
    (paths, s3:// URIs or globs of either; one job per file, on the Dask cluster when there is one)."""
    settings = load_settings(data_dir, overrides)
    with run_lock(data_dir, settings.lake_root, settings.lock_lease_seconds):
        paths = resolve_warc_paths(warc_files or [])
        ctx = start_run(settings, "backfill", {"since": since, "until": until, "warc_files": paths,
                                               "data_dir": data_dir})
        summary = RunSummary(ctx.run_id, "running")
        with contextlib.ExitStack() as workers_stack:
            pool = workers_stack.enter_context(workers.run_workers(settings))
            raws: list[P.RawArticle] = []
            if since or until:
                got, summary.entries, summary.pages_failed = replay_window(ctx.lake, since or "1970-01-01",
                                                                           until or utcnow().date().isoformat(),
                                                                           settings.page_cpu_budget)
                raws += got
            raws += import_warcs(ctx, paths, pool, summary)
            raws = P.dedupe_by_canonical(raws, set())
            summary.new_articles = len(raws)
            pool = group(ctx, raws, summary, pool, workers_stack)
            analyse_pending(ctx, summary, pool)
        summary.status = "ok"
        return finish_run(ctx, summary)
