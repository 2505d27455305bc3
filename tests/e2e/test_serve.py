"""`newsflow serve` registers a scheduled deployment whose runs land data (short interval)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tasks.storage import Lake
from tests.conftest import ROOT, SAMPLE

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


def test_scheduled_run_fires_and_lands_data(tmp_path, sample_server):
    data = tmp_path / "data"
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(sample_server.render((SAMPLE / "feeds.txt").read_text()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PYTHONPATH"] = str(ROOT)
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--interval", "10", "--feeds", str(feeds),
                             "--data", str(data), "--allow-private"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 420
        landed = None
        while time.monotonic() < deadline and proc.poll() is None:
            runs = Lake(str(data / "lake")).read_table("runs") if (data / "lake").exists() else None
            if runs is not None and "ok" in runs.column("status").to_pylist():
                landed = runs
                break
            time.sleep(3)
        assert landed is not None, (tmp_path / "serve.log").read_text()[-3000:]
        articles = Lake(str(data / "lake")).read_table("articles")
        assert articles is not None and articles.num_rows >= 30
    finally:
        stop(proc)
        log.close()
    assert not list((data).glob("**/.tmp-*"))
