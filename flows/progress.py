"""Progress of a run's stages: a live display (rich) on a terminal, a few plain lines anywhere else."""
from __future__ import annotations

import atexit
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")
PLAIN_EVERY = 30.0   # seconds between a stage's plain lines: cron mails and CI logs stay short


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min {seconds % 60:02d} s"


class PlainProgress:
    """One line when a stage starts, one at most every `every` seconds, and one when it ends.

    Lines look like "  nlp texts: 300/735 (41%, 14.2/s, about 31 s left)": stage, done/total
    and, after the first, the rate and what is left (bench/perf.py reads the stage and counts).
    """

    def __init__(self, stream: TextIO | None = None, *, every: float = PLAIN_EVERY,
                 clock: Callable[[], float] = time.monotonic):
        self.stream, self.every, self.clock = stream, every, clock
        self._started: dict[str, tuple[float, int]] = {}   # stage -> (time, done) at its first update
        self._printed: dict[str, float] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage not in self._started or done < self._started[stage][1]:   # a stage seen again starts over
            self._started[stage] = (now, done)
            self._print(f"  {stage}: {done}/{total}", stage, now)
            return
        t0, done0 = self._started[stage]
        elapsed = now - t0
        rate = (done - done0) / elapsed if elapsed > 0 else 0.0
        if done >= total:
            del self._started[stage]
            self._print(f"  {stage}: {done}/{total} (done in {_duration(elapsed)}, {rate:,.1f}/s)", stage, now)
        elif now - self._printed[stage] >= self.every:
            left = f", about {_duration((total - done) / rate)} left" if rate > 0 else ""
            self._print(f"  {stage}: {done}/{total} ({done / total:.0%}, {rate:,.1f}/s{left})", stage, now)

    def _print(self, line: str, stage: str, now: float) -> None:
        self._printed[stage] = now
        print(line, file=self.stream or sys.stderr, flush=True)

    def close(self) -> None:
        pass


class LiveProgress:
    """A rich progress display: a bar per stage with counts, rate, elapsed time and ETA.

    The display stops (and stays on screen) when every stage on it is complete, so the run's
    summary prints below it; the next stage starts a new one.
    """

    def __init__(self, console):
        self.console = console
        self._progress = None
        self._tasks: dict[str, int] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            self._progress = self._new_display()
            self._progress.start()
            self._tasks = {}
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)
        if all(t.finished for t in self._progress.tasks):
            self.close()

    def _new_display(self):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f}/s" if speed else "", style="progress.data.speed")

        return Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=self.console)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def make_progress(console=None) -> PlainProgress | LiveProgress:
    """A live display when `console` (default: rich's console on stderr) is an interactive terminal, else plain lines."""
    if console is None:
        if not sys.stderr.isatty():   # cron, CI, Prefect workers, pipes: no need to import rich
            return PlainProgress()
        from rich.console import Console

        console = Console(stderr=True)
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveProgress(console)
    return PlainProgress(console.file)


_current: PlainProgress | LiveProgress | None = None


def progress(stage: str, done: int, total: int) -> None:
    """Report that `done` of `total` items of `stage` are finished (the process's one display)."""
    global _current
    if _current is None:
        _current = make_progress()
        atexit.register(_current.close)   # a run that dies mid-stage leaves the terminal usable
    _current.update(stage, done, total)


def counted(stage: str, items: Iterable[T]) -> Iterator[T]:
    """Yield `items`, reporting each one as done once the consumer has handled it and asks for the next."""
    items = list(items)
    if items:
        progress(stage, 0, len(items))   # the stage's clock starts now, not after its first item
    for i, item in enumerate(items):
        yield item
        progress(stage, i + 1, len(items))
