"""Compaction, `check`, moved data directories and old lakes, on local disk and on a loopback S3 server."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from flows.cli import EXIT_OK, EXIT_PROBLEMS, main
from schemas.tables import RUNS
from tasks.catalog import open_catalog, refresh_catalog
from tasks.compact import COMPACTED_TABLES, collect_garbage, compact_table
from tasks.raw import put_raw
from tasks.storage import Lake, LakeVersionError
from tests.integration.test_object_store import BUCKET, aws_env, s3  # noqa: F401 - fixtures
from tests.lakegen import build_lake, views_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


def compact_all(lake: Lake, now: datetime = NOW, **kw) -> list:
    return [compact_table(lake, t, today=now.date(), now=now, **kw) for t in COMPACTED_TABLES]


def gc_all(lake: Lake, now: datetime = NOW, grace: timedelta = timedelta(0)) -> list[str]:
    return [k for t in COMPACTED_TABLES for k in collect_garbage(lake, t, now=now, grace=grace)]


def snapshot(lake: Lake, tmp: Path) -> dict:
    db = str(tmp / f"snap-{os.urandom(4).hex()}.duckdb")
    refresh_catalog(lake, db)
    return views_snapshot(db, lake)


@pytest.fixture
def data(tmp_path) -> Path:
    build_lake(str(tmp_path / "data" / "lake"))
    return tmp_path / "data"


def test_compaction_merges_files_and_every_view_reads_the_same(data, tmp_path):
    lake = Lake(str(data / "lake"))
    before_files = len(lake.list_files(""))
    before = snapshot(lake, tmp_path)
    assert sum(map(len, before.values())) > 1000
    parses = lake.read_table("nlp_paragraphs").sort_by([("run_id", "ascending"), ("paragraph_hash", "ascending")])

    done = {c.table: c for c in compact_all(lake)}
    # One file per partition (articles, fetches, captures: 6 days) or per unpartitioned table.
    assert {t: c.files_after for t, c in done.items()} == {
        "articles": 6, "captures": 6, "fetches": 6, "nlp_docs": 1, "nlp_paragraphs": 1, "runs": 1, "story_index": 1}
    assert snapshot(lake, tmp_path) == before
    assert lake.read_table("nlp_paragraphs").sort_by([("run_id", "ascending"), ("paragraph_hash", "ascending")]
                                                     ).equals(parses)

    deleted = gc_all(lake)
    assert len(deleted) == sum(c.merged for c in done.values())
    assert len(lake.list_files("")) == before_files - len(deleted) + sum(len(c.written) for c in done.values())
    assert snapshot(lake, tmp_path) == before
    assert all(lake.read_manifest(t)["replaced"] == {} for t in COMPACTED_TABLES)   # pruned once gone


def test_runs_after_a_compaction_add_rows_and_a_second_compaction_merges_them_in(tmp_path):
    """The second generation merges the first one's files with newer runs' files (and newer versions)."""
    reference = Lake(str(tmp_path / "reference"))
    build_lake(reference.root, runs=16)
    compacted = Lake(str(tmp_path / "compacted"))
    build_lake(compacted.root, runs=8)
    compact_all(compacted)
    build_lake(compacted.root, runs=16)   # the same seed: rewrites runs 0-7 as they were, adds 8-15
    assert snapshot(compacted, tmp_path) == snapshot(reference, tmp_path)
    done = compact_all(compacted, NOW + timedelta(hours=1))
    assert {c.generation for c in done} == {2}
    assert snapshot(compacted, tmp_path) == snapshot(reference, tmp_path)
    gc_all(compacted, NOW + timedelta(hours=2))
    assert snapshot(compacted, tmp_path) == snapshot(reference, tmp_path)


def test_a_catalog_built_before_compaction_keeps_working_through_the_grace_period(data, tmp_path):
    lake = Lake(str(data / "lake"))
    old = str(tmp_path / "old.duckdb")
    refresh_catalog(lake, old)
    before = views_snapshot(old)
    compact_all(lake)
    assert gc_all(lake, NOW + timedelta(minutes=59), grace=timedelta(minutes=60)) == []
    assert views_snapshot(old) == before          # still reads the replaced files
    assert snapshot(lake, tmp_path) == before     # a new catalog reads the compacted ones
    assert gc_all(lake, NOW + timedelta(minutes=61), grace=timedelta(minutes=60))


def test_a_compaction_killed_before_its_manifest_swap_changes_nothing(data, tmp_path, monkeypatch):
    lake = Lake(str(data / "lake"))
    before = snapshot(lake, tmp_path)

    def die(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Lake, "write_manifest", die)
    with pytest.raises(KeyboardInterrupt):
        compact_table(lake, "articles", today=NOW.date(), now=NOW)
    monkeypatch.undo()
    orphan = [k for k in lake.list_files("articles") if "compacted-" in k]
    assert orphan                                   # written, but read by nobody
    assert snapshot(lake, tmp_path) == before
    compact_all(lake)
    gc_all(lake, grace=timedelta(hours=1))          # orphans go at once: no reader ever had them
    assert not set(orphan) - set(lake.read_manifest("articles")["files"]) & set(lake.list_files("articles"))
    assert snapshot(lake, tmp_path) == before


@pytest.mark.slow   # about 45 s: moto answers each of DuckDB's and pyarrow's many small reads slowly
def test_compaction_on_s3_writes_whole_objects_and_swaps_the_manifest_with_one_put(aws_env, tmp_path):  # noqa: F811
    from flows.objectstore import open_lake

    lake = open_lake(f"s3://{BUCKET}/compact")
    # Written locally, then uploaded: moto is slow at many small PUTs.
    local = build_lake(str(tmp_path / "local"), runs=4, articles_per_run=8, days=2)
    for key in local.list_files("") + list(local.file_sizes("", hidden=True)):
        lake.put_bytes(key, local.get_bytes(key))
    before = snapshot(lake, tmp_path)
    aws_env.reset()
    done = compact_all(lake)
    written = sum(len(c.written) for c in done)
    assert aws_env.counts["PUT"] == written + len([c for c in done if c.written])   # files, then one manifest each
    assert not {"COPY", "DELETE", "POST multipart", "PUT part"} & set(aws_env.counts)
    assert snapshot(lake, tmp_path) == before
    assert gc_all(lake)
    assert snapshot(lake, tmp_path) == before


# -- newsflow check ------------------------------------------------------------------------------------
def run_cli(*argv: str, capsys) -> tuple[int, list[str]]:
    code = main(list(argv))
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture
def fixture_data(tmp_path) -> Path:
    """A copy of the lake written by the previous release (tests/fixtures/lake-v1), with its catalog."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "lake-v1", data / "lake")
    return data


def test_check_finds_a_clean_lake_clean(fixture_data, capsys):
    assert main(["catalog", "--data", str(fixture_data)]) == EXIT_OK
    capsys.readouterr()
    code, out = run_cli("check", "--data", str(fixture_data), capsys=capsys)
    assert code == EXIT_OK, out
    assert out == ["ok: 10 Parquet files, 12 raw captures, 12 views"]


def test_check_reports_damage_by_file_and_repair_quarantines_it(fixture_data, capsys):
    lake_dir = fixture_data / "lake"
    main(["catalog", "--data", str(fixture_data)])
    capsys.readouterr()
    article = sorted((lake_dir / "articles").rglob("*.parquet"))[0]
    article.write_bytes(article.read_bytes()[:-100])                       # truncated
    capture, rotten = sorted((lake_dir / "raw").rglob("*.gz"))[:2]
    body = bytearray(gzip.decompress(capture.read_bytes()))
    body[len(body) // 2] ^= 0x01                                           # one flipped bit, re-compressed
    capture.write_bytes(gzip.compress(bytes(body)))
    stored = bytearray(rotten.read_bytes())
    stored[len(stored) // 2] ^= 0xFF                                       # one flipped byte on disk
    rotten.write_bytes(bytes(stored))
    stray = lake_dir / "nlp_docs" / ".tmp-0123456789abcdef"                # a killed writer's temporary
    stray.write_bytes(b"PAR1 half a file")

    code, out = run_cli("check", "--data", str(fixture_data), capsys=capsys)
    assert code == EXIT_PROBLEMS
    rel = lambda p: str(p.relative_to(lake_dir))   # noqa: E731
    assert [line.split(":")[0] for line in out[:4]] == [rel(stray), rel(article), rel(capture), rel(rotten)]
    assert "temporary" in out[0] and "unreadable Parquet file" in out[1]
    assert "corrupt raw capture (its content hashes to" in out[2] and "corrupt raw capture (does not decompress" in out[3]
    assert out[-1].startswith("4 problems") and "--repair" in out[-1]

    code, out = run_cli("check", "--data", str(fixture_data), "--repair", capsys=capsys)
    assert code == EXIT_PROBLEMS
    assert (fixture_data / "quarantine" / rel(article)).exists()
    assert (fixture_data / "quarantine" / rel(capture)).exists() and (fixture_data / "quarantine" / rel(rotten)).exists()
    assert not stray.exists() and not article.exists() and not capture.exists() and not rotten.exists()
    assert any(line.startswith("repaired: catalog rebuilt") for line in out)

    code, out = run_cli("check", "--data", str(fixture_data), capsys=capsys)
    assert code == EXIT_OK, out
    # The views still work, without the quarantined file's articles.
    con = open_catalog(str(fixture_data / "news.duckdb"))
    n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    assert 0 < n < 35


def test_a_damaged_manifest_is_named_by_check_and_by_every_reader(data, capsys):
    lake = Lake(str(data / "lake"))
    compact_all(lake)
    (data / "lake" / "runs" / "_manifest.json").write_text('{"generation": 1, "fil')
    code, out = run_cli("check", "--data", str(data), capsys=capsys)
    assert code == EXIT_PROBLEMS
    assert out[0] == ("runs/_manifest.json: unreadable manifest: which files make up the table is unknown; "
                      "restore it from a backup")
    with pytest.raises(ValueError, match="runs/_manifest.json is not a readable manifest"):
        lake.read_table("runs")


def test_check_on_s3_reads_every_object(aws_env, tmp_path, capsys, monkeypatch):  # noqa: F811
    from flows.objectstore import open_lake

    lake = open_lake(f"s3://{BUCKET}/check")
    lake.check()
    lake.append(RUNS, pa.Table.from_pylist([{"run_id": "r1", "status": "ok"}], schema=RUNS.schema), name="r1")
    sha = put_raw(lake, b"<html>a page</html>")
    lake.put_bytes(f"raw/{sha[:2]}/{sha[2:4]}/{sha}.gz", gzip.compress(b"<html>another page</html>"))
    data = tmp_path / "data"
    data.mkdir()
    code, out = run_cli("check", "--data", str(data), "--lake", f"s3://{BUCKET}/check", capsys=capsys)
    assert code == EXIT_PROBLEMS
    assert out[0].startswith(f"raw/{sha[:2]}/{sha[2:4]}/{sha}.gz: corrupt raw capture")
    assert out[1].startswith(f"{data / 'news.duckdb'}: no catalog")
    code, out = run_cli("check", "--data", str(data), "--lake", f"s3://{BUCKET}/check", "--repair", capsys=capsys)
    assert (data / "quarantine" / "raw" / sha[:2] / sha[2:4] / f"{sha}.gz").exists()
    assert not lake.exists(f"raw/{sha[:2]}/{sha[2:4]}/{sha}.gz")
    assert run_cli("check", "--data", str(data), "--lake", f"s3://{BUCKET}/check", capsys=capsys)[0] == EXIT_OK


def test_compact_and_check_wait_for_no_run_they_refuse_while_one_holds_the_lake(data, capsys):
    from flows.lock import data_lock

    with data_lock(data):
        assert main(["compact", "--data", str(data)]) == 75
        assert main(["check", "--data", str(data), "--repair"]) == 75
    assert "another newsflow run" in capsys.readouterr().err
    assert Lake(str(data / "lake")).read_manifest("articles")["generation"] == 0


def test_a_full_disk_is_one_line(data, capsys, monkeypatch):
    import errno

    import flows.upkeep

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(flows.upkeep, "compact_table", full)
    assert main(["compact", "--data", str(data)]) == 1
    assert capsys.readouterr().err == ("newsflow: no space left on device: stopped; nothing half-written is "
                                       "visible; free some space and run again\n")


# -- moved data directories, old and new lakes ----------------------------------------------------------
def test_a_moved_data_directory_works_after_newsflow_catalog(fixture_data, tmp_path, capsys):
    assert main(["catalog", "--data", str(fixture_data)]) == EXIT_OK
    moved = tmp_path / "elsewhere" / "data"
    shutil.move(str(fixture_data), moved)
    capsys.readouterr()
    code, out = run_cli("check", "--data", str(moved), capsys=capsys)
    assert code == EXIT_PROBLEMS and "moved or copied?" in out[0], out
    assert main(["catalog", "--data", str(moved)]) == EXIT_OK
    capsys.readouterr()
    code, out = run_cli("sql", "--data", str(moved), "--format", "csv", "SELECT count(*) AS n FROM articles",
                        capsys=capsys)
    assert (code, out) == (EXIT_OK, ["n", "35"])


def test_the_previous_releases_lake_reads_the_same_and_gets_a_schema_version(fixture_data, tmp_path):
    expected = json.loads((FIXTURES / "lake-v1.json").read_text())
    lake = Lake(str(fixture_data / "lake"))
    assert lake.schema_version() == 1
    lake.check()
    assert json.loads((fixture_data / "lake" / "_newsflow.json").read_text()) == {"schema_version": 2}
    db = str(tmp_path / "news.duckdb")
    refresh_catalog(lake, db)
    con = open_catalog(db)
    for view, n in expected["rows"].items():
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == n, view
    for view, cols in expected["columns"].items():
        rows = con.execute(f"SELECT {cols} FROM {view} ORDER BY ALL").fetchall()
        assert hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest() == expected["sha256"][view], view
    # That release stored languages as declared ("en-us" for 9 of its 35 articles): they read as primary subtags.
    assert con.execute("SELECT language, count(*) FROM articles GROUP BY 1").fetchall() == [("en", 35)]
    con.close()


def test_columns_an_old_lake_lacks_read_as_nulls(fixture_data, tmp_path):
    """A column added to a table after its files were written: the views still work, with nulls there."""
    import pyarrow.parquet as pq

    for f in (fixture_data / "lake" / "runs").glob("*.parquet"):
        pq.write_table(pq.read_table(f).drop_columns(["versions"]), f)
    db = str(tmp_path / "news.duckdb")
    refresh_catalog(Lake(str(fixture_data / "lake")), db)
    con = open_catalog(db)
    assert con.execute("SELECT count(*), count(versions) FROM runs").fetchone() == (1, 0)
    con.close()


def test_a_lake_from_a_newer_newsflow_is_refused_with_a_clear_message(fixture_data, capsys):
    (fixture_data / "lake" / "_newsflow.json").write_text('{"schema_version": 99}')
    with pytest.raises(LakeVersionError, match=r"schema version 99, newer than this newsflow reads \(up to 2\): "
                                               "upgrade newsflow"):
        Lake(str(fixture_data / "lake")).check()
    assert main(["compact", "--data", str(fixture_data)]) == 1
    assert "upgrade newsflow" in capsys.readouterr().err
