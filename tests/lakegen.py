"""A synthetic lake of many small files, as months of scheduled runs leave it, for upkeep tests and benchmarks.

Rows are generated from the table registry's types (values drawn from small pools, so that
joins and groupings find matches); every run appends its own files the way the ingest flow
does (articles per publication date, one runs row, fetches and captures per day, NLP rows,
index rows, paragraph parses), and later runs rewrite some earlier articles and analyses as newer versions, as
backfills do. Seeded: the same arguments give the same rows.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa

from schemas.tables import ARTICLES, CAPTURES, FEEDS, FETCHES, NLP_DOCS, RUNS, STORY_INDEX, Column, TableSpec
from schemas.views import VIEWS
from tasks.catalog import connect
from tasks.dedup import INDEX_SCHEMA
from tasks.paragraphs import PARAGRAPHS
from tasks.storage import Lake

INDEX_SPEC = TableSpec(STORY_INDEX, "", tuple(Column(f.name, f.type, "") for f in INDEX_SCHEMA), ("article_id",))
START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def value(t: pa.DataType, rng: random.Random, name: str = ""):
    if pa.types.is_list(t):
        return [value(t.value_type, rng, name) for _ in range(rng.randrange(4))]
    if pa.types.is_struct(t):
        return {f.name: value(f.type, rng, f.name) for f in t}
    if pa.types.is_string(t):
        return f"{name}-{rng.randrange(12)}"
    if pa.types.is_binary(t):
        return rng.randbytes(rng.randrange(8, 64))
    if pa.types.is_boolean(t):
        return rng.random() < 0.5
    if pa.types.is_integer(t):
        return rng.randrange(1000)
    if pa.types.is_floating(t):
        return rng.randrange(10000) / 100
    if pa.types.is_timestamp(t):
        return START + timedelta(seconds=rng.randrange(40 * 86400))
    if pa.types.is_date(t):
        return (START + timedelta(days=rng.randrange(40))).date()
    raise TypeError(t)


def rows(spec: TableSpec, n: int, rng: random.Random, **fixed) -> list[dict]:
    out = []
    for _ in range(n):
        r = {c.name: value(c.type, rng, c.name) for c in spec.columns}
        r.update({k: (v() if callable(v) else v) for k, v in fixed.items()})
        out.append(r)
    return out


def build_lake(root: str, *, runs: int = 12, articles_per_run: int = 20, days: int = 6, seed: int = 7) -> Lake:
    """A lake at `root` written by `runs` synthetic runs (about 7 files each); returns it."""
    rng = random.Random(seed)
    lake = Lake(root)
    lake.check()
    stored: list[str] = []
    for r in range(runs):
        run_id = f"2026100{r // 10}T{r % 10:02d}0000000000Z-{r:06x}"
        ids = [f"a{len(stored) + i:05d}" for i in range(articles_per_run)]
        if stored:   # a backfill-like newer version of some earlier articles
            ids += rng.sample(stored, min(len(stored), articles_per_run // 4))
        stored += [i for i in ids if i not in stored]
        arts = rows(ARTICLES, len(ids), rng, run_id=run_id, text_hash=lambda: f"t{rng.randrange(40)}",
                    story_id=lambda: f"s{rng.randrange(15)}")
        for a, i in zip(arts, ids):
            # What the views take the most common value of is a function of its group, so that
            # they have no ties to break (DuckDB's mode() breaks them by the order it reads rows).
            a["article_id"], a["wire_agency_detected"] = i, f"agency-{a['story_id']}"
        days_of = [(START + timedelta(days=int(i[1:]) % days)).date().isoformat() for i in ids]
        lake.append(ARTICLES, pa.Table.from_pylist(arts, schema=ARTICLES.schema), partition_values=days_of)
        hashes = sorted({a["text_hash"] for a in arts})
        docs = rows(NLP_DOCS, len(hashes), rng, run_id=run_id)
        for d, h in zip(docs, hashes):
            d["text_hash"] = h
            for q in d["quotes"]:
                for k in ("speaker_resolved", "speaker_entity", "speaker_kind"):
                    q[k] = f"{k}-{q['text']}"
        lake.append(NLP_DOCS, pa.Table.from_pylist(docs, schema=NLP_DOCS.schema))
        day = (START + timedelta(days=r % days)).date().isoformat()
        fetches = rows(FETCHES, 5, rng, run_id=run_id)
        for i, f in enumerate(fetches):
            f["seq"] = i
        lake.append(FETCHES, pa.Table.from_pylist(fetches, schema=FETCHES.schema), partition_values=[day] * 5,
                    name=run_id)
        caps = rows(CAPTURES, 3, rng, run_id=run_id)
        lake.append(CAPTURES, pa.Table.from_pylist(caps, schema=CAPTURES.schema), partition_values=[day] * 3,
                    name=run_id)
        index = rows(INDEX_SPEC, len(ids), rng)
        for x, i in zip(index, ids):
            x["article_id"] = i
        lake.append(INDEX_SPEC, pa.Table.from_pylist(index, schema=INDEX_SCHEMA), name=run_id)
        parses = rows(PARAGRAPHS, 6, rng, run_id=run_id, paragraph_hash=lambda: f"p{rng.randrange(60)}")
        lake.append(PARAGRAPHS, pa.Table.from_pylist(parses, schema=PARAGRAPHS.schema), name=run_id)
        lake.append(RUNS, pa.Table.from_pylist(rows(RUNS, 1, rng, run_id=run_id), schema=RUNS.schema), name=run_id)
        lake.replace_state(FEEDS, pa.Table.from_pylist(rows(FEEDS, 4, rng), schema=FEEDS.schema))
    return lake


def views_snapshot(db_path: str, lake: Lake | None = None) -> dict[str, list[tuple]]:
    """Every view's rows, sorted, read through the catalog at `db_path` (over `lake`, for an object store)."""
    con = connect(db_path, read_only=True)
    if lake is not None and lake.fsspec is not None:
        con.register_filesystem(lake.fsspec)
    try:
        return {v: con.execute(f"SELECT * FROM {v} ORDER BY ALL").fetchall() for v in VIEWS}
    finally:
        con.close()
