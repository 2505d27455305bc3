"""One writer per data directory: an exclusive, non-blocking lock file."""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class Busy(RuntimeError):
    """Another newsflow run holds the data directory."""


def _busy(data_dir: Path) -> Busy:
    holder = (data_dir / ".newsflow.lock").read_text().strip() or "?"
    return Busy(f"another newsflow run (pid {holder}) is using {data_dir}; try again when it has finished")


def ensure_unlocked(data_dir: str | os.PathLike) -> None:
    """Raise Busy now if another run holds `data_dir` (a probe: takes nothing, writes nothing).

    Lets the CLI refuse in a fraction of a second instead of after starting a Prefect server.
    """
    data_dir = Path(data_dir)
    try:
        fh = open(data_dir / ".newsflow.lock")
    except FileNotFoundError:
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(data_dir) from None
        fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def data_lock(data_dir: str | os.PathLike):
    """Hold an exclusive lock on `data_dir` for the duration of a run; raise Busy if another run has it.

    The lock is released by the kernel when the holder dies (even on SIGKILL), so a crash never
    leaves a stale lock behind.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    fh = open(data_dir / ".newsflow.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise _busy(data_dir) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


# -- one run per lake across machines: a Prefect global concurrency limit ------------------------
LOCAL_PREFECT_ENV = "NEWSFLOW_LOCAL_PREFECT"   # set by flows.prefect_api when it starts a server of its own


def shared_prefect_server() -> bool:
    """True when runs report to a Prefect server that other machines can share (PREFECT_API_URL given)."""
    return bool(os.environ.get("PREFECT_API_URL")) and not os.environ.get(LOCAL_PREFECT_ENV)


def lake_limit_name(lake_uri: str) -> str:
    """The name of the global concurrency limit that guards `lake_uri` (readable, and unique per lake)."""
    import hashlib

    lake_uri = lake_uri.rstrip("/")
    tail = lake_uri.rsplit("/", 1)[-1][:40]
    return f"newsflow-lake-{tail}-{hashlib.sha256(lake_uri.encode()).hexdigest()[:12]}"


@contextlib.contextmanager
def lake_lock(lake_uri: str, lease_seconds: float = 60.0):
    """Hold the only slot of the lake's Prefect global concurrency limit for the block; raise Busy if taken.

    The limit (strict, one slot) is created on first use. The slot is leased: Prefect renews the
    lease while the holder lives, and the server's repossessor frees it about `lease_seconds`
    after a holder is killed, so a crash never locks a lake for good.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
    from prefect.concurrency.sync import concurrency
    from prefect.exceptions import ObjectAlreadyExists

    name = lake_limit_name(lake_uri)
    with get_client(sync_client=True) as client:
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:
            pass
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(concurrency(name, occupy=1, max_retries=0, strict=True, lease_duration=lease_seconds,
                                            raise_on_lease_renewal_failure=True))
        except ConcurrencySlotAcquisitionError as e:
            if "423" not in str(e):   # 423 Locked: the slot is taken; anything else is a real error
                raise
            raise Busy(f"another newsflow run holds the lake {lake_uri} (Prefect concurrency limit {name}); "
                       "try again when it has finished") from None
        yield


@contextlib.contextmanager
def run_lock(data_dir: str | os.PathLike, lake_uri: str, lease_seconds: float = 60.0):
    """One run per lake: the lake's Prefect concurrency limit with a shared server, else the data directory's lock."""
    if shared_prefect_server():
        with lake_lock(lake_uri, lease_seconds):
            yield
    else:
        with data_lock(data_dir):
            yield
