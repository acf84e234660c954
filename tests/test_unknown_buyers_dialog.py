"""未识别买家 from the customer list's tools: the waiting orders, finding the customer, attaching."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from livedesk.models import Customer, Order
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.services.importing import ImportOptions, import_orders
from livedesk.ui.unknown_buyers_dialog import UnknownBuyersDialog

DATA = Path(__file__).parent / "data"


def _dialog(qtbot, ctx) -> UnknownBuyersDialog:
    dialog = UnknownBuyersDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.orders.rowCount() > 0 or "Every order" in dialog.status.text(), timeout=10_000)
    return dialog


def test_an_order_is_found_attached_and_leaves_the_list(qtbot, ctx, store):
    assert import_orders(store.write_factory, DATA / "buyer_id_orders.csv", ImportOptions(platform="kuaishou")).ok
    with store.write() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", city="宁波"))
    dialog = _dialog(qtbot, ctx)
    assert dialog.orders.rowCount() == 1 and "1 orders came without" in dialog.status.text()
    assert dialog.orders.rows[0][1] == "2412300155203415" and dialog.orders.rows[0][2] == "2026-10-12 21:30"
    assert not dialog.attach_button.isEnabled()  # nobody chosen yet
    dialog.search.setText("王姐")
    dialog.find()
    qtbot.waitUntil(lambda: dialog.hits.rowCount() > 0, timeout=10_000)
    assert dialog.attach_button.isEnabled()
    dialog.attach()
    qtbot.waitUntil(lambda: dialog.attached_any and dialog.orders.rowCount() == 0, timeout=10_000)
    assert "Attached 1 orders to 王姐" in dialog.feedback.text() and "buyer id" in dialog.feedback.text()
    with store.write() as s:
        assert s.scalar(select(Order.customer_id).where(Order.platform_order_id == "2412300155203415")) == wang
        assert s.get(Customer, wang).accounts[0].uid == "3381290099"


def test_nobody_found_says_so_in_words(qtbot, ctx, store):
    assert import_orders(store.write_factory, DATA / "douyin_orders_encrypted.csv").ok
    dialog = _dialog(qtbot, ctx)
    assert dialog.orders.rowCount() == 5
    dialog.search.setText("没有这个人")
    dialog.find()
    qtbot.waitUntil(lambda: "Nobody found" in dialog.feedback.text(), timeout=10_000)
    assert not dialog.attach_button.isEnabled()
