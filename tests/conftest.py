"""Shared fixtures: loopback servers for the bundled sample sites and the test fixture sites."""
from __future__ import annotations

from pathlib import Path

import pytest

from flows.sample_server import SampleServer

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
