"""Compaction as a Prefect flow, for `newsflow serve --compact-cron` (imported once Prefect's API is set)."""
from __future__ import annotations

from prefect import flow

from flows.lock import Busy
from flows.upkeep import compact


@flow(name="newsflow-compact")
def compact_flow(data_dir: str, overrides: dict | None = None, older_than_days: int | None = None) -> str:
    """Scheduled compaction (newsflow serve --compact-cron): skipped, not failed, while a run holds the lake."""
    try:
        summary = compact(data_dir, overrides, older_than_days)
    except Busy as e:
        print(f"compaction skipped: {e}", flush=True)
        return "skipped"
    print("\n".join(summary.lines()), flush=True)
    return "ok"
