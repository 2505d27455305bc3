"""A Prefect API on loopback for runs without PREFECT_API_URL, started before anything heavy is imported.

Prefect 3 has no server-less mode: a flow run without an API starts Prefect's temporary server
and waits for it (about 10 s here, 20 s on a new database). newsflow starts the same server app
itself, first thing, so that it comes up while the CLI imports pyarrow, trafilatura and the
flows; its SQLite database lives under DATA/.prefect. A new data directory gets a copy of an
empty, already set-up database (migrated, block types registered; one per Prefect version and
set of Prefect collections, cached under ~/.cache/newsflow), and a database that is known to be
set up skips both steps at start-up. With PREFECT_API_URL set in the environment (a shared
server, as with Dask or Ray runners) none of this happens.

Like Prefect's own temporary server, the server is stopped at interpreter exit, after Prefect
has flushed its queued events and logs to it. It runs in a session of its own (a signal to the
CLI's process group does not reach it) and Linux stops it if the CLI is killed.

This module must stay cheap to import: no Prefect, no httpx.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
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

DB_NAME = "prefect.db"
SETUP_MARK = "newsflow-db-setup"   # in the Prefect home: the setup_key() its database was last set up for


class ServerError(RuntimeError):
    """The local Prefect server did not come up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.lru_cache(maxsize=1)
def setup_key() -> str:
    """What a set-up database depends on: Prefect's version and the installed Prefect collections.

    Prefect's migrations depend on its version, and the block types it registers on start-up
    on the collections (packages with a `prefect.collections` entry point) as well.
    """
    collections = sorted(f"{ep.dist.name}=={ep.dist.version}" if ep.dist else ep.value
                         for ep in importlib.metadata.entry_points(group="prefect.collections"))
    return ";".join([f"prefect=={importlib.metadata.version('prefect')}", *collections])


def template_path() -> Path:
    """The cached empty database for the installed Prefect ($NEWSFLOW_CACHE, else ~/.cache/newsflow)."""
    if os.environ.get("NEWSFLOW_CACHE"):
        base = Path(os.environ["NEWSFLOW_CACHE"]).expanduser()
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsflow"
    digest = hashlib.sha256(setup_key().encode()).hexdigest()[:12]
    return base / f"prefect-{importlib.metadata.version('prefect')}-{digest}.db"


def is_set_up(home: Path) -> bool:
    """True if the database in `home` was migrated and had its block types registered by this setup_key().

    Such a database needs neither again: the server then skips both at start-up (about 1-1.5 s here).
    """
    try:
        return (home / DB_NAME).exists() and (home / SETUP_MARK).read_text(encoding="utf-8") == setup_key()
    except OSError:
        return False


def mark_set_up(home: Path) -> None:
    """Record that the database in `home` is set up for the current setup_key() (atomically)."""
    if is_set_up(home):
        return
    tmp = home / f".tmp-{SETUP_MARK}-{os.getpid()}"
    tmp.write_text(setup_key(), encoding="utf-8")
    os.replace(tmp, home / SETUP_MARK)


def seed_home(home: Path) -> bool:
    """Copy the cached empty database into a Prefect home that has none; True if it did.

    Never replaces a database: the copy is linked into place only if the name is still free,
    so two runs starting on one new data directory cannot swap a file the other has open.
    """
    template = template_path()
    target = home / DB_NAME
    if target.exists() or not template.is_file():
        return False
    tmp = home / f".tmp-{DB_NAME}-{os.getpid()}"
    try:
        shutil.copyfile(template, tmp)
        for stale in (home / f"{DB_NAME}-wal", home / f"{DB_NAME}-shm"):   # left by a deleted database
            stale.unlink(missing_ok=True)
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def save_template(home: Path) -> bool:
    """Cache the database of a Prefect home that was just migrated; True if it was saved.

    Only a migrated database with no flow run in it qualifies. sqlite3's backup API copies a
    consistent snapshot while the server has the file open.
    """
    template = template_path()
    if template.exists():
        return False
    with contextlib.closing(sqlite3.connect(f"file:{home / DB_NAME}?mode=ro", uri=True)) as src:
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "flow_run"} <= tables or src.execute("SELECT count(*) FROM flow_run").fetchone()[0]:
            return False
        template.parent.mkdir(parents=True, exist_ok=True)
        tmp = template.with_name(f".tmp-{template.name}-{os.getpid()}")
        try:
            with contextlib.closing(sqlite3.connect(tmp)) as dst:
                src.backup(dst)
            os.replace(tmp, template)
        finally:
            tmp.unlink(missing_ok=True)
    return True


def drop_template() -> None:
    template_path().unlink(missing_ok=True)


def _die_with_parent() -> None:
    """In the server's process before it runs: have Linux send it SIGTERM when the CLI dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


class LocalAPI:
    """A Prefect API server process on 127.0.0.1 (see the module docstring)."""

    def __init__(self, home: Path, *, services: bool):
        self.home = home
        self.services = services
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self._log = open(home / "server.log", "ab")
        self._start()
        atexit.register(self.stop)

    def _start(self) -> None:
        existed = (self.home / DB_NAME).exists()
        if not existed:
            (self.home / SETUP_MARK).unlink(missing_ok=True)   # it described a database that is gone
        try:
            self.seeded = not existed and seed_home(self.home)
        except OSError:
            self.seeded = False   # a cache, never a reason to fail a run
        # Only a database this server creates from nothing can become the template; a server
        # with services (serve's scheduler) may write to it at once, so it never does.
        self.fresh = not existed and not self.seeded and not self.services
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        if self.seeded or is_set_up(self.home):
            # The copy of the cached database, or one this Prefect has set up before, is current.
            env.update(PREFECT_API_DATABASE_MIGRATE_ON_START="false", PREFECT_API_BLOCKS_REGISTER_ON_START="false")
        if not self.services:
            # Prefect's flag for its temporary server: no scheduler or other background services.
            env["PREFECT__SERVER_EPHEMERAL"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
            # Out of the CLI's process group, so that a signal to the whole group (Ctrl-C, a
            # service manager's SIGTERM) cannot stop the server before the interrupted run has
            # reported to it: that left the CLI retrying a dead API for minutes. The server
            # still goes with the CLI: stopped at its exit, or by the kernel if it is killed.
            start_new_session=True, preexec_fn=_die_with_parent)
        self._ready = False

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server answers /health; raises ServerError if it exits or times out.

        A server that fails on a database copied from the cache is started again on a new
        database, once, and the cached copy is dropped.
        """
        try:
            self._wait(timeout)
        except ServerError:
            if not self.seeded:
                raise
            self._stop_process()
            for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", SETUP_MARK):
                (self.home / name).unlink(missing_ok=True)
            drop_template()
            self._start()
            self._wait(timeout)

    def _wait(self, timeout: float | None) -> None:
        if self._ready:
            return
        if timeout is None:
            timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 180)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback: never a proxy
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"Prefect server exited with code {self.proc.returncode}; see {self._log.name}")
            try:
                with opener.open(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"Prefect server not healthy after {timeout:.0f} s; see {self._log.name}")
            time.sleep(0.05)
        self._ready = True
        with contextlib.suppress(OSError):   # a shortcut for the next start, never a reason to fail a run
            mark_set_up(self.home)
        if self.fresh:
            with contextlib.suppress(OSError, sqlite3.Error):   # a cache, never a reason to fail a run
                save_template(self.home)

    def _stop_process(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        self._stop_process()
        self._log.close()


@contextlib.contextmanager
def prefect_api(data_dir: Path, *, services: bool = False) -> Iterator[Callable[[], str]]:
    """For the block, a Prefect API: the configured PREFECT_API_URL, else a local server started now.

    Yields `ready()`, which waits until the API answers and returns its URL: call it before the
    first flow run, after the slow imports, which then overlap the server's start-up. Import
    Prefect inside the block: it reads PREFECT_API_URL once, when first imported, so one
    process gets one local server. `services=True` runs Prefect's background services as well
    (the scheduler, for `serve`). The server stops at interpreter exit.
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield lambda: configured
        return
    home = Path(os.environ.get("PREFECT_HOME") or data_dir / ".prefect").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    api = LocalAPI(home, services=services)
    os.environ["PREFECT_API_URL"] = api.url
    os.environ["NEWSFLOW_LOCAL_PREFECT"] = "1"   # flows.lock: this server is not shared with other machines
    settings = contextlib.ExitStack()

    def ready() -> str:
        api.wait()
        if not services:
            # Flow-run heartbeats tell a long-lived server that a run is still alive; this
            # server lives exactly as long as the run, and stopping the heartbeat thread cost
            # up to a second at the end of every run (it sleeps in one-second steps).
            from prefect.settings import temporary_settings

            settings.enter_context(temporary_settings(updates={"flows.heartbeat_frequency": None}))
        return api.url

    with settings:
        yield ready
