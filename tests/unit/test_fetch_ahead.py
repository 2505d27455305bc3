"""The fetch stage: fetching runs a bounded distance ahead of extraction (flows.ingest.fetch_then_extract),
and the run's fetch log is stored as it was made."""
import concurrent.futures as cf
import threading
from datetime import datetime, timezone

from flows.ingest import fetch_then_extract
from tasks import pipeline as P

BATCH = 10


def _pages(batch: list[int]) -> list:
    """A fetched batch: a page per candidate, and a failure for every seventh."""
    return [P.ArticleFailure(f"http://127.0.0.1/{c}", "feed", "http_404", "gone") if c % 7 == 0 else
            P.FetchedPage(None, f"http://127.0.0.1/{c}", b"<html>" + b"x" * 1000, datetime.now(timezone.utc),
                          {"sha256": str(c)})
            for c in batch]


def _run(n_batches: int, **bounds) -> tuple[list, list, int]:
    """Results, captures, and the most pages fetched but not yet extracted at any moment."""
    lock = threading.Lock()
    count = {"fetched": 0, "extracted": 0, "lead": 0}

    def fetch_batch(batch):
        pages = _pages(batch)
        with lock:
            count["fetched"] += sum(isinstance(p, P.FetchedPage) for p in pages)
        return pages

    def extract_one(page):
        with lock:
            count["lead"] = max(count["lead"], count["fetched"] - count["extracted"])
            count["extracted"] += 1
        return page.url

    batches = [list(range(i * BATCH, (i + 1) * BATCH)) for i in range(n_batches)]
    with cf.ThreadPoolExecutor(8) as threads:
        results, captures = fetch_then_extract(batches, lambda b: threads.submit(fetch_batch, b),
                                               lambda pages: map(extract_one, pages), lambda done: None, **bounds)
    return results, captures, count["lead"]


def test_every_candidate_has_a_result_and_every_page_a_capture():
    results, captures, _ = _run(40)
    pages = [c for c in range(400) if c % 7]
    assert sorted(r for r in results if isinstance(r, str)) == sorted(f"http://127.0.0.1/{c}" for c in pages)
    assert len([r for r in results if isinstance(r, P.ArticleFailure)]) == 400 - len(pages)
    assert sorted(int(c["sha256"]) for c in captures) == pages


def test_fetching_waits_for_extraction():
    # 400 pages; at most 3 batches fetched ahead and 25 pages awaiting extraction: the pages held
    # at once stay near that, not the run's whole count.
    _, _, lead = _run(40, ahead=3, max_waiting=25)
    assert lead <= 25 + (3 + 1) * BATCH
    # Unbounded, every page would be fetched before extraction caught up.
    _, _, unbounded = _run(40, ahead=40, max_waiting=10_000)
    assert unbounded > 25 + (3 + 1) * BATCH


def test_the_fetch_log_is_stored_in_request_order_with_the_run_id():
    from flows.ingest import fetches_table

    log = [{"url": f"http://127.0.0.1/{i}", "kind": "page", "status": 200 if i % 3 else None, "bytes": i, "ms": 2,
            "error_class": None if i % 3 else "timeout", "error": None} for i in range(5)]
    rows = fetches_table(log, "run-7").to_pylist()
    assert rows == [{"run_id": "run-7", "seq": i, **row} for i, row in enumerate(log)]


def test_a_slow_batch_holds_no_other():
    # The first host is slow: its batch is still being fetched when the others are in, and their
    # pages go to extraction meanwhile (taken in order, every other batch would wait for it).
    others_extracted = threading.Event()
    extracted = []

    def fetch_batch(batch):
        if batch[0] == 0:
            others_extracted.wait(timeout=10)
        return _pages(batch)

    def extract_one(page):
        extracted.append(page.url)
        if len(extracted) == 20:
            others_extracted.set()
        return page.url

    batches = [list(range(i * BATCH, (i + 1) * BATCH)) for i in range(6)]
    with cf.ThreadPoolExecutor(4) as threads:
        results, _ = fetch_then_extract(batches, lambda b: threads.submit(fetch_batch, b),
                                        lambda pages: [extract_one(p) for p in pages], lambda done: None,
                                        ahead=4, max_waiting=10_000)
    assert others_extracted.is_set() and not any(u.endswith("/1") for u in extracted[:20])
    assert sorted(r for r in results if isinstance(r, str)) == sorted(extracted)
