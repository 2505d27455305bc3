"""A Dask cluster of separate processes on loopback (`dask scheduler`, `dask worker`), for tests and benchmarks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


class LoopbackCluster:
    """A scheduler and `n_workers` single-threaded workers on 127.0.0.1, dashboards off.

    Workers run under nannies, which start a replacement when a worker process dies. `env` is
    every process's environment (S3 credentials, PYTHONPATH); logs go to `workdir`. `client`
    is a distributed.Client on the scheduler, `address` its address.
    """

    def __init__(self, env: dict, workdir: Path, n_workers: int = 2, timeout: float = 120):
        self.env, self.workdir = env, Path(workdir)
        self.scheduler_file = self.workdir / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self._spawn("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(self.scheduler_file))
        deadline = time.monotonic() + timeout
        while not self.scheduler_file.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.close()
                raise RuntimeError(f"dask scheduler did not start; see {self.workdir}")
            time.sleep(0.1)
        for i in range(n_workers):
            self._spawn("worker", "--scheduler-file", str(self.scheduler_file), "--nthreads", "1",
                        "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}",
                        "--local-directory", str(self.workdir))
        from distributed import Client

        self.client = Client(scheduler_file=str(self.scheduler_file), timeout=timeout)
        self.client.wait_for_workers(n_workers, timeout=timeout)
        self.address = self.client.scheduler.address

    def _spawn(self, *args: str) -> None:
        log = open(self.workdir / f"{args[0]}-{len(self.procs)}.log", "wb")
        self.procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], env=self.env, cwd=self.workdir,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def __enter__(self) -> "LoopbackCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
