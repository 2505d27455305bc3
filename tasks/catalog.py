"""The DuckDB catalog: a database file holding views over the lake's Parquet tables."""
from __future__ import annotations

import os
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
    """A table expression over the Parquet files of `spec`, typed even when there are none yet.

    Columns (and struct fields) added to a table after some of its files were written read as
    NULL in those files, even when no file has them yet (a lake written by an older version).
    """
    cols = [f"CAST(NULL AS {duck_type(c.type)}) AS {c.name}" for c in spec.columns]
    if spec.partition:
        cols.append(f"CAST(NULL AS DATE) AS {spec.partition}")
    empty = f"(SELECT {', '.join(cols)} WHERE false)"
    if not lake.table_files(spec.name):
        return empty
    glob = _quote(lake.uri(spec.name) + "/**/*.parquet")
    if spec.partition:
        files = (f"read_parquet({glob}, hive_partitioning = true, union_by_name = true, "
                 f"hive_types = {{'{spec.partition}': DATE}})")
    else:
        files = f"read_parquet({glob}, hive_partitioning = false, union_by_name = true)"
    return f"({empty} UNION ALL BY NAME SELECT * FROM {files})"


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
    # Hidden, like the lake's temporaries: a crash before the rename leaves nothing in sight.
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
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
