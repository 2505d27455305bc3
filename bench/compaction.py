"""Query time before and after `newsflow compact` on a benchmark lake spread over many small runs' files.

A testbed of bench.perf is ingested cold (one run), then its lake is rewritten as if the same rows
had come in over `--runs` scheduled runs: each article, analysis, index row, fetch and capture
is given to one of the runs (by a hash of its key), and every run writes its rows the way the
ingest flow does (one file per table and partition), named as new appends are. The rows, and so
every view, stay the same; only the file count grows, as a month of 30-minute runs makes it
(about 1,500 runs). Then the top-entities query of bench.perf is timed, the lake compacted with
`newsflow compact`, and the query timed again.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.perf import QUERIES, ROOT, cli_env, ingest_phase, read_rows, time_query
from tasks.compact import COMPACTED_TABLES, read_file
from tasks.storage import Lake


def scatter(lake: Lake, runs: int) -> dict[str, tuple[int, int]]:
    """Rewrite every append-mode table's files as `runs` runs' files; {table: (files before, after)}."""
    out = {}
    for table in COMPACTED_TABLES:
        before = lake.table_files(table)
        groups: dict[tuple[str, int], list[pa.Table]] = defaultdict(list)
        for key in before:
            t = read_file(lake, key)
            folder = key.rsplit("/", 1)[0]
            first = t.column(0).to_pylist()   # each table's first column is (part of) its key
            which = [int(hashlib.sha1(str(v).encode()).hexdigest()[:8], 16) % runs for v in first]
            for run in sorted(set(which)):
                idx = [i for i, w in enumerate(which) if w == run]
                groups[(folder, run)].append(t.take(pa.array(idx)))
        for key in before:
            lake.delete(key)
        for (folder, run), parts in groups.items():
            lake.write_file(f"{folder}/run{run:05d}-{hashlib.sha1(folder.encode()).hexdigest()[:8]}.parquet",
                            pa.concat_tables(parts))
        out[table] = (len(before), len(lake.table_files(table)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compaction", description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="testbed articles (bench.perf sizes; default 2000)")
    ap.add_argument("--runs", type=int, default=1500, help="runs the rows are spread over (default 1500)")
    ap.add_argument("--work", help="work directory (default: a temporary one, removed at the end)")
    args = ap.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="newsflow-compaction-"))
    sw = work / f"size-{args.size}"
    phase = ingest_phase(args.size, sw)
    data = sw / "data"
    lake = Lake(str(data / "lake"))
    query = QUERIES["top entities per day"]
    one_run = time_query(data, query)
    answer = read_rows(data, query)
    t0 = time.monotonic()
    files = scatter(lake, args.runs)
    subprocess.run([sys.executable, "-m", "flows.cli", "catalog", "--data", str(data)], cwd=ROOT, env=cli_env(),
                   check=True, capture_output=True)
    scattered = time_query(data, query)
    same = {"scattered": read_rows(data, query) == answer}
    print(f"scattered over {args.runs} runs in {time.monotonic() - t0:.1f} s: {json.dumps(files)}", flush=True)
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "flows.cli", "compact", "--data", str(data)], cwd=ROOT,
                         env={**cli_env(), "NEWSFLOW_COMPACT_GRACE_MINUTES": "0"}, capture_output=True, text=True)
    compact_s = time.monotonic() - t0
    assert res.returncode == 0, res.stderr
    compacted = time_query(data, query)
    same["compacted"] = read_rows(data, query) == answer
    after = {t: len(lake.table_files(t)) for t in COMPACTED_TABLES}
    result = {"size": args.size, "pages": phase["testbed"]["pages"], "runs": args.runs,
              "files": {t: {"one_run": files[t][0], "scattered": files[t][1], "compacted": after[t]}
                        for t in COMPACTED_TABLES},
              "top_entities_s": {"one_run": one_run, "scattered": scattered, "compacted": compacted},
              "compact_wall_s": round(compact_s, 2), "compact_output": res.stdout.splitlines(),
              "same_answer_as_one_run": same}
    print(json.dumps(result, indent=1, default=str))
    (work / "compaction.json").write_text(json.dumps(result, indent=1, default=str))
    if not args.work:
        shutil.rmtree(sw, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
