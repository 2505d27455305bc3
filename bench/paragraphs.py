"""Stored paragraph parses against a fresh analysis (equal by construction?), and against the old whole-text parse.

Usage: python -m bench.paragraphs [--size 2000] [--writethru P] [--data DIR] [--work DIR] [--examples N] [--limit N]

Ingests a bench.perf testbed of about --size articles (or reads the lake of an existing data
directory, --data), takes every distinct stored text (one per text_hash) and analyses it with
the pipeline's model three ways: (a) assembled from parses stored by two earlier "runs" (every
other text first, then the rest, each run parsing only paragraphs not parsed before, in batches
mixing many texts' paragraphs), (b) fresh, alone (tasks.paragraphs.analyze_texts on that text
only), and, for information, (c) from one parse of the whole text, as before nlp-5. It reports
the share of texts whose entities and quotes are identical between (a) and (b), listing any
difference, and between (c) and (b), classifying those; all timed in two processes, with the
load average.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import require_shared

BOUNDARY_TOKENS = 4   # tok2vec of the small English models sees 4 tokens each side (window 1, depth 4)


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def whole_docs(nlp, texts: list[tuple[str, str]], batch_size: int) -> list:
    """Docs of whole texts, as the pipeline parsed them before nlp-5 (for the comparison only)."""
    return list(nlp.pipe((t for _, t in texts), batch_size=batch_size))


def _same(x, y) -> bool:
    return x.entities == y.entities and x.quotes == y.quotes


def _first_difference(x, y) -> dict:
    for kind in ("entities", "quotes"):
        xs, ys = getattr(x, kind), getattr(y, kind)
        if xs != ys:
            i = next((i for i, (a, b) in enumerate(zip(xs, ys)) if a != b), min(len(xs), len(ys)))
            return {"what": kind, "counts": (len(xs), len(ys)), "stored": xs[i] if i < len(xs) else None,
                    "fresh": ys[i] if i < len(ys) else None}
    return {}


def _compare(texts: list[tuple[str, str]], batch_size: int) -> dict:
    """In one process: each text analysed from parses stored by two earlier "runs", and fresh
    (alone, nothing stored); and, for information, from a whole-text parse. Timed."""
    from tasks.nlp import load_model
    from tasks.paragraphs import analyse_doc, analyze_texts, assemble, paragraph_key, paragraphs_of, parse_paragraphs

    nlp = load_model()
    # Stored parses: run 1 ingests every other text, run 2 the rest; each run parses only the
    # paragraphs no run parsed before, in nlp.pipe batches mixing many texts' paragraphs.
    t0 = time.perf_counter()
    store: dict[str, bytes] = {}
    for run in (texts[0::2], texts[1::2]):
        new = [p for _, t in run for p in paragraphs_of(t) if paragraph_key(p) not in store]
        store.update(parse_paragraphs(nlp, new, batch_size=4 * batch_size))
    t_parse = time.perf_counter() - t0
    assembled_docs = [assemble(nlp.vocab, t, store) for _, t in texts]
    t_assemble = time.perf_counter() - t0 - t_parse
    stored = [analyse_doc(k, d) for (k, _), d in zip(texts, assembled_docs)]
    t_stored = time.perf_counter() - t0
    # Fresh: each text alone, its own paragraphs in a batch of their own.
    t0 = time.perf_counter()
    fresh = [analyze_texts(nlp, [item], batch_size=4 * batch_size)[0] for item in texts]
    t_fresh = time.perf_counter() - t0
    t0 = time.perf_counter()
    wdocs = whole_docs(nlp, texts, batch_size)
    t_whole_pipe = time.perf_counter() - t0
    whole = [analyse_doc(k, d) for (k, _), d in zip(texts, wdocs)]
    t_whole = time.perf_counter() - t0
    stored_diffs = [{"key": k, **_first_difference(s, f)} for (k, _), s, f in zip(texts, stored, fresh)
                    if not _same(s, f)]
    diffs = []
    mentions = Counter()
    for (key, text), w, a, wd, ad in zip(texts, whole, fresh, wdocs, assembled_docs):
        for kind, x, y in (("entities", w.entities, a.entities), ("quotes", w.quotes, a.quotes)):
            xs, ys = {tuple(sorted(m.items())) for m in x}, {tuple(sorted(m.items())) for m in y}
            mentions[f"{kind}_whole"] += len(xs)
            mentions[f"{kind}_assembled"] += len(ys)
            mentions[f"{kind}_same"] += len(xs & ys)
        if not _same(w, a):
            diffs.append({"key": key, **classify(text, w, a, wd, ad)})
    return {"n": len(texts), "paragraphs": len(store), "t_whole_pipe": t_whole_pipe, "t_whole": t_whole,
            "t_parse": t_parse, "t_assemble": t_assemble, "t_stored": t_stored, "t_fresh": t_fresh,
            "stored_diffs": stored_diffs, "diffs": diffs, "mentions": mentions,
            "stored_mentions": sum(len(s.entities) + len(s.quotes) for s in stored),
            "words": sum(len(t.split()) for _, t in texts),
            "para_words": sum(len(p.split()) for p in dict.fromkeys(p for _, t in texts for p in paragraphs_of(t)))}


def _near_break(doc, i: int) -> bool:
    """Token i lies within BOUNDARY_TOKENS tokens of a line break (the model's context crosses it)."""
    lo, hi = max(0, i - BOUNDARY_TOKENS), min(len(doc), i + BOUNDARY_TOKENS + 1)
    return any("\n" in doc[j].text for j in range(lo, hi))


def classify(text: str, w, a, wd, ad) -> dict:
    """Why an assembled analysis differs from the whole one: the first cause that applies.

    - tokens: the two Docs are tokenized differently (line breaks next to spaces);
    - sentence across a break: the whole-text parse runs a sentence over a line break;
    - labels near a break: some token within BOUNDARY_TOKENS of a break got another tag,
      dependency or entity label (the model's context window crosses the break);
    - elsewhere: tokens differ only far from any break (batch effects, document-level steps).
    """
    ents_w = {(e["start_char"], e["end_char"], e["label"], e["norm"]) for e in w.entities}
    ents_a = {(e["start_char"], e["end_char"], e["label"], e["norm"]) for e in a.entities}
    q_w = {tuple(sorted(q.items())) for q in w.quotes}
    q_a = {tuple(sorted(q.items())) for q in a.quotes}
    what = [x for x, d in (("entities", ents_w != ents_a), ("quotes", q_w != q_a)) if d]
    if [t.text for t in wd] != [t.text for t in ad]:
        cause = "tokens"
    elif any("\n" in t.text and not t.is_sent_start and i + 1 < len(wd) and not wd[i + 1].is_sent_start
             for i, t in enumerate(wd)):
        cause = "sentence across a break"
    else:
        changed = [i for i, (x, y) in enumerate(zip(wd, ad))
                   if (x.tag_, x.dep_, x.head.i, x.ent_iob_, x.ent_type_) != (y.tag_, y.dep_, y.head.i, y.ent_iob_, y.ent_type_)]
        if changed and all(_near_break(wd, i) for i in changed):
            cause = "labels near a break"
        elif changed:
            cause = "labels elsewhere"
        else:
            cause = "same tokens and labels"
    only_w = sorted(ents_w - ents_a)[:3]
    only_a = sorted(ents_a - ents_w)[:3]
    return {"cause": cause, "what": what,
            "entities_whole_only": [(text[s:e], lab, n) for s, e, lab, n in only_w],
            "entities_assembled_only": [(text[s:e], lab, n) for s, e, lab, n in only_a],
            "quotes_whole_only": [dict(q)["text"][:60] for q in sorted(q_w - q_a)][:2],
            "quotes_assembled_only": [dict(q)["text"][:60] for q in sorted(q_a - q_w)][:2]}


def distinct_texts(data: Path) -> tuple[list[tuple[str, str]], int]:
    """(text_hash, text) of every distinct text in the data directory's lake, sorted by hash, and
    the words of one text per story (its longest: the floor of whole-text analysis that maps
    every other copy and version)."""
    from flows.settings import load_settings
    from flows.objectstore import open_lake

    lake = open_lake(load_settings(str(data)).lake_root)
    t = lake.read_table("articles", columns=["text_hash", "text", "story_id"])
    rows = dict(zip(t.column("text_hash").to_pylist(), t.column("text").to_pylist()))
    longest: dict[str, int] = {}
    for text, story in zip(t.column("text").to_pylist(), t.column("story_id").to_pylist()):
        longest[story] = max(longest.get(story, 0), len(text.split()))
    return sorted(rows.items()), sum(longest.values())


def compare(texts: list[tuple[str, str]], n_process: int = 2, batch_size: int = 16) -> dict:
    """The analyses of `texts` in `n_process` processes (texts dealt out in turn)."""
    parts = [texts[i::n_process] for i in range(n_process)]
    t0 = time.monotonic()
    with cf.ProcessPoolExecutor(n_process, mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(_compare, parts, [batch_size] * n_process))
    wall = time.monotonic() - t0
    out = {k: sum(r[k] for r in results) for k in ("n", "paragraphs", "words", "para_words")}
    out.update({k: max(r[k] for r in results) for k in ("t_whole_pipe", "t_whole", "t_parse", "t_assemble",
                                                        "t_stored", "t_fresh")})
    out["wall"] = wall
    out["stored_mentions"] = sum(r["stored_mentions"] for r in results)
    out["diffs"] = [d for r in results for d in r["diffs"]]
    out["stored_diffs"] = [d for r in results for d in r["stored_diffs"]]
    out["mentions"] = sum((Counter(r["mentions"]) for r in results), Counter())
    return out


def render(res: dict, examples: int) -> str:
    n, diffs, stored_diffs = res["n"], res["diffs"], res["stored_diffs"]
    same = n - len(diffs)
    same_stored = n - len(stored_diffs)
    causes = Counter(d["cause"] for d in diffs)
    what = Counter("+".join(d["what"]) for d in diffs)
    lines = [
        f"texts: {n:,} distinct ({res['words']:,} words); paragraphs in them: {res['paragraphs_all']:,}, "
        f"distinct {res['paragraphs']:,} ({res['para_words']:,} words, {res['para_words'] / res['words']:.1%} of the texts' words; "
        "each process dedupes its own share)",
        f"words the model runs on: whole texts {res['words']:,}; one text per story (its longest) "
        f"{res['story_words']:,}; distinct paragraphs over all texts {res['paragraph_words_all_distinct']:,}",
        f"(a) vs (b): texts analysed from stored parses with entities and quotes identical to a fresh "
        f"analysis: {same_stored:,} of {n:,} = {same_stored / n:.2%} (target >= 99.5%; "
        f"{res['stored_mentions']:,} mentions and quotes)",
        *(f"  differs: {d['key'][:12]} {json.dumps({k: v for k, v in d.items() if k != 'key'}, ensure_ascii=False)}"
          for d in stored_diffs[:examples]),
        f"(c) vs (b), the old whole-text parse: identical entities and quotes {same:,} of {n:,} = {same / n:.2%}",
        "differing texts by cause: " + ", ".join(f"{c} {k}" for c, k in sorted(((k, c) for c, k in causes.items()),
                                                                            reverse=True)),
        "differing texts by what differs: " + ", ".join(f"{w} {k}" for w, k in what.most_common()),
        *(f"{kind}: {m[kind + '_whole']:,} in the whole texts, {m[kind + '_assembled']:,} assembled, "
          f"{m[kind + '_same']:,} identical in both ({m[kind + '_same'] / max(1, m[kind + '_whole']):.2%} of the whole texts')"
          for m in [res["mentions"]] for kind in ("entities", "quotes")),
        f"time (slowest of the processes): (a) parse {res['t_parse']:.1f} s, assemble {res['t_assemble']:.1f} s, "
        f"with extraction {res['t_stored']:.1f} s; (b) each text alone {res['t_fresh']:.1f} s; (c) whole nlp.pipe "
        f"{res['t_whole_pipe']:.1f} s (+ extraction: {res['t_whole']:.1f} s); wall {res['wall']:.1f} s; "
        f"load {res['load_before']:.2f} -> {res['load_after']:.2f}",
    ]
    for d in diffs[:examples]:
        lines.append(f"- {d['key'][:12]} {d['cause']}: {json.dumps({k: v for k, v in d.items() if k not in ('key', 'cause')}, ensure_ascii=False)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.paragraphs", description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="articles in the testbed (default 2000)")
    ap.add_argument("--writethru", type=float, default=None, help="the generator's --writethru share")
    ap.add_argument("--data", help="an existing data directory to read instead of ingesting a testbed")
    ap.add_argument("--work", help="where the testbed and data go (default: a temporary directory)")
    ap.add_argument("--examples", type=int, default=15, help="differing texts to list")
    ap.add_argument("--limit", type=int, default=0, help="compare only the first N texts (0: all)")
    args = ap.parse_args(argv)
    if args.data:
        data = Path(args.data)
    else:
        if not require_shared():
            return 0
        from bench.perf import ingest_phase

        work = Path(args.work or tempfile.mkdtemp(prefix="newsflow-paragraphs-"))
        extra = ["--writethru", str(args.writethru)] if args.writethru is not None else []
        ingest_phase(args.size, work / f"size-{args.size}", extra)
        data = work / f"size-{args.size}" / "data"
    texts, story_words = distinct_texts(data)
    if args.limit:
        texts = texts[:args.limit]
    from tasks.paragraphs import paragraphs_of

    before = load()
    res = compare(texts, n_process=int(os.environ.get("NEWSFLOW_N_PROCESS", "2")))
    distinct_paragraphs = set(p for _, t in texts for p in paragraphs_of(t))
    res.update(load_before=before, load_after=load(),
               paragraphs_all=sum(1 for _, t in texts for _ in paragraphs_of(t)),
               paragraph_words_all_distinct=sum(len(p.split()) for p in distinct_paragraphs),
               story_words=story_words)
    print(render(res, args.examples))
    out = data.parent / "paragraphs.json"
    out.write_text(json.dumps(res, default=str, ensure_ascii=False), encoding="utf-8")
    print(f"raw results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
