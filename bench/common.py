"""Helpers shared by the benchmark scripts: find ../shared, run the CLI, free ports."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSFLOW_SHARED", ROOT.parent / "shared"))
TESTBED = SHARED / "tools" / "make_testbed.py"
SCORER = SHARED / "tools" / "score_testbed.py"
BASE_TEXTS = SHARED / "corpora" / "scrapinghub-article-extraction-benchmark" / "ground-truth.json"


def require_shared() -> bool:
    """True when ../shared (testbed generator and corpora) is present; says so when it is not."""
    if TESTBED.exists() and BASE_TEXTS.exists():
        return True
    print(f"skipped: {SHARED} is not here (it holds the testbed generator and corpora; "
          "a user's clone has none)")
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newsflow(*args: str, check: bool = True) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI in a subprocess; returns (result, wall seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PYTHONPATH"] = str(ROOT)
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    secs = time.monotonic() - t0
    if check and res.returncode not in (0, 3):
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"newsflow {' '.join(args[:1])} failed with {res.returncode}")
    return res, secs


def sql_rows(data: Path, query: str) -> list[dict]:
    res, _ = newsflow("sql", "--data", str(data), "--format", "json", query)
    return [json.loads(line) for line in res.stdout.splitlines()]


def make_testbed(out: Path, base_url: str, *extra: str) -> None:
    res = subprocess.run([sys.executable, str(TESTBED), "--base", str(BASE_TEXTS), "--out", str(out),
                          "--base-url", base_url, "--overwrite", *extra], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"make_testbed.py failed: {res.stderr.strip()}")
