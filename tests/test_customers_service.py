"""The customers service: list ids, rows, card, notes, tags, profile, lookup, panel card."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from livedesk.models import Customer, MessageTemplate, Order, OrderItem, Product
from livedesk.services import customers
from livedesk.services.customers import CustomerFilter, NewCustomer
from livedesk.services.lookup import lookup
from livedesk.services.panel import days_to_birthday, panel_card

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def shop(store):
    with store.write() as s:
        ids = {
            "wang": customers.create(s, NewCustomer(
                nickname="王姐", real_name="王丽华", phone="13812345678", city="杭州",
                birthday=date(1985, 11, 25), accounts=[("douyin", "MS4wLjABAAAAwang", "wangjie888")],
                profile={"skin_type": "敏感肌", "allergies": "酒精过敏"})),
            "lu": customers.create(s, NewCustomer(nickname="小鹿爱买买", phone="13900001111", city="上海")),
            "zeng": customers.create(s, NewCustomer(nickname="曾姐", city="杭州")),
        }
        s.get(Customer, ids["wang"]).tier = "vip"
        s.get(Customer, ids["wang"]).level = "gold"
        s.get(Customer, ids["wang"]).total_spent_fen = 4_500_000
        s.get(Customer, ids["lu"]).tier = "new"
        s.get(Customer, ids["lu"]).total_spent_fen = 9_900
    return ids


def test_filter_by_tier_and_text_narrows_the_list(store, shop):
    with store.write() as s:
        assert customers.list_ids(s, CustomerFilter(tier="vip")) == [shop["wang"]]
        assert customers.list_ids(s, CustomerFilter(text="wj")) == [shop["wang"]]
        assert set(customers.list_ids(s, CustomerFilter(text="杭州".lower()))) == set()  # city is not a name
        assert customers.count(s, CustomerFilter()) == 3


def test_sorting_by_spend_puts_the_biggest_spender_first(store, shop):
    with store.write() as s:
        assert customers.list_ids(s, sort="total_spent_fen")[0] == shop["wang"]
        assert customers.list_ids(s, sort="total_spent_fen", descending=False)[-1] == shop["wang"]


def test_rows_are_fetched_for_exactly_the_ids_asked(store, shop):
    with store.write() as s:
        rows = customers.rows(s, [shop["lu"], shop["zeng"]])
    assert set(rows) == {shop["lu"], shop["zeng"]}
    assert rows[shop["lu"]].nickname == "小鹿爱买买"


def test_notes_can_be_added_edited_pinned_and_deleted(store, shop):
    with store.write() as s:
        note_id = customers.add_note(s, shop["wang"], "喜欢清爽型")
        customers.add_note(s, shop["wang"], "第二条")
    with store.write() as s:
        customers.edit_note(s, note_id, "喜欢清爽型, 不要香精")
        customers.set_note_pinned(s, note_id, True)
    with store.write() as s:
        notes = customers.card(s, shop["wang"]).notes
    assert notes[0].body == "喜欢清爽型, 不要香精" and notes[0].pinned
    with store.write() as s:
        customers.delete_note(s, note_id)
        assert [n.body for n in customers.card(s, shop["wang"]).notes] == ["第二条"]


def test_an_empty_note_is_refused(store, shop):
    with pytest.raises(ValueError):
        with store.write() as s:
            customers.add_note(s, shop["wang"], "   ")


def test_tags_are_created_once_and_filter_the_list(store, shop):
    with store.write() as s:
        tag = customers.tag_customer(s, shop["wang"], "回头客")
        assert customers.tag_customer(s, shop["lu"], "回头客") == tag
        customers.tag_customer(s, shop["lu"], "回头客")  # twice is harmless
    with store.write() as s:
        assert set(customers.list_ids(s, CustomerFilter(tag_id=tag))) == {shop["wang"], shop["lu"]}
        customers.untag_customer(s, shop["lu"], tag)
    with store.write() as s:
        assert customers.list_ids(s, CustomerFilter(tag_id=tag)) == [shop["wang"]]


def test_profile_values_are_set_changed_and_cleared(store, shop):
    with store.write() as s:
        customers.set_profile_value(s, shop["lu"], "top_size", "M")
    with store.write() as s:
        customers.set_profile_value(s, shop["lu"], "top_size", "L")
    with store.write() as s:
        assert customers.card(s, shop["lu"]).profile == {"top_size": "L"}
        customers.set_profile_value(s, shop["lu"], "top_size", "")
    with store.write() as s:
        assert customers.card(s, shop["lu"]).profile == {}


def test_lookup_finds_by_initials_handle_and_phone_tail(store, shop):
    with store.write() as s:
        assert lookup(s, "wj")[0].id == shop["wang"]
        assert lookup(s, "wangjie888")[0].id == shop["wang"]
        assert lookup(s, "1111")[0].id == shop["lu"]
        assert lookup(s, "cengjie")[0].id == shop["zeng"]  # heteronym reading of 曾
        assert lookup(s, "小鹿")[0].how == "nickname"
        assert lookup(s, "5678")[0].how == "text"
        assert lookup(s, "") == []


def test_lookup_treats_like_wildcards_literally(store, shop):
    with store.write() as s:
        assert lookup(s, "%") == []
        assert lookup(s, "_") == []


def test_panel_card_masks_identity_and_raises_alerts(store, shop):
    with store.write() as s:
        s.add(MessageTemplate(key="greeting.gold", kind="greeting", name="金钻", body="欢迎{等级}{称呼}回家"))
        product = Product(name="玻尿酸补水精华 30ml", category="beauty", price_fen=19_900, usage_cycle_days=30)
        s.add(product)
        s.flush()
        order_id = s.execute(insert(Order).values(
            platform="douyin", platform_order_id="A1", customer_id=shop["wang"], status="completed",
            total_fen=19_900, ordered_at=NOW - timedelta(days=31)).returning(Order.id)).scalar_one()
        s.add(OrderItem(order_id=order_id, product_id=product.id, product_name=product.name, quantity=1,
                        unit_price_fen=19_900, amount_fen=19_900))
        customers.add_note(s, shop["wang"], "上次快递破损", kind="complaint")
        customers.add_note(s, shop["wang"], "叫她王姐", pinned=True)
    with store.write() as s:
        card = panel_card(s, shop["wang"], now=NOW)
    assert card.greeting("金钻会员") == "欢迎金钻会员王姐回家"
    assert card.masked_name == "王**" and card.masked_phone == "138****5678"
    kinds = {a.kind for a in card.alerts}
    assert kinds == {"allergy", "complaint", "birthday", "replenish"}
    assert card.pinned_notes == ["叫她王姐"]
    assert card.purchases[0].product_name == "玻尿酸补水精华 30ml"
    assert "13812345678" not in repr(card) and "王丽华" not in repr(card)


def test_birthday_distance_handles_year_end_and_leap_day():
    assert days_to_birthday(date(1990, 1, 2), date(2026, 12, 30)) == 3
    assert days_to_birthday(date(1992, 2, 29), date(2027, 2, 27)) == 1  # celebrated on 28 Feb
    assert days_to_birthday(date(1992, 2, 29), date(2028, 2, 28)) == 1  # leap year: the real day
    assert days_to_birthday(date(1990, 11, 22), date(2026, 11, 22)) == 0


def test_a_vip_not_greeted_this_stream_is_flagged_until_greeted(store, shop):
    from livedesk.services import broadcasts

    with store.write() as s:
        live = broadcasts.start(s, "周二美妆专场", "douyin")
        assert "not_greeted" in {a.kind for a in panel_card(s, shop["wang"], now=NOW, broadcast_id=live.id).alerts}
        assert "not_greeted" not in {a.kind for a in panel_card(s, shop["lu"], now=NOW, broadcast_id=live.id).alerts}
        broadcasts.mark_greeted(s, live.id, shop["wang"])
        assert "not_greeted" not in {a.kind for a in panel_card(s, shop["wang"], now=NOW, broadcast_id=live.id).alerts}


def test_a_fresh_upgrade_is_sales_news_but_an_old_or_downward_change_is_not(store, shop):
    from livedesk.models import LevelChange

    with store.write() as s:
        wang = s.get(Customer, shop["wang"])
        wang.level_since = NOW - timedelta(days=2)
        s.add(LevelChange(customer_id=wang.id, from_level="silver", to_level="gold", changed_at=wang.level_since))
    with store.write() as s:
        upgrade = [a for a in panel_card(s, shop["wang"], now=NOW).alerts if a.kind == "upgrade"]
        assert [(a.text, a.category) for a in upgrade] == [("2", "sales")]
        assert {a.category for a in panel_card(s, shop["wang"], now=NOW).alerts if a.kind == "allergy"} == {"safety"}
        s.add(LevelChange(customer_id=shop["wang"], from_level="gold", to_level="silver", changed_at=NOW))
        s.get(Customer, shop["wang"]).level, s.get(Customer, shop["wang"]).level_since = "silver", NOW
    with store.write() as s:
        assert "upgrade" not in {a.kind for a in panel_card(s, shop["wang"], now=NOW).alerts}
        s.get(Customer, shop["wang"]).level_since = NOW - timedelta(days=90)
        assert "upgrade" not in {a.kind for a in panel_card(s, shop["wang"], now=NOW + timedelta(days=1)).alerts}


def test_the_shipped_greeting_is_left_to_the_ui_and_a_shops_own_is_its_own_words(store, shop):
    from livedesk.services.templates import DEFAULT_TEMPLATES

    gold = next(body for key, _k, _n, body in DEFAULT_TEMPLATES if key == "greeting.gold")
    with store.write() as s:
        template = MessageTemplate(key="greeting.gold", kind="greeting", name="金钻", body=gold)
        s.add(template)
    with store.write() as s:
        card = panel_card(s, shop["wang"], now=NOW)
        assert (card.greeting_key, card.greeting_custom) == ("greeting.gold", False)
        s.get(MessageTemplate, template.id).body = "{称呼}回来啦，{等级}专属福利已备好"
    with store.write() as s:
        card = panel_card(s, shop["wang"], now=NOW)
        assert card.greeting_custom and card.custom_greeting() == "王姐回来啦，金钻会员专属福利已备好"
        assert panel_card(s, shop["lu"], now=NOW).greeting_key == "greeting.default"
