"""A Dask cluster as the run's workers: a distributed client inside the flow, used as an executor."""
from __future__ import annotations

import contextlib
import concurrent.futures as cf
from collections.abc import Iterator


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler cannot be reached."""


@contextlib.contextmanager
def dask_executor(address: str, *, timeout: float = 15.0) -> Iterator[cf.Executor]:
    """For the block, a concurrent.futures executor whose jobs run on the Dask cluster at `address`.

    Jobs are plain functions of tasks/ (their workers import newsflow, installed alike on every
    machine); Dask re-runs a job whose worker died on another worker, which is safe because
    every job is idempotent (content-addressed captures, results written by the flow).
    Raises ClusterUnavailable when no scheduler answers within `timeout` seconds.
    """
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {e}") from None
    try:
        # pure=False: jobs with equal arguments are separate jobs (a poll at another time is another poll).
        yield client.get_executor(pure=False)
    finally:
        client.close()
