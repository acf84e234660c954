"""The customers page's Qt item models, without a window: lazy rows, roles, sorting, orders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from livedesk.models import Customer
from livedesk.services import customers
from livedesk.services.customers import NewCustomer, OrderItemView, OrderView
from livedesk.ui import customer_list
from livedesk.ui.customer_list import ID_ROLE, CustomerListModel
from livedesk.ui.customer_orders import AMOUNT, ITEMS, ORDER_NO, STATUS, OrdersModel

DISPLAY, ALIGN, FOREGROUND = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole


@pytest.fixture
def shop(store):
    with store.write() as s:
        ids = [customers.create(s, NewCustomer(nickname=f"客户{i:03}", real_name="王丽华", phone=f"13800000{i:03}",
                                               city="杭州"))
               for i in range(450)]
        vip = s.get(Customer, ids[7])
        vip.tier, vip.level, vip.total_spent_fen, vip.order_count, vip.points_balance = "vip", "gold", 4_512_345, 12, 45_123
        vip.last_order_at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    return ids


def test_list_model_fetches_rows_lazily_in_blocks(store, shop):
    model = CustomerListModel(store)
    with store.write() as s:
        model.set_ids(customers.list_ids(s, sort="id", descending=False))
    assert model.rowCount() == 450 and model.columnCount() == len(customer_list.COLUMNS)
    assert model.fetches == 0  # holding 450 ids reads no row
    assert model.index(0, 0).data() == "客户000"
    assert model.index(199, 0).data() == "客户199"
    assert model.fetches == 1  # one block of 200 rows
    assert model.index(200, 0).data() == "客户200"
    assert model.fetches == 2
    assert model.index(5, 3).data() == "杭州"
    assert model.fetches == 2  # cached


def test_list_model_cache_is_bounded_and_evicts_the_least_recently_used(store, shop, monkeypatch):
    monkeypatch.setattr(customer_list, "CACHE_ROWS", 250)
    model = CustomerListModel(store)
    model.set_ids(shop)
    model.index(0, 0).data()
    model.index(200, 0).data()  # another 200 rows: the first block's oldest make room
    assert len(model._cache) == 250
    assert model.index(399, 0).data() == "客户399" and model.fetches == 2
    model.index(0, 0).data()
    assert model.fetches == 3  # evicted, so read again


def test_list_model_roles_give_id_words_colors_and_alignment(store, shop):
    model = CustomerListModel(store)
    model.set_ids([shop[7]])
    row = [model.index(0, c) for c in range(model.columnCount())]
    assert row[0].data(ID_ROLE) == shop[7]
    assert [i.data() for i in row[4:]] == ["High-value VIP", "Gold Diamond member", "12", "¥45,123.45",
                                           datetime(2026, 3, 1, 2, 30, tzinfo=UTC).astimezone()
                                           .strftime("%Y-%m-%d"), "45,123"]
    assert row[4].data(FOREGROUND).name() == "#d4a017"  # the tier's color
    assert row[0].data(FOREGROUND) is None
    assert row[7].data(ALIGN) & Qt.AlignmentFlag.AlignRight  # money lines up on the right
    assert not row[0].data(ALIGN) & Qt.AlignmentFlag.AlignRight


def test_list_model_masks_phone_and_name_until_revealed(store, shop):
    model = CustomerListModel(store)
    model.set_ids([shop[1]])
    assert model.index(0, 2).data() == "138****0001"
    assert model.index(0, 1).data() == "王**"
    model.set_reveal(True)
    assert model.index(0, 2).data() == "13800000001"
    assert model.index(0, 1).data() == "王丽华"


def test_header_click_asks_for_a_query_sort_and_unsortable_columns_ask_nothing(store, qtbot):
    model = CustomerListModel(store)
    with qtbot.waitSignal(model.sort_requested) as asked:
        model.sort(7, Qt.SortOrder.DescendingOrder)
    assert asked.args == ["total_spent_fen", True]
    with qtbot.assertNotEmitted(model.sort_requested):
        model.sort(2, Qt.SortOrder.AscendingOrder)  # phone: not sortable in the query


def test_a_new_sort_order_from_the_query_reorders_the_model(store, shop):
    model = CustomerListModel(store)
    with store.write() as s:
        model.set_ids(customers.list_ids(s, sort="nickname", descending=False))
        assert model.index(0, 0).data() == "客户000"
        model.set_ids(customers.list_ids(s, sort="nickname", descending=True))
    assert model.index(0, 0).data() == "客户449"
    assert model.row_of(shop[0]) == 449


def test_refreshing_one_customer_rereads_it_and_repaints_only_its_row(store, shop, qtbot):
    model = CustomerListModel(store)
    model.set_ids(shop)
    assert model.index(3, 0).data() == "客户003"
    with store.write() as s:
        s.get(Customer, shop[3]).nickname = "王姐"
    assert model.index(3, 0).data() == "客户003"  # still the cached row
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.refresh(shop[3])
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row(), top.column(), bottom.column()) == (3, 3, 0, len(customer_list.COLUMNS) - 1)
    assert model.index(3, 0).data() == "王姐"


def test_orders_model_shows_one_row_per_order_with_basket_status_and_amount():
    ordered = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    model = OrdersModel()
    model.set_orders([
        OrderView(1, "douyin", "6979629608209796706", "paid", 10_710, ordered,
                  (OrderItemView("每日坚果 30包", 1, 9_900), OrderItemView("面膜", 2, 810))),
        OrderView(2, "taobao", "TB-2", "refunded", 19_900, ordered, (OrderItemView("精华", 1, 19_900),)),
    ])
    assert model.rowCount() == 2 and model.columnCount() == 6
    first = [model.index(0, c).data() for c in range(6)]
    assert first == [ordered.astimezone().strftime("%Y-%m-%d"), "Douyin", "每日坚果 30包 ×1；面膜 ×2", "Paid",
                     "¥107.10", "6979629608209796706"]
    assert model.headerData(ORDER_NO, Qt.Orientation.Horizontal) == "Order no."
    assert model.index(0, AMOUNT).data(ALIGN) & Qt.AlignmentFlag.AlignRight
    assert "6979629608209796706" in model.index(0, ITEMS).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, STATUS).data() == "Refunded"
    assert model.index(1, STATUS).data(FOREGROUND) is not None  # refunded orders are greyed
    assert model.index(0, STATUS).data(FOREGROUND) is None
