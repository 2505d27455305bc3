"""The CLI end to end, in subprocesses, on a temporary data directory (each run starts Prefect)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow
NEWSFLOW = [sys.executable, "-m", "flows.cli"]
TABLE_QUERIES = {
    "articles": "SELECT * EXCLUDE (run_id, fetched_at) FROM articles ORDER BY article_id",
    "stories": "SELECT * FROM stories ORDER BY story_id",
    "entities": "SELECT * EXCLUDE (nlp_run_id) FROM entities ORDER BY article_id, start_char, end_char",
    "quotes": "SELECT * EXCLUDE (nlp_run_id) FROM quotes ORDER BY article_id, start_char",
}


def newsflow(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([*NEWSFLOW, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def snapshot(data: Path) -> dict[str, list[dict]]:
    out = {}
    for name, q in TABLE_QUERIES.items():
        res = newsflow("sql", "--data", str(data), "--format", "json", q)
        assert res.returncode == 0, res.stderr
        out[name] = [json.loads(line) for line in res.stdout.splitlines()]
    return out


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, sample_server, fixture_server):
    data = tmp_path_factory.mktemp("data")
    # The sample's OPML names its four sites (all on one loopback host); the fixture feeds are
    # added unnamed, so their site is their server's host and port.
    feeds = data / "feeds.opml"
    fixtures = "".join(f'<outline type="rss" xmlUrl="{fixture_server.base_url}/{name}/feed.xml"/>'
                       for name in ("riverside-courier", "broken", "nowhere"))
    feeds.write_text(sample_server.render((SAMPLE / "feeds.opml").read_text()).replace("</body>", fixtures + "</body>"))
    first = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private")
    snap1 = snapshot(data)
    second = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private")
    snap2 = snapshot(data)
    return data, first, snap1, second, snap2


def test_first_run_lands_every_stage(two_runs):
    data, first, snap, _, _ = two_runs
    assert first.returncode == 3, first.stderr   # some feeds failed: documented exit code
    assert "FAILED" in first.stdout and "/broken/feed.xml" in first.stdout and "/nowhere/feed.xml" in first.stdout
    assert len(snap["articles"]) >= 30
    assert any(a["text_source"] == "page" for a in snap["articles"])
    assert any(s["n_sites"] >= 2 for s in snap["stories"])       # a wire story carried by several sites
    assert snap["entities"] and snap["quotes"]
    assert any(q["speaker"] for q in snap["quotes"])


def test_sites_are_named_by_the_feed_list_and_counted_per_story(two_runs, fixture_server):
    data = two_runs[0]
    expected = json.loads((SAMPLE / "expected.json").read_text())
    names = {"harbor-gazette": "The Harbor Gazette", "valley-courier": "Valley Courier",
             "northfield-ledger": "Northfield Ledger", "coastline-daily": "Coastline Daily",
             "courrier-du-lac": "Le Courrier du Lac",
             "riverside-courier": fixture_server.base_url.removeprefix("http://")}   # unnamed: host:port
    res = newsflow("sql", "--data", str(data), "--format", "json",
                   "SELECT a.canonical_url, a.site, s.n_sites, s.sites FROM articles a JOIN stories s USING (story_id)")
    rows = {"/" + r["canonical_url"].split("/", 3)[3]: r for r in map(json.loads, res.stdout.splitlines())}
    assert {path: r["site"] for path, r in rows.items()} == {path: names[path.split("/")[1]] for path in rows}
    for key, story in expected["stories"].items():
        want = sorted({names[p.split("/")[1]] for p in story["paths"]})
        for path in story["paths"]:
            assert (rows[path]["n_sites"], rows[path]["sites"]) == (len(want), want), key
    res = newsflow("sql", "--data", str(data), "--format", "json", "SELECT feed_url, site FROM feeds")
    feeds = {r["feed_url"].rsplit("/", 2)[-2]: r["site"] for r in map(json.loads, res.stdout.splitlines())}
    assert feeds == {**names, "broken": names["riverside-courier"], "nowhere": names["riverside-courier"]}


def test_entity_offsets_point_into_each_copy(two_runs):
    data = two_runs[0]
    res = newsflow("sql", "--data", str(data), "--format", "json",
                   "SELECT count(*) AS n, count(*) FILTER (WHERE substr(a.text, e.start_char + 1, "
                   "e.end_char - e.start_char) <> e.text) AS bad FROM entities e JOIN articles a USING (article_id)")
    row = json.loads(res.stdout)
    assert row["n"] > 100 and row["bad"] == 0


def test_second_run_changes_no_table(two_runs):
    _, _, snap1, second, snap2 = two_runs
    assert second.returncode == 3, second.stderr
    assert "0 new articles" in second.stdout
    assert snap1 == snap2


def test_the_french_site_gets_french_rows_and_stories_of_its_own(two_runs):
    """The French reposts of two AFP stories: language fr from the feed, the French model's labels
    with their standard ones, a French quote with its speaker resolved, and stories apart from
    the English copies of the same dispatches."""
    data, first = two_runs[0], two_runs[1]
    assert "languages  en " in first.stdout and "fr 2" in first.stdout

    def sql(q):
        res = newsflow("sql", "--data", str(data), "--format", "json", q)
        assert res.returncode == 0, res.stderr
        return [json.loads(line) for line in res.stdout.splitlines()]

    fr = sql("SELECT article_id, story_id, language, language_source, wire_agency, dateline, text FROM articles "
             "WHERE site = 'Le Courrier du Lac' ORDER BY dateline")
    assert [(a["language"], a["language_source"], a["wire_agency"]) for a in fr] == [("fr", "feed", "AFP")] * 2
    assert [a["dateline"] for a in fr] == ["ATHÈNES (AFP) -", "LISBONNE (AFP) -"]
    assert not any(w in a["text"] for a in fr for w in ("Réagir", "Partager", "Lire aussi", "newsletter", "Publié le"))
    # A translation is a story of its own: no English copy shares it.
    assert sql("SELECT DISTINCT language FROM articles WHERE story_id IN (SELECT story_id FROM articles "
               "WHERE language = 'fr')") == [{"language": "fr"}]
    ents = sql("SELECT DISTINCT norm, label, label_std, model FROM entities WHERE language = 'fr'")
    assert {"norm": "Duarte Maleiro", "label": "PER", "label_std": "PERSON"} in [
        {k: e[k] for k in ("norm", "label", "label_std")} for e in ents]
    assert all(e["model"].startswith("fr_core_news_sm") for e in ents)
    assert {e["label_std"] for e in sql("SELECT DISTINCT label_std FROM entities WHERE language = 'en'")} >= {"PERSON", "ORG"}
    quotes = sql("SELECT text, speaker_resolved, cue FROM quotes WHERE language = 'fr'")
    assert {"text": "Personne ne gagne une longue grève.", "speaker_resolved": "Ana Roel", "cue": "ajouter"} in quotes
    assert any(q["speaker_resolved"] == "Duarte Maleiro" and q["cue"] == "déclarer" for q in quotes)


def test_failures_are_recorded_with_their_class(two_runs):
    data = two_runs[0]
    res = newsflow("sql", "--data", str(data), "--format", "json",
                   "SELECT feed_url, last_status, last_error_class, consecutive_failures FROM feeds ORDER BY feed_url")
    feeds = {r["feed_url"].rsplit("/", 2)[-2]: r for r in map(json.loads, res.stdout.splitlines())}
    assert feeds["broken"]["last_status"] in ("failed", "skipped")
    assert feeds["broken"]["last_error_class"] == "parse_error"
    assert feeds["nowhere"]["last_error_class"] == "http_4xx"
    res = newsflow("sql", "--data", str(data), "--format", "json",
                   "SELECT count(*) AS n FROM fetches WHERE url LIKE '%gone.html' AND status = 404")
    assert json.loads(res.stdout)["n"] >= 1


def test_sql_works_from_another_directory_and_formats(two_runs, tmp_path):
    data = two_runs[0]
    res = newsflow("sql", "--data", str(data), "--format", "csv", "SELECT count(*) AS n FROM stories", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    header, value = res.stdout.splitlines()
    assert header == "n" and int(value) > 0
    res = newsflow("sql", "--data", str(data), "SELECT 1 AS one")
    assert res.stdout.splitlines()[0] == "one" and "(1 row)" in res.stdout


def test_sql_refuses_writes(two_runs):
    res = newsflow("sql", "--data", str(two_runs[0]), "CREATE TABLE evil AS SELECT 1")
    assert res.returncode == 1
    assert "read-only" in res.stderr


def test_sql_without_catalog_says_so(tmp_path):
    res = newsflow("sql", "--data", str(tmp_path), "SELECT 1")
    assert res.returncode == 1
    assert "no catalog" in res.stderr


# -- backfill (runs last in this module: it adds newer row versions to the same data directory) --
def test_backfill_rederives_the_same_tables_offline(two_runs):
    data, _, _, _, snap2 = two_runs
    today = json.loads(newsflow("sql", "--data", str(data), "--format", "json",
                                "SELECT min(fetched_at)::DATE::VARCHAR AS d FROM captures").stdout)["d"]
    for _ in range(2):   # twice: the second backfill must give the same tables again
        res = newsflow("backfill", "--data", str(data), "--since", today, "--until", today)
        assert res.returncode == 0, res.stderr
        assert snapshot(data) == snap2
    runs = newsflow("sql", "--data", str(data), "--format", "json",
                    "SELECT flow, status, versions FROM runs WHERE flow = 'backfill'")
    rows = [json.loads(line) for line in runs.stdout.splitlines()]
    assert len(rows) == 2 and all(r["status"] == "ok" and "cleaner" in r["versions"] for r in rows)
    latest = newsflow("sql", "--data", str(data), "--format", "json",
                      "SELECT count(DISTINCT run_id) AS n FROM articles")
    assert json.loads(latest.stdout)["n"] == 1     # every article now comes from the last backfill


def test_backfill_outside_the_window_touches_nothing(two_runs):
    data = two_runs[0]
    before = snapshot(data)
    res = newsflow("backfill", "--data", str(data), "--since", "2001-01-01", "--until", "2001-01-02")
    assert res.returncode == 0, res.stderr
    assert "0 new articles" in res.stdout
    assert snapshot(data) == before


def test_warc_import(two_runs, tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    data = two_runs[0]
    page = (ROOT / "tests/fixtures/sites/riverside-courier/2026/11/library-reopens.html").read_text()
    # A real site's layout: its own domain, the date first in the path.
    page = page.replace("{{BASE_URL}}/riverside-courier", "https://www.riverside-courier.example")
    warc = tmp_path / "news.warc.gz"
    with open(warc, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        import io
        rec = writer.create_warc_record("https://www.riverside-courier.example/2026/11/library-reopens.html",
                                        "response", payload=io.BytesIO(page.encode()), http_headers=headers)
        writer.write_record(rec)
    res = newsflow("backfill", "--data", str(data), "--warc", str(warc))
    assert res.returncode == 0, res.stderr
    got = newsflow("sql", "--data", str(data), "--format", "json",
                   "SELECT site, title, feed_url FROM articles WHERE url LIKE 'https://www.riverside-courier.example/%'")
    row = json.loads(got.stdout)
    assert row["title"] == "Library reopens with a new reading room"
    assert row["feed_url"] == "warc:news.warc.gz"
    assert row["site"] == "riverside-courier.example"    # its registrable domain, not "host/2026"


def test_backfill_needs_no_network(tmp_path):
    """Ingest from a server, stop the server, then backfill: the same articles come back from raw captures."""
    from flows.sample_server import SampleServer
    from tests.conftest import FIXTURE_SITES

    data = tmp_path / "data"
    with SampleServer(FIXTURE_SITES) as server:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{server.base_url}/riverside-courier/feed.xml\n")
        assert newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private").returncode == 0
    before = snapshot(data)["articles"]
    day = json.loads(newsflow("sql", "--data", str(data), "--format", "json",
                              "SELECT max(fetched_at)::DATE::VARCHAR AS d FROM captures").stdout)["d"]
    res = newsflow("backfill", "--data", str(data), "--since", day, "--until", day)   # the server is gone
    assert res.returncode == 0, res.stderr
    assert "2 new articles" in res.stdout
    assert snapshot(data)["articles"] == before and len(before) == 2
