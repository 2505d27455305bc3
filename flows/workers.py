"""Where a run's CPU-bound jobs run: a Dask cluster, worker processes the caller started early, or new ones.

The CLI creates the local worker pool while the local Prefect server starts; the workers start
with their first job, and load the spaCy model once the feed polls have found something new
(load_model_soon), while pages are fetched: a run with nothing new loads no model.
They are handed over in a context variable, not a flow parameter: a deployment's parameters
must be serialisable. Flows read it as `workers.EARLY_WORKERS` (module attribute): Prefect may
pickle a served flow by value, and a context variable itself cannot be pickled.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
from collections.abc import Callable, Iterator

from flows.settings import Settings, load_settings
from tasks.nlp import preload, worker_pool

EARLY_WORKERS: contextvars.ContextVar[cf.Executor | None] = contextvars.ContextVar("newsflow_early_workers",
                                                                                   default=None)


@contextlib.contextmanager
def early_workers(data_dir: str, overrides: dict | None = None) -> Iterator[None]:
    """For the block, a worker pool in EARLY_WORKERS (its processes start with its first job), for the model and n_process
    that a run on `data_dir` with `overrides` will use (flows.settings.load_settings). A run on a
    Dask cluster (the `dask_address` setting) uses the cluster's workers: none are started.

    Raises SettingsError for a bad setting, as the run itself would.
    """
    settings = load_settings(data_dir, overrides)
    if settings.dask_address:
        yield
        return
    with worker_pool(settings.n_process, settings.language_models().get("en"), load=False) as pool:
        token = EARLY_WORKERS.set(pool)
        try:
            yield
        finally:
            EARLY_WORKERS.reset(token)


@contextlib.contextmanager
def run_workers(settings: Settings) -> Iterator[cf.Executor | None]:
    """The executor for a run's CPU-bound jobs, for the block: the Dask cluster at `dask_address`,
    else the caller's early workers, else worker processes started now (None: run them in this process).

    Raises flows.cluster.ClusterUnavailable when the cluster cannot be reached.
    """
    if settings.dask_address:
        from flows.cluster import dask_executor

        with dask_executor(settings.dask_address) as executor:
            yield executor
    elif EARLY_WORKERS.get() is not None:
        yield EARLY_WORKERS.get()
    else:
        with worker_pool(settings.n_process, settings.language_models().get("en"), load=False) as pool:
            yield pool


# Articles from which a run's local workers are replaced by new ones between its stages. A
# worker keeps what extraction and cleaning leave in its heap, and the language identifier
# (76 MB): at 29,274 articles each held about 390 MB when its NLP work began, of which the model
# is about 150, and at 102,456 pages the two were 370 MB each while cleaning. So a large run
# cleans in new workers (without the model) and analyses in newer ones (that load it at once,
# while the run assigns stories). Each costs a start-up and the second a model load (about 2
# CPU-s), which a small run would feel and not gain from.
RENEW_AFTER_ARTICLES = 5_000


def renewed(pool: cf.Executor | None, settings: Settings, stack: contextlib.ExitStack, articles: int, *,
            load: bool = True) -> cf.Executor | None:
    """`pool`, or, for a stage of `articles` articles (RENEW_AFTER_ARTICLES or more), new local
    worker processes in its place, stopped when `stack` closes; with `load` they start loading the
    model at once. A Dask cluster's workers are kept.

    `pool` is shut down (it has no work left; when the caller's early workers, their owner's own
    shutdown later does nothing).
    """
    if pool is None or settings.dask_address or articles < RENEW_AFTER_ARTICLES:
        return pool
    pool.shutdown(wait=True)
    return stack.enter_context(worker_pool(settings.n_process, settings.language_models().get("en"), load=load))


def load_model_soon(pool: cf.Executor | None, settings: Settings) -> None:
    """Have local workers start loading the English model in the background (another language's
    model, and any model on a Dask worker, loads with the first NLP job that needs it)."""
    models = settings.language_models()
    if pool is not None and not settings.dask_address and "en" in models:
        preload(pool, settings.n_process, models["en"])


def map_fn(pool: cf.Executor | None) -> Callable:
    """A map over `pool` for per-site jobs, one job per item (builtin map without a pool).

    The items are listed first: both executors submit every job at once anyway, and Dask's
    refuses to map over an iterator.
    """
    if pool is None:
        return map
    return lambda fn, items: pool.map(fn, list(items), chunksize=1)
