"""A/B tests of a follow-up rule: reproducible assignment, variants on new tasks, the report, the winner."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from livedesk.models import (
    Customer,
    ExperimentAssignment,
    ExperimentVariant,
    FollowUpTask,
    MessageTemplate,
    Order,
)
from livedesk.services import team, templates
from livedesk.services.followups import generate
from livedesk.services.loyalty import coupons, experiments
from livedesk.services.loyalty.errors import LoyaltyError
from livedesk.services.loyalty.experiments import VariantSpec

UTC = timezone.utc
NOW = datetime(2026, 12, 6, 2, tzinfo=UTC)


def _templates(store) -> tuple[int, int]:
    with store.write() as s:
        templates.ensure_default_templates(s)
        templates.save(s, "followup.wakeup_b", "{称呼}，想您啦！送您{优惠券}，今晚直播间见～", name="唤醒 B")
        ids = dict(s.execute(select(MessageTemplate.key, MessageTemplate.id)).all())
    return ids["followup.wakeup"], ids["followup.wakeup_b"]


def _test(store, **kwargs) -> int:
    a, b = _templates(store)
    with store.write() as s:
        return experiments.create(s, "唤醒话术", "wakeup", "template",
                                  [VariantSpec("A", template_id=a), VariantSpec("B", template_id=b)],
                                  seed="fixed-seed", now=NOW, **kwargs)


def test_assignment_is_reproducible_and_balanced_over_10k_customers():
    ids = range(1, 10_001)
    first = [experiments.pick("s1", c, [1, 1]) for c in ids]
    assert first == [experiments.pick("s1", c, [1, 1]) for c in reversed(ids)][::-1]  # order does not matter
    counts = Counter(first)
    assert abs(counts[0] - 5000) < 150  # three standard deviations of a fair coin over 10k
    other = [experiments.pick("s2", c, [1, 1]) for c in ids]
    assert 4700 < sum(a == b for a, b in zip(first, other)) < 5300  # another seed is another draw
    weighted = Counter(experiments.pick("s1", c, [1, 3]) for c in ids)
    assert abs(weighted[1] - 7500) < 130
    three = Counter(experiments.pick("s3", c, [1, 1, 1]) for c in ids)
    assert set(three) == {0, 1, 2} and all(abs(n - 3333) < 142 for n in three.values())


def test_new_tasks_of_the_rule_get_their_variants_template_and_keep_it_next_time(store):
    test_id = _test(store)
    with store.write() as s:
        people = [s.scalar(insert(Customer).values(nickname=f"客户{i}", search_text="").returning(Customer.id))
                  for i in range(40)]
        for i, cid in enumerate(people):
            s.add(Order(platform="douyin", platform_order_id=f"W{i}", customer_id=cid, status="completed",
                        total_fen=9900, ordered_at=NOW - timedelta(days=31)))
    with store.write() as s:
        generate(s, NOW)
    with store.read() as s:
        variant_template = dict(s.execute(select(ExperimentVariant.id, ExperimentVariant.template_id)).all())
        rows = s.execute(select(ExperimentAssignment.customer_id, ExperimentAssignment.variant_id,
                                FollowUpTask.template_id)
                         .join(FollowUpTask, FollowUpTask.id == ExperimentAssignment.task_id)).all()
    assert len(rows) == 40 and all(variant_template[v] == t for _c, v, t in rows)
    assert len({v for _c, v, _t in rows}) == 2
    first = {c: v for c, v, _t in rows}
    # A month later the same customers lapse again: no new assignment, the same variant's template.
    with store.write() as s:
        for i, cid in enumerate(people):
            s.add(Order(platform="douyin", platform_order_id=f"X{i}", customer_id=cid, status="completed",
                        total_fen=9900, ordered_at=NOW + timedelta(days=1)))
    later = NOW + timedelta(days=32)
    with store.write() as s:
        generate(s, later)
    with store.read() as s:
        assert len(s.scalars(select(ExperimentAssignment.id)).all()) == 40
        again = s.execute(select(FollowUpTask.customer_id, FollowUpTask.template_id)
                          .where(FollowUpTask.kind == "wakeup",
                                 FollowUpTask.created_at >= later - timedelta(hours=1))).all()
    assert len(again) == 40 and all(variant_template[first[c]] == t for c, t in again)
    with store.read() as s:
        assert experiments.report(s, test_id).variants[0].n + experiments.report(s, test_id).variants[1].n == 40


def _fixed_data(store, test_id: int) -> None:
    """Control A: 200 customers, 60 replied, 30 bought (20 said so, 10 ordered ¥100 within the window, and
    5 more ordered only after it). B: 200, 90 replied, 50 bought (all ordered ¥100 within the window)."""
    with store.write() as s:
        a, b = s.scalars(select(ExperimentVariant.id).where(ExperimentVariant.experiment_id == test_id)
                         .order_by(ExperimentVariant.position)).all()
        for variant, replied, told, ordered, late in ((a, 60, 20, 10, 5), (b, 90, 0, 50, 0)):
            for i in range(200):
                cid = s.scalar(insert(Customer).values(nickname="x", search_text="").returning(Customer.id))
                outcome = "bought" if i < told else "replied" if i < replied else "no_answer"
                task = s.scalar(insert(FollowUpTask).values(customer_id=cid, kind="wakeup", due_at=NOW, status="done",
                                                            outcome=outcome).returning(FollowUpTask.id))
                s.execute(insert(ExperimentAssignment).values(experiment_id=test_id, variant_id=variant,
                                                              customer_id=cid, task_id=task, assigned_at=NOW))
                if told <= i < told + ordered:
                    s.add(Order(platform="douyin", platform_order_id=f"{variant}-{i}", customer_id=cid,
                                status="paid", total_fen=10_000, ordered_at=NOW + timedelta(days=3)))
                elif told + ordered <= i < told + ordered + late:
                    s.add(Order(platform="douyin", platform_order_id=f"{variant}-{i}", customer_id=cid,
                                status="paid", total_fen=10_000, ordered_at=NOW + timedelta(days=15)))


def test_the_report_gives_rates_gmv_intervals_and_the_test_against_the_control(store):
    test_id = _test(store, window_days=14)
    _fixed_data(store, test_id)
    with store.read() as s:
        a, b = experiments.report(s, test_id).variants
    assert (a.n, b.n) == (200, 200)
    assert (a.replied.value, b.replied.value) == (0.30, 0.45)
    assert (a.bought.value, b.bought.value) == (0.15, 0.25)
    assert (a.bought.low, a.bought.high) == pytest.approx((0.107136, 0.206056), abs=1e-5)  # Wilson, by hand
    assert a.gmv_per_customer_fen.value == 10 * 10_000 / 200
    assert b.gmv_per_customer_fen.value == 50 * 10_000 / 200
    assert a.p_value is None and b.p_value == pytest.approx(0.012419, abs=1e-5)  # z = 2.5
    assert b.significant and b.needs_more == 0


def test_a_difference_not_yet_significant_says_how_many_more_customers_it_needs(store):
    test_id = _test(store)
    _fixed_data(store, test_id)
    with store.write() as s:  # half the sample: 100 each, still 15 % against 25 %
        s.execute(ExperimentAssignment.__table__.delete().where(ExperimentAssignment.id % 2 == 0))
    with store.read() as s:
        _a, b = experiments.report(s, test_id).variants
    assert (b.n, _a.n) == (100, 100) and not b.significant
    assert b.p_value > 0.05
    per_group = experiments.stats.sample_size_per_group(_a.bought.value, b.bought.value)
    assert b.needs_more == 2 * (per_group - 100)


def test_making_the_winner_the_default_copies_its_message_and_ends_the_test(store):
    test_id = _test(store)
    with store.read() as s:
        b = s.scalar(select(ExperimentVariant.id).where(ExperimentVariant.label == "B"))
    with store.write(SimpleNamespace(member_id=None, role="assistant")) as s, pytest.raises(team.PermissionDenied):
        experiments.make_default(s, test_id, b)
    with store.write() as s:
        experiments.make_default(s, test_id, b, NOW)
    with store.read() as s:
        body = s.scalar(select(MessageTemplate.body).where(MessageTemplate.key == "followup.wakeup"))
        report = experiments.report(s, test_id)
    assert body == "{称呼}，想您啦！送您{优惠券}，今晚直播间见～"
    assert (report.status, report.winner_id) == ("finished", b)
    _test_again = _templates(store)
    with store.write() as s:  # the rule is free for the next test
        experiments.create(s, "下一轮", "wakeup", "template",
                           [VariantSpec("A", template_id=_test_again[0]), VariantSpec("C", template_id=_test_again[1])])


def test_a_coupon_test_issues_each_variants_batch_and_the_winner_becomes_the_rules(store):
    with store.write() as s:
        templates.ensure_default_templates(s)
        ten = coupons.create_batch(s, "满99减10", amount_fen=1000, rule="wakeup")
        twenty = coupons.create_batch(s, "满99减20", amount_fen=2000)
        coupons.generate_codes(s, ten, 50)
        coupons.generate_codes(s, twenty, 50)
        test_id = experiments.create(s, "券面额", "wakeup", "coupon",
                                     [VariantSpec("10元", coupon_batch_id=ten),
                                      VariantSpec("20元", coupon_batch_id=twenty)], seed="c")
        people = [s.scalar(insert(Customer).values(nickname=f"客户{i}", search_text="").returning(Customer.id))
                  for i in range(30)]
        for i, cid in enumerate(people):
            s.add(Order(platform="douyin", platform_order_id=f"W{i}", customer_id=cid, status="completed",
                        total_fen=9900, ordered_at=NOW - timedelta(days=31)))
    with store.write() as s:
        assert generate(s, NOW).coupons == 30
    with store.read() as s:
        batch_of = {v.id: v.coupon_batch_id for v in s.scalars(select(ExperimentVariant))}
        issued = {i.customer_id: i.batch for i in coupons.issued_codes(s)}
        names = {ten: "满99减10", twenty: "满99减20"}
        for cid, variant in s.execute(select(ExperimentAssignment.customer_id, ExperimentAssignment.variant_id)):
            assert issued[cid] == names[batch_of[variant]]
        winner = s.scalar(select(ExperimentVariant.id).where(ExperimentVariant.label == "20元"))
    with store.write() as s:
        experiments.make_default(s, test_id, winner)
    with store.read() as s:
        assert coupons.batch_for_rule(s, "wakeup") == twenty


def test_refusals(store):
    a, b = _templates(store)
    with store.write() as s:
        experiments.create(s, "一", "wakeup", "template", [VariantSpec("A", template_id=a),
                                                            VariantSpec("B", template_id=b)])
    cases = [
        (("二", "wakeup", "template", [VariantSpec("A", template_id=a), VariantSpec("B", template_id=b)]),
         "already_running"),
        (("三", "birthday", "template", [VariantSpec("A", template_id=a)]), "bad_variants"),
        (("四", "birthday", "template", [VariantSpec("A", template_id=a), VariantSpec("A", template_id=b)]),
         "bad_variants"),
        (("五", "nope", "template", [VariantSpec("A", template_id=a), VariantSpec("B", template_id=b)]), "bad_rule"),
        (("六", "birthday", "coupon", [VariantSpec("A"), VariantSpec("B")]), "bad_variants"),
    ]
    for args, code in cases:
        with store.write() as s, pytest.raises(LoyaltyError) as e:
            experiments.create(s, *args)
        assert e.value.code == code, args
