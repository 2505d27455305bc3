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
