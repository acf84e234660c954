"""Orders whose buyer nobody knows yet: they count, attach to their broadcast, wait on the
未识别买家 list, and once attached the store learns their buyer id."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from livedesk.cli import main
from livedesk.models import AuditEntry, Customer, Order, PlatformAccount, PointsEntry
from livedesk.services import broadcasts, customers, dashboard, export, segments, unknown_buyers
from livedesk.services.customers import NewCustomer
from livedesk.services.importing import ImportOptions, import_orders, revert_batch
from livedesk.services.periods import Period

DATA = Path(__file__).parent / "data"
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _order_id(store, number: str) -> int:
    with store.read() as s:
        return s.scalar(select(Order.id).where(Order.platform_order_id == number))


def _customer(store, nickname: str = "王姐") -> int:
    with store.write() as s:
        return customers.create(s, NewCustomer(nickname=nickname, phone="13812345678", city="杭州"))


def test_unknown_buyer_orders_count_in_gmv_and_their_broadcast(store):
    with store.write() as s:  # 20:30–21:05 in the shop's zone (UTC+8), before the export is imported
        live = broadcasts.start(s, "秋季新品", "douyin", now=datetime(2026, 10, 12, 12, 30, tzinfo=timezone.utc))
        broadcasts.end(s, live.id, now=datetime(2026, 10, 12, 13, 5, tzinfo=timezone.utc))
    assert import_orders(store.write_factory, DATA / "douyin_orders_encrypted.csv").ok
    with store.write() as s:
        attached = dict(s.execute(select(Order.platform_order_id, Order.broadcast_id)).all())
        sold = broadcasts.summary(s, live.id).sales
        facts = dashboard.load_facts(s)
    assert {n for n, b in attached.items() if b == live.id} == {
        "6921455530193320017", "6921455530193320025", "6921455530193320033", "6921455530193320041"}
    # kept money only: 378.00 completed + 338.00 paid; the refunded and the cancelled do not count
    assert (sold.orders, sold.gmv_fen, sold.known_buyers, sold.unknown_buyer_orders) == (2, 71600, 0, 2)
    october = dashboard.monthly(facts, OCTOBER).iloc[0]
    assert (october["orders"], october["gmv_fen"], october["unknown_orders"], october["buyers"]) == (3, 97500, 3, 0)
    assert dashboard.tiers(facts, OCTOBER)["gmv_fen"].sum() == 0  # no tier owns nobody's orders
    with store.write() as s:
        segments.recompute(s, NOW)  # nothing to attribute, nothing breaks
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == 0


def test_attaching_an_order_moves_it_and_recomputes_the_customer(store):
    assert import_orders(store.write_factory, DATA / "douyin_orders_encrypted.csv").ok
    customer_id = _customer(store)
    order_id = _order_id(store, "6921455530193320025")
    with store.write() as s:
        assert unknown_buyers.count(s) == 5
        listed = unknown_buyers.unknown_orders(s)
        assert [o.platform_order_id for o in listed][:2] == ["6921455530193320058", "6921455530193320041"]
        assert listed[-1].products == "修护精华水"
        result = unknown_buyers.attach(s, order_id, customer_id, actor="小助")
    assert (result.order_ids, result.account_linked) == ([order_id], False)
    with store.write() as s:
        c = s.get(Customer, customer_id)
        assert (c.order_count, c.total_spent_fen, c.tier) == (1, 37800, "new")
        assert s.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.customer_id == customer_id)) > 0
        assert unknown_buyers.count(s) == 4
        assert s.scalars(select(AuditEntry.action)).all()[-1] == "order_attach"
        with pytest.raises(unknown_buyers.AttachError) as again:
            unknown_buyers.attach(s, order_id, customer_id)
        assert again.value.code == unknown_buyers.AttachError.NOT_UNKNOWN
        with pytest.raises(unknown_buyers.AttachError) as nobody:
            unknown_buyers.attach(s, _order_id(store, "6921455530193320033"), 999)
        assert nobody.value.code == unknown_buyers.AttachError.NO_CUSTOMER


def test_attaching_learns_the_buyer_id_so_the_next_import_matches(store, tmp_path):
    assert import_orders(store.write_factory, DATA / "buyer_id_orders.csv", ImportOptions(platform="kuaishou")).ok
    customer_id = _customer(store, "赵姐")
    with store.write() as s:
        result = unknown_buyers.attach(s, _order_id(store, "2412300155203415"), customer_id)
        assert result.account_linked
        account = s.scalars(select(PlatformAccount).where(PlatformAccount.customer_id == customer_id)).one()
        assert (account.platform, account.uid) == ("kuaishou", "3381290099")
        assert "3381290099" in s.get(Customer, customer_id).search_text
    later = tmp_path / "buyer_ids_later.csv"
    lines = (DATA / "buyer_id_orders.csv").read_text(encoding="utf-8-sig").splitlines()
    lines.append("2412300155209999,2026-11-02 20:00:00,2026-11-02 20:00:10,已完成,保湿面霜 50g,88001,1,"
                 "259.00,3381290099,,***,***********,浙江省,宁波市,***,-,kuaishou")
    later.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_orders(store.write_factory, later, ImportOptions(platform="kuaishou"))
    assert (summary.orders_created, summary.orders_without_buyer, summary.customers_created) == (1, 0, 0)
    with store.write() as s:
        assert s.scalar(select(Order.customer_id).where(Order.platform_order_id == "2412300155209999")) == customer_id
        assert s.get(Customer, customer_id).total_spent_fen == 25900


def test_a_buyer_id_that_is_someone_elses_account_is_refused(store):
    assert import_orders(store.write_factory, DATA / "buyer_id_orders.csv", ImportOptions(platform="kuaishou")).ok
    with store.write() as s:
        owner = customers.create(s, NewCustomer(nickname="李姐", accounts=[("kuaishou", "3381290099", None)]))
    other = _customer(store)
    with store.write() as s, pytest.raises(unknown_buyers.AttachError) as refused:
        unknown_buyers.attach(s, _order_id(store, "2412300155203415"), other)
    assert (refused.value.code, refused.value.other_id) == (unknown_buyers.AttachError.UID_TAKEN, owner)


def test_unknown_buyer_orders_export_and_revert(store, tmp_path):
    summary = import_orders(store.write_factory, DATA / "douyin_orders_encrypted.csv")
    with store.write() as s:
        written = export.export_orders(s, tmp_path / "orders.csv", customers.CustomerFilter())
    assert written.rows == 5
    text = (tmp_path / "orders.csv").read_text(encoding="utf-8-sig")
    assert "6921455530193320017" in text and ".0," not in text  # no customer id, not "nan" or "12.0"
    with store.write() as s:
        reverted = revert_batch(s, summary.batch_id)
        assert (reverted.orders_removed, unknown_buyers.count(s)) == (5, 0)


def test_cli_lists_and_attaches_unknown_orders(tmp_path, capsys):
    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders_encrypted.csv"), "--json"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "orders", "unknown", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 5 and listed["orders"][0]["platform_order_id"] == "6921455530193320058"
    assert main(["--db", db, "orders", "attach", str(listed["orders"][0]["id"]), "1"]) == 1  # no customer 1 yet
    assert "customer 1 does not exist" in capsys.readouterr().err
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders.csv")]) == 0
    capsys.readouterr()
    assert main(["--db", db, "orders", "attach", str(listed["orders"][0]["id"]), "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["order_ids"] == [listed["orders"][0]["id"]]
