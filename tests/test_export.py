"""Exports of customers and orders: XLSX and CSV read back with pandas match the store's figures
(yuan from fen, shop-local times, Chinese headers), filters, paging and sheet overflow, the audit
log, and clear refusals for bad paths."""

from __future__ import annotations

import codecs
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from livedesk.cli import main
from livedesk.models import AuditEntry, Customer, Order
from livedesk.services import customers, export, importing, segments
from livedesk.services.customers import CustomerFilter, NewCustomer
from helpers import db_args

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SHOP = timezone(timedelta(hours=8))
HEADER = "order_id,product_name,quantity,unit_price,item_amount,order_total,ordered_at,paid_at,status,buyer_id,platform"


@pytest.fixture
def shop(store, tmp_path):
    with store.write() as s:
        ids = [
            customers.create(s, NewCustomer(nickname="王姐", real_name="王丽华", phone="13812345678", city="杭州",
                                            gender="F", birthday=date(1985, 2, 28),
                                            accounts=[("douyin", "MS4wWANG", "wangjie888")])),
            customers.create(s, NewCustomer(nickname="小鹿, \"爱买\"", city="上海",
                                            accounts=[("taobao", "2200002", None)])),
            customers.create(s, NewCustomer(nickname="Coco酱", phone="13900001111")),
        ]
        customers.tag_customer(s, ids[0], "回头客")
        customers.tag_customer(s, ids[0], "敏感肌")
    rows = []
    for n, (buyer, platform, yuan, days) in enumerate([("MS4wWANG", "douyin", "12999.99", 30),
                                                        ("MS4wWANG", "douyin", "0.50", 3),
                                                        ("2200002", "taobao", "199", 100)]):
        at = (NOW - timedelta(days=days)).astimezone(SHOP).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(f"O{n},精华液,2,{yuan},{yuan},{yuan},{at},{at},completed,{buyer},{platform}")
        rows.append(f"O{n},面膜,1,0,0,{yuan},{at},{at},completed,{buyer},{platform}")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    assert not importing.import_orders(store.write_factory, path).errors
    with store.write() as s:
        segments.recompute(s, NOW)
    return ids


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _local(moment: datetime) -> str:
    return moment.astimezone(SHOP).strftime("%Y-%m-%d %H:%M:%S")


def test_customers_csv_round_trips_with_chinese_headers_yuan_and_local_times(store, shop, tmp_path):
    target = tmp_path / "客户.csv"
    with store.write() as s:
        summary = export.export_customers(s, target, actor="小周")
    raw = target.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(codecs.BOM_UTF8) == 1  # Excel reads the Chinese right
    frame = _csv(target).set_index("客户ID")
    assert summary.rows == len(frame) == 3 and list(frame.columns)[:3] == ["昵称", "姓名", "手机号"]
    with store.write() as s:
        for cid in shop:
            c = s.get(Customer, cid)
            row = frame.loc[str(cid)]
            assert row["昵称"] == c.nickname
            assert row["累计消费(元)"] == f"{c.total_spent_fen // 100}.{c.total_spent_fen % 100:02d}"
            assert row["订单数"] == str(c.order_count) and row["成长值"] == str(c.points_balance)
            assert row["建档时间"] == _local(c.created_at)
            assert row["最近下单时间"] == (_local(c.last_order_at) if c.last_order_at else "")
    wang = frame.loc[str(shop[0])]
    assert wang["累计消费(元)"] == "13000.49" and wang["生日"] == "1985-02-28" and wang["性别"] == "女"
    assert wang["客户分层"] in export.TIER_WORDS.values() and wang["会员等级"] == "银钻会员"
    assert wang["平台账号"] == "抖音:wangjie888" and wang["标签"] == "回头客；敏感肌"
    assert frame.loc[str(shop[1]), "昵称"] == "小鹿, \"爱买\""  # quoted properly
    assert frame.loc[str(shop[2]), "客户分层"] == "未购客" and frame.loc[str(shop[2]), "累计消费(元)"] == "0.00"


def test_orders_xlsx_round_trips_with_yuan_numbers_and_local_datetimes(store, shop, tmp_path):
    target = tmp_path / "orders.xlsx"
    with store.write() as s:
        summary = export.export_orders(s, target)
        orders = {o.platform_order_id: o for o in s.scalars(select(Order))}
    frame = pd.read_excel(target, sheet_name="订单", dtype={"订单编号": str})
    assert summary.rows == len(frame) == 3 and summary.sheets == 1
    for _i, row in frame.iterrows():
        order = orders[row["订单编号"]]
        assert round(row["订单金额(元)"] * 100) == order.total_fen
        assert row["下单时间"] == pd.Timestamp(order.ordered_at.astimezone(SHOP).replace(tzinfo=None))
        assert row["客户ID"] == order.customer_id
    first = frame.set_index("订单编号").loc["O0"]
    assert first["商品"] == "精华液×2；面膜×1" and first["件数"] == 3 and first["平台"] == "抖音"
    assert first["订单状态"] == "已完成" and first["客户昵称"] == "王姐" and first["订单金额(元)"] == 12999.99


def test_a_tier_or_customer_ids_filter_exports_only_those_customers_and_their_orders(store, shop, tmp_path):
    with store.write() as s:
        tier = s.get(Customer, shop[0]).tier
        expected = set(customers.list_ids(s, CustomerFilter(tier=tier)))
        export.export_customers(s, tmp_path / "tier.csv", CustomerFilter(tier=tier))
        export.export_orders(s, tmp_path / "tier_orders.csv", CustomerFilter(tier=tier))
        export.export_orders(s, tmp_path / "one.xlsx", customer_ids=[shop[1], 999_999])
        export.export_customers(s, tmp_path / "none.xlsx", CustomerFilter(tier="vip"), customer_ids=[shop[2]])
    assert set(_csv(tmp_path / "tier.csv")["客户ID"].astype(int)) == expected
    assert set(_csv(tmp_path / "tier_orders.csv")["客户ID"].astype(int)) <= expected
    assert list(pd.read_excel(tmp_path / "one.xlsx")["订单编号"].astype(str)) == ["O2"]
    empty = pd.read_excel(tmp_path / "none.xlsx")
    assert empty.empty and "客户ID" in empty.columns  # the header alone


def test_exports_read_in_pages_and_start_a_new_sheet_when_one_is_full(store, shop, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 2)
    monkeypatch.setattr(export, "CUSTOMER_BATCH", 1)
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)  # the header and two rows per sheet
    progress: list[tuple[int, int]] = []
    with store.write() as s:
        everyone = export.export_customers(s, tmp_path / "all.xlsx", progress=lambda d, t: progress.append((d, t)))
        chosen = export.export_orders(s, tmp_path / "chosen.csv", customer_ids=shop)
        paged = export.export_orders(s, tmp_path / "paged.csv")
    assert progress == [(2, 3), (3, 3)]
    assert everyone.sheets == 2
    sheets = pd.read_excel(tmp_path / "all.xlsx", sheet_name=None)
    assert list(sheets) == ["客户", "客户2"] and sum(len(f) for f in sheets.values()) == 3
    assert sorted(pd.concat(sheets.values())["客户ID"]) == sorted(shop)
    assert chosen.rows == paged.rows == 3
    assert sorted(_csv(tmp_path / "chosen.csv")["订单编号"]) == sorted(_csv(tmp_path / "paged.csv")["订单编号"])


def test_every_export_is_written_to_the_audit_log(store, shop, tmp_path):
    with store.write() as s:
        summary = export.export_orders(s, tmp_path / "o.csv", CustomerFilter(tier="new"), actor="小周")
    with store.write() as s:
        entry = s.get(AuditEntry, summary.audit_id)
        assert (entry.action, entry.entity, entry.actor) == ("export", "orders", "小周")
        assert entry.detail == {"file": str((tmp_path / "o.csv").resolve()), "format": "csv", "rows": summary.rows,
                                "filter": {"tier": "new"}}


def test_an_export_is_audited_even_when_others_write_while_it_runs(store, shop, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 1)

    def someone_else_writes(done: int, _total: int) -> None:
        with store.write() as other:  # another connection commits while the export reads its snapshot
            customers.add_note(other, shop[0], f"written during the export ({done})")

    with store.read() as s:  # minutes of reading never hold the write lock
        summary = export.export_customers(s, tmp_path / "c.csv", progress=someone_else_writes)
    with store.read() as s:
        assert s.get(AuditEntry, summary.audit_id).detail["rows"] == 3
    assert (tmp_path / "c.csv").exists()


def test_buyers_text_never_becomes_a_formula_in_excel(store, tmp_path):
    nicknames = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1+1)", "-_-", "#N/A", "铃\x07铛"]
    with store.write() as s:
        ids = [customers.create(s, NewCustomer(nickname=n, address="+1 号楼")) for n in nicknames]
        export.export_customers(s, tmp_path / "c.csv")
        export.export_customers(s, tmp_path / "c.xlsx")
    shown = _csv(tmp_path / "c.csv").set_index("客户ID")
    assert [shown.loc[str(i), "昵称"] for i in ids[:4]] == ["'" + n for n in nicknames[:3]] + ["#N/A"]
    assert shown.loc[str(ids[0]), "地址"] == "'+1 号楼"
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "c.xlsx")["客户"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert [(cells[i].value, cells[i].data_type) for i in ids[:4]] == [(n, "s") for n in nicknames[:4]]
    assert cells[ids[4]].value == "铃铛"  # a control character cannot be stored in XLSX: dropped, not a crash


@pytest.mark.parametrize("name, message", [
    ("customers.txt", ".xlsx or .csv"),
    ("missing/customers.csv", "does not exist"),
    ("a_folder", ".xlsx or .csv"),
    ("folder.csv", "is a folder"),
])
def test_bad_paths_are_refused_with_a_clear_message_and_leave_nothing_behind(store, shop, tmp_path, name, message):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "folder.csv").mkdir()
    before = set(tmp_path.iterdir())
    with store.write() as s, pytest.raises(export.ExportError, match=message):
        export.export_customers(s, tmp_path / name)
    assert set(tmp_path.iterdir()) == before
    with store.write() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "export")) is None


def test_a_failed_export_leaves_no_partial_file(store, shop, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")
        yield  # a generator, as the real reader

    monkeypatch.setattr(export, "_order_chunks", broken)
    with store.write() as s, pytest.raises(RuntimeError):
        export.export_orders(s, tmp_path / "o.xlsx")
    assert list(tmp_path.glob("*.xlsx*")) == [] and list(tmp_path.glob(".o-*")) == []


def test_cli_export_exit_statuses(store, shop, tmp_path, capsys):
    db = db_args(store)
    store.dispose()
    assert main([*db, "export", "customers", str(tmp_path / "c.xlsx"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 3
    assert main([*db, "export", "orders", str(tmp_path / "o.csv"), "--customer", str(shop[0])]) == 0
    assert "2 orders written" in capsys.readouterr().out
    assert main([*db, "export", "orders", str(tmp_path / "o.txt")]) == 2
    assert ".xlsx or .csv" in capsys.readouterr().err
    assert main([*db, "export", "orders", str(tmp_path / "nope" / "o.csv")]) == 2
    with pytest.raises(SystemExit) as exc:
        main([*db, "export", "customers", str(tmp_path / "c.csv"), "--tier", "gold"])
    assert exc.value.code == 2
