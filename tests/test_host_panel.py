"""The host panel reads at a glance: big nickname and tier, one greeting line in one
language, at most two alerts, numbered queue rows, and nothing cut at 480×720."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtWidgets import QLabel

from livedesk.services.feeds.matching import KnownCustomer
from livedesk.services.panel import Alert, PanelCard, Purchase
from livedesk.ui.feed_controller import Arrival, ArrivalsModel
from livedesk.ui.host_panel import HostPanel

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
NICKNAMES = ["王姐", "清风徐来ya的小号今天也在直播间里逛逛看看买买买", "Sunshine_Lover_2024_forever_and_ever",
             "Mary Ann from the other side of town"]


def full_card(nickname: str) -> PanelCard:
    """Everything a card can carry at once: every alert, purchases, profile, notes."""
    return PanelCard(
        customer_id=1, nickname=nickname, masked_name="王**", masked_phone="138****5678",
        greeting_template="欢迎{等级}{称呼}，今天给您留了好东西", greeting_key="greeting.silver",
        tier="vip", level="silver", level_since=NOW, total_spent_fen=1_500_000, order_count=9,
        purchases=[Purchase("玻尿酸补水精华 30ml", NOW - timedelta(days=d), 19_900) for d in (3, 20, 40)],
        profile=[("肤质", "敏感肌"), ("过敏", "酒精"), ("肤色", "黄一白"), ("关注", "抗初老")],
        pinned_notes=["叫她王姐", "喜欢小样", "周末才看直播"],
        alerts=[Alert("allergy", "过敏: 酒精"), Alert("complaint", "上次快递破损"), Alert("upgrade", "0"),
                Alert("birthday", "2"), Alert("replenish", "玻尿酸补水精华 30ml"), Alert("not_greeted", "")],
    )


def arrivals(n: int) -> ArrivalsModel:
    model = ArrivalsModel()
    model.add([Arrival(customer=KnownCustomer(id=i, nickname=f"老顾客{i}", tier="vip", level="gold", vip=True),
                       how="uid", platform="douyin", uid=f"u{i}", handle=None, nickname=f"老顾客{i}",
                       kind="viewer_entered", content=None, at=time.perf_counter() - 60 * i) for i in range(n)])
    return model


@pytest.fixture
def panel(qtbot):
    def make(card: PanelCard, queue: int = 8, size=(480, 720)) -> HostPanel:
        model = arrivals(queue)
        widget = HostPanel(model, remember_state=False)
        widget.source_model = model  # kept alive as long as the panel
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        widget.show_card(card)
        qtbot.waitExposed(widget)
        return widget
    return make


def shown_labels(widget) -> list[QLabel]:
    return [label for label in widget.findChildren(QLabel) if label.isVisible()]


def assert_nothing_cut(widget: HostPanel, size=(480, 720)) -> None:
    card = widget.card_view
    for label in shown_labels(widget):
        name = label.objectName() or label.text()[:20]
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), name
        else:
            assert label.height() >= label.sizeHint().height(), name
            assert label.width() >= label.sizeHint().width(), name
        if label.parent() is card:
            assert card.rect().contains(label.geometry()), name
    assert widget.minimumSizeHint().width() <= size[0] and widget.minimumSizeHint().height() <= size[1]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("nickname", NICKNAMES)
def test_long_nicknames_fit_the_panel_in_both_languages_with_no_label_cut(panel, ui_language, language, nickname):
    ui_language(language)
    widget = panel(full_card(nickname))
    assert_nothing_cut(widget)
    card = widget.card_view
    shown = {label.objectName(): label for label in card.labels_shown()}
    assert shown["Nickname"].font().pixelSize() >= 40 and shown["Tier"].font().pixelSize() >= 40
    greeting = shown["Greeting"].text()
    assert "\n" not in greeting and greeting.replace("…", "")
    assert len([n for n in shown if n.endswith("Alert")]) == 2  # one safety line, one sales line
    if language == "en":
        assert not {"欢迎", "银钻", "会员"} & {w for w in ("欢迎", "银钻", "会员") if w in greeting}, greeting
    else:
        assert "Silver" not in greeting and "Welcome" not in greeting


def test_the_greeting_names_the_viewer_and_their_level_in_one_language(panel, ui_language):
    card = full_card("王姐")
    card.greeting_key, card.level = "greeting.gold", "gold"
    widget = panel(card, size=(900, 720))  # wide: the long form fits
    assert widget.card_view.labels_shown()[0].text() == "王姐"
    greeting = next(x for x in widget.card_view.labels_shown() if x.objectName() == "Greeting").text()
    assert greeting == "Welcome home, Gold Diamond member 王姐"
    widget.resize(480, 720)  # narrow: the short form, never two lines
    greeting = next(x for x in widget.card_view.labels_shown() if x.objectName() == "Greeting").text()
    assert greeting == "Welcome home, 王姐"
    ui_language("zh_CN")
    widget = panel(card)
    greeting = next(x for x in widget.card_view.labels_shown() if x.objectName() == "Greeting").text()
    assert greeting == "欢迎金钻会员王姐回家"


def test_safety_and_sales_alerts_take_one_line_each_with_their_own_colour(panel):
    widget = panel(full_card("王姐"))
    shown = {label.objectName(): label for label in widget.card_view.labels_shown()}
    safety, sales = shown["SafetyAlert"], shown["SalesAlert"]
    assert "过敏: 酒精" in safety.text() and "上次快递破损" in safety.text()
    assert sales.text() == "Became Silver Diamond member today"  # the best news, not the birthday too
    assert safety.styleSheet() != sales.styleSheet()
    assert "NotGreeted" in shown and "138****5678" not in [label.text() for label in shown.values()
                                                           if label.objectName() != "Masked"]


def test_queue_rows_are_numbered_with_the_time_since_arrival_and_drop_out_before_the_card(panel):
    widget = panel(full_card("王姐"), queue=8)
    model = widget.queue.model()
    assert model.index(0, 0).data().startswith("1  ")
    assert model.index(5, 0).data().startswith("6  ") and not model.index(6, 0).data()[0].isdigit()
    assert "min ago" in model.index(2, 0).data()
    shown_rows = widget.queue.height() // widget.queue.sizeHintForRow(0)
    assert 1 <= shown_rows <= 6
    widget.set_text_scale(1.5)  # a TV across the room: bigger text, fewer rows, still nothing cut
    widget.resize(720, 1080)
    assert_nothing_cut(widget, (720, 1080))


def test_a_smaller_panel_drops_the_lower_sections_whole(panel):
    widget = panel(full_card("王姐"), size=(480, 520))
    names = [label.objectName() for label in widget.card_view.labels_shown()]
    assert names[:2] == ["Nickname", "Tier"] and "Greeting" in names and "SafetyAlert" in names
    assert names.count("Section") < 3
    assert_nothing_cut(widget)


def test_the_wechat_remark_is_never_on_the_panel(store):
    from livedesk.models import ProfileValue
    from livedesk.services import customers
    from livedesk.services.customers import NewCustomer
    from livedesk.services.panel import panel_card

    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="刘姐"))
        s.add(ProfileValue(customer_id=cid, field="wechat", value="刘丽 成都"))
        s.add(ProfileValue(customer_id=cid, field="skin_type", value="油性"))
    with store.read() as s:
        card = panel_card(s, cid, language="zh_CN")
    assert all("刘丽" not in value for _label, value in card.profile) and card.profile  # other fields still shown
