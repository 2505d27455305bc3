"""The per-page CPU budget: cooperative checks in any thread, a timer on the main thread, failures per page."""
from __future__ import annotations

import concurrent.futures as cf
import pickle
import re
import signal
import threading
import time
from datetime import datetime, timezone

import pytest

from tasks import pipeline as P
from tasks.budget import CpuBudget, CpuBudgetExceeded
from tasks.feeds import FeedEntry

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_budget_is_charged_across_blocks_and_raises_once_spent():
    clock = FakeClock()
    budget = CpuBudget(1.0, clock=clock)
    with budget:
        clock.now += 0.6
        budget.check()
    with pytest.raises(CpuBudgetExceeded, match=r"1\.10 s used, 1 s allowed"):
        with budget:
            clock.now += 0.5
            budget.check()
    assert budget.used == pytest.approx(1.1)
    with pytest.raises(CpuBudgetExceeded):   # a spent budget refuses the next block at once
        with budget:
            pass


def test_the_error_survives_the_way_back_from_a_worker_process():
    err = pickle.loads(pickle.dumps(CpuBudgetExceeded(0.5, 0.75)))
    assert (err.seconds, err.used, err.error_class, str(err)) == (0.5, 0.75, "cpu_budget",
                                                                  "page over its CPU budget: 0.75 s used, 0.5 s allowed")


def test_no_budget_never_raises_and_bad_budgets_are_refused():
    with CpuBudget(None) as budget:
        budget.check()
    with pytest.raises(ValueError, match="positive number of seconds or None, got 0"):
        CpuBudget(0)


def test_timer_stops_a_catastrophic_regex_on_the_main_thread():
    assert threading.current_thread() is threading.main_thread()
    start = time.thread_time()
    with pytest.raises(CpuBudgetExceeded):
        with CpuBudget(0.2):
            re.match(r"^(\w+)*=", "_" * 40)   # about 2^40 steps without a bound
    assert time.thread_time() - start < 2.0
    assert signal.getsignal(signal.SIGVTALRM) is signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)


def test_timer_fires_again_when_its_first_signal_is_swallowed():
    """Library code with a broad `except Exception` (or a gc callback) can swallow the first
    signal; the page must still be stopped in the code that runs after it."""
    swallowed = 0

    def lenient_library_call(cpu_seconds: float) -> None:   # e.g. a parser that catches everything
        nonlocal swallowed
        end = time.thread_time() + cpu_seconds
        while time.thread_time() < end:
            try:
                sum(range(1000))
            except Exception:
                swallowed += 1

    start = time.thread_time()
    with pytest.raises(CpuBudgetExceeded):
        with CpuBudget(0.05):
            lenient_library_call(0.3)   # well past the budget: the first signal lands in here
            busy = time.thread_time() + 1.5
            while time.thread_time() < busy:   # then work that never calls check()
                sum(range(1000))
    assert swallowed >= 1
    assert time.thread_time() - start < 1.0
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)


def test_in_a_thread_the_cooperative_check_bounds_the_loop_and_no_signal_is_touched():
    outcome = {}

    def work():
        budget = CpuBudget(0.05)
        try:
            with budget:
                while True:
                    sum(range(1000))
                    budget.check()
        except CpuBudgetExceeded as err:
            outcome["error"] = err
            outcome["handler"] = signal.getsignal(signal.SIGVTALRM)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert isinstance(outcome["error"], CpuBudgetExceeded) and outcome["error"].used > 0.05
    assert outcome["handler"] is signal.SIG_DFL


def _page(body: bytes, url: str = "http://127.0.0.1:9/site/a.html") -> P.FetchedPage:
    entry = FeedEntry(url=url, guid=None, title="A title", author=None, published_at=None, summary_html=None,
                      content_html=None, language=None)
    cand = P.Candidate("id", url, entry, "http://127.0.0.1:9/site/feed.xml", "127.0.0.1:9/site")
    return P.FetchedPage(cand, url, body, NOW, {"sha256": "0" * 64})


def paragraphs(n: int) -> str:
    return "".join(f"<p>The harbour board met on evening {i} and agreed to dredge the north channel before the "
                   f"spring, when the ferries return to their summer timetable and fleet {i} comes home.</p>"
                   for i in range(n))


def test_a_page_over_its_extraction_budget_is_a_cpu_budget_failure():
    body = ("<html><body><article><h1>A title</h1>" + paragraphs(3000) + "</article></body></html>").encode()
    failed = P.extract_fetched(_page(body), cpu_seconds=0.01)
    assert isinstance(failed, P.ArticleFailure)
    assert failed.error_class == "cpu_budget" and "CPU budget" in failed.error
    ok = P.extract_fetched(_page(("<html><body><article><h1>A title</h1>" + paragraphs(3)
                                  + "</article></body></html>").encode()), cpu_seconds=20)
    assert isinstance(ok, P.RawArticle) and P.unpack_text(ok.text).count("harbour board") == 3


def _raw(n: int, text: str, site: str = "127.0.0.1:9/site") -> P.RawArticle:
    url = f"http://127.0.0.1:9/site/{n}.html"
    entry = FeedEntry(url=url, guid=None, title=f"Story {n}", author=None, published_at=None, summary_html=None,
                      content_html=None, language=None)
    cand = P.Candidate(f"id{n}", url, entry, "http://127.0.0.1:9/site/feed.xml", site)
    return P.RawArticle(cand, url, url, text, f"Story {n}", None, NOW, "feed", None, "feed", NOW, None)


def test_a_page_over_its_cleaning_budget_fails_alone_and_its_site_goes_on():
    leads = ["The council met on Monday and talked for hours about the potholes on Mill Road.",
             "A heron has nested on the roof of the old cinema, to the delight of birdwatchers.",
             "Rain delayed the harvest festival by a week, organisers said on Thursday night.",
             "The library will lend tools from March, starting with drills, saws and ladders."]
    stories = [f"{lead}\nShare this article\nIts {word} paragraph adds a quote from a resident who was there."
               for lead, word in zip(leads, ("second", "next", "other", "last"))]
    # Fifty thousand short lines: cleaning them takes seconds, far over a tenth of a second.
    monster = "\n".join(f"Line {i} of a page that never ends" for i in range(50_000))
    # In a worker process, as a run cleans (the budget's timer is armed there: its main thread).
    with cf.ProcessPoolExecutor(1) as pool:
        batch, learned, failed = P.clean_articles([_raw(n, t) for n, t in enumerate(stories)] + [_raw(9, monster)],
                                                 {}, pool.map, cpu_seconds=0.1)
    assert [f.url for f in failed] == ["http://127.0.0.1:9/site/9.html"]
    assert failed[0].error_class == "cpu_budget"
    alone, learned_alone, none_failed = P.clean_articles([_raw(n, t) for n, t in enumerate(stories)], {})
    assert none_failed == []
    assert batch.rows.equals(alone.rows)
    assert all("Share this article" not in text for text in batch.rows.column("text").to_pylist())
    assert learned == learned_alone


def test_a_page_whose_cleaning_raises_fails_alone_and_its_site_goes_on(monkeypatch):
    real = P.clean_page

    def tripping(text, *args):   # a rule that trips on copy nobody foresaw
        if "heron" in text:
            raise IndexError("list index out of range")
        return real(text, *args)

    monkeypatch.setattr(P, "clean_page", tripping)
    leads = ["The council met on Monday and talked for hours about the potholes on Mill Road.",
             "A heron has nested on the roof of the old cinema, to the delight of birdwatchers.",
             "Rain delayed the harvest festival by a week, organisers said on Thursday night."]
    batch, _, failed = P.clean_articles([_raw(n, t) for n, t in enumerate(leads)], {})
    assert [(f.url, f.error_class, f.error) for f in failed] == [
        ("http://127.0.0.1:9/site/1.html", "clean_error", "IndexError: list index out of range")]
    assert batch.rows.column("text").to_pylist() == [leads[0], leads[2]]


def test_the_grouping_stage_counts_a_page_over_budget_and_writes_the_others(tmp_path):
    from flows import ingest
    from tasks.storage import Lake

    leads = ["The ferry timetable changes on Sunday, when the winter service begins at the harbour.",
             "Two new teachers join the village school after the half-term holiday, the head said."]
    raws = [_raw(n, lead) for n, lead in enumerate(leads)]
    raws.insert(1, _raw(5, "\n".join(f"Line {i} of a page that never ends" for i in range(50_000))))
    lake = Lake(str(tmp_path / "lake"))
    counts = ingest.clean_and_group.fn(lake, raws, "run-1", {"extractor": "x", "cleaner": "c"}, map, 0.1)
    assert counts["pages_failed"] == 1 and counts["new_stories"] == 2
    assert sorted(lake.read_table("articles").column("text").to_pylist()) == sorted(leads)
