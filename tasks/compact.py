"""Compaction: merge each partition's small Parquet files into few large ones, swapped in by the table's manifest."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.tables import NLP_DOCS, NLP_PARAGRAPHS, STORY_INDEX, TABLES
from tasks.nlp import entity_counts
from tasks.storage import COMPACTED_PREFIX, Lake, is_compacted

TARGET_BYTES = 128 * 2**20
# Every append-mode table: state tables are one file already, raw captures are not tables.
COMPACTED_TABLES = tuple(sorted([n for n, s in TABLES.items() if s.mode == "append"] + [STORY_INDEX, NLP_PARAGRAPHS]))


def partition_date(folder: str) -> date | None:
    """The date of a hive partition folder ("articles/published_date=2026-11-20"), else None."""
    last = folder.rsplit("/", 1)[-1]
    if "=" not in last:
        return None
    try:
        return date.fromisoformat(last.split("=", 1)[1])
    except ValueError:
        return None


def plan_compaction(files: dict[str, int], *, today: date, older_than_days: int | None = None,
                    target_bytes: int = TARGET_BYTES) -> list[tuple[str, ...]]:
    """Which files to merge: groups of keys, each group becoming one file.

    `files` maps the keys that make up a table now to their sizes. Files merge only with files
    of the same folder (partition); files of `target_bytes` or more stay as they are; the others
    are packed in name order into groups of at most `target_bytes` (by stored size), and a
    group of one file is left alone. With `older_than_days`, a dated partition is merged only
    when its date is at least that many days before `today` (recent partitions still receive
    files); folders without a date (unpartitioned tables) are always considered.
    """
    by_folder: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, size in sorted(files.items()):
        by_folder[key.rsplit("/", 1)[0]].append((key, size))
    groups: list[tuple[str, ...]] = []
    for folder, entries in sorted(by_folder.items()):
        day = partition_date(folder)
        if older_than_days is not None and day is not None and day > today - timedelta(days=older_than_days):
            continue
        bins: list[list[str]] = [[]]
        size = 0
        for key, n in entries:
            if n >= target_bytes:
                continue
            if bins[-1] and size + n > target_bytes:
                bins.append([])
                size = 0
            bins[-1].append(key)
            size += n
        groups += [tuple(b) for b in bins if len(b) >= 2]
    return groups


def compacted_key(generation: int, inputs: tuple[str, ...]) -> str:
    """The key of the file that merges `inputs` (one folder) in manifest generation `generation`."""
    folder = inputs[0].rsplit("/", 1)[0]
    digest = hashlib.sha1("\n".join(inputs).encode()).hexdigest()[:16]
    return f"{folder}/{COMPACTED_PREFIX}g{generation:06d}-{digest}.parquet"


def read_file(lake: Lake, key: str) -> pa.Table:
    """The rows of one Parquet file as stored (no partition column inferred from its path)."""
    with lake.fs.open_input_file(lake.path(key)) as f:
        return pq.ParquetFile(f).read()


def fill_derived(table: str, rows: pa.Table) -> pa.Table:
    """`rows` with the columns derived from others in the same row filled where older rows lack them.

    So far nlp_docs.entity_counts (its mentions counted per norm and label): the story_entities
    view counts the mentions of rows without it itself, so it reads the same either way, but
    faster from a merged file whose rows all have it.
    """
    if table != NLP_DOCS.name or "entities" not in rows.column_names:
        return rows
    kind = NLP_DOCS.schema.field("entity_counts").type
    have = rows.column("entity_counts") if "entity_counts" in rows.column_names else pa.nulls(rows.num_rows, kind)
    if have.null_count == 0:
        return rows
    missing = pc.indices_nonzero(pc.is_null(have)).to_pylist()
    mentions = rows.column("entities").take(missing).to_pylist()
    filled = have.to_pylist()
    for i, m in zip(missing, mentions):
        filled[i] = entity_counts(m or [])
    column = pa.array(filled, type=kind)
    if "entity_counts" in rows.column_names:
        return rows.set_column(rows.column_names.index("entity_counts"), "entity_counts", column)
    return rows.append_column("entity_counts", column)


@dataclass
class Compaction:
    """What compact_table did: files merged and written, rows moved, manifest generation."""

    table: str
    generation: int = 0
    files_before: int = 0
    files_after: int = 0
    merged: int = 0
    written: list[str] = field(default_factory=list)
    rows: int = 0


def compact_table(lake: Lake, table: str, *, today: date, now: datetime, older_than_days: int | None = None,
                  target_bytes: int = TARGET_BYTES) -> Compaction:
    """Merge the small files of `table` (see plan_compaction) and swap the manifest once.

    The merged files are written first, under names no reader follows; then one manifest write
    (a rename locally, one PUT in an object store) makes them the table's and the inputs
    replaced. The inputs stay where they are (readers of an older catalog still read them)
    until collect_garbage. The caller holds the run lock. Rows are kept exactly: every version
    and every duplicate stays, so every view reads the same before and after (derived columns
    that older rows lack are filled in: fill_derived).
    """
    manifest = lake.read_manifest(table)
    live = lake.table_files(table, manifest)
    sizes = lake.file_sizes(table)
    result = Compaction(table, manifest["generation"], files_before=len(live), files_after=len(live))
    groups = plan_compaction({k: sizes[k] for k in live}, today=today, older_than_days=older_than_days,
                             target_bytes=target_bytes)
    if not groups:
        return result
    generation = manifest["generation"] + 1
    consumed: set[str] = set()
    for inputs in groups:
        # Columns added to a table since older files were written are filled with nulls, as the
        # views' union_by_name does.
        merged = fill_derived(table, pa.concat_tables([read_file(lake, k) for k in inputs],
                                                      promote_options="permissive"))
        key = compacted_key(generation, inputs)
        lake.write_file(key, merged)
        result.written.append(key)
        result.rows += merged.num_rows
        consumed.update(inputs)
    when = now.isoformat()
    lake.write_manifest(table, {
        "generation": generation,
        "files": sorted((set(manifest["files"]) - consumed) | set(result.written)),
        "replaced": {**manifest["replaced"], **{k: when for k in sorted(consumed)}},
    })
    result.generation = generation
    result.merged = len(consumed)
    result.files_after = len(live) - len(consumed) + len(result.written)
    return result


def collect_garbage(lake: Lake, table: str, *, now: datetime, grace: timedelta) -> list[str]:
    """Delete what no current reader needs; returns the keys deleted.

    Files the manifest replaced at least `grace` ago go (a catalog built before their
    compaction still reads them until then), as do compacted files that no manifest ever
    listed (a compaction killed before its swap). Entries of replaced files that are gone
    leave the manifest afterwards, never before: a file must not come back into the table.
    """
    manifest = lake.read_manifest(table)
    present = set(lake.list_files(table))
    live = set(manifest["files"])
    deleted = []
    for key in sorted(present):
        when = manifest["replaced"].get(key)
        expired = when is not None and now - datetime.fromisoformat(when) >= grace
        orphan = is_compacted(key) and key not in live and when is None
        if expired or orphan:
            lake.delete(key)
            deleted.append(key)
    present.difference_update(deleted)
    kept = {k: w for k, w in manifest["replaced"].items() if k in present}
    if kept != manifest["replaced"]:
        lake.write_manifest(table, {**manifest, "replaced": kept})
    return deleted
