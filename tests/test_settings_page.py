"""The 设置 page: preview before saving, saving recomputes, bad rules are refused with the reason."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from livedesk.models import Customer, Order
from livedesk.services import customers, settings
from livedesk.services.customers import NewCustomer
from livedesk.ui.context import AppContext
from livedesk.ui.settings_page import SettingsPage
from livedesk.ui.tasks import TaskRunner


@pytest.fixture
def page(qtbot, store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        s.execute(insert(Order).values(platform="douyin", platform_order_id="P1", customer_id=cid,
                                       status="completed", total_fen=1_500_000, ordered_at=datetime.now(timezone.utc)))
    tasks = TaskRunner()
    widget = SettingsPage(AppContext(store, tasks, "en"))
    qtbot.addWidget(widget)
    yield widget
    tasks.shutdown()


def test_preview_shows_counts_before_and_after_without_saving(qtbot, page, store):
    page.silver.setValue(20_000)
    page.preview()
    qtbot.waitUntil(lambda: "→" in page.preview_label.text())
    with store.write() as s:
        assert settings.get(s, "levels")[0]["min_spend_fen"] == 1_000_000


def test_saving_stores_the_rules_and_recomputes(qtbot, page, store):
    page.silver.setValue(12_000)
    with qtbot.waitSignal(page.saved, timeout=5000):
        page.save()
    with store.write() as s:
        assert settings.get(s, "levels")[0] == {"code": "silver", "min_spend_fen": 1_200_000}
        assert s.scalars(select(Customer.level)).all() == ["silver"]


def test_rules_that_make_no_sense_are_refused_with_the_reason(qtbot, page, store):
    page.active_days.setValue(500)  # longer than "lost after" (365)
    page.save()
    qtbot.waitUntil(lambda: "Not saved" in page.state.text())
    assert "shorter" in page.state.text() and page.save_button.isEnabled()  # still unsaved
    with store.write() as s:
        assert settings.get(s, "tiers.rules")["active_days"] == 90


def test_the_shops_intent_words_are_kept_by_the_pages_one_save_and_a_bad_line_saves_nothing(qtbot, page, store):
    assert not hasattr(page.intent_box, "save_button")  # one save bar for the page
    page.intent_box.extra.setPlainText("蹲一个：wants to buy\n乱写：whatever")
    assert page.save_button.isEnabled() and "Unsaved" in page.state.text()
    page.shop_name.setText("不该保存")
    page.save()
    assert "Comment intents, line 2" in page.state.text() and page.save_button.isEnabled()
    with store.read() as s:  # nothing of the page was written
        assert settings.get(s, "intents.extra_terms") == [] and settings.get(s, "shop.name") != "不该保存"
    page.intent_box.extra.setPlainText("蹲一个：wants to buy")
    page.intent_box.ignore.setPlainText("福袋")
    with qtbot.waitSignal(page.saved, timeout=5000):
        page.save()
    with store.read() as s:
        assert settings.get(s, "intents.extra_terms") == [{"term": "蹲一个", "intent": "buy"}]
        assert settings.get(s, "intents.ignore_terms") == ["福袋"]
    page.intent_box.extra.setPlainText("别的")
    page.discard()
    assert page.intent_box.extra.toPlainText() == "蹲一个：wants to buy" and not page.save_button.isEnabled()


def test_an_assistant_saving_the_rules_is_told_only_an_owner_may_and_nothing_changes(qtbot, page, store):
    from livedesk.services import team

    with store.write() as s:
        team.add_member(s, "老板", "owner")
        assistant = team.add_member(s, "小周")
    with store.read() as s:
        store.actor = page.ctx.actor = team.sign_in(s, assistant)
    page.intent_box.ignore.setPlainText("福袋")
    page.save()
    qtbot.waitUntil(lambda: "Not saved" in page.state.text())
    assert "Only an owner may do this (you act as 小周)" in page.state.text()
    with store.read() as s:
        assert settings.get(s, "intents.ignore_terms") == []


def test_one_save_keeps_every_edit_on_the_page_and_says_so(qtbot, page, store):
    assert not page.save_button.isEnabled() and page.preview_label.isHidden()  # nothing to save, no empty box
    page.shop_name.setText("小美的店")
    page.shop_name.textEdited.emit("小美的店")
    page.rules_box.fields[("wakeup", "coupon")].setText("满99减10")
    page.rules_box.fields[("wakeup", "coupon")].textEdited.emit("满99减10")
    page.terms_box.extra.setPlainText("秒杀")
    assert page.save_button.isEnabled() and "Unsaved" in page.state.text()
    with qtbot.waitSignal(page.saved, timeout=5000):
        page.save()
    with store.read() as s:
        assert settings.get(s, "shop.name") == "小美的店"
        assert settings.get(s, "followups.rules")["wakeup"]["coupon"] == "满99减10"
        assert settings.get(s, "compliance.extra_terms") == ["秒杀"]
    assert not page.save_button.isEnabled() and "Saved" in page.state.text()


def test_discard_puts_back_what_is_stored(qtbot, page):
    page.vip_min.setValue(5_000)
    assert page.save_button.isEnabled()
    page.discard()
    assert page.vip_min.value() == 2_000 and not page.save_button.isEnabled()
