"""The store on a PostgreSQL server (and the same promises on SQLite where they apply):
64-bit money, sequences after explicit ids, two clients migrating at once, a server restart."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from livedesk.models import Broadcast, Customer, Order, Product, TeamMember
from livedesk.models.adapters import adapter_for, lost_connection
from livedesk.services import customers, demo
from livedesk.services.importing import ImportOptions, import_orders
from livedesk.services.store import HEAD_REVISION, current_revision, open_store
from helpers import counts

UTC = timezone.utc
HEAD = "主订单编号,子订单编号,选购商品,商品金额,订单提交时间,订单状态,收件人,收件人手机号,市\n"
RACES = 20


def test_an_order_over_21_million_yuan_imports_and_sums(store, tmp_path: Path):
    # ¥21,474,836.47 is the most a 32-bit fen column holds; this order is ¥30,000,000.00.
    export = tmp_path / "big.csv"
    export.write_text(HEAD + "B1,B1-1,整柜定制,30000000.00,2026-06-01 10:00:00,已完成,王姐,13812345678,杭州市\n"
                      + "B2,B2-1,钻石,25000000.00,2026-06-02 10:00:00,已完成,王姐,13812345678,杭州市\n",
                      encoding="utf-8")
    summary = import_orders(store.session_factory, export, ImportOptions(platform="douyin"))
    assert summary.orders_created == 2
    with store.read() as s:
        assert s.scalar(select(Order.total_fen).where(Order.platform_order_id == "B1")) == 3_000_000_000
        assert s.scalar(select(func.max(Customer.total_spent_fen))) == 5_500_000_000


def test_after_demo_data_the_app_can_add_every_kind_of_row(store):
    demo.generate(store, customers=40, seed=3)
    with store.write() as s:
        member = TeamMember(name="新助播")
        product = Product(name="新品面霜", price_fen=19_900)
        s.add_all([member, product])
        s.flush()
        cid = customers.create(s, customers.NewCustomer(nickname="新来的客户"))
        s.add(Order(platform="douyin", platform_order_id="NEW-1", customer_id=cid, status="paid", total_fen=100,
                    ordered_at=datetime(2026, 12, 1, tzinfo=UTC)))
        s.add(Broadcast(title="新的一场", platform="douyin", host_member_id=member.id))
        s.flush()
        # Each new row took an id past the demo's largest, not one the demo already used.
        for model in (TeamMember, Product, Customer, Order, Broadcast):
            assert s.scalar(select(func.count()).select_from(model)) == s.scalar(select(func.max(model.id)))


@pytest.mark.postgresql_only
def test_sequences_are_moved_past_explicit_ids(store):
    with store.write() as s:
        s.add(TeamMember(id=41, name="导入的成员"))
        s.flush()
        moved = adapter_for(s.connection()).sync_sequences(s.connection())
        assert moved["team_members"] == 42
        s.add(TeamMember(name="新成员"))
        s.flush()
        assert s.scalar(select(func.max(TeamMember.id))) == 42



@pytest.mark.postgresql_only
def test_every_connection_plans_for_a_store_in_memory_without_jit(store):
    with store.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("SHOW random_page_cost").scalar() == "1.1"
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        assert conn.exec_driver_sql("SHOW timezone").scalar() == "UTC"


def test_member_of_finds_the_values_however_many_there_are(store):
    with store.write() as s:
        for n in range(3):
            customers.create(s, customers.NewCustomer(nickname=f"成员{n}"))
    with store.read() as s:
        conn = s.connection()
        adapter = adapter_for(conn)
        ids = sorted(s.scalars(select(Customer.id)))
        wanted = [ids[0], ids[2], *range(10_000, 10_000 + adapter.IN_CHUNK - 2)]  # a full chunk, mostly absent
        found = conn.scalars(select(Customer.id).where(adapter.member_of(Customer.__table__.c.id, wanted))).all()
        assert sorted(found) == [ids[0], ids[2]]
        names = conn.scalars(select(Customer.nickname).where(
            adapter.member_of(Customer.__table__.c.nickname, ["成员1", "没有"]))).all()
        assert names == ["成员1"]

def _open_when_released(urls, barrier, results) -> None:
    """A client process: for each database, wait for the other client, then open it."""
    for url in iter(urls.get, None):
        try:
            barrier.wait(30)
            open_store(url).dispose()
            results.put((url, "ok"))
        except Exception as exc:  # noqa: BLE001 - reported to the test, which names it
            results.put((url, f"{type(exc).__name__}: {exc}"))


@pytest.mark.postgresql_only
def test_two_clients_opening_an_empty_database_together_both_succeed(pg_server, store):
    names = [f"race_{n}" for n in range(RACES)]
    for name in names:
        pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        pg_server.execute(f"CREATE DATABASE {name}")
    spawn = multiprocessing.get_context("spawn")  # no forked copy of this process's connections
    barrier, results = spawn.Barrier(2), spawn.Queue()
    queues = [spawn.Queue(), spawn.Queue()]
    clients = [spawn.Process(target=_open_when_released, args=(q, barrier, results)) for q in queues]
    for client in clients:
        client.start()
    try:
        for name in names:
            for q in queues:
                q.put(pg_server.url(name))
        for q in queues:
            q.put(None)
        outcomes = [results.get(timeout=120) for _ in range(2 * RACES)]
    finally:
        for client in clients:
            client.join(30)
            if client.is_alive():
                client.kill()
    failures = [o for o in outcomes if o[1] != "ok"]
    assert failures == []
    for name in names:
        raced = open_store(pg_server.url(name), migrate=False)
        try:
            assert current_revision(raced) == HEAD_REVISION
            with raced.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
        finally:
            raced.dispose()
        pg_server.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.postgresql_only
def test_the_first_write_after_a_server_restart_succeeds(pg_server, store):
    with store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="重启前"))
    pg_server.restart()  # every pooled connection is now a dead socket
    with store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="重启后"))
    with store.read() as s:
        assert sorted(s.scalars(select(Customer.nickname))) == ["重启前", "重启后"]


@pytest.mark.postgresql_only
def test_a_server_killed_mid_import_keeps_none_of_it_and_the_same_client_imports_again(pg_server, store, tmp_path):
    rows = 3_000
    target = tmp_path / "orders.csv"
    target.write_text(HEAD + "".join(f"{70000 + i},{70000 + i}-1,面膜,10.00,2024-06-01 10:00:00,已完成,"
                                     f"买家{i},138****{i:04d},杭州市\n" for i in range(rows)), encoding="utf-8")
    killed = []

    def crash_while_writing(done: int, _total: int | None, phase: str) -> None:
        if phase == "write" and not killed:
            killed.append(done)
            pg_server.crash()  # SIGKILL to the server and its backends: the batch is half-sent

    try:
        with pytest.raises(Exception) as failure:
            import_orders(store.write_factory, target, ImportOptions(platform="douyin"), progress=crash_while_writing)
    finally:
        pg_server.start()  # crash recovery on the same data
    assert killed and lost_connection(failure.value)
    assert set(counts(store).values()) == {0}  # no batch, no order, no customer: nothing half-written
    summary = import_orders(store.write_factory, target, ImportOptions(platform="douyin"))
    assert (summary.orders_created, summary.customers_created) == (rows, rows)
    assert counts(store)["orders"] == rows


@pytest.mark.postgresql_only
def test_a_cancel_interrupts_a_long_statement_on_the_server(store):
    import time

    adapter = adapter_for(store.engine)
    started = time.monotonic()
    with store.engine.connect() as conn:
        with pytest.raises(adapter.StatementCancelled):
            with adapter.cancellable(conn, lambda: time.monotonic() - started > 0.3):
                conn.exec_driver_sql("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 5
