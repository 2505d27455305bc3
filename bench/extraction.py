"""Extraction on real pages: newsflow's extract + clean against trafilatura alone on the Scrapinghub benchmark.

Usage: python -m bench.extraction [--split tune|heldout|all] [--worst N] [--published] [--json FILE]

The 181 pages of the Scrapinghub (Zyte) article-extraction benchmark (../shared/corpora), scored
with the benchmark's own metric: token 4-gram shingles of \\w+ tokens, per page true positives,
false positives and false negatives as shares of their sum, precision and recall averaged over
pages (a page with an empty prediction counts for recall only), F1 from those two means.

newsflow: tasks.extract.extract_article on the page bytes, then the cleaner as the pipeline runs
it, the pages of one site (its registrable domain) cleaned as one batch (clean_site_batch:
furniture learned from the batch, the batch's headlines, each page's title and byline).
trafilatura alone: trafilatura.extract with its default settings, and with comments off (as newsflow
runs it).

The pages are split once into a tune half and a held-out half (bench/extraction_split.json,
made by --make-split with a fixed seed before any tuning). Tune on `--split tune` (the default;
`--worst` lists its worst pages); score the held-out half rarely and say how often.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import re
import statistics
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from bench.common import SHARED

CORPUS = SHARED / "corpora" / "scrapinghub-article-extraction-benchmark"
SPLIT = Path(__file__).with_name("extraction_split.json")
SPLIT_SEED = 20260321
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> collections.Counter:
    """The bag of token n-grams of `text` (tokens: \\w+)."""
    tokens = _TOKEN.findall(text)
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def page_counts(truth: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page's shingles, as shares of their sum (all 0 when both are empty)."""
    gold, got = shingles(truth), shingles(pred)
    tp = sum((gold & got).values())
    fp = sum((got - gold).values())
    fn = sum((gold - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(counts: Iterable[tuple[float, float, float]]) -> dict[str, float]:
    """Precision and recall averaged over pages (pages without a denominator left out), F1 of the two."""
    counts = list(counts)
    precisions = [tp / (tp + fp) for tp, fp, _ in counts if tp + fp > 0]
    recalls = [tp / (tp + fn) for tp, _, fn in counts if tp + fn > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "pages": len(counts)}


def load_truth() -> dict[str, dict]:
    return json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))


def page_bytes(item_id: str) -> bytes:
    return gzip.decompress((CORPUS / "html" / f"{item_id}.html.gz").read_bytes())


def make_split(ids: Iterable[str]) -> dict[str, list[str]]:
    """A fixed random half of the pages held out (the larger half is for tuning)."""
    ids = sorted(ids)
    heldout = sorted(random.Random(SPLIT_SEED).sample(ids, len(ids) // 2))
    return {"seed": SPLIT_SEED, "heldout": heldout, "tune": sorted(set(ids) - set(heldout))}


def newsflow_texts(truth: Mapping[str, dict], ids: list[str]) -> dict[str, str]:
    """Extract + clean each page as the pipeline does, one batch per site."""
    from tasks.clean import clean_site_batch
    from tasks.extract import ExtractionError, extract_article
    from tasks.sites import site_key

    extracted = {}
    for item_id in ids:
        try:
            extracted[item_id] = extract_article(page_bytes(item_id), truth[item_id]["url"])
        except ExtractionError:
            extracted[item_id] = None
    by_site: dict[str, list[str]] = collections.defaultdict(list)
    for item_id in ids:
        if extracted[item_id] is not None:
            by_site[site_key(truth[item_id]["url"])].append(item_id)
    out = {item_id: "" for item_id in ids}
    for site_ids in by_site.values():
        pages = [extracted[i] for i in site_ids]
        cleaned = clean_site_batch([p.text for p in pages], [p.title for p in pages],
                                   bylines=[p.author for p in pages])
        out.update(zip(site_ids, (c.text for c in cleaned)))
    return out


def trafilatura_texts(ids: list[str], **options) -> dict[str, str]:
    """trafilatura.extract with its default settings, but for `options`."""
    import trafilatura

    return {item_id: trafilatura.extract(page_bytes(item_id), **options) or "" for item_id in ids}


def published_texts(name: str) -> dict[str, str]:
    """A prediction file of the benchmark's output/ (plain or {"output": {...}})."""
    data = json.loads((CORPUS / "output" / f"{name}.json").read_text(encoding="utf-8"))
    if isinstance(data.get("output"), dict):
        data = data["output"]
    return {k: (v or {}).get("articleBody") or "" for k, v in data.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="tune")
    ap.add_argument("--worst", type=int, default=0, help="list the N pages where newsflow loses most F1 (tune only)")
    ap.add_argument("--published", action="store_true", help="also score the benchmark's stored outputs")
    ap.add_argument("--json", help="write per-page texts and scores here")
    ap.add_argument("--make-split", action="store_true", help=f"write {SPLIT.name} (once, before any tuning)")
    args = ap.parse_args(argv)
    if not (CORPUS / "ground-truth.json").exists():
        print(f"skipped: {CORPUS} is not here")
        return 0
    truth = load_truth()
    if args.make_split:
        if SPLIT.exists():
            raise SystemExit(f"{SPLIT} exists: the split is made once")
        SPLIT.write_text(json.dumps(make_split(truth), indent=1) + "\n")
        return 0
    split = json.loads(SPLIT.read_text())
    ids = sorted(truth) if args.split == "all" else split[args.split]
    if args.worst and args.split != "tune":
        raise SystemExit("--worst looks at the tune half only")

    systems = {"newsflow (extract + clean)": newsflow_texts(truth, ids), "trafilatura alone": trafilatura_texts(ids),
               # The settings newsflow runs trafilatura with (comments are not the article): the fair baseline.
               "trafilatura alone, comments off": trafilatura_texts(ids, include_comments=False)}
    if args.published:
        for name in ("rs_trafilatura", "AutoExtract", "trafilatura", "go_trafilatura", "newspaper", "readability_js"):
            got = published_texts(name)
            systems[f"{name} (published output)"] = {i: got.get(i, "") for i in ids}
    per_page = {name: {i: page_counts(truth[i]["articleBody"], texts[i]) for i in ids}
                for name, texts in systems.items()}
    print(f"Scrapinghub benchmark, {args.split} ({len(ids)} pages)")
    print("| system | precision | recall | F1 |\n|---|---|---|---|")
    for name, counts in per_page.items():
        s = score(counts.values())
        print(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |")
    if args.worst:
        ours, theirs = per_page["newsflow (extract + clean)"], per_page["trafilatura alone, comments off"]

        def f1(c: tuple[float, float, float]) -> float:
            return 2 * c[0] / (2 * c[0] + c[1] + c[2]) if c[0] else 0.0
        print("\nworst pages (newsflow F1, trafilatura F1, fp share, fn share, url):")
        for i in sorted(ids, key=lambda i: f1(ours[i]))[: args.worst]:
            print(f"{f1(ours[i]):.3f} {f1(theirs[i]):.3f} {ours[i][1]:.3f} {ours[i][2]:.3f} {i[:12]} "
                  f"{truth[i]['url']}")
    if args.json:
        Path(args.json).write_text(json.dumps({name: {i: {"text": systems[name][i], "counts": per_page[name][i]}
                                                      for i in ids} for name in systems}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
