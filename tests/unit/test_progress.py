"""Stage progress: a few plain lines off a terminal, a live rich display on one."""
import io
import re

from rich.console import Console

from bench.perf import PROGRESS
from flows import progress as P


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_plain_lines_are_few_and_carry_rate_and_eta():
    out, clock = io.StringIO(), Clock()
    plain = P.PlainProgress(out, every=30, clock=clock)
    for done in range(1, 1001):          # 1,000 items at 10 per second
        clock.t = 100 + done / 10
        plain.update("nlp texts", done, 1000)
    lines = out.getvalue().splitlines()
    # The first item, every 30 s (at 301, 601 and 901 items), and the end: not 1,000 lines.
    assert lines == ["  nlp texts: 1/1000",
                     "  nlp texts: 301/1000 (30%, 10.0/s, about 70 s left)",
                     "  nlp texts: 601/1000 (60%, 10.0/s, about 40 s left)",
                     "  nlp texts: 901/1000 (90%, 10.0/s, about 10 s left)",
                     "  nlp texts: 1000/1000 (done in 100 s, 10.0/s)"]
    # The benchmark still reads stage and counts from every line.
    assert [PROGRESS.match(line)["done"] for line in lines] == ["1", "301", "601", "901", "1000"]


def test_plain_is_chosen_off_a_terminal():
    console = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(P.make_progress(console), P.PlainProgress)
    assert isinstance(P.make_progress(Console(file=io.StringIO(), force_terminal=True, width=100)), P.LiveProgress)


def test_live_display_on_a_terminal_shows_each_stage_and_stops_when_done():
    buf = io.StringIO()
    live = P.make_progress(Console(file=buf, force_terminal=True, width=110, color_system=None))
    for done in range(0, 41):
        live.update("feeds polled", done, 40)
    assert live._progress is None            # every stage finished: the display stopped and stays printed
    live.update("articles fetched", 5, 200)
    assert live._progress is not None         # a new stage starts a new display
    live.close()
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    assert re.search(r"feeds polled\s+━+\s+40/40", screen)
    assert re.search(r"articles fetched\s+━*\S*\s+5/200", screen)
    assert "ETA" in screen


def test_counted_reports_each_item_after_it_is_handled(monkeypatch):
    seen = []
    monkeypatch.setattr(P, "progress", lambda stage, done, total: seen.append((stage, done, total)))
    handled = []
    for x in P.counted("feeds polled", ["a", "b", "c"]):
        handled.append(x)
        assert seen[-1] == ("feeds polled", len(handled) - 1, 3)
    assert seen == [("feeds polled", 0, 3), ("feeds polled", 1, 3), ("feeds polled", 2, 3), ("feeds polled", 3, 3)]
