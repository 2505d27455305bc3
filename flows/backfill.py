"""The backfill flow: re-derive articles, stories and NLP from raw captures (or WARC files), offline."""
from __future__ import annotations

from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

import pyarrow.compute as pc
from prefect import flow

from flows.ingest import RunSummary, derive, finish_run, start_run, utcnow, write_captures
from flows.lock import data_lock
from flows.progress import counted
from flows.settings import load_settings
from schemas.tables import ARTICLES, CAPTURES
from tasks import pipeline as P
from tasks.extract import ExtractionError, extract_article
from tasks.feeds import FeedEntry
from tasks.raw import ReplayFetcher, iter_warc_pages, put_raw


def _day_start(d: str) -> datetime:
    return datetime.combine(date.fromisoformat(d), dtime.min, tzinfo=timezone.utc)


def replay_window(lake, since: str, until: str) -> tuple[list[P.RawArticle], int, int]:
    """Articles re-derived from the captures fetched from `since` to `until` (whole days, UTC).

    Only articles that those captures produced (or that were never stored) are re-derived, so
    data outside the window is untouched. Returns (articles, entries seen, failures).
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
    polls = [P.replay_feed(lake, r) for r in reversed(rows) if r["kind"] == "feed"]   # newest listing first
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
            r = P.get_article(replay, lake, cand, when)
            if isinstance(r, P.ArticleFailure):
                failures += r.error_class != "not_captured"
                continue
            aid = P.article_id_for(r.canonical_url)
            if r.raw_sha256 in window_shas and (aid not in stored or stored[aid] in window_shas):
                out.append(r)
    return out, n_entries, failures


def import_warc(lake, path: str) -> tuple[list[P.RawArticle], list[dict], int]:
    """Articles from the HTML responses of a WARC file, with their capture rows and the failure count."""
    name = Path(path).name
    raws, captures, failures = [], [], 0
    for url, when, ctype, body in iter_warc_pages(path):
        when = when or utcnow()
        sha = put_raw(lake, body)
        captures.append({"sha256": sha, "url": url, "kind": "page", "feed_url": f"warc:{name}",
                         "content_type": ctype, "n_bytes": len(body), "fetched_at": when})
        try:
            ex = extract_article(body, url)
        except ExtractionError:
            failures += 1
            continue
        canon = P.canonicalize_url(ex.canonical_url if ex.canonical_url and P.same_site(ex.canonical_url, url) else url)
        entry = FeedEntry(url=url, guid=None, title=ex.title, author=ex.author, published_at=None,
                          summary_html=None, content_html=None, language=ex.language)
        cand = P.Candidate(P.article_id_for(canon), canon, entry, f"warc:{name}", P.site_key(url), sha)
        published, source = P.pick_published(ex.published_at, None, when)
        raws.append(P.RawArticle(cand, url, canon, ex.text, ex.title, ex.author, published, source,
                                 ex.language, "page", when, sha))
    return raws, captures, failures


@flow(name="newsflow-backfill")
def backfill_flow(data_dir: str, since: str | None = None, until: str | None = None,
                  warc_files: list[str] | None = None, overrides: dict | None = None) -> dict:
    """Re-derive the tables from raw captures fetched in [since, until], and/or import WARC files."""
    with data_lock(data_dir):
        settings = load_settings(data_dir, overrides)
        ctx = start_run(settings, "backfill", {"since": since, "until": until, "warc_files": warc_files or [],
                                               "data_dir": data_dir})
        summary = RunSummary(ctx.run_id, "running")
        raws: list[P.RawArticle] = []
        if since or until:
            got, summary.entries, summary.pages_failed = replay_window(ctx.lake, since or "1970-01-01",
                                                                       until or utcnow().date().isoformat())
            raws += got
        warc_captures: list[dict] = []
        for path in warc_files or []:
            got, captures, failed = import_warc(ctx.lake, path)
            warc_captures += captures
            raws += got
            summary.entries += len(captures)
            summary.pages_failed += failed
        write_captures(ctx, warc_captures)   # one manifest file per run and day: written once
        raws = P.dedupe_by_canonical(raws, set())
        summary.new_articles = len(raws)
        derive(ctx, raws, summary)
        summary.status = "ok"
        return finish_run(ctx, summary)
