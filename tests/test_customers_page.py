"""The 客户 page: query-side sorting and filters, the customer's page and its edits reaching the store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QInputDialog, QLineEdit, QToolButton
from sqlalchemy import insert

from livedesk.models import Customer, Order, OrderItem
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.customers_page import CustomersPage
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def shop(store):
    with store.write() as s:
        ids = [customers.create(s, NewCustomer(nickname=f"客户{i:03}", real_name="王丽华", phone=f"13800000{i:03}"))
               for i in range(450)]
        wang = customers.create(s, NewCustomer(nickname="王姐", phone="13812345678"))
        c = s.get(Customer, wang)
        c.tier, c.level, c.total_spent_fen = "vip", "gold", 4_500_000
        customers.tag_customer(s, wang, "回头客")
    return {"wang": wang, "others": ids}


@pytest.fixture
def page(qtbot, store, shop):
    tasks = TaskRunner()
    widget = CustomersPage(AppContext(store=store, tasks=tasks, language="zh_CN"))
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 451, timeout=5000)
    yield widget
    tasks.shutdown()


def test_biggest_spender_comes_first_and_header_click_sorts_in_the_query(qtbot, page, shop):
    assert page.model.id_at(0) == shop["wang"]
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # nickname
    qtbot.waitUntil(lambda: page.model.id_at(0) == shop["others"][0])
    page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: page.model.id_at(0) == shop["wang"])  # 王 sorts after 客 in UTF-8


def test_tier_and_text_filters_narrow_the_list(qtbot, page, shop):
    page.tier.setCurrentIndex(page.tier.findData("vip"))
    qtbot.waitUntil(lambda: page.model.ids() == [shop["wang"]])
    page.tier.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.model.rowCount() == 451)
    page.search.setText("客户04")
    qtbot.waitUntil(lambda: page.model.rowCount() == 10)
    assert "10" in page.count_label.text()


def test_tag_filter_lists_tagged_customers(qtbot, page, shop):
    page.tag.setCurrentIndex(page.tag.findText("回头客"))
    qtbot.waitUntil(lambda: page.model.ids() == [shop["wang"]])


def test_selecting_a_row_shows_the_customer_and_activating_it_pushes_to_the_panel(qtbot, page, shop):
    qtbot.waitUntil(lambda: page.detail.customer_id == shop["wang"])  # first row is selected on load
    assert page.detail.title.text() == "王姐"
    with qtbot.waitSignal(page.push_to_panel) as pushed:
        page.table.activated.emit(page.model.index(0, 0))
    assert pushed.args == [shop["wang"]]


def _note_button(detail, note_id: int, *texts: str) -> QToolButton:
    frame = detail.findChild(QFrame, f"note_{note_id}")
    return next(b for b in frame.findChildren(QToolButton) if b.text() in texts)


def test_notes_added_pinned_edited_and_deleted_from_the_page_are_stored(qtbot, page, store, shop):
    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    for text in ("喜欢清爽型", "周五晚上常来"):
        detail.note_input.setPlainText(text)
        detail.add_note_button.click()
        qtbot.waitUntil(lambda text=text: any(n.body == text for n in detail.card.notes))
    first = next(n.id for n in detail.card.notes if n.body == "喜欢清爽型")
    _note_button(detail, first, "Pin").click()
    qtbot.waitUntil(lambda: detail.card.notes[0].id == first and detail.card.notes[0].pinned)  # pinned first

    _note_button(detail, first, "Edit").click()
    dialog = detail.findChild(QInputDialog)
    dialog.setTextValue("喜欢清爽型, 不要香精")
    dialog.accept()
    qtbot.waitUntil(lambda: detail.card.notes[0].body == "喜欢清爽型, 不要香精")

    _note_button(detail, first, "Delete").click()
    qtbot.waitUntil(lambda: [n.body for n in detail.card.notes] == ["周五晚上常来"])
    with store.write() as s:
        assert [n.body for n in customers.card(s, shop["wang"]).notes] == ["周五晚上常来"]


def test_a_write_that_fails_says_so_on_the_customer_page(qtbot, page, shop):
    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    detail._write(customers.delete_note, 999_999)
    qtbot.waitUntil(lambda: detail.error.isVisibleTo(detail))
    # Worded for the person at the screen, not the service's "note 999999 does not exist".
    assert "no longer exists" in detail.error.text() and "999999" not in detail.error.text()


def test_the_customer_page_lists_orders_newest_first(qtbot, page, store, shop):
    with store.write() as s:
        for number, day in (("DY-1", 1), ("DY-2", 9)):
            order_id = s.execute(insert(Order).values(
                platform="douyin", platform_order_id=number, customer_id=shop["wang"], status="paid", total_fen=9_900,
                ordered_at=datetime(2026, 5, day, 12, tzinfo=UTC)).returning(Order.id)).scalar_one()
            s.execute(insert(OrderItem).values(order_id=order_id, product_name="面膜", quantity=2, amount_fen=9_900))
    detail = page.detail
    detail.show_customer(shop["wang"])
    assert [o.platform_order_id for o in detail.orders.orders] == ["DY-2", "DY-1"]
    assert detail.orders_view.isVisibleTo(detail)
    assert detail.orders.index(0, 2).data() == "面膜 ×2"


def test_the_push_button_sends_the_shown_customer_to_the_host_panel(qtbot, page, shop):
    qtbot.waitUntil(lambda: page.detail.customer_id == shop["wang"])
    page.detail.show_customer(shop["others"][3])
    with qtbot.waitSignal(page.push_to_panel) as pushed:
        page.detail.push_button.click()
    assert pushed.args == [shop["others"][3]]


def test_tags_and_profile_edits_are_stored(qtbot, page, store, shop):
    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    detail.tag_input.setText("敏感肌")
    detail.add_tag()
    qtbot.waitUntil(lambda: {t.name for t in detail.card.tags} == {"回头客", "敏感肌"})
    skin = detail.findChild(QComboBox, "profile_skin_type")
    allergies_before = detail.findChild(QLineEdit, "profile_allergies")
    skin.setCurrentIndex(skin.findData("油性"))
    qtbot.waitUntil(lambda: detail.card.profile.get("skin_type") == "油性")
    allergies = detail.findChild(QLineEdit, "profile_allergies")
    assert allergies is allergies_before  # not rebuilt by the save: a field being typed in stays put
    allergies.setText("酒精过敏")
    allergies.editingFinished.emit()
    qtbot.waitUntil(lambda: detail.card.profile.get("allergies") == "酒精过敏")
    tag_id = next(t.id for t in detail.card.tags if t.name == "敏感肌")
    detail.findChild(QToolButton, f"tag_{tag_id}").click()
    qtbot.waitUntil(lambda: {t.name for t in detail.card.tags} == {"回头客"})
    with store.write() as s:
        card = customers.card(s, shop["wang"])
    assert card.profile == {"skin_type": "油性", "allergies": "酒精过敏"}
    assert [t.name for t in card.tags] == ["回头客"]


def test_an_empty_store_says_how_to_get_customers(qtbot, store):
    tasks = TaskRunner()
    widget = CustomersPage(AppContext(store=store, tasks=tasks, language="en"))
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.empty_hint.isVisibleTo(widget))
    assert "Import" in widget.empty_hint.text()
    tasks.shutdown()


def test_a_note_that_could_not_be_saved_goes_back_into_the_box(qtbot, page, shop, monkeypatch):
    from livedesk.services import customers

    def refused(*_args, **_kwargs):
        raise ValueError("the store said no")

    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    monkeypatch.setattr(customers, "add_note", refused)
    detail.note_input.setPlainText("下次直播提醒她面霜到货")
    detail.add_note_button.click()
    assert detail.note_input.toPlainText() == ""  # cleared while it is being saved
    qtbot.waitUntil(lambda: not detail.error.isHidden())
    assert detail.note_input.toPlainText() == "下次直播提醒她面霜到货"


def test_the_sorted_column_points_down_when_descending_and_up_when_ascending(qtbot, page):
    header = page.model.headerData(7, Qt.Orientation.Horizontal)
    assert header.endswith("↓")  # the default: biggest spenders first
    page.model.sort(7, Qt.SortOrder.AscendingOrder)
    assert page.model.headerData(7, Qt.Orientation.Horizontal).endswith("↑")
    assert not page.model.headerData(0, Qt.Orientation.Horizontal).endswith(("↑", "↓"))


def test_refunded_orders_are_explained_beside_the_orders_tile(qtbot, page, store, shop):
    with store.write() as s:
        for number, status in (("R-1", "completed"), ("R-2", "refunded")):
            s.execute(insert(Order).values(platform="douyin", platform_order_id=number, customer_id=shop["wang"],
                                           status=status, total_fen=9_900,
                                           ordered_at=datetime(2026, 5, 1, 12, tzinfo=UTC)))
        from livedesk.services import segments

        segments.recompute(s)
    page.detail.show_customer(shop["wang"])
    qtbot.waitUntil(lambda: "refunded or cancelled" in page.detail.orders_caption.text())
    assert page.detail.stat_values["orders"].text() == "1"
    assert page.detail.orders_caption.text().startswith("Latest 2 of 2 orders · 1 refunded")


def test_qt_s_own_sort_arrow_is_hidden_so_only_the_right_one_shows(page):
    assert page.table.isSortingEnabled() and not page.table.horizontalHeader().isSortIndicatorShown()
