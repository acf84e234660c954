"""The follow-up queue: order, flags, customer summary, the task life cycle, surveys and NPS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from livedesk.models import Customer, FollowUpTask, Note, Order, OrderItem, TeamMember
from livedesk.services import customers, followups
from livedesk.services.customers import NewCustomer, NotFound
from livedesk.services.followups import TaskError

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, tzinfo=SHANGHAI).astimezone(UTC)


def _shop(s) -> dict[str, int]:
    """Two customers with a purchase, an assistant, and three tasks made by hand."""
    member = TeamMember(name="晓晓")
    s.add(member)
    s.flush()
    wang = customers.create(s, NewCustomer("王姐"))
    li = customers.create(s, NewCustomer("李哥"))
    bought = NOW - timedelta(days=3)
    order_id = s.execute(insert(Order).values(platform="douyin", platform_order_id="6900001", customer_id=wang,
                                              status="paid", total_fen=19_900, ordered_at=bought)
                         .returning(Order.id)).scalar()
    s.execute(insert(OrderItem).values(order_id=order_id, product_name="玻尿酸补水精华 30ml", amount_fen=19_900))
    c = s.get(Customer, wang)
    c.tier, c.level, c.last_order_at = "vip", "gold", bought
    return {
        "member": member.id, "wang": wang, "li": li,
        "late": followups.create_manual(s, wang, "manual", NOW - timedelta(days=2), "上次说要看新款", member.id),
        "soon": followups.create_manual(s, li, "callback", NOW + timedelta(hours=2), "", None, sla_hours=24),
        "tomorrow": followups.create_manual(s, li, "manual", NOW + timedelta(days=1), "", None),
    }


def test_queue_lists_todays_tasks_by_due_time_with_flags_and_the_customer_summary(store):
    with store.write() as s:
        ids = _shop(s)
        views = followups.queue(s, NOW)
    assert [v.id for v in views] == [ids["late"], ids["soon"]]  # tomorrow's task is not today's work
    late, soon = views
    assert late.overdue and not late.sla_breached
    assert not soon.overdue and soon.sla_due_at == NOW + timedelta(hours=26)
    assert (late.nickname, late.tier, late.level, late.last_product) == ("王姐", "vip", "gold", "玻尿酸补水精华 30ml")
    assert late.assignee_name == "晓晓"


def test_queue_filters_by_assignee_unassigned_and_kind(store):
    with store.write() as s:
        ids = _shop(s)
        mine = followups.queue(s, NOW, assignee_id=ids["member"])
        nobody = followups.queue(s, NOW, assignee_id=followups.UNASSIGNED)
        callbacks = followups.queue(s, NOW, kind="callback")
    assert [v.id for v in mine] == [ids["late"]]
    assert [v.id for v in nobody] == [ids["soon"]]
    assert [v.id for v in callbacks] == [ids["soon"]]


def test_complete_keeps_the_outcome_on_the_customer_timeline_and_refuses_a_second_time(store):
    with store.write() as s:
        ids = _shop(s)
        followups.complete(s, ids["late"], "bought", "下单了新款", by=ids["member"], now=NOW)
        task = s.get(FollowUpTask, ids["late"])
        note = s.scalar(select(Note).where(Note.customer_id == ids["wang"], Note.kind == "followup"))
        assert (task.status, task.outcome, task.done_at) == ("done", "bought", NOW)
        assert note.body == "手动跟进：已下单。下单了新款" and note.author_id == ids["member"]
        assert ids["late"] not in [v.id for v in followups.queue(s, NOW)]
        with pytest.raises(TaskError, match="already done") as refused:
            followups.complete(s, ids["late"], "replied", now=NOW)
        assert refused.value.code == "not_open"
        with pytest.raises(TaskError, match="unknown outcome"):
            followups.complete(s, ids["soon"], "sent", now=NOW)


def test_snooze_hides_a_task_until_its_time_and_refuses_the_past(store):
    with store.write() as s:
        ids = _shop(s)
        followups.snooze(s, ids["late"], NOW + timedelta(hours=3), now=NOW)
        assert ids["late"] not in [v.id for v in followups.queue(s, NOW)]
        back = followups.queue(s, NOW + timedelta(hours=3))
        assert back[-1].id == ids["late"] and back[-1].due_at == NOW + timedelta(hours=3)
        with pytest.raises(TaskError, match="not in the future") as refused:
            followups.snooze(s, ids["soon"], NOW - timedelta(minutes=1), now=NOW)
        assert refused.value.code == "snooze_in_past"


def test_skip_needs_a_reason_and_closes_the_task(store):
    with store.write() as s:
        ids = _shop(s)
        with pytest.raises(TaskError, match="needs a reason"):
            followups.skip(s, ids["soon"], "  ", now=NOW)
        followups.skip(s, ids["soon"], "客户已在群里解决", now=NOW)
        assert s.get(FollowUpTask, ids["soon"]).status == "skipped"
        with pytest.raises(TaskError):
            followups.snooze(s, ids["soon"], NOW + timedelta(days=1), now=NOW)
        assert s.scalar(select(Note.body).where(Note.kind == "followup")) == "客诉回访：跳过（客户已在群里解决）"


def test_manual_tasks_refuse_unknown_kinds_customers_and_naive_times(store):
    with store.write() as s:
        ids = _shop(s)
        with pytest.raises(TaskError, match="unknown task kind"):
            followups.create_manual(s, ids["wang"], "party", NOW)
        with pytest.raises(NotFound):
            followups.create_manual(s, 999, "manual", NOW)
        with pytest.raises(TaskError, match="no time zone"):
            followups.create_manual(s, ids["wang"], "manual", datetime(2026, 11, 20, 10))


def test_survey_scores_outside_0_to_10_are_refused_and_nps_counts_the_rest(store):
    with store.write() as s:
        c = customers.create(s, NewCustomer("王姐"))
        for bad in (-1, 11, 7.5, True):
            with pytest.raises(ValueError, match="0 to 10"):
                followups.record_survey(s, c, bad)
        for score in (10, 9, 8, 6, 0):
            followups.record_survey(s, c, score, answered_at=NOW)
        summary = followups.nps(s, NOW - timedelta(days=1), NOW + timedelta(days=1))
        empty = followups.nps(s, NOW - timedelta(days=9), NOW - timedelta(days=8))
    assert (summary.responses, summary.promoters, summary.passives, summary.detractors) == (5, 2, 1, 2)
    assert summary.nps == 0.0 and summary.average == 6.6
    assert empty.nps is None and empty.responses == 0
