"""`newsflow serve` registers a scheduled deployment whose runs land data (every 10 s, and a cron of every minute)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tasks.storage import Lake
from tests.conftest import ROOT, SAMPLE, cli_env

pytestmark = pytest.mark.slow


def stop(proc: subprocess.Popen) -> None:
    """Stop serve and everything it started (its Prefect server, flow-run subprocesses)."""
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.parametrize("schedule", [["--interval", "10"], ["--cron", "* * * * *"]], ids=["interval", "cron"])
def test_scheduled_run_fires_and_lands_data(tmp_path, sample_server, schedule):
    data = tmp_path / "data"
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text()))
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", *schedule, "--feeds", str(feeds),
                             "--data", str(data), "--allow-private"], cwd=ROOT, env=cli_env(), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # The server's start, then the first scheduled time (a cron of every minute: up to 60 s
        # away), then the run itself; generous, for a loaded machine.
        deadline = time.monotonic() + 480
        landed = None
        while time.monotonic() < deadline and proc.poll() is None:
            runs = Lake(str(data / "lake")).read_table("runs") if (data / "lake").exists() else None
            if runs is not None and "ok" in runs.column("status").to_pylist():
                landed = runs
                break
            time.sleep(3)
        assert landed is not None, (tmp_path / "serve.log").read_text()[-3000:]
        articles = Lake(str(data / "lake")).read_table("articles")
        assert articles is not None and articles.num_rows == 37
    finally:
        stop(proc)
        log.close()
    every = "cron * * * * *" if schedule[0] == "--cron" else "every 10 s"
    assert f"serving newsflow-ingest/scheduled ({every}); Ctrl-C stops" in (tmp_path / "serve.log").read_text()
    assert not list(data.glob("**/.tmp-*"))
