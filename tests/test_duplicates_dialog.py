"""查重合并 from the customer list: pairs found, the merge previewed side by side (masked), merged or
dismissed; and the list's export of customers and orders."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import func, select

from livedesk.models import AuditEntry, Customer
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.ui.duplicates_dialog import DuplicatesDialog


@pytest.fixture
def twins(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="王姐", real_name="王丽华", phone="13812345678", city="杭州"))
        b = customers.create(s, NewCustomer(nickname="王姐姐", phone="13812345678"))
        customers.add_note(s, b, "只用无香型")
        customers.tag_customer(s, b, "敏感肌")
        customers.create(s, NewCustomer(nickname="小鹿", phone="13900001111"))
    return a, b


def _dialog(qtbot, ctx) -> DuplicatesDialog:
    dialog = DuplicatesDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.merge_button.isEnabled() or "No possible" in dialog.status.text(), timeout=10_000)
    return dialog


def test_a_pair_with_one_phone_is_shown_side_by_side_with_the_phone_masked(qtbot, ctx, twins):
    dialog = _dialog(qtbot, ctx)
    assert dialog.pairs.rowCount() == 1 and "same phone" in dialog.pairs.rows[0][2]
    shown = {row[0]: row[1:] for row in dialog.sides.rows}
    assert shown["Phone"][0] == "138****5678"  # the screen may be filmed: masked unless revealed
    assert shown["Notes"] == ("0", "1", "1") and shown["Tags"][2] == "敏感肌"
    assert set(dialog.pair) == set(twins)


def test_merging_keeps_one_customer_with_everything_and_audits_it(qtbot, ctx, twins, store):
    dialog = _dialog(qtbot, ctx)
    keep, drop = dialog.pair
    dialog.merge()
    qtbot.waitUntil(lambda: dialog.merged_any, timeout=10_000)
    assert dialog.pairs.rowCount() == 0 and "Merged" in dialog.feedback.text()
    with store.write() as s:
        assert s.get(Customer, drop) is None
        card = customers.card(s, keep)
        assert [n.body for n in card.notes] == ["只用无香型"] and [t.name for t in card.tags] == ["敏感肌"]
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("%merge%"))) == 1


def test_keep_the_other_one_swaps_the_sides(qtbot, ctx, twins):
    dialog = _dialog(qtbot, ctx)
    first = dialog.pair
    dialog.swap()
    assert dialog.pair == (first[1], first[0])


def test_a_dismissed_pair_is_not_proposed_again(qtbot, ctx, twins):
    dialog = _dialog(qtbot, ctx)
    dialog.dismiss()
    qtbot.waitUntil(lambda: dialog.pairs.rowCount() == 0, timeout=10_000)
    again = _dialog(qtbot, ctx)
    assert again.pairs.rowCount() == 0 and "No possible" in again.status.text()


def test_the_customer_list_exports_what_its_filter_shows(qtbot, ctx, twins, tmp_path):
    from livedesk.ui.customers_page import CustomersPage

    page = CustomersPage(ctx)
    qtbot.addWidget(page)
    page.search.setText("王")
    target = tmp_path / "wang.xlsx"
    page.export_to("customers", str(target))
    qtbot.waitUntil(lambda: "Exported" in page.notice.text(), timeout=10_000)
    exported = pd.read_excel(target)
    assert len(exported) == 2
    bad = tmp_path / "wang.txt"
    page.export_to("customers", str(bad))
    qtbot.waitUntil(lambda: ".xlsx or .csv" in page.notice.text(), timeout=10_000)
    assert not bad.exists()


def test_the_list_keeps_answering_while_a_long_export_runs(qtbot, ctx, twins, tmp_path, monkeypatch):
    import threading

    from livedesk.services import export
    from livedesk.ui.customers_page import CustomersPage

    release = threading.Event()

    def slow_export(session, path, flt, actor=None):  # a million orders take minutes
        release.wait(10)
        return SimpleNamespace(rows=0, path=str(path))

    monkeypatch.setattr(export, "export_orders", slow_export)
    page = CustomersPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10_000)
    page.export_to("orders", str(tmp_path / "all.xlsx"))
    try:
        page.search.setText("小鹿")
        with qtbot.waitSignal(page.loaded, timeout=3000):  # waited behind the export on the shared worker
            page.reload()
        assert page.model.rowCount() == 1
    finally:
        release.set()
    qtbot.waitUntil(lambda: "Exported" in page.notice.text(), timeout=10_000)


def test_an_export_named_without_an_extension_takes_the_chosen_file_type(qtbot, ctx, twins, tmp_path, monkeypatch):
    from livedesk.ui import customers_page

    # Qt's own dialog (Linux) adds no extension: "wang" with the CSV filter chosen.
    monkeypatch.setattr(customers_page.QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "wang"), "CSV (*.csv)"))
    page = customers_page.CustomersPage(ctx)
    qtbot.addWidget(page)
    page.export("customers")
    qtbot.waitUntil(lambda: "Exported" in page.notice.text() or "xlsx" in page.notice.text(), timeout=10_000)
    assert (tmp_path / "wang.csv").is_file(), page.notice.text()
