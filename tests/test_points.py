"""The growth-value ledger: spend and refunds, daily caps, redemption that never overdraws."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select, update

from livedesk.models import Order, PointsEntry
from livedesk.services import customers, points
from livedesk.services.customers import NewCustomer
from livedesk.services.points import PointsError

UTC = timezone.utc


@pytest.fixture
def cid(store):
    with store.write() as s:
        c = customers.create(s, NewCustomer(nickname="王姐"))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="A", customer_id=c, status="completed",
                                       total_fen=129_950, ordered_at=datetime(2026, 11, 1, tzinfo=UTC)))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="B", customer_id=c, status="paid",
                                       total_fen=5_000, ordered_at=datetime(2026, 11, 2, tzinfo=UTC)))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="C", customer_id=c,
                                       status="cancelled", total_fen=9_900, ordered_at=datetime(2026, 11, 3, tzinfo=UTC)))
    return c


def test_kept_orders_pay_one_point_per_whole_yuan_once(store, cid):
    with store.write() as s:
        assert points.settle_orders(s) == (2, 0)
        assert points.settle_orders(s) == (0, 0)  # idempotent
        assert points.balance(s, cid) == 1299 + 50
        assert sorted(s.scalars(select(PointsEntry.delta))) == [50, 1299]  # whole points, never fractions


def test_a_refund_takes_back_what_its_order_paid(store, cid):
    with store.write() as s:
        points.settle_orders(s)
        s.execute(update(Order).where(Order.platform_order_id == "A").values(status="refunded"))
    with store.write() as s:
        assert points.settle_orders(s) == (0, 1)
        assert points.settle_orders(s) == (0, 0)
        assert points.balance(s, cid) == 50


def test_comments_stop_paying_at_the_daily_cap_and_pay_again_the_next_local_day(store, cid):
    morning = datetime(2026, 11, 22, 1, tzinfo=UTC)  # 09:00 in Shanghai
    with store.write() as s:
        given = [points.award_interaction(s, cid, "comment", f"msg{i}", morning) for i in range(8)]
        assert given == [1, 1, 1, 1, 1, 0, 0, 0]
        assert points.award_interaction(s, cid, "comment", "msg0", morning) == 0  # the same event twice
        # 16:30 UTC is already the next day in Shanghai.
        assert points.award_interaction(s, cid, "comment", "late", datetime(2026, 11, 22, 16, 30, tzinfo=UTC)) == 1
        assert points.balance(s, cid) == 6


def test_unknown_interaction_is_refused(store, cid):
    with store.write() as s, pytest.raises(PointsError, match="no points for 'like'"):
        points.award_interaction(s, cid, "like", "x")


def test_redemption_refuses_to_overdraw(store, cid):
    with store.write() as s:
        points.settle_orders(s)  # 1349 points
        assert points.redeem(s, cid, "priority_shipping") == 349
        with pytest.raises(PointsError, match="costs 1000 points; the customer has 349"):
            points.redeem(s, cid, "priority_shipping")
        with pytest.raises(PointsError, match="unknown perk"):
            points.redeem(s, cid, "free_car")
        assert points.balance(s, cid) == 349
        assert s.scalar(select(PointsEntry.note).where(PointsEntry.reason == "redeem")) == "优先发货"


def test_a_batch_from_the_live_feed_respects_the_caps_and_skips_repeats(store, cid):
    morning = datetime(2026, 11, 22, 1, tzinfo=UTC)
    batch = [(cid, "comment", f"douyin:{i}", morning) for i in range(8)] + [(cid, "comment", "douyin:0", morning),
                                                                         (cid, "share", "douyin:s1", morning)]
    with store.write() as s:
        assert points.award_interactions(s, batch) == 5 + 5
        assert points.award_interactions(s, batch) == 0  # the same events again
        assert points.balance(s, cid) == 10
