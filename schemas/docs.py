"""Descriptions of the view columns users query (the README's table reference is checked against them)."""
from __future__ import annotations

from schemas.tables import TABLES

# Columns the views compute on top of the stored tables; the rest take their stored description.
DERIVED = {
    "articles": {
        "published_date": "Partition key: UTC date of published_at",
        "wire_agency": "Agency of the story (the most common one its copies name), so copies that lost their credit still carry it",
        "is_canonical": "True for the story's canonical copy: the most complete, then agency-credited, then earliest",
    },
    "stories": {
        "story_id": "Story id (stable across runs)",
        "title": "Title of the canonical copy",
        "wire_agency": "AFP, Reuters, AP or null (own reporting)",
        "n_articles": "Copies of the story",
        "n_sites": "Sites that carried it",
        "sites": "List of those sites",
        "first_seen_at": "Earliest published_at of a copy",
        "last_seen_at": "Latest published_at of a copy",
        "canonical_article_id": "The canonical copy",
        "canonical_text": "Text of the canonical copy",
    },
    "entities": {
        "article_id": "Article the mention is in", "story_id": "Its story", "text": "Mention as written",
        "norm": "Normalized name, merged within the article (surname -> full name, 'the United States' -> 'United States')",
        "label": "The model's label: PERSON, ORG, GPE, LOC, NORP, ... (English), PER, ORG, LOC, MISC (French)",
        "label_std": "The label in one scheme for every model: PERSON, ORG, LOC (places, GPE included) or MISC",
        "language": "Language of the article (articles.language)",
        "start_char": "Offset in articles.text", "end_char": "End offset (exclusive)",
        "site": "Site of the article", "published_at": "Article publication time", "published_date": "Its UTC date",
        "nlp_run_id": "Run that analysed the text", "model": "spaCy model (name-version) that produced the mention",
    },
    "quotes": {
        "quote_id": "Stable id: hash of article_id and offsets", "article_id": "Article", "story_id": "Story",
        "text": "Quoted words without quotation marks (for kind indirect: the reported clause)", "speaker": "Speaker as written (full noun phrase, determiner kept)",
        "speaker_resolved": "Speaker with pronouns and short nominals resolved to the earlier full mention",
        "speaker_entity": "Normalized PERSON/ORG entity of the speaker, when there is one (never for a document)",
        "speaker_kind": "What the source is: person, organization, document (a statement, report, filing, post) or unknown",
        "cue": "Lemma of the cue verb (say, tell, add, déclarer, ...), or the source phrase (according to, selon)", "kind": "direct, partial or indirect",
        "language": "Language of the article (articles.language)",
        "start_char": "Offset of the quoted words in articles.text", "end_char": "End offset (exclusive)",
        "site": "Site of the article", "published_at": "Article publication time", "published_date": "Its UTC date",
        "nlp_run_id": "Run that analysed the text", "model": "spaCy model (name-version) that produced the quote",
    },
    "story_quotes": {
        "story_id": "Story", "quote_key": "Quote text lower-cased with punctuation folded (the grouping key)",
        "text": "Longest form of the quote among the copies", "speaker_resolved": "Most common resolved speaker",
        "speaker_entity": "Most common speaker entity", "speaker_kind": "Most common speaker kind", "n_articles": "Copies that carry the quote",
        "n_sites": "Sites that carry it", "first_seen_at": "Earliest publication among them",
    },
    "story_entities": {
        "story_id": "Story", "entity": "Normalized entity name", "label": "Entity label",
        "n_articles": "Copies that mention it", "n_mentions": "Mentions in the copy that mentions it most (not summed over copies)",
        "first_seen_at": "Earliest publication among them",
    },
    "nlp_docs": {"entities": "Entity mentions (nested; see the entities view)", "quotes": "Quotes (nested; see the quotes view)"},
    "feeds": {}, "pending_pages": {}, "runs": {}, "fetches": {"fetched_date": "Partition key: UTC date of the request"},
    "captures": {"fetched_date": "Partition key: UTC date of the capture"},
}


def describe(view: str, column: str) -> str | None:
    """The description of `column` in `view`, or None when it is undocumented."""
    if column in DERIVED.get(view, {}):
        return DERIVED[view][column]
    spec = TABLES.get(view)
    if spec is not None:
        for c in spec.columns:
            if c.name == column:
                return c.description
    return None
