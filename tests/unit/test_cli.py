"""CLI argument handling: exact messages and exit codes, without starting Prefect."""
import os

import pytest

from flows.cli import EXIT_ERROR, EXIT_USAGE, format_rows, main


@pytest.mark.parametrize("argv,message", [
    (["ingest", "--feeds", "/nonexistent/feeds.txt", "--data", "{data}"], "newsflow: feed list /nonexistent/feeds.txt does not exist"),
    (["backfill", "--data", "{data}"], "newsflow: give --since/--until (a window of raw captures) and/or --warc FILE..."),
    (["backfill", "--data", "{data}", "--since", "2026-13-01"], "newsflow: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (["backfill", "--data", "{data}", "--warc", "/nonexistent.warc.gz"], "newsflow: WARC file /nonexistent.warc.gz does not exist"),
    (["serve", "--feeds", "{feeds}", "--data", "{data}"], "newsflow: give exactly one of --cron and --interval"),
    (["serve", "--feeds", "{feeds}", "--data", "{data}", "--cron", "* * * * *", "--interval", "60"],
     "newsflow: give exactly one of --cron and --interval"),
    (["report", "--data", "{data}", "--since", "2026-02-30"], "newsflow: '2026-02-30' is not a date (YYYY-MM-DD)"),
    (["report", "--data", "{data}", "--since", "2026-11-23", "--until", "2026-11-01"],
     "newsflow: --since 2026-11-23 is after --until 2026-11-01"),
    (["compact", "--data", "{data}", "--older-than", "-1"], "newsflow: --older-than takes a number of days (0 or more)"),
])
def test_usage_errors_say_why_and_create_nothing(argv, message, tmp_path, capsys):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    argv = [a.format(data=tmp_path / "data", feeds=feeds) for a in argv]
    environ = dict(os.environ)
    assert main(argv) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == message
    # Nothing created for a bad call: no data directory (no DATA/.prefect), no Prefect settings
    # left in this process's environment.
    assert not (tmp_path / "data").exists()
    assert dict(os.environ) == environ


def test_sql_without_a_catalog_creates_nothing(tmp_path, capsys):
    assert main(["sql", "--data", str(tmp_path / "data"), "SELECT 1"]) == EXIT_ERROR
    assert capsys.readouterr().err.strip() == (
        f"newsflow: CatalogError: no catalog at {tmp_path / 'data' / 'news.duckdb'}: run `newsflow ingest` first")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("argv", [
    ["sql", "--data", "{data}", "--format", "xml", "SELECT 1"],
    ["serve", "--data", "{data}", "--cron", "* * * * *"],      # no --feeds
    ["ingest", "--feeds", "{data}/feeds.txt"],                 # no --data
])
def test_argument_errors_exit_2_and_create_nothing(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main([a.format(data=tmp_path / "data") for a in argv])
    assert info.value.code == EXIT_USAGE
    assert capsys.readouterr().err.startswith("usage: newsflow")
    assert not (tmp_path / "data").exists()


def test_format_rows_table_csv_json():
    cols, rows = ["n", "title"], [(1, "A, b"), (2, None)]
    assert format_rows(cols, rows, "csv") == 'n,title\r\n1,"A, b"\r\n2,\r\n'
    assert format_rows(cols, rows, "json") == '{"n": 1, "title": "A, b"}\n{"n": 2, "title": null}\n'
    assert format_rows(cols, rows, "table").splitlines() == ["n  title", "-  -----", "1  A, b", "2", "(2 rows)"]
