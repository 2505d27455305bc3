"""`newsflow compact` SIGKILLed at random moments, and `newsflow ingest` on a full disk, in subprocesses.

Compaction: a synthetic lake of a few hundred small files (tests/lakegen.py) is compacted while
readers hold a catalog built before; each seed kills compactions (their whole process group) at
random moments of the work, checks what a reader sees right then, and finally lets one
compaction finish: every view must read the same rows throughout.

Disk full: the lake on a small loopback tmpfs (needs root to mount; skipped otherwise), an
ingest that fills it, then the same ingest with room.
"""
from __future__ import annotations

import gzip
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tasks.catalog import refresh_catalog
from tasks.storage import Lake
from tests.conftest import SAMPLE
from tests.e2e.test_cli import snapshot
from tests.e2e.test_crash import NEWSFLOW, ROOT, cli_env, kill_group, start_ingest, temporaries, wait_or_kill
from tests.lakegen import build_lake, views_snapshot

pytestmark = pytest.mark.slow
KILLS = 3


def start_compact(data: Path, log: Path, grace: str = "0") -> subprocess.Popen:
    env = cli_env(NEWSFLOW_COMPACT_GRACE_MINUTES=grace)
    with open(log, "w") as out:
        return subprocess.Popen([*NEWSFLOW, "compact", "--data", str(data)], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_for_lock(proc: subprocess.Popen, data: Path) -> float:
    lock = data / ".newsflow.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
        if proc.poll() is not None:
            return time.monotonic()
        assert time.monotonic() < deadline, "compaction never took the lock"
        time.sleep(0.005)
    return time.monotonic()


def lake_is_whole(lake_dir: Path, settled: bool = True) -> None:
    """Every Parquet file of the lake reads; once a run or compaction has completed (`settled`),
    no temporary is left, hidden or not (a killed writer's go at the next writer's start)."""
    if settled:
        assert temporaries(lake_dir) == []
    for f in lake_dir.rglob("*.parquet"):
        if not f.name.startswith("."):
            pq.read_metadata(f)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A lake of 30 runs' files (391), its views, and how long one uninterrupted compaction works on it."""
    tmp = tmp_path_factory.mktemp("pristine")
    lake = build_lake(str(tmp / "data" / "lake"), runs=30, articles_per_run=25, days=8)
    refresh_catalog(lake, str(tmp / "data" / "news.duckdb"))
    reference = views_snapshot(str(tmp / "data" / "news.duckdb"))
    timed = tmp / "timed"
    shutil.copytree(tmp / "data", timed)
    proc = start_compact(timed, tmp / "timed.log")
    started = wait_for_lock(proc, timed)
    assert proc.wait(timeout=300) == 0, (tmp / "timed.log").read_text()
    work = time.monotonic() - started
    assert views_snapshot(str(timed / "news.duckdb")) == reference
    print(f"\none compaction: {len(lake.list_files(''))} files, {work:.2f} s of work")
    return tmp / "data", reference, work


# Grace 0: replaced files are deleted within the kill window too (a catalog older than the
# compaction is then stale by design); grace 60 min: such a catalog must keep reading the same.
@pytest.mark.parametrize("seed,grace", [(1, "60"), (2, "0"), (3, "60"), (4, "0")])
def test_compactions_killed_at_random_moments_then_one_run_leave_every_view_the_same(pristine, seed, grace,
                                                                                      tmp_path):
    source, reference, work = pristine
    data = tmp_path / "data"
    shutil.copytree(source, data)
    old_catalog = data / "news.duckdb"
    shutil.copy(old_catalog, tmp_path / "reader.duckdb")   # a reader that keeps the catalog of before
    rng = random.Random(seed)
    moments = []
    for i in range(KILLS):
        proc = start_compact(data, tmp_path / f"kill-{i}.log", grace)
        started = wait_for_lock(proc, data)
        delay = rng.uniform(0, work)
        time.sleep(max(0.0, started + delay - time.monotonic()))
        exited = proc.poll() is not None
        kill_group(proc)
        moments.append(f"{delay:.2f} s{' (had exited)' if exited else ''}")
        # Right after the kill, the catalog in place, one built now and (within the grace period)
        # one a reader kept from before all read every row exactly once.
        lake_is_whole(data / "lake", settled=False)
        assert views_snapshot(str(old_catalog)) == reference, f"seed {seed}, kills at {moments}"
        if grace != "0":
            assert views_snapshot(str(tmp_path / "reader.duckdb")) == reference, f"seed {seed}, kills at {moments}"
        fresh = tmp_path / f"fresh-{i}.duckdb"
        refresh_catalog(Lake(str(data / "lake")), str(fresh))
        assert views_snapshot(str(fresh)) == reference, f"seed {seed}, kills at {moments}"
    print(f"\nseed {seed}: killed at {', '.join(moments)} of {work:.2f} s")
    proc = start_compact(data, tmp_path / "final.log")
    assert proc.wait(timeout=300) == 0, (tmp_path / "final.log").read_text()
    lake_is_whole(data / "lake")
    assert views_snapshot(str(data / "news.duckdb")) == reference
    # Compacted for good: one file per partition, nothing replaced left over (grace 0).
    assert len(list((data / "lake" / "articles").rglob("*.parquet"))) == 8
    assert len(list((data / "lake" / "runs").glob("*.parquet"))) == 1


# -- a full disk ----------------------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    """A 160 KiB tmpfs (the sample lake takes about 360 KiB); remount(size) resizes it."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")

    def remount(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mnt)], check=True)

    try:
        yield mnt, remount
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_run_on_a_full_disk_fails_in_one_line_and_the_next_run_completes_it(sample_server, tiny_disk, tmp_path):
    mnt, remount = tiny_disk
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text(encoding="utf-8")))
    reference = tmp_path / "reference"
    assert wait_or_kill(start_ingest(feeds, reference, tmp_path / "reference")) == 0

    data = tmp_path / "data"
    data.mkdir()
    (data / "newsflow.toml").write_text(f'lake = "{mnt / "lake"}"\n')
    full = start_ingest(feeds, data, tmp_path / "full")
    assert wait_or_kill(full) == 1, (tmp_path / "full.err").read_text()[-3000:]
    err = (tmp_path / "full.err").read_text().strip().splitlines()
    # Progress lines come before it (stderr is not a terminal); the failure itself is one line, the last.
    assert [line for line in err if not re.match(r"\s*[\w ]+: \d+/\d+", line)] == [
        "newsflow: no space left on device: stopped; nothing half-written is visible; "
        "free some space and run again"], err
    lake_is_whole(mnt / "lake", settled=False)
    for blob in (mnt / "lake" / "raw").rglob("*.gz"):
        if not blob.name.startswith("."):
            gzip.decompress(blob.read_bytes())

    remount("20m")
    again = start_ingest(feeds, data, tmp_path / "again")
    assert wait_or_kill(again) == 0, (tmp_path / "again.err").read_text()[-3000:]
    lake_is_whole(mnt / "lake")
    assert snapshot(data) == snapshot(reference)


# -- scheduled compaction -------------------------------------------------------------------------------
def test_serve_compacts_on_its_schedule(sample_server, tmp_path):
    """`serve --compact-cron "* * * * *"` beside an hourly ingest: within a couple of minutes the lake is compacted."""
    from tests.e2e.test_serve import stop

    data = tmp_path / "data"
    build_lake(str(data / "lake"), runs=8, days=2)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text(encoding="utf-8")))
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([*NEWSFLOW, "serve", "--interval", "3600", "--compact-cron", "* * * * *",
                             "--compact-older-than", "0", "--feeds", str(feeds), "--data", str(data),
                             "--allow-private"], cwd=ROOT, env=cli_env(), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if (data / "lake" / "articles" / "_manifest.json").exists():
                break
            time.sleep(2)
        assert (data / "lake" / "articles" / "_manifest.json").exists(), (tmp_path / "serve.log").read_text()[-3000:]
    finally:
        stop(proc)
        log.close()
    lake = Lake(str(data / "lake"))
    manifest = lake.read_manifest("articles")
    assert manifest["generation"] >= 1 and manifest["files"]
    assert set(manifest["files"]) <= set(lake.table_files("articles"))
