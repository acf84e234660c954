"""Segments recompute: spend caches, tier boundaries, membership levels and their history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from livedesk.models import Customer, LevelChange, Order, PointsEntry
from livedesk.services import customers, segments, settings

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=timezone.utc)
_order_ids = count(1)


def _customer(session, nickname: str) -> int:
    return customers.create(session, customers.NewCustomer(nickname=nickname))


def _order(session, customer_id: int, total_fen: int, days_ago: float, status: str = "completed") -> None:
    session.execute(insert(Order), [{
        "platform": "douyin", "platform_order_id": f"T{next(_order_ids)}", "customer_id": customer_id,
        "status": status, "total_fen": total_fen, "ordered_at": NOW - timedelta(days=days_ago),
    }])


def _get(store, customer_id: int) -> Customer:
    with store.write() as session:
        return session.get(Customer, customer_id)


def _recompute(store, now=NOW) -> segments.SegmentSummary:
    with store.write() as session:
        return segments.recompute(session, now)


def test_refunded_cancelled_and_pending_orders_do_not_count(store):
    with store.write() as s:
        cid = _customer(s, "王姐")
        _order(s, cid, 10_000, 5)
        _order(s, cid, 50_000, 4, status="refunded")
        _order(s, cid, 70_000, 3, status="cancelled")
        _order(s, cid, 90_000, 2, status="pending")
        _order(s, cid, 20_000, 1, status="paid")
    _recompute(store)
    c = _get(store, cid)
    assert (c.order_count, c.total_spent_fen, c.spent_12m_fen) == (2, 30_000, 30_000)
    assert c.first_order_at == NOW - timedelta(days=5)
    assert c.last_order_at == NOW - timedelta(days=1)


def test_levels_change_exactly_on_the_thresholds_and_are_recorded(store):
    with store.write() as s:
        below = _customer(s, "差一分")
        silver = _customer(s, "银钻")
        gold = _customer(s, "金钻")
        _order(s, below, 999_999, 10)
        _order(s, silver, 1_000_000, 10)
        _order(s, gold, 2_000_000, 10)
        _order(s, gold, 1_000_000, 20)
    summary = _recompute(store)
    assert [_get(store, i).level for i in (below, silver, gold)] == ["none", "silver", "gold"]
    assert _get(store, silver).level_since == NOW
    assert _get(store, below).level_since is None
    assert summary.level_changes == 2
    with store.write() as s:
        changes = s.execute(select(LevelChange.customer_id, LevelChange.from_level, LevelChange.to_level,
                                   LevelChange.changed_at).order_by(LevelChange.customer_id)).all()
    assert changes == [(silver, "none", "silver", NOW), (gold, "none", "gold", NOW)]


def test_level_falls_when_spend_leaves_the_rolling_12_months(store):
    with store.write() as s:
        cid = _customer(s, "老金钻")
        _order(s, cid, 3_000_000, 300)
    _recompute(store)
    assert _get(store, cid).level == "gold"
    later = NOW + timedelta(days=70)  # the order is now 370 days old
    summary = _recompute(store, later)
    c = _get(store, cid)
    assert (c.level, c.spent_12m_fen, c.total_spent_fen, c.level_since) == ("none", 0, 3_000_000, later)
    assert summary.level_changes == 1


def test_levels_come_from_the_levels_setting(store):
    with store.write() as s:
        settings.set_value(s, "levels", [{"code": "silver", "min_spend_fen": 500}])
        cid = _customer(s, "小鹿爱买买")
        _order(s, cid, 500, 1)
    _recompute(store)
    assert _get(store, cid).level == "silver"


@pytest.mark.parametrize(
    ("days_ago", "orders", "tier"),
    [
        (90, 1, "new"),  # exactly active_days: still active
        (90, 2, "potential"),
        (91, 1, "dormant"),
        (365, 3, "dormant"),  # exactly lost_days: still only dormant
        (366, 1, "lost"),
    ],
)
def test_tier_boundaries_follow_the_default_rules(store, days_ago, orders, tier):
    with store.write() as s:
        cid = _customer(s, "可乐不加冰")
        for k in range(orders):
            _order(s, cid, 100, days_ago + 0.5 * k)
        _customer(s, "只看不买")
    _recompute(store)
    assert _get(store, cid).tier == tier


def test_customer_without_paying_orders_is_a_prospect(store):
    with store.write() as s:
        cid = _customer(s, "只看不买")
        _order(s, cid, 10_000, 3, status="refunded")
    _recompute(store)
    c = _get(store, cid)
    assert (c.tier, c.rfm_segment, c.order_count, c.last_order_at) == ("prospect", None, 0, None)


def test_vip_is_the_top_share_by_12_month_spend_above_the_minimum(store):
    with store.write() as s:
        ids = [_customer(s, f"买家{i}") for i in range(10)]
        for rank, cid in enumerate(ids):
            _order(s, cid, 100_000 + 50_000 * rank, 10)  # the last spends ¥5,500
    _recompute(store)
    tiers = [_get(store, i).tier for i in ids]
    assert tiers == ["new"] * 9 + ["vip"]  # top 10 % of ten buyers is one

    with store.write() as s:
        rules = settings.get(s, "tiers.rules")
        settings.set_value(s, "tiers.rules", {**rules, "vip_top_share": 0.3, "vip_min_spend_fen": 500_000})
    _recompute(store)
    tiers = [_get(store, i).tier for i in ids]
    assert tiers == ["new"] * 8 + ["vip"] * 2  # the third-best spent ¥4,500: under the minimum


def test_tier_rules_are_read_from_settings(store):
    with store.write() as s:
        cid = _customer(s, "阿May")
        _order(s, cid, 100, 60)
    _recompute(store)
    assert _get(store, cid).tier == "new"
    with store.write() as s:
        settings.set_value(s, "tiers.rules", {**settings.get(s, "tiers.rules"), "active_days": 30})
    _recompute(store)
    assert _get(store, cid).tier == "dormant"


def test_points_balance_is_the_ledger_sum(store):
    with store.write() as s:
        cid = _customer(s, "团长")
        s.execute(insert(PointsEntry), [
            {"customer_id": cid, "delta": 300, "reason": "spend", "ref": "1"},
            {"customer_id": cid, "delta": 5, "reason": "comment", "ref": "b1"},
            {"customer_id": cid, "delta": -100, "reason": "redeem", "ref": "perk"},
        ])
    _recompute(store)
    assert _get(store, cid).points_balance == 205


def test_second_recompute_changes_nothing(store):
    with store.write() as s:
        for i in range(20):
            cid = _customer(s, f"客户{i}")
            for k in range(i % 4):
                _order(s, cid, 400_000 * (i + 1), 40 * i + k)
    first = _recompute(store)
    with store.write() as s:
        before = s.execute(select(Customer.id, Customer.updated_at, Customer.level_since)).all()
    second = _recompute(store)
    assert first.changed > 0 and first.level_changes > 0
    assert (second.changed, second.level_changes) == (0, 0)
    assert second.tiers == first.tiers and second.segments == first.segments
    with store.write() as s:
        assert s.execute(select(Customer.id, Customer.updated_at, Customer.level_since)).all() == before


def test_rfm_segments_separate_best_from_lapsed_buyers(store):
    with store.write() as s:
        ids = [_customer(s, f"买家{i}") for i in range(10)]
        for rank, cid in enumerate(ids):  # higher rank: more recent, more orders, more money
            for k in range(rank + 1):
                _order(s, cid, 10_000 * (rank + 1), 400 - 40 * rank + k)
    summary = _recompute(store)
    assert _get(store, ids[-1]).rfm_segment == "champions"
    assert _get(store, ids[0]).rfm_segment == "lost"
    assert sum(summary.segments.values()) == summary.paying == 10


def test_now_in_another_zone_means_the_same_instant(store):
    with store.write() as s:
        cid = _customer(s, "小太阳")
        _order(s, cid, 100, 0.25)  # 06:00 UTC on 15 June
    shanghai = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
    with store.write() as s:
        assert segments.recompute(s, shanghai).paying == 1
    early = (NOW - timedelta(hours=7)).astimezone(ZoneInfo("Asia/Shanghai"))  # before the order
    with store.write() as s:
        assert segments.recompute(s, early).paying == 0
    with store.write() as s, pytest.raises(ValueError):
        segments.recompute(s, datetime(2025, 6, 15))


def test_a_plain_date_means_its_midnight_utc():
    assert segments.as_utc(NOW.date()) == datetime(2025, 6, 15, tzinfo=timezone.utc)


def test_twelve_months_before_29_february_is_28_february():
    leap = datetime(2024, 2, 29, 8, tzinfo=timezone.utc)
    assert segments.twelve_months_before(leap) == datetime(2023, 2, 28, 8, tzinfo=timezone.utc)


def test_recompute_runs_once_per_local_day(store):
    from datetime import date

    from livedesk.services import segments

    with store.write() as s:
        assert segments.recompute_if_stale(s, date(2026, 11, 22)) is not None
    with store.write() as s:
        assert segments.recompute_if_stale(s, date(2026, 11, 22)) is None
        assert segments.recompute_if_stale(s, date(2026, 11, 23)) is not None


def test_preview_counts_tiers_under_new_rules_without_writing(store):
    with store.write() as s:
        cid = customers.create(s, customers.NewCustomer(nickname="王姐"))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="P1", customer_id=cid,
                                       status="completed", total_fen=1_500_000,
                                       ordered_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
        segments.recompute(s, date(2026, 11, 22))
        rules, levels = settings.get(s, "tiers.rules"), settings.get(s, "levels")
        assert s.get(Customer, cid).level == "silver"
        tiers, level_counts = segments.preview(s, rules, [{"code": "silver", "min_spend_fen": 2_000_000}],
                                               date(2026, 11, 22))
        assert level_counts == {"none": 1}
        assert s.get(Customer, cid).level == "silver"  # nothing written
        with pytest.raises(ValueError, match="shorter"):
            segments.preview(s, {**rules, "active_days": 400}, levels)
        segments.save_rules(s, rules, [{"code": "silver", "min_spend_fen": 2_000_000}], date(2026, 11, 22))
        assert s.get(Customer, cid).level == "none"
        assert settings.get(s, "levels") == [{"code": "silver", "min_spend_fen": 2_000_000}]


def test_the_daily_recompute_pays_growth_points_for_new_orders_first(store):
    with store.write() as s:
        cid = customers.create(s, customers.NewCustomer(nickname="王姐"))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="G1", customer_id=cid,
                                       status="completed", total_fen=12_345,
                                       ordered_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))
        segments.recompute_if_stale(s, date(2026, 11, 22), date(2026, 11, 22))
        assert s.get(Customer, cid).points_balance == 123


def _shop_with_every_kind_of_buyer(store) -> None:
    with store.write() as s:
        for i in range(30):
            cid = _customer(s, f"买家{i}")
            for k in range(i % 5):
                _order(s, cid, 350_000 * (i + 1) + k, 25 * i + 7 * k, status=("completed", "paid", "refunded")[k % 3])
            if i % 4 == 0:
                s.execute(insert(PointsEntry), [{"customer_id": cid, "delta": 10 * i + 1, "reason": "manual",
                                                 "ref": f"m{i}"}])


def _stored(store) -> list[tuple]:
    """The derived columns as the database holds them (text times on SQLite), not as the ORM reads them."""
    with store.write() as s:
        cursor = s.connection().exec_driver_sql(
            "SELECT nickname, " + ", ".join(segments.DERIVED) + ", level_since FROM customers ORDER BY nickname")
        return cursor.fetchall()


def test_recompute_stores_the_same_values_with_or_without_packed_reads(store, new_store_url, monkeypatch):
    from livedesk.services import frames
    from livedesk.services.store import open_store

    plain_store = open_store(new_store_url("plain"))
    try:
        _shop_with_every_kind_of_buyer(store)
        _shop_with_every_kind_of_buyer(plain_store)
        packed = [_recompute(store), _recompute(store, NOW + timedelta(days=200))]
        monkeypatch.setattr(frames, "can_pack", lambda _dialect: False)  # rows one by one
        plain = [_recompute(plain_store), _recompute(plain_store, NOW + timedelta(days=200))]
        assert [(p.changed, p.level_changes, p.tiers, p.levels, p.segments) for p in packed] == \
               [(p.changed, p.level_changes, p.tiers, p.levels, p.segments) for p in plain]
        assert packed[0].changed > 0 and packed[1].level_changes > 0
        assert _stored(store) == _stored(plain_store)
    finally:
        plain_store.dispose()


@pytest.mark.sqlite_only  # text timestamps are SQLite's storage; a server keeps real timestamps
def test_written_times_keep_the_storage_form_sqlalchemy_uses(store):
    with store.write() as s:
        cid = _customer(s, "金钻")
        _order(s, cid, 3_000_000, 10)
    _recompute(store)
    with store.write() as s:
        raw = s.connection().exec_driver_sql(
            "SELECT level_since, last_order_at FROM customers WHERE id = ?", (cid,)).one()
    # Text compares as time only if every writer formats alike: microseconds always written.
    assert raw == ("2025-06-15 12:00:00.000000", "2025-06-05 12:00:00.000000")
