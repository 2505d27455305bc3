import os

import pyarrow as pa
import pytest

from schemas.tables import FEEDS, FETCHES, TableSpec, Column
from tasks.raw import get_raw, put_raw
from tasks.storage import Lake

SPEC = TableSpec("things", "test", (Column("id", pa.string(), ""), Column("n", pa.int32(), "")), ("id",),
                 partition="day")


def rows(*pairs):
    return pa.table({"id": [p[0] for p in pairs], "n": [p[1] for p in pairs]})


def test_append_partitions_and_reads_back(tmp_path):
    lake = Lake(str(tmp_path))
    keys = lake.append(SPEC, rows(("a", 1), ("b", 2), ("c", 3)), partition_values=["2026-01-01", "2026-01-02", "2026-01-01"])
    assert sorted(k.split("/")[1] for k in keys) == ["day=2026-01-01", "day=2026-01-02"]
    t = lake.read_table("things", schema=SPEC.schema)
    got = sorted(zip(t.column("id").to_pylist(), t.column("day").to_pylist()))
    assert got == [("a", "2026-01-01"), ("b", "2026-01-02"), ("c", "2026-01-01")]


def test_same_rows_twice_replace_the_file_instead_of_adding_one(tmp_path):
    lake = Lake(str(tmp_path))
    lake.append(SPEC, rows(("a", 1)), partition_values=["2026-01-01"])
    lake.append(SPEC, rows(("a", 1)), partition_values=["2026-01-01"])
    assert lake.read_table("things").num_rows == 1


def test_empty_table_reads_as_none_and_writes_nothing(tmp_path):
    lake = Lake(str(tmp_path))
    assert lake.read_table("things") is None
    assert lake.append(SPEC, rows()) == []


def test_no_temporary_file_is_left_visible(tmp_path):
    lake = Lake(str(tmp_path))
    lake.put_bytes("x/y.bin", b"data")
    assert lake.get_bytes("x/y.bin") == b"data"
    assert os.listdir(tmp_path / "x") == ["y.bin"]


def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path))
    lake.put_bytes("k", b"old")

    class FailingMove:
        def __init__(self, fs):
            self.fs = fs

        def __getattr__(self, name):
            return getattr(self.fs, name)

        def move(self, *a):
            raise OSError("disk full")

    lake.fs = FailingMove(lake.fs)
    with pytest.raises(OSError):
        lake.put_bytes("k", b"new")
    assert lake.get_bytes("k") == b"old"
    assert lake.list_files("") == ["k"]


def test_state_table_is_replaced_whole(tmp_path):
    lake = Lake(str(tmp_path))
    one = pa.Table.from_pylist([{"feed_url": "http://a/feed", "last_status": "ok"}], schema=FEEDS.schema)
    two = pa.Table.from_pylist([{"feed_url": "http://b/feed", "last_status": "failed"}], schema=FEEDS.schema)
    lake.replace_state(FEEDS, one)
    lake.replace_state(FEEDS, two)
    assert lake.read_table("feeds").column("feed_url").to_pylist() == ["http://b/feed"]


def test_cast_to_declared_schema(tmp_path):
    lake = Lake(str(tmp_path))
    t = pa.table({"run_id": ["r"], "seq": [0], "url": ["u"], "kind": ["feed"], "status": [200], "bytes": [5],
                  "ms": [1], "error_class": pa.array([None], pa.string()), "error": pa.array([None], pa.string())})
    lake.append(FETCHES, t, partition_values=["2026-01-01"])
    assert lake.read_table("fetches", schema=FETCHES.schema).schema.field("seq").type == pa.int32()


def test_raw_captures_are_content_addressed(tmp_path):
    lake = Lake(str(tmp_path))
    sha = put_raw(lake, b"<rss/>")
    assert put_raw(lake, b"<rss/>") == sha
    assert get_raw(lake, sha) == b"<rss/>"
    assert len(lake.list_files("raw")) == 1
    with pytest.raises(FileNotFoundError):
        get_raw(lake, "0" * 64)


KILLED_BEFORE_RENAME = """
import os, signal, sys
import pyarrow.fs as pafs
from tasks.storage import Lake

class KilledBeforeRename:   # the local filesystem, with the process killed where a rename would be
    def __init__(self):
        self.local = pafs.LocalFileSystem()
    def __getattr__(self, name):
        return getattr(self.local, name)
    def move(self, src, dst):
        os.kill(os.getpid(), signal.SIGKILL)

lake = Lake(sys.argv[1])
lake.fs = KilledBeforeRename()
lake.put_bytes("raw/ab/half", b"half of a run")
"""


def test_a_killed_write_stays_hidden_and_the_next_writer_removes_it(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.conftest import cli_env

    lake = Lake(str(tmp_path / "lake"))
    lake.put_bytes("raw/ab/whole", b"a finished write")
    res = subprocess.run([sys.executable, "-c", KILLED_BEFORE_RENAME, lake.root], env=cli_env(),
                         capture_output=True, timeout=120)
    assert res.returncode == -signal.SIGKILL, res.stderr
    files = lambda: sorted(p.name for p in (tmp_path / "lake").rglob("*") if p.is_file())  # noqa: E731
    (leftover,) = [name for name in files() if name != "whole"]
    assert leftover.startswith(".")               # hidden from readers meanwhile
    assert lake.list_files("raw") == ["raw/ab/whole"]
    assert lake.remove_temporaries() == 1
    assert files() == ["whole"] and lake.get_bytes("raw/ab/whole") == b"a finished write"
