"""A per-page CPU-time budget that works in any thread: cooperative checks, plus a signal backstop on the main thread."""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import TracebackType

# Why two mechanisms: Prefect and process-pool workers run a page on their main thread, but
# Dask workers run tasks in threads, where no signal can be delivered. So newsflow's own loops
# call check() at line or paragraph granularity (time.thread_time(): this thread's CPU time,
# so a busy neighbour thread or a paused process does not count), which works everywhere. A
# third-party call (trafilatura, lxml) cannot be checked from inside; on the main thread a
# virtual-time interval timer (SIGVTALRM) raises the same exception from within it (the regex
# engine and Python code take signals between steps). In another thread such a call is only
# detected when it returns, and the page is then failed all the same.


class CpuBudgetExceeded(Exception):
    """A page used more CPU time than its budget (error class "cpu_budget")."""

    error_class = "cpu_budget"

    def __init__(self, seconds: float, used: float) -> None:
        super().__init__(f"page over its CPU budget: {used:.2f} s used, {seconds:g} s allowed")
        self.seconds = seconds
        self.used = used

    def __reduce__(self):   # it travels back from worker processes
        return type(self), (self.seconds, self.used)


# CPU seconds between the timer's signals after the first, until the block ends.
TIMER_REPEAT = 0.05


def _no_check() -> None:
    return None


class CpuBudget:
    """CPU seconds one page may use, summed over every `with` block it is charged in.

    Takes the budget in seconds (None: unbounded) and the CPU clock (this thread's by default).
    Inside `with budget:`, call `budget.check()` often; it raises CpuBudgetExceeded once the
    time charged exceeds the budget. On the main thread the block is also bounded by an
    interval timer, which raises CpuBudgetExceeded inside code that never calls check().
    """

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.thread_time) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError(f"CPU budget must be a positive number of seconds or None, got {seconds!r}")
        self.seconds = seconds
        self.used = 0.0
        self._clock = clock
        self._start: float | None = None
        self._old_handler = None

    @property
    def check(self) -> Callable[[], None]:
        """The check to call from loops (a no-op for an unbounded budget)."""
        return _no_check if self.seconds is None else self._check

    def _check(self) -> None:
        if self._start is None:
            return
        used = self.used + self._clock() - self._start
        if used > self.seconds:
            raise CpuBudgetExceeded(self.seconds, used)

    def __enter__(self) -> CpuBudget:
        self._start = self._clock()
        if self.seconds is not None:
            self._check_spent()
            self._arm()
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._disarm()
        self.used += self._clock() - self._start
        self._start = None

    def _check_spent(self) -> None:
        if self.used > self.seconds:
            self._start = None
            raise CpuBudgetExceeded(self.seconds, self.used)

    def _arm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGVTALRM) not in (signal.SIG_DFL, signal.SIG_IGN, None):
            return   # someone else's timer (a profiler): cooperative checks only
        if signal.getitimer(signal.ITIMER_VIRTUAL)[0]:
            return
        self._old_handler = signal.signal(signal.SIGVTALRM, self._on_timer)
        # Process CPU time, not this thread's: a worker process runs one page at a time on its
        # main thread. A little slack lets the cooperative check, which names the time used, fire first.
        # The timer repeats: an exception raised where it is swallowed (a third-party `except
        # Exception`, a gc callback) would otherwise leave the rest of the block unbounded.
        signal.setitimer(signal.ITIMER_VIRTUAL, max(self.seconds - self.used, 0.0) * 1.05 + 0.01, TIMER_REPEAT)

    def _disarm(self) -> None:
        if self._old_handler is not None:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, self._old_handler)
            self._old_handler = None

    def _on_timer(self, signum: int, frame: object) -> None:
        if self._start is not None:
            raise CpuBudgetExceeded(self.seconds, self.used + self._clock() - self._start)
