"""The NLP analysis: spaCy once per distinct paragraph (parses kept across runs), each text's Doc assembled from them."""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from schemas.tables import NLP_PARAGRAPHS, Column, TableSpec
from tasks.nlp import Analysis, load_model, release_memory, worker_model, worker_pool
from tasks.storage import Lake

# What a stored parse holds; a new format (another attribute, say) makes older rows unused.
PARSE_FORMAT = "para-1"
PARAGRAPHS_SCHEMA = pa.schema([
    ("paragraph_hash", pa.string()),   # paragraph_key() of the exact paragraph text
    ("model", pa.string()),            # model name and version, as nlp_docs.model
    ("nlp_version", pa.string()),      # tasks.nlp.NLP_VERSION + PARSE_FORMAT (parse_version())
    ("n_tokens", pa.int32()),
    ("tokens", pa.binary()),           # uint64 array (n_tokens x len(_COLUMNS)), see parse_record
    ("run_id", pa.string()),
])
# An append-mode table of the lake like story_index: compacted and checked with the others.
PARAGRAPHS = TableSpec(NLP_PARAGRAPHS, "The spaCy parse of each distinct paragraph (tasks.paragraphs)",
                       tuple(Column(f.name, f.type, "") for f in PARAGRAPHS_SCHEMA), ("paragraph_hash",))
_NEWLINES = re.compile(r"\n+")
# The model reads at most this many characters at once: a longer paragraph (a data dump, a page
# with no line breaks) is parsed in pieces cut between sentences, or else at a space, and its
# parse is the pieces' joined. spaCy refuses a text over its max_length (1,000,000 characters),
# which failed the NLP stage on every run while the text stayed pending, and the parser's memory
# grows with the length of what it reads.
PIECE_CHARS = 20_000
_SENTENCE_CUT = re.compile(r"[.!?]['\"”’)]? (?=\S)")
_SPACE_CUT = re.compile(r"(?<=\S) (?=\S)")
# Characters of a text that are analysed: no news article comes near it, and the rest of a
# longer text (a log, a feed entry holding a whole archive) is left out, so that one text
# cannot hold the NLP stage for minutes. The cut falls at a line break where there is one.
MAX_ANALYSED_CHARS = 200_000


def parse_version(nlp_version: str) -> str:
    """The version stored with a paragraph's parse: the extractor's and the stored format's."""
    return f"{nlp_version}/{PARSE_FORMAT}"


def paragraph_key(paragraph: str) -> str:
    """The cache key of one paragraph: a hash of its exact text."""
    return hashlib.blake2b(paragraph.encode("utf-8"), digest_size=16).hexdigest()


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every paragraph of `text`: the non-empty runs between line breaks."""
    spans, pos = [], 0
    for m in _NEWLINES.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _attrs():
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, POS, TAG

    return [TAG, POS, DEP, HEAD, ENT_IOB, ENT_TYPE]


_N_COLUMNS = 8   # token start, trailing space, then _attrs()


def parse_record(doc) -> bytes:
    """One paragraph's parse as bytes: per token its start, trailing space and the model's labels.

    Labels are spaCy string hashes, so a record is read back with the vocab of the same model.
    """
    import numpy as np

    arr = np.empty((len(doc), _N_COLUMNS), dtype="uint64")
    arr[:, 0] = [t.idx for t in doc]
    arr[:, 1] = [bool(t.whitespace_) for t in doc]
    arr[:, 2:] = doc.to_array(_attrs())
    return arr.tobytes()


class AssemblyError(ValueError):
    """Stored parses do not add up to the text (a paragraph's parse is missing or does not fit)."""


def assemble(vocab, text: str, records: Mapping[str, bytes]):
    """The Doc of `text` made of its paragraphs' parses (records: paragraph_key -> parse_record).

    Each run of line breaks between paragraphs is one whitespace token hanging on the token
    before it, as the model itself attaches it, so sentences, entities and heads never cross a
    paragraph break. Raises AssemblyError when a paragraph's parse is missing or its tokens do
    not spell the paragraph.
    """
    import numpy as np
    from spacy.parts_of_speech import SPACE
    from spacy.tokens import Doc

    sp_tag, dep, outside = vocab.strings.add("_SP"), vocab.strings.add("dep"), 2
    parts, pos = [], 0
    for start, end in split_paragraphs(text) + [(len(text), len(text))]:
        if start > pos:   # the line breaks before this paragraph
            head = np.uint64(2**64 - 1) if parts else 0   # -1: the previous token
            parts.append(np.array([[pos, 0, sp_tag, SPACE, dep, head, outside, 0]], dtype="uint64"))
        if end == start:
            break
        rec = records.get(paragraph_key(text[start:end]))
        if rec is None:
            raise AssemblyError(f"no parse for the paragraph at {start} of a text ({text[start:start + 40]!r})")
        arr = np.frombuffer(rec, dtype="uint64").reshape(-1, _N_COLUMNS).copy()
        arr[:, 0] += start
        parts.append(arr)
        pos = end
    arr = np.concatenate(parts) if parts else np.empty((0, _N_COLUMNS), dtype="uint64")
    starts = arr[:, 0].astype("int64").tolist()
    spaces = arr[:, 1].astype(bool).tolist()
    ends = starts[1:] + [len(text)]
    words = [text[s:e - sp] for s, e, sp in zip(starts, ends, spaces)]
    if (starts and starts[0] != 0) or any(not w for w in words) or not all(
            text[e - 1] == " " for e, sp in zip(ends, spaces) if sp):
        raise AssemblyError(f"stored parses do not spell the text ({text[:40]!r})")
    doc = Doc(vocab, words=words, spaces=spaces)
    if len(doc):
        doc.from_array(_attrs(), arr[:, 2:])
    return doc


def analyse_doc(key: str, doc) -> Analysis:
    """Entities and quotes of one assembled Doc (see assemble)."""
    from tasks.entities import extract_entities
    from tasks.quotes import extract_quotes

    n_words = sum(1 for t in doc if not (t.is_punct or t.is_space))
    entities = extract_entities(doc)
    return Analysis(key, n_words, entities, extract_quotes(doc, entities))


def parse_paragraphs(nlp, paragraphs: Sequence[str], batch_size: int = 64) -> dict[str, bytes]:
    """Run the model over `paragraphs` (each once, a long one in pieces: PIECE_CHARS); returns
    paragraph_key -> parse_record."""
    import numpy as np

    todo = list(dict.fromkeys(paragraphs))
    limit = min(PIECE_CHARS, nlp.max_length)
    pieces = [(i, start, end) for i, p in enumerate(todo) for start, end in pieces_of(p, limit)]
    parts: dict[int, list] = {}
    for (i, start, end), doc in zip(pieces, nlp.pipe((todo[i][s:e] for i, s, e in pieces), batch_size=batch_size)):
        arr = np.frombuffer(parse_record(doc), dtype="uint64").reshape(-1, _N_COLUMNS).copy()
        arr[:, 0] += start
        if len(arr) and end < len(todo[i]) and todo[i][end] == " ":
            arr[-1, 1] = 1   # the space the cut dropped follows the piece's last token
        parts.setdefault(i, []).append(arr)
    return {paragraph_key(p): np.concatenate(parts[i]).tobytes() for i, p in enumerate(todo)}


def pieces_of(paragraph: str, limit: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """(start, end) of the pieces the model reads of one paragraph: the whole of it up to
    `limit` characters; else pieces of at most `limit`, each cut after the last sentence end
    in its second half, else at its last single space (dropped between two pieces), else at
    `limit`. The pieces and dropped spaces spell the paragraph."""
    out, start = [], 0
    while len(paragraph) - start > limit:
        cut = None
        for pattern in (_SENTENCE_CUT, _SPACE_CUT):
            found = [m.end() - 1 for m in pattern.finditer(paragraph, start + limit // 2, start + limit + 1)]
            if found:
                cut = found[-1]   # the space
                break
        if cut is None:
            out.append((start, start + limit))
            start += limit
        else:
            out.append((start, cut))
            start = cut + 1
    out.append((start, len(paragraph)))
    return out


def bounded(text: str, limit: int = MAX_ANALYSED_CHARS) -> str:
    """The part of `text` that is analysed: all of it up to `limit` characters, else up to its
    last line break before `limit` (or the first `limit` characters if it has none there)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[:cut] if cut > 0 else text[:limit]


def paragraphs_of(text: str) -> Iterator[str]:
    for s, e in split_paragraphs(text):
        yield text[s:e]


@dataclass
class Job:
    """One unit of NLP work: texts to assemble and analyse, and the parses they need."""

    texts: list[tuple[str, str]]                              # (key, text) to analyse
    parse: list[str] = field(default_factory=list)            # paragraphs to run the model on
    known: dict[str, bytes] = field(default_factory=dict)     # parses already made, by paragraph_key
    owns: frozenset[str] = frozenset()                        # keys of paragraphs of `texts` to parse

    def take_owned(self) -> Job:
        """Add the paragraphs of its texts that it owns to `parse` (then drop the keys). A planned
        job holds keys until it is submitted, not paragraph copies: 53 MB of them at 30k articles."""
        if self.owns:
            self.parse += [p for p in dict.fromkeys(q for _, t in self.texts for q in paragraphs_of(t))
                           if paragraph_key(p) in self.owns]
            self.owns = frozenset()
        return self


@dataclass
class JobResult:
    analyses: list[Analysis]
    parsed: dict[str, bytes]    # the parses this job made (for the cache)


def run_job(nlp, job: Job, batch_size: int = 64) -> JobResult:
    """Parse the job's new paragraphs, then assemble and analyse each of its texts."""
    parsed = parse_paragraphs(nlp, job.parse, batch_size) if job.parse else {}
    records = {**job.known, **parsed}
    return JobResult([_analysed(nlp, k, t, records) for k, t in job.texts], parsed)


def _analysed(nlp, key: str, text: str, records: Mapping[str, bytes]) -> Analysis:
    """The text's Analysis, or an empty one naming the error: one text whose analysis fails
    (a rule tripping on odd copy) must not fail the others, nor every later run while it stays
    pending."""
    try:
        return analyse_doc(key, assemble(nlp.vocab, text, records))
    except Exception as e:  # noqa: BLE001 - recorded in nlp_docs.error
        return Analysis(key, 0, error=f"{type(e).__name__}: {e}"[:500])


def analyze_texts(nlp, items: Sequence[tuple[str, str]], batch_size: int = 64) -> list[Analysis]:
    """Analyse (key, text) items in this process with model `nlp`, each paragraph parsed once
    (no stored parses); one Analysis per item, in order. analyze_by_paragraph is the same with a
    cache of parses and worker processes."""
    items = [(k, bounded(t)) for k, t in items]
    paragraphs = [p for _, t in items for p in paragraphs_of(t)]
    return run_job(nlp, Job(items, paragraphs), batch_size).analyses


def _work(job: Job, batch_size: int, model_name: str | None) -> JobResult:
    try:
        return run_job(worker_model(model_name), job, batch_size)
    finally:
        release_memory(collect=False)


def plan_jobs(items: Sequence[tuple[str, str]], cached: set[str], chunk_words: int = 5_000
              ) -> tuple[list[Job], list[Job]]:
    """Split texts into jobs so that each paragraph not in `cached` is parsed by one job only.

    Texts are taken in order (keep a story's copies together: they share most paragraphs) and
    cut into jobs of about `chunk_words` new words to parse. A paragraph that texts of more than
    one job need (a line many stories share) is parsed ahead, by parse-only jobs that run
    first, so that no text waits for another job of its round and the run keeps only those
    shared parses. Returns (jobs ahead, jobs); a job's paragraphs of its own are named by key
    (`owns`) until Job.take_owned, and its `known` is left for the caller to fill.
    """
    chunks: list[list[tuple[str, str]]] = [[]]
    owner: dict[str, int] = {}        # new paragraph -> the first job that needs it
    shared: dict[str, str] = {}       # paragraphs of more than one job, by key
    words = 0
    for key, text in items:
        if words >= chunk_words:
            chunks.append([])
            words = 0
        j = len(chunks) - 1
        chunks[j].append((key, text))
        for p in dict.fromkeys(paragraphs_of(text)):
            if (h := paragraph_key(p)) in cached:
                continue
            if h not in owner:
                owner[h] = j
                words += p.count(" ") + 1
            elif owner[h] != j:
                shared[h] = p
    mine: list[set[str]] = [set() for _ in chunks]
    for h, j in owner.items():
        if h not in shared:
            mine[j].add(h)
    del owner
    jobs = [Job(texts, owns=frozenset(keys)) for texts, keys in zip(chunks, mine)]
    ahead, words = [Job([])], 0
    for p in shared.values():
        if words >= chunk_words:
            ahead.append(Job([]))
            words = 0
        ahead[-1].parse.append(p)
        words += p.count(" ") + 1
    return [j for j in ahead if j.parse], [j for j in jobs if j.texts]


@dataclass
class ParagraphStats:
    """What the paragraph stage did: paragraphs parsed, and parses taken from the cache."""

    paragraphs_parsed: int = 0
    paragraphs_cached: int = 0


def analyze_by_paragraph(items: Sequence[tuple[str, str]], cache: Callable[[set[str]], dict[str, bytes]], *,
                         model_name: str | None = None, n_process: int = 1, batch_size: int = 64,
                         chunk_words: int = 5_000, pool: cf.Executor | None = None,
                         on_parsed: Callable[[dict[str, bytes]], None] | None = None,
                         stats: ParagraphStats | None = None,
                         progress: Callable[[int, int], None] | None = None) -> Iterator[Analysis]:
    """Analyse (key, text) items with model `model_name` through their paragraphs; yields one
    Analysis per item (its `model` set), in completion order.

    `cache(keys)` returns the stored parses among those paragraph keys; only the other
    paragraphs go through the model, each once, and `on_parsed` receives each job's new
    parses (to store them). With a `pool`, or n_process > 1, jobs go to worker processes that
    each load the model once (see tasks.nlp.worker_pool); else the model is loaded here (its
    vocabulary reads the stored parses, so a run whose paragraphs are all stored loads it too).
    """
    items = [(k, bounded(t)) for k, t in items]
    if not items:
        return
    stats = stats if stats is not None else ParagraphStats()
    known = cache({paragraph_key(p) for _, t in items for p in paragraphs_of(t)})
    ahead, jobs = plan_jobs(items, set(known), chunk_words)
    stats.paragraphs_cached = len(known)
    stats.paragraphs_parsed = sum(len(j.parse) + len(j.owns) for j in ahead + jobs)
    done = 0

    def finished(res: JobResult) -> list[Analysis]:
        nonlocal done
        if on_parsed and res.parsed:
            on_parsed(res.parsed)
        for a in res.analyses:
            a.model = model_name
        done += len(res.analyses)
        if progress:
            progress(done, len(items))
        return res.analyses

    def with_known(jobs: list[Job]) -> Iterator[Job]:
        # Each job is given the stored and the ahead-parsed paragraphs it needs as it is submitted.
        for job in _drain(jobs):
            job.known = {h: known[h] for _, t in job.texts for p in paragraphs_of(t) if (h := paragraph_key(p)) in known}
            yield job.take_owned()

    with contextlib.ExitStack() as stack:
        if pool is None and n_process > 1 and len(ahead) + len(jobs) > 1:
            pool = stack.enter_context(worker_pool(n_process, model_name))
        if pool is None:
            nlp = load_model(model_name)
            run = lambda todo: (run_job(nlp, job, batch_size) for job in todo)   # noqa: E731
        else:
            run = lambda todo: _in_flight(pool, _work, todo, batch_size, model_name)   # noqa: E731
        for res in run(_drain(ahead)):
            known.update(res.parsed)
            yield from finished(res)
        for res in run(with_known(jobs)):
            yield from finished(res)


# Jobs submitted to the workers and not yet consumed. Enough to keep every worker busy (a job is
# about chunk_words of parsing), few enough that the run never holds all its jobs' texts and
# results at once: submitted all at once, every finished job's parses and analyses stayed in
# memory until the last one finished (at 30k articles, hundreds of MB in this process).
IN_FLIGHT = 32


def _drain(jobs: list[Job]) -> Iterator[Job]:
    """The jobs in order, each dropped from the list as it is taken (the list holds no job run)."""
    jobs.reverse()
    while jobs:
        yield jobs.pop()


def _in_flight(pool: cf.Executor, fn: Callable, jobs: Iterator[Job], *args, limit: int = IN_FLIGHT
               ) -> Iterator[JobResult]:
    """fn(job, *args) for each job in `pool`, at most `limit` submitted and unconsumed at once;
    results in completion order, none kept once yielded."""
    pending: set[cf.Future] = set()
    jobs = iter(jobs)
    while True:
        for job in itertools.islice(jobs, limit - len(pending)):
            pending.add(pool.submit(fn, job, *args))
        if not pending:
            return
        done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for fut in done:
            yield fut.result()


def paragraphs_table(parsed: Mapping[str, bytes], model: str, nlp_version: str, run_id: str) -> pa.Table:
    """Rows of the paragraph cache for a batch of new parses (`nlp_version`: tasks.nlp.NLP_VERSION)."""
    keys = sorted(parsed)
    version = parse_version(nlp_version)
    return pa.table({
        "paragraph_hash": keys, "model": [model] * len(keys), "nlp_version": [version] * len(keys),
        "n_tokens": [len(parsed[k]) // (8 * _N_COLUMNS) for k in keys],
        "tokens": [parsed[k] for k in keys], "run_id": [run_id] * len(keys),
    }, schema=PARAGRAPHS_SCHEMA)


def stored_parses(lake: Lake, keys: set[str], model: str, nlp_version: str) -> dict[str, bytes]:
    """The parses the lake holds for these paragraph keys, by this model and parse_version(nlp_version)."""
    import pyarrow.compute as pc

    if not keys:
        return {}
    t = lake.read_table(NLP_PARAGRAPHS, schema=PARAGRAPHS_SCHEMA, columns=["paragraph_hash", "tokens"],
                        filter=(pc.field("model") == model) & (pc.field("nlp_version") == parse_version(nlp_version))
                        & pc.field("paragraph_hash").isin(sorted(keys)))
    if t is None:
        return {}
    return dict(zip(t.column("paragraph_hash").to_pylist(), t.column("tokens").to_pylist()))
