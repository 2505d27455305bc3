"""Scheduled ingestion: serve the ingest flow as a Prefect deployment, with a local server when none is set."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


class ServerError(RuntimeError):
    """The local Prefect server did not come up."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def prefect_server(data_dir: Path, timeout: float = 180.0):
    """Yield the API URL of a Prefect server: the configured one, else a local one started for the block.

    The local server binds loopback only and keeps its SQLite database under DATA/.prefect; it is
    stopped when the block exits.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = open(data_dir / "prefect-server.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port), "--no-ui", "--analytics-off"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ServerError(f"prefect server exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"prefect server not healthy after {timeout:.0f} s; see {log.name}")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = api
        yield api
    finally:
        if os.environ.get("PREFECT_API_URL") == api:
            del os.environ["PREFECT_API_URL"]
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(feeds_file: str, data_dir: str, *, cron: str | None = None, interval: float | None = None,
          overrides: dict | None = None, name: str = "scheduled") -> None:
    """Register the ingest flow as deployment `newsflow-ingest/<name>` on a schedule and run it until stopped."""
    data = Path(data_dir).resolve()
    # SIGTERM (a service manager stopping us) must unwind like Ctrl-C, so the local server stops too.
    signal.signal(signal.SIGTERM, _interrupt)
    with prefect_server(data) as api:
        # Prefect reads its settings when first imported: only now does PREFECT_API_URL hold the server.
        from flows.ingest import ingest_flow

        print(f"prefect API at {api}; serving newsflow-ingest/{name} "
              f"({'cron ' + cron if cron else f'every {interval:g} s'}); Ctrl-C stops", flush=True)
        ingest_flow.serve(name=name, cron=cron, interval=interval,
                          parameters={"feeds_file": str(Path(feeds_file).resolve()), "data_dir": str(data),
                                      "overrides": overrides or {}},
                          print_starting_message=False)
