"""Steady state: a run where about 5% of the articles are new, and a no-op re-run, with a per-stage timeline.

Usage: python -m bench.steady [--size 2000] [--new 0.05] [--work DIR]

On a bench.perf testbed (50 sites, each on its own loopback address), every feed first lists
all but every 20th of its entries (`--new`); a first ingest takes those in. The feeds are then
put back whole and a second ingest takes in the rest (the steady-state run), then a third one
finds nothing new (the no-op re-run). Each run is timed end to end with its stages (the
progress lines the CLI prints, in seconds since the process started) and its Prefect task runs.
T_limit of the new texts is bare nlp.pipe (2 processes, model load included) over the distinct
texts the steady-state run stored that no earlier run had. Target (issue 18): the steady-state
run within 8 s + 1.2 x that T_limit; the no-op re-run within 8 s, and within 3 s with a shared
Prefect server (two more no-op runs, PREFECT_API_URL set to a server started beforehand).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BASE_TEXTS, TESTBED, free_port, require_shared
from bench.perf import (SEED, SITES, cli_env, ingest, log, prefect_task_spans, read_rows, rehost_testbed,
                        run_nlp_measure, serve_sites, site_hosts, stage_cores, testbed_shape)

_ENTRY = re.compile(rb"<(item|entry)\b.*?</\1>\s*", re.S)


def trim_feed(xml: bytes, every: int) -> tuple[bytes, int]:
    """The feed without every `every`-th entry (RSS items, Atom entries); returns (feed, entries dropped)."""
    dropped = 0
    n = 0

    def drop(m: re.Match) -> str:
        nonlocal n, dropped
        n += 1
        if n % every == 0:
            dropped += 1
            return b""
        return m.group(0)

    return _ENTRY.sub(drop, xml), dropped


def timeline(run: dict, data: Path, started_epoch: float) -> dict:
    """Stages of one measured ingest: first and last progress line, and the Prefect task runs."""
    stages: dict[str, list[float]] = {}
    for t, line in run["stderr"]:
        m = re.match(r"^\s+(?P<stage>[a-z ]+): (?P<done>\d+)/(?P<total>\d+)", line)
        if m:
            s = stages.setdefault(m["stage"], [t, t])
            s[1] = t
    return {"wall_s": round(run["wall_s"], 2), "cpu_s": round(run["cpu_s"], 2), "load": run["load"],
            "tree_rss_mb": round(run["tree_rss_mb"]),
            "stages": {k: [round(a, 2), round(b, 2)] for k, (a, b) in stages.items()},
            "cores_busy": {k: None if v is None else round(v, 2) for k, v in stage_cores(run).items()},
            "prefect_tasks": {k: {kk: round(vv, 2) if isinstance(vv, float) else vv for kk, vv in v.items()}
                              for k, v in prefect_task_spans(data, started_epoch).items()}}


def measured_ingest(feeds: Path, data: Path, env: dict | None = None) -> dict:
    started = time.time()
    run = ingest(feeds, data, env)
    return timeline(run, data, started)


def shared_server_noops(feeds: Path, data: Path, home: Path, runs: int = 2) -> list[dict]:
    """No-op re-runs against a Prefect server started beforehand in another process (PREFECT_API_URL set)."""
    from flows.prefect_api import LocalAPI

    home.mkdir(parents=True, exist_ok=True)
    api = LocalAPI(home, services=False)
    try:
        api.wait()
        return [measured_ingest(feeds, data, {**cli_env(), "PREFECT_API_URL": api.url}) for _ in range(runs)]
    finally:
        api.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.steady", description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="articles in the testbed (default 2000)")
    ap.add_argument("--new", type=float, default=0.05, help="share of entries held back for the second run")
    ap.add_argument("--work", help="work directory (default: a new temporary one)")
    args = ap.parse_args(argv)
    if not require_shared():
        return 0
    every = max(2, round(1 / args.new))
    work = Path(args.work or tempfile.mkdtemp(prefix="newsflow-steady-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    testbed, data = work / "testbed", work / "data"
    n_base, scale = testbed_shape(args.size)
    gen_base = f"http://127.0.0.1:{free_port()}"
    subprocess.run([sys.executable, str(TESTBED), "--base", str(BASE_TEXTS), "--out", str(testbed),
                    "--base-url", gen_base, "--overwrite", "--stories", str(n_base), "--scale", str(scale),
                    "--sites", str(SITES), "--seed", str(SEED)], check=True, capture_output=True)
    hosts = site_hosts(p.name for p in testbed.iterdir() if p.is_dir())
    result: dict = {"size": args.size, "every": every}
    with contextlib.ExitStack() as stack:
        port = serve_sites(stack, testbed, hosts.values())
        rehost_testbed(testbed, gen_base, {site: f"http://{h}:{port}" for site, h in hosts.items()})
        feeds_file = testbed / "feeds.opml"
        originals = {}
        dropped = 0
        for f in sorted(testbed.glob("*/feed.xml")):
            originals[f] = f.read_bytes()   # feeds come in several encodings
            trimmed, n = trim_feed(originals[f], every)
            f.write_bytes(trimmed)
            dropped += n
        log(f"steady: {dropped} entries held back; first ingest")
        result["first"] = measured_ingest(feeds_file, data)
        for f, body in originals.items():
            f.write_bytes(body)
        log(f"steady: first ingest {result['first']['wall_s']} s; steady-state run")
        result["steady"] = measured_ingest(feeds_file, data)
        log(f"steady: steady-state run {result['steady']['wall_s']} s; no-op re-run")
        result["noop"] = measured_ingest(feeds_file, data)
        log(f"steady: no-op re-run {result['noop']['wall_s']} s; two more with a shared Prefect server")
        result["noop_shared"] = shared_server_noops(feeds_file, data, work / "prefect-shared")
    runs = read_rows(data, "SELECT run_id, new_articles, texts_analyzed, texts_mapped, paragraphs_parsed, "
                           "paragraphs_reused, seconds FROM runs WHERE finished_at IS NOT NULL ORDER BY started_at")
    result["runs"] = runs
    steady_run = runs[1]["run_id"]
    new_texts = read_rows(data, "SELECT DISTINCT text_hash, text FROM articles WHERE run_id = "
                                f"'{steady_run}' AND text_hash NOT IN (SELECT text_hash FROM articles "
                                f"WHERE run_id <> '{steady_run}') ORDER BY text_hash")
    texts = list({r["text_hash"]: r["text"] for r in new_texts}.values())
    log(f"steady: T_limit over the {len(texts)} new distinct texts")
    limit = run_nlp_measure("limit", texts, work, n_process=2, batch_size=16) if texts else {"load_s": 0, "pipe_s": 0}
    t_limit = limit["load_s"] + limit["pipe_s"]
    result["limit"] = {"texts": len(texts), "load_s": round(limit["load_s"], 2), "pipe_s": round(limit["pipe_s"], 2),
                       "t_s": round(t_limit, 2), "load": limit.get("load")}
    target = 8 + 1.2 * t_limit
    result["target_steady_s"] = round(target, 2)
    out = work / "steady.json"
    out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"runs: {json.dumps(runs, default=str)}")
    for name in ("first", "steady", "noop"):
        r = result[name]
        print(f"{name}: {r['wall_s']} s wall, {r['cpu_s']} s CPU, load {r['load']}, tree RSS {r['tree_rss_mb']} MB")
        print(f"  stages: {json.dumps(r['stages'])}")
        print(f"  cores busy: {json.dumps(r['cores_busy'])}")
        print(f"  prefect: {json.dumps(r['prefect_tasks'])}")
    for i, r in enumerate(result["noop_shared"], 1):
        print(f"no-op {i}, shared Prefect server: {r['wall_s']} s wall, {r['cpu_s']} s CPU, load {r['load']}, "
              f"tree RSS {r['tree_rss_mb']} MB")
        print(f"  stages: {json.dumps(r['stages'])}")
    shared = min(r["wall_s"] for r in result["noop_shared"])
    print(f"T_limit of the {len(texts)} new texts: {t_limit:.1f} s (load {limit['load_s']:.1f} s); "
          f"steady target 8 + 1.2 x T_limit = {target:.1f} s: {'met' if result['steady']['wall_s'] <= target else 'missed'}; "
          f"no-op target 8 s: {'met' if result['noop']['wall_s'] <= 8 else 'missed'}; "
          f"no-op with a shared server, target 3 s: {'met' if shared <= 3 else 'missed'} (best {shared} s)")
    print(f"raw results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
