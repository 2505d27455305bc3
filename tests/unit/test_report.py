"""The HTML report over a small catalog built here: every section, the numbers, no external resource."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pyarrow as pa
import pytest

from flows.cli import EXIT_USAGE, main
from schemas.tables import TABLES
from tasks.catalog import connect, open_catalog, refresh_catalog
from tasks.report import bucket_for, render_report
from tasks.storage import Lake

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
FIGURES = ["volume", "reach", "timeline", "agency-mix", "entities-people", "entities-organisations",
           "entities-places", "speakers", "speaker-quotes", "speaker-about", "run-seconds", "run-articles",
           "fetch-errors", "failing-feeds", "pending"]
CHARTS = [f for f in FIGURES if f not in ("speaker-quotes", "speaker-about", "failing-feeds", "pending")]


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def ent(norm: str, label: str) -> dict:
    return {"text": norm, "norm": norm, "label": label, "start_char": 0, "end_char": len(norm)}


def build_lake(root) -> Lake:
    """Three sites: one AFP story copied by all three (two with the same text), one Reuters story on
    two sites, own reporting on one; two runs, one failing feed, fetch errors of two classes."""
    lake = Lake(str(root / "lake"))
    arts = []

    def art(aid, site, story, text_hash, agency, when, title):
        arts.append({"article_id": aid, "url": f"http://{site}/{aid}", "canonical_url": f"http://{site}/{aid}",
                     "site": site, "feed_url": f"http://{site}/feed", "title": title, "text": f"Text {text_hash}",
                     "removed": [], "word_count": 100 - len(arts), "content_hash": text_hash, "text_hash": text_hash,
                     "story_id": story, "wire_agency_detected": agency, "published_at": when, "run_id": "r1"})

    art("a1", "alpha.example", "s-dam", "t1", "AFP", at(20, 8), "Dam <b>bursts</b> upstream")
    art("a2", "beta.example", "s-dam", "t1", "AFP", at(20, 11), "Dam bursts upstream")
    art("a3", "gamma.example", "s-dam", "t2", None, at(21, 7), "Dam bursts upstream, villages evacuated")
    art("b1", "alpha.example", "s-chip", "t3", "Reuters", at(21, 9), "Chipmaker recalls boards")
    art("b2", "gamma.example", "s-chip", "t3", "Reuters", at(21, 15), "Chipmaker recalls boards")
    art("c1", "beta.example", "s-fair", "t4", None, at(22, 10), "County fair opens")
    art("z1", "beta.example", "s-old", "t5", None, datetime(2026, 9, 1, tzinfo=timezone.utc), "Old news")
    spec = TABLES["articles"]
    lake.append(spec, pa.Table.from_pylist(arts, schema=spec.schema),
                partition_values=[a["published_at"].date().isoformat() for a in arts])

    def quote(text, speaker):
        return {"text": text, "speaker": speaker, "speaker_resolved": speaker, "speaker_entity": speaker,
                "cue": "say", "kind": "direct", "start_char": 0, "end_char": len(text)}

    dam_people = [ent("Mara Voss", "PERSON"), ent("Mara Voss", "PERSON"), ent("Ivo Brand", "PERSON"),
                  ent("River Authority", "ORG"), ent("AFP", "ORG"), ent("Kell Valley", "GPE")]
    docs = [
        {"text_hash": "t1", "entities": dam_people, "quotes": [quote("The water came at night", "Mara Voss")]},
        {"text_hash": "t2", "entities": dam_people, "quotes": [quote("The water came at night", "Mara Voss")]},
        {"text_hash": "t3", "entities": [ent("Veltrane", "ORG"), ent("Ivo Brand", "PERSON")],
         "quotes": [quote("We act out of caution", "Ivo Brand")]},
        {"text_hash": "t4", "entities": [ent("Kell Valley", "GPE")], "quotes": []},
        {"text_hash": "t5", "entities": [ent("Old Name", "PERSON")], "quotes": []},
    ]
    nlp = TABLES["nlp_docs"]
    lake.append(nlp, pa.Table.from_pylist([{**d, "run_id": "r1", "model": "m"} for d in docs], schema=nlp.schema), name="r1")

    runs = TABLES["runs"]
    lake.append(runs, pa.Table.from_pylist([
        {"run_id": "r1", "flow": "ingest", "started_at": at(22, 6), "finished_at": at(22, 7), "status": "partial",
         "seconds": 61.5, "new_articles": 7, "feeds_failed": 1, "feeds_skipped": 0},
        {"run_id": "r2", "flow": "ingest", "started_at": at(22, 12), "finished_at": at(22, 12), "status": "ok",
         "seconds": 9.2, "new_articles": 0, "feeds_failed": 0, "feeds_skipped": 1}], schema=runs.schema), name="r")
    feeds = TABLES["feeds"]
    lake.replace_state(feeds, pa.Table.from_pylist([
        {"feed_url": "http://alpha.example/feed", "site": "alpha.example", "last_status": "ok", "consecutive_failures": 0},
        {"feed_url": "http://delta.example/rss", "site": "delta.example", "last_status": "failed",
         "last_error_class": "http_5xx", "last_error": "503 Service Unavailable", "consecutive_failures": 3,
         "next_fetch_at": at(23, 10)}], schema=feeds.schema))
    fetches = TABLES["fetches"]
    rows = [{"run_id": "r1", "seq": i, "url": f"http://x/{i}", "kind": "page", "status": 200} for i in range(5)]
    rows += [{"run_id": "r1", "seq": 5, "url": "http://delta.example/rss", "kind": "feed", "status": 503, "error_class": "http_5xx"},
             {"run_id": "r1", "seq": 6, "url": "http://x/t", "kind": "page", "error_class": "timeout"},
             {"run_id": "r1", "seq": 7, "url": "http://x/u", "kind": "page", "error_class": "timeout"}]
    lake.append(fetches, pa.Table.from_pylist(rows, schema=fetches.schema), partition_values=["2026-11-22"] * len(rows))
    refresh_catalog(lake, str(root / "news.duckdb"))
    return lake


class Page(HTMLParser):
    """The parts of the page a test reads: ids, resource attributes, table cells, script bodies."""

    def __init__(self, html: str):
        super().__init__()
        self.ids, self.refs, self.tags, self.scripts = set(), [], [], {}
        self._script = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href", "srcset", "poster", "data", "action") and v]
        if tag == "script":
            self._script = a.get("id", f"script-{len(self.scripts)}")
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script:
            self.scripts[self._script] += data


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    build_lake(root)
    return root / "news.duckdb"


@pytest.fixture(scope="module")
def html(catalog):
    con = open_catalog(str(catalog))
    try:
        return render_report(con, generated_at=NOW, since=date(2026, 11, 20), until=date(2026, 11, 22))
    finally:
        con.close()


def specs(html: str) -> dict:
    return json.loads(Page(html).scripts["specs"])


def values(spec: dict) -> list[dict]:
    """The rows a chart draws (Altair puts data shared by its layers at the top)."""
    return [row for part in [spec, *spec.get("layer", [])] if "values" in part.get("data", {})
            for row in part["data"]["values"]]


def test_every_section_and_figure_is_there_with_its_caption_and_query(html):
    page = Page(html)
    for title in ("Volume", "Syndication reach", "Agency mix per site", "People, organisations and places",
                  "Who is quoted", "Pipeline health"):
        assert f"<h2>{title}</h2>" in html
    assert {f"fig-{f}" for f in FIGURES} <= page.ids
    assert {f"chart-{c}" for c in CHARTS} <= page.ids
    assert set(specs(html)) == set(CHARTS)
    # Each figure names its views and shows the query that ran, dates filled in.
    assert html.count("<figcaption>") == len(FIGURES)
    assert "From the <code>stories</code> view: the query" in html
    assert "BETWEEN DATE &#39;2026-11-20&#39; AND DATE &#39;2026-11-22&#39;" in html


def test_the_page_needs_no_other_host(html):
    page = Page(html)
    # Links inside the page only; no stylesheet, image, frame or font from anywhere.
    assert all(v.startswith("#") for _, _, v in page.refs), page.refs
    assert not {"link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not any(t == "script" for t, k, _ in page.refs if k == "src")
    style = html[html.index("<style>"):html.index("</style>")]
    assert "url(" not in style and "@import" not in style
    assert len(page.scripts) == 3 and "vegaEmbed" in page.scripts["script-0"]   # the inlined bundle
    assert len(html) < 1_500_000


def test_numbers_count_each_story_once(html):
    s = specs(html)
    reach = {r["title"]: r for r in values(s["reach"]) if "n_sites" in r}
    assert reach["Dam <b>bursts</b> upstream"]["n_sites"] == 3 and reach["Dam <b>bursts</b> upstream"]["agency"] == "AFP"
    assert reach["Chipmaker recalls boards"]["n_sites"] == 2
    # One dot per copy of the window's three stories (September's story is outside the window).
    assert sorted((r["rank"], r["site"]) for r in values(s["timeline"]) if "site" in r) == [
        (1, "alpha.example"), (1, "beta.example"), (1, "gamma.example"), (2, "alpha.example"), (2, "gamma.example"),
        (3, "beta.example")]
    # Mara Voss is in three copies of one story: one story. Ivo Brand is in two stories.
    people = {(r["entity"], r["day"]): r["stories"] for r in values(s["entities-people"])}
    assert people == {("Mara Voss", "2026-11-20"): 1, ("Ivo Brand", "2026-11-20"): 1, ("Ivo Brand", "2026-11-21"): 1}
    orgs = {r["entity"] for r in values(s["entities-organisations"])}
    assert orgs == {"River Authority", "Veltrane"}            # the agency credit is not news
    volume = {(r["day"], r["agency"]): (r["articles"], r["stories"]) for r in values(s["volume"]) if "agency" in r}
    assert volume == {("2026-11-20", "AFP"): (2, 1), ("2026-11-21", "AFP"): (1, 1),
                      ("2026-11-21", "Reuters"): (2, 1), ("2026-11-22", "own reporting"): (1, 1)}
    mix = {(r["site"], r["agency"]): r["share"] for r in values(s["agency-mix"])}
    assert mix[("beta.example", "own reporting")] == 0.5 and mix[("gamma.example", "Reuters")] == 0.5
    speakers = {r["speaker"]: (r["quotes"], r["site_copies"]) for r in values(s["speakers"]) if "site_copies" in r}
    assert speakers == {"Mara Voss": (1, 3), "Ivo Brand": (1, 2)}


def test_tables_and_health(html):
    about = html.split('id="fig-speaker-about"')[1].split("</figure>")[0]
    assert "<td data-label=\"speaker\" class=\"\">Mara Voss</td><td data-label=\"mentioned\" class=\"\">Ivo Brand</td>" in about
    failing = html.split('id="fig-failing-feeds"')[1].split("</figure>")[0]
    assert "http://delta.example/rss" in failing and "http_5xx" in failing and "2026-11-23 10:00 UTC" in failing
    assert "alpha.example/feed" not in failing
    errors = {(r["error_class"], r["errors"], r["requests"]) for r in values(specs(html)["fetch-errors"])}
    assert errors == {("timeout", 2, 8), ("http_5xx", 1, 8)}
    runs = sorted((r["run_id"], r["seconds"], r["new_articles"]) for r in values(specs(html)["run-seconds"]) if "run_id" in r)
    assert runs == [("r1", 61.5, 7), ("r2", 9.2, 0)]
    assert "<b>0</b> pages wait for a retry." in html   # the catalog's pending_pages view, empty
    # Markup in the data is shown as text, never interpreted.
    assert "<b>bursts</b>" not in html.replace("\\u003cb>", "")


def test_window_and_pending_pages(tmp_path):
    build_lake(tmp_path)
    con = connect(str(tmp_path / "news.duckdb"))
    # Three pages waiting, one given up (not counted).
    con.execute("CREATE OR REPLACE VIEW pending_pages AS SELECT * FROM (VALUES (NULL::TIMESTAMPTZ), (NULL), (NULL), "
                "(TIMESTAMPTZ '2026-11-22 10:00+00')) t(gave_up_at)")
    try:
        whole = render_report(con, generated_at=NOW)
        one_day = render_report(con, generated_at=NOW, since=date(2026, 11, 21), until=date(2026, 11, 21))
        later = render_report(con, generated_at=NOW, since=date(2026, 12, 5))
    finally:
        con.close()
    assert "Articles published 2026-09-01 to 2026-11-22" in whole and "<b>7</b><span>articles</span>" in whole
    assert "per week" in whole                      # 83 days do not fit as days
    assert "<b>3</b> pages wait for a retry." in whole
    assert "Articles published 2026-11-21 to 2026-11-21" in one_day and "<b>3</b><span>articles</span>" in one_day
    # A bound beyond the data: that day alone, with nothing in it (not the data's days before it).
    assert "Articles published 2026-12-05 to 2026-12-05" in later and "<b>0</b><span>articles</span>" in later
    assert "<b>2</b><span>runs</span>" in whole and "<b>0</b><span>runs</span>" in later


def test_an_empty_catalog_still_renders(tmp_path):
    refresh_catalog(Lake(str(tmp_path / "lake")), str(tmp_path / "news.duckdb"))
    con = open_catalog(str(tmp_path / "news.duckdb"))
    try:
        html = render_report(con, generated_at=NOW)
    finally:
        con.close()
    assert set(specs(html)) == set(CHARTS)
    assert html.count("No rows in this window.") == len(CHARTS)


@pytest.mark.parametrize("days,bucket", [(1, "day"), (62, "day"), (63, "week"), (434, "week"), (435, "month")])
def test_bucket_keeps_every_chart_bounded(days, bucket):
    assert bucket_for(date(2026, 1, 1), date.fromordinal(date(2026, 1, 1).toordinal() + days - 1)) == bucket


def test_report_command(catalog, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--data", str(catalog.parent), "--out", str(out), "--since", "2026-11-21"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "Articles published 2026-11-21 to 2026-11-22" in out.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert main(["report", "--data", str(catalog.parent), "--since", "2026-11-22", "--until", "2026-11-20"]) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == "newsflow: --since 2026-11-22 is after --until 2026-11-20"
    assert main(["report", "--data", str(catalog.parent), "--until", "22.11.2026"]) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == "newsflow: '22.11.2026' is not a date (YYYY-MM-DD)"
    assert main(["report", "--data", str(tmp_path / "nowhere")]) == 1
    assert re.fullmatch(r"newsflow: CatalogError: no catalog at \S+/nowhere/news.duckdb: run `newsflow ingest` first",
                        capsys.readouterr().err.strip())


def test_a_catalog_from_before_the_retry_queue_says_not_tracked(tmp_path):
    build_lake(tmp_path)
    con = connect(str(tmp_path / "news.duckdb"))
    con.execute("DROP VIEW pending_pages")
    try:
        html = render_report(con, generated_at=NOW)
    finally:
        con.close()
    assert "Not tracked: this catalog has no <code>pending_pages</code> view." in html
