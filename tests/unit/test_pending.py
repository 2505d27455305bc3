"""The failed-pages queue: backoff, give-up, 404/410 at once, robots, and what leaves the queue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from schemas.tables import PENDING_PAGES
from tasks.feeds import FeedEntry
from tasks.pending import (KEEP_GIVEN_UP, RetryPolicy, candidate_of, due_candidates, queued_ids, record_failure,
                           update_queue)
from tasks.pipeline import ArticleFailure, Candidate

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy()   # 15 minutes, doubling, capped at 24 hours, given up after 3 days
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def cand(n: int = 1) -> Candidate:
    url = f"https://harbor.example/2026/11/ferry-{n}.html"
    entry = FeedEntry(url=url, guid=f"ferry-{n}", title=f"Ferry timetable {n}", author="Ada Quay",
                      published_at=T0 - HOUR, summary_html=None, content_html=None, language="en")
    return Candidate(f"id{n:03d}", url, entry, "https://harbor.example/feed.xml", "harbor.example", "feedsha")


def fail(c: Candidate, error_class: str = "http_5xx", status: int | None = 500) -> ArticleFailure:
    return ArticleFailure(c.entry.url, c.feed_url, error_class, f"{error_class} from {c.entry.url}", status)


def run(rows, attempted, failed, now, policy=POLICY, known=frozenset()):
    """One run's queue update: `failed` are the attempted candidates that failed (with fail())."""
    return update_queue(rows, attempted, {f.url: f for f in failed}, set(known), now, policy)


def stored(rows: list[dict]) -> list[dict]:
    """The rows as the lake gives them back (through the table's Arrow schema)."""
    return pa.Table.from_pylist(rows, schema=PENDING_PAGES.schema).to_pylist()


def test_a_new_failure_is_queued_with_its_feed_entry():
    c = cand()
    rows, counts = run([], [c], [fail(c)], T0)
    assert set(rows[0]) == set(PENDING_PAGES.column_names)   # every column of the table is set
    row = stored(rows)[0]
    assert (row["attempts"], row["first_seen_at"], row["last_error_class"], row["last_http_status"]) == (1, T0, "http_5xx", 500)
    assert row["next_attempt_at"] == T0 + 15 * MIN and row["gave_up_at"] is None
    assert candidate_of(row) == c   # all a candidate needs comes back from the table
    assert (counts.retried, counts.recovered, counts.given_up) == (0, 0, 0)


def test_waits_double_up_to_the_cap_and_the_last_try_is_at_the_give_up_time():
    c, rows, now, attempts_at = cand(), [], T0, []
    while True:
        attempts_at.append(now)
        rows, _ = run(stored(rows), [c], [fail(c)], now)
        if rows[0]["gave_up_at"] is not None:
            break
        due = rows[0]["next_attempt_at"]
        assert due_candidates(stored(rows), due - MIN, set()) == []
        assert due_candidates(stored(rows), due, set()) == [c]
        now = due
    waits = [b - a for a, b in zip(attempts_at, attempts_at[1:])]
    assert waits[:8] == [15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, DAY]
    assert max(waits) == DAY                                   # capped
    assert attempts_at[-1] == T0 + 3 * DAY                     # clamped to the give-up time
    row = rows[0]
    assert row["attempts"] == len(attempts_at) == 10
    assert row["gave_up_at"] == T0 + 3 * DAY and row["next_attempt_at"] is None
    assert row["gave_up_reason"] == "still failing (http_5xx) 3 days after the first failure (10 attempts)"


def test_zero_base_retries_on_the_very_next_run():
    c = cand()
    rows, _ = run([], [c], [fail(c, "timeout", None)], T0, RetryPolicy(base=timedelta(0)))
    assert rows[0]["next_attempt_at"] == T0
    assert due_candidates(stored(rows), T0 + timedelta(seconds=20), set()) == [c]


@pytest.mark.parametrize("status", [404, 410])
def test_gone_pages_give_up_at_once(status):
    c = cand()
    rows, counts = run([], [c], [fail(c, "http_4xx", status)], T0)
    assert rows[0]["gave_up_at"] == T0 and rows[0]["next_attempt_at"] is None
    assert rows[0]["gave_up_reason"] == f"HTTP {status}: the page is gone"
    assert counts.given_up == 1
    assert due_candidates(stored(rows), T0 + 10 * DAY, set()) == []


@pytest.mark.parametrize("status", [403, 429, 451])
def test_other_client_errors_are_retried(status):
    c = cand()
    rows, _ = run([], [c], [fail(c, "http_4xx", status)], T0)
    assert rows[0]["gave_up_at"] is None and rows[0]["next_attempt_at"] == T0 + 15 * MIN


def test_a_page_that_held_no_article_is_given_up_at_once():
    c = cand()
    rows, _ = run([], [c], [fail(c, "extract_error", None)], T0)
    assert rows[0]["gave_up_at"] == T0
    assert rows[0]["gave_up_reason"].startswith("extract_error: the page was served")


def test_a_robots_refusal_is_checked_again_at_the_cap_interval_until_the_give_up_time():
    c = cand()
    rows, _ = run([], [c], [fail(c, "robots", None)], T0)
    assert rows[0]["next_attempt_at"] == T0 + DAY
    rows, _ = run(stored(rows), [c], [fail(c, "robots", None)], T0 + 2.5 * DAY)
    assert rows[0]["next_attempt_at"] == T0 + 3 * DAY
    rows, counts = run(stored(rows), [c], [fail(c, "robots", None)], T0 + 3 * DAY)
    assert rows[0]["gave_up_reason"] == "still failing (robots) 3 days after the first failure (3 attempts)"
    assert counts.given_up == 1 and counts.retried == 1


def test_a_page_that_succeeds_leaves_the_queue_and_counts_as_recovered():
    a, b, new = cand(1), cand(2), cand(3)
    rows, _ = run([], [a, b], [fail(a), fail(b)], T0)
    rows, counts = run(stored(rows), [a, b, new], [fail(b)], T0 + HOUR)
    assert [r["article_id"] for r in rows] == [b.article_id]
    assert rows[0]["attempts"] == 2
    assert (counts.retried, counts.recovered, counts.given_up) == (2, 1, 0)


def test_queued_pages_whose_article_is_stored_are_dropped():
    """A run that died after writing its articles but before the queue: the next run must not fetch them again."""
    a, b = cand(1), cand(2)
    rows = stored(run([], [a, b], [fail(a), fail(b)], T0, RetryPolicy(base=timedelta(0)))[0])
    assert due_candidates(rows, T0 + MIN, {a.article_id}) == [b]
    rows, counts = run(rows, [], [], T0 + MIN, known={a.article_id})
    assert [r["article_id"] for r in rows] == [b.article_id] and counts.recovered == 0


def test_given_up_pages_stay_queued_for_a_while_then_go():
    c = cand()
    rows = stored(run([], [c], [fail(c, "http_4xx", 404)], T0)[0])
    assert queued_ids(rows) == {c.article_id}   # a feed listing it again does not bring it back
    assert run(rows, [], [], T0 + KEEP_GIVEN_UP - MIN)[0] != []
    assert run(rows, [], [], T0 + KEEP_GIVEN_UP)[0] == []


def test_due_pages_come_oldest_first():
    a, b = cand(1), cand(2)
    rows = stored(run([], [b], [fail(b)], T0)[0])
    rows = stored(run(rows, [a], [fail(a)], T0 + MIN)[0])
    assert due_candidates(rows, T0 + DAY, set()) == [b, a]


@pytest.mark.parametrize("field", ["base", "cap", "give_up"])
def test_negative_durations_are_refused(field):
    with pytest.raises(ValueError, match=f"{field} must be >= 0"):
        RetryPolicy(**{field: -MIN})
