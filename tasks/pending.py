"""The queue of article pages that failed: when to try each again, and when to give it up."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tasks.feeds import FeedEntry
from tasks.fetch import next_fetch_at
from tasks.pipeline import ArticleFailure, Candidate

GONE_STATUSES = frozenset({404, 410})   # the server says the page is gone: given up at once
# Failures a retry cannot mend: the link can never be fetched, or the page was served and its
# capture kept (a retry would fetch the same page; a backfill with a newer extractor re-derives it).
HOPELESS = {
    "bad_url": "the link is not a fetchable URL",
    "bad_scheme": "the link is not http or https",
    "extract_error": "the page was served but held no article text (its capture is kept for backfills)",
}
# Given-up rows stay this long, so that a feed still listing the page does not have it fetched
# again on every run; feeds list an item for days, rarely for more than a few weeks.
KEEP_GIVEN_UP = timedelta(days=30)


@dataclass(frozen=True)
class RetryPolicy:
    """When failed pages are tried again.

    `base`: the wait after the first failure, doubled after each further one and capped at
    `cap` (zero: due on the very next run); `give_up`: how long after its first failure a page
    that still fails is given up. A robots.txt refusal is checked again every `cap` (each check
    costs a robots.txt request at most, never a page request while robots.txt refuses it).
    """

    base: timedelta = timedelta(minutes=15)
    cap: timedelta = timedelta(hours=24)
    give_up: timedelta = timedelta(days=3)

    def __post_init__(self) -> None:
        for name in ("base", "cap", "give_up"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")


@dataclass
class QueueCounts:
    retried: int = 0      # queued pages attempted again
    recovered: int = 0    # of those, pages that did not fail this time
    given_up: int = 0     # pages given up (queued ones and new ones)


def candidate_of(row: Mapping) -> Candidate:
    """The Candidate a `pending_pages` row stands for (its feed entry, without HTML)."""
    entry = FeedEntry(url=row["url"], guid=row["guid"], title=row["title"], author=row["author"],
                      published_at=row["published_at"], summary_html=None, content_html=None,
                      language=row["language"])
    return Candidate(row["article_id"], row["canonical_url"], entry, row["feed_url"], row["site"], row["feed_sha256"])


def queued_ids(rows: Iterable[Mapping]) -> set[str]:
    """Article ids of every queued page, pending or given up: the queue, not a feed listing, decides when they are fetched."""
    return {r["article_id"] for r in rows}


def due_candidates(rows: Iterable[Mapping], now: datetime, known_ids: set[str]) -> list[Candidate]:
    """Candidates of the pending pages due at `now` (given-up pages and stored articles excluded), oldest first."""
    due = [r for r in rows if r["gave_up_at"] is None and r["article_id"] not in known_ids
           and r["next_attempt_at"] is not None and r["next_attempt_at"] <= now]
    return [candidate_of(r) for r in sorted(due, key=lambda r: (r["first_seen_at"], r["article_id"]))]


def _new_row(cand: Candidate, now: datetime) -> dict:
    e = cand.entry
    return {"url": e.url, "feed_url": cand.feed_url, "first_seen_at": now, "attempts": 0,
            "article_id": cand.article_id, "canonical_url": cand.canonical_url, "site": cand.site,
            "feed_sha256": cand.feed_sha256, "guid": e.guid, "title": e.title, "author": e.author,
            "published_at": e.published_at, "language": e.language,
            "next_attempt_at": None, "gave_up_at": None, "gave_up_reason": None}


def record_failure(row: Mapping, failure: ArticleFailure, now: datetime, policy: RetryPolicy) -> dict:
    """`row` after one more failed attempt at `now`: its next attempt, or given up with the reason.

    404 and 410 and the HOPELESS error classes give up at once; other failures wait
    policy.base * 2**(attempts-1), capped at policy.cap; a robots.txt refusal waits policy.cap.
    The last attempt is made when policy.give_up has passed since the first failure: a page
    that fails then is given up.
    """
    out = dict(row)
    attempts = (row.get("attempts") or 0) + 1
    out.update(attempts=attempts, last_attempt_at=now, last_error_class=failure.error_class,
               last_error=failure.error, last_http_status=failure.status, next_attempt_at=None)
    deadline = row["first_seen_at"] + policy.give_up
    if failure.status in GONE_STATUSES:
        reason = f"HTTP {failure.status}: the page is gone"
    elif failure.error_class in HOPELESS:
        reason = f"{failure.error_class}: {HOPELESS[failure.error_class]}"
    elif now >= deadline:
        reason = (f"still failing ({failure.error_class}) {_days(policy.give_up)} after the first failure "
                  f"({attempts} attempts)")
    else:
        if failure.error_class == "robots":
            wait = policy.cap
        elif policy.base <= timedelta(0):
            wait = timedelta(0)
        else:
            wait = next_fetch_at(attempts - 1, now, base=policy.base, cap=max(policy.cap, policy.base)) - now
        out["next_attempt_at"] = min(now + wait, deadline)
        return out
    out.update(gave_up_at=now, gave_up_reason=reason)
    return out


def _days(d: timedelta) -> str:
    days = d / timedelta(days=1)
    return f"{days:g} day{'s' if days != 1 else ''}"


def update_queue(rows: Iterable[Mapping], attempted: Sequence[Candidate], failures: Mapping[str, ArticleFailure],
                 known_ids: set[str], now: datetime, policy: RetryPolicy) -> tuple[list[dict], QueueCounts]:
    """The queue after a run: `rows` (the stored queue), the candidates the run `attempted`, and
    their `failures` by page URL (a candidate without one succeeded).

    Failed pages are added or rescheduled (record_failure); pages that succeeded, and pages
    whose article is stored (`known_ids`: a run that died after its articles were written),
    leave the queue; given-up rows leave it KEEP_GIVEN_UP after they were given up. Returns
    the rows sorted by article id, and the counts.
    """
    queue = {r["article_id"]: dict(r) for r in rows
             if r["article_id"] not in known_ids and (r["gave_up_at"] is None or now - r["gave_up_at"] < KEEP_GIVEN_UP)}
    counts = QueueCounts()
    for cand in attempted:
        was = queue.get(cand.article_id)
        if was is not None and was["gave_up_at"] is None:
            counts.retried += 1
        failure = failures.get(cand.entry.url)
        if failure is None:
            if queue.pop(cand.article_id, None) is not None:
                counts.recovered += 1
            continue
        row = record_failure(was or _new_row(cand, now), failure, now, policy)
        counts.given_up += row["gave_up_at"] is not None and (was is None or was["gave_up_at"] is None)
        queue[cand.article_id] = row
    return [queue[k] for k in sorted(queue)], counts
