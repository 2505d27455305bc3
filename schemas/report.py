"""The report's queries over the catalog views: one SQL string per chart or table."""
from __future__ import annotations

# `{since}`/`{until}` are date literals (DATE '2026-11-20'), `{bucket}` is day, week or month:
# tasks.report fills them in, and the report prints each query as it ran, so that every number
# on the page is one `newsflow sql` away. Every query bounds its rows (LIMIT, top-N, buckets),
# which bounds the report's size whatever the size of the lake.
#
# Content (articles, stories, entities, quotes) is windowed by publication date; pipeline
# health (runs, fetches) by the time of the run or request.

WINDOWS: dict[str, str] = {
    "content": "SELECT min(published_date), max(published_date) FROM articles",
    "health": "SELECT min(started_at)::DATE, max(started_at)::DATE FROM runs",
}

# An agency-less story is the site's own reporting (or an agency newsflow does not know).
AGENCY = "coalesce(wire_agency, 'own reporting')"

QUERIES: dict[str, str] = {
    "totals": f"""
SELECT count(*) AS articles, count(DISTINCT story_id) AS stories, count(DISTINCT site) AS sites,
  round(avg((wire_agency IS NOT NULL)::INT), 3) AS wire_share
FROM articles WHERE published_date BETWEEN {{since}} AND {{until}}""",

    "volume": f"""
SELECT date_trunc('{{bucket}}', published_date)::DATE AS day, {AGENCY} AS agency,
  count(*) AS articles, count(DISTINCT story_id) AS stories
FROM articles WHERE published_date BETWEEN {{since}} AND {{until}}
GROUP BY ALL ORDER BY day, agency""",

    # One row per copy of the 15 stories carried by the most sites.
    "syndication": f"""
WITH top AS (
  SELECT story_id, title, {AGENCY} AS agency, n_sites, n_articles, first_seen_at, last_seen_at
  FROM stories WHERE first_seen_at::DATE BETWEEN {{since}} AND {{until}}
  ORDER BY n_sites DESC, n_articles DESC, first_seen_at, story_id LIMIT 15)
SELECT row_number() OVER (ORDER BY n_sites DESC, n_articles DESC, first_seen_at, story_id) AS rank,
  story_id, left(title, 70) AS title, agency, n_sites, n_articles, first_seen_at, last_seen_at,
  date_diff('minute', first_seen_at, last_seen_at) / 60.0 AS spread_hours
FROM top ORDER BY rank""",

    "syndication_copies": f"""
WITH top AS (
  SELECT story_id, first_seen_at,
    row_number() OVER (ORDER BY n_sites DESC, n_articles DESC, first_seen_at, story_id) AS rank
  FROM stories WHERE first_seen_at::DATE BETWEEN {{since}} AND {{until}}
  ORDER BY rank LIMIT 15)
SELECT top.rank, a.site, a.published_at, {AGENCY} AS agency, left(a.title, 70) AS title,
  date_diff('minute', top.first_seen_at, a.published_at) / 60.0 AS hours_after_first
FROM top JOIN articles a USING (story_id) ORDER BY top.rank, a.published_at, a.site""",

    # The 30 sites with the most articles.
    "agency_mix": f"""
WITH per AS (
  SELECT site, {AGENCY} AS agency, count(*) AS articles
  FROM articles WHERE published_date BETWEEN {{since}} AND {{until}} GROUP BY ALL),
site AS (
  SELECT site, sum(articles) AS site_articles, sum(articles) FILTER (WHERE agency <> 'own reporting') AS wire
  FROM per GROUP BY site ORDER BY site_articles DESC, site LIMIT 30)
SELECT per.site, per.agency, per.articles, site.site_articles,
  round(per.articles / site.site_articles, 4) AS share, round(coalesce(site.wire, 0) / site.site_articles, 4) AS wire_share
FROM per JOIN site USING (site) ORDER BY site.site_articles DESC, per.site, per.agency""",

    # Each story counted once, on its canonical copy's day; the 10 most covered names of each kind.
    # The agencies are left out of the organisations: their names are credits, not news.
    "entities": """
WITH m AS (
  SELECT a.published_date AS day, e.story_id, e.entity,
    CASE e.label WHEN 'PERSON' THEN 'people' WHEN 'ORG' THEN 'organisations' ELSE 'places' END AS kind
  FROM story_entities e JOIN articles a ON a.story_id = e.story_id AND a.is_canonical
  WHERE e.label IN ('PERSON', 'ORG', 'GPE', 'LOC') AND a.published_date BETWEEN {since} AND {until}
    AND e.entity NOT IN ('AFP', 'Agence France-Presse', 'Reuters', 'AP', 'Associated Press')),
top AS (
  SELECT kind, entity, count(DISTINCT story_id) AS total FROM m GROUP BY kind, entity
  QUALIFY row_number() OVER (PARTITION BY kind ORDER BY total DESC, entity) <= 10)
SELECT m.kind, m.entity, top.total, date_trunc('{bucket}', m.day)::DATE AS day, count(DISTINCT m.story_id) AS stories
FROM m JOIN top USING (kind, entity) GROUP BY ALL ORDER BY m.kind, top.total DESC, m.entity, day""",

    "speakers": """
SELECT speaker_resolved AS speaker, count(*) AS quotes, count(DISTINCT story_id) AS stories,
  sum(n_sites) AS site_copies
FROM story_quotes
WHERE speaker_resolved IS NOT NULL AND first_seen_at::DATE BETWEEN {since} AND {until}
GROUP BY 1 ORDER BY quotes DESC, stories DESC, speaker LIMIT 15""",

    # The two most-spread quotes of each of the 10 most-quoted speakers.
    "speaker_quotes": """
WITH q AS (
  SELECT * FROM story_quotes
  WHERE speaker_resolved IS NOT NULL AND first_seen_at::DATE BETWEEN {since} AND {until}),
top AS (
  SELECT speaker_resolved, count(*) AS n FROM q GROUP BY 1 ORDER BY n DESC, speaker_resolved LIMIT 10)
SELECT q.speaker_resolved AS speaker, left(q.text, 300) AS quote, q.n_sites, q.n_articles, q.first_seen_at
FROM q JOIN top USING (speaker_resolved)
QUALIFY row_number() OVER (PARTITION BY q.speaker_resolved
                           ORDER BY q.n_sites DESC, q.n_articles DESC, q.first_seen_at, q.quote_key) <= 2
ORDER BY top.n DESC, speaker, q.n_sites DESC, q.first_seen_at""",

    "speaker_about": """
SELECT q.speaker_resolved AS speaker, e.entity AS mentioned, count(DISTINCT q.story_id) AS stories
FROM story_quotes q JOIN story_entities e USING (story_id)
WHERE e.label = 'PERSON' AND q.speaker_resolved IS NOT NULL
  AND e.entity IS DISTINCT FROM q.speaker_entity AND e.entity <> q.speaker_resolved
  AND q.first_seen_at::DATE BETWEEN {since} AND {until}
GROUP BY ALL ORDER BY stories DESC, speaker, mentioned LIMIT 20""",

    # The 500 latest runs.
    "runs": """
SELECT run_id, flow, started_at, coalesce(status, 'running') AS status, seconds, new_articles,
  pages_fetched, pages_failed, feeds_failed + feeds_skipped AS feeds_failing, count(*) OVER () AS n_runs
FROM runs WHERE started_at::DATE BETWEEN {since} AND {until}
ORDER BY started_at DESC LIMIT 500""",

    # A feed is failing from its first failure until its next success (backoff included).
    "failing_feeds": """
SELECT feed_url, site, last_error_class AS error_class, consecutive_failures AS failures,
  left(last_error, 160) AS last_error, last_ok_at, next_fetch_at AS next_retry_at,
  count(*) OVER () AS n_failing
FROM feeds WHERE consecutive_failures > 0
ORDER BY consecutive_failures DESC, feed_url LIMIT 50""",

    "fetch_errors": """
SELECT day, error_class, count(*) AS errors, any_value(requests) AS requests
FROM (SELECT date_trunc('{bucket}', fetched_date)::DATE AS day, error_class,
        count(*) OVER (PARTITION BY date_trunc('{bucket}', fetched_date)) AS requests
      FROM fetches WHERE fetched_date BETWEEN {since} AND {until})
WHERE error_class IS NOT NULL GROUP BY ALL ORDER BY day, errors DESC, error_class""",

    # Pages waiting for a retry (given-up pages stay in the view for a while: not counted). Only
    # when the catalog has a `pending_pages` view (a catalog built before it existed has none).
    "pending_pages": "SELECT count(*) FILTER (WHERE gave_up_at IS NULL) AS pending FROM pending_pages",
}
