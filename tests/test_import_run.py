"""How an import runs: chunks, progress in every phase, cancel anywhere, bulk loading, the benchmark."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from livedesk.models import Customer, ImportBatch, Order, OrderItem, PointsEntry
from livedesk.checks import bench
from livedesk.services.identity_text import pinyin_keys, search_text
from livedesk.services.importing import ImportCancelled, ImportOptions, import_orders, orders_import
from helpers import counts, snapshot

DATA = Path(__file__).parent / "data"
HEAD = "主订单编号,子订单编号,选购商品,商品金额,订单提交时间,订单状态,收件人,收件人手机号,市\n"


def schema(store) -> list[tuple]:
    """Every index and table definition, as the database describes them."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return conn.execute(text("SELECT tablename, indexname, indexdef FROM pg_indexes "
                                     "WHERE schemaname = current_schema() ORDER BY indexname")).all()
        return conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")).all()


def test_an_orders_rows_far_apart_in_the_file_are_one_order_whatever_the_chunks(store, tmp_path, monkeypatch):
    target = tmp_path / "scattered.csv"
    target.write_text(HEAD
                      + "9001,9001-1,洁面乳,79.00,2024-06-01 10:00:00,已完成,张三,138****0001,杭州市\n"
                      + "9002,9002-1,面膜,10.00,2024-06-02 10:00:00,已完成,李四,139****0002,深圳市\n"
                      + "9003,9003-1,面膜,10.00,2024-06-03 10:00:00,已完成,张三,138****0001,杭州市\n"
                      + "9001,9001-2,精华,199.00,,,,,\n", encoding="utf-8")
    results = []
    for chunk in (1, 2, 1000):
        monkeypatch.setattr(orders_import, "CHUNK_ROWS", chunk)
        with store.write() as s:  # a fresh start for each chunk size
            for model in (PointsEntry, OrderItem, Order, Customer, ImportBatch):
                s.execute(model.__table__.delete())
        summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin"))
        assert (summary.orders_created, summary.customers_created) == (3, 2)
        with store.write() as s:
            first = s.scalars(select(Order).where(Order.platform_order_id == "9001")).one()
            assert sorted(i.amount_fen for i in first.items) == [7900, 19900] and first.total_fen == 27800
        rows = [row[1:] for row in snapshot(store)["orders"]]
        # Customers are told apart by their order of creation: a server's sequence does not
        # start again at 1 after the delete (SQLite's max+1 does).
        rank = {cid: n for n, cid in enumerate(sorted({row[1] for row in rows}))}
        results.append([(row[0], rank[row[1]], *row[2:]) for row in rows])
    assert results[0] == results[1] == results[2]


def test_buyers_known_by_a_name_alone_stay_separate_customers(store, tmp_path):
    target = tmp_path / "names.csv"
    target.write_text(HEAD
                      + "9101,,洁面乳,79.00,2024-06-01 10:00:00,已完成,王丽,,杭州市\n"
                      + "9102,,洁面乳,79.00,2024-06-02 10:00:00,已完成,王丽,,杭州市\n", encoding="utf-8")
    summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin"))
    assert summary.orders_created == 2 and summary.customers_created == 2  # never merged silently


def test_progress_keeps_coming_while_one_step_takes_long(store, tmp_path, monkeypatch):
    monkeypatch.setattr(orders_import, "HEARTBEAT_S", 0.02)
    slow_combine = orders_import._Run._combine

    def combine(self, *args):
        time.sleep(0.3)
        return slow_combine(self, *args)

    monkeypatch.setattr(orders_import._Run, "_combine", combine)
    calls = []
    import_orders(store.write_factory, DATA / "douyin_orders.csv", ImportOptions(),
                  lambda done, total, phase: calls.append((time.monotonic(), phase)))
    phases = [phase for _, phase in calls]
    assert phases[0] == "prepare" and phases[-1] == "finish"
    assert {"import", "match", "write", "finish"} <= set(phases)
    during = [t for t, phase in calls if phase == "import"]
    assert max(b - a for a, b in zip(during, during[1:])) < 0.2  # the 0.3 s step was not silent


def test_cancel_at_any_point_writes_nothing_and_keeps_the_indexes(store, new_store_url, monkeypatch):
    from livedesk.models.adapters import sqlite as sqlite_adapter
    from livedesk.services.store import open_store

    # Bulk loading on even for a few rows, and SQLite asked about cancelling inside statements often.
    monkeypatch.setattr(orders_import, "BULK_ROWS", 0)
    monkeypatch.setattr(sqlite_adapter, "PROGRESS_OPS", 50)
    monkeypatch.setattr(orders_import, "CHUNK_ROWS", 3)
    checks = 0
    importing = threading.current_thread()  # PostgreSQL's adapter also asks from a watcher thread,
    # as often as time goes by: only the import's own checks are counted, so the count is the same each run

    def count() -> bool:
        nonlocal checks
        checks += threading.current_thread() is importing
        return False

    twin = open_store(new_store_url("twin"))  # an empty store too, to count the checks
    try:
        import_orders(twin.write_factory, DATA / "douyin_orders.csv", ImportOptions(), cancel=count)
    finally:
        twin.dispose()
    total, empty, shape = checks, counts(store), schema(store)
    assert total > 10
    for stop_at in sorted({1, 2, 3, total // 4, total // 2, 3 * total // 4, total - 2, total - 1, total}):
        calls = 0

        def cancel() -> bool:
            nonlocal calls
            calls += threading.current_thread() is importing
            return calls >= stop_at

        with pytest.raises(ImportCancelled):
            import_orders(store.write_factory, DATA / "douyin_orders.csv", ImportOptions(), cancel=cancel)
        assert counts(store) == empty, f"cancelled at check {stop_at} of {total}"
        assert schema(store) == shape
    assert import_orders(store.write_factory, DATA / "douyin_orders.csv", ImportOptions()).orders_created == 7
    assert schema(store) == shape


def test_bulk_loading_leaves_the_same_store_as_row_by_row_inserts(tmp_path, monkeypatch):
    from livedesk.services.store import open_store, sqlite_url

    results = []
    for bulk in (10 ** 9, 0):
        monkeypatch.setattr(orders_import, "BULK_ROWS", bulk)
        store = open_store(sqlite_url(tmp_path / f"bulk{bulk}.sqlite3"))
        try:
            shape = schema(store)
            for name in ("douyin_orders.csv", "douyin_orders_refunds.csv"):
                assert import_orders(store.write_factory, DATA / name, ImportOptions(report_path=tmp_path)).ok
            assert schema(store) == shape  # every index is back, exactly as it was
            with store.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            results.append(snapshot(store))
        finally:
            store.dispose()
    assert results[0] == results[1]


def test_search_text_is_the_same_key_as_built_part_by_part():
    def by_parts(nickname, real_name=None, phone=None, handles=()):
        parts = []
        for name in (nickname, real_name):
            if name:
                parts += [name.lower(), *pinyin_keys(name)]
        parts += [h.lower() for h in handles if h]
        if phone:
            parts.append(phone.replace("*", ""))
        return "\x1f".join(dict.fromkeys(parts))

    for args in [("王丽", "王丽", "138****5678", ["wl"]), ("曾敏", None, "****", []), ("Wang", "wang", "wang", []),
                 ("138****5678", None, "138****5678", ["U1", "u1"]), (None, None, None, ()), ("单丽", "", "", ["x"])]:
        assert search_text(*args) == by_parts(*args)


def test_bench_import_reports_times_phases_and_memory(tmp_path):
    args = argparse.Namespace(rows=3000, cache=str(tmp_path), repeat=1)
    result = bench.run("import", args)
    assert result["orders_created"] > 1000 and result["errors"] == 0
    for key in ("import_ms", "baseline_ms", "read_ms", "identity_ms", "write_ms", "recompute_ms", "commit_ms"):
        assert result[key] >= 0, key
    assert result["import_to_baseline_ratio"] > 0
    assert result["peak_rss_mb"] >= result["rss_before_mb"] > 0


def test_the_cycle_collector_runs_again_after_an_import_even_a_cancelled_one(store):
    import gc

    assert gc.isenabled()
    import_orders(store.write_factory, DATA / "douyin_orders.csv", ImportOptions())
    assert gc.isenabled()

    def stop_while_matching(done, total, phase):
        if phase == "write":
            assert not gc.isenabled()  # paused while the run makes its many small objects
            raise ImportCancelled()

    with pytest.raises(ImportCancelled):
        import_orders(store.write_factory, DATA / "douyin_orders_refunds.csv", ImportOptions(), stop_while_matching)
    assert gc.isenabled()


def test_times_are_written_in_the_stores_own_text_form():
    import numpy as np

    # The form UTCDateTime writes through SQLAlchemy's SQLite DATETIME: 'YYYY-MM-DD HH:MM:SS.ffffff'.
    moments = np.array(["2024-05-01T12:15:03", "NaT", "1999-12-31T23:59:59.123456", "0999-01-01T00:00:00"],
                       dtype="datetime64[us]")
    assert orders_import._stored_times(moments) == [
        "2024-05-01 12:15:03.000000", None, "1999-12-31 23:59:59.123456", "0999-01-01 00:00:00.000000"]
    assert orders_import._stored_times(np.array(["NaT"], dtype="datetime64[us]")) == [None]
