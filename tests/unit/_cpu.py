"""CPU time of a call, for tests that compare the work two shapes of input cost."""
from __future__ import annotations

import time
from collections.abc import Callable


def least_cpu(fn: Callable, *args, repeat: int = 2) -> float:
    """The least CPU time of this thread `fn(*args)` takes over `repeat` runs (load on the machine aside)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        fn(*args)
        best = min(best, time.thread_time() - started)
    return best
