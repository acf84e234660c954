"""Message templates: rendering for a real customer, unknown placeholders, defaults, acknowledgement."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from livedesk.models import Customer, FollowUpTask, MessageTemplate, Order, OrderItem
from livedesk.services import compliance, customers, settings, templates
from livedesk.services.customers import NewCustomer
from livedesk.services.templates import TemplateNotAcknowledged, UnknownPlaceholder

NOW = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)


def _customer(s) -> int:
    cid = customers.create(s, NewCustomer("王姐", birthday=date(1990, 3, 8)))
    order_id = s.execute(insert(Order).values(platform="douyin", platform_order_id="6900001", customer_id=cid,
                                              status="completed", total_fen=19_900, ordered_at=NOW - timedelta(days=9))
                         .returning(Order.id)).scalar()
    s.execute(insert(OrderItem).values(order_id=order_id, product_name="玻尿酸补水精华 30ml", amount_fen=19_900))
    s.get(Customer, cid).level = "gold"
    settings.set_value(s, "shop.name", "小鹿美妆")
    return cid


def test_placeholders_are_filled_for_a_real_customer(store):
    with store.write() as s:
        cid = _customer(s)
        text = templates.render(s, "欢迎{等级}{称呼}回家！上次买的{上次购买商品}好用吗？{生日}有惊喜，{店铺}", cid)
        wide = templates.render(s, "｛称呼｝收到{优惠券}", cid, {"优惠券": "满99减20"})
    assert text == "欢迎金钻会员王姐回家！上次买的玻尿酸补水精华 30ml好用吗？3月8日有惊喜，小鹿美妆"
    assert wide == "王姐收到满99减20"


def test_an_unknown_placeholder_is_named_with_the_ones_available(store):
    with store.write() as s:
        cid = _customer(s)
        with pytest.raises(UnknownPlaceholder) as err:
            templates.render(s, "{昵称X}您好", cid)
    message = str(err.value)
    assert message.startswith("UnknownPlaceholder: the template's {昵称X} is not a placeholder; known: {称呼} {等级}")
    assert err.value.code == "unknown_placeholder" and err.value.params["names"] == ["昵称X"]
    assert err.value.names == ["昵称X"]


def test_preview_shows_the_text_unknown_and_empty_placeholders_and_findings(store):
    with store.write() as s:
        _customer(s)
        shown = templates.preview(s, "{称呼}，{专属客服}给您留了全网最低价的{乱码}")
    assert shown.text == "王姐，给您留了全网最低价的{乱码}"
    assert shown.unknown == ["乱码"] and shown.empty == ["专属客服"]
    assert [f.term for f in shown.findings] == ["全网最低价"]


def test_default_templates_are_seeded_once_compliant_and_keep_the_owners_edits(store):
    with store.write() as s:
        s.add(MessageTemplate(key="followup.welcome", kind="followup", name="我的欢迎", body="{称呼}欢迎！"))
        added = templates.ensure_default_templates(s)
        again = templates.ensure_default_templates(s)
        rows = {t.key: t for t in s.scalars(select(MessageTemplate))}
    assert added == len(templates.DEFAULT_TEMPLATES) - 1 and again == 0
    assert rows["followup.welcome"].body == "{称呼}欢迎！"
    for key, _, _, body in templates.DEFAULT_TEMPLATES:
        assert compliance.check(body) == [], key
        assert all(name in templates.PLACEHOLDERS for name in templates.placeholders(body)), key


def test_a_flagged_template_is_refused_until_acknowledged_and_again_after_an_edit(store):
    with store.write() as s:
        cid = _customer(s)
        findings = templates.save(s, "followup.wakeup", "{称呼}，顶级面霜今天最低价")
        template = s.scalar(select(MessageTemplate).where(MessageTemplate.key == "followup.wakeup"))
        assert [f["term"] for f in template.flagged_terms] == [f.term for f in findings] == ["顶级", "最低价"]
        with pytest.raises(TemplateNotAcknowledged, match="顶级、最低价"):
            templates.render_template(s, template.id, cid)
        templates.acknowledge(s, template.id, by="店主")
        assert templates.render_template(s, template.id, cid) == "王姐，顶级面霜今天最低价"
        templates.save(s, "followup.wakeup", "{称呼}，顶级面霜今天最低价，效果第一")
        with pytest.raises(TemplateNotAcknowledged, match="第一"):
            templates.render_template(s, template.id, cid)


def test_the_message_for_a_task_uses_its_coupon_and_product(store):
    with store.write() as s:
        cid = _customer(s)
        templates.ensure_default_templates(s)
        item = s.scalar(select(OrderItem.id))
        wake = FollowUpTask(customer_id=cid, kind="wakeup", due_at=NOW, coupon="回归券")
        refill = FollowUpTask(customer_id=cid, kind="replenish", due_at=NOW, dedupe_key=f"replenish:item:{item}")
        s.add_all([wake, refill])
        s.flush()
        assert "回归券" in templates.task_message(s, wake.id)
        assert "玻尿酸补水精华 30ml应该快用完啦" in templates.task_message(s, refill.id)
