"""Shared fixtures: an isolated environment, loopback servers for the sample and fixture sites."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from flows.sample_server import SampleServer

# Property tests (tests/unit/test_fuzz.py): about a thousand examples in all in the suite (about
# 12 s of CPU); `make bench-fuzz` (bench/fuzz.py) runs the "bench" profile, its size in
# NEWSFLOW_FUZZ_EXAMPLES. Pick a profile with --hypothesis-profile.
settings.register_profile("newsflow", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("bench", max_examples=int(os.environ.get("NEWSFLOW_FUZZ_EXAMPLES", "5000")), deadline=None)
settings.load_profile("newsflow")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
FIXTURE_SITES = ROOT / "tests" / "fixtures" / "sites"


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    """The session's own newsflow cache (the Prefect database template), and none of the user's
    NEWSFLOW_* or PREFECT_* settings: every process a test starts inherits os.environ."""
    saved = dict(os.environ)
    for name in [k for k in os.environ if k.startswith(("NEWSFLOW_", "PREFECT_"))]:
        del os.environ[name]
    os.environ["NEWSFLOW_CACHE"] = str(tmp_path_factory.mktemp("newsflow-cache"))
    yield
    os.environ.clear()
    os.environ.update(saved)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a newsflow subprocess: this tree first on the path, the session's cache,
    and no Prefect or newsflow setting that an in-process test may have left in os.environ."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSFLOW_", "PREFECT_")) or k == "NEWSFLOW_CACHE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def sample_server():
    with SampleServer(SAMPLE / "sites") as server:
        yield server


@pytest.fixture(scope="session")
def fixture_server():
    with SampleServer(FIXTURE_SITES) as server:
        yield server
