"""Property-based tests at volume: tests/unit/test_fuzz.py under the "bench" Hypothesis profile, with statistics.

Usage: python -m bench.fuzz [--examples 5000] [--seed N] [-- extra pytest arguments]
--examples is the number for a cheap property (feed parsing, cleaning one text, story index);
site batches get a third of it, page extraction a sixth. Needs nothing outside the repository.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=5000)
    ap.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed on failure)")
    ap.add_argument("pytest_args", nargs="*")
    args = ap.parse_args(argv)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_fuzz.py",
           "--hypothesis-profile=bench", "--hypothesis-show-statistics", *args.pytest_args]
    if args.seed is not None:
        cmd.append(f"--hypothesis-seed={args.seed}")
    env = {**os.environ, "NEWSFLOW_FUZZ_EXAMPLES": str(args.examples)}
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
