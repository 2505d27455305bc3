"""Shared fixtures: loopback servers for the bundled sample sites and the test fixture sites."""
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


@pytest.fixture(scope="session")
def sample_server():
    with SampleServer(SAMPLE / "sites") as server:
        yield server


@pytest.fixture(scope="session")
def fixture_server():
    with SampleServer(FIXTURE_SITES) as server:
        yield server
