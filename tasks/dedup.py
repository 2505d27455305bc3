"""Stage 5: canonical URLs, content hashes and syndication-aware story clustering."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pyarrow as pa

from tasks.textutil import translator

__all__ = [
    "INDEX_SCHEMA",
    "SIGNATURE_VERSION",
    "IndexFormatError",
    "StoryAssignment",
    "StoryDoc",
    "StoryIndex",
    "canonicalize_url",
    "content_hash",
    "story_agency",
]

# ---------------------------------------------------------------------------------------------
# URLs

# Query parameters that only say how a reader arrived. Compared case-insensitively.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "hsctatracking", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "ocid",
    "cmpid", "ncid", "smid", "sr_share", "s_cid", "wt.mc_id", "at_medium", "at_campaign",
    "__twitter_impression", "ito",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
# Values of ?amp= that mean "serve the AMP rendition".
_AMP_FLAG_VALUES = frozenset({"", "1", "true", "yes"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _is_amp_param(name: str, value: str) -> bool:
    low = name.lower()
    if low == "amp":
        return value.lower() in _AMP_FLAG_VALUES
    return low in ("outputtype", "output", "format") and value.lower() == "amp"


def _strip_amp_path(path: str) -> str:
    for amp_ext, ext in ((".amp.html", ".html"), (".amp.htm", ".htm")):
        if path.lower().endswith(amp_ext):
            path = path[: -len(amp_ext)] + ext
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    if len(kept) == len(segments):
        return path
    out = "/".join(kept)
    out = re.sub(r"/{2,}", "/", out)
    return out if out.startswith("/") else "/" + out


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an article URL, so that variants of one page compare equal.

    Scheme and host are lower-cased, a default port and the fragment are dropped, tracking
    parameters (utm_*, fbclid, gclid, mc_cid, ...) are removed, AMP renditions (an ``amp.``
    subdomain, an ``/amp/`` path segment or trailing ``/amp``, ``.amp.html``, ``?amp=1``,
    ``outputType=amp``) map to the plain URL, and the remaining query parameters are sorted.
    Percent-encodings are kept as written.

    Takes: an absolute http(s) URL. Returns: the canonical URL string.
    Raises: ValueError naming the URL when it is not an absolute http(s) URL.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}: {url!r}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.rstrip(".")  # urlsplit lower-cases hostname
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[len("amp."):]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"

    path = _strip_amp_path(parts.path or "/")
    pairs = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if _is_tracking(name) or _is_amp_param(name, value):
            continue
        pairs.append((name, value, piece))
    pairs.sort(key=lambda p: (p[0], p[1]))
    query = "&".join(p[2] for p in pairs)
    return urlunsplit((scheme, netloc, path, query, ""))


# ---------------------------------------------------------------------------------------------
# Text normalization and hashing

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
})
_unify_typography = translator(_QUOTES)
_DASH_RUN = re.compile(r"-{2,}")
_SPACE_RUN = re.compile(r"\s+")


def _fold(text: str) -> str:
    return _unify_typography(unicodedata.normalize("NFKC", text)).casefold()


def normalize_text(text: str) -> str:
    """Return `text` NFKC-normalized and case-folded, with quotes, dashes and whitespace unified.

    Retypesetting (curly vs straight quotes, "--" vs an em dash, non-breaking spaces, soft
    hyphens) and re-wrapping of lines do not change the result.
    """
    t = _DASH_RUN.sub("-", _fold(text))
    return _SPACE_RUN.sub(" ", t).strip()


def content_hash(text: str) -> str:
    """Return a stable hex hash (32 hex digits) of the normalized text.

    Copies that differ only in whitespace, case, quote and dash typography share the hash.
    Takes: the clean article text. Returns: the hex digest. Raises: TypeError for a non-str.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return hashlib.blake2b(normalize_text(text).encode("utf-8"), digest_size=16).hexdigest()


# A dateline at the start of the text: "WASHINGTON (AFP) –", "NEW YORK, May 3 (Reuters) -",
# "BEIRUT —". Stripped before shingling because copies differ exactly there (agency tag
# dropped, dash retypeset) and the lead is the most telling part of a story.
# Place and state end in a non-space after their second character and the tag brings its
# own trailing "\s*" (same matches): no run of spaces can be split several ways.
_LEADING_DATELINE = re.compile(
    r"^\s*[A-Z][A-Z .,'\u2019/-](?:[A-Z .,'\u2019/-]{0,58}?[A-Z.,'\u2019/-])??"
    r"(?:,\s*[A-Z][A-Za-z .](?:[A-Za-z .]{0,28}?[A-Za-z.])??)?\s*(?:\([^()\n]{1,40}\)\s*)?"
    r"(?:-{1,2}|\u2013|\u2014|\u2015|:)\s+"
)
_WORD = re.compile(r"\w+")
_DATELINE_LINES = 3


def _strip_dateline(text: str, dateline: str | None) -> str:
    """Return the text from just after its dateline, dropping any leftover lines before it.

    A dateline in one of the first lines marks where the story begins, so a caption or share
    line that the cleaner left above it does not shift the lead.
    """
    lines = text.lstrip().split("\n", _DATELINE_LINES)
    for i, line in enumerate(lines[:_DATELINE_LINES]):
        line = line.lstrip()
        rest = "\n".join(lines[i + 1:])
        if dateline and line.startswith(dateline):
            return line[len(dateline):] + "\n" + rest
        m = _LEADING_DATELINE.match(line)
        if m:
            return line[m.end():] + "\n" + rest
    return text


def _dateline_city(dateline: str | None) -> str | None:
    if not dateline:
        return None
    city = re.split(r"[(\u2013\u2014-]|,", dateline, maxsplit=1)[0]
    city = normalize_text(city).strip(" .,:")
    return city or None


def _norm_agency(agency: str | None) -> str | None:
    if agency is None:
        return None
    a = agency.strip()
    if not a or a.lower() in ("none", "null"):
        return None
    low = a.lower()
    if low in ("afp", "agence france-presse", "agence france presse"):
        return "AFP"
    if low in ("ap", "associated press", "the associated press"):
        return "AP"
    if low == "reuters":
        return "Reuters"
    return a


def story_agency(agencies: Sequence[str | None]) -> str | None:
    """Return the wire agency a story carries, given the agencies detected in its copies.

    Copies that name no agency (a dropped dateline tag, no credit line) abstain; the most
    frequent named agency wins, ties going to the one named first. Spellings are unified
    ("Agence France-Presse" counts as "AFP", "Associated Press" as "AP").
    Takes: the copies' detected agencies, ideally in publication order. Returns: the
    agency, or None when no copy names one.
    """
    named = [a for a in (_norm_agency(x) for x in agencies) if a is not None]
    if not named:
        return None
    counts = Counter(named)
    best = max(counts.values())
    return next(a for a in named if counts[a] == best)


# ---------------------------------------------------------------------------------------------
# Shingle signatures

SHINGLE_WORDS = 5
SAMPLE_MOD = 4            # keep the shingles whose hash is 0 mod 4: a content-defined 1/4 sample
# The first LEAD_WINDOW shingles are kept in full, in order: short copies and updates keep the
# lead. A copy's first LEAD_HEAD shingles are looked for in the other's whole window, so a line
# left above the lead in one copy does not hide the match.
LEAD_WINDOW = 48
LEAD_HEAD = 24
FIRST_PARAGRAPH_MIN_WORDS = 4
SIGNATURE_VERSION = f"w{SHINGLE_WORDS}-m{SAMPLE_MOD}-l{LEAD_WINDOW}-v1"

_MASK64 = (1 << 64) - 1
# Odd multipliers (digits of pi and e) that make a shingle's hash depend on word order.
_MULTS = np.array([0x243F6A8885A308D3, 0x13198A2E03707345, 0xA4093822299F31D1,
                   0x082EFA98EC4E6C89, 0x452821E638D01377, 0xBE5466CF34E90C6D,
                   0xB7E151628AED2A6B, 0x9E3779B97F4A7C15], dtype=np.uint64)[:SHINGLE_WORDS]


def _mix64(x: np.ndarray) -> np.ndarray:
    # splitmix64 finalizer: spreads entropy into the low bits the sampler looks at.
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_EMPTY = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class Signature:
    """What the story index compares of a copy (Shingler.signature; the same in any process)."""

    samples: np.ndarray   # sorted unique sampled shingle hashes
    lead: np.ndarray      # the first LEAD_WINDOW shingle hashes, in text order
    n_shingles: int
    first_paragraph: int = 0   # hash of the first paragraph's words (0: none), a posting key too
    first_paragraph_words: int = 0
    lead_head: np.ndarray = field(init=False, repr=False)  # sorted unique of lead[:LEAD_HEAD]
    lead_set: np.ndarray = field(init=False, repr=False)   # sorted unique of lead

    def __post_init__(self) -> None:
        object.__setattr__(self, "lead_head", np.unique(self.lead[:LEAD_HEAD]))
        object.__setattr__(self, "lead_set", np.unique(self.lead))


class Shingler:
    """Word-shingle hashing with a per-instance token cache (stable across processes)."""

    def __init__(self) -> None:
        self._tokens: dict[str, int] = {}

    def _token_hashes(self, words: list[str]) -> np.ndarray:
        cache = self._tokens
        if len(cache) > 2_000_000:
            cache.clear()
        out = np.empty(len(words), dtype=np.uint64)
        for i, w in enumerate(words):
            h = cache.get(w)
            if h is None:
                h = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
                cache[w] = h
            out[i] = h
        return out

    def signature(self, text: str, dateline: str | None) -> Signature:
        body = _strip_dateline(text, dateline).strip()
        # Word tokens ignore whitespace and dashes, so case/quote folding is all they need.
        folded = _fold(body)
        first_words = _WORD.findall(folded.split("\n", 1)[0])
        first = 0
        if len(first_words) >= FIRST_PARAGRAPH_MIN_WORDS:
            digest = hashlib.blake2b(" ".join(first_words).encode("utf-8"), digest_size=8,
                                     person=b"newsflow-lead").digest()
            first = int.from_bytes(digest, "little")
        words = _WORD.findall(folded)
        if not words:
            return Signature(_EMPTY, _EMPTY, 0)
        th = self._token_hashes(words)
        k = min(SHINGLE_WORDS, len(th))
        n = len(th) - k + 1
        acc = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            acc += th[j:j + n] * _MULTS[j]
        hashes = _mix64(acc)
        lead = hashes[:LEAD_WINDOW].copy()
        samples = np.unique(hashes[hashes % np.uint64(SAMPLE_MOD) == 0])
        return Signature(samples, lead, int(len(np.unique(hashes))), first, len(first_words) if first else 0)


def _overlap(a: np.ndarray, b: np.ndarray) -> int:
    if not len(a) or not len(b):
        return 0
    if len(a) > len(b):
        a, b = b, a
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = 0
    return int(np.count_nonzero(b[idx] == a))


# ---------------------------------------------------------------------------------------------
# Story assignment


@dataclass(frozen=True)
class StoryDoc:
    """One cleaned article copy to place in a story."""

    article_id: str
    site: str
    text: str
    title: str | None = None
    published_at: datetime | None = None
    wire_agency: str | None = None
    dateline: str | None = None
    content_hash: str | None = None   # content_hash(text) when the caller has it already
    language: str | None = None       # a copy never joins a story of another language (None: unknown, any)
    # Shingler().signature(text, dateline) when the caller has it already (then `text` may be
    # "": a run's cleaning computes signatures in the workers, and its texts stay out of this).
    signature: Signature | None = None


@dataclass(frozen=True)
class StoryAssignment:
    """Where a copy went: its story, whether it started that story, and how it was matched.

    method is "new" (first copy of a new story), "exact" (same normalized text as a known
    copy, or an article already in the index) or "near" (a near duplicate of a known copy).
    """

    article_id: str
    story_id: str
    is_new_story: bool
    method: str


INDEX_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("story_id", pa.string(), nullable=False),
    pa.field("seq", pa.int64(), nullable=False),           # replay order across runs
    pa.field("method", pa.string(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("site", pa.string()),
    pa.field("published_at", pa.timestamp("us", tz="UTC")),
    pa.field("wire_agency", pa.string()),                  # as detected in this copy
    pa.field("dateline_city", pa.string()),
    pa.field("is_representative", pa.bool_(), nullable=False),  # signature used for matching
    pa.field("n_shingles", pa.int32(), nullable=False),
    pa.field("sample_hashes", pa.list_(pa.uint64())),      # content-defined 1/4 sample of 5-word shingles
    pa.field("lead_hashes", pa.list_(pa.uint64())),        # first shingles of the text, in order
    pa.field("first_paragraph_hash", pa.uint64()),         # words of the first paragraph after the dateline
    pa.field("first_paragraph_words", pa.int32()),
    pa.field("signature_version", pa.string(), nullable=False),
    pa.field("language", pa.string()),                     # of the copy (null: unknown, or written before this column)
])
_OPTIONAL_INDEX_COLUMNS = frozenset({"language"})


class IndexFormatError(ValueError):
    """Stored index rows cannot be used by this version of the story index."""


@dataclass
class _Rep:
    story: int
    sig: Signature
    published_at: datetime | None
    agency: str | None
    city: str | None
    language: str | None = None


@dataclass
class _Story:
    story_id: str
    agencies: list[str | None] = field(default_factory=list)
    reps: list[int] = field(default_factory=list)

    @property
    def agency(self) -> str | None:
        return story_agency(self.agencies)


@dataclass(frozen=True)
class MatchPolicy:
    """Thresholds of the near-duplicate decision (tuned on make_testbed corpora).

    Measures between a copy and a story's representative copy, on sampled shingles:
    containment `c` (shared / the smaller sample set), resemblance `j` (Jaccard) and the size
    ratio; and `lead`, the share of one copy's opening shingles found in the other's opening.
    A copy joins the story when
      - j >= `identical` (the same text give or take a wrapper line), or
      - c >= `containment` and the copies are of similar length (ratio >= `min_ratio`), or
      - c >= `lead_containment` and lead >= `lead_match` (a truncation or an update: both
        start alike), or
      - they were published within `lead_only_gap` and either lead >= `strong_lead` (a short
        copy of an update shares little besides the lead) or, when one of them has at most
        `short_copy_shingles` shingles, they open with the same first paragraph under the same
        dateline city (or one of `first_paragraph_alone` words or more).
    Except for the first rule, a conflicting named agency or dateline city, or a publish time
    more than `max_gap` apart, keeps them apart: another agency's report of the same event
    shares quotes and the dateline but is a different story. Containment alone never joins a
    much smaller copy to a text that contains it somewhere other than at its start.
    """

    identical: float = 0.8
    containment: float = 0.7
    min_ratio: float = 0.5
    lead_containment: float = 0.5
    lead_match: float = 0.5
    strong_lead: float = 0.8
    lead_min_shared: int = 3
    lead_only_gap: timedelta = timedelta(hours=48)
    first_paragraph_alone: int = 12
    short_copy_shingles: int = 60
    max_gap: timedelta = timedelta(days=4)
    min_samples: int = 4
    max_stories_per_key: int = 50
    max_candidates: int = 12
    max_reps_per_story: int = 48


def _story_id_for(article_id: str) -> str:
    return "st_" + hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).hexdigest()


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc)


def _sort_key(doc: StoryDoc):
    ts = _utc(doc.published_at)
    return (ts is None, ts or datetime.min.replace(tzinfo=timezone.utc), doc.article_id)


class StoryIndex:
    """Incremental, persistent clustering of article copies into stories.

    Identical texts share a story through their content hash. Near duplicates are found
    through an inverted index from sampled word-shingle hashes to stories (cost linear in the
    number of copies: a key shared by more than `max_stories_per_key` stories is boilerplate
    and stops being indexed) and confirmed by containment between sample sets, so a short
    copy or an update joins its story while another agency's sibling report stays apart.
    A story's id is derived from the article id of its first copy and never changes.
    """

    def __init__(self, policy: MatchPolicy | None = None) -> None:
        self.policy = policy or MatchPolicy()
        self._shingler = Shingler()
        self._stories: list[_Story] = []
        self._story_by_id: dict[str, int] = {}
        self._reps: list[_Rep] = []
        self._by_hash: dict[str, int] = {}
        self._by_article: dict[str, tuple[int, str]] = {}
        self._postings: dict[int, object] = {}   # key -> story index | list of them | None (stopped)
        self._seq = 0
        self._new: list[dict] = []

    # -- persistence -------------------------------------------------------------------------

    @classmethod
    def from_arrow(cls, table: pa.Table | None, policy: MatchPolicy | None = None) -> "StoryIndex":
        """Rebuild an index from the rows that earlier runs appended (see `new_rows`).

        Takes: a table with INDEX_SCHEMA's columns (extra columns are ignored), or None or an
        empty table for a fresh index; rows may come in any order (they are replayed by seq).
        Returns: the index. Raises: IndexFormatError when a column is missing, a row was
        written by another signature version, or an article appears in two stories.
        """
        index = cls(policy)
        if table is None or table.num_rows == 0:
            return index
        missing = [n for n in INDEX_SCHEMA.names if n not in table.column_names and n not in _OPTIONAL_INDEX_COLUMNS]
        if missing:
            raise IndexFormatError(f"story index rows lack columns {missing}")
        versions = set(table.column("signature_version").to_pylist())
        if versions != {SIGNATURE_VERSION}:
            raise IndexFormatError(
                f"story index rows have signature versions {sorted(map(str, versions))}, "
                f"this code reads {SIGNATURE_VERSION!r}: rebuild the index from the articles")
        if "language" not in table.column_names:
            table = table.append_column("language", pa.nulls(table.num_rows, pa.string()))
        table = table.select(INDEX_SCHEMA.names).sort_by("seq")
        cols = {n: table.column(n).to_pylist() for n in
                ("article_id", "story_id", "seq", "method", "content_hash", "published_at",
                 "wire_agency", "dateline_city", "is_representative", "n_shingles",
                 "first_paragraph_hash", "first_paragraph_words", "language")}
        samples = _list_arrays(table.column("sample_hashes"))
        leads = _list_arrays(table.column("lead_hashes"))
        for i, article_id in enumerate(cols["article_id"]):
            known = index._by_article.get(article_id)
            if known is not None:
                # A row appended twice (a retried write) is harmless; two stories are not.
                if index._stories[known[0]].story_id != cols["story_id"][i]:
                    raise IndexFormatError(
                        f"article {article_id!r} is in stories {index._stories[known[0]].story_id!r} "
                        f"and {cols['story_id'][i]!r} in the story index rows")
                continue
            story = index._story_index(cols["story_id"][i])
            s = index._stories[story]
            s.agencies.append(cols["wire_agency"][i])
            index._by_article[article_id] = (story, cols["method"][i])
            index._by_hash.setdefault(cols["content_hash"][i], story)
            if cols["is_representative"][i]:
                sig = Signature(samples[i], leads[i], cols["n_shingles"][i],
                                 cols["first_paragraph_hash"][i] or 0, cols["first_paragraph_words"][i] or 0)
                index._add_rep(story, sig, _utc(cols["published_at"][i]), cols["wire_agency"][i],
                               cols["dateline_city"][i], cols["language"][i])
        index._seq = int(cols["seq"][-1]) + 1
        return index

    def new_rows(self, start: int = 0, stop: int | None = None) -> pa.Table:
        """Return the index rows of the copies assigned since this index was loaded ([start:stop]
        of them, in order: a caller may store them a slice at a time, see `new_count`).

        Returns: a table with INDEX_SCHEMA, one row per newly seen article, to append to the
        lake; `from_arrow` over all appended rows restores this index.
        """
        return pa.Table.from_pylist(self._new[start:stop], schema=INDEX_SCHEMA)

    @property
    def new_count(self) -> int:
        """How many rows new_rows() has."""
        return len(self._new)

    def story_ids(self) -> dict[str, str]:
        """Return {article_id: story_id} for every article the index knows."""
        return {a: self._stories[s].story_id for a, (s, _) in self._by_article.items()}

    def __len__(self) -> int:
        return len(self._by_article)

    # -- assignment --------------------------------------------------------------------------

    def assign(self, docs: Sequence[StoryDoc]) -> list[StoryAssignment]:
        """Place each copy in a story, creating stories as needed; returns one assignment per doc.

        Copies are processed in (published_at, article_id) order whatever the input order,
        and the result lists them in input order. An article already in the index keeps its
        story (method "exact", is_new_story False) and adds no row.
        Takes: the copies. Returns: their assignments. Raises: TypeError for a non-StoryDoc.
        """
        for d in docs:
            if not isinstance(d, StoryDoc):
                raise TypeError(f"assign() takes StoryDoc items, got {type(d).__name__}: {d!r}")
        results: dict[str, StoryAssignment] = {}
        for doc in sorted(docs, key=_sort_key):
            if doc.article_id in results:
                continue
            results[doc.article_id] = self._assign_one(doc)
        return [results[d.article_id] for d in docs]

    def _assign_one(self, doc: StoryDoc) -> StoryAssignment:
        known = self._by_article.get(doc.article_id)
        if known is not None:
            return StoryAssignment(doc.article_id, self._stories[known[0]].story_id, False, "exact")
        chash = doc.content_hash or content_hash(doc.text)
        agency = _norm_agency(doc.wire_agency)
        city = _dateline_city(doc.dateline)
        published = _utc(doc.published_at)
        story = self._by_hash.get(chash)
        sig = None
        make_rep = False
        if story is not None:
            method = "exact"
        else:
            sig = doc.signature if doc.signature is not None else self._shingler.signature(doc.text, doc.dateline)
            story, make_rep = self._find_story(sig, agency, city, published, doc.language)
            method = "near" if story is not None else "new"
            if story is None:
                story = self._story_index(_story_id_for(doc.article_id))
                make_rep = True
            self._by_hash[chash] = story
        s = self._stories[story]
        s.agencies.append(agency)
        if make_rep and len(s.reps) < self.policy.max_reps_per_story:
            self._add_rep(story, sig, published, agency, city, doc.language)
        else:
            make_rep = False
        self._by_article[doc.article_id] = (story, method)
        self._new.append({
            "article_id": doc.article_id, "story_id": s.story_id, "seq": self._seq, "method": method,
            "content_hash": chash, "site": doc.site, "published_at": published, "wire_agency": agency,
            "dateline_city": city, "is_representative": make_rep,
            "n_shingles": sig.n_shingles if sig is not None else 0,
            # The signature's own arrays (kept by its representative anyway), not lists of ints.
            "sample_hashes": sig.samples if make_rep else None,
            "lead_hashes": sig.lead if make_rep else None,
            "first_paragraph_hash": (sig.first_paragraph or None) if make_rep else None,
            "first_paragraph_words": sig.first_paragraph_words if make_rep else None,
            "signature_version": SIGNATURE_VERSION,
            "language": doc.language,
        })
        self._seq += 1
        return StoryAssignment(doc.article_id, s.story_id, method == "new", method)

    def _story_index(self, story_id: str) -> int:
        idx = self._story_by_id.get(story_id)
        if idx is None:
            idx = len(self._stories)
            self._stories.append(_Story(story_id))
            self._story_by_id[story_id] = idx
        return idx

    def _add_rep(self, story: int, sig: Signature, published: datetime | None,
                 agency: str | None, city: str | None, language: str | None = None) -> None:
        rep = len(self._reps)
        self._reps.append(_Rep(story, sig, published, agency, city, language))
        self._stories[story].reps.append(rep)
        cap = self.policy.max_stories_per_key
        postings = self._postings
        for key in _keys(sig):
            if key not in postings:
                postings[key] = story
                continue
            cur = postings[key]
            if cur is None or cur == story:
                continue
            if isinstance(cur, int):
                postings[key] = [cur, story]
            elif story not in cur:
                if len(cur) >= cap:
                    postings[key] = None   # boilerplate shared by many stories: stop indexing
                else:
                    cur.append(story)

    def _candidates(self, sig: Signature) -> list[int]:
        counts: Counter[int] = Counter()
        postings = self._postings
        for key in _keys(sig):
            cur = postings.get(key)
            if cur is None:
                continue
            if isinstance(cur, int):
                counts[cur] += 1
            else:
                counts.update(cur)
        ranked = sorted(counts, key=lambda s: (-counts[s], s))
        return ranked[: self.policy.max_candidates]

    def _find_story(self, sig: Signature, agency: str | None, city: str | None,
                    published: datetime | None, language: str | None = None) -> tuple[int | None, bool]:
        """Best matching story for a signature, and whether the copy is a new variant of it."""
        best: tuple | None = None
        best_story = None
        identical = False
        for story in self._candidates(sig):
            s = self._stories[story]
            agency_of_story = s.agency
            for r in s.reps:
                if language and self._reps[r].language and language != self._reps[r].language:
                    continue   # a translation is another story (a translations view may link them)
                score = self._match_score(sig, agency, city, published, self._reps[r], agency_of_story)
                if score is None:
                    continue
                key = (score[0], -story)
                if best is None or key > best:
                    best, best_story, identical = key, story, score[1]
        return best_story, (best_story is not None and not identical)

    def _match_score(self, sig: Signature, agency: str | None, city: str | None,
                     published: datetime | None, rep: _Rep,
                     agency_of_story: str | None) -> tuple[float, bool] | None:
        """(score, is_same_text) when the copy matches `rep`, else None."""
        p = self.policy
        a, b = sig.samples, rep.sig.samples
        na, nb = len(a), len(b)
        shared = _overlap(a, b)
        sampled = min(na, nb) >= p.min_samples
        c = shared / min(na, nb) if sampled else 0.0
        j = shared / (na + nb - shared) if sampled else 0.0
        lead = max(_lead_share(sig, rep.sig, p.lead_min_shared), _lead_share(rep.sig, sig, p.lead_min_shared))
        if sampled and j >= p.identical:
            return (1.0 + j, True)
        gap = abs(published - rep.published_at) if published and rep.published_at else None
        if gap is not None and gap > p.max_gap:
            return None
        other = agency_of_story or rep.agency
        if agency is not None and other is not None and agency != other:
            return None
        if city is not None and rep.city is not None and city != rep.city:
            return None
        if sampled and c >= p.containment and min(na, nb) >= p.min_ratio * max(na, nb):
            return (c, False)
        if c >= p.lead_containment and lead >= p.lead_match:
            return (c, False)
        close = gap is None or gap <= p.lead_only_gap
        if lead >= p.strong_lead and close:
            return (lead * 0.5, False)
        # A copy cut to its first paragraph or two carries too few shingles to measure; what
        # is left to compare is that paragraph. Longer copies must show more than their first
        # line, which might be a leftover wrapper line that two stories share.
        if close and sig.first_paragraph and sig.first_paragraph == rep.sig.first_paragraph \
                and min(sig.n_shingles, rep.sig.n_shingles) <= p.short_copy_shingles and (
                    (city is not None and city == rep.city)
                    or sig.first_paragraph_words >= p.first_paragraph_alone):
            return (0.4, False)
        return None


def _keys(sig: Signature) -> list[int]:
    keys = np.union1d(sig.samples, sig.lead_head).tolist()
    if sig.first_paragraph:
        keys.append(sig.first_paragraph)
    return keys


def _lead_share(x: Signature, y: Signature, min_shared: int) -> float:
    """Share of x's opening shingles found in y's opening (0 when fewer than min_shared)."""
    head = x.lead_head
    if not len(head):
        return 0.0
    shared = _overlap(head, y.lead_set)
    if shared < min(min_shared, len(head)):
        return 0.0
    return shared / len(head)


def _list_arrays(column: pa.ChunkedArray) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for chunk in column.chunks:
        offsets = chunk.offsets.to_numpy(zero_copy_only=False)
        values = chunk.values.to_numpy(zero_copy_only=False).astype(np.uint64, copy=False)
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        for i in range(len(chunk)):
            if valid[i]:
                out.append(np.array(values[offsets[i]:offsets[i + 1]], dtype=np.uint64))
            else:
                out.append(_EMPTY)
    return out
