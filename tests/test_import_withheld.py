"""Exports as shops have them today: encrypted and masked buyers, wrapped cells, export times."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from livedesk.models import Customer, ImportBatch, Order, OrderItem, PlatformAccount
from livedesk.services.importing import ImportOptions, import_orders
from livedesk.services.importing import values
from livedesk.services.importing.columns import auto_map

DATA = Path(__file__).parent / "data"
# Issue 16's header and sample line, byte for byte (a tab inside each quoted id).
ISSUE_HEADER = ("主订单编号,子订单编号,选购商品,商品规格,商品数量,商家编码,订单应付金额,运费,收件人,收件人手机号,详细地址,"
                "订单提交时间,商家备注,订单完成时间,订单状态,售后状态,取消原因,发货时间,平台实际承担优惠金额,"
                "商家实际承担优惠金额,达人实际承担优惠金额")
ISSUE_LINE = ('"\t6921455530193320017","\t6921455530193320017","\t修护精华水","\t150ml",1,"\tSK-0150",189.00,0.00,'
              "##密文,$$密文,##密文,2026-10-12 20:31:07,-,2026-10-15 09:02:11,已完成,退款成功,,2026-10-13 10:20:45,"
              "0.00,20.00,0.00")


def _count(store, model) -> int:
    with store.write() as s:
        return s.scalar(select(func.count()).select_from(model))


def _orders(store) -> dict[str, tuple]:
    with store.write() as s:
        return {number: (customer, status, total, uid) for number, customer, status, total, uid in s.execute(
            select(Order.platform_order_id, Order.customer_id, Order.status, Order.total_fen, Order.buyer_uid))}


@pytest.mark.parametrize("text", ["##密文", "$$密文", "#Fz3kd==#", "$Qn/ZHaMby1MzBq3Rw==$1$", "***", "王**", "*丽", "文三路***号", "隐私保护",
                                  "[已加密]", "-", "无"])
def test_withheld_identity_cells_are_recognised(text):
    assert values.withheld(text)


@pytest.mark.parametrize("text", ["王丽", "lily_2018", "文三路12号", "MS4wLjABAAAA", "3381290017", "杭州市"])
def test_given_identity_cells_are_not_withheld(text):
    assert not values.withheld(text)


@pytest.mark.parametrize("text,withheld", [("$$密文", True), ("***********", True), ("17012345678-1234", True),
                                           ("17098765432转0021", True), ("隐私号码", True), ("138****5678", False),
                                           ("13812345678", False), ("0571-88886666", False)])
def test_phone_placeholders_and_virtual_numbers_are_withheld(text, withheld):
    assert values.phone_withheld(text) is withheld


@pytest.mark.parametrize("cell,value", [("\t6921455530193320017", "6921455530193320017"),
                                        ("'6921455530193320017", "6921455530193320017"),
                                        ('="6921455530193320017"', "6921455530193320017"),
                                        ("=SUM(A1)", "=SUM(A1)"), ("修护精华水", "修护精华水")])
def test_unwrap_strips_the_wrappers_exports_add(cell, value):
    assert values.unwrap(cell) == value


def test_export_time_is_read_from_a_unix_time_prefix_only():
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)
    assert values.export_time("1791800000_订单导出.csv", now) == datetime(2026, 10, 12, 10, 13, 20, tzinfo=timezone.utc)
    assert values.export_time("1791800000123-订单.xlsx", now) == datetime(2026, 10, 12, 10, 13, 20, tzinfo=timezone.utc)
    assert values.export_time("订单导出.csv", now) is None
    assert values.export_time("6921455530193320017.csv", now) is None  # an order number, not a time
    assert values.export_time("1000000000_old.csv", now) is None  # 2001: before any such export
    assert values.export_time("1999999999_future.csv", now) is None


def test_douyin_payable_without_item_amount_is_the_lines_amount():
    mapping = auto_map(ISSUE_HEADER.split(","))
    assert mapping["item_amount"] == "订单应付金额" and "order_total" not in mapping


def test_issue_sample_line_imports_as_an_order_without_a_customer(store, tmp_path):
    path = tmp_path / "订单导出.csv"
    path.write_text(ISSUE_HEADER + "\n" + ISSUE_LINE + "\n", encoding="utf-8")
    summary = import_orders(store.write_factory, path)
    assert summary.ok, summary.errors
    assert (summary.orders_created, summary.orders_without_buyer, summary.customers_created) == (1, 1, 0)
    assert _orders(store) == {"6921455530193320017": (None, "refunded", 18900, None)}
    with store.write() as s:
        item = s.scalars(select(OrderItem)).one()
        assert (item.sub_order_id, item.product_name, item.amount_fen) == ("6921455530193320017", "修护精华水", 18900)
        order = s.scalars(select(Order)).one()
        assert (order.recipient_name, order.recipient_phone, order.address) == (None, None, None)


def test_no_customer_is_made_or_merged_from_placeholders(store):
    summary = import_orders(store.write_factory, DATA / "douyin_orders_encrypted.csv")
    assert summary.ok, summary.errors
    assert (summary.orders_created, summary.orders_without_buyer, summary.customers_created) == (5, 5, 0)
    assert _count(store, Customer) == 0 and _count(store, PlatformAccount) == 0
    orders = _orders(store)
    assert orders["6921455530193320033"] == (None, "paid", 33800, None)  # two lines: 259 + 79
    assert orders["6921455530193320041"][1] == "cancelled"
    assert orders["6921455530193320017"][1] == "refunded"  # 售后状态 退款成功 on its only line


def test_taobao_masked_names_and_virtual_phones_are_no_identity(store):
    summary = import_orders(store.write_factory, DATA / "taobao_orders_2024.csv")
    assert summary.ok, summary.errors
    assert summary.platform == "taobao"
    assert (summary.orders_created, summary.customers_created, summary.orders_without_buyer) == (4, 1, 2)
    with store.write() as s:
        customer = s.scalars(select(Customer)).one()
        assert (customer.nickname, customer.real_name, customer.phone, customer.phone_masked) == (
            "lily_2018", None, None, None)
    orders = _orders(store)
    assert orders["3902211458700017"][0] == orders["3902211458700025"][0] == customer.id  # the ' was stripped
    assert orders["3902211458700033"][0] is None and orders["3902211458700041"][0] is None


def test_kuaishou_export_imports_by_its_own_header_masked_recipients_waiting(store):
    summary = import_orders(store.write_factory, DATA / "kuaishou_orders.csv")  # told from its header
    assert summary.ok, summary.errors
    assert summary.platform == "kuaishou"
    assert (summary.orders_created, summary.customers_created, summary.orders_without_buyer) == (6, 1, 4)
    orders = _orders(store)
    # 张* / 186****2234 twice is nobody, and no two orders are merged on it
    assert orders["2412300155203391"] == (None, "completed", 25900, None)
    assert orders["2412300155203408"][:3] == (None, "paid", 37800)
    assert orders["2412300155203415"][:2] == (None, "cancelled")
    assert orders["2410020155200033"][:2] == (None, "pending")
    # an older export's plain recipient is one customer for both of her orders
    assert orders["2409120155200017"][0] == orders["2409180155200025"][0] is not None
    with store.write() as s:
        customer = s.scalars(select(Customer)).one()
        assert (customer.real_name, customer.phone, customer.city) == ("陈晓敏", "13912345678", "杭州市")
        assert s.execute(select(OrderItem.quantity, OrderItem.unit_price_fen).join(Order).where(
            Order.platform_order_id == "2412300155203408")).one() == (2, 18900)
        refunded = s.scalar(select(OrderItem.status).join(Order).where(Order.platform_order_id == "2412300155203415"))
    assert refunded == "refunded"


def test_a_buyer_id_alone_waits_with_its_id(store):
    summary = import_orders(store.write_factory, DATA / "buyer_id_orders.csv", ImportOptions(platform="kuaishou"))
    assert summary.ok, summary.errors
    assert (summary.orders_created, summary.customers_created, summary.orders_without_buyer) == (3, 1, 1)
    orders = _orders(store)
    assert orders["2412300155203415"] == (None, "refunded", 7900, "3381290099")
    assert orders["2412300155203391"][0] == orders["2412300155203408"][0] is not None


def _export(tmp_path: Path, stamp: int, status: str, after_sale: str = "-") -> Path:
    path = tmp_path / f"{stamp}_订单导出.csv"
    line = ISSUE_LINE.replace(",已完成,退款成功,", f",{status},{after_sale},")
    path.write_text(ISSUE_HEADER + "\n" + line + "\n", encoding="utf-8")
    return path


def test_an_older_export_never_overwrites_a_newer_status(store, tmp_path):
    newer = import_orders(store.write_factory, _export(tmp_path, 1792000000, "已完成", "退款成功"))
    assert newer.ok and newer.exported_at == "2026-10-14T17:46:40+00:00"
    older = import_orders(store.write_factory, _export(tmp_path, 1791900000, "已发货"))
    assert older.ok and (older.orders_outdated, older.orders_updated) == (1, 0)
    assert _orders(store)["6921455530193320017"][1] == "refunded"
    latest = import_orders(store.write_factory, _export(tmp_path, 1792100000, "已完成"))
    assert (latest.orders_outdated, latest.orders_updated) == (0, 1)
    assert _orders(store)["6921455530193320017"][1] == "completed"
    with store.write() as s:
        assert s.scalar(select(Order.exported_at)) == datetime(2026, 10, 15, 21, 33, 20, tzinfo=timezone.utc)
        stamps = s.scalars(select(ImportBatch.exported_at).order_by(ImportBatch.id)).all()
        assert [t.year for t in stamps] == [2026, 2026, 2026]


def test_an_export_without_a_time_still_updates(store, tmp_path):
    import_orders(store.write_factory, _export(tmp_path, 1792000000, "已发货"))
    plain = tmp_path / "订单导出.csv"
    shutil.copy(_export(tmp_path, 1791000000, "已完成"), plain)
    summary = import_orders(store.write_factory, plain)
    assert summary.orders_updated == 1 and summary.exported_at is None
    assert _orders(store)["6921455530193320017"][1] == "completed"


def test_formula_and_apostrophe_wrappers_are_stripped_from_every_cell(store, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,product_name,quantity,item_amount,ordered_at,status,buyer_handle,phone,platform\n"
                    '="9001",\'精华水,="2",\'¥19.90,="2026-10-12 20:00:00",\'已完成,="小美",\'13812345678,douyin\n',
                    encoding="utf-8")
    summary = import_orders(store.write_factory, path)
    assert summary.ok, summary.errors
    with store.write() as s:
        order = s.scalars(select(Order)).one()
        item = s.scalars(select(OrderItem)).one()
        customer = s.scalars(select(Customer)).one()
    assert (order.platform_order_id, order.status, order.total_fen) == ("9001", "completed", 1990)
    assert (item.product_name, item.quantity) == ("精华水", 2)
    assert (customer.nickname, customer.phone) == ("小美", "13812345678")
