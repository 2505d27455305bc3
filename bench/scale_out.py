"""Dask + S3 against a local run on the same testbed: equal tables, wall-time overhead, S3 requests per 1,000 articles.

    python -m bench.scale_out [--size 2000] [--workers 2] [--work DIR]

Generates a testbed with ../shared/tools/make_testbed.py (as bench.perf does: one loopback
address per site), ingests it once the ordinary way (local lake, local worker processes) and
once with `--lake s3://bench/lake --dask ADDRESS` against moto's S3 server and a `dask scheduler`
with single-threaded `dask worker` processes, all on this machine. Both are cold runs on new
data directories; the cluster is started before its run (as a standing cluster would be), its
workers load the model during the run (as the local workers do). Prints a Markdown table and
writes WORK/scale_out.json.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.common import BASE_TEXTS, ROOT, TESTBED, free_port, require_shared
from bench.perf import SEED, SITES, cli_env, machine_info, rehost_testbed, run_measured, serve_sites, site_hosts, \
    testbed_shape

COMPARED = {
    "articles": "SELECT article_id, url, canonical_url, content_hash, text, story_id FROM articles ORDER BY article_id",
    "entities": "SELECT article_id, start_char, end_char, label, norm FROM entities ORDER BY ALL",
    "quotes": "SELECT quote_id, text, speaker_resolved, start_char, end_char FROM quotes ORDER BY ALL",
}


def log(msg: str) -> None:
    print(f"[scale_out {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def query(data: Path, sql: str, env: dict) -> list:
    res = subprocess.run([sys.executable, "-m", "flows.cli", "sql", "--data", str(data), "--format", "json", sql],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"newsflow sql failed: {res.stderr.strip()}")
    return [json.loads(line) for line in res.stdout.splitlines()]


def ingest(feeds: Path, data: Path, env: dict, *extra: str) -> dict:
    res = run_measured([sys.executable, "-m", "flows.cli", "ingest", "--feeds", str(feeds), "--data", str(data),
                        "--allow-private", *extra], env=env)
    if res["returncode"] not in (0, 3):
        sys.stderr.write(res["stdout"] + "\n".join(line for _, line in res["stderr"]) + "\n")
        raise SystemExit(f"newsflow ingest failed with exit code {res['returncode']}")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2000, help="target number of articles (default 2000)")
    ap.add_argument("--workers", type=int, default=2, help="dask worker processes (default 2, one per core here)")
    ap.add_argument("--work", type=Path, help="working directory (default: a temporary one, removed)")
    args = ap.parse_args(argv)
    if not require_shared():
        return 0
    from bench.daskcluster import LoopbackCluster
    from bench.s3server import CountingS3Server

    work = args.work or Path(tempfile.mkdtemp(prefix="newsflow-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    testbed = work / "testbed"
    shutil.rmtree(testbed, ignore_errors=True)
    n_base, scale = testbed_shape(args.size)
    gen_base = f"http://127.0.0.1:{free_port()}"
    log(f"generating testbed (--stories {n_base} --scale {scale} --sites {SITES})")
    subprocess.run([sys.executable, str(TESTBED), "--base", str(BASE_TEXTS), "--out", str(testbed),
                    "--base-url", gen_base, "--overwrite", "--stories", str(n_base), "--scale", str(scale),
                    "--sites", str(SITES), "--seed", str(SEED)], check=True, capture_output=True)
    hosts = site_hosts(p.name for p in testbed.iterdir() if p.is_dir())
    feeds = testbed / "feeds.txt"
    result: dict = {"machine": machine_info(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "size": args.size, "workers": args.workers}
    with contextlib.ExitStack() as stack:
        port = serve_sites(stack, testbed, hosts.values())
        rehost_testbed(testbed, gen_base, {site: f"http://{h}:{port}" for site, h in hosts.items()})
        env = cli_env()
        local_data, dask_data = work / "local", work / "dask"
        for d in (local_data, dask_data):
            shutil.rmtree(d, ignore_errors=True)
        log("local run")
        local = ingest(feeds, local_data, env)
        s3 = stack.enter_context(CountingS3Server())
        s3_env = {**env, "AWS_ENDPOINT_URL": s3.endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                  "AWS_REGION": "us-east-1"}
        import boto3

        boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="bench")
        cluster_dir = work / "dask-cluster"
        shutil.rmtree(cluster_dir, ignore_errors=True)
        cluster_dir.mkdir()
        log(f"starting a dask scheduler and {args.workers} workers")
        cluster = stack.enter_context(LoopbackCluster(s3_env, cluster_dir, args.workers))
        s3.reset()
        log(f"dask + s3 run ({cluster.address})")
        dist = ingest(feeds, dask_data, s3_env, "--lake", "s3://bench/lake", "--dask", cluster.address)
        requests = dict(s3.counts)
        log("comparing tables")
        equal = {}
        for name, sql in COMPARED.items():
            a, b = query(local_data, sql, env), query(dask_data, sql, s3_env)
            equal[name] = {"rows": len(a), "equal": a == b,
                           "differing": len({json.dumps(r, sort_keys=True) for r in a}
                                            ^ {json.dumps(r, sort_keys=True) for r in b})}
        n_articles = equal["articles"]["rows"]
    result.update(local_wall_s=round(local["wall_s"], 1), dask_wall_s=round(dist["wall_s"], 1),
                  overhead=round(dist["wall_s"] / local["wall_s"], 3), tables=equal, articles=n_articles,
                  s3_requests=requests,
                  s3_requests_per_1000=({k: round(v * 1000 / n_articles, 1) for k, v in requests.items()}
                                        if n_articles else {}))
    (work / "scale_out.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    m = result["machine"]
    lines = [f"Dask + S3 vs local, {n_articles} articles, {args.workers} workers; {m['nproc']} CPUs ({m['cpu']}), "
             f"commit {m['commit']}, {m['date']}, load average {m['loadavg_start']:.1f} at the start, "
             f"{os.getloadavg()[0]:.1f} at the end",
             "", "| measure | local | Dask + S3 |", "|---|---|---|",
             f"| cold ingest, wall | {result['local_wall_s']} s | {result['dask_wall_s']} s "
             f"(x {result['overhead']}; target <= 1.3) |"]
    for name, e in equal.items():
        verdict = "yes" if e["equal"] else f"NO ({e['differing']} differ)"
        lines.append(f"| {name} rows equal | {e['rows']} | {verdict} |")
    lines.append("| S3 requests per 1,000 articles | | "
                 + ", ".join(f"{k} {v}" for k, v in sorted(result["s3_requests_per_1000"].items())) + " |")
    print("\n".join(lines))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(e["equal"] for e in equal.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
