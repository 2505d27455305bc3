"""A Prefect API on loopback for runs without PREFECT_API_URL, started before anything heavy is imported.

Prefect 3 has no server-less mode: a flow run without an API starts Prefect's temporary server
and waits for it (about 10 s here, 20 s on a new database). newsflow starts the same server
itself, first thing, so that it comes up while the CLI imports spaCy, pyarrow and the flows;
its SQLite database lives under DATA/.prefect. A new data directory gets a copy of an empty,
already migrated database (one per Prefect version, cached under ~/.cache/newsflow) instead of
running Prefect's migrations again. With PREFECT_API_URL set (a shared server, as with Dask or
Ray runners) none of this happens.

This module must stay cheap to import: no Prefect, no httpx.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path


class ServerError(RuntimeError):
    """The local Prefect server did not come up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def template_dir() -> Path:
    """Where migrated empty Prefect databases are cached ($NEWSFLOW_CACHE, else ~/.cache/newsflow)."""
    if os.environ.get("NEWSFLOW_CACHE"):
        return Path(os.environ["NEWSFLOW_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsflow"


def _template_paths() -> tuple[Path, Path]:
    version = importlib.metadata.version("prefect")
    d = template_dir()
    return d / f"prefect-{version}.db", d / f"prefect-{version}.memo_store.toml"


def seed_home(home: Path) -> bool:
    """Copy the cached empty database into a Prefect home that has none; True if it did."""
    db, memo = _template_paths()
    target = home / "prefect.db"
    if target.exists() or not (db.is_file() and memo.is_file()):
        return False
    home.mkdir(parents=True, exist_ok=True)
    for src, dst in ((memo, home / "memo_store.toml"), (db, target)):   # the database last: it marks completion
        tmp = dst.with_name(f".tmp-{dst.name}-{os.getpid()}")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return True


def save_template(home: Path) -> None:
    """Cache the database of a Prefect home that was just migrated (before any run is written).

    sqlite3's backup API copies a consistent snapshot even while the server has it open.
    """
    db, memo = _template_paths()
    src_memo = home / "memo_store.toml"
    if db.exists() or not src_memo.is_file():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}"
    tmp_db, tmp_memo = db.with_name(db.name + suffix), memo.with_name(memo.name + suffix)
    with contextlib.closing(sqlite3.connect(home / "prefect.db")) as src, \
            contextlib.closing(sqlite3.connect(tmp_db)) as dst:
        src.backup(dst)
    shutil.copyfile(src_memo, tmp_memo)
    os.replace(tmp_memo, memo)
    os.replace(tmp_db, db)


class LocalAPI:
    """A Prefect API server process on 127.0.0.1 (see the module docstring)."""

    def __init__(self, home: Path, *, services: bool, log_path: Path):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        # Only a database this server creates from nothing is empty enough to become the template.
        self.fresh = not (home / "prefect.db").exists() and not seed_home(home)
        env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "0",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        if not services:
            # Prefect's flag for its temporary server: no scheduler or other background services.
            env["PREFECT__SERVER_EPHEMERAL"] = "1"
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._ready = False

    def wait(self, timeout: float = 180.0) -> None:
        """Block until the server answers /health; raises ServerError if it exits or times out."""
        if self._ready:
            return
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"Prefect server exited with code {self.proc.returncode}; see {self._log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"Prefect server not healthy after {timeout:.0f} s; see {self._log.name}")
            time.sleep(0.05)
        self._ready = True
        if self.fresh:
            with contextlib.suppress(OSError, sqlite3.Error):   # a cache, never a reason to fail a run
                save_template(self.home)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@contextlib.contextmanager
def prefect_api(data_dir: Path, *, services: bool = False) -> Iterator[Callable[[], str]]:
    """For the block, a Prefect API: the configured PREFECT_API_URL, else a local server started now.

    Yields `ready()`, which waits until the API answers and returns its URL: call it before the
    first flow run, after the slow imports, which then overlap the server's start-up. Inside the
    block PREFECT_API_URL names the server, so import Prefect inside the block too.
    `services=True` runs Prefect's background services as well (the scheduler, for `serve`).
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield lambda: configured
        return
    home = Path(os.environ.get("PREFECT_HOME") or data_dir / ".prefect")
    home.mkdir(parents=True, exist_ok=True)
    api = LocalAPI(home, services=services, log_path=home / "server.log")
    os.environ["PREFECT_API_URL"] = api.url

    def ready() -> str:
        api.wait()
        return api.url

    try:
        yield ready
    finally:
        if os.environ.get("PREFECT_API_URL") == api.url:
            del os.environ["PREFECT_API_URL"]
        api.stop()
