"""The cached empty Prefect database: saved once from a freshly migrated home, copied into new homes."""
from __future__ import annotations

import sqlite3

import pytest

from flows import prefect_api


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSFLOW_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_home(path, version="head", flow_runs=0):
    path.mkdir(parents=True)
    with sqlite3.connect(path / "prefect.db") as con:
        con.execute("PRAGMA journal_mode=WAL")   # as Prefect keeps it: the snapshot must include the WAL
        con.execute("CREATE TABLE alembic_version (version_num TEXT)")
        con.execute("INSERT INTO alembic_version VALUES (?)", (version,))
        con.execute("CREATE TABLE flow_run (id TEXT)")
        con.executemany("INSERT INTO flow_run VALUES (?)", [(str(i),) for i in range(flow_runs)])
    return path


def version(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_new_home_gets_the_saved_database(tmp_path, cache):
    assert prefect_api.save_template(make_home(tmp_path / "first")) is True
    (tmp_path / "new").mkdir()
    assert prefect_api.seed_home(tmp_path / "new") is True
    assert version(tmp_path / "new" / "prefect.db") == "head"
    assert not list(cache.glob(".tmp-*")) and not list((tmp_path / "new").glob(".tmp-*"))


def test_existing_database_is_never_replaced(tmp_path, cache):
    prefect_api.save_template(make_home(tmp_path / "first"))
    home = make_home(tmp_path / "old", version="older")
    assert prefect_api.seed_home(home) is False
    assert version(home / "prefect.db") == "older"


def test_a_database_with_runs_or_without_migrations_is_not_saved(tmp_path, cache):
    assert prefect_api.save_template(make_home(tmp_path / "used", flow_runs=2)) is False
    bare = tmp_path / "bare"
    bare.mkdir()
    sqlite3.connect(bare / "prefect.db").close()
    assert prefect_api.save_template(bare) is False
    assert not prefect_api.template_path().exists()


def test_no_template_means_no_copy_and_first_template_wins(tmp_path, cache):
    (tmp_path / "new").mkdir()
    assert prefect_api.seed_home(tmp_path / "new") is False
    assert not (tmp_path / "new" / "prefect.db").exists()
    prefect_api.save_template(make_home(tmp_path / "a", version="one"))
    assert prefect_api.save_template(make_home(tmp_path / "b", version="two")) is False
    (tmp_path / "c").mkdir()
    prefect_api.seed_home(tmp_path / "c")
    assert version(tmp_path / "c" / "prefect.db") == "one"


def test_configured_api_is_used_as_is(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    with prefect_api.prefect_api(tmp_path) as ready:
        assert ready() == "http://127.0.0.1:4200/api"
    assert not (tmp_path / ".prefect").exists()


def test_a_database_is_set_up_only_for_the_prefect_that_marked_it(tmp_path, monkeypatch):
    home = make_home(tmp_path / "home")
    assert prefect_api.is_set_up(home) is False            # never marked: the server sets it up
    prefect_api.mark_set_up(home)
    assert prefect_api.is_set_up(home) is True             # the next start skips migrations and blocks
    monkeypatch.setattr(prefect_api, "setup_key", lambda: "prefect==99.0")
    assert prefect_api.is_set_up(home) is False            # an upgraded Prefect migrates again
    (home / "prefect.db").unlink()
    prefect_api.mark_set_up(home)
    assert prefect_api.is_set_up(home) is False            # a mark without its database means nothing


def test_the_cached_database_is_per_prefect_and_collections(tmp_path, cache, monkeypatch):
    first = prefect_api.template_path()
    monkeypatch.setattr(prefect_api, "setup_key", lambda: "prefect==3.9.1;prefect-aws==0.5")
    assert prefect_api.template_path() != first and prefect_api.template_path().parent == first.parent


class FakeServer:
    def __init__(self, home, *, services):
        self.url = "http://127.0.0.1:9/api"

    def wait(self):
        pass


@pytest.mark.parametrize("services,inside", [(False, None), (True, 180)])
def test_runs_on_their_own_server_send_no_heartbeats(tmp_path, monkeypatch, services, inside):
    # A run's own server stops with it: the heartbeat thread only cost up to a second at each
    # run's end. serve's server (services=True) outlives the runs and keeps Prefect's default.
    from prefect.settings import get_current_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("NEWSFLOW_LOCAL_PREFECT", raising=False)
    monkeypatch.setattr(prefect_api, "LocalAPI", FakeServer)
    default = get_current_settings().flows.heartbeat_frequency
    assert default == 180
    with prefect_api.prefect_api(tmp_path, services=services) as ready:
        ready()
        assert get_current_settings().flows.heartbeat_frequency == inside
    assert get_current_settings().flows.heartbeat_frequency == default
