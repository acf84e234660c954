"""Follow-up rules and generation: each rule at its boundary, time zones, idempotence, catch-up."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from livedesk.models import FollowUpTask, Order, OrderItem, Product
from livedesk.services import customers, followups, settings
from livedesk.services.customers import NewCustomer

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def local(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI).astimezone(UTC)


def new_customer(session, nickname: str = "王姐", **fields) -> int:
    return customers.create(session, NewCustomer(nickname, **fields))


def product(session, name: str, cycle: int | None) -> int:
    return session.execute(insert(Product).values(name=name, usage_cycle_days=cycle).returning(Product.id)).scalar()


def order(session, customer_id: int, at: datetime, status: str = "paid", *, product_id: int | None = None,
          name: str = "氨基酸洁面乳 120g", quantity: int = 1, updated_at: datetime | None = None) -> int:
    order_id = session.execute(insert(Order).values(
        platform="douyin", platform_order_id=f"69{next(_ids):017d}", customer_id=customer_id, status=status,
        total_fen=8_900 * quantity, ordered_at=at, paid_at=at, updated_at=updated_at or at, created_at=at,
    ).returning(Order.id)).scalar()
    session.execute(insert(OrderItem).values(order_id=order_id, product_id=product_id, product_name=name,
                                             quantity=quantity, unit_price_fen=8_900, amount_fen=8_900 * quantity))
    return order_id


def only(session, kind: str, **timing) -> None:
    """Turn every rule off but ``kind`` (with ``timing`` over its defaults)."""
    rules = settings.get(session, "followups.rules")
    for name in followups.KINDS:
        rules[name]["enabled"] = name == kind
    rules[kind].update(timing)
    settings.set_value(session, "followups.rules", rules)


def tasks(session, kind: str | None = None) -> list[FollowUpTask]:
    statement = select(FollowUpTask).order_by(FollowUpTask.due_at, FollowUpTask.id)
    if kind:
        statement = statement.where(FollowUpTask.kind == kind)
    return list(session.scalars(statement))


def test_welcome_is_due_two_hours_after_a_first_order_only(store):
    with store.write() as s:
        only(s, "welcome")
        first = new_customer(s, "王姐")
        repeat = new_customer(s, "李哥")
        order(s, repeat, local(2026, 9, 1, 12))  # bought long ago: not a first order now
        o1 = order(s, first, local(2026, 11, 20, 20))
        order(s, repeat, local(2026, 11, 20, 21))
        summary = followups.generate(s, local(2026, 11, 20, 21, 30))
        [task] = tasks(s)
    assert summary.created["welcome"] == 1
    assert (task.customer_id, task.order_id, task.dedupe_key) == (first, o1, f"welcome:order:{o1}")
    assert task.due_at == local(2026, 11, 20, 22)


def test_thank_you_at_24_hours_for_orders_still_paid_and_no_survey_before_its_day(store):
    with store.write() as s:
        only(s, "thanks")
        rules = settings.get(s, "followups.rules")
        rules["survey"]["enabled"] = True
        settings.set_value(s, "followups.rules", rules)
        c = new_customer(s)
        kept = order(s, c, local(2026, 11, 19, 9))
        order(s, c, local(2026, 11, 19, 10), status="cancelled")
        followups.generate(s, local(2026, 11, 20, 8))
        thanks = tasks(s, "thanks")
        survey = tasks(s, "survey")
    assert [(t.order_id, t.due_at) for t in thanks] == [(kept, local(2026, 11, 20, 9))]
    assert survey == []  # due tomorrow: created by tomorrow's first run


def test_survey_is_created_on_the_local_day_it_falls_due(store):
    with store.write() as s:
        only(s, "survey")
        c = new_customer(s)
        o = order(s, c, local(2026, 11, 19, 9))
        assert followups.generate(s, local(2026, 11, 20, 23, 59)).total_created == 0  # due tomorrow 09:00
        followups.generate(s, local(2026, 11, 21, 0, 1))
        [task] = tasks(s)
    assert (task.order_id, task.due_at) == (o, local(2026, 11, 21, 9))


def test_refund_gets_a_call_back_within_24_hours(store):
    with store.write() as s:
        only(s, "callback")
        c = new_customer(s)
        o = order(s, c, local(2026, 11, 10, 9), status="refunded", updated_at=local(2026, 11, 18, 15))
        followups.generate(s, local(2026, 11, 20, 9))
        [task] = tasks(s)
        view = followups.get(s, task.id, local(2026, 11, 20, 9))
    assert task.dedupe_key == f"callback:refund:{o}"
    assert task.sla_due_at == local(2026, 11, 19, 15)
    assert view.sla_breached and view.overdue


def test_negative_survey_and_complaint_note_trigger_call_backs_but_a_7_does_not(store):
    from livedesk.models import Note

    with store.write() as s:
        only(s, "callback")
        c = new_customer(s)
        low = followups.record_survey(s, c, 6, "包装破了", answered_at=local(2026, 11, 20, 10))
        followups.record_survey(s, c, 7, "还行", answered_at=local(2026, 11, 20, 10))
        note = customers.add_note(s, c, "收到的螺蛳粉少了一袋", kind="complaint")
        s.get(Note, note).created_at = local(2026, 11, 20, 11)
        followups.generate(s, local(2026, 11, 20, 12))
        found = {t.dedupe_key: t for t in tasks(s)}
    assert set(found) == {f"callback:survey:{low}", f"callback:note:{note}"}
    assert found[f"callback:survey:{low}"].note == "满意度 6 分：包装破了"
    assert found[f"callback:note:{note}"].sla_due_at == local(2026, 11, 21, 11)


@pytest.mark.parametrize(("days_ago", "expected"), [(29, 0), (30, 1)])
def test_wake_up_exactly_30_local_days_after_the_last_purchase(store, days_ago, expected):
    today = date(2026, 11, 22)
    with store.write() as s:
        only(s, "wakeup", coupon="满99减20")
        c = new_customer(s)
        last = today - timedelta(days=days_ago)
        order(s, c, local(last.year, last.month, last.day, 15))
        followups.generate(s, local(2026, 11, 22, 8))
        found = tasks(s)
    assert len(found) == expected
    if expected:
        assert found[0].coupon == "满99减20"
        assert found[0].due_at == local(2026, 11, 22, 10)
        assert found[0].dedupe_key == f"wakeup:cust:{c}:2026-11-22"


def test_wake_up_counts_days_in_shanghai_not_utc(store):
    with store.write() as s:
        only(s, "wakeup")
        c = new_customer(s)
        order(s, c, local(2026, 10, 2, 23, 30))  # 15:30 UTC on 2 October: the local day is what counts
        now = local(2026, 11, 1, 1)  # still 31 October in UTC
        followups.generate(s, now)
        [task] = tasks(s)
    assert task.dedupe_key == f"wakeup:cust:{c}:2026-11-01"


def test_a_shop_in_another_zone_gets_its_own_local_days_and_hours(store):
    """A TikTok Shop seller in New York (UTC-5 in winter): the day and the 10:00 are theirs."""
    new_york = timezone(timedelta(hours=-5))
    with store.write() as s:
        settings.set_value(s, "shop.utc_offset_hours", -5)
        only(s, "birthday", days_before=0)
        c = new_customer(s, birthday=date(1990, 12, 1))
        # 03:00 UTC on 1 December is still 30 November in New York: not the birthday yet there.
        assert followups.generate(s, datetime(2026, 12, 1, 3, tzinfo=UTC)).total_created == 0
        followups.generate(s, datetime(2026, 12, 1, 14, tzinfo=UTC))
        [task] = tasks(s)
        assert task.due_at == datetime(2026, 12, 1, 10, tzinfo=new_york)
        assert [t.id for t in followups.queue(s, datetime(2026, 12, 1, 14, tzinfo=UTC))] == [task.id]
    assert task.dedupe_key == f"birthday:cust:{c}:2026"


def test_a_later_purchase_means_no_wake_up(store):
    with store.write() as s:
        only(s, "wakeup")
        c = new_customer(s)
        order(s, c, local(2026, 10, 23, 12))
        order(s, c, local(2026, 11, 15, 12))
        followups.generate(s, local(2026, 11, 22, 12))
        assert tasks(s) == []


def test_birthday_reminder_wraps_the_year_end(store):
    with store.write() as s:
        only(s, "birthday", days_before=3)
        c = new_customer(s, birthday=date(1990, 1, 1))
        assert followups.generate(s, local(2026, 12, 28, 12)).total_created == 0
        followups.generate(s, local(2026, 12, 29, 12))
        followups.generate(s, local(2027, 1, 1, 12))
        [task] = tasks(s)
    assert task.dedupe_key == f"birthday:cust:{c}:2027"
    assert task.due_at == local(2026, 12, 29, 10)
    assert task.coupon == "生日礼券"


def test_birthday_on_29_february_is_kept_on_28_february_in_common_years(store):
    with store.write() as s:
        only(s, "birthday", days_before=3)
        c = new_customer(s, birthday=date(2000, 2, 29))
        followups.generate(s, local(2027, 2, 25, 12))
        followups.generate(s, local(2028, 2, 26, 12))
        found = [(t.dedupe_key, t.due_at) for t in tasks(s)]
    assert found == [(f"birthday:cust:{c}:2027", local(2027, 2, 25, 10)),
                     (f"birthday:cust:{c}:2028", local(2028, 2, 26, 10))]


def test_passed_birthday_is_not_greeted_late(store):
    with store.write() as s:
        only(s, "birthday", days_before=3)
        new_customer(s, birthday=date(1990, 11, 20))
        followups.generate(s, local(2026, 11, 21, 9))
        assert tasks(s) == []


def test_replenishment_when_cycle_times_quantity_runs_out_unless_bought_again(store):
    with store.write() as s:
        only(s, "replenish")
        serum = product(s, "玻尿酸补水精华 30ml", 45)
        nuts = product(s, "每日坚果 30包", 30)
        a, b = new_customer(s, "王姐"), new_customer(s, "李哥")
        item_order = order(s, a, local(2026, 9, 22, 20), product_id=nuts, name="每日坚果 30包", quantity=2)
        order(s, b, local(2026, 10, 8, 20), product_id=serum, name="玻尿酸补水精华 30ml")
        order(s, b, local(2026, 11, 1, 20), product_id=serum, name="玻尿酸补水精华 30ml")  # bought again
        followups.generate(s, local(2026, 11, 21, 9))
        [task] = tasks(s)
    assert (task.customer_id, task.order_id, task.note) == (a, item_order, "每日坚果 30包")
    assert task.due_at == local(2026, 11, 21, 10)  # 22 Sep + 2 × 30 days


def test_vip_touch_once_per_iso_week_for_their_assistant(store):
    from livedesk.models import Customer, TeamMember

    with store.write() as s:
        only(s, "vip_touch")
        member = TeamMember(name="晓晓")
        s.add(member)
        s.flush()
        vip, other = new_customer(s, "王姐"), new_customer(s, "李哥")
        s.get(Customer, vip).tier = "vip"
        s.get(Customer, vip).assigned_member_id = member.id
        s.get(Customer, other).tier = "potential"
        followups.generate(s, local(2026, 11, 18, 9))  # Wednesday of 2026-W47
        followups.generate(s, local(2026, 11, 20, 9))
        followups.generate(s, local(2026, 11, 23, 9))  # Monday of W48
        found = [(t.customer_id, t.assignee_id, t.dedupe_key, t.due_at) for t in tasks(s)]
    assert found == [
        (vip, member.id, f"vip_touch:cust:{vip}:2026-W47", local(2026, 11, 16, 10)),
        (vip, member.id, f"vip_touch:cust:{vip}:2026-W48", local(2026, 11, 23, 10)),
    ]


def _busy_shop(s) -> None:
    serum = product(s, "玻尿酸补水精华 30ml", 45)
    for n in range(6):
        c = new_customer(s, f"客户{n}", birthday=date(1990, 11, 24))
        order(s, c, local(2026, 10, 7 + n, 20), product_id=serum, name="玻尿酸补水精华 30ml")
        order(s, c, local(2026, 11, 18 + n % 3, 20), status="refunded" if n == 2 else "paid")
    followups.record_survey(s, c, 3, "太慢了", answered_at=local(2026, 11, 19, 9))


def test_generation_is_idempotent_across_repeated_runs(store):
    now = local(2026, 11, 21, 9)
    with store.write() as s:
        _busy_shop(s)
        first = followups.generate(s, now)
    for later in (now, now + timedelta(minutes=5), now + timedelta(hours=3)):
        with store.write() as s:
            again = followups.generate(s, later)
            assert again.total_created == 0
            assert again.already_known == first.total_created
    with store.write() as s:
        keys = [t.dedupe_key for t in tasks(s)]
    assert first.total_created >= 10
    assert len(keys) == len(set(keys)) == first.total_created


def test_a_task_missed_while_the_app_was_closed_appears_overdue_with_its_original_due_time(store):
    with store.write() as s:
        only(s, "thanks")
        c = new_customer(s)
        followups.generate(s, local(2026, 11, 10, 9))  # last time the app ran
        o = order(s, c, local(2026, 11, 10, 20))  # e.g. imported later; the app stays closed
        followups.generate(s, local(2026, 11, 16, 9))  # six days later
        [view] = followups.queue(s, local(2026, 11, 16, 9))
    assert view.order_id == o
    assert view.due_at == local(2026, 11, 11, 20)
    assert view.overdue and not view.sla_breached


def test_first_run_does_not_dig_up_history_older_than_the_lookback(store):
    with store.write() as s:
        only(s, "thanks", lookback_days=3)
        c = new_customer(s)
        order(s, c, local(2026, 9, 1, 20))
        recent = order(s, c, local(2026, 11, 19, 20))
        followups.generate(s, local(2026, 11, 21, 9))
        assert [t.order_id for t in tasks(s)] == [recent]


def test_a_disabled_rule_creates_nothing(store):
    with store.write() as s:
        only(s, "welcome")
        rules = settings.get(s, "followups.rules")
        rules["welcome"]["enabled"] = False
        settings.set_value(s, "followups.rules", rules)
        order(s, new_customer(s), local(2026, 11, 20, 8))
        assert followups.generate(s, local(2026, 11, 20, 9)).total_created == 0
