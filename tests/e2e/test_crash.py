"""Crash safety and one-writer locking of `newsflow ingest`, in subprocesses (each run starts Prefect).

One clean run is the reference. It is started first, and while it holds the data directory
(a gated feed keeps it inside its run) a second ingest on the same directory is started: that
one must be refused with exit code 75 and leave no trace. Then, on a fresh directory, runs are
killed with SIGKILL (their whole process group: the CLI, its temporary Prefect server, NLP
workers) at seeded random moments, several times over, and run once more to completion: the
user-visible tables must equal the reference's, with no half-written file visible.

Each CLI run costs 15-25 s (its temporary Prefect server); the file takes about 3 minutes.
"""
from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.lock import ensure_unlocked
from tasks.catalog import refresh_catalog
from tasks.storage import Lake
from tests.conftest import ROOT, SAMPLE, cli_env
from tests.e2e.test_cli import snapshot
from tests.integration.faultserver import FaultHandler, FaultServer

pytestmark = pytest.mark.slow
NEWSFLOW = [sys.executable, "-m", "flows.cli"]
# Seeded, so a failure can be replayed; set NEWSFLOW_TEST_CRASH_SEED to explore other moments.
SEED = int(os.environ.get("NEWSFLOW_TEST_CRASH_SEED", "20261123"))
KILLS = 3
# Once a run has recorded itself in lake/runs, the sample ingest's own work takes about 2 s on a
# 2-core machine: polls ~0.1 s, pages, captures and fetches until ~0.6 s, articles and stories
# ~0.7 s, NLP until ~2.0 s, then feed states, the final runs row and the catalog. Kills are
# spread over that span (before it, the run is still starting its temporary Prefect server).
KILL_WINDOW = 2.5
RUN_TIMEOUT = 300
TAG = "NEWSFLOW_CRASH_TEST_TAG"   # marks the processes of one run, to find any that outlive a kill


def start_ingest(feeds: Path, data: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`newsflow ingest` in its own session, so that its process group can be killed whole."""
    data.mkdir(parents=True, exist_ok=True)
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        return subprocess.Popen(
            [*NEWSFLOW, "ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private"],
            cwd=ROOT, env=env or cli_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,
        )


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the run's whole process group (its session: start_new_session made it the leader)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # also when the leader is gone: members may remain
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_or_kill(proc: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> int:
    try:
        return proc.wait(timeout=timeout)
    finally:
        kill_group(proc)


def run_files(data: Path) -> int:
    runs = data / "lake" / "runs"
    return sum(1 for p in runs.iterdir() if p.suffix == ".parquet") if runs.is_dir() else 0


def processes_tagged(tag: str) -> list[int]:
    """Pids of live processes (not zombies) whose environment carries TAG=tag."""
    needle = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                if "zombie" not in (entry / "status").read_text():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_during_run(feeds: Path, data: Path, log: Path, delay: float) -> str:
    """Start an ingest, SIGKILL its process group `delay` s after it records its run; describe the moment."""
    before = run_files(data)
    tag = uuid.uuid4().hex
    proc = start_ingest(feeds, data, log, env=cli_env(**{TAG: tag}))
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while run_files(data) == before:
            assert proc.poll() is None, f"run ended before starting: {log.with_suffix('.err').read_text()[-2000:]}"
            assert time.monotonic() < deadline, "run never started"
            time.sleep(0.01)
        time.sleep(delay)
        finished = proc.poll() is not None
        written = sorted(p.name for p in (data / "lake").iterdir() if p.is_dir())
    finally:
        kill_group(proc)
    # Nothing of the killed run may linger: no orphaned Prefect server or NLP worker.
    deadline = time.monotonic() + 10
    while (left := processes_tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes outlived the kill of their group: {left}"
    return f"{delay:.2f} s in ({'had exited' if finished else 'killed'}; tables then: {', '.join(written)})"


def temporaries(root: Path) -> list[str]:
    """Every temporary file under `root`, hidden or not (lake writes: .tmp-*; catalog builds: *.tmp, *.tmp.wal)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and (p.name.startswith(".tmp-") or p.name.endswith((".tmp", ".tmp.wal"))))


def gated(body: bytes, gate: threading.Event, limit: float = 150.0):
    """A FaultServer route that answers with `body` once `gate` is set (gives up after `limit` s)."""

    def handler(h: FaultHandler) -> None:
        deadline = time.monotonic() + limit
        while not gate.wait(0.1):
            if h.fault.stopping.is_set() or time.monotonic() > deadline:
                h.close_connection = True
                return
        h.respond(200, body, content_type="application/rss+xml")

    return handler


# Long timeouts, so that a run can wait on a gated feed.
PATIENT = {"NEWSFLOW_READ_TIMEOUT": "150", "NEWSFLOW_TOTAL_TIMEOUT": "160"}


def gated_feed_list(sample_server, server: FaultServer, gate: threading.Event, tmp: Path) -> Path:
    """The sample feed list with Harbor Gazette's feed served by `server` behind `gate`."""
    gazette = sample_server.render((SAMPLE / "sites/harbor-gazette/feed.xml").read_text(encoding="utf-8"))
    server.routes["/harbor-gazette/feed.xml"] = gated(gazette.encode(), gate)
    lines = sample_server.render((SAMPLE / "feeds.txt").read_text(encoding="utf-8")).splitlines()
    lines = [server.url("/harbor-gazette/feed.xml") if line.endswith("/harbor-gazette/feed.xml") else line
             for line in lines]
    feeds = tmp / "feeds.txt"
    feeds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return feeds


def wait_for_lock(proc: subprocess.Popen, data: Path, log: Path) -> None:
    """Wait until `proc` holds the data directory's lock (it is then inside its run)."""
    lock = data / ".newsflow.lock"
    deadline = time.monotonic() + RUN_TIMEOUT
    while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
        assert proc.poll() is None, log.with_suffix(".err").read_text()[-3000:]
        assert time.monotonic() < deadline, "the run never took the lock"
        time.sleep(0.05)


# -- the reference run, with a second ingest refused meanwhile ------------------------------------
@dataclass
class TwoAtOnce:
    data: Path
    feeds: Path
    first: subprocess.Popen
    first_out: str
    first_err: str
    first_still_running: bool
    second: subprocess.CompletedProcess
    second_seconds: float
    reference: dict[str, list[dict]]


@pytest.fixture(scope="module")
def two_at_once(sample_server, tmp_path_factory):
    """The sample feeds, one of them (Harbor Gazette) behind a gate: a first ingest waits on it
    holding the lock while a second is started; then the gate opens and the first finishes."""
    tmp = tmp_path_factory.mktemp("two-at-once")
    gate = threading.Event()
    with FaultServer(routes={}, max_seconds=150.0) as server:
        feeds = gated_feed_list(sample_server, server, gate, tmp)
        data = tmp / "data"
        # Long timeouts for the first run only, so that it can wait on the gate.
        first = start_ingest(feeds, data, tmp / "first", env=cli_env(**PATIENT))
        try:
            wait_for_lock(first, data, tmp / "first")
            started = time.monotonic()
            second = subprocess.run(
                [*NEWSFLOW, "ingest", "--feeds", str(feeds), "--data", str(data), "--allow-private"],
                cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
            second_seconds = time.monotonic() - started
            first_still_running = first.poll() is None
            gate.set()
            wait_or_kill(first)
        finally:
            gate.set()
            kill_group(first)
        # The crash test below ingests the same feed list, so the gated route must stay up.
        reference = snapshot(data) if first.returncode == 0 else {}
        print(f"\nsecond ingest refused after {second_seconds:.1f} s")
        yield TwoAtOnce(data, feeds, first, (tmp / "first.out").read_text(), (tmp / "first.err").read_text(),
                        first_still_running, second, second_seconds, reference)


def test_second_ingest_on_the_same_data_is_refused_while_the_first_finishes(two_at_once):
    t = two_at_once
    assert t.first_still_running, "the first run ended before the second was refused"
    assert t.second.returncode == 75, t.second.stderr[-3000:]
    message = t.second.stderr.strip().splitlines()[-1]
    # Says who holds the lock on what, and what to do.
    assert message.startswith("newsflow: another newsflow run"), message
    assert f"pid {t.first.pid}" in message and str(t.data.resolve()) in message, message

    assert t.first.returncode == 0, t.first_err[-3000:]
    assert "37 new articles" in t.first_out
    res = subprocess.run([*NEWSFLOW, "sql", "--data", str(t.data), "--format", "csv",
                          "SELECT count(*) AS runs, sum((status = 'ok')::INT) AS ok, "
                          "(SELECT count(*) FROM articles) AS articles FROM runs"],
                         cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert res.stdout.splitlines()[1:] == ["1,1,37"], res.stderr   # the refused run left no trace


def test_refused_ingest_says_one_line_without_traceback(two_at_once):
    second = two_at_once.second
    assert second.returncode == 75
    assert second.stderr.strip().count("\n") == 0, second.stderr


# -- crash safety ------------------------------------------------------------------------------------
def test_killed_runs_then_one_run_equal_one_clean_run(two_at_once, tmp_path):
    assert two_at_once.reference, "the reference run failed"
    rng = random.Random(SEED)
    crashed = tmp_path / "crashed"
    moments = [kill_during_run(two_at_once.feeds, crashed, tmp_path / f"kill-{i}", rng.uniform(0, KILL_WINDOW))
               for i in range(KILLS)]
    print(f"\nseed {SEED}; kills: " + "; ".join(moments))
    final = start_ingest(two_at_once.feeds, crashed, tmp_path / "final")
    assert wait_or_kill(final) == 0, (tmp_path / "final.err").read_text()[-3000:]

    # What a reader sees equals the clean run's: the views' rows, and every file a reader lists
    # (the lake skips hidden names) is whole.
    got = snapshot(crashed)
    for table, rows in two_at_once.reference.items():
        assert len(got[table]) == len(rows), table
        assert got[table] == rows, table
    lake = Lake(str(crashed / "lake"))
    for key in lake.list_files(""):
        if key.endswith(".parquet"):
            pq.read_table(lake.path(key))
        elif key.endswith(".gz"):
            gzip.decompress(lake.get_bytes(key))
    # The run that completed after the kills left no temporary behind, its own or theirs.
    assert temporaries(crashed) == []


def test_a_crash_while_refreshing_the_catalog_keeps_the_old_one_and_the_next_refresh_cleans_up(tmp_path):
    """SIGKILL between building the new catalog and moving it into place (the narrowest moment)."""
    data = tmp_path / "data"
    refresh_catalog(Lake(str(data / "lake")), str(data / "news.duckdb"))   # the catalog readers use
    script = (
        "import os, signal, sys\n"
        "import tasks.catalog as catalog\n"
        "from tasks.storage import Lake\n"
        "catalog.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "catalog.refresh_catalog(Lake(sys.argv[1] + '/lake'), sys.argv[1] + '/news.duckdb')\n"
    )
    res = subprocess.run([sys.executable, "-c", script, str(data)], cwd=ROOT, env=cli_env(),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == -signal.SIGKILL, res.stderr
    assert temporaries(data), "the kill came before the build's temporary was written"
    # A reader still has the previous catalog, whole.
    sql = [*NEWSFLOW, "sql", "--data", str(data), "--format", "csv", "SELECT count(*) AS n FROM articles"]
    res = subprocess.run(sql, cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout.splitlines()) == (0, ["n", "0"]), res.stderr
    # The next refresh completes and removes the killed build's temporary.
    res = subprocess.run([*NEWSFLOW, "catalog", "--data", str(data)], cwd=ROOT, env=cli_env(),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert temporaries(data) == []


def test_sigterm_ends_the_run_cleanly(sample_server, tmp_path):
    """SIGTERM to the run's process group (a service manager stopping newsflow, or Ctrl-C's SIGINT
    to a terminal's foreground group) mid-run: exit 130, lock released, nothing left running."""
    gate = threading.Event()
    tag = uuid.uuid4().hex
    with FaultServer(routes={}, max_seconds=150.0) as server:
        feeds = gated_feed_list(sample_server, server, gate, tmp_path)
        data = tmp_path / "data"
        # The gated request is in flight when the signal comes: it ends at its read timeout.
        proc = start_ingest(feeds, data, tmp_path / "run",
                            env=cli_env(NEWSFLOW_READ_TIMEOUT="10", NEWSFLOW_TOTAL_TIMEOUT="15", **{TAG: tag}))
        try:
            wait_for_lock(proc, data, tmp_path / "run")
            time.sleep(1.0)   # inside the run, waiting on the gated feed
            # The whole group, workers included. The Prefect server runs in a session of its
            # own: had it died with the group, the CLI would retry reporting to it for minutes.
            os.killpg(proc.pid, signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            gate.set()
            kill_group(proc)
    err = (tmp_path / "run.err").read_text()
    assert code == 130, err[-3000:]
    assert err.strip().splitlines()[-1] == "newsflow: interrupted"
    # Its local Prefect server was stopped on the way out; the lock is free for the next run.
    assert not processes_tagged(tag)
    ensure_unlocked(data)
    runs = pq.read_table(data / "lake" / "runs").to_pylist()
    assert [r["status"] for r in runs] == ["running"]   # recorded as started, never as finished
