"""The run-of-show (排品): lines of a kind with a product of the catalogue and planned minutes, the
playbook's example from the shop's best sellers, marks that follow a moved line, and planned
against actual minutes with the viewers across each line in the report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from livedesk.models import Order, OrderItem, Product
from livedesk.services import broadcasts, shop_words
from livedesk.services.room import audience, report, run_of_show
from livedesk.services.room.run_of_show import PlannedItem, RunOfShowError

START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def shop(store):
    """Seven products, sold so that 面霜 > 精华 > 口红 > 面膜 > 防晒 > 卸妆油 (气垫: never); one broadcast."""
    with store.write() as s:
        names = ["面霜", "精华", "口红", "面膜", "防晒", "卸妆油", "气垫"]
        products = {n: Product(name=n, price_fen=10_000) for n in names}
        s.add_all(products.values())
        s.flush()
        for n, units in zip(names, (9, 8, 7, 6, 5, 4)):
            order = Order(platform="douyin", platform_order_id=f"o-{n}", status="paid", total_fen=units * 10_000,
                          ordered_at=START - timedelta(days=3))
            s.add(order)
            s.flush()
            s.add(OrderItem(order_id=order.id, product_id=products[n].id, product_name=n, quantity=units,
                            amount_fen=units * 10_000))
        b = broadcasts.start(s, "周二美妆专场", "douyin", now=START)
        ids = {n: p.id for n, p in products.items()}
    return {"broadcast": b.id, "products": ids}


def test_a_product_line_links_the_catalogue_and_goes_by_its_name(store, shop):
    cream = shop["products"]["面霜"]
    with store.write() as s:
        items = run_of_show.plan(s, shop["broadcast"], [PlannedItem("product", "", 20, cream),
                                                        PlannedItem("flash", "秒杀口红", 5, shop["products"]["口红"]),
                                                        PlannedItem("draw", "福袋", 3)])
    assert [(i.position, i.kind, i.title, i.product_id, i.planned_minutes) for i in items] == [
        (1, "product", "面霜", cream, 20), (2, "flash", "秒杀口红", shop["products"]["口红"], 5),
        (3, "draw", "福袋", None, 3)]


@pytest.mark.parametrize("line, code", [(PlannedItem("product", "x", 10, 99_999), "no_product"),
                                        (PlannedItem("draw", "  ", 5), "title_required"),
                                        (PlannedItem("flash", "秒杀", 601), "bad_minutes"),
                                        (PlannedItem("show", "x", 5), "unknown_kind")])
def test_a_plan_with_a_bad_line_is_refused_naming_the_line_and_nothing_is_written(store, shop, line, code):
    with store.write() as s:
        run_of_show.plan(s, shop["broadcast"], [PlannedItem("draw", "开场福袋", 5)])
    with pytest.raises(RunOfShowError) as refused, store.write() as s:
        run_of_show.plan(s, shop["broadcast"], [PlannedItem("product", "面霜", 15), line])
    assert refused.value.code == code and refused.value.params["line"] == 2
    with store.read() as s:
        assert [i.title for i in run_of_show.items(s, shop["broadcast"])] == ["开场福袋"]


def test_the_playbook_example_is_two_hours_of_five_best_sellers_two_draws_three_flash_deals(store, shop):
    with store.read() as s:
        plan = run_of_show.example_plan(s, now=START)
    assert sum(i.planned_minutes for i in plan) == 120
    assert [i.kind for i in plan].count("product") == 5 and [i.kind for i in plan].count("draw") == 2
    assert [i.kind for i in plan].count("flash") == 3
    assert [i.title for i in plan if i.kind == "product"] == ["面霜", "精华", "口红", "面膜", "防晒"]
    assert [i.title for i in plan if i.kind == "flash"] == ["卸妆油", "气垫", "限时秒杀 3"]  # the next ones on sale
    assert all(i.product_id == shop["products"][i.title] for i in plan if i.kind != "draw" and i.title != "限时秒杀 3")


def test_the_example_is_worded_in_the_stores_language(store, shop):
    with store.write() as s:
        shop_words.seed(s, "en")
        titles = [i.title for i in run_of_show.example_plan(s, now=START) if i.kind == "draw"]
    assert titles == [t for k, t, _m in shop_words.EN.run_of_show if k == "draw"]


def test_a_line_marked_on_air_keeps_its_marks_when_the_plan_is_reordered(store, shop):
    with store.write() as s:
        run_of_show.plan(s, shop["broadcast"], [PlannedItem("draw", "福袋", 5), PlannedItem("product", "面霜", 15)])
        run_of_show.mark_now(s, shop["broadcast"], 1, now=START)
        run_of_show.mark_now(s, shop["broadcast"], 2, now=START + timedelta(minutes=6))
        items = run_of_show.plan(s, shop["broadcast"], [PlannedItem("product", "面霜", 20, was=2),
                                                        PlannedItem("draw", "福袋", 5, was=1),
                                                        PlannedItem("flash", "秒杀", 5)])
    assert [(i.title, i.started_at, i.ended_at) for i in items] == [
        ("面霜", START + timedelta(minutes=6), None), ("福袋", START, START + timedelta(minutes=6)),
        ("秒杀", None, None)]


def test_the_report_sets_planned_against_actual_minutes_and_the_viewers_across_each_line(store, shop):
    with store.write() as s:
        run_of_show.plan(s, shop["broadcast"], [PlannedItem("draw", "福袋", 5), PlannedItem("product", "面霜", 15),
                                                PlannedItem("flash", "秒杀", 5)])
        run_of_show.mark_now(s, shop["broadcast"], 1, now=START)
        run_of_show.mark_now(s, shop["broadcast"], 2, now=START + timedelta(minutes=8))
        audience.record(s, shop["broadcast"], audience.AudienceBatch(
            [audience.Minute(START + timedelta(minutes=m), online=1000 - 20 * m) for m in range(30)]))
        broadcasts.end(s, shop["broadcast"], now=START + timedelta(minutes=30))
    with store.read() as s:
        r = report.build(s, shop["broadcast"])
    assert [(f.position, f.planned_minutes, f.actual_minutes, f.viewers_start, f.viewers_end, f.viewers_change)
            for f in r.figures] == [(1, 5, 8, 1000, 840, -160), (2, 15, 22, 840, 420, -420),
                                    (3, 5, None, None, None, None)]
    assert r.as_dict()["figures"][1]["actual_minutes"] == 22


def test_the_catalogue_offers_the_best_sellers_first(store, shop):
    with store.read() as s:
        names = [p.name for p in run_of_show.catalogue(s, now=START)]
    assert names[:6] == ["面霜", "精华", "口红", "面膜", "防晒", "卸妆油"] and names[6] == "气垫"
    with store.read() as s:
        assert s.scalar(select(Product.id).where(Product.name == "气垫")) == shop["products"]["气垫"]


def test_a_plan_made_before_the_stream_is_taken_by_the_next_broadcast_once(store, shop):
    with store.write() as s:
        broadcasts.end(s, shop["broadcast"], now=START + timedelta(hours=2))
        run_of_show.save_draft(s, [PlannedItem("draw", "开场福袋", 10), PlannedItem("product", "", 25,
                                                                                 shop["products"]["面霜"])])
    with store.write() as s:
        assert [i.title for i in run_of_show.draft(s)] == ["开场福袋", "面霜"]
        b = broadcasts.start(s, "周四护肤专场", "douyin", now=START + timedelta(days=2))
        taken = run_of_show.adopt_draft(s, b.id)
        assert [(i.position, i.title, i.product_id) for i in taken] == [(1, "开场福袋", None),
                                                                         (2, "面霜", shop["products"]["面霜"])]
        assert run_of_show.draft(s) == []
        assert [i.title for i in run_of_show.adopt_draft(s, b.id)] == ["开场福袋", "面霜"]  # nothing twice
    with pytest.raises(RunOfShowError) as refused, store.write() as s:
        run_of_show.save_draft(s, [PlannedItem("flash", "", 5)])
    assert refused.value.code == "title_required"
