"""The lake's tables: one registry of columns (type + description), keys and partitioning."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str


@dataclass(frozen=True)
class TableSpec:
    """A physical table in the lake.

    `key` names the columns that identify a row: writers never append a row whose key is
    already stored, so re-running an ingest adds nothing. `partition` is the hive partition
    column (a date), derived by the writer and not stored inside the files. `mode` is
    "append" (files are added, each named after its content) or "state" (one file,
    replaced whole on every write).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition: str | None = None
    mode: str = "append"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name: str, description: str, key: tuple[str, ...], columns: list[tuple[str, pa.DataType, str]],
       partition: str | None = None, mode: str = "append") -> TableSpec:
    return TableSpec(name, description, tuple(Column(*c) for c in columns), key, partition, mode)


LINEAGE = [
    ("run_id", pa.string(), "Run that wrote the row (see runs)"),
]

ARTICLES = _t(
    "articles", "One row per article URL (after URL canonicalization) ever ingested.", ("article_id",), [
        ("article_id", pa.string(), "Hash of the canonical URL"),
        ("url", pa.string(), "URL as linked from the feed"),
        ("canonical_url", pa.string(), "Canonical URL: rel=canonical / og:url on the same site, else the link with tracking parameters, fragment and AMP variant removed"),
        ("site", pa.string(), "The publishing site: the name the feed list gives it, else the registrable domain of the feed's link to its site (or of its URL; a WARC page's own URL), e.g. bbc.co.uk or a.substack.com; host:port for an IP address or localhost"),
        ("feed_url", pa.string(), "Feed the article was found in"),
        ("title", pa.string(), "Headline as published"),
        ("author", pa.string(), "Byline, when given"),
        ("published_at", TS, "Publication time (UTC)"),
        ("published_source", pa.string(), "Where published_at came from: page, feed or fetch"),
        ("fetched_at", TS, "When the article was obtained (UTC)"),
        ("language", pa.string(), "Language (primary subtag, e.g. fr): declared by the page or feed unless the text is confidently in another, else detected from the text; null when unknown"),
        ("language_source", pa.string(), "Where language came from: page, feed or detected (null in rows written before this column)"),
        ("wire_agency_detected", pa.string(), "Agency named by this copy itself (dateline, credit, byline): AFP, Reuters, AP or null"),
        ("dateline", pa.string(), "Dateline as written, e.g. 'WASHINGTON (AFP) –' (also kept in text)"),
        ("text", pa.string(), "Clean article text, one paragraph per line"),
        ("removed", pa.list_(pa.string()), "Wrapper lines the cleaner removed from this copy, in order"),
        ("word_count", pa.int32(), "Words in text"),
        ("content_hash", pa.string(), "Hash of the normalized clean text (case, typography, spacing folded): identical copies share it"),
        ("text_hash", pa.string(), "Hash of the exact text: the key of its analysis in nlp_docs, whose offsets point into this text"),
        ("story_id", pa.string(), "Story the copy belongs to (stable across runs)"),
        ("dedup_method", pa.string(), "How the story was found: new, url, exact or near"),
        ("text_source", pa.string(), "Where the text came from: feed (full content) or page (extracted)"),
        ("raw_sha256", pa.string(), "Raw capture the text was derived from (see captures)"),
        ("extractor_version", pa.string(), "trafilatura / newsflow extractor version"),
        ("cleaner_version", pa.string(), "newsflow cleaner version"),
        *LINEAGE,
    ], partition="published_date")

STORY_INDEX = "story_index"  # schema owned by tasks.dedup.INDEX_SCHEMA (signatures are an implementation detail)
NLP_PARAGRAPHS = "nlp_paragraphs"  # the parse of each distinct paragraph; schema owned by tasks.paragraphs

ENTITY = pa.struct([
    ("text", pa.string()), ("norm", pa.string()), ("label", pa.string()),
    ("start_char", pa.int32()), ("end_char", pa.int32()), ("label_std", pa.string()),
])
# A text's mentions counted per distinct (norm, label): what story_entities counts, so it needs
# neither the mentions' other fields nor a count of its own.
ENTITY_COUNT = pa.struct([("norm", pa.string()), ("label", pa.string()), ("n", pa.int32())])
QUOTE = pa.struct([
    ("text", pa.string()), ("speaker", pa.string()), ("speaker_resolved", pa.string()),
    ("speaker_entity", pa.string()), ("speaker_kind", pa.string()), ("cue", pa.string()), ("kind", pa.string()),
    ("start_char", pa.int32()), ("end_char", pa.int32()),
])

# Entities and quotes are stored nested in their text's row, so one file holds a text's whole
# analysis: a crash can never leave mentions without the row that marks the text analysed.
NLP_DOCS = _t(
    "nlp_docs", "One row per distinct text analysed by spaCy (reposts share it), with its mentions.",
    ("text_hash",), [
        ("text_hash", pa.string(), "Text analysed (articles.text_hash)"),
        ("n_words", pa.int32(), "Words analysed"),
        ("n_entities", pa.int32(), "Entity mentions found"),
        ("n_quotes", pa.int32(), "Quotes found"),
        ("entities", pa.list_(ENTITY), "Entity mentions: text as written, norm (normalized, merged within the text), label (the model's), start_char, end_char, label_std (PERSON, ORG, LOC, MISC: one scheme for every model)"),
        ("entity_counts", pa.list_(ENTITY_COUNT), "The entities' mentions counted per distinct (norm, label), in order of first mention: read by the story_entities view, not shown in the nlp_docs view (null in rows written before this column)"),
        ("quotes", pa.list_(QUOTE), "Quotes: text without marks (or the reported clause), speaker as written, speaker_resolved, speaker_entity, speaker_kind, cue lemma, kind, start_char, end_char"),
        ("model", pa.string(), "spaCy model name and version (the model of the text's language)"),
        ("nlp_version", pa.string(), "newsflow entity/quote extractor version"),
        ("derived_from", pa.string(), "Null when the model analysed this text; else the text_hash of the copy of the same story whose analysis was mapped onto it (all its paragraphs occur there)"),
        ("error", pa.string(), "Null when the text was analysed; else why its analysis failed (error class and message; its entities and quotes are then empty)"),
        *LINEAGE,
    ])

FETCHES = _t(
    "fetches", "Every HTTP request made, one row each.", ("run_id", "seq"), [
        ("run_id", pa.string(), "Run that made the request"),
        ("seq", pa.int32(), "Order of the request within the run"),
        ("url", pa.string(), "URL requested"),
        ("kind", pa.string(), "feed, page or robots"),
        ("status", pa.int32(), "HTTP status (null when no response)"),
        ("bytes", pa.int64(), "Body bytes read"),
        ("ms", pa.int32(), "Milliseconds taken"),
        ("error_class", pa.string(), "dns, connect, timeout, tls, http_4xx, http_5xx, too_large, redirect_loop, not_a_feed, parse_error, blocked_private, robots, ..."),
        ("error", pa.string(), "Error message"),
    ], partition="fetched_date")

CAPTURES = _t(
    "captures", "Manifest of raw captures (feed documents and article HTML) kept for backfills.", ("run_id", "url", "sha256"), [
        ("sha256", pa.string(), "Content address of the raw bytes in raw/"),
        ("url", pa.string(), "URL the bytes were fetched from"),
        ("kind", pa.string(), "feed or page"),
        ("feed_url", pa.string(), "Feed the capture belongs to"),
        ("content_type", pa.string(), "Content-Type header"),
        ("n_bytes", pa.int64(), "Uncompressed size"),
        ("fetched_at", TS, "When it was fetched (UTC)"),
        ("run_id", pa.string(), "Run that captured it"),
        ("feed_sha256", pa.string(), "For a page: the capture of the feed document that listed it (older than the page when the page was retried; null in captures made before this column)"),
    ], partition="fetched_date")

FEEDS = _t(
    "feeds", "State of every feed: last result, validators, backoff.", ("feed_url",), [
        ("feed_url", pa.string(), "Feed URL"),
        ("title", pa.string(), "Feed title"),
        ("link", pa.string(), "The feed's own link to its site (RSS channel link, Atom alternate link) from the last good parse"),
        ("site", pa.string(), "Site the feed belongs to, as of the last poll (see articles.site)"),
        ("last_status", pa.string(), "ok, unchanged or failed"),
        ("last_http_status", pa.int32(), "HTTP status of the last fetch"),
        ("last_error_class", pa.string(), "Error class of the last failure"),
        ("last_error", pa.string(), "Error message of the last failure"),
        ("last_fetched_at", TS, "Last fetch attempt (UTC)"),
        ("last_ok_at", TS, "Last successful fetch (UTC)"),
        ("etag", pa.string(), "ETag validator from the last 200"),
        ("last_modified", pa.string(), "Last-Modified validator from the last 200"),
        ("body_sha256", pa.string(), "Hash of the last body (servers lie about validators)"),
        ("consecutive_failures", pa.int32(), "Failures since the last success"),
        ("next_fetch_at", TS, "Earliest next fetch (capped backoff while failing)"),
        ("n_entries", pa.int32(), "Entries in the last parsed document"),
    ], mode="state")

# What a failed page needs to become an article later without its feed listing it again: the
# feed entry's fields (tasks.pipeline.Candidate), never the page body.
PENDING_PAGES = _t(
    "pending_pages", "Article pages that failed and are retried on later runs (capped backoff), or were given up.",
    ("article_id",), [
        ("url", pa.string(), "Page URL as linked from the feed"),
        ("feed_url", pa.string(), "Feed that listed it"),
        ("first_seen_at", TS, "First failed attempt (UTC); the last attempt is page_give_up_days later"),
        ("attempts", pa.int32(), "Attempts so far"),
        ("last_attempt_at", TS, "Last attempt (UTC)"),
        ("last_error_class", pa.string(), "Error class of the last attempt (see fetches.error_class; extract_error)"),
        ("last_error", pa.string(), "Error message of the last attempt"),
        ("last_http_status", pa.int32(), "HTTP status of the last attempt, when there was a response"),
        ("next_attempt_at", TS, "Earliest next attempt (UTC); null once given up"),
        ("gave_up_at", TS, "When it was given up (UTC); null while pending"),
        ("gave_up_reason", pa.string(), "Why it was given up"),
        ("article_id", pa.string(), "Id the article will be stored under (articles.article_id)"),
        ("canonical_url", pa.string(), "Canonical URL of the link"),
        ("site", pa.string(), "Site of the feed (see articles.site)"),
        ("feed_sha256", pa.string(), "Capture of the feed document that listed it (see captures)"),
        ("guid", pa.string(), "Feed entry: guid"),
        ("title", pa.string(), "Feed entry: title"),
        ("author", pa.string(), "Feed entry: author"),
        ("published_at", TS, "Feed entry: publication time (UTC)"),
        ("language", pa.string(), "Feed entry: language"),
    ], mode="state")

SITE_FURNITURE = _t(
    "site_furniture", "Lines that recur across one site's articles (that site's template text).", ("site", "line"), [
        ("site", pa.string(), "Site"),
        ("line", pa.string(), "Normalized furniture line"),
    ], mode="state")

RUNS = _t(
    "runs", "One row per ingest or backfill run.", ("run_id",), [
        ("run_id", pa.string(), "Run id"),
        ("flow", pa.string(), "ingest or backfill"),
        ("started_at", TS, "Start (UTC)"),
        ("finished_at", TS, "End (UTC); null while running or after a crash"),
        ("status", pa.string(), "running, ok, partial (some feeds failed) or failed"),
        ("parameters", pa.string(), "Run parameters as JSON"),
        ("versions", pa.string(), "Versions of extractor, cleaner, NLP model as JSON"),
        ("feeds_total", pa.int32(), "Feeds in the feed list"),
        ("feeds_ok", pa.int32(), "Feeds fetched and parsed"),
        ("feeds_unchanged", pa.int32(), "Feeds not modified since the last run"),
        ("feeds_failed", pa.int32(), "Feeds that failed"),
        ("feeds_skipped", pa.int32(), "Failing feeds not yet due (backoff)"),
        ("entries", pa.int32(), "Feed entries seen"),
        ("new_articles", pa.int32(), "Articles added"),
        ("pages_fetched", pa.int32(), "Article pages fetched"),
        ("pages_failed", pa.int32(), "Article pages that failed (fetch or extraction)"),
        ("pages_retried", pa.int32(), "Pages of pending_pages tried again"),
        ("pages_recovered", pa.int32(), "Of those, pages fetched and extracted this time"),
        ("pages_given_up", pa.int32(), "Pages given up (404/410, no article text, or still failing page_give_up_days after the first failure)"),
        ("duplicates", pa.int32(), "New articles that joined an existing story"),
        ("new_stories", pa.int32(), "Stories created"),
        ("texts_analyzed", pa.int32(), "Distinct texts analysed (each assembled from its paragraphs' parses)"),
        ("texts_mapped", pa.int32(), "Texts given the mapped analysis of another copy of their story (no spaCy run)"),
        ("paragraphs_parsed", pa.int32(), "Distinct paragraphs run through spaCy (analysed texts are assembled from their paragraphs' parses)"),
        ("paragraphs_reused", pa.int32(), "Paragraphs of analysed texts whose parse was read from the cache: stored by an earlier run, or by an earlier round of this run (counted once a round)"),
        ("texts_by_language", pa.string(), "Texts pending NLP this run per language, as JSON ({\"en\": 40, \"fr\": 12})"),
        ("texts_without_model", pa.int32(), "Texts left without NLP rows: their language has no model (see texts_by_language)"),
        ("texts_failed", pa.int32(), "Texts whose analysis failed (recorded with its error in nlp_docs.error, not retried until the NLP version changes)"),
        ("entities", pa.int32(), "Entity mentions found"),
        ("quotes", pa.int32(), "Quotes found"),
        ("seconds", pa.float64(), "Wall time"),
    ])

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    ARTICLES, NLP_DOCS, FETCHES, CAPTURES, FEEDS, PENDING_PAGES, SITE_FURNITURE, RUNS)}
