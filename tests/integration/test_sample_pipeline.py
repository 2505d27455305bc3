"""The ingest stages chained without Prefect against the bundled sample sites on loopback."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from itertools import combinations
from urllib.parse import urlsplit

import duckdb
import pytest

from schemas.tables import ARTICLES
from tasks import pipeline as P
from tasks.catalog import open_catalog, refresh_catalog
from tasks.dedup import StoryIndex
from tasks.fetch import FetchPolicy, Fetcher
from tasks.feeds import read_feed_list
from tasks.storage import Lake
from tests.conftest import SAMPLE

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
EXPECTED = json.loads((SAMPLE / "expected.json").read_text())


def fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=5, total_timeout=10))


@pytest.fixture(scope="module")
def ingested(sample_server, tmp_path_factory):
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    feeds = read_feed_list(sample_server.render((SAMPLE / "feeds.txt").read_text()))
    with fetcher() as f:
        polls = [P.poll_feed(f, lake, feed.url, None, NOW, site=feed.site) for feed in feeds]
        cands, n_entries = P.select_new_entries(polls, set())
        results = [P.get_article(f, lake, c, NOW) for c in cands]
    raws = P.dedupe_by_canonical([r for r in results if isinstance(r, P.RawArticle)], set())
    batch, _, _ = P.clean_articles(raws, {})
    stories = P.assign_stories(StoryIndex.from_arrow(None), batch.docs)
    return polls, n_entries, results, batch.rows.to_pylist(), stories, batch


def path_of(url: str) -> str:
    path = urlsplit(url).path
    return path.replace("/amp/", "/", 1)


def test_every_feed_parses_and_every_article_lands(ingested):
    polls, n_entries, results, arts, _, _ = ingested
    assert [p.status for p in polls] == ["ok"] * 5
    assert n_entries == sum(f["n_entries"] for f in EXPECTED["feeds"].values())
    assert not [r for r in results if isinstance(r, P.ArticleFailure)]
    assert sorted(path_of(a["canonical_url"]) for a in arts) == sorted(EXPECTED["articles"])


def test_summary_only_feed_is_completed_from_pages(ingested):
    arts = ingested[3]
    coastline = [a for a in arts if "/coastline-daily/" in a["url"]]
    assert coastline and all(a["text_source"] == "page" for a in coastline)
    assert all(a["published_source"] == "page" for a in coastline)
    assert all(a["text"].count(" ") > 50 for a in coastline)


def test_tracking_parameters_and_amp_variants_are_canonicalized(ingested):
    arts = ingested[3]
    assert not [a for a in arts if "utm_" in a["canonical_url"] or "/amp/" in a["canonical_url"]]


def test_wire_copies_share_a_story_and_others_do_not(ingested):
    arts, stories = ingested[3], ingested[4]
    got = {path_of(a["canonical_url"]): stories[a["article_id"]][0] for a in arts}
    want = {p: a["story_key"] for p, a in EXPECTED["articles"].items()}
    wrong = [(a, b) for a, b in combinations(sorted(want), 2) if (got[a] == got[b]) != (want[a] == want[b])]
    assert wrong == []


def test_wrappers_are_removed_and_kept_for_audit(ingested):
    arts = ingested[3]
    for a in arts:
        exp = EXPECTED["articles"][path_of(a["canonical_url"])]
        for line in exp["wrapper_lines"]:
            assert line not in a["text"], (a["url"], line)
        if exp["wrapper_lines"]:
            assert a["removed"]
        # The whole dateline, as written, kept at the start of the text (or none found).
        assert a["dateline"] == exp["dateline"], a["url"]
        if exp["dateline"]:
            assert a["text"].startswith(exp["dateline"]), a["url"]


@pytest.fixture(scope="module")
def catalog(ingested, tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The articles written to a lake as the flow writes them, and the catalog's views over it."""
    stories, batch = ingested[4], ingested[5]
    folder = tmp_path_factory.mktemp("catalog")
    lake = Lake(str(folder / "lake"))
    for table, parts in P.articles_tables(batch, stories, "run-1", {"extractor": "x", "cleaner": "c"}, 1000):
        lake.append(ARTICLES, table, partition_values=parts)
    refresh_catalog(lake, str(folder / "news.duckdb"))
    con = open_catalog(str(folder / "news.duckdb"))
    yield con
    con.close()


def test_wire_agency_per_story(catalog):
    """Every copy of a wire story carries the story's agency, also a copy that lost its credit."""
    got = dict(catalog.execute("SELECT canonical_url, wire_agency FROM articles").fetchall())
    assert {path_of(url): agency for url, agency in got.items()} == {
        path: a["wire_agency"] for path, a in EXPECTED["articles"].items()}
    stories = catalog.execute("SELECT list(canonical_url), any_value(s.wire_agency) FROM articles "
                              "JOIN stories s USING (story_id) GROUP BY story_id").fetchall()
    want = {frozenset(s["paths"]): s["wire_agency"] for s in EXPECTED["stories"].values()}
    assert {frozenset(map(path_of, urls)): agency for urls, agency in stories
            if frozenset(map(path_of, urls)) in want} == want


def test_conditional_get_makes_the_second_poll_unchanged(ingested, sample_server, tmp_path):
    polls = ingested[0]
    lake = Lake(str(tmp_path))
    with fetcher() as f:
        again = [P.poll_feed(f, lake, p.feed_url, p.state, NOW, site=p.site) for p in polls]
    assert [p.status for p in again] == ["unchanged"] * 5
    assert all(not p.entries for p in again)
    assert [p.state["site"] for p in again] == [p.site for p in polls]


SITE_NAMES = {"harbor-gazette": "The Harbor Gazette", "valley-courier": "Valley Courier",
              "northfield-ledger": "Northfield Ledger", "coastline-daily": "Coastline Daily",
              "courrier-du-lac": "Le Courrier du Lac"}


def test_sites_on_one_loopback_host_are_the_names_the_feed_list_gives(ingested):
    polls, arts, stories = ingested[0], ingested[3], ingested[4]
    assert [p.state["site"] for p in polls] == list(SITE_NAMES.values())
    for a in arts:
        assert a["site"] == SITE_NAMES[path_of(a["canonical_url"]).split("/")[1]], a["url"]
    # n_sites as the stories view counts it: distinct sites per story
    n_sites: dict[str, set[str]] = {}
    for a in arts:
        n_sites.setdefault(stories[a["article_id"]][0], set()).add(a["site"])
    for key, story in EXPECTED["stories"].items():
        story_id = {stories[a["article_id"]][0] for a in arts if path_of(a["canonical_url"]) in story["paths"]}
        assert len(story_id) == 1, key
        assert len(n_sites[story_id.pop()]) == len({p.split("/")[1] for p in story["paths"]}), key


def test_a_feeds_site_follows_the_feed_list_from_one_poll_to_the_next(ingested, sample_server, tmp_path):
    first = ingested[0][0]                       # The Harbor Gazette, polled once
    lake = Lake(str(tmp_path))
    with fetcher() as f:
        renamed = P.poll_feed(f, lake, first.feed_url, first.state, NOW, site="Harbor Gazette (Port Alder)")
        unnamed = P.poll_feed(f, lake, first.feed_url, renamed.state, NOW)
    assert renamed.status == unnamed.status == "unchanged"
    assert renamed.state["site"] == renamed.site == "Harbor Gazette (Port Alder)"
    # Named by nobody, the feed is its channel link's site: the loopback server, as host and port.
    assert unnamed.state["site"] == unnamed.site == urlsplit(sample_server.base_url).netloc
    assert unnamed.state["link"] == f"{sample_server.base_url}/harbor-gazette/index.html"
