"""The loyalty windows: 兑换 with its confirmation and undo, the catalogue and coupon boxes, A/B tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import insert, select

from livedesk.models import PointsEntry
from livedesk.services import customers, points
from livedesk.services.customers import NewCustomer


@pytest.fixture
def rich(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        s.execute(insert(PointsEntry).values(customer_id=cid, delta=1100, reason="manual", ref="seed"))
    return cid


@pytest.fixture
def say_yes(monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _parent, _title, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    return asked


def _select(view, row: int) -> None:
    view.selectRow(row)


def test_redeem_shows_what_the_customer_can_afford_confirms_then_undoes(qtbot, ctx, rich, say_yes):
    from livedesk.ui.loyalty.redeem_dialog import RedeemDialog

    dialog = RedeemDialog(ctx, rich)
    qtbot.addWidget(dialog)
    offers = {o.perk.code: o.refusal for o in dialog.offers}
    assert offers == {"small_gift": None, "sample": None, "priority_shipping": None, "dedicated_service": "insufficient"}
    last = dialog.offers_model.rows[-1]
    assert last[-1] == "专属客服 costs 3000 points; the customer has 1100"
    _select(dialog.offers_view, [o.perk.code for o in dialog.offers].index("dedicated_service"))
    assert not dialog.redeem_button.isEnabled()
    _select(dialog.offers_view, [o.perk.code for o in dialog.offers].index("priority_shipping"))
    assert dialog.redeem_button.isEnabled()
    dialog.redeem_button.click()
    assert say_yes == ["Redeem 优先发货 for 1,000 points? The balance becomes 100."]
    qtbot.waitUntil(lambda: "Redeemed 优先发货" in dialog.feedback.text())
    assert dialog.heading.text() == "王姐 has 100 points"
    _select(dialog.history_view, 0)
    assert dialog.undo_button.isEnabled()
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: "Undone; 1,100 points now" in dialog.feedback.text())
    assert dialog.history_model.rows[1][-1] == "Undone"
    with ctx.store.read() as s:
        assert points.balance(s, rich) == 1100


def test_an_assistant_cannot_undo_and_a_refusal_is_worded(qtbot, ctx, rich, say_yes):
    from livedesk.services.loyalty import perks
    from livedesk.ui.loyalty.redeem_dialog import RedeemDialog

    with ctx.store.write() as s:
        perks.redeem(s, rich, "priority_shipping")
    ctx.actor = SimpleNamespace(member_id=None, role="assistant")
    dialog = RedeemDialog(ctx, rich)
    qtbot.addWidget(dialog)
    _select(dialog.history_view, 0)
    assert not dialog.undo_button.isEnabled()
    # Someone else spends the rest between the list being read and the click: the refusal is worded.
    _select(dialog.offers_view, [o.perk.code for o in dialog.offers].index("small_gift"))
    with ctx.store.write() as s:
        perks.redeem(s, rich, "small_gift")
    dialog.redeem_button.click()
    qtbot.waitUntil(lambda: "costs 100 points; the customer has 0" in dialog.feedback.text())


def test_the_customer_page_has_the_redeem_button(qtbot, ctx, rich):
    from livedesk.ui.customer_view import CustomerView

    view = CustomerView(ctx)
    qtbot.addWidget(view)
    assert view.redeem_button.text() == "Redeem…"


def test_the_settings_page_edits_the_catalogue_and_refuses_a_bad_perk(qtbot, ctx):
    from livedesk.services.loyalty import perks
    from livedesk.ui.loyalty.perks_box import PerkCatalogueBox
    from livedesk.ui.settings_page import SettingsPage

    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    box = page.findChild(PerkCatalogueBox)
    assert [row[0] for row in box.model.rows] == ["小礼品", "小样", "优先发货", "专属客服"]
    box.code.setText("gift_box")
    box.name.setText("满 100 积分兑换小礼品")
    box.cost.setValue(100)
    box.stock.setValue(30)
    box.tiers["vip"].setChecked(True)
    box.save()
    assert box.feedback.text() == "Saved: 满 100 积分兑换小礼品"
    with ctx.store.read() as s:
        made = next(p for p in perks.catalogue(s) if p.code == "gift_box")
    assert (made.stock, made.tiers) == (30, ["vip"])
    box.clear()
    box.code.setText("x")
    box.save()
    assert box.feedback.text() == "A perk needs a code (up to 32 characters) and a name"


def test_the_coupon_box_makes_a_batch_adds_codes_and_names_a_bad_row(qtbot, ctx):
    from pathlib import Path

    from livedesk.ui.loyalty.coupons_box import CouponBatchesBox

    data = Path(__file__).parent / "data"
    box = CouponBatchesBox(ctx)
    qtbot.addWidget(box)
    box.name.setText("回归券")
    box.rule.setCurrentIndex(box.rule.findData("wakeup"))
    box.create()
    assert box.model.rows[0][:4] == ("回归券", "¥20 off", "Always", "30-day wake-up")
    box.table.selectRow(0)
    box.add_file(box.batches[0].id, str(data / "coupon_codes_export.csv"))
    assert box.feedback.text() == "4 codes added"
    box.add_pasted(box.batches[0].id, "WAKE-0001\nNEW-12345")
    assert box.feedback.text() == "1 codes added; 1 were already in the store and left as they were"
    box.add_file(box.batches[0].id, str(data / "coupon_codes_bad.csv"))
    assert box.feedback.text().startswith("coupon_codes_bad.csv, row 3, column 券码: “bad code!” is not")
    assert box.model.rows[0][4] == "5"


def test_an_ab_test_is_started_read_and_its_winner_made_the_default(qtbot, ctx, say_yes):
    from livedesk.models import MessageTemplate
    from livedesk.services import templates
    from livedesk.ui.loyalty.experiments_dialog import ExperimentsDialog, NewExperimentDialog

    with ctx.store.write() as s:
        templates.ensure_default_templates(s)
        templates.save(s, "followup.wakeup_b", "{称呼}，想您啦！{优惠券}等您来用", name="唤醒 B")
    dialog = ExperimentsDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.title.text() == "No A/B test yet: start one with “New test…”"
    new = NewExperimentDialog(ctx, dialog)
    qtbot.addWidget(new)
    new.accept()
    assert new.error.text() == "A test needs a name (up to 64 characters)"
    new.name.setText("唤醒话术")
    new.choices[0].setCurrentIndex(new.choices[0].findText("沉睡唤醒"))
    new.choices[1].setCurrentIndex(new.choices[1].findText("唤醒 B"))
    new.accept()
    assert new.created_id is not None
    dialog.load(new.created_id)
    assert dialog.title.text() == "唤醒话术: the message of “30-day wake-up”, orders within 14 days"
    assert [row[:3] for row in dialog.variants_model.rows] == [("A", "沉睡唤醒", "0"), ("B", "唤醒 B", "0")]
    assert dialog.variants_model.rows[0][-1] == "control"
    dialog.variants_view.selectRow(1)
    assert dialog.winner_button.isEnabled()
    dialog.make_default()
    assert "Make variant B (唤醒 B) the default of “30-day wake-up” and end the test?" in say_yes
    assert dialog.tests_model.rows[0][2] == "Finished"
    assert dialog.variants_model.rows[1][0] == "B ★"
    with ctx.store.read() as s:
        body = s.scalar(select(MessageTemplate.body).where(MessageTemplate.key == "followup.wakeup"))
    assert body == "{称呼}，想您啦！{优惠券}等您来用"


def test_the_followups_page_opens_the_tests(qtbot, ctx):
    from PySide6.QtWidgets import QPushButton

    from livedesk.ui.followups_page import FollowupsPage

    page = FollowupsPage(ctx)
    qtbot.addWidget(page)
    assert "A/B tests…" in [b.text() for b in page.findChildren(QPushButton)]


def test_the_dashboards_coupon_card_shows_issued_used_and_gmv_per_rule(qtbot, ctx, rich):
    from livedesk.services.loyalty import coupons
    from livedesk.ui.loyalty.coupon_card import CouponFiguresCard

    card = CouponFiguresCard(ctx)
    qtbot.addWidget(card)
    card.show()
    qtbot.waitUntil(lambda: card.empty.isVisible())
    with ctx.store.write() as s:
        batch = coupons.create_batch(s, "生日券", amount_fen=1000)
        coupons.add_codes(s, batch, ["BDAY-0001"])
        coupons.issue(s, batch, rich)
    qtbot.waitUntil(lambda: card.model.rows == [("By hand", "1", "0", "0.0%", "¥0.00")])
    assert not card.empty.isVisible()


def test_the_live_console_has_the_redeem_button_for_the_selected_customer(qtbot, store):
    from livedesk.ui.context import AppContext
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.live_page import LivePage
    from livedesk.ui.search_controller import SearchController
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    search, feeds = SearchController(store, tasks), FeedController(store, tasks)
    page = LivePage(AppContext(store=store, tasks=tasks, language="en"), search, feeds)
    qtbot.addWidget(page)
    assert page.redeem_button.text() == "Redeem…"
    search.shutdown()
    tasks.shutdown()
