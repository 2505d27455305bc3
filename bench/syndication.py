"""Syndication score: generate a testbed, serve it on loopback, ingest it in two runs, score the articles.

Usage: python -m bench.syndication [--stories 140] [--sites 12] [--seed 1] [--styles FILE] [--work DIR]
       python -m bench.syndication --lang fr [--seed 1] [--styles FILE] [--work DIR]
Needs ../shared (the testbed generator and scorer); skips cleanly without it. --lang fr uses the
French testbed of bench/french_testbed.py (42 stories on 6 sites; --stories and --sites do not apply).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import SCORER, free_port, make_testbed, newsflow, require_shared, sql_rows
from flows.sample_server import SampleServer
from tasks.feeds import read_feed_list

EXPORT = ("SELECT url, canonical_url, text, story_id AS cluster_id, wire_agency, title, dateline "
          "FROM articles ORDER BY url")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=140)
    ap.add_argument("--sites", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--styles", help="styles JSON replacing the testbed's built-in wrapper styles")
    ap.add_argument("--work", help="work directory (default: a temporary one, removed afterwards)")
    ap.add_argument("--lang", choices=("en", "fr"), default="en", help="en: make_testbed.py; fr: bench.french_testbed")
    args = ap.parse_args(argv)
    if not require_shared():
        return 0
    work = Path(args.work or tempfile.mkdtemp(prefix="newsflow-syndication-"))
    shutil.rmtree(work / "data", ignore_errors=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    extra = ["--stories", str(args.stories), "--sites", str(args.sites), "--seed", str(args.seed)]
    if args.styles:
        extra += ["--styles", str(Path(args.styles).resolve())]
    if args.lang == "fr":
        from bench.french_testbed import STYLES, generate
        shutil.rmtree(work / "testbed", ignore_errors=True)
        (work / "testbed").mkdir(parents=True)
        generate(work / "testbed", base, args.seed, Path(args.styles) if args.styles else STYLES)
    else:
        make_testbed(work / "testbed", base, *extra)
    # From the OPML, which names each site: all of them share one loopback host, which cannot.
    feeds = [f"{f.url} {f.site or ''}" for f in read_feed_list((work / "testbed" / "feeds.opml").read_text(encoding="utf-8"))]
    (work / "feeds-half.txt").write_text("\n".join(feeds[: len(feeds) // 2]) + "\n")
    (work / "feeds-all.txt").write_text("\n".join(feeds) + "\n")
    data = work / "data"
    with SampleServer(work / "testbed", port=port):
        r1, t1 = newsflow("ingest", "--feeds", str(work / "feeds-half.txt"), "--data", str(data), "--allow-private")
        first = {r["url"]: r["cluster_id"] for r in sql_rows(data, EXPORT)}
        r2, t2 = newsflow("ingest", "--feeds", str(work / "feeds-all.txt"), "--data", str(data), "--allow-private")
    rows = sql_rows(data, EXPORT)
    stable = sum(1 for r in rows if r["url"] in first and first[r["url"]] == r["cluster_id"])
    changed = len(first) - stable
    # A story id may legitimately be shared by more articles later; it must never change for a stored copy.
    dateline_kept = sum(1 for r in rows if r["dateline"] and r["text"].startswith(r["dateline"][:8]))
    pred = work / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"run 1 (half the feeds): {t1:.1f} s; run 2 (all): {t2:.1f} s; articles: {len(rows)}")
    print(f"story ids changed between runs: {changed} of {len(first)}; "
          f"datelines kept in text: {dateline_kept} of {sum(1 for r in rows if r['dateline'])}")
    res = subprocess.run([sys.executable, str(SCORER), "--truth", str(work / "testbed" / "truth.json"),
                          "--pred", str(pred)], capture_output=True, text=True)
    print(res.stdout, end="")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return res.returncode


if __name__ == "__main__":
    sys.exit(main())
