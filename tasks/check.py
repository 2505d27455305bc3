"""Lake health: every Parquet footer and schema, every raw capture's hash, every view; quarantine on request."""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import NLP_PARAGRAPHS, STORY_INDEX, TABLES
from schemas.views import VIEWS
from tasks.catalog import catalog_lake_root, connect, view_statements
from tasks.storage import LAKE_META, MANIFEST, SCHEMA_VERSION, Lake

QUARANTINE = "quarantine"   # repair moves the file out of the lake
DELETE = "delete"           # repair deletes the file (a temporary: never part of the lake)
REBUILD = "rebuild"         # repair rebuilds the catalog


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (a key in the lake, or a path), what, what to do, and how repair fixes it (or None)."""

    where: str
    what: str
    action: str
    repair: str | None = None

    def line(self) -> str:
        return f"{self.where}: {self.what}; {self.action}"


def _table_folders(lake: Lake) -> list[str]:
    names = set(TABLES) | {STORY_INDEX, NLP_PARAGRAPHS}
    return sorted(n for n in names if lake.file_sizes(n) or lake.file_sizes(n, hidden=True))


def readable_as(found: pa.DataType, declared: pa.DataType) -> bool:
    """Whether a column of type `found` reads as `declared`: the same type, or an older form of it
    (a struct, maybe in a list, that lacks fields added since: they read as nulls)."""
    if found.equals(declared):
        return True
    if pa.types.is_list(found) and pa.types.is_list(declared):
        return readable_as(found.value_type, declared.value_type)
    if pa.types.is_struct(found) and pa.types.is_struct(declared):
        fields = {declared.field(i).name: declared.field(i).type for i in range(declared.num_fields)}
        return all(f.name in fields and readable_as(f.type, fields[f.name]) for f in found)
    return False


def check_parquet(lake: Lake, key: str) -> Problem | None:
    """A problem if the file's footer cannot be read or a column has another type than its table declares."""
    try:
        with lake.fs.open_input_file(lake.path(key)) as f:
            schema = pq.ParquetFile(f).schema_arrow
    except (OSError, pa.ArrowException) as e:
        return Problem(key, f"unreadable Parquet file ({type(e).__name__}: {str(e).splitlines()[0][:160]})",
                       "repair quarantines it (its rows leave the table; a backfill can re-derive articles "
                       "from their raw captures)", QUARANTINE)
    spec = TABLES.get(key.split("/", 1)[0])
    if spec is not None:
        for col in spec.columns:
            if col.name in schema.names and not readable_as(schema.field(col.name).type, col.type):
                return Problem(key, f"column {col.name} is {schema.field(col.name).type}, the table declares {col.type}",
                               "repair quarantines it (its rows leave the table)", QUARANTINE)
    return None


def check_capture(lake: Lake, key: str) -> Problem | None:
    """A problem if a raw capture does not decompress to bytes whose SHA-256 is its name."""
    expected = key.rsplit("/", 1)[-1].removesuffix(".gz")
    try:
        got = hashlib.sha256(gzip.decompress(lake.get_bytes(key))).hexdigest()
    except (OSError, EOFError, zlib.error) as e:
        return Problem(key, f"corrupt raw capture (does not decompress: {e})",
                       "repair quarantines it (backfills can no longer replay it)", QUARANTINE)
    if got != expected:
        return Problem(key, f"corrupt raw capture (its content hashes to {got[:12]}..., not its name)",
                       "repair quarantines it (backfills can no longer replay it)", QUARANTINE)
    return None


def check_views(lake: Lake) -> list[Problem]:
    """A problem for every view that cannot be read in full over the lake as it is now."""
    con = connect()
    try:
        if lake.fsspec is not None:
            con.register_filesystem(lake.fsspec)
        try:
            for stmt in view_statements(lake):
                con.execute(stmt)
        except duckdb.Error as e:
            return [Problem("views", f"cannot be built ({str(e).splitlines()[0][:200]})",
                            "fix the files named above (repair), then `newsflow catalog`", REBUILD)]
        out = []
        for name in VIEWS:
            try:
                con.execute(f"SELECT count(*) FROM {name}").fetchone()
            except duckdb.Error as e:
                out.append(Problem(f"view {name}", f"fails ({str(e).splitlines()[0][:200]})",
                                   "fix the files named above (repair)", REBUILD))
        return out
    finally:
        con.close()


def check_catalog(lake: Lake, db_path: str, read_views: bool = True) -> list[Problem]:
    """Problems of the catalog file: missing, unreadable, built for another lake (a moved data
    directory), and with `read_views`, a view that fails."""
    action = f"run `newsflow catalog --data {os.path.dirname(db_path)}` (repair does)"
    if not os.path.exists(db_path):
        return [Problem(db_path, "no catalog", action, REBUILD)]
    try:
        con = connect(db_path, read_only=True)
    except duckdb.Error as e:
        return [Problem(db_path, f"unreadable catalog ({str(e).splitlines()[0][:160]})", action, REBUILD)]
    try:
        root = catalog_lake_root(con)
        if root != lake.uri():
            return [Problem(db_path, f"its views read the lake at {root}, not {lake.uri()} (moved or copied?)",
                            action, REBUILD)]
        if lake.fsspec is not None:
            con.register_filesystem(lake.fsspec)
        for name in VIEWS if read_views else ():
            try:
                con.execute(f"SELECT count(*) FROM {name}").fetchone()
            except duckdb.Error as e:
                return [Problem(db_path, f"view {name} fails ({str(e).splitlines()[0][:160]})", action, REBUILD)]
    finally:
        con.close()
    return []


def check_lake(lake: Lake) -> tuple[list[Problem], dict[str, int]]:
    """Every problem found in the lake, and counts of what was checked.

    Reads the schema version, each table's manifest (and that the files it lists exist), the
    footer and schema of every Parquet file, every raw capture (decompressed and hashed), looks
    for temporaries left by killed writers, and builds and reads every view.
    """
    problems: list[Problem] = []
    counts = {"parquet": 0, "captures": 0, "views": len(VIEWS)}
    try:
        version = lake.schema_version()
        if version > SCHEMA_VERSION:
            problems.append(Problem(LAKE_META, f"schema version {version} is newer than this newsflow reads "
                                    f"({SCHEMA_VERSION})", "upgrade newsflow"))
            return problems, counts
    except (ValueError, KeyError, TypeError):
        problems.append(Problem(LAKE_META, "unreadable schema version record",
                                f'write {{"schema_version": {SCHEMA_VERSION}}} to it'))
    for key in lake.file_sizes("", hidden=True):
        if key.rsplit("/", 1)[-1].startswith(".tmp-"):
            problems.append(Problem(key, "temporary file of a killed writer (never part of the lake)",
                                    "repair deletes it", DELETE))
    for table in _table_folders(lake):
        try:
            manifest = lake.read_manifest(table)
        except ValueError:
            problems.append(Problem(f"{table}/{MANIFEST}", "unreadable manifest: which files make up the table "
                                    "is unknown", "restore it from a backup"))
            continue
        present = lake.file_sizes(table)
        for key in manifest["files"]:
            if key not in present:
                problems.append(Problem(key, "listed by its table's manifest but missing: its rows are gone",
                                        "restore it from a backup or the quarantine folder"))
        for key in present:
            if key.endswith(".parquet"):
                counts["parquet"] += 1
                if (p := check_parquet(lake, key)) is not None:
                    problems.append(p)
    for key in lake.list_files("raw"):
        counts["captures"] += 1
        if (p := check_capture(lake, key)) is not None:
            problems.append(p)
    # Else the views fail on the same files (or cannot be listed): those are named already.
    if not any(p.repair == QUARANTINE or p.where.endswith(MANIFEST) for p in problems):
        problems += check_views(lake)
    return problems, counts


def quarantine(lake: Lake, key: str, folder: str) -> str:
    """Move the file at `key` out of the lake to `folder`/`key` (a local path); returns where it went."""
    dest = os.path.join(folder, *key.split("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    n = 1
    while os.path.exists(dest):   # an earlier repair's file of the same name is kept too
        dest = f"{dest.rsplit('.~', 1)[0]}.~{n}"
        n += 1
    with open(dest, "wb") as f:
        f.write(lake.get_bytes(key))
        f.flush()
        os.fsync(f.fileno())
    lake.delete(key)
    return dest


def repair(lake: Lake, problems: list[Problem], quarantine_dir: str) -> list[str]:
    """Quarantine or delete what `problems` say repair handles; returns one line per action (catalog: the caller's)."""
    done = []
    for p in problems:
        if p.repair == QUARANTINE:
            done.append(f"{p.where}: moved to {quarantine(lake, p.where, quarantine_dir)}")
        elif p.repair == DELETE:
            lake.delete(p.where)
            done.append(f"{p.where}: deleted")
    return done

