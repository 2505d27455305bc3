"""The CLI end to end, in subprocesses, on a temporary data directory (each run starts Prefect)."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_SITES, ROOT, SAMPLE, cli_env

pytestmark = pytest.mark.slow
NEWSFLOW = [sys.executable, "-m", "flows.cli"]
EXPECTED = json.loads((SAMPLE / "expected.json").read_text())
TABLE_QUERIES = {
    "articles": "SELECT * EXCLUDE (run_id, fetched_at) FROM articles ORDER BY article_id",
    "stories": "SELECT * FROM stories ORDER BY story_id",
    "entities": "SELECT * EXCLUDE (nlp_run_id) FROM entities ORDER BY article_id, start_char, end_char",
    "quotes": "SELECT * EXCLUDE (nlp_run_id) FROM quotes ORDER BY article_id, start_char",
}


def newsflow(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSFLOW, *args], cwd=cwd, env=cli_env(**env), capture_output=True, text=True,
                          timeout=900)


def rows(data: Path, query: str) -> list[dict]:
    res = newsflow("sql", "--data", str(data), "--format", "json", query)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


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


def copy_data(data: Path, to: Path) -> Path:
    """A copy of the data directory `data` at `to`, its catalog rebuilt there (`newsflow catalog`)."""
    shutil.copytree(data, to, ignore=shutil.ignore_patterns(".prefect"))   # the copy gets a Prefect home of its own
    res = newsflow("catalog", "--data", str(to))
    assert (res.returncode, res.stdout.strip()) == (0, f"catalog rebuilt: {to.resolve() / 'news.duckdb'}"), res.stderr
    return to


@pytest.fixture
def own_data(two_runs, tmp_path) -> Path:
    """The two runs' data directory for one test alone, which may add runs to it: the shared one stays as it is."""
    return copy_data(two_runs[0], tmp_path / "data")


def test_first_run_lands_every_stage(two_runs):
    data, first, snap, _, _ = two_runs
    assert first.returncode == 3, first.stderr   # some feeds failed: documented exit code
    assert "FAILED" in first.stdout and "/broken/feed.xml" in first.stdout and "/nowhere/feed.xml" in first.stdout
    # Every article of the sample sites and the two of the fixture site, once each.
    assert "39 new articles" in first.stdout
    assert len(snap["articles"]) == len(EXPECTED["articles"]) + 2 == 39
    assert any(a["text_source"] == "page" for a in snap["articles"])
    assert any(s["n_sites"] >= 2 for s in snap["stories"])       # a wire story carried by several sites
    assert snap["entities"] and snap["quotes"]
    assert any(q["speaker"] for q in snap["quotes"])


def test_sites_are_named_by_the_feed_list_and_counted_per_story(two_runs, fixture_server):
    data = two_runs[0]
    expected = EXPECTED
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


def test_nlp_docs_one_analysis_per_distinct_text(two_runs):
    data, first = two_runs[0], two_runs[1]
    (got,) = rows(data, """SELECT (SELECT count(*) FROM nlp_docs) AS docs,
        (SELECT count(DISTINCT text_hash) FROM articles) AS texts,
        (SELECT count(*) FROM articles ANTI JOIN nlp_docs USING (text_hash)) AS unanalysed,
        (SELECT count(*) FROM nlp_docs WHERE n_entities <> len(entities) OR n_quotes <> len(quotes)) AS miscounted""")
    assert got["docs"] == got["texts"] and got["unanalysed"] == got["miscounted"] == 0, got
    # The summary's "N texts analysed, M mapped from another copy" adds up to the same documents.
    analysed, mapped = map(int, re.search(r"(\d+) texts analysed, (\d+) mapped", first.stdout).groups())
    assert analysed + mapped == got["docs"]


def test_story_entities_count_each_entity_once_per_copy(two_runs):
    data = two_runs[0]
    # The view agrees with counting the `entities` rows of each story's copies directly.
    (diff,) = rows(data, """
        WITH per_copy AS (SELECT story_id, norm, label, article_id, count(*) AS n FROM entities GROUP BY ALL),
        direct AS (SELECT story_id, norm AS entity, label, count(*) AS n_articles, max(n) AS n_mentions
                   FROM per_copy GROUP BY ALL),
        view AS (SELECT story_id, entity, label, n_articles, n_mentions FROM story_entities)
        SELECT (SELECT count(*) FROM view) AS n,
               (SELECT count(*) FROM (FROM direct EXCEPT FROM view))
               + (SELECT count(*) FROM (FROM view EXCEPT FROM direct)) AS differ""")
    assert diff["n"] > 100 and diff["differ"] == 0, diff
    # The AP elephant rescue, carried by all four sample sites, names its ranger and Kenya in every copy.
    story = rows(data, "SELECT e.entity, e.label, e.n_articles FROM story_entities e JOIN stories s USING (story_id) "
                       "WHERE s.n_sites = 4 AND e.entity IN ('Grace Atieno', 'Kenya') ORDER BY e.entity")
    assert story == [{"entity": "Grace Atieno", "label": "PERSON", "n_articles": 4},
                     {"entity": "Kenya", "label": "GPE", "n_articles": 4}]


def quote_key(text: str) -> str:
    """story_quotes.quote_key of a quote's text (DuckDB's \\W is ASCII-only, hence re.ASCII)."""
    return re.sub(r"\W+", " ", text, flags=re.ASCII).lower().strip()


def test_story_quotes_count_each_quote_over_the_copies_that_carry_it(two_runs):
    data = two_runs[0]
    got = rows(data, "SELECT DISTINCT a.canonical_url, q.quote_key, q.n_articles, q.n_sites, q.speaker_resolved "
                     "FROM story_quotes q JOIN articles a USING (story_id)")
    by_path: dict[str, list[dict]] = {}
    for r in got:
        by_path.setdefault("/" + r["canonical_url"].split("/", 3)[3], []).append(r)
    checked = 0
    for key, story in EXPECTED["stories"].items():
        if len(story["paths"]) < 2:
            continue   # the wire stories: their quotes are carried by several copies
        carriers: dict[str, set[str]] = {}
        for path in story["paths"]:
            for q in EXPECTED["articles"][path]["quotes"]:
                carriers.setdefault(quote_key(q["text"]), set()).add(path)
        for text, paths in carriers.items():
            # The story's row for the quote, else the one of the sentence that holds it (a partial quote).
            story_rows = by_path[story["paths"][0]]
            matches = ([r for r in story_rows if r["quote_key"] == text]
                       or [r for r in story_rows if text in r["quote_key"]])
            assert len(matches) == 1, (key, text, matches)
            row = matches[0]
            assert (row["n_articles"], row["n_sites"]) == (len(paths), len(paths)), (key, text, row)
            checked += 1
    assert checked == 24
    atieno = [r for r in by_path["/harbor-gazette/2026/11/22/kenyan-rangers-elephants.html"]
              if r["quote_key"].startswith("the matriarch knew exactly")]
    assert [(r["n_sites"], r["speaker_resolved"]) for r in atieno] == [(4, "Grace Atieno")]


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


# -- backfill: each test on a copy of the two runs' data, to which it adds runs of its own ------------
def test_backfill_rederives_the_same_tables_offline(two_runs, own_data):
    snap2 = two_runs[4]
    data = own_data
    assert snapshot(data) == snap2   # the copy reads as the original
    today = rows(data, "SELECT min(fetched_at)::DATE::VARCHAR AS d FROM captures")[0]["d"]
    for _ in range(2):   # twice: the second backfill must give the same tables again
        res = newsflow("backfill", "--data", str(data), "--since", today, "--until", today)
        assert res.returncode == 0, res.stderr
        assert snapshot(data) == snap2
    backfills = rows(data, "SELECT flow, status, versions FROM runs WHERE flow = 'backfill'")
    assert len(backfills) == 2 and all(r["status"] == "ok" and "cleaner" in r["versions"] for r in backfills)
    last = rows(data, "SELECT run_id FROM runs WHERE flow = 'backfill' ORDER BY run_id DESC LIMIT 1")[0]["run_id"]
    # every article now comes from the last backfill
    assert rows(data, "SELECT list(DISTINCT run_id) AS runs FROM articles") == [{"runs": [last]}]


def test_backfill_outside_the_window_touches_nothing(two_runs, own_data):
    data = own_data
    res = newsflow("backfill", "--data", str(data), "--since", "2001-01-01", "--until", "2001-01-02")
    assert res.returncode == 0, res.stderr
    assert "0 new articles" in res.stdout
    assert snapshot(data) == two_runs[4]


def test_warc_import(own_data, tmp_path):
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    data = own_data
    before = rows(data, "SELECT count(*) AS n FROM articles")[0]["n"]
    page = (ROOT / "tests/fixtures/sites/riverside-courier/2026/11/library-reopens.html").read_text()
    # A real site's layout: its own domain, the date first in the path.
    page = page.replace("{{BASE_URL}}/riverside-courier", "https://www.riverside-courier.example")
    warc = tmp_path / "news.warc.gz"
    with open(warc, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = writer.create_warc_record("https://www.riverside-courier.example/2026/11/library-reopens.html",
                                        "response", payload=io.BytesIO(page.encode()), http_headers=headers)
        writer.write_record(rec)
    res = newsflow("backfill", "--data", str(data), "--warc", str(warc))
    assert res.returncode == 0, res.stderr
    assert "1 new articles" in res.stdout
    got = rows(data, "SELECT site, title, feed_url FROM articles "
                     "WHERE url LIKE 'https://www.riverside-courier.example/%'")
    assert got == [{"site": "riverside-courier.example",    # its registrable domain, not "host/2026"
                    "title": "Library reopens with a new reading room", "feed_url": "warc:news.warc.gz"}]
    assert rows(data, "SELECT count(*) AS n FROM articles")[0]["n"] == before + 1


def test_backfill_needs_no_network(tmp_path):
    """Ingest from a server, stop the server, then backfill: the same articles come back from raw captures."""
    from flows.sample_server import SampleServer

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


# -- the catalog after a move, the settings, the demo -----------------------------------------------
def test_catalog_rebuilds_the_views_after_moving_the_data_directory(two_runs, tmp_path):
    data, *_, snap2 = two_runs
    moved = tmp_path / "moved"
    copy_data(data, tmp_path / "before").rename(moved)
    # The views still name the lake where it was: the moved catalog cannot read it.
    res = newsflow("sql", "--data", str(moved), "SELECT count(*) FROM articles")
    assert res.returncode == 1 and str(tmp_path / "before" / "lake") in res.stderr, res.stderr
    res = newsflow("catalog", "--data", str(moved))
    assert (res.returncode, res.stdout) == (0, f"catalog rebuilt: {moved / 'news.duckdb'}\n"), res.stderr
    assert snapshot(moved) == snap2
    assert rows(moved, "SELECT lake_root FROM newsflow_meta") == [{"lake_root": str(moved / "lake")}]


def test_settings_flags_over_environment_over_file_over_defaults(fixture_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "newsflow.toml").write_text(
        'user_agent = "newsflow-test (from the file)"\npage_batch = 7\nn_process = 2\nretry_cap_hours = 12\n')
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{fixture_server.base_url}/riverside-courier/feed.xml\n")
    res = newsflow("ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private", "--n-process", "1",
                   NEWSFLOW_PAGE_BATCH="9", NEWSFLOW_N_PROCESS="3")
    assert res.returncode == 0, res.stderr
    (run,) = rows(data, "SELECT parameters FROM runs WHERE status = 'ok'")
    used = json.loads(run["parameters"])["settings"]
    assert {k: used[k] for k in ("n_process", "page_batch", "user_agent", "retry_cap_hours", "connect_timeout",
                                 "allow_private")} == {
        "n_process": 1,                                  # flag over environment and file
        "page_batch": 9,                                 # environment over file
        "user_agent": "newsflow-test (from the file)",   # file over default
        "retry_cap_hours": 12.0,
        "connect_timeout": 5.0,                          # default
        "allow_private": True,                           # flag
    }


def test_newsflow_debug_shows_the_traceback(tmp_path):
    quiet = newsflow("sql", "--data", str(tmp_path), "SELECT 1")
    assert quiet.returncode == 1
    assert quiet.stderr.strip().splitlines() == [
        f"newsflow: CatalogError: no catalog at {tmp_path / 'news.duckdb'}: run `newsflow ingest` first"]
    loud = newsflow("sql", "--data", str(tmp_path), "SELECT 1", NEWSFLOW_DEBUG="1")
    assert loud.returncode == 1
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert loud.stderr.strip().splitlines()[-1] == (
        f"tasks.catalog.CatalogError: no catalog at {tmp_path / 'news.duckdb'}: run `newsflow ingest` first")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_ingests_queries_and_reports(tmp_path):
    data = tmp_path / "demo"
    res = newsflow("demo", "--data", str(data), "--port", str(free_port()))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "feeds      5 total: 5 ok, 0 unchanged, 0 failed" in out and "37 new articles" in out
    assert "-- Stories carried by the most sites" in out and "-- Most-quoted speakers" in out
    report = data / "report.html"
    assert out.strip().splitlines()[-1] == f"Report (open it in a browser): {report}"
    assert report.stat().st_size > 100_000 and b"<html" in report.read_bytes()[:500].lower()
    # The most-carried story is the AP one, on all four sample sites.
    top = rows(data, "SELECT n_sites, wire_agency FROM stories ORDER BY n_sites DESC, n_articles DESC LIMIT 1")
    assert top == [{"n_sites": 4, "wire_agency": "AP"}]
