"""Worker processes that a caller starts before the flow it runs, handed over in a context variable.

The CLI starts them while the local Prefect server starts (that leaves a core idle for a few
seconds), so that the spaCy model is loaded before the feed polls instead of during them. A
context variable, not a flow parameter: a deployment's parameters must be serialisable. Flows
read it as `workers.EARLY_WORKERS` (module attribute): Prefect may pickle a served flow by value,
and a context variable itself cannot be pickled.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
from collections.abc import Iterator

from flows.settings import load_settings
from tasks.nlp import worker_pool

EARLY_WORKERS: contextvars.ContextVar[cf.Executor | None] = contextvars.ContextVar("newsflow_early_workers",
                                                                                   default=None)


@contextlib.contextmanager
def early_workers(data_dir: str, overrides: dict | None = None) -> Iterator[None]:
    """For the block, worker processes in EARLY_WORKERS, started now, for the model and n_process
    that a run on `data_dir` with `overrides` will use (flows.settings.load_settings).

    Raises SettingsError for a bad setting, as the run itself would.
    """
    settings = load_settings(data_dir, overrides)
    with worker_pool(settings.n_process, settings.model or None) as pool:
        token = EARLY_WORKERS.set(pool)
        try:
            yield
        finally:
            EARLY_WORKERS.reset(token)
