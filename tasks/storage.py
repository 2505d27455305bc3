"""The lake: Parquet tables and raw blobs behind one small interface (local disk or S3-compatible)."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas.tables import TableSpec


# A local write goes to a temporary in this folder of the root first, then is renamed into place
# (one filesystem: atomic). One folder, so that a killed writer's leftovers are found without
# listing the whole lake.
TMP_DIR = ".tmp"


class LakeUnavailable(RuntimeError):
    """The lake's object store cannot be used: unreachable endpoint, missing bucket, bad credentials."""


class LakeVersionError(RuntimeError):
    """The lake was written by a newer newsflow, whose layout this one cannot read."""


# The lake's layout version, kept in LAKE_META at its root (hidden from every listing).
# 1: tables are every visible Parquet file under their folder (no LAKE_META; lakes before 2026-12).
# 2: a table's MANIFEST may name compacted files and the files they replaced (see table_files).
SCHEMA_VERSION = 2
LAKE_META = "_newsflow.json"
MANIFEST = "_manifest.json"
COMPACTED_PREFIX = "compacted-"


def is_compacted(key: str) -> bool:
    """True for a file written by compaction (live only while its table's manifest lists it)."""
    return key.rsplit("/", 1)[-1].startswith(COMPACTED_PREFIX)


class Lake:
    """Tables and blobs under one root, local ("/data/lake") or in an object store ("s3://bucket/lake").

    Every write is atomic. On local disk bytes go to a hidden temporary name first (in ROOT/.tmp)
    and are then renamed into place; hidden names start with "." so neither pyarrow nor the DuckDB globs
    (`*.parquet`) pick them up. An object store publishes a PUT whole, so there each file is
    one PUT at its final key: no temporary object, no copy, no delete, no directory markers
    (each request is billed).

    `fs` is the pyarrow filesystem of an object-store root (the caller builds it with its
    endpoint and credentials); without one, pyarrow's own for the URI's scheme. A Lake pickles,
    so worker processes on other machines write to the same store.
    """

    def __init__(self, root: str, fs: pafs.FileSystem | None = None):
        if "://" in root:
            scheme, path = root.split("://", 1)
            if fs is None:
                fs, path = pafs.FileSystem.from_uri(root)
            self.fs = fs
            self.root = path.rstrip("/")
            self.uri_prefix = scheme + "://"
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = os.path.abspath(root)
            self.uri_prefix = ""
            os.makedirs(self.root, exist_ok=True)

    @property
    def is_object_store(self) -> bool:
        return bool(self.uri_prefix)

    @property
    def fsspec(self):
        """The fsspec filesystem behind the lake's pyarrow one (an object store through s3fs), else None.

        DuckDB reads through it when its own S3 extension (httpfs) is not installed.
        """
        handler = getattr(self.fs, "handler", None)
        return getattr(handler, "fs", None)

    def check(self) -> None:
        """Make sure this newsflow can use the lake, and record its layout version on first use.

        Raises LakeUnavailable unless the store answers and its bucket exists, and
        LakeVersionError when a newer newsflow wrote the lake. A lake without LAKE_META (new,
        or written before it existed: version 1, readable as it is) gets one.
        """
        if self.is_object_store:
            bucket = self.root.split("/", 1)[0]
            try:
                info = self.fs.get_file_info(bucket)
            except Exception as e:  # noqa: BLE001 - whatever the client raises, the user needs one line
                raise LakeUnavailable(f"cannot use the lake {self.uri()}: {type(e).__name__}: {e}") from None
            if info.type == pafs.FileType.NotFound:
                raise LakeUnavailable(f"cannot use the lake {self.uri()}: bucket {bucket!r} does not exist "
                                      "(create it first)")
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise LakeVersionError(f"the lake {self.uri()} has schema version {version}, newer than this newsflow "
                                   f"reads (up to {SCHEMA_VERSION}): upgrade newsflow")
        if version < SCHEMA_VERSION:
            # Version 1 lakes are read as they are: version 2 only adds manifests.
            self.put_bytes(LAKE_META, json.dumps({"schema_version": SCHEMA_VERSION}).encode())

    def schema_version(self) -> int:
        """The layout version recorded in the lake (1 when there is no record; raises ValueError if unreadable)."""
        try:
            return int(json.loads(self.get_bytes(LAKE_META))["schema_version"])
        except FileNotFoundError:
            return 1
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{self.uri(LAKE_META)} holds no schema version (expected "
                             f'{{"schema_version": {SCHEMA_VERSION}}})') from None

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def uri(self, *parts: str) -> str:
        """Address of a path for outside readers such as DuckDB."""
        return self.uri_prefix + self.path(*parts)

    # -- blobs ---------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes | pa.Buffer) -> None:
        """Write `data` at `key` (relative to the root) atomically."""
        final = self.path(key)
        if self.is_object_store:
            with self.fs.open_output_stream(final, compression=None) as out:
                out.write(data)
            return
        parent = final.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        self.fs.create_dir(self.path(TMP_DIR), recursive=True)
        tmp = self.path(TMP_DIR, f".tmp-{uuid.uuid4().hex}")
        try:
            with self.fs.open_output_stream(tmp, compression=None) as out:
                out.write(data)
            self.fs.move(tmp, final)
        except BaseException:
            try:
                self.fs.delete_file(tmp)
            except OSError:
                pass
            raise

    def remove_temporaries(self) -> int:
        """Delete the temporary files of writes that never finished (a killed run); returns how many.

        Only for a caller that is the lake's one writer (a run holding the run lock): another
        writer's temporary would go from under it. An object store has none.
        """
        if self.is_object_store:
            return 0
        selector = pafs.FileSelector(self.path(TMP_DIR), allow_not_found=True)
        stale = [i.path for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.File]
        for path in stale:
            self.fs.delete_file(path)
        return len(stale)

    def get_bytes(self, key: str) -> bytes:
        """Read the blob at `key`; raises FileNotFoundError when there is none."""
        with self.fs.open_input_stream(self.path(key), compression=None) as f:
            return f.read()

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self.path(key)).type != pafs.FileType.NotFound

    def list_files(self, prefix: str) -> list[str]:
        """Visible files under `prefix`, as keys relative to the root, sorted."""
        return sorted(self.file_sizes(prefix))

    def file_sizes(self, prefix: str, hidden: bool = False) -> dict[str, int]:
        """{key relative to the root: size in bytes} of the files under `prefix`; `hidden`: only the
        names starting with "." or "_" (temporaries, manifests), else only the others."""
        info = self.fs.get_file_info(pafs.FileSelector(self.path(prefix), recursive=True, allow_not_found=True))
        return {i.path[len(self.root) + 1:]: i.size for i in info
                if i.type == pafs.FileType.File and i.base_name.startswith((".", "_")) == hidden}

    def delete(self, key: str) -> None:
        self.fs.delete_file(self.path(key))

    # -- tables --------------------------------------------------------------------------
    def read_manifest(self, name: str) -> dict:
        """Table `name`'s manifest: {"generation": n, "files": [compacted keys], "replaced": {key: when}}.

        A table never compacted has generation 0 and empty lists. Raises ValueError naming the
        file when it is damaged (which files make up the table is then unknown).
        """
        try:
            manifest = json.loads(self.get_bytes(f"{name}/{MANIFEST}"))
        except FileNotFoundError:
            return {"generation": 0, "files": [], "replaced": {}}
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict) or not {"generation", "files", "replaced"} <= manifest.keys():
            raise ValueError(f"{self.uri(name, MANIFEST)} is not a readable manifest: restore it from a backup")
        return manifest

    def write_manifest(self, name: str, manifest: dict) -> None:
        """Swap table `name`'s manifest in one atomic step (a rename locally, one PUT in an object store)."""
        self.put_bytes(f"{name}/{MANIFEST}", json.dumps(manifest, indent=1, sort_keys=True).encode())

    def table_files(self, name: str, manifest: dict | None = None) -> list[str]:
        """The Parquet files that make up table `name` now, sorted.

        Files that runs append are part of the table unless the manifest lists them as replaced
        by compaction; compacted files only while the manifest lists them. So a run never needs
        to touch the manifest (a file is in the table the moment it is written), a compaction
        killed before its manifest swap leaves only invisible files, and the swap moves every
        merged row from the old files to the new ones at once. Appended names are never reused
        (they carry the run's id), so a replaced name cannot come back with other rows.
        """
        m = self.read_manifest(name) if manifest is None else manifest
        live, replaced = set(m["files"]), m["replaced"]
        return [k for k in self.list_files(name) if k.endswith(".parquet")
                and (k in live if is_compacted(k) else k not in replaced)]

    def read_table(self, name: str, schema: pa.Schema | None = None, columns: list[str] | None = None,
                   filter: pc.Expression | None = None) -> pa.Table | None:
        """All rows of table `name` (hive partition columns included), or None when it has no files."""
        files = self.table_files(name)
        if not files:
            return None
        if schema is not None:
            for seg in files[0].split("/")[1:-1]:
                if "=" in seg and seg.split("=", 1)[0] not in schema.names:
                    schema = schema.append(pa.field(seg.split("=", 1)[0], pa.string()))
        dataset = ds.dataset([self.path(f) for f in files], filesystem=self.fs, format="parquet",
                             partitioning=ds.HivePartitioning.discover(infer_dictionary=False),
                             partition_base_dir=self.path(name), schema=schema)
        return dataset.to_table(columns=columns, filter=filter)

    def write_file(self, key: str, table: pa.Table) -> None:
        """Write `table` as one zstd Parquet file at `key`, atomically."""
        sink = pa.BufferOutputStream()   # its buffer is handed on as it is (BytesIO.getvalue copies)
        pq.write_table(table, sink, compression="zstd")
        self.put_bytes(key, sink.getvalue())

    def append(self, spec: TableSpec, table: pa.Table, *, partition_values: Iterable | None = None,
               name: str | None = None) -> list[str]:
        """Append rows to an append-mode table, one file per partition value.

        Files are named after their content (keys and run id) or `name`, so writing the same
        rows twice replaces a file instead of adding one, and a later run's newer versions of
        the same rows get a file of their own. Returns the keys written.
        """
        table = table.select(spec.column_names).cast(spec.schema)
        if table.num_rows == 0:
            return []
        keys = []
        groups: dict[object, list[int]] = {}
        values = list(partition_values) if partition_values is not None else [None] * table.num_rows
        for i, v in enumerate(values):
            groups.setdefault(v, []).append(i)
        sort_keys = [(k, "ascending") for k in spec.key]
        for value, idx in sorted(groups.items(), key=lambda kv: str(kv[0])):
            part = table.take(pa.array(idx)).sort_by(sort_keys)
            digest = hashlib.sha1()
            for col in (*spec.key, *(["run_id"] if "run_id" in spec.column_names else [])):
                digest.update("\x1f".join(map(str, part.column(col).to_pylist())).encode())
            fname = (name or digest.hexdigest()[:20]) + ".parquet"
            sub = f"{spec.partition}={value}" if spec.partition else ""
            key = "/".join(p for p in (spec.name, sub, fname) if p)
            self.write_file(key, part)
            keys.append(key)
        return keys

    def replace_state(self, spec: TableSpec, table: pa.Table) -> str:
        """Replace a state-mode table (one file) with `table`."""
        table = table.select(spec.column_names).cast(spec.schema).sort_by([(k, "ascending") for k in spec.key])
        key = f"{spec.name}/{spec.name}.parquet"
        self.write_file(key, table)
        return key
