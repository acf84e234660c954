"""Order import through the service: real export files in tests/data, all or nothing, batches."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from livedesk.models import (
    AuditEntry,
    Customer,
    CustomerTag,
    ImportBatch,
    Note,
    Order,
    PointsEntry,
    PossibleDuplicate,
)
from livedesk.services import customers, settings
from livedesk.services.importing import (
    ImportCancelled,
    ImportOptions,
    ImportSetupError,
    import_orders,
    inspect_file,
    revert_batch,
)
from livedesk.services.importing import orders_import
from livedesk.services.importing.identity import NAME_MASK_OTHER_PLACE, PHONE_FITS_MASK

from helpers import counts, snapshot

DATA = Path(__file__).parent / "data"
ENCODED = ["douyin_orders.csv", "douyin_orders_bom.csv", "douyin_orders_gbk.csv", "douyin_orders_title_rows.xlsx"]


def run(store, name: str, tmp_path: Path, **options):
    return import_orders(store.write_factory, DATA / name, ImportOptions(report_path=tmp_path, **options))


@pytest.mark.parametrize("name", ENCODED)
def test_each_encoding_and_title_rows_import_the_same_orders(store, tmp_path, name):
    summary = run(store, name, tmp_path)
    assert summary.ok and summary.committed
    assert (summary.rows_read, summary.orders_created, summary.customers_created) == (8, 7, 4)
    with store.write() as s:
        totals = dict(s.execute(select(Order.platform_order_id, Order.total_fen)).all())
    assert totals["6921000000000001"] == 27800  # 订单应付金额 ¥278.00 over two item rows
    assert totals["6921000000000002"] == 129900  # ¥1,299.00 (￥ in the GBK file)
    assert totals["6921000000000003"] == 8950  # 89.5


def test_repeat_orders_of_one_douyin_buyer_become_one_customer(store, tmp_path):
    run(store, "douyin_orders.csv", tmp_path)
    with store.write() as s:
        hangzhou = s.scalars(select(Customer).where(Customer.city == "杭州市")).one()
        orders = s.scalars(select(Order).where(Order.customer_id == hangzhou.id)).all()
        assert sorted(o.platform_order_id[-1] for o in orders) == ["1", "2", "3"]
        assert (hangzhou.real_name, hangzhou.phone, hangzhou.phone_masked) == ("王丽", None, "138****5678")
        assert hangzhou.order_count == 3 and hangzhou.total_spent_fen == 27800 + 129900 + 8950
        first = s.scalars(select(Order).where(Order.platform_order_id == "6921000000000001")).one()
        assert [(i.product_name, i.amount_fen) for i in sorted(first.items, key=lambda i: i.id)] == [
            ("玻尿酸精华液 30ml", 19900), ("洁面乳 120g", 7900)]
        assert first.ordered_at.isoformat() == "2024-05-01T12:15:03+00:00"  # 20:15:03 in Shanghai


def test_same_name_and_masked_phone_in_another_city_is_a_possible_duplicate_not_a_merge(store, tmp_path):
    summary = run(store, "douyin_orders.csv", tmp_path)
    assert summary.possible_duplicates == 1
    with store.write() as s:
        wang = s.scalars(select(Customer.id).where(Customer.real_name == "王丽").order_by(Customer.id)).all()
        assert len(wang) == 2
        dup = s.scalars(select(PossibleDuplicate)).one()
        assert (dup.customer_id, dup.other_id, dup.reason, dup.status) == (wang[0], wang[1], NAME_MASK_OTHER_PLACE,
                                                                           "open")


def test_rows_with_only_a_phone_are_kept_with_the_phone_cleaned(store, tmp_path):
    run(store, "douyin_orders.csv", tmp_path)
    with store.write() as s:
        only_phone = s.scalars(select(Customer).where(Customer.phone == "13900001111")).one()
        assert only_phone.nickname == "139****1111" and only_phone.real_name is None
        assert "13900001111" in only_phone.search_text


def test_full_phone_fitting_a_masked_one_under_the_same_name_is_a_possible_duplicate(store, tmp_path):
    with store.write() as s:
        known = customers.create(s, customers.NewCustomer(nickname="王姐", real_name="王丽", city="杭州市"))
        s.get(Customer, known).phone_masked = "138****5678"
    target = tmp_path / "full_phone.csv"
    target.write_text("主订单编号,商品金额,订单提交时间,收件人,收件人手机号,市\n"
                      "7001,10.00,2024-06-01 10:00:00,王丽,13812345678,上海市\n", encoding="utf-8")
    summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin"))
    assert summary.customers_created == 1 and summary.possible_duplicates == 1
    with store.write() as s:
        dup = s.scalars(select(PossibleDuplicate)).one()
        assert dup.customer_id == known and dup.reason == PHONE_FITS_MASK


def test_reimporting_the_same_file_changes_nothing(store, tmp_path):
    run(store, "douyin_orders.csv", tmp_path)
    before = snapshot(store)
    again = run(store, "douyin_orders_gbk.csv", tmp_path)  # the same rows in another encoding
    assert (again.orders_created, again.orders_updated, again.orders_unchanged) == (0, 0, 7)
    assert (again.customers_created, again.customers_matched, again.possible_duplicates) == (0, 4, 0)
    assert snapshot(store) == before


def test_newer_export_marks_refunds_and_keeps_notes_tags_and_points(store, tmp_path):
    run(store, "douyin_orders.csv", tmp_path)
    with store.write() as s:
        order = s.scalars(select(Order).where(Order.platform_order_id == "6921000000000002")).one()
        cid, oid = order.customer_id, order.id
        customers.add_note(s, cid, "敏感肌，别推酸类")
        customers.tag_customer(s, cid, "老客")
        spend = s.scalar(select(PointsEntry.delta).where(PointsEntry.ref == str(oid), PointsEntry.reason == "spend"))
    assert spend == 1299
    summary = run(store, "douyin_orders_refunds.csv", tmp_path)
    assert (summary.orders_created, summary.orders_updated, summary.orders_unchanged) == (0, 1, 6)
    with store.write() as s:
        order = s.get(Order, oid)
        assert (order.status, order.after_sale, order.customer_id) == ("refunded", "退款成功", cid)
        assert {i.status for i in order.items} == {"refunded"}
        assert s.scalar(select(func.count()).select_from(Order)) == 7
        assert s.scalar(select(func.count()).select_from(Note).where(Note.customer_id == cid)) == 1
        assert s.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.customer_id == cid)) == 1
        ledger = s.execute(select(PointsEntry.reason, PointsEntry.delta).where(PointsEntry.ref == str(oid))).all()
        assert sorted(ledger) == [("refund", -1299), ("spend", 1299)]
        assert s.get(Customer, cid).total_spent_fen == 27800 + 8950


def test_bad_rows_write_nothing_and_report_each_row_and_column(store, tmp_path):
    before = counts(store)
    summary = run(store, "douyin_orders_bad_rows.csv", tmp_path)
    assert not summary.ok and not summary.committed and summary.batch_id is None
    assert [(e.row, e.column, e.value, e.code) for e in summary.errors] == [
        (3, "商品金额", "七十九", "money"),
        (4, "订单提交时间", "2024-13-45 25:00:00", "datetime"),
        (5, "主订单编号", None, "required"),
    ]
    assert counts(store) == before
    report = Path(summary.report_path)
    assert report.parent == tmp_path and report.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("3,商品金额,七十九,") and len(lines) == 4


def test_errors_in_an_xlsx_point_at_the_row_under_the_title_rows(store, tmp_path):
    from openpyxl import load_workbook

    broken = tmp_path / "broken.xlsx"
    shutil.copy(DATA / "douyin_orders_title_rows.xlsx", broken)
    book = load_workbook(broken)
    book.active["F6"] = "不知道"  # 商品金额 of the third data row; the header is row 3
    book.save(broken)
    summary = import_orders(store.write_factory, broken, ImportOptions(report_path=tmp_path))
    assert [(e.row, e.column, e.code) for e in summary.errors] == [(6, "商品金额", "money")]
    assert counts(store)["orders"] == 0


def test_dry_run_counts_like_a_real_run_and_writes_nothing(store, tmp_path):
    before = counts(store)
    summary = run(store, "douyin_orders.csv", tmp_path, dry_run=True)
    assert summary.ok and not summary.committed
    assert (summary.orders_created, summary.customers_created, summary.possible_duplicates) == (7, 4, 1)
    assert counts(store) == before


def test_cancel_rolls_everything_back(store, tmp_path, monkeypatch):
    monkeypatch.setattr(orders_import, "CHUNK_ROWS", 2)
    cancel = threading.Event()
    seen = []

    def progress(done, total, phase):
        seen.append((done, total, phase))
        if done >= 4:
            cancel.set()

    with pytest.raises(ImportCancelled):
        import_orders(store.write_factory, DATA / "douyin_orders.csv", ImportOptions(), progress, cancel)
    assert seen[0] == (0, 8, "prepare") and any(p == "import" for _, _, p in seen)
    assert counts(store) == {name: 0 for name in counts(store)}


def test_an_order_cut_by_a_chunk_boundary_is_still_one_order(store, tmp_path, monkeypatch):
    monkeypatch.setattr(orders_import, "CHUNK_ROWS", 1)
    summary = run(store, "douyin_orders.csv", tmp_path)
    assert summary.orders_created == 7
    with store.write() as s:
        first = s.scalars(select(Order).where(Order.platform_order_id == "6921000000000001")).one()
        assert len(first.items) == 2 and first.total_fen == 27800


def test_revert_removes_the_batch_and_its_customers_but_keeps_touched_ones(store, tmp_path):
    with store.write() as s:
        touched = customers.create(s, customers.NewCustomer(nickname="老顾客", phone="13900001111"))
    summary = run(store, "douyin_orders.csv", tmp_path)
    assert summary.customers_created == 3 and summary.customers_matched == 1
    with store.write() as s:
        result = revert_batch(s, summary.batch_id)
    assert (result.orders_removed, result.customers_removed, result.customers_kept) == (7, 3, 0)
    with store.write() as s:
        assert s.scalars(select(Customer.id)).all() == [touched]
        assert s.scalar(select(func.count()).select_from(Order)) == 0
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == 0
        assert s.get(Customer, touched).order_count == 0
        assert s.get(ImportBatch, summary.batch_id).status == "reverted"
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["import", "import_revert"]


def test_revert_keeps_a_created_customer_who_has_a_note_since(store, tmp_path):
    summary = run(store, "douyin_orders.csv", tmp_path)
    with store.write() as s:
        cid = s.scalar(select(Customer.id).where(Customer.city == "深圳市"))
        customers.add_note(s, cid, "想要大瓶装")
    with store.write() as s:
        result = revert_batch(s, summary.batch_id)
        assert result.customers_kept == 1 and s.get(Customer, cid) is not None


def test_a_corrected_mapping_is_remembered_for_the_next_file_of_that_source(store, tmp_path):
    target = tmp_path / "renamed.csv"
    target.write_text("主订单编号,付了多少,订单提交时间,收件人,收件人手机号\n"
                      "8001,¥12.00,2024-06-01 10:00:00,张三,13700000000\n", encoding="utf-8")
    first = import_orders(store.write_factory, target,
                          ImportOptions(platform="douyin", overrides={"order_total": "付了多少"}))
    assert first.ok
    with store.write() as s:
        assert settings.get(s, "import.mappings") == {"douyin": {"order_total": "付了多少"}}
        preview = inspect_file(target, s, platform="douyin")
    assert preview.mapping.columns["order_total"] == "付了多少"
    assert preview.mapping.source["order_total"] == "remembered"
    assert preview.table.header_row == 1 and list(preview.rows["主订单编号"]) == ["8001"]


def test_a_file_whose_platform_cannot_be_told_needs_one(store, tmp_path):
    target = tmp_path / "plain.csv"
    target.write_text("订单号,金额,下单时间,手机号\n1,1.00,2024-06-01 10:00:00,13700000000\n", encoding="utf-8")
    with pytest.raises(ImportSetupError):
        import_orders(store.write_factory, target)
    assert import_orders(store.write_factory, target, ImportOptions(platform="taobao")).committed


def test_missing_required_columns_are_reported_against_the_header(store, tmp_path):
    target = tmp_path / "no_money.csv"
    target.write_text("主订单编号,订单提交时间,收件人\n1,2024-06-01 10:00:00,张三\n", encoding="utf-8")
    summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin", report_path=tmp_path))
    assert [(e.row, e.code) for e in summary.errors] == [(1, "missing_column")]


def test_a_row_wider_than_its_header_is_an_error_not_lost_cells(store, tmp_path):
    head = "主订单编号,商品金额,订单提交时间,收件人\n"
    row = "{},10.00,2024-06-01 10:00:00,张三"
    for extra, bad_row in ((",多出来的", 2), (",x" * 20, 2)):  # a spare cell, and far too many
        target = tmp_path / "wide.csv"
        target.write_text(head + row.format(1) + extra + "\n" + row.format(2) + "\n", encoding="utf-8")
        summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin",
                                                                             report_path=tmp_path))
        assert [(e.row, e.code) for e in summary.errors] == [(bad_row, "unreadable")]
    assert counts(store)["orders"] == 0
