"""Coupons: batches and codes (pasted, imported, generated), issued exactly once, used as orders show."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import issue_in_another_process
from livedesk.models import CouponCode, FollowUpTask, Order
from livedesk.services import customers, erasure, importing, templates
from livedesk.services.customers import NewCustomer
from livedesk.services.followups import generate
from livedesk.services.loyalty import coupon_usage, coupons
from livedesk.services.loyalty.errors import LoyaltyError

UTC = timezone.utc
DATA = Path(__file__).parent / "data"


def _people(store, n: int) -> list[int]:
    with store.write() as s:
        return [customers.create(s, NewCustomer(nickname=f"客户{i}")) for i in range(n)]


def _batch(store, codes: list[str] | None = None, **kwargs) -> int:
    with store.write() as s:
        batch = coupons.create_batch(s, kwargs.pop("name", "回归券"), **({"amount_fen": 2000} | kwargs))
        coupons.add_codes(s, batch, codes if codes is not None else [f"WAKE-{i:04d}" for i in range(1, 6)])
    return batch


def test_pasted_codes_are_split_and_a_malformed_one_is_refused_by_name():
    assert coupons.parse_codes("AB12CD\nEF34GH, IJ56KL；MN78OP") == ["AB12CD", "EF34GH", "IJ56KL", "MN78OP"]
    with pytest.raises(LoyaltyError, match="not coupon codes.*x!") as e:
        coupons.parse_codes("AB12CD x!")
    assert e.value.code == "bad_code"


def test_a_platform_coupon_export_gives_its_code_column():
    assert coupons.read_code_file(DATA / "coupon_codes_export.csv") == [f"WAKE-000{i}" for i in range(1, 5)]


def test_a_bad_code_in_a_file_names_the_row_and_column():
    with pytest.raises(LoyaltyError, match=r"coupon_codes_bad.csv, row 3, column 券码: 'bad code!'") as e:
        coupons.read_code_file(DATA / "coupon_codes_bad.csv")
    assert e.value.details == {"file": "coupon_codes_bad.csv", "row": 3, "column": "券码", "value": "bad code!"}


def test_a_file_without_a_code_column_is_refused_naming_its_headers():
    with pytest.raises(LoyaltyError, match="no column of coupon codes.*主订单编号") as e:
        coupons.read_code_file(DATA / "douyin_orders.csv")
    assert e.value.code == "no_code_column"


def test_codes_already_in_the_store_are_reported_and_not_moved(store):
    first = _batch(store, ["AAAA1", "BBBB2"])
    with store.write() as s:
        second = coupons.create_batch(s, "生日券", amount_fen=1000)
        added = coupons.add_codes(s, second, ["BBBB2", "CCCC3", "CCCC3"])
    assert (added.added, added.known, added.repeated) == (1, ["BBBB2"], ["CCCC3"])
    with store.read() as s:
        assert s.scalar(select(CouponCode.batch_id).where(CouponCode.code == "BBBB2")) == first


def test_generated_codes_are_new_readable_and_prefixed(store):
    batch = _batch(store, [])
    with store.write() as s:
        made = coupons.generate_codes(s, batch, 300, prefix="bd")
    assert len(set(made)) == 300 and all(c.startswith("BD") and len(c) == 10 for c in made)
    assert not set("".join(c[2:] for c in made)) & set("01OIL")
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(CouponCode).where(CouponCode.batch_id == batch)) == 300


def test_a_batch_needs_exactly_one_value(store):
    with store.write() as s:
        for kwargs in ({}, {"amount_fen": 100, "percent_paid": 90}, {"percent_paid": 100}):
            with pytest.raises(LoyaltyError) as e:
                coupons.create_batch(s, "x", **kwargs)
            assert e.value.code == "bad_value"


def test_each_issue_takes_a_different_code_until_the_batch_is_empty(store):
    people = _people(store, 6)
    batch = _batch(store)
    with store.write() as s:
        got = [coupons.issue(s, batch, c) for c in people[:5]]
        with pytest.raises(LoyaltyError, match="no codes left") as e:
            coupons.issue(s, batch, people[5])
    assert sorted(got) == [f"WAKE-{i:04d}" for i in range(1, 6)] and e.value.code == "batch_empty"
    with store.read() as s:
        assert {i.customer_id for i in coupons.issued_codes(s, batch_id=batch)} == set(people[:5])


def test_an_expired_batch_issues_nothing(store):
    person = _people(store, 1)[0]
    batch = _batch(store, valid_to=date(2020, 1, 31))
    with store.write() as s, pytest.raises(LoyaltyError, match="valid until 2020-01-31"):
        coupons.issue(s, batch, person)


def test_two_processes_issuing_at_once_never_hand_out_the_same_code(store):
    people = _people(store, 40)
    batch = _batch(store, [f"RACE{i:03d}" for i in range(40)])
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    workers = [spawn.Process(target=issue_in_another_process, args=(store.url, batch, half, barrier, results))
               for half in (people[:20], people[20:])]
    for w in workers:
        w.start()
    codes = [c for _ in workers for c in results.get(timeout=180)]
    for w in workers:
        w.join(timeout=60)
    assert len(codes) == 40 and len(set(codes)) == 40
    with store.read() as s:
        assert s.scalar(select(func.count(func.distinct(CouponCode.customer_id)))) == 40


def test_a_wakeup_task_carries_its_own_code_into_the_message(store):
    now = datetime(2026, 12, 6, 2, tzinfo=UTC)
    people = _people(store, 3)
    with store.write() as s:
        templates.ensure_default_templates(s)
        for i, cid in enumerate(people):
            s.add(Order(platform="douyin", platform_order_id=f"W{i}", customer_id=cid, status="completed",
                        total_fen=9900, ordered_at=now - timedelta(days=31)))
    batch = _batch(store, ["WAKE-0001", "WAKE-0002"], rule="wakeup")
    with store.write() as s:
        summary = generate(s, now)
    assert (summary.coupons, summary.coupons_short) == (2, 1)
    with store.read() as s:
        tasks = s.execute(select(FollowUpTask.id, FollowUpTask.customer_id, FollowUpTask.coupon, FollowUpTask.note)
                          .where(FollowUpTask.kind == "wakeup").order_by(FollowUpTask.id)).all()
        issued = {i.task_id: (i.code, i.customer_id) for i in coupons.issued_codes(s, batch_id=batch)}
        with_code = [t for t in tasks if t.coupon]
        assert [(issued[t.id]) for t in with_code] == [(t.coupon, t.customer_id) for t in with_code]
        short = next(t for t in tasks if not t.coupon)
        assert "优惠券未发出：回归券 已发完" in short.note
        message = templates.task_message(s, with_code[0].id)
    assert with_code[0].coupon in message


def test_coupon_use_is_learned_from_an_order_export(store):
    first = importing.import_orders(store.write_factory, DATA / "douyin_orders.csv")
    assert first.committed
    with store.write() as s:
        wang = s.scalar(select(Order.customer_id).where(Order.platform_order_id == "6921000000000001"))
        li = s.scalar(select(Order.customer_id).where(Order.platform_order_id == "6921000000000004"))
    batch = _batch(store, ["WAKE-0001", "WAKE-0002", "WAKE-0003"])
    with store.write() as s:
        by_hand = datetime(2024, 5, 25, tzinfo=UTC)
        assert coupons.issue(s, batch, wang, now=by_hand) == "WAKE-0001"
        assert coupons.issue(s, batch, li, now=by_hand) == "WAKE-0002"
    summary = importing.import_orders(store.write_factory, DATA / "douyin_orders_coupons.csv")
    assert summary.committed and summary.coupons_used == 2
    with store.read() as s:
        used = dict(s.execute(select(CouponCode.code, Order.platform_order_id)
                              .join(Order, Order.id == CouponCode.used_order_id)).all())
        assert used == {"WAKE-0001": "6921000000000101", "WAKE-0002": "6921000000000102"}  # by code, by ¥20
        figures = coupon_usage.figures(s)
    assert [(f.rule, f.issued, f.used, f.gmv_fen) for f in figures] == [("manual", 2, 2, 17_900 + 27_900)]
    again = importing.import_orders(store.write_factory, DATA / "douyin_orders_coupons.csv")
    assert again.coupons_used == 0  # the same file twice marks nothing twice
    with store.write() as s:
        unknown = coupon_usage.learn_from_file(s, DATA / "douyin_orders_coupons.csv", "douyin")
    assert unknown.unknown_codes == ["OTHERSHOP-77"]


def test_a_code_stays_taken_after_its_customer_is_erased(store):
    people = _people(store, 2)
    batch = _batch(store, ["ONLY-0001"])
    with store.write() as s:
        coupons.issue(s, batch, people[0])
    with store.write() as s:
        erasure.erase(s, people[0])
    with store.read() as s:
        assert s.execute(select(CouponCode.customer_id, CouponCode.issued_at.is_not(None))).one() == (None, True)
    with store.write() as s, pytest.raises(LoyaltyError, match="no codes left"):
        coupons.issue(s, batch, people[1])


def test_a_merge_moves_the_codes_and_keeps_one_assignment_per_test(store):
    from livedesk.models import ExperimentAssignment, ExperimentVariant
    from livedesk.services import merge
    from livedesk.services.loyalty import experiments
    from livedesk.services.loyalty.experiments import VariantSpec

    keep, drop = _people(store, 2)
    batch = _batch(store, ["AAAA1", "BBBB2"])
    with store.write() as s:
        templates.ensure_default_templates(s)
        coupons.issue(s, batch, drop)
        wakeup = next(t.id for t in templates.listing(s) if t.key == "followup.wakeup")
        test_id = experiments.create(s, "t", "wakeup", "template",
                                     [VariantSpec("A", template_id=wakeup), VariantSpec("B", template_id=wakeup)])
        variant = s.scalar(select(ExperimentVariant.id).where(ExperimentVariant.experiment_id == test_id))
        for cid in (keep, drop):
            s.add(ExperimentAssignment(experiment_id=test_id, variant_id=variant, customer_id=cid))
    with store.write() as s:
        merge.merge(s, keep, drop)
    with store.read() as s:
        assert s.scalar(select(CouponCode.customer_id).where(CouponCode.code == "AAAA1")) == keep
        assert s.scalars(select(ExperimentAssignment.customer_id)).all() == [keep]
