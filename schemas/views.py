"""DuckDB view SQL over the lake's tables: the names and columns users query."""
from __future__ import annotations

# `{articles}` etc. are replaced by a table expression reading that table's Parquet files.
# The lake is append-only: a backfill re-derives an article or a text's analysis by adding a
# newer version of its row (run ids sort by time), and the views show the latest version only.
# Writers never rewrite a file in place, so every state a reader can see is consistent.


def latest_nlp_docs(where: str = "") -> str:
    """The latest version of each text's nlp_docs row (with `where`, of those rows that match it).

    A run writes a text's row at most once, so (text_hash, run_id) is unique and keeping the rows
    whose run_id is their text's latest is row_number() = 1 by run_id. Said as a semi-join
    against the latest run of each text, so that the rows' nested mentions and quotes stream
    through instead of being carried by a window or an arg_max.
    """
    return f"""SELECT * FROM {{nlp_docs}} d
SEMI JOIN (SELECT text_hash, max(coalesce(run_id, '')) AS run FROM {{nlp_docs}} GROUP BY text_hash) l
  ON d.text_hash IS NOT DISTINCT FROM l.text_hash AND coalesce(d.run_id, '') = l.run {where}"""


VIEWS: dict[str, str] = {
    # entity_counts is the story_entities view's shortcut, null in rows written before it.
    "nlp_docs": f"""
SELECT * EXCLUDE (entity_counts) FROM ({latest_nlp_docs()})
""",
    # The canonical copy's order takes the count of removed lines from before the latest-version
    # pick, so that a query not reading `removed` does not carry the lists through it.
    "articles": """
WITH a AS (
  SELECT *, len(removed) AS n_removed FROM {articles}
  QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY run_id DESC) = 1),
s AS (
  SELECT story_id, mode(wire_agency_detected) AS story_agency
  FROM a WHERE wire_agency_detected IS NOT NULL GROUP BY story_id)
SELECT a.article_id, a.url, a.canonical_url, a.site, a.feed_url, a.title, a.author,
  a.published_at, a.published_source, a.published_date, a.fetched_at,
  -- rows written before languages were stored as primary subtags hold codes as declared ("en-US")
  lower(nullif(regexp_extract(a.language, '^\\s*([A-Za-z]+)', 1), '')) AS language, a.language_source,
  s.story_agency AS wire_agency, a.wire_agency_detected, a.dateline, a.text, a.removed,
  a.word_count, a.content_hash, a.text_hash, a.story_id, a.dedup_method,
  row_number() OVER (PARTITION BY a.story_id
    ORDER BY a.word_count DESC, (a.wire_agency_detected IS NOT NULL) DESC, a.n_removed,
             a.published_at NULLS LAST, a.article_id) = 1 AS is_canonical,
  a.text_source, a.raw_sha256, a.run_id, a.extractor_version, a.cleaner_version
FROM a LEFT JOIN s USING (story_id)
""",
    "stories": """
SELECT story_id,
  arg_max(title, is_canonical::INT) AS title,
  any_value(wire_agency) AS wire_agency,
  count(*) AS n_articles,
  count(DISTINCT site) AS n_sites,
  list(DISTINCT site ORDER BY site) AS sites,
  min(published_at) AS first_seen_at,
  max(published_at) AS last_seen_at,
  arg_max(article_id, is_canonical::INT) AS canonical_article_id,
  arg_max(text, is_canonical::INT) AS canonical_text
FROM articles GROUP BY story_id
""",
    "entities": """
WITH e AS (SELECT text_hash, run_id, model, unnest(entities, recursive := true) FROM nlp_docs)
SELECT a.article_id, a.story_id, e.text, e.norm, e.label, e.label_std, e.start_char, e.end_char,
  a.language, a.site, a.published_at, a.published_date, e.run_id AS nlp_run_id, e.model
FROM e JOIN articles a USING (text_hash)
""",
    "quotes": """
SELECT substr(md5(a.article_id || ':' || q.start_char || ':' || q.end_char), 1, 16) AS quote_id,
  a.article_id, a.story_id, q.text, q.speaker, q.speaker_resolved, q.speaker_entity, q.speaker_kind, q.cue, q.kind,
  q.start_char, q.end_char, a.language, a.site, a.published_at, a.published_date, q.run_id AS nlp_run_id, q.model
FROM (SELECT text_hash, run_id, model, unnest(quotes, recursive := true) FROM nlp_docs) q
JOIN articles a USING (text_hash)
""",
    # The quote key is computed once, in a materialized step: DuckDB otherwise splits the distinct
    # counts and modes into six passes over the quotes, each computing the regular expression again
    # (0.85 s -> 0.27 s at 10k articles).
    "story_quotes": """
WITH q AS MATERIALIZED (
  SELECT story_id, trim(lower(regexp_replace(text, '\\W+', ' ', 'g'))) AS quote_key, text,
    speaker_resolved, speaker_entity, speaker_kind, article_id, site, published_at
  FROM quotes)
SELECT story_id, quote_key,
  arg_max(text, length(text)) AS text,
  mode(speaker_resolved) AS speaker_resolved,
  mode(speaker_entity) AS speaker_entity,
  mode(speaker_kind) AS speaker_kind,
  count(DISTINCT article_id) AS n_articles,
  count(DISTINCT site) AS n_sites,
  min(published_at) AS first_seen_at
FROM q GROUP BY story_id, quote_key
""",
    # Mentions are counted per text before the join: every copy of a text has the same ones. The
    # counts were stored with the text's row (entity_counts); rows written before that column are
    # counted here (the filter skips reading the mentions of files that have it).
    "story_entities": f"""
WITH t AS (
  SELECT text_hash, c.norm, c.label, c.n FROM ({latest_nlp_docs()}), unnest(entity_counts) AS u(c)
  UNION ALL
  SELECT text_hash, e.norm, e.label, count(*) AS n
  FROM ({latest_nlp_docs("WHERE d.entity_counts IS NULL")}), unnest(entities) AS u(e) GROUP BY ALL)
SELECT a.story_id, t.norm AS entity, t.label,
  count(*) AS n_articles,
  max(t.n)::BIGINT AS n_mentions,
  min(a.published_at) AS first_seen_at
FROM t JOIN articles a USING (text_hash)
GROUP BY a.story_id, t.norm, t.label
""",
    "feeds": "SELECT * FROM {feeds}",
    "pending_pages": "SELECT * FROM {pending_pages}",
    "runs": "SELECT * FROM {runs}",
    "fetches": "SELECT * FROM {fetches}",
    "captures": "SELECT * FROM {captures}",
}
