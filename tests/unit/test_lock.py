"""Which lock a run takes, and the names of the lakes' Prefect concurrency limits."""
from __future__ import annotations

import pytest

from flows.lock import Busy, data_lock, lake_limit_name, shared_prefect_server


@pytest.mark.parametrize("env, shared", [
    ({}, False),                                                              # no server yet: newsflow starts its own
    ({"PREFECT_API_URL": "http://prefect.internal:4200/api"}, True),          # the user's shared server
    ({"PREFECT_API_URL": "http://127.0.0.1:4711/api", "NEWSFLOW_LOCAL_PREFECT": "1"}, False),   # newsflow's own
])
def test_the_concurrency_limit_is_taken_only_with_a_shared_server(env, shared, monkeypatch):
    for k in ("PREFECT_API_URL", "NEWSFLOW_LOCAL_PREFECT"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert shared_prefect_server() is shared


def test_each_lake_has_its_own_limit_name():
    a, b = lake_limit_name("s3://news/lake"), lake_limit_name("s3://news-eu/lake")
    assert a.startswith("newsflow-lake-lake-") and b.startswith("newsflow-lake-lake-") and a != b
    assert lake_limit_name("s3://news/lake/") == a == lake_limit_name("s3://news/lake")


def test_the_data_directory_lock_refuses_a_second_holder(tmp_path):
    with data_lock(tmp_path):
        with pytest.raises(Busy, match=r"^another newsflow run \(pid \d+\) is using "):
            with data_lock(tmp_path):
                pass
    with data_lock(tmp_path):   # released: usable again
        pass
