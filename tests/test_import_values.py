"""Cells, headers and files as the shops' exports have them: values, column mapping, reading."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from livedesk.services.importing import columns, values
from livedesk.services.importing.reading import open_table

CST = timezone(timedelta(hours=8))
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("text, fen", [("¥1,299.00", 129900), ("1299元", 129900), ("1299.5", 129950),
                                       ("￥0.01", 1), ("12.990", 1299), (" 88 ", 8800), ("RMB 5", 500)])
def test_money_is_exact_integer_fen(text, fen):
    assert values.money_fen(text) == fen
    parsed, bad = values.money_column(pd.Series([text]))
    assert int(parsed.iat[0]) == fen and not bad.any()


@pytest.mark.parametrize("text, code", [("七十九", "money"), ("1.234", "money_fraction"), ("-3", "money_negative"),
                                        ("NaN", "money"), ("1e3x", "money")])
def test_money_that_is_not_exact_is_refused_with_its_reason(text, code):
    with pytest.raises(values.BadValue) as err:
        values.money_fen(text)
    assert err.value.code == code
    _, bad = values.money_column(pd.Series([text]))
    assert bad.tolist() == [True]


def test_money_column_keeps_integers_and_empties_without_floats():
    parsed, bad = values.money_column(pd.Series(["¥1,299.00", None, "0.10"]))
    assert str(parsed.dtype) == "Int64" and parsed.isna().tolist() == [False, True, False]
    assert parsed.iat[2] == 10 and not bad.any()


@pytest.mark.parametrize("text, utc", [
    ("2024-05-01 20:15:03", "2024-05-01T12:15:03+00:00"),
    ("2024/5/1 8:00", "2024-05-01T00:00:00+00:00"),
    ("2024年5月1日 20:30", "2024-05-01T12:30:00+00:00"),
    ("2024-05-01", "2024-04-30T16:00:00+00:00"),
    ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00+00:00"),
    ("2024-05-01 12:00:00 -0400", "2024-05-01T16:00:00+00:00"),
    ("05/21/2024 10:11:12 PM", "2024-05-21T14:11:12+00:00"),
    ("1714565703", "2024-05-01T12:15:03+00:00"),
])
def test_times_are_read_in_the_shops_zone_and_stored_as_utc(text, utc):
    assert values.utc_datetime(text, CST).isoformat() == utc
    parsed, bad = values.datetime_column(pd.Series([text, None]), CST)
    assert parsed.iat[0].isoformat() == utc and pd.isna(parsed.iat[1]) and not bad.any()


@pytest.mark.parametrize("text", ["2024-13-45 25:00:00", "昨天", "2024-02-30"])
def test_impossible_times_are_refused(text):
    _, bad = values.datetime_column(pd.Series([text]), CST)
    assert bad.tolist() == [True]


def test_phones_lose_spreadsheet_marks_and_masked_ones_stay_masked():
    parsed, bad = values.phone_column(pd.Series(["'13812345678", "\t138****5678", "+86 138 1234 5678", "无"]))
    assert parsed.tolist()[:3] == ["13812345678", "138****5678", "13812345678"]
    assert bad.tolist() == [False, False, False, True]


@pytest.mark.parametrize("text, code", [
    ("已完成", "completed"), ("交易成功", "completed"), ("待发货", "paid"), ("已发货", "paid"),
    ("待付款", "pending"), ("已关闭", "cancelled"), ("交易关闭", "cancelled"), ("退款成功", "refunded"),
    ("paid", "paid"), ("refunded", "refunded"), ("Cancelled", "cancelled"), ("To ship", "paid"),
    ("Completed", "completed"), ("pending", "pending"),
])
def test_statuses_map_to_the_stores_codes(text, code):
    assert values.order_status(text) == code


def test_after_sale_only_a_finished_refund_counts():
    assert values.refund_column(pd.Series(["退款成功", "无售后", "-", None, "退款中", "售后关闭"])).tolist() == [
        True, False, False, False, False, False]


@pytest.mark.parametrize("headers, platform", [
    (["主订单编号", "子订单编号", "选购商品", "订单应付金额", "订单提交时间"], "douyin"),
    (["订单编号", "买家会员名", "买家实际支付金额", "宝贝标题", "宝贝总数量"], "taobao"),
    (["Order ID", "Buyer Username", "SKU Subtotal After Discount", "Created Time"], "tiktok"),
    (["Name", "Email", "Financial Status", "Lineitem name", "Lineitem quantity"], "shopify"),
    (["订单号", "快手昵称", "快手号", "实付款"], "kuaishou"),
    (["订单号", "订单创建时间", "实付款", "成交数量", "收货地址-省", "收货地址-街道", "CPS达人ID", "团长ID"], "kuaishou"),
    (["order_id", "ordered_at", "buyer_handle", "platform"], "livedesk"),
])
def test_platform_is_told_from_its_export_header(headers, platform):
    assert columns.detect_platform(headers) == platform


def test_douyin_headers_map_automatically():
    header = open_table(DATA / "douyin_orders.csv").headers
    mapping = columns.auto_map(header)
    assert mapping["order_id"] == "主订单编号" and mapping["sub_order_id"] == "子订单编号"
    assert mapping["item_amount"] == "商品金额" and "order_total" not in mapping  # 应付 is not 实付
    assert mapping["phone"] == "收件人手机号" and mapping["city"] == "市" and mapping["address"] == "详细地址"


def test_shopify_and_template_headers_map():
    assert columns.auto_map(["Name", "Email", "Lineitem price", "Shipping Phone", "Created at"]) == {
        "order_id": "Name", "buyer_id": "Email", "unit_price": "Lineitem price", "phone": "Shipping Phone",
        "ordered_at": "Created at"}
    template = (Path(__file__).parents[1] / "resources" / "templates" / "orders_template.csv")
    header = open_table(template).headers
    assert set(columns.auto_map(header)) == set(header)


def test_overrides_win_and_unknown_fields_or_columns_are_refused():
    mapping = columns.build_mapping(["单号", "钱"], overrides={"order_id": "单号", "order_total": "钱"})
    assert mapping.columns == {"order_id": "单号", "order_total": "钱"}
    with pytest.raises(columns.MappingError):
        columns.parse_overrides(["nonsense=单号"])
    with pytest.raises(columns.MappingError):
        columns.build_mapping(["单号"], overrides={"order_id": "没有这列"})


@pytest.mark.parametrize("name, encoding", [("douyin_orders.csv", "utf-8"), ("douyin_orders_bom.csv", "utf-8-sig"),
                                            ("douyin_orders_gbk.csv", "gb18030")])
def test_csv_encodings_are_detected(name, encoding):
    table = open_table(DATA / name)
    assert table.encoding == encoding and table.headers[0] == "主订单编号"
    assert table.preview(1)["收件人"].iat[0] == "王丽"


def test_xlsx_title_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    table = open_table(DATA / "douyin_orders_title_rows.xlsx")
    assert table.header_row == 3 and table.total_rows == 8
    chunk = table.preview(2)
    assert list(chunk.index) == [4, 5] and chunk["商品数量"].tolist() == ["1", "1"]
    assert chunk["订单提交时间"].iat[0] == "2024-05-01 20:15:03"


@pytest.mark.parametrize("raw, clean", [
    ("13812345678", "13812345678"), ("8613812345678", "13812345678"), ("861381234567", "861381234567"),
    ("138****5678", "138****5678"), ("86138****5678", "86138****5678"), ("1234**********12345678", "1234**********12345678"),
    ("1234*123456789", "1234*123456789"), ("１３８１２３４５６７８", "13812345678"), (" 13812345678 ", "13812345678"),
    ("+86 138-1234-5678", "13812345678"), ("*", "*"), ("", None), ("无", None),
])
def test_phones_already_clean_or_not_read_the_same(raw, clean):
    from livedesk.services.identity_text import clean_phone

    assert clean_phone(raw) == clean


def test_payable_is_only_a_guess_for_the_amount_paid_and_paid_wins_when_both_are_there():
    guessed = columns.build_mapping(["主订单编号", "订单应付金额"])
    assert guessed.columns["order_total"] == "订单应付金额" and guessed.source["order_total"] == "guess"
    both = columns.build_mapping(["主订单编号", "订单应付金额", "订单实付金额"])
    assert both.columns["order_total"] == "订单实付金额" and both.source["order_total"] == "auto"
