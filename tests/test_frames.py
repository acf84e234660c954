"""Bulk reads: packed columns (the SQLite adapter) give exactly what the driver's rows give."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from sqlalchemy import insert, select

from livedesk.models import Customer, Order
from livedesk.services import customers, frames
from livedesk.services.customers import NewCustomer

UTC = timezone.utc


@pytest.fixture
def rows(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="王姐"))
        b = customers.create(s, NewCustomer(nickname="a,b;c"))  # separators of other formats are plain text
        s.get(Customer, a).rfm_segment = "champions"
        s.execute(insert(Order), [
            {"platform": "douyin", "platform_order_id": f"F{n}", "customer_id": cid, "status": "paid",
             "total_fen": fen, "ordered_at": datetime(2026, 1, n, 8, 30, tzinfo=UTC)}
            for n, (cid, fen) in enumerate([(a, 100), (a, -5), (b, 2_000_000_000_000)], start=1)
        ])
    return a, b


def _read(store, statement, ints=()):
    with store.write() as s:
        return frames.read_columns(s.connection(), statement, ints)


def _both_ways(store, monkeypatch, statement, ints=()):
    packed = _read(store, statement, ints)
    monkeypatch.setattr(frames, "can_pack", lambda _dialect: False)
    plain = _read(store, statement, ints)
    assert list(packed) == list(plain)
    key = next(iter(packed))  # both in one order of the first column (SQLite may drop a subquery's ORDER BY)
    packed = {name: values[np.argsort(packed[key], kind="stable")] for name, values in packed.items()}
    plain = {name: values[np.argsort(plain[key], kind="stable")] for name, values in plain.items()}
    for name in packed:
        assert packed[name].dtype == plain[name].dtype, name
        assert packed[name].tolist() == plain[name].tolist(), name
    return packed


def test_packed_columns_line_up_and_keep_nulls_text_and_big_numbers(store, rows, monkeypatch):
    c, o = Customer.__table__.c, Order.__table__.c
    got = _both_ways(store, monkeypatch, select(c.id, c.nickname, c.rfm_segment, c.order_count),
                     ints=("id", "order_count"))
    assert got["nickname"].tolist() == ["王姐", "a,b;c"]
    assert got["rfm_segment"].tolist() == ["champions", None]
    got = _both_ways(store, monkeypatch, select(o.id, o.customer_id, o.total_fen, o.ordered_at),
                     ints=("id", "customer_id", "total_fen"))
    assert got["total_fen"].tolist() == [100, -5, 2_000_000_000_000]
    assert got["ordered_at"].astype("datetime64[us]").tolist() == [datetime(2026, 1, n, 8, 30) for n in (1, 2, 3)]


def test_an_empty_result_gives_empty_columns(store, rows, monkeypatch):
    c = Customer.__table__.c
    got = _both_ways(store, monkeypatch, select(c.id, c.nickname).where(c.id < 0), ints=("id",))
    assert got["id"].dtype == np.int64 and len(got["id"]) == 0 and len(got["nickname"]) == 0


def test_a_value_holding_the_pack_separator_is_read_row_by_row(store, rows):
    a, _b = rows
    with store.write() as s:
        s.get(Customer, a).nickname = "王\x1f姐"
    c = Customer.__table__.c
    got = _read(store, select(c.id, c.nickname), ints=("id",))
    assert dict(zip(got["id"].tolist(), got["nickname"].tolist()))[a] == "王\x1f姐"
