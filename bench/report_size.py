"""The report's size and time on a synthetic catalog of N articles (default 30,000): `python -m bench.report_size`."""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES
from tasks.catalog import open_catalog, refresh_catalog
from tasks.report import render_report
from tasks.storage import Lake

AGENCIES = ["AFP", "Reuters", "AP"]
WORDS = ("harbour council strike ferry quota minister flood rangers recall chip museum glacier fund vote "
         "budget port court school bridge storm coast market union talks").split()


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(7, 13))).capitalize()


def build(root: Path, n_articles: int, days: int = 30, n_sites: int = 50, seed: int = 1) -> Lake:
    """A lake shaped like a month of 50 sites: wire stories copied by many sites, entities, quotes, runs, fetches."""
    rng = random.Random(seed)
    lake = Lake(str(root / "lake"))
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    sites = [f"site{i:02d}.example" for i in range(n_sites)]
    people = [f"Person {i}" for i in range(3000)]
    orgs = [f"Organisation {i}" for i in range(1500)]
    places = [f"Place {i}" for i in range(800)]
    arts, docs, story = [], [], 0
    while len(arts) < n_articles:
        story += 1
        agency = rng.choice(AGENCIES) if rng.random() < 0.45 else None
        copies = min(n_sites, int(rng.paretovariate(1.2))) if agency else 1
        t0 = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        title, text_hash = _title(rng), f"t{story}"
        ents = [{"text": n, "norm": n, "label": lab, "start_char": 0, "end_char": len(n)}
                for pool, lab, k in ((people, "PERSON", 4), (orgs, "ORG", 3), (places, "GPE", 3))
                for n in (pool[min(len(pool) - 1, int(rng.paretovariate(0.9)))] for _ in range(k))]
        quotes = [{"text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))),
                   "speaker": p, "speaker_resolved": p, "speaker_entity": p, "cue": "say", "kind": "direct",
                   "start_char": 0, "end_char": 10} for p in rng.sample(people[:400], rng.randint(0, 3))]
        docs.append({"text_hash": text_hash, "entities": ents, "quotes": quotes, "run_id": "r", "model": "m"})
        for site in rng.sample(sites, copies):
            aid = f"a{len(arts)}"
            arts.append({"article_id": aid, "url": f"https://{site}/{aid}", "canonical_url": f"https://{site}/{aid}",
                         "site": site, "feed_url": f"https://{site}/feed", "title": title, "text": "x", "removed": [],
                         "word_count": 500, "content_hash": text_hash, "text_hash": text_hash, "story_id": f"s{story}",
                         "wire_agency_detected": agency, "run_id": "r",
                         "published_at": t0 + timedelta(minutes=rng.randrange(12 * 60)) if arts and copies > 1 else t0})
    spec = TABLES["articles"]
    lake.append(spec, pa.Table.from_pylist(arts, schema=spec.schema),
                partition_values=[a["published_at"].date().isoformat() for a in arts])
    nlp = TABLES["nlp_docs"]
    lake.append(nlp, pa.Table.from_pylist(docs, schema=nlp.schema), name="r")
    # A run every 30 minutes, each with 60 requests, a few of them failing.
    runs, fetches = [], []
    classes = ["timeout", "http_5xx", "http_4xx", "connect", "robots", "too_large"]
    for i in range(days * 48):
        t = start + timedelta(minutes=30 * i)
        runs.append({"run_id": f"r{i:05d}", "flow": "ingest", "started_at": t, "finished_at": t + timedelta(seconds=40),
                     "status": "partial" if i % 7 == 0 else "ok", "seconds": rng.uniform(10, 90),
                     "new_articles": n_articles // (days * 48), "feeds_failed": int(i % 7 == 0), "feeds_skipped": 0})
        for j in range(60):
            fetches.append({"run_id": f"r{i:05d}", "seq": j, "url": f"https://x/{j}", "kind": "page", "status": 200,
                            "error_class": rng.choice(classes) if rng.random() < 0.03 else None, "day": t.date().isoformat()})
    lake.append(TABLES["runs"], pa.Table.from_pylist(runs, schema=TABLES["runs"].schema), name="runs")
    lake.append(TABLES["fetches"], pa.Table.from_pylist(fetches, schema=TABLES["fetches"].schema),
                partition_values=[f["day"] for f in fetches])
    lake.replace_state(TABLES["feeds"], pa.Table.from_pylist(
        [{"feed_url": f"https://{s}/feed", "site": s, "last_status": "failed" if i < 5 else "ok",
          "last_error_class": "timeout" if i < 5 else None, "last_error": "read timed out" if i < 5 else None,
          "consecutive_failures": 3 if i < 5 else 0, "next_fetch_at": start + timedelta(days=days)}
         for i, s in enumerate(sites)], schema=TABLES["feeds"].schema))
    refresh_catalog(lake, str(root / "news.duckdb"))
    return lake


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=30_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--work", help="build the catalog here and keep it (default: a temporary directory)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.work or tmp
        if not (Path(d) / "news.duckdb").exists():
            build(Path(d), args.articles, args.days)
        con = open_catalog(str(Path(d) / "news.duckdb"))
        n = con.execute("SELECT count(*), count(DISTINCT story_id) FROM articles").fetchone()
        render_report(con, generated_at=datetime.now(timezone.utc))   # the JavaScript bundle is built once per process
        t = time.perf_counter()
        html = render_report(con, generated_at=datetime.now(timezone.utc))
        seconds = time.perf_counter() - t
        con.close()
    specs = html.split('<script id="specs" type="application/json">', 1)[1].split("</script>", 1)[0]
    print(json.dumps({"articles": n[0], "stories": n[1], "days": args.days, "report_bytes": len(html.encode()),
                      "chart_data_bytes": len(specs.encode()), "render_seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()
