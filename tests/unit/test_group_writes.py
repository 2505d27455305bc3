"""The grouping stage's writes: every article lands, each publication date in as few files as possible."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import random
from datetime import datetime, timedelta, timezone

import pytest

from flows import ingest, workers
from flows.settings import load_settings
from tasks import pipeline as P
from tasks.dedup import INDEX_SCHEMA, StoryIndex
from tasks.feeds import FeedEntry
from tasks.nlp import worker_pool
from tasks.storage import Lake

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
VERSIONS = {"extractor": "x", "cleaner": "c", "model": "m", "nlp": "n"}


def raw(i: int, day: int) -> P.RawArticle:
    url = f"http://site{i % 3}.test/news/{i}"
    text = (f"Article {i} opens on the harbour board's decision number {i} about ferry {i * 7}.\n\n"
            f"Its second paragraph, {i}, quotes nobody and mentions pier {i * 11} once.")
    cand = P.Candidate(P.article_id_for(url), url, FeedEntry(url, None, None, None, None, None, None, None),
                       f"http://site{i % 3}.test/feed.xml", f"site{i % 3}.test")
    return P.RawArticle(cand, url, url, text, f"Title {i}", None, START + timedelta(days=day, minutes=i),
                        "feed", "en", "feed", START, None)


def test_slices_follow_publication_dates(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "ARTICLES_PER_WRITE", 4)
    days = [i // 4 for i in range(12)]   # four a date, and each site (i % 3) has articles of every date
    lake = Lake(str(tmp_path / "lake"))
    ingest.clean_and_group.fn(lake, [raw(i, d) for i, d in enumerate(days)], "run-1", VERSIONS)
    files = lake.table_files("articles")
    assert sorted(str(f).split("published_date=")[1][:10] for f in files) == [
        "2026-11-02", "2026-11-03", "2026-11-04"]   # 3 slices of 4, one date each: one file per date
    assert lake.read_table("articles").num_rows == 12


def test_raw_texts_are_held_packed_until_cleaning_and_cleaned_as_they_were():
    """A run holds every fetched article until its site is cleaned: the raw text is kept as
    compressed UTF-8 (pack_text), and cleaning a packed text gives what the plain one gives."""
    text = "Ferry crews in Dunmere walked out on Tuesday \u201cfor as long as it takes\u201d.\n" * 40
    packed = P.pack_text(text)
    assert isinstance(packed, bytes) and len(packed) < len(text.encode("utf-8")) / 4
    assert P.unpack_text(packed) == text and P.unpack_text(text) == text
    plain, _, _ = P.clean_articles([dataclasses.replace(raw(0, 0), text=text)], {})
    held, _, _ = P.clean_articles([dataclasses.replace(raw(0, 0), text=packed)], {})
    assert held.rows.column("text").to_pylist() == plain.rows.column("text").to_pylist() != [""]


def test_tables_come_in_date_order_with_the_batchs_order_within_a_date():
    # Sites cleaned one after another, their articles of every date mixed: each written table
    # holds the next rows by date (ties in the batch's order), each row once, whatever the
    # table size, and the held rows are packed smaller than Arrow's plain layout.
    rng = random.Random(7)
    days = [rng.randrange(6) for _ in range(60)]

    def raws():   # clean_articles empties the list it is given
        return [dataclasses.replace(raw(i, d), text=raw(i, 0).text * 6) for i, d in enumerate(days)]

    batch, _, _ = P.clean_articles(raws(), {})
    rows = batch.rows
    assert sum(b.size for b in batch.packed) < rows.nbytes / 2
    keys = [(d.date(), i) for i, d in enumerate(rows.column("published_at").to_pylist())]
    expected = [rows.column("article_id")[i].as_py() for _, i in sorted(keys)]
    stories = {a: (f"s-{a}", "new") for a in expected}
    for per_table in (1, 7, 60, 100):
        again, _, _ = P.clean_articles(raws(), {})
        tables = list(P.articles_tables(again, stories, "run-1", VERSIONS, per_table))
        assert all(t.num_rows <= per_table for t, _ in tables)
        assert [a for t, _ in tables for a in t.column("article_id").to_pylist()] == expected
        assert [d for t, parts in tables for d in parts] == \
            [p.date().isoformat() for t, _ in tables for p in t.column("published_at").to_pylist()]
        assert again.packed == []


def test_a_large_run_cleans_in_new_workers_and_hands_newer_ones_to_nlp(tmp_path, monkeypatch):
    # The grouping stage of a run past the renewal size: cleaning runs in workers started for it
    # (the fetch's are stopped), and the NLP stage gets others; the stored articles are the
    # ones a run without workers stores.
    monkeypatch.setattr(workers, "RENEW_AFTER_ARTICLES", 5)
    monkeypatch.setattr(ingest, "clean_and_group", ingest.clean_and_group.fn)   # the task's code, without Prefect
    stored = []
    for use_pool in (False, True):
        settings = load_settings(str(tmp_path / f"data{use_pool}"), {"n_process": 2})
        ctx = ingest.start_run(settings, "ingest", {})
        summary = ingest.RunSummary(ctx.run_id, "running", new_articles=12)
        with contextlib.ExitStack() as stack:
            fetch_pool = stack.enter_context(worker_pool(2, load=False)) if use_pool else None
            fetchers = {fetch_pool.submit(os.getpid).result() for _ in range(4)} if use_pool else set()
            nlp_pool = ingest.group(ctx, [raw(i, i // 4) for i in range(12)], summary, fetch_pool, stack)
            if use_pool:
                assert nlp_pool is not fetch_pool and nlp_pool.submit(os.getpid).result() not in fetchers
                with pytest.raises(RuntimeError):
                    fetch_pool.submit(os.getpid)
            else:
                assert nlp_pool is None
        rows = ctx.lake.read_table("articles").sort_by("article_id")
        stored.append(rows.select(["article_id", "story_id", "text", "published_at"]).to_pylist())
    assert stored[0] == stored[1] and len(stored[0]) == 12


def test_the_story_index_is_stored_a_slice_a_file_and_restores_every_story(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "INDEX_ROWS_PER_WRITE", 5)
    lake = Lake(str(tmp_path / "lake"))
    ingest.clean_and_group.fn(lake, [raw(i, i // 4) for i in range(12)], "run-1", VERSIONS)
    assert len(lake.table_files("story_index")) == 3   # 12 rows, 5 a file
    restored = StoryIndex.from_arrow(lake.read_table("story_index", schema=INDEX_SCHEMA)).story_ids()
    articles = lake.read_table("articles")
    assert restored == dict(zip(*(articles.column(c).to_pylist() for c in ("article_id", "story_id"))))
