"""Opening, refusing, backing up and migrating the store."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from livedesk.models import Base, Customer
from livedesk.models.engine import make_engine
from livedesk.services import customers
from livedesk.services.store import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    StoreError,
    alembic_config,
    open_store,
    resolve_url,
    sqlite_url,
)


def test_head_revision_constant_matches_the_newest_migration():
    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() == HEAD_REVISION


def test_migrations_build_exactly_the_schema_the_models_declare(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


@pytest.mark.sqlite_only  # the SQLite file itself
def test_new_store_is_wal_with_foreign_keys_and_full_sync(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_file_that_is_not_sqlite_is_refused_and_left_unchanged(tmp_path):
    bad = tmp_path / "orders.sqlite3"
    bad.write_bytes(b"\x00garbage, not a database" * 100)
    before = bad.read_bytes()
    with pytest.raises(StoreError, match="not an SQLite file"):
        open_store(sqlite_url(bad))
    assert bad.read_bytes() == before


def test_a_damaged_sqlite_file_is_refused_and_left_unchanged(tmp_path):
    bad = tmp_path / "damaged.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    before = bad.read_bytes()
    with pytest.raises(StoreError) as err:
        open_store(sqlite_url(bad))
    assert str(bad) in str(err.value)
    assert bad.read_bytes() == before


def test_another_applications_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a LiveDesk database"):
        open_store(sqlite_url(other))
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")] == ["contacts"]


def test_a_store_from_a_newer_livedesk_is_refused(store, tmp_path):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    store.dispose()
    with pytest.raises(StoreError, match="newer LiveDesk"):
        open_store(store.url)


def test_a_store_at_the_first_migration_is_backed_up_then_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    engine = make_engine(sqlite_url(path))
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.exec_driver_sql(
            "INSERT INTO customers (id, nickname, tier, level, order_count, total_spent_fen, spent_12m_fen, "
            "points_balance, search_text, created_at, updated_at) "
            "VALUES (1, '王姐', 'vip', 'gold', 3, 4500000, 4500000, 45000, '王姐', '2026-01-01', '2026-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO orders (id, platform, platform_order_id, customer_id, status, total_fen, ordered_at, "
            "created_at, updated_at) VALUES (1, 'douyin', '6912345', 1, 'completed', 4500000, '2026-01-01', "
            "'2026-01-01', '2026-01-01')"
        )
    engine.dispose()

    store = open_store(sqlite_url(path))
    try:
        with store.write() as s:
            assert s.execute(select(Customer.nickname, Customer.total_spent_fen)).one() == ("王姐", 4500000)
        assert store.engine.connect().exec_driver_sql("SELECT version_num FROM alembic_version").scalar() \
            == HEAD_REVISION
        if HEAD_REVISION != "0001":
            assert store.backup is not None and store.backup.exists()
            backup_rows = sqlite3.connect(store.backup).execute("SELECT nickname FROM customers").fetchall()
            assert backup_rows == [("王姐",)]
    finally:
        store.dispose()


@pytest.mark.sqlite_only  # the SQLite file itself
def test_reopening_a_current_store_makes_no_backup(store):
    store.dispose()
    again = open_store(store.url)
    assert again.backup is None
    assert not (store.path.parent / "backups").exists()
    again.dispose()


def test_db_flag_wins_over_environment_then_url_then_default(tmp_path):
    env = {"LIVEDESK_DB": str(tmp_path / "env.sqlite3"), "LIVEDESK_DATABASE_URL": "postgresql://x/y"}
    assert resolve_url(tmp_path / "flag.sqlite3", env).endswith("flag.sqlite3")
    assert resolve_url(None, env).endswith("env.sqlite3")
    assert resolve_url(None, {"LIVEDESK_DATABASE_URL": "postgresql://x/y"}) == "postgresql://x/y"
    assert resolve_url(None, {}).endswith("livedesk.sqlite3")


def test_a_failed_write_leaves_nothing_behind(store):
    with pytest.raises(ValueError):
        with store.write() as s:
            customers.create(s, customers.NewCustomer(nickname="小鹿"))
            raise ValueError("crash mid-way")
    with store.write() as s:
        assert s.scalars(select(Customer)).all() == []


def test_timestamps_round_trip_as_aware_utc(store):
    with store.write() as s:
        cid = customers.create(s, customers.NewCustomer(nickname="阿May"))
    with store.write() as s:
        created = s.get(Customer, cid).created_at
    assert created.tzinfo == timezone.utc
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 60


def test_every_model_table_exists_after_migration(store):
    assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())


@pytest.mark.sqlite_only  # the SQLite file itself
def test_backup_then_restore_brings_back_the_data_and_keeps_the_replaced_store(store, tmp_path):
    from livedesk.services.backups import make_backup, restore

    with store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="备份前"))
    backup = make_backup(store.path, folder=tmp_path / "bk").path
    with store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="备份后"))
    store.dispose()

    safety = restore(backup, store.path).safety.path
    reopened = open_store(store.url)
    try:
        with reopened.write() as s:
            assert s.scalars(select(Customer.nickname)).all() == ["备份前"]
        assert safety is not None
        assert sorted(r[0] for r in sqlite3.connect(safety).execute("SELECT nickname FROM customers")) \
            == ["备份前", "备份后"]
    finally:
        reopened.dispose()


def test_restoring_from_a_file_that_is_not_a_backup_is_refused(store, tmp_path):
    from livedesk.services.backups import restore

    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    store.dispose()
    with pytest.raises(StoreError, match="not an SQLite file"):
        restore(junk, store.path)


@pytest.mark.sqlite_only  # the SQLite file itself
def test_daily_backup_is_made_once_a_day(store):
    from livedesk.services.backups import backup_if_older_than, newest_verified

    first = backup_if_older_than(store.path)
    assert first is not None and newest_verified(store.path).path == first.path
    assert backup_if_older_than(store.path) is None  # a fresh one exists
    assert backup_if_older_than(store.path, hours=0) is not None


@pytest.mark.sqlite_only  # the SQLite file itself
def test_store_and_backups_are_private_to_the_user(store):
    import stat

    from livedesk.services.backups import make_backup

    info = make_backup(store.path)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(info.path.with_name(info.path.name + ".json").stat().st_mode) == 0o600
    assert stat.S_IMODE(info.path.parent.stat().st_mode) == 0o700
