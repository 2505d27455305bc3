"""Sites cleaned while the run still fetches others (flows.ingest.SiteCleaning and
P.clean_articles' `early`): the same articles, rows and furniture as cleaning after fetching."""
from __future__ import annotations

import concurrent.futures as cf
from datetime import datetime, timedelta, timezone

from flows import ingest
from tasks import pipeline as P
from tasks.clean import furniture_key
from tasks.feeds import FeedEntry

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
FOOTER = {"a": "Tidewater Courier: all the harbour news, every morning at six",
          "b": "Read the Lindqvist Ledger on your phone with our free app"}


def _cand(i: int, site: str) -> P.Candidate:
    url = f"http://{site}.test/news/{i}"
    return P.Candidate(P.article_id_for(url), url, FeedEntry(url, None, None, None, None, None, None, None),
                       f"http://{site}.test/feed.xml", site)


TOWNS = ("Dunmere", "Halsey", "Orrin Cove", "Pellham", "Saltbridge", "Varrow", "Wexley", "Yarrick", "Brannock")
THINGS = ("the old ferry slip", "a new fish market", "the lighthouse road", "two harbour cranes",
          "the winter timetable", "a tidal barrier", "the marina car park", "a lifeboat station", "the north quay")


def _raw(c: P.Candidate, i: int, canonical: str | None = None) -> P.RawArticle:
    town, thing = TOWNS[i % len(TOWNS)], THINGS[(i * 4) % len(THINGS)]
    text = (f"Councillors in {town} voted on {thing} late on Tuesday, after a debate that ran for hours.\n"
            f"Work on {thing} in {town} is due to begin next spring, the clerk told reporters.\n"
            f"{FOOTER[c.site]}")
    return P.RawArticle(c, c.canonical_url, canonical or c.canonical_url, text, f"Ferry vote {i}", None,
                        START + timedelta(minutes=i), "feed", "en", "feed", START, None)


def _counting_map(calls: list[int]):
    def map_fn(fn, items):
        items = list(items)
        calls.append(len(items))
        return map(fn, items)
    return map_fn


def _doc(d) -> tuple:
    return (d.article_id, d.site, d.content_hash, d.language, d.dateline, d.signature.samples.tobytes(),
            d.signature.lead.tobytes(), d.signature.n_shingles)


def _same(one, other) -> None:
    (b1, learned1, failed1), (b2, learned2, failed2) = one, other
    assert b1.rows.to_pylist() == b2.rows.to_pylist()
    assert [_doc(d) for d in b1.docs] == [_doc(d) for d in b2.docs]
    assert learned1 == learned2 and failed1 == failed2


def test_a_site_is_cleaned_as_soon_as_its_last_candidate_is_in():
    cands = [_cand(i, "a") for i in range(4)] + [_cand(i, "b") for i in range(4, 9)]
    results = [_raw(c, i) for i, c in enumerate(cands)]
    results[5] = P.ArticleFailure(cands[5].canonical_url, cands[5].feed_url, "http_404", "gone")   # counts as in
    # Site b's last page names an article stored by an earlier run; site a's footer is known furniture.
    stored = "http://b.test/news/earlier"
    results[8] = _raw(cands[8], 8, canonical=stored)
    known = {P.article_id_for(stored)}
    furniture = {"a": frozenset({furniture_key(FOOTER["a"])})}
    with cf.ThreadPoolExecutor(1) as pool:
        cleaning = ingest.SiteCleaning(cands, known, furniture, None, pool)
        cleaning.extracted(cands[:3], results[:3])
        assert not cleaning.jobs and not cleaning.cleaned   # one of site a's pages is still out
        cleaning.extracted(cands[3:6], results[3:6])
        assert set(cleaning.jobs) | set(cleaning.cleaned) == {"a"}
        cleaning.extracted(cands[6:], results[6:])
        early = cleaning.results()
    assert sorted(early) == ["a", "b"]
    raws = P.dedupe_by_canonical([r for r in results if isinstance(r, P.RawArticle)], known)
    assert len(raws) == 7
    calls: list[int] = []
    taken = P.clean_articles(list(raws), furniture, _counting_map(calls), early=early)
    assert calls == [0] and early == {}   # both sites were taken as cleaned early (and `early` emptied)
    _same(taken, P.clean_articles(list(raws), furniture))
    assert taken[1]["a"] and taken[1]["b"]   # each site's footer is its furniture
    assert not any(FOOTER[r["site"]] in r["text"] for r in taken[0].rows.to_pylist())


def test_a_site_that_loses_an_article_to_another_sites_copy_is_cleaned_again():
    # Site b's third page names site a's first article as its canonical URL: listed later, it is
    # dropped once every site is in, so site b's early cleaning (from four articles) is not used.
    cands = [_cand(i, "a") for i in range(4)] + [_cand(i, "b") for i in range(4, 8)]
    results = [_raw(c, i) for i, c in enumerate(cands)]
    results[6] = _raw(cands[6], 6, canonical=cands[0].canonical_url)
    with cf.ThreadPoolExecutor(1) as pool:
        cleaning = ingest.SiteCleaning(cands, set(), {}, None, pool)
        cleaning.extracted(cands[4:], results[4:])
        cleaning.extracted(cands[:4], results[:4])
        early = cleaning.results()
    raws = P.dedupe_by_canonical(results, set())
    assert len(raws) == 7 and len(early["b"][0]) == 4
    calls: list[int] = []
    again = P.clean_articles(list(raws), {}, _counting_map(calls), early=early)
    assert calls == [1]   # site b only
    _same(again, P.clean_articles(list(raws), {}))


def test_a_site_whose_early_cleaning_failed_is_cleaned_with_the_rest():
    cands = [_cand(i, "a") for i in range(3)]
    results = [_raw(c, i) for i, c in enumerate(cands)]

    class Broken(cf.ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            return super().submit(lambda: 1 / 0)

    with Broken(1) as pool:
        cleaning = ingest.SiteCleaning(cands, set(), {}, None, pool)
        cleaning.extracted(cands, results)
        assert cleaning.results() == {}
    calls: list[int] = []
    P.clean_articles(list(results), {}, _counting_map(calls), early={})
    assert calls == [1]


def test_gathered_extraction_jobs_give_the_batchs_results_in_order_or_the_first_failure():
    with cf.ThreadPoolExecutor(2) as pool:
        ok = ingest.gathered([pool.submit(lambda i=i: [i, i + 1]) for i in (0, 2, 4)])
        assert ok.result(timeout=10) == [0, 1, 2, 3, 4, 5]
        bad = ingest.gathered([pool.submit(lambda: [1]), pool.submit(lambda: 1 / 0)])
        assert isinstance(bad.exception(timeout=10), ZeroDivisionError)
    assert ingest.gathered([]).result(timeout=1) == []
