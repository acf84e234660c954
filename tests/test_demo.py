"""Demo data: deterministic for a seed, refuses real stores, and holds together like a real shop."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from livedesk.models import Customer
from livedesk.services import customers, demo, lookup
from livedesk.services.store import open_store, sqlite_url

NOW = datetime(2025, 6, 15, tzinfo=timezone.utc)
N = 300
TABLES = ("customers", "platform_accounts", "orders", "order_items", "points_ledger", "notes", "profile_values",
          "customer_tags", "appearances", "broadcasts", "products", "level_changes")


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    store = open_store(sqlite_url(tmp_path_factory.mktemp("demo") / "store.sqlite3"))
    summary = demo.generate(store, customers=N, seed=7, now=NOW)
    yield store, summary
    store.dispose()


def _dump(store) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1, 2").all() for t in TABLES}


def _scalar(store, sql: str):
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


def test_same_seed_and_now_give_identical_data(filled, tmp_path):
    store, _ = filled
    again = open_store(sqlite_url(tmp_path / "again.sqlite3"))
    other = open_store(sqlite_url(tmp_path / "other.sqlite3"))
    try:
        demo.generate(again, customers=N, seed=7, now=NOW)
        demo.generate(other, customers=N, seed=8, now=NOW)
        assert _dump(again) == _dump(store)
        assert _dump(other)["customers"] != _dump(store)["customers"]
    finally:
        again.dispose()
        other.dispose()


def test_refuses_a_store_that_already_has_customers(store):
    assert demo.is_empty(store)
    with store.write() as s:
        customers.create(s, customers.NewCustomer(nickname="真实客户"))
    assert not demo.is_empty(store)
    with pytest.raises(demo.NotEmpty):
        demo.generate(store, customers=10, now=NOW)
    assert _scalar(store, "SELECT count(*) FROM customers") == 1


def test_counts_are_those_of_a_small_shop(filled):
    store, summary = filled
    assert summary.customers == N == _scalar(store, "SELECT count(*) FROM customers")
    assert N < summary.accounts <= 1.2 * N
    assert 3 * N < summary.orders < 8 * N
    assert summary.items >= summary.orders
    assert summary.products == 40
    assert 220 <= summary.broadcasts <= 250  # three a week for 18 months
    assert _scalar(store, "SELECT count(DISTINCT category) FROM products") == 4
    assert _scalar(store, "SELECT count(*) FROM team_members") == 6
    assert _scalar(store, "SELECT count(*) FROM customers WHERE tier = 'prospect'") > 0.2 * N  # viewers only
    assert "订单" in demo.describe(summary)


def test_rows_reference_rows_that_exist(filled):
    store, _ = filled
    orphans = {
        "orders": "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL",
        "items": "SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL",
        "shows": "SELECT count(*) FROM orders o LEFT JOIN broadcasts b ON b.id = o.broadcast_id "
                 "WHERE o.broadcast_id IS NOT NULL AND b.id IS NULL",
        "accounts": "SELECT count(*) FROM platform_accounts a LEFT JOIN customers c ON c.id = a.customer_id "
                    "WHERE c.id IS NULL",
    }
    assert {name: _scalar(store, sql) for name, sql in orphans.items()} == dict.fromkeys(orphans, 0)
    assert _scalar(store, "SELECT count(*) FROM orders o WHERE total_fen != "
                          "(SELECT sum(amount_fen) FROM order_items WHERE order_id = o.id)") == 0


def test_money_is_integer_fen_and_platform_ids_are_text(filled):
    store, _ = filled
    checks = {
        "SELECT DISTINCT typeof(total_fen) FROM orders": ["integer"],
        "SELECT DISTINCT typeof(amount_fen) FROM order_items": ["integer"],
        "SELECT DISTINCT typeof(price_fen) FROM products": ["integer"],
        "SELECT DISTINCT typeof(uid) FROM platform_accounts": ["text"],
        "SELECT DISTINCT typeof(platform_order_id) FROM orders": ["text"],
    }
    with store.engine.connect() as conn:
        assert {sql: conn.exec_driver_sql(sql).scalars().all() for sql in checks} == checks
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM platform_accounts WHERE platform = 'douyin' AND uid NOT LIKE 'MS4wLjABAAAA%'"
        ).scalar() == 0


def test_spend_points_are_one_per_yuan_of_kept_orders(filled):
    store, _ = filled
    assert _scalar(store, """
        SELECT count(*) FROM orders o LEFT JOIN points_ledger p
          ON p.reason = 'spend' AND p.ref = CAST(o.id AS TEXT) AND p.customer_id = o.customer_id
        WHERE o.status IN ('paid', 'completed') AND (p.id IS NULL OR p.delta != o.total_fen / 100)""") == 0
    assert _scalar(store, "SELECT count(*) FROM points_ledger p JOIN orders o ON p.ref = CAST(o.id AS TEXT) "
                          "WHERE p.reason = 'spend' AND o.status NOT IN ('paid', 'completed')") == 0


def test_a_tenth_of_buyers_bring_over_half_the_money(filled):
    store, _ = filled
    with store.engine.connect() as conn:
        spend = conn.exec_driver_sql(
            "SELECT total_spent_fen FROM customers WHERE order_count > 0 ORDER BY total_spent_fen DESC"
        ).scalars().all()
    top = spend[: len(spend) // 10]
    assert sum(top) > 0.5 * sum(spend)


def test_tiers_levels_and_segments_are_set(filled):
    store, _ = filled
    with store.engine.connect() as conn:
        tiers = set(conn.exec_driver_sql("SELECT DISTINCT tier FROM customers").scalars())
        levels = set(conn.exec_driver_sql("SELECT DISTINCT level FROM customers").scalars())
    assert {"vip", "potential", "new", "dormant", "prospect"} <= tiers
    assert {"none", "silver"} <= levels
    assert _scalar(store, "SELECT count(*) FROM level_changes") > 0
    assert _scalar(store, "SELECT count(*) FROM customers WHERE order_count > 0 AND rfm_segment IS NULL") == 0


def test_customers_are_found_by_pinyin_and_platform_id(filled):
    store, _ = filled
    with store.write() as s:
        nickname, uid = s.execute(text(
            "SELECT c.nickname, a.uid FROM customers c JOIN platform_accounts a ON a.customer_id = c.id "
            "WHERE c.nickname LIKE '王%' ORDER BY c.id LIMIT 1")).one()
        assert any(m.nickname == nickname for m in lookup.lookup(s, "wang", limit=500))
        assert lookup.lookup(s, uid)[0].nickname == nickname


def test_profiles_notes_and_tags_look_like_the_playbook(filled):
    store, _ = filled
    fields = {"skin_type", "allergies", "shade", "wechat"}
    with store.engine.connect() as conn:
        present = set(conn.exec_driver_sql("SELECT DISTINCT field FROM profile_values").scalars())
        kinds = set(conn.exec_driver_sql("SELECT DISTINCT kind FROM notes").scalars())
        tags = set(conn.exec_driver_sql(
            "SELECT DISTINCT t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id").scalars())
    assert fields <= present
    # One industry: the beauty preset's fields and nothing from apparel, food or appliances.
    from livedesk.services import presets, settings

    with store.read() as s:
        assert settings.get(s, "shop.preset") == "beauty"
    assert present <= {f.key for f in presets.preset("beauty").fields}
    assert "note" in kinds
    assert {"回头客", "送礼"} <= tags
    assert _scalar(store, "SELECT count(*) FROM notes WHERE pinned") > 0
    assert _scalar(store, "SELECT count(*) FROM message_templates WHERE key = 'greeting.gold'") == 1


def test_members_reached_their_level_over_time_not_all_today(tmp_path):
    from datetime import timedelta

    from livedesk.models import LevelChange
    from livedesk.services.store import open_store, sqlite_url

    store = open_store(sqlite_url(tmp_path / "spread.sqlite3"))
    try:
        now = demo.reference_now()
        demo.generate(store, customers=400, seed=3, now=now)
        with store.write() as s:
            members = s.execute(select(Customer.level_since, Customer.first_order_at, Customer.last_order_at)
                                .where(Customer.level != "none")).all()
            changes = s.scalars(select(LevelChange.changed_at)).all()
    finally:
        store.dispose()
    assert len(members) >= 10
    recent = [since for since, _f, _l in members if now - since < timedelta(days=7)]
    assert len(recent) < len(members) / 4  # "upgraded today" is news for a few, not for everyone
    assert all(first <= since <= last for since, first, last in members)
    assert sorted(changes) == sorted(since for since, _f, _l in members)


def test_the_queue_opens_with_a_few_dozen_tasks_and_the_older_ones_worked(tmp_path):
    store = open_store(sqlite_url(tmp_path / "queue.sqlite3"))
    demo.generate(store, customers=2000, seed=7, now=NOW)
    with store.read() as s:
        from livedesk.services import followups

        queue = followups.queue(s, now=NOW)
        done = _scalar(store, "SELECT count(*) FROM followup_tasks WHERE status = 'done' AND outcome IS NOT NULL")
    store.dispose()
    assert 10 <= len(queue) <= demo.OPEN_TASKS  # not hundreds, all red
    assert sum(t.overdue for t in queue) < len(queue)  # red still means something
    assert done > len(queue)  # the team's history: older tasks were worked, with an outcome
