"""Garbage files never crash the importer and never write: property-based (hypothesis)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from livedesk.models import Customer, ImportBatch, Order
from livedesk.services.importing import ImportOptions, ImportSetupError, import_orders
from livedesk.services.store import open_store, sqlite_url

DOUYIN = ["主订单编号", "选购商品", "商品数量", "商品金额", "订单提交时间", "订单状态", "收件人", "收件人手机号", "市"]
cells = st.one_of(st.text(max_size=12), st.sampled_from(["", "¥1,299.00", "2024-05-01 10:00:00", "已完成",
                                                       "138****5678", "'13812345678", "1", "-1", "1e9", "NaN"]))


@pytest.fixture(scope="module")
def shared_store():
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(sqlite_url(Path(folder) / "store.sqlite3"))
        yield store, Path(folder)
        store.dispose()


def _counts(store) -> tuple[int, int, int]:
    with store.write() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Customer, Order, ImportBatch))


def _import(store, folder: Path, name: str, data: bytes):
    path = folder / name
    path.write_bytes(data)
    try:
        return import_orders(store.write_factory, path,
                             ImportOptions(platform="douyin", report_path=folder, recompute_segments=False))
    except ImportSetupError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_never_crash_and_never_write(shared_store, data, suffix):
    store, folder = shared_store
    before = _counts(store)
    summary = _import(store, folder, "garbage" + suffix, data)
    assert summary is None or not summary.committed
    assert _counts(store) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=len(DOUYIN) + 2), min_size=1, max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_garbage_cells_under_a_real_header_write_only_when_every_row_is_valid(shared_store, rows, encoding):
    store, folder = shared_store
    before = _counts(store)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DOUYIN)
    writer.writerows(rows)
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    summary = _import(store, folder, "cells.csv", data)
    if summary is None or summary.errors:
        assert _counts(store) == before
    else:
        assert summary.committed
