"""The DuckDB catalog: a database file holding views over the lake's Parquet tables."""
from __future__ import annotations

import contextlib
import os
import re
import uuid

import duckdb
import pyarrow as pa

from schemas.tables import TABLES, TableSpec
from schemas.views import VIEWS
from tasks.storage import Lake

_SCALARS = {
    pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ", pa.date32(): "DATE",
}


def duck_type(t: pa.DataType) -> str:
    """The DuckDB type of an Arrow type used in schemas/ (raises KeyError for others)."""
    if pa.types.is_list(t):
        return duck_type(t.value_type) + "[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f"{f.name} {duck_type(f.type)}" for f in t) + ")"
    return _SCALARS[t]


class CatalogError(RuntimeError):
    """The catalog file is missing or cannot be opened."""


def connect(path: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never downloads extensions (this tool runs offline) and speaks UTC."""
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    con = duckdb.connect(path, read_only=read_only, config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def source_sql(lake: Lake, spec: TableSpec) -> str:
    """A table expression over the Parquet files that make up `spec` now, typed even when there are none yet.

    The files are listed one by one, as the table's manifest has them, never globbed: a view
    reads exactly the files of the lake's version when the catalog was built, never both a
    compacted file and the files it replaced. Columns (and struct fields) added to a table after
    some of its files were written read as NULL in those files, even when no file has them yet
    (a lake written by an older version).
    """
    cols = [f"CAST(NULL AS {duck_type(c.type)}) AS {c.name}" for c in spec.columns]
    if spec.partition:
        cols.append(f"CAST(NULL AS DATE) AS {spec.partition}")
    empty = f"(SELECT {', '.join(cols)} WHERE false)"
    files = lake.table_files(spec.name)
    if not files:
        return empty
    paths = "[" + ", ".join(_quote(lake.uri(f)) for f in files) + "]"
    if spec.partition:
        src = (f"read_parquet({paths}, hive_partitioning = true, union_by_name = true, "
               f"hive_types = {{'{spec.partition}': DATE}})")
    else:
        src = f"read_parquet({paths}, hive_partitioning = false, union_by_name = true)"
    return f"({empty} UNION ALL BY NAME SELECT * FROM {src})"


def view_statements(lake: Lake) -> list[str]:
    """CREATE VIEW statements for every user-facing view, in dependency order."""
    sources = {name: source_sql(lake, spec) for name, spec in TABLES.items()}
    return [f"CREATE OR REPLACE VIEW {name} AS {sql.format(**sources).strip()}" for name, sql in VIEWS.items()]


def refresh_catalog(lake: Lake, db_path: str) -> None:
    """(Re)build the catalog file at `db_path` with views over `lake`.

    The file is built under a temporary name and renamed into place, so readers holding the
    old file keep working and never see a half-built catalog. Paths inside the views are
    absolute, so the views work whatever the reader's current directory.
    """
    db_path = os.path.abspath(db_path)
    folder, name = os.path.split(db_path)
    _remove_dead_temporaries(folder, name)
    # Hidden, like the lake's temporaries: a crash before the rename leaves nothing in sight. The
    # builder's pid in the name tells a dead build's leftover from a live concurrent one's.
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    con = connect(tmp)
    try:
        if lake.fsspec is not None:   # views are bound when created: DuckDB must read the lake already
            con.register_filesystem(lake.fsspec)
        for stmt in view_statements(lake):
            con.execute(stmt)
        con.execute("CREATE OR REPLACE TABLE newsflow_meta AS SELECT ? AS lake_root", [lake.uri()])
    finally:
        con.close()
    os.replace(tmp, db_path)
    for leftover in (tmp + ".wal",):
        if os.path.exists(leftover):
            os.remove(leftover)


def _remove_dead_temporaries(folder: str, name: str) -> None:
    """Delete the temporaries of catalog builds whose process is gone (killed before the rename).

    The catalog lives on this machine, so the pid in a temporary's name is a process here.
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]+\.tmp(\.wal)?")
    for entry in os.listdir(folder):
        match = pattern.fullmatch(entry)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):   # another refresh removed it first
                os.remove(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process
        return True
    return True


def catalog_lake_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """The lake root (path or URI) a catalog's views read, as recorded when it was built."""
    try:
        row = con.execute("SELECT lake_root FROM newsflow_meta").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def open_catalog(db_path: str) -> duckdb.DuckDBPyConnection:
    """Open the catalog read-only; raises CatalogError when it does not exist yet."""
    if not os.path.exists(db_path):
        raise CatalogError(f"no catalog at {db_path}: run `newsflow ingest` first")
    return connect(db_path, read_only=True)
