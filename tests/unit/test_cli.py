"""CLI argument handling: exact messages and exit codes, without starting Prefect."""
import pytest

from flows.cli import EXIT_USAGE, format_rows, main


@pytest.mark.parametrize("argv,message", [
    (["ingest", "--feeds", "/nonexistent/feeds.txt", "--data", "{tmp}"], "newsflow: feed list /nonexistent/feeds.txt does not exist"),
    (["backfill", "--data", "{tmp}"], "newsflow: give --since/--until (a window of raw captures) and/or --warc FILE..."),
    (["backfill", "--data", "{tmp}", "--since", "2026-13-01"], "newsflow: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (["backfill", "--data", "{tmp}", "--warc", "/nonexistent.warc.gz"], "newsflow: WARC file /nonexistent.warc.gz does not exist"),
    (["serve", "--feeds", "{feeds}", "--data", "{tmp}"], "newsflow: give exactly one of --cron and --interval"),
    (["compact", "--data", "{tmp}", "--older-than", "-1"], "newsflow: --older-than takes a number of days (0 or more)"),
])
def test_usage_errors(argv, message, tmp_path, capsys):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    argv = [a.format(tmp=tmp_path / "data", feeds=feeds) for a in argv]
    assert main(argv) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == message
    assert not (tmp_path / "data").exists() or argv[0] != "ingest"   # nothing created for a bad call


def test_format_rows_table_csv_json():
    cols, rows = ["n", "title"], [(1, "A, b"), (2, None)]
    assert format_rows(cols, rows, "csv") == 'n,title\r\n1,"A, b"\r\n2,\r\n'
    assert format_rows(cols, rows, "json") == '{"n": 1, "title": "A, b"}\n{"n": 2, "title": null}\n'
    assert format_rows(cols, rows, "table").splitlines() == ["n  title", "-  -----", "1  A, b", "2", "(2 rows)"]
