"""The compaction plan (which files merge) and how a table's manifest decides which files make it up."""
from datetime import date, datetime, timezone

import pyarrow as pa
import pytest

from schemas.tables import ARTICLES, RUNS
from tasks.compact import compact_table, compacted_key, plan_compaction
from tasks.storage import Lake

MB = 2**20
TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


def test_files_merge_only_within_their_partition():
    files = {"articles/published_date=2026-11-01/a.parquet": 1000, "articles/published_date=2026-11-01/b.parquet": 1000,
             "articles/published_date=2026-11-02/c.parquet": 1000, "articles/published_date=2026-11-02/d.parquet": 1000,
             "articles/published_date=2026-11-03/e.parquet": 1000}
    assert plan_compaction(files, today=TODAY) == [
        ("articles/published_date=2026-11-01/a.parquet", "articles/published_date=2026-11-01/b.parquet"),
        ("articles/published_date=2026-11-02/c.parquet", "articles/published_date=2026-11-02/d.parquet"),
    ]   # a partition of one file has nothing to merge


def test_large_files_stay_and_small_ones_pack_up_to_the_target():
    files = {"runs/big.parquet": 200 * MB, "runs/a.parquet": 60 * MB, "runs/b.parquet": 60 * MB,
             "runs/c.parquet": 60 * MB, "runs/d.parquet": 1 * MB}
    assert plan_compaction(files, today=TODAY, target_bytes=128 * MB) == [
        ("runs/a.parquet", "runs/b.parquet"),      # 120 MB; c would make 180
        ("runs/c.parquet", "runs/d.parquet"),
    ]


def test_older_than_leaves_recent_partitions_alone_but_not_unpartitioned_tables():
    files = {f"fetches/fetched_date={d}/{n}.parquet": 10 for d in ("2026-12-06", "2026-12-05", "2026-12-04")
             for n in "ab"}
    files.update({"runs/a.parquet": 10, "runs/b.parquet": 10})
    folders = lambda groups: sorted(g[0].rsplit("/", 1)[0] for g in groups)   # noqa: E731
    assert folders(plan_compaction(files, today=TODAY, older_than_days=2)) == [
        "fetches/fetched_date=2026-12-04", "runs"]
    assert len(plan_compaction(files, today=TODAY, older_than_days=0)) == 4
    assert len(plan_compaction(files, today=TODAY)) == 4


def test_compacted_names_carry_the_generation_and_stay_in_their_folder():
    key = compacted_key(3, ("articles/published_date=2026-11-01/a.parquet", "articles/published_date=2026-11-01/b.parquet"))
    assert key.startswith("articles/published_date=2026-11-01/compacted-g000003-") and key.endswith(".parquet")


def run_row(run_id: str) -> pa.Table:
    return pa.Table.from_pylist([{"run_id": run_id, "flow": "ingest", "status": "ok"}], schema=RUNS.schema)


def test_the_manifest_decides_which_files_make_up_a_table(tmp_path):
    lake = Lake(str(tmp_path))
    for r in ("r1", "r2", "r3"):
        lake.append(RUNS, run_row(r), name=r)
    # A compacted file that no manifest lists yet (a compaction killed before its swap) is not read.
    lake.write_file("runs/compacted-g000001-x.parquet", pa.concat_tables([run_row("r1"), run_row("r2")]))
    assert lake.table_files("runs") == ["runs/r1.parquet", "runs/r2.parquet", "runs/r3.parquet"]
    lake.write_manifest("runs", {"generation": 1, "files": ["runs/compacted-g000001-x.parquet"],
                                 "replaced": {"runs/r1.parquet": NOW.isoformat(), "runs/r2.parquet": NOW.isoformat()}})
    assert lake.table_files("runs") == ["runs/compacted-g000001-x.parquet", "runs/r3.parquet"]
    assert sorted(lake.read_table("runs").column("run_id").to_pylist()) == ["r1", "r2", "r3"]
    lake.append(RUNS, run_row("r4"), name="r4")   # a run after the compaction needs no manifest change
    assert sorted(lake.read_table("runs").column("run_id").to_pylist()) == ["r1", "r2", "r3", "r4"]


def test_compaction_keeps_every_row_and_version(tmp_path):
    lake = Lake(str(tmp_path))
    for r in ("r1", "r2", "r3"):
        lake.append(RUNS, run_row(r), name=r)
    lake.append(RUNS, run_row("r3"), name="r3b")   # an exact duplicate row stays a duplicate
    done = compact_table(lake, "runs", today=TODAY, now=NOW)
    assert (done.files_before, done.files_after, done.merged, done.rows, done.generation) == (4, 1, 4, 4, 1)
    assert sorted(lake.read_table("runs").column("run_id").to_pylist()) == ["r1", "r2", "r3", "r3"]
    assert compact_table(lake, "runs", today=TODAY, now=NOW).written == []   # nothing left to merge


def test_a_later_runs_version_of_the_same_rows_gets_a_file_of_its_own(tmp_path):
    """Names are never reused: a replaced file's name coming back would be ignored by the manifest."""
    lake = Lake(str(tmp_path))
    row = {c.name: None for c in ARTICLES.columns} | {"article_id": "a1", "title": "old"}
    first = lake.append(ARTICLES, pa.Table.from_pylist([{**row, "run_id": "r1"}], schema=ARTICLES.schema),
                        partition_values=["2026-11-01"])
    again = lake.append(ARTICLES, pa.Table.from_pylist([{**row, "run_id": "r1"}], schema=ARTICLES.schema),
                        partition_values=["2026-11-01"])
    later = lake.append(ARTICLES, pa.Table.from_pylist([{**row, "run_id": "r2", "title": "new"}],
                                                       schema=ARTICLES.schema), partition_values=["2026-11-01"])
    assert first == again != later


@pytest.mark.parametrize("content", [b"{not json", b'{"schema_version": "x"}'])
def test_an_unreadable_schema_version_is_an_error_naming_the_file(tmp_path, content):
    lake = Lake(str(tmp_path))
    lake.put_bytes("_newsflow.json", content)
    with pytest.raises(ValueError, match="_newsflow.json"):
        lake.schema_version()


def test_check_takes_an_older_struct_form_but_not_another_type():
    from tasks.check import readable_as

    new = pa.list_(pa.struct([("text", pa.string()), ("label", pa.string()), ("label_std", pa.string())]))
    old = pa.list_(pa.struct([("text", pa.string()), ("label", pa.string())]))
    assert readable_as(old, new)                        # written before label_std: reads as nulls
    assert not readable_as(new, old)                    # a field this newsflow does not know
    assert not readable_as(pa.list_(pa.struct([("text", pa.int64())])), new)
    assert not readable_as(pa.int32(), pa.string())


def test_compaction_fills_the_entity_counts_that_rows_of_an_older_release_lack(tmp_path):
    """Merged nlp_docs rows all carry entity_counts, so story_entities reads them the fast way; it reads the same."""
    import pyarrow.parquet as pq

    from schemas.tables import NLP_DOCS
    from tasks.catalog import open_catalog, refresh_catalog
    from tasks.nlp import Analysis
    from tasks.pipeline import nlp_table

    lake = Lake(str(tmp_path / "lake"))
    arts = [{c.name: None for c in ARTICLES.columns} | {"article_id": f"a{i}", "story_id": "s1", "text_hash": f"t{i}",
                                                        "run_id": "r1"} for i in range(3)]
    lake.append(ARTICLES, pa.Table.from_pylist(arts, schema=ARTICLES.schema), partition_values=["2026-11-20"] * 3)
    vos = {"text": "Vos", "norm": "Mirela Vos", "label": "PERSON", "start_char": 0, "end_char": 3}
    board = {"text": "the board", "norm": "Kessel Harbour Board", "label": "ORG", "start_char": 9, "end_char": 18}
    old = nlp_table([Analysis("t0", 20, [vos, board, vos]), Analysis("t1", 5, [], [], error="ValueError: x")],
                    "en_core_web_sm-3.8.0", "nlp-4", "r1").drop_columns(["entity_counts"])
    lake.append(NLP_DOCS, nlp_table([Analysis("t2", 9, [board])], "en_core_web_sm-3.8.0", "nlp-5", "r2"))
    pq.write_table(old, tmp_path / "lake" / "nlp_docs" / "older-release.parquet")

    def story_entities():
        refresh_catalog(lake, str(tmp_path / "news.duckdb"))
        con = open_catalog(str(tmp_path / "news.duckdb"))
        try:
            return con.execute("SELECT * FROM story_entities ORDER BY ALL").fetchall()
        finally:
            con.close()

    before = story_entities()
    assert [r[1:5] for r in before] == [("Kessel Harbour Board", "ORG", 2, 1), ("Mirela Vos", "PERSON", 1, 2)]
    done = compact_table(lake, "nlp_docs", today=TODAY, now=NOW)
    assert (done.merged, done.rows) == (2, 3)
    merged = pq.read_table(lake.path(done.written[0])).sort_by("text_hash")
    assert merged.column("entity_counts").to_pylist() == [
        [{"norm": "Mirela Vos", "label": "PERSON", "n": 2}, {"norm": "Kessel Harbour Board", "label": "ORG", "n": 1}],
        [], [{"norm": "Kessel Harbour Board", "label": "ORG", "n": 1}]]
    assert story_entities() == before
