"""The cached empty Prefect database: saved once from a freshly migrated home, copied into new homes."""
from __future__ import annotations

import sqlite3

import pytest

from flows import prefect_api


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSFLOW_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_home(path, rows=("migrated",)):
    path.mkdir(parents=True)
    with sqlite3.connect(path / "prefect.db") as con:
        con.execute("PRAGMA journal_mode=WAL")   # as Prefect keeps it: the snapshot must include the WAL
        con.execute("CREATE TABLE alembic_version (v TEXT)")
        con.executemany("INSERT INTO alembic_version VALUES (?)", [(r,) for r in rows])
    (path / "memo_store.toml").write_text('block_auto_registration = "abc"\n')
    return path


def rows(db):
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT v FROM alembic_version")]


def test_new_home_gets_the_saved_database(tmp_path, cache):
    prefect_api.save_template(make_home(tmp_path / "first"))
    assert prefect_api.seed_home(tmp_path / "new") is True
    assert rows(tmp_path / "new" / "prefect.db") == ["migrated"]
    assert (tmp_path / "new" / "memo_store.toml").read_text() == 'block_auto_registration = "abc"\n'
    assert not list(cache.glob("*.tmp-*")) and not list((tmp_path / "new").glob(".tmp-*"))


def test_existing_database_is_never_replaced(tmp_path, cache):
    prefect_api.save_template(make_home(tmp_path / "first"))
    home = make_home(tmp_path / "old", rows=("history",))
    assert prefect_api.seed_home(home) is False
    assert rows(home / "prefect.db") == ["history"]


def test_no_template_means_no_copy_and_first_template_wins(tmp_path, cache):
    assert prefect_api.seed_home(tmp_path / "new") is False
    assert not (tmp_path / "new" / "prefect.db").exists()
    prefect_api.save_template(make_home(tmp_path / "a", rows=("one",)))
    prefect_api.save_template(make_home(tmp_path / "b", rows=("two",)))
    prefect_api.seed_home(tmp_path / "c")
    assert rows(tmp_path / "c" / "prefect.db") == ["one"]


def test_configured_api_is_used_as_is(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    with prefect_api.prefect_api(tmp_path) as ready:
        assert ready() == "http://127.0.0.1:4200/api"
    assert not (tmp_path / ".prefect").exists()
