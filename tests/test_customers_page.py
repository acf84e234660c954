"""The 客户 page: lazy list model, query-side sorting and filters, and the customer's page edits."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QToolButton

from livedesk.models import Customer
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.customer_list import ID_ROLE, CustomerListModel
from livedesk.ui.customers_page import CustomersPage
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def shop(store):
    with store.begin() as s:
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


def test_list_model_fetches_rows_lazily_in_blocks(store, shop):
    model = CustomerListModel(store)
    with store.begin() as s:
        model.set_ids(customers.list_ids(s, sort="id", descending=False))
    assert model.rowCount() == 451 and model.fetches == 0
    assert model.index(0, 0).data() == "客户000"
    assert model.index(199, 0).data() == "客户199"
    assert model.fetches == 1  # one block of 200 rows
    assert model.index(200, 0).data() == "客户200"
    assert model.fetches == 2


def test_list_model_masks_phone_and_name_until_revealed(store, shop):
    model = CustomerListModel(store)
    model.set_ids([shop["others"][1]])
    assert model.index(0, 2).data() == "138****0001"
    assert model.index(0, 1).data() == "王**"
    model.set_reveal(True)
    assert model.index(0, 2).data() == "13800000001"
    assert model.index(0, 0).data(ID_ROLE) == shop["others"][1]


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


def test_notes_added_pinned_edited_and_deleted_from_the_page_are_stored(qtbot, page, store, shop):
    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    detail.note_input.setPlainText("喜欢清爽型")
    detail.add_note()
    qtbot.waitUntil(lambda: detail.card is not None and len(detail.card.notes) == 1)
    note_id = detail.card.notes[0].id
    pin = [b for b in detail.findChildren(QToolButton) if b.text() in ("Pin", "置顶")][0]
    pin.click()
    qtbot.waitUntil(lambda: detail.card.notes[0].pinned)
    detail._write(customers.edit_note, note_id, "喜欢清爽型, 不要香精")
    qtbot.waitUntil(lambda: detail.card.notes[0].body == "喜欢清爽型, 不要香精")
    detail._write(customers.delete_note, note_id)
    qtbot.waitUntil(lambda: detail.card.notes == [])
    with store.begin() as s:
        assert customers.card(s, shop["wang"]).notes == []


def test_tags_and_profile_edits_are_stored(qtbot, page, store, shop):
    detail = page.detail
    qtbot.waitUntil(lambda: detail.customer_id == shop["wang"])
    detail.tag_input.setText("敏感肌")
    detail.add_tag()
    qtbot.waitUntil(lambda: {t.name for t in detail.card.tags} == {"回头客", "敏感肌"})
    skin = detail.findChild(QComboBox, "profile_skin_type")
    skin.setCurrentIndex(skin.findData("油性"))
    qtbot.waitUntil(lambda: detail.card.profile.get("skin_type") == "油性")
    allergies = detail.findChild(QLineEdit, "profile_allergies")
    allergies.setText("酒精过敏")
    allergies.editingFinished.emit()
    qtbot.waitUntil(lambda: detail.card.profile.get("allergies") == "酒精过敏")
    tag_id = next(t.id for t in detail.card.tags if t.name == "敏感肌")
    detail.findChild(QToolButton, f"tag_{tag_id}").click()
    qtbot.waitUntil(lambda: {t.name for t in detail.card.tags} == {"回头客"})
    with store.begin() as s:
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
