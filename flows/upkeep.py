"""Lake upkeep: compaction and health checks, each holding the lake's run lock like a run."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flows.lock import run_lock
from flows.objectstore import open_lake
from flows.settings import load_settings
from tasks.catalog import refresh_catalog
from tasks.check import QUARANTINE, Problem, check_catalog, check_lake, repair
from tasks.compact import COMPACTED_TABLES, Compaction, collect_garbage, compact_table


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class CompactSummary:
    tables: list[Compaction]
    deleted: list[str]
    seconds: float

    def lines(self) -> list[str]:
        out = [f"{c.table}: {c.files_before} files -> {c.files_after} ({c.merged} merged into {len(c.written)}, "
               f"{c.rows} rows; manifest generation {c.generation})" for c in self.tables if c.written]
        if not out:
            out.append("nothing to compact")
        out.append(f"deleted {len(self.deleted)} replaced or orphaned files; {self.seconds:.1f} s")
        return out


def compact(data_dir: str, overrides: dict | None = None, older_than_days: int | None = None) -> CompactSummary:
    """Compact every append-mode table of the lake of `data_dir`, rebuild the catalog, then collect garbage.

    The catalog is rebuilt before anything is deleted, so that it never names a deleted file;
    files replaced less than the `compact_grace_minutes` setting ago stay for readers of older
    catalogs. Raises Busy when a run holds the lake.
    """
    settings = load_settings(data_dir, overrides)
    start = utcnow()
    with run_lock(data_dir, settings.lake_root, settings.lock_lease_seconds):
        lake = open_lake(settings.lake_root)
        lake.check()
        lake.remove_temporaries()   # a killed run's or compaction's: under the run lock, we are the only writer
        now = utcnow()
        done = [compact_table(lake, t, today=now.date(), now=now, older_than_days=older_than_days)
                for t in COMPACTED_TABLES]
        refresh_catalog(lake, settings.catalog_path)
        grace = timedelta(minutes=settings.compact_grace_minutes)
        deleted = [k for t in COMPACTED_TABLES for k in collect_garbage(lake, t, now=utcnow(), grace=grace)]
    return CompactSummary(done, deleted, (utcnow() - start).total_seconds())


@dataclass
class CheckReport:
    problems: list[Problem]
    counts: dict[str, int]
    repaired: list[str] = field(default_factory=list)


def check(data_dir: str, overrides: dict | None = None, fix: bool = False) -> CheckReport:
    """Check the lake and catalog of `data_dir`; with `fix`, quarantine unreadable files to
    DATA/quarantine/, delete stray temporaries and rebuild the catalog. Raises Busy when a run holds the lake
    (its temporaries would look like a killed run's)."""
    settings = load_settings(data_dir, overrides)
    with run_lock(data_dir, settings.lake_root, settings.lock_lease_seconds):
        lake = open_lake(settings.lake_root)
        lake.check()
        problems, counts = check_lake(lake)
        folder = os.path.dirname(settings.catalog_path)
        stray = [Problem(os.path.join(folder, n), "temporary file of a killed catalog rebuild", "repair deletes it",
                         "delete-local")
                 for n in sorted(os.listdir(folder)) if n.startswith(".news.duckdb.") and ".tmp" in n]
        # A damaged file breaks the catalog's views too: it is named once, as the file's problem.
        problems += stray + check_catalog(lake, settings.catalog_path,
                                          read_views=not any(p.repair == QUARANTINE for p in problems))
        report = CheckReport(problems, counts)
        if fix and problems:
            report.repaired = repair(lake, problems, os.path.join(settings.data_dir, "quarantine"))
            for p in stray:
                os.remove(p.where)
                report.repaired.append(f"{p.where}: deleted")
            refresh_catalog(lake, settings.catalog_path)
            report.repaired.append(f"catalog rebuilt: {settings.catalog_path}")
    return report
