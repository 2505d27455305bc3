"""Performance benchmark: the pipeline against the NLP floor and a naive loop, at several sizes.

Usage: python -m bench.perf [--sizes 2000,10000,30000] [--work DIR] [--quick]
                            [--naive-sample 1000] [--keep] [--writethru P]

For each size (target number of articles) it generates a testbed with ../shared/tools/make_testbed.py,
serves it on loopback, each site on its own address (127.0.0.2, 127.0.0.3, ...: the fetcher's per-host
politeness then applies per site, as with real sites) and measures, in this order:
  T_pipeline  `newsflow ingest` end to end, cold (new data directory): wall time, peak RSS of the
              process tree (the CLI, the temporary Prefect server, the NLP workers), CPU time;
  no-op       the same ingest again with every feed unchanged: wall time;
  queries     two DuckDB analysis queries on the catalog, read-only, best of 3;
  T_limit     bare `nlp.pipe` over the distinct texts the run analysed, 2 processes, the pipeline's
              components (tasks.nlp.load_model: lemmatizer off), spaCy import and model load included
              (the issue's floor); also, for comparison, bare `nlp.pipe` over the distinct paragraphs
              of those texts (what the pipeline runs the model on, tasks.paragraphs);
  T_naive     one `nlp(text)` per article, full default pipeline, one process, on a sample of the
              articles, extrapolated linearly by word count (model load added once).
It prints one Markdown table (and a stage breakdown per size) and writes WORK/perf.json and
WORK/perf.md. `--quick` runs only the smallest size (a smoke test). `--writethru 1` generates testbeds
where every wire story has a write-through and adds T_limit over one text per story (its longest version).

Needs ../shared (testbed generator and base texts); says so and exits 0 without it.
"""
from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from bench.common import BASE_TEXTS, ROOT, SHARED, TESTBED, free_port
from tasks.feeds import read_feed_list

# Testbed shape. The generator makes N*K stories (plus ~13% siblings) and posts each on a few of
# the sites: ~3.3 articles per base story with its default repost mix, whatever the number of
# sites (measured on seeds 1..3). 50 sites = the 50 feeds of the no-op target.
BASE_STORIES = 100
SITES = 50
ARTICLES_PER_STORY = 3.3
# Past 72k articles: the Scrapinghub ground truth has 148 base texts the generator can use, and
# its scale is at most their number; a sibling and a write-through for every wire story make
# about 4.8 articles per base story (3,548 pages from 148 x 5 on seed 1, against 2,336).
USABLE_BASES = 148
FULL_MIX = ("--siblings", "1", "--writethru", "1")
ARTICLES_PER_STORY_FULL_MIX = 4.8
SEED = 1

# Targets from issue 18 (T_naive's from issue 6; the query target is the top-entities query's).
TARGET_LIMIT_RATIO = 1.10
TARGET_NAIVE_RATIO = 0.35
TARGET_RSS_MB = 1536
TARGET_RSS_AT = 30_000
TARGET_NOOP_S = 8.0
TARGET_NOOP_FEEDS = 50
TARGET_QUERY_S = 0.3

QUERIES = {
    "top entities per day": """
        SELECT a.published_date, e.label, e.entity, count(*) AS stories
        FROM story_entities e JOIN articles a ON a.story_id = e.story_id AND a.is_canonical
        GROUP BY a.published_date, e.label, e.entity
        QUALIFY row_number() OVER (PARTITION BY a.published_date ORDER BY count(*) DESC, e.entity, e.label) <= 10
        ORDER BY a.published_date, stories DESC, e.entity, e.label""",
    "stories by number of sites": """
        SELECT n_sites, count(*) AS stories, sum(n_articles) AS articles
        FROM stories GROUP BY n_sites ORDER BY n_sites""",
}

PROGRESS = re.compile(r"^\s+(?P<stage>[a-z ]+): (?P<done>\d+)/(?P<total>\d+)(?: \(.*\))?\s*$")


# -- machine -----------------------------------------------------------------------------------
def machine_info() -> dict:
    """nproc, RAM, CPU model, load average, versions and date of this run."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        m = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        mem_kb = int(m.group(1)) if m else 0
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        commit = commit + ("+dirty" if dirty else "") if commit else "?"
    except OSError:
        commit = "?"
    from tasks.nlp import resolve_model
    model, model_version = resolve_model(None)
    import spacy
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "loadavg_start": os.getloadavg()[0],
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "model": f"{model}-{model_version}",
        "commit": commit,
    }


# -- running a measured process ------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after the last ')' are safe.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _proc_kb(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _proc_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    # "python -m flows.cli ingest", "python -c from multiprocessing.spawn ...", "python -m uvicorn ..."
    for i, w in enumerate(words):
        if w == "-m" and i + 1 < len(words):
            return " ".join(words[i + 1:i + 3])
        if w == "-c" and i + 1 < len(words):
            return "python -c " + words[i + 1][:40].replace("\n", " ")
    return " ".join(Path(w).name if j == 0 else w for j, w in enumerate(words[:3]))


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cores_busy(timeline: list[tuple[float, float]], start: float, end: float) -> float | None:
    """Average number of cores the sampled tree kept busy between `start` and `end` (seconds since its start)."""
    def cpu_at(t: float) -> float:
        before = [c for s, c in timeline if s <= t]
        return before[-1] if before else 0.0
    if end - start < 0.5 or not timeline:
        return None
    return (cpu_at(end) - cpu_at(start)) / (end - start)


class TreeSampler(threading.Thread):
    """Polls /proc every `interval` seconds and keeps the peak summed RSS (and PSS) of a process tree.

    RSS counts pages shared between processes once per process (the spawned NLP workers share
    little); PSS splits them, so the PSS sum is the tree's real footprint.
    """

    def __init__(self, root_pid: int, interval: float = 0.2, t0: float | None = None):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.t0 = time.monotonic() if t0 is None else t0
        self.cpu_timeline: list[tuple[float, float]] = []   # (seconds since t0, CPU seconds of the tree so far)
        self.rss_timeline: list[tuple[float, int, int]] = []  # (seconds since t0, root's RSS kB, tree's RSS kB)
        self._cpu_ticks: dict[int, int] = {}                # per process ever seen: its last utime + stime
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs: list[tuple[str, int]] = []
        self.max_procs = 0
        self.samples = 0
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def sample(self) -> None:
        kids = _children_map()
        tree, todo = [], [self.root_pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(kids.get(pid, ()))
        for pid in tree:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                self._cpu_ticks[pid] = int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                pass   # gone: its last reading stands
        self.cpu_timeline.append((time.monotonic() - self.t0, sum(self._cpu_ticks.values()) / _CLK_TCK))
        rss = {pid: _proc_kb(pid, "status", "VmRSS:") for pid in tree}
        rss = {pid: kb for pid, kb in rss.items() if kb}
        total = sum(rss.values())
        self.rss_timeline.append((time.monotonic() - self.t0, rss.get(self.root_pid, 0), total))
        self.samples += 1
        self.max_procs = max(self.max_procs, len(rss))
        if total > self.peak_rss_kb:
            self.peak_rss_kb = total
            self.peak_procs = sorted(((_proc_name(p), kb) for p, kb in rss.items()), key=lambda x: -x[1])
        pss = sum(_proc_kb(pid, "smaps_rollup", "Pss:") for pid in rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Run `cmd`, sampling its process tree; returns wall time, memory, CPU time and timestamped output.

    Peak RSS comes two ways: `tree_rss_mb`, the largest sum over the tree seen by polling /proc,
    and `max_process_rss_mb`, the kernel's high-water mark of the largest single process in the
    tree (wait4's ru_maxrss, which covers children the process reaped).
    """
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         bufsize=1)
    sampler = TreeSampler(p.pid, t0=t0)
    sampler.start()
    out: list[str] = []
    err: list[tuple[float, str]] = []

    def read_err():
        for line in p.stderr:
            err.append((time.monotonic() - t0, line.rstrip("\n")))

    readers = [threading.Thread(target=lambda: out.extend(p.stdout), daemon=True),
               threading.Thread(target=read_err, daemon=True)]
    for r in readers:
        r.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    for r in readers:
        r.join()
    return {
        "returncode": p.returncode, "wall_s": wall, "stdout": "".join(out), "stderr": err,
        "tree_rss_mb": sampler.peak_rss_kb / 1024, "tree_pss_mb": sampler.peak_pss_kb / 1024,
        "max_process_rss_mb": ru.ru_maxrss / 1024, "cpu_s": ru.ru_utime + ru.ru_stime,
        "peak_procs": [(n, round(kb / 1024)) for n, kb in sampler.peak_procs],
        "max_procs": sampler.max_procs, "cpu_timeline": sampler.cpu_timeline,
        "rss_timeline": sampler.rss_timeline,
        # 1-minute load average before and after: other work on the machine shows up here.
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def cli_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def ingest(feeds: Path, data: Path, env: dict | None = None) -> dict:
    """A measured `newsflow ingest` (environment: cli_env(), or `env`)."""
    res = run_measured([sys.executable, "-m", "flows.cli", "ingest", "--feeds", str(feeds), "--data", str(data),
                        "--allow-private"], env=env or cli_env())
    if res["returncode"] not in (0, 3):
        sys.stderr.write(res["stdout"] + "\n".join(line for _, line in res["stderr"]) + "\n")
        raise SystemExit(f"newsflow ingest failed with exit code {res['returncode']}")
    return res


# -- stage timing --------------------------------------------------------------------------------
def progress_spans(stderr: list[tuple[float, str]]) -> dict[str, tuple[float, float]]:
    """First and last time (seconds since the process started) each progress stage printed a line."""
    spans: dict[str, tuple[float, float]] = {}
    for t, line in stderr:
        m = PROGRESS.match(line)
        if m:
            first = spans.get(m["stage"], (t, t))[0]
            spans[m["stage"]] = (first, t)
    return spans


def stage_cores(run: dict) -> dict[str, float | None]:
    """Cores the ingest tree kept busy in each progress stage, before the NLP stage and in all."""
    spans = progress_spans(run["stderr"])
    out = {stage: cores_busy(run["cpu_timeline"], a, z) for stage, (a, z) in spans.items()}
    if "nlp stage" in spans:
        out["(before the NLP stage)"] = cores_busy(run["cpu_timeline"], 0.0, spans["nlp stage"][0])
    out["(whole run)"] = cores_busy(run["cpu_timeline"], 0.0, run["wall_s"])
    return out


def stage_memory(run: dict) -> dict[str, tuple[int, int]]:
    """Peak RSS in MB of the root process (the CLI) and of the whole tree within each progress stage."""
    spans = dict(progress_spans(run["stderr"]))
    spans["(whole run)"] = (0.0, run["wall_s"])
    out = {}
    for stage, (a, z) in spans.items():
        inside = [(root, tree) for t, root, tree in run["rss_timeline"] if a <= t <= z]
        if inside:
            out[stage] = (round(max(r for r, _ in inside) / 1024), round(max(t for _, t in inside) / 1024))
    return out


def prefect_task_spans(data: Path, started_epoch: float) -> dict:
    """Per Prefect task name: runs, summed run time, span (seconds since the process started).

    Read from the temporary server's SQLite database under DATA/.prefect; empty when it is not there.
    """
    db = data / ".prefect" / "prefect.db"
    if not db.exists():
        return {}
    out: dict = {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = con.execute("SELECT task_key, start_time, end_time FROM task_run WHERE start_time IS NOT NULL "
                           "AND flow_run_id = (SELECT id FROM flow_run ORDER BY start_time DESC LIMIT 1)").fetchall()
        flows = con.execute("SELECT name, start_time, end_time FROM flow_run WHERE start_time IS NOT NULL "
                            "ORDER BY start_time").fetchall()
        con.close()
    except sqlite3.Error:
        return {}

    def rel(ts: str | None) -> float | None:
        if not ts:
            return None
        t = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        # Prefect stores UTC, without an offset in SQLite.
        return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp() - started_epoch

    for key, start, end in rows:
        base = key.rsplit("-", 1)[0]            # task_key "poll_feed-4c048811" -> "poll_feed"
        s, e = rel(start), rel(end)
        if s is None or e is None:
            continue
        d = out.setdefault(base, {"runs": 0, "busy_s": 0.0, "first": s, "last": e})
        d["runs"] += 1
        d["busy_s"] += e - s
        d["first"], d["last"] = min(d["first"], s), max(d["last"], e)
    if flows:
        _, start, end = flows[-1]
        out["(flow)"] = {"runs": 1, "busy_s": (rel(end) or 0) - (rel(start) or 0), "first": rel(start),
                         "last": rel(end)}
    return out


# -- catalog reads ---------------------------------------------------------------------------------
def catalog_path(data: Path) -> str:
    return str(data / "news.duckdb")


def read_rows(data: Path, sql: str) -> list[dict]:
    from tasks.catalog import open_catalog

    con = open_catalog(catalog_path(data))
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def time_query(data: Path, sql: str, repeat: int = 3) -> dict:
    """Open the catalog read-only, run `sql`, fetch every row, close: best and first of `repeat` times."""
    from tasks.catalog import open_catalog

    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        con = open_catalog(catalog_path(data))
        try:
            n = len(con.execute(sql).fetchall())
        finally:
            con.close()
        times.append(time.perf_counter() - t0)
    return {"best_s": min(times), "first_s": times[0], "rows": n}


# -- the NLP measurements (run in their own processes) --------------------------------------------
def measure_limit(texts: list[str], n_process: int, batch_size: int) -> dict:
    """Bare nlp.pipe with the pipeline's components; the clock starts before spaCy is imported."""
    t0 = time.perf_counter()
    from tasks.nlp import load_model

    nlp = load_model(None)
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    n = sum(1 for _ in nlp.pipe(texts, n_process=n_process, batch_size=batch_size))
    t_pipe = time.perf_counter() - t1
    return {"load_s": t_load, "pipe_s": t_pipe, "docs": n, "components": list(nlp.pipe_names)}


def measure_naive(texts: list[str]) -> dict:
    """One nlp(text) per article with every component of the model, in this process."""
    t0 = time.perf_counter()
    from tasks.nlp import load_model

    nlp = load_model(None, disable=())
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    for text in texts:
        nlp(text)
    return {"load_s": t_load, "loop_s": time.perf_counter() - t1, "docs": len(texts),
            "components": list(nlp.pipe_names)}


def run_nlp_measure(kind: str, texts: list[str], work: Path, **kw) -> dict:
    """Run measure_limit / measure_naive in a fresh interpreter (so no import or model is warm)."""
    inp, outp = work / f"{kind}-input.json", work / f"{kind}-result.json"
    inp.write_text(json.dumps({"texts": texts, **kw}), encoding="utf-8")
    res = run_measured([sys.executable, "-m", "bench.perf", "--measure", kind, "--input", str(inp),
                        "--output", str(outp)], env=cli_env())
    if res["returncode"] != 0:
        sys.stderr.write("\n".join(line for _, line in res["stderr"]) + "\n")
        raise SystemExit(f"{kind} measurement failed with exit code {res['returncode']}")
    result = json.loads(outp.read_text(encoding="utf-8"))
    inp.unlink()
    result.update(tree_rss_mb=res["tree_rss_mb"], max_process_rss_mb=res["max_process_rss_mb"],
                  process_wall_s=res["wall_s"], cpu_s=res["cpu_s"], load=res["load"])
    return result


def words(text: str) -> int:
    return len(text.split())     # the definition of articles.word_count


def derived_hashes(data: Path) -> set[str]:
    """text_hashes whose analysis was mapped from another copy's (nlp_docs.derived_from), not run
    through the model; empty when the catalog has no such column."""
    import duckdb

    try:
        rows = read_rows(data, "SELECT text_hash FROM nlp_docs WHERE derived_from IS NOT NULL")
    except duckdb.Error:
        return set()
    return {r["text_hash"] for r in rows}


# -- one size ------------------------------------------------------------------------------------------
def testbed_shape(size: int) -> tuple[int, int]:
    """(base stories N, scale K) for about `size` articles.

    Up to 33k articles N is BASE_STORIES. Past that N and K grow together, to at most every usable
    base text (the generator's scale is at most N): about 72k articles with the default repost
    mix, and about 105k with testbed_mix's (siblings and write-throughs for every wire story)."""
    per_base = ARTICLES_PER_STORY
    if size < BASE_STORIES * per_base:
        return max(10, round(size / per_base)), 1
    if size <= BASE_STORIES * BASE_STORIES * per_base:
        return BASE_STORIES, max(1, round(size / (BASE_STORIES * per_base)))
    if testbed_mix(size):
        per_base = ARTICLES_PER_STORY_FULL_MIX
    n = min(USABLE_BASES, math.ceil(math.sqrt(size / per_base)))
    return n, n


def testbed_mix(size: int) -> tuple[str, ...]:
    """The generator's arguments beyond the default repost mix for about `size` articles: none
    up to what every usable base text gives with it (about 72k), else FULL_MIX."""
    return FULL_MIX if size > USABLE_BASES * USABLE_BASES * ARTICLES_PER_STORY else ()


def log(msg: str) -> None:
    print(f"[perf {datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def bench_size(size: int, work: Path, naive_sample: int, writethru: float | None = None) -> dict:
    """Every measurement for one testbed size (`writethru`: the generator's --writethru share, and
    the floor over one text per story measured too); returns a JSON-able dict."""
    sw = work / f"size-{size}"
    phase = ingest_phase(size, sw, () if writethru is None else ("--writethru", str(writethru)))
    # Kept beside the data, so the later measurements can be re-run on it alone.
    (sw / "ingest.json").write_text(json.dumps(phase, default=str), encoding="utf-8")
    return measure_phase(size, sw, phase, naive_sample, per_story=writethru is not None)


def site_hosts(site_dirs: Iterable[str], first: str = "127.0.0.2") -> dict[str, str]:
    """One loopback address per site directory: the i-th in sorted order gets `first` + i.

    Takes the testbed's site directory names and the first address; returns {site dir: address}.
    Raises ValueError when an address would fall outside 127.0.0.0/8 (too many sites).
    """
    start = ipaddress.IPv4Address(first)
    hosts = {}
    for i, site in enumerate(sorted(set(site_dirs))):
        address = start + i
        if not address.is_loopback:
            raise ValueError(f"site {i} ({site!r}) would get {address}, outside loopback 127.0.0.0/8")
        hosts[site] = str(address)
    return hosts


def rehost_urls(text: str, base_url: str, site_bases: Mapping[str, str]) -> str:
    """Point every URL `base_url/<site>/...` in `text` at `site_bases[<site>]/<site>/...`.

    Takes the text of a testbed file, the base URL it was generated with (`http://127.0.0.1:PORT`)
    and {site dir: new base URL, such as `http://127.0.0.2:PORT`}; returns the text with those URLs
    rewritten. The path is kept, so each site's files are still found under its directory. URLs
    whose first path segment is not a site directory, and `base_url` alone, are left as they are.
    """
    # The site directory is a whole path segment: `site-a` must not match inside `site-ab`, nor
    # port 80 inside port 8000 (hence the required slash after base_url).
    pattern = re.compile(re.escape(base_url.rstrip("/")) + r"/([A-Za-z0-9._~%-]+)")

    def swap(m: re.Match) -> str:
        new = site_bases.get(m[1])
        return m[0] if new is None else f"{new.rstrip('/')}/{m[1]}"

    return pattern.sub(swap, text)


def rehost_testbed(testbed: Path, base_url: str, site_bases: Mapping[str, str]) -> int:
    """Apply rehost_urls to every file of a generated testbed in place; returns the files changed.

    Files are read and written as Latin-1, which maps each byte to one character and back: the
    testbed's pages come in several encodings (UTF-8, ISO-8859-1), the URLs are ASCII, and every
    other byte must come out exactly as it went in.
    """
    changed = 0
    for path in testbed.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="latin-1")
        new = rehost_urls(text, base_url, site_bases)
        if new != text:
            path.write_text(new, encoding="latin-1")
            changed += 1
    return changed


def _stop_all(servers: list) -> None:
    # Each stop waits up to the server loop's poll interval (0.5 s): stop them side by side, not
    # one after another (50 sites would take half a minute).
    threads = [threading.Thread(target=server.stop) for server in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def serve_sites(stack: contextlib.ExitStack, root: Path, hosts: Iterable[str], attempts: int = 20) -> int:
    """Start one SampleServer per loopback address in `hosts`, all serving `root` on one port.

    The servers are stopped when `stack` closes. The port is one found free on 127.0.0.1; if it is
    taken on any of the other addresses, the servers started so far are stopped and another port
    is tried. Returns the port; raises OSError when `attempts` ports all failed.
    """
    from flows.sample_server import SampleServer

    hosts = list(hosts)
    last: OSError | None = None
    for _ in range(attempts):
        port = free_port()
        servers: list[SampleServer] = []
        try:
            for host in hosts:
                servers.append(SampleServer(root, port=port, host=host).start())
        except OSError as exc:
            _stop_all(servers)
            last = exc
            continue
        stack.callback(_stop_all, servers)
        return port
    raise OSError(f"no port free on all of {len(hosts)} loopback addresses after {attempts} tries: {last}")


def ingest_phase(size: int, sw: Path, generator_args: Sequence[str] = ()) -> dict:
    """Generate and serve the testbed in `sw`; a cold ingest and a no-op re-run, both measured.

    `generator_args` go to make_testbed.py as well (such as `--writethru 1`).

    Each site is served on its own loopback address (127.0.0.2, 127.0.0.3, ...; one port), so the
    fetcher's per-host politeness applies per site, as it would with that many real sites.
    """
    n_base, scale = testbed_shape(size)
    generator_args = (*testbed_mix(size), *generator_args)
    shutil.rmtree(sw, ignore_errors=True)
    sw.mkdir(parents=True)
    testbed = sw / "testbed"
    # The generator writes absolute URLs on this base; they are rewritten below, one host per site,
    # on the port the servers actually got.
    gen_base = f"http://127.0.0.1:{free_port()}"
    log(f"size {size}: generating testbed (--stories {n_base} --scale {scale} --sites {SITES} {' '.join(generator_args)})")
    t0 = time.monotonic()
    subprocess.run([sys.executable, str(TESTBED), "--base", str(BASE_TEXTS), "--out", str(testbed),
                    "--base-url", gen_base, "--overwrite", "--stories", str(n_base), "--scale", str(scale),
                    "--sites", str(SITES), "--seed", str(SEED), *generator_args], check=True, capture_output=True)
    gen_s = time.monotonic() - t0
    hosts = site_hosts(p.name for p in testbed.iterdir() if p.is_dir())
    feeds_file = testbed / "feeds.opml"   # it names each site (by title: the hosts are IP addresses)
    data = sw / "data"

    with contextlib.ExitStack() as stack:
        port = serve_sites(stack, testbed, hosts.values())
        t0 = time.monotonic()
        changed = rehost_testbed(testbed, gen_base, {site: f"http://{h}:{port}" for site, h in hosts.items()})
        addresses = list(hosts.values())
        log(f"size {size}: {len(hosts)} sites on {addresses[0]}..{addresses[-1]}, port {port} "
            f"({changed} files rewritten in {time.monotonic() - t0:.1f} s)")
        truth = json.loads((testbed / "truth.json").read_text(encoding="utf-8"))
        n_feeds = len(read_feed_list(feeds_file.read_text(encoding="utf-8")))
        log(f"size {size}: cold ingest of {len(truth['articles'])} pages from {n_feeds} feeds")
        started_epoch = time.time()
        cold = ingest(feeds_file, data)
        tasks = prefect_task_spans(data, started_epoch)
        log(f"size {size}: cold ingest {cold['wall_s']:.1f} s; no-op re-run")
        noop = ingest(feeds_file, data)
    return {"testbed": {"stories_arg": n_base, "scale": scale, "sites": SITES, "seed": SEED, "args": list(generator_args),
                        "pages": len(truth["articles"]), "stories": len(truth["stories"]),
                        "generate_s": round(gen_s, 1), "hosts": len(hosts), "port": port},
            "feeds": n_feeds, "cold": cold, "noop": noop, "tasks": tasks}


def measure_phase(size: int, sw: Path, phase: dict, naive_sample: int, per_story: bool = False) -> dict:
    """Queries, T_limit and T_naive on the data the ingest phase left in `sw`; the size's result.

    With `per_story`, also the floor over one text per story, its longest version (issue 18's
    write-through measure: only reusing paragraphs across versions can come near it)."""
    data = sw / "data"
    cold, noop, tasks = phase["cold"], phase["noop"], phase["tasks"]
    runs = read_rows(data, "SELECT * FROM runs ORDER BY started_at")
    cold_run, noop_run = runs[0], runs[-1]

    log(f"size {size}: queries")
    queries = {name: time_query(data, sql) for name, sql in QUERIES.items()}

    # One text per text_hash (the exact text), as the pipeline keys its analyses.
    distinct = read_rows(data, "SELECT text_hash, arg_min(text, article_id) AS text FROM articles "
                               "GROUP BY text_hash ORDER BY text_hash")
    arts = read_rows(data, "SELECT article_id, text FROM articles ORDER BY article_id")
    n_nlp_docs = read_rows(data, "SELECT count(*) AS n FROM nlp_docs")[0]["n"]
    distinct_texts = [r["text"] for r in distinct]
    distinct_words = sum(words(t) for t in distinct_texts)
    derived = derived_hashes(data)
    model_words = sum(words(r["text"]) for r in distinct if r["text_hash"] not in derived)
    total_words = sum(words(r["text"]) for r in arts)

    # The NLP settings the pipeline ran with, as its `runs` row recorded them.
    settings = json.loads(cold_run["parameters"])["settings"]
    # The floor is bare nlp.pipe over the texts the pipeline ran the model on: every distinct
    # text except those whose analysis it mapped from another copy of their story.
    model_texts = [r["text"] for r in distinct if r["text_hash"] not in derived]
    log(f"size {size}: T_limit over the {len(model_texts)} texts the model ran on ({model_words} words; "
        f"{len(distinct_texts)} distinct texts, {distinct_words} words)")
    limit = run_nlp_measure("limit", model_texts, sw, n_process=settings["n_process"],
                            batch_size=settings["batch_size"])
    from flows.ingest import PARAGRAPH_BATCH
    from tasks.paragraphs import paragraphs_of

    paragraphs = list(dict.fromkeys(p for t in model_texts for p in paragraphs_of(t)))
    log(f"size {size}: bare nlp.pipe over their {len(paragraphs)} distinct paragraphs "
        f"({sum(words(p) for p in paragraphs)} words)")
    limit_paragraphs = run_nlp_measure("limit", paragraphs, sw, n_process=settings["n_process"],
                                       batch_size=PARAGRAPH_BATCH * settings["batch_size"])
    limit_story = None
    if per_story:
        longest = [r["text"] for r in read_rows(data, "SELECT arg_max(text, word_count) AS text FROM articles "
                                                      "GROUP BY story_id ORDER BY story_id")]
        log(f"size {size}: T_limit over one text per story, its longest ({len(longest)} texts, "
            f"{sum(words(t) for t in longest)} words)")
        limit_story = run_nlp_measure("limit", longest, sw, n_process=settings["n_process"],
                                      batch_size=settings["batch_size"])
        limit_story = {**limit_story, "texts": len(longest), "words": sum(words(t) for t in longest),
                       "t_s": limit_story["load_s"] + limit_story["pipe_s"]}
    rng = random.Random(SEED)
    sample = rng.sample(arts, min(naive_sample, len(arts)))
    sample_texts = [r["text"] for r in sample]
    sample_words = sum(words(t) for t in sample_texts)
    log(f"size {size}: T_naive on {len(sample)} of {len(arts)} articles ({sample_words} of {total_words} words)")
    naive = run_nlp_measure("naive", sample_texts, sw)
    naive_est = naive["load_s"] + naive["loop_s"] * (total_words / sample_words if sample_words else 0)

    t_limit = limit["load_s"] + limit["pipe_s"]
    # The floor for the texts the model actually ran on, scaled by words (not measured separately).
    t_limit_ran = t_limit
    return {
        "size": size, "testbed": phase["testbed"], "feeds": phase["feeds"],
        "articles": len(arts),
        "distinct_texts": len(distinct_texts),
        "nlp_docs": n_nlp_docs,
        "texts_analyzed": cold_run.get("texts_analyzed"),
        "words_all_articles": total_words,
        "words_distinct": distinct_words,
        "words_model_ran": model_words,
        "texts_mapped": cold_run.get("texts_mapped"),
        "pipeline": {
            "wall_s": cold["wall_s"], "run_seconds": cold_run.get("seconds"), "cpu_s": cold["cpu_s"],
            "tree_rss_mb": cold["tree_rss_mb"], "tree_pss_mb": cold["tree_pss_mb"],
            "max_process_rss_mb": cold["max_process_rss_mb"], "peak_procs": cold["peak_procs"],
            "max_procs": cold["max_procs"], "new_articles": cold_run.get("new_articles"),
            "pages_fetched": cold_run.get("pages_fetched"), "pages_failed": cold_run.get("pages_failed"),
            "feeds_failed": cold_run.get("feeds_failed"), "status": cold_run.get("status"), "load": cold["load"],
            "progress_spans": progress_spans(cold["stderr"]), "prefect_tasks": tasks,
            "cores_busy": stage_cores(cold), "memory_mb": stage_memory(cold),
        },
        "noop": {"wall_s": noop["wall_s"], "run_seconds": noop_run.get("seconds"),
                 "feeds_total": noop_run.get("feeds_total"), "feeds_unchanged": noop_run.get("feeds_unchanged"),
                 "new_articles": noop_run.get("new_articles"), "texts_analyzed": noop_run.get("texts_analyzed"),
                 "tree_rss_mb": noop["tree_rss_mb"], "load": noop["load"]},
        "queries": queries,
        "limit": {**limit, "t_s": t_limit, "t_model_ran_s": t_limit_ran, "words_per_s": model_words / limit["pipe_s"] if limit["pipe_s"] else None},
        "limit_paragraphs": {**limit_paragraphs, "paragraphs": len(paragraphs),
                             "words": sum(words(p) for p in paragraphs),
                             "t_s": limit_paragraphs["load_s"] + limit_paragraphs["pipe_s"]},
        "naive": {**naive, "sample_articles": len(sample), "sample_words": sample_words,
                  "t_s": naive_est, "extrapolated": len(sample) < len(arts),
                  "words_per_s": sample_words / naive["loop_s"] if naive["loop_s"] else None},
        "limit_story": limit_story,
        "ratios": {"pipeline_over_limit": cold["wall_s"] / t_limit, "pipeline_over_naive": cold["wall_s"] / naive_est,
                   "pipeline_over_limit_model_ran": cold["wall_s"] / t_limit_ran,
                   "pipeline_over_limit_story": cold["wall_s"] / limit_story["t_s"] if limit_story else None},
    }


# -- report ------------------------------------------------------------------------------------------
def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def _miss(value: float, target: float) -> str:
    return f" (+{(value / target - 1) * 100:.0f}%)" if value > target else ""


def growth_exponent(results: list[dict], key) -> float | None:
    """b in value ∝ articles^b between the smallest and the largest size (b < 1: sub-linear)."""
    if len(results) < 2:
        return None
    a, z = results[0], results[-1]
    if a["articles"] == z["articles"] or key(a) <= 0 or key(z) <= 0:
        return None
    return math.log(key(z) / key(a)) / math.log(z["articles"] / a["articles"])


def render(machine: dict, results: list[dict]) -> str:
    """The Markdown report: machine, one table of measurements against targets, stage breakdowns."""
    heads = [f"{r['articles']:,} articles" for r in results]
    rows: list[tuple[str, str, list[str]]] = []

    def row(name, target, fmt):
        rows.append((name, target, [fmt(r) for r in results]))

    row("feeds / stories (truth) / distinct texts / run through the model", "",
        lambda r: f"{r['feeds']} / {r['testbed']['stories']:,} / {r['distinct_texts']:,} / "
                  f"{r['texts_analyzed'] if r['texts_analyzed'] is not None else '?'}")
    row("words: all articles / distinct texts", "", lambda r: f"{r['words_all_articles']:,} / {r['words_distinct']:,}")
    row("T_pipeline (cold ingest, wall)", "", lambda r: f"{r['pipeline']['wall_s']:.1f} s")
    row("T_limit (nlp.pipe over the texts the model ran on, 2 proc, load incl.)", "",
        lambda r: f"{r['limit']['t_s']:.1f} s ({r['limit']['load_s']:.1f} load + {r['limit']['pipe_s']:.1f}; "
                  f"{r['limit']['words_per_s']:,.0f} w/s)")
    row("bare nlp.pipe over their distinct paragraphs (2 proc, load incl.)", "",
        lambda r: f"{r['limit_paragraphs']['t_s']:.1f} s ({r['limit_paragraphs']['paragraphs']:,} paragraphs, "
                  f"{r['limit_paragraphs']['words']:,} words)")
    row("T_naive (nlp(text) per article, 1 proc)", "",
        lambda r: f"{r['naive']['t_s']:.1f} s" + (f" (est. from {r['naive']['sample_articles']:,}; "
                                                   if r["naive"]["extrapolated"] else " (") +
        f"{r['naive']['words_per_s']:,.0f} w/s)")
    row("T_pipeline / T_limit", f"≤ {TARGET_LIMIT_RATIO}",
        lambda r: f"{r['ratios']['pipeline_over_limit']:.2f}"
                  f"{_mark(r['ratios']['pipeline_over_limit'] <= TARGET_LIMIT_RATIO)}"
                  f"{_miss(r['ratios']['pipeline_over_limit'], TARGET_LIMIT_RATIO)}")
    if any(r.get("limit_story") for r in results):
        row("T_limit over one text per story, its longest (2 proc, load incl.)", "",
            lambda r: f"{r['limit_story']['t_s']:.1f} s ({r['limit_story']['texts']:,} texts, "
                      f"{r['limit_story']['words']:,} words)" if r.get("limit_story") else "")
        row("T_pipeline / T_limit per story", f"≤ {TARGET_LIMIT_RATIO}",
            lambda r: f"{r['ratios']['pipeline_over_limit_story']:.2f}"
                      f"{_mark(r['ratios']['pipeline_over_limit_story'] <= TARGET_LIMIT_RATIO)}"
                      f"{_miss(r['ratios']['pipeline_over_limit_story'], TARGET_LIMIT_RATIO)}"
            if r.get("limit_story") else "")
    row("T_pipeline / T_naive", f"≤ {TARGET_NAIVE_RATIO}",
        lambda r: f"{r['ratios']['pipeline_over_naive']:.2f}"
                  f"{_mark(r['ratios']['pipeline_over_naive'] <= TARGET_NAIVE_RATIO)}"
                  f"{_miss(r['ratios']['pipeline_over_naive'], TARGET_NAIVE_RATIO)}")

    def rss(r):
        p = r["pipeline"]
        at_target = r["articles"] >= TARGET_RSS_AT * 0.9
        return (f"{p['tree_rss_mb']:,.0f} MB (PSS {p['tree_pss_mb']:,.0f}; largest process "
                f"{p['max_process_rss_mb']:,.0f})" + (_mark(p["tree_rss_mb"] <= TARGET_RSS_MB) if at_target else ""))
    row("peak RSS, ingest process tree", f"≤ {TARGET_RSS_MB:,} MB at {TARGET_RSS_AT:,}, sub-linear", rss)
    row("no-op re-run (all feeds unchanged)", f"≤ {TARGET_NOOP_S:.0f} s for {TARGET_NOOP_FEEDS} feeds",
        lambda r: f"{r['noop']['wall_s']:.1f} s, {r['noop']['feeds_unchanged']}/{r['noop']['feeds_total']} "
                  f"unchanged{_mark(r['noop']['wall_s'] <= TARGET_NOOP_S)}{_miss(r['noop']['wall_s'], TARGET_NOOP_S)}")
    for name in QUERIES:
        row(f"query: {name} (best of 3)", f"≤ {TARGET_QUERY_S * 1000:.0f} ms",
            lambda r, n=name: f"{r['queries'][n]['best_s'] * 1000:.0f} ms ({r['queries'][n]['rows']} rows)"
                              f"{_mark(r['queries'][n]['best_s'] <= TARGET_QUERY_S)}")

    lines = [
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']} GB RAM; "
        f"load average {machine['loadavg_start']:.2f} at start; {machine['date']}; Python {machine['python']}, "
        f"spaCy {machine['spacy']}, {machine['model']}; commit {machine['commit']}.",
        "",
        "| measure | target | " + " | ".join(heads) + " |",
        "|---|---|" + "---|" * len(heads),
    ]
    lines += [f"| {name} | {target} | " + " | ".join(cells) + " |" for name, target, cells in rows]
    b_time = growth_exponent(results, lambda r: r["pipeline"]["wall_s"])
    b_rss = growth_exponent(results, lambda r: r["pipeline"]["tree_rss_mb"])
    if b_time is not None:
        lines += ["", f"Growth from the smallest to the largest size: time ∝ articles^{b_time:.2f}, "
                      f"peak RSS ∝ articles^{b_rss:.2f} (an exponent below 1 is sub-linear)."]
    lines += ["", "1-minute load average before / after each measurement (above the number of CPUs, other work "
                  "was competing and the times are inflated): " + "; ".join(
        f"{r['articles']:,} articles: pipeline {r['pipeline']['load'][0]:.1f}/{r['pipeline']['load'][1]:.1f}, "
        f"T_limit {r['limit']['load'][0]:.1f}/{r['limit']['load'][1]:.1f}, "
        f"T_naive {r['naive']['load'][0]:.1f}/{r['naive']['load'][1]:.1f}" for r in results) + "."]
    if any(r["naive"]["extrapolated"] for r in results):
        lines += ["", "T_naive is measured on a random sample of articles and extrapolated linearly by word "
                      "count (model load counted once)."]
    for r in results:
        lines += ["", f"Stages of the cold ingest at {r['articles']:,} articles (seconds since the process "
                      "started; Prefect task runs from the run's Prefect database, progress lines from stderr):", ""]
        lines += ["| stage | runs | busy (summed) | from | to |", "|---|---|---|---|---|"]
        tasks = r["pipeline"]["prefect_tasks"]
        for name, d in sorted(tasks.items(), key=lambda kv: kv[1]["first"] or 0):
            lines.append(f"| {name} | {d['runs']} | {d['busy_s']:.1f} | {d['first']:.1f} | {d['last']:.1f} |")
        cores = r["pipeline"].get("cores_busy", {})
        memory = r["pipeline"].get("memory_mb", {})
        for stage, (a, z) in r["pipeline"]["progress_spans"].items():
            busy = f" ({cores[stage]:.2f} cores busy)" if cores.get(stage) is not None else ""
            if stage in memory:
                busy += f" (peak RSS: CLI {memory[stage][0]} MB, tree {memory[stage][1]} MB)"
            lines.append(f"| progress: {stage}{busy} | | | {a:.1f} | {z:.1f} |")
        lines.append(f"| process exit | | | | {r['pipeline']['wall_s']:.1f} |")
        if cores.get("(before the NLP stage)") is not None:
            lines += ["", f"Cores kept busy by the ingest tree (CPU time sampled every 0.2 s over wall time; "
                          f"{os.cpu_count()} on this machine): {cores['(before the NLP stage)']:.2f} before the "
                          f"NLP stage, {cores.get('nlp stage') or 0:.2f} during it, {cores['(whole run)']:.2f} "
                          "over the whole run."]
        procs = ", ".join(f"{n} {mb} MB" for n, mb in r["pipeline"]["peak_procs"][:6])
        lines += ["", f"CPU time of the ingest tree {r['pipeline']['cpu_s']:.0f} s over {r['pipeline']['wall_s']:.0f} s "
                      f"wall; at peak memory: {procs}."]
    return "\n".join(lines) + "\n"


# -- main ------------------------------------------------------------------------------------------
def _measure_main(kind: str, inp: str, outp: str) -> int:
    spec = json.loads(Path(inp).read_text(encoding="utf-8"))
    texts = spec.pop("texts")
    result = measure_limit(texts, **spec) if kind == "limit" else measure_naive(texts)
    Path(outp).write_text(json.dumps(result), encoding="utf-8")
    return 0


def parse_sizes(s: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in s.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes wants integers separated by commas, got {s!r}") from None
    if not sizes or sizes[0] < 30:
        raise argparse.ArgumentTypeError(f"--sizes wants article counts of 30 or more, got {s!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes("2000,10000,30000"),
                    help="target article counts, comma-separated (default 2000,10000,30000)")
    ap.add_argument("--work", help="work directory (default: a new temporary one; its testbeds and data "
                                   "directories are removed at the end, perf.json and perf.md are kept)")
    ap.add_argument("--quick", action="store_true", help="only the smallest size (a smoke test)")
    ap.add_argument("--naive-sample", type=int, default=1000,
                    help="articles T_naive is measured on before extrapolating (default 1000)")
    ap.add_argument("--keep", action="store_true", help="keep testbeds and data directories")
    ap.add_argument("--writethru", type=float, help="the generator's --writethru share (1: every wire story has a "
                                                     "write-through); also measures T_limit over one text per story")
    ap.add_argument("--measure", choices=("limit", "naive"), help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        return _measure_main(args.measure, args.input, args.output)
    if not (TESTBED.exists() and BASE_TEXTS.exists()):
        print(f"bench.perf needs {SHARED} (the testbed generator tools/make_testbed.py and its base texts), "
              "which is not here; nothing measured. (A generator of our own, for clones without it, is a "
              "possible later addition.)")
        return 0
    sizes = args.sizes[:1] if args.quick else args.sizes
    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="newsflow-perf-"))
    work.mkdir(parents=True, exist_ok=True)
    keep = args.keep or bool(args.work)
    machine = machine_info()
    results = []
    for size in sizes:
        results.append(bench_size(size, work, args.naive_sample, args.writethru))
        if not keep:
            shutil.rmtree(work / f"size-{size}", ignore_errors=True)
    machine["loadavg_end"] = os.getloadavg()[0]
    report = render(machine, results)
    print(report, end="")
    (work / "perf.md").write_text(report, encoding="utf-8")
    (work / "perf.json").write_text(json.dumps({"machine": machine, "results": results, "targets": {
        "pipeline_over_limit": TARGET_LIMIT_RATIO,
        "pipeline_over_naive": TARGET_NAIVE_RATIO, "rss_mb": TARGET_RSS_MB, "rss_at_articles": TARGET_RSS_AT,
        "noop_s": TARGET_NOOP_S, "noop_feeds": TARGET_NOOP_FEEDS, "query_s": TARGET_QUERY_S}},
        indent=1, default=str), encoding="utf-8")
    print(f"\nwritten: {work / 'perf.json'} and {work / 'perf.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
