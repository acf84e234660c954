"""A store's seeded data follows the language it was created in (services/shop_words.py): a demo
made in English shows nothing Chinese but the customers' own names, places and comments."""

from __future__ import annotations

import re

from sqlalchemy import String, Text, select

from livedesk.models import Base, Customer, MessageTemplate, Perk
from livedesk.services import demo, settings, shop_words, templates
from livedesk.services.panel import panel_card

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# The customers' own words: their names, places and what they wrote; and the search keys made of them.
THEIRS = {"customers": None, "orders": {"recipient_name", "province", "city", "address", "buyer_nickname"},
          "appearances": {"nickname"}, "platform_accounts": {"nickname", "handle"},
          "profile_values": {"value:wechat"}}


def _chinese_cells(store) -> dict[str, str]:
    found: dict[str, str] = {}
    with store.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in THEIRS and THEIRS[table.name] is None:
                continue
            for column in table.columns:
                if not isinstance(column.type, (String, Text)) or column.name in THEIRS.get(table.name, ()):
                    continue
                query = select(column).where(column.is_not(None))
                if table.name == "profile_values":
                    query = query.where(table.c.field != "wechat")  # "王姐 杭州": the customer's name and city
                for value in session.scalars(query.limit(5000)):
                    if CJK.search(value):
                        found.setdefault(f"{table.name}.{column.name}", value)
    return found


def test_a_demo_made_in_english_has_no_chinese_but_the_customers_own_words(store):
    demo.generate(store, customers=120, seed=3, language="en")
    assert _chinese_cells(store) == {}
    with store.read() as session:
        assert settings.get(session, "shop.language") == "en"
        assert settings.get(session, "shop.name") == shop_words.EN.shop_name
        assert {p.name for p in session.scalars(select(Perk))} >= set(shop_words.EN.perks.values())
        body = session.scalar(select(MessageTemplate.body).where(MessageTemplate.key == "followup.wakeup"))
        assert body == shop_words.EN.templates["followup.wakeup"][1]


def test_a_demo_made_in_chinese_keeps_its_chinese_shop_data(store):
    demo.generate(store, customers=60, seed=3)
    found = _chinese_cells(store)
    assert "products.name" in found and "message_templates.body" in found and "tags.name" in found


def test_english_and_chinese_placeholders_both_fill_in_from_the_stores_words(store):
    demo.generate(store, customers=60, seed=3, language="en")
    with store.read() as session:
        cid = session.scalar(select(Customer.id).where(Customer.level == "gold").limit(1))
        nickname = session.get(Customer, cid).nickname
        text = templates.render(session, "Hi {name}, {level}: {coupon} / {称呼}", cid)
    assert text == (f"Hi {nickname}, Gold Diamond member: {shop_words.EN.coupons['wakeup']} / {nickname}")


def test_a_shipped_english_greeting_is_worded_by_the_ui_and_a_shops_own_gets_english_level_words(store):
    demo.generate(store, customers=60, seed=3, language="en")
    with store.write() as session:
        cid = session.scalar(select(Customer.id).where(Customer.level == "gold").limit(1))
        card = panel_card(session, cid, language="en")
        assert not card.greeting_custom  # the UI words the shipped greeting in its own language
        templates.save(session, "greeting.gold", "Lovely to see you, {level} {name}", name="mine", kind="greeting")
        card = panel_card(session, cid, language="en")
    assert card.greeting_custom
    assert card.custom_greeting() == f"Lovely to see you, Gold Diamond member {card.nickname}"


def test_seeding_keeps_what_the_shop_renamed_itself(store):
    with store.write() as session:
        rules = settings.get(session, "followups.rules")
        rules["birthday"] = {**rules["birthday"], "coupon": "我们自己的券"}
        settings.set_value(session, "followups.rules", rules)
        perk = session.scalar(select(Perk).where(Perk.code == "sample"))
        perk.name = "Mini sizes"
        shop_words.seed(session, "en")
    with store.read() as session:
        rules = settings.get(session, "followups.rules")
        assert rules["birthday"]["coupon"] == "我们自己的券"
        assert rules["wakeup"]["coupon"] == shop_words.EN.coupons["wakeup"]
        names = dict(session.execute(select(Perk.code, Perk.name)).all())
    assert names["sample"] == "Mini sizes" and names["priority_shipping"] == "Priority shipping"


def test_every_presets_chinese_choices_have_english_ones_of_the_same_count():
    from livedesk.services import presets

    for preset in presets.presets().values():
        for spec in preset.fields:
            if any(CJK.search(c) for c in spec.choices):
                assert len(spec.choices_in("en")) == len(spec.choices), (preset.code, spec.key)
                assert not any(CJK.search(c) for c in spec.choices_in("en")), (preset.code, spec.key)
