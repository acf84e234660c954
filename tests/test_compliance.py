"""The Advertising Law check on real live-stream script snippets."""

from __future__ import annotations

import pytest

from livedesk.services import compliance, settings


def terms(text: str, **kw) -> list[tuple[str, str]]:
    return [(f.term, f.category) for f in compliance.check(text, **kw)]


def test_absolute_terms_in_a_typical_script_are_flagged_with_spans_and_reasons():
    text = "这是全网最低价，效果第一，100%纯天然"
    findings = compliance.check(text)
    assert [(f.term, f.category) for f in findings] == [
        ("全网最低价", "absolute"), ("第一", "ranking"), ("100%", "absolute"), ("纯天然", "absolute"),
    ]
    assert all(text[f.start:f.end] == f.term for f in findings)
    assert "广告法" in findings[1].reason


@pytest.mark.parametrize("text", [
    "最佳使用时间是晚上",  # a usage tip
    "这是我们最新款，刚上市",  # own-brand comparison in time
    "最好晚上用，白天注意防晒",  # advice, not a claim
    "第一次来直播间的宝宝扣1",  # order, not a rank
    "一级能效的空调，特级初榨橄榄油",  # official grades
    "TOP10 榜单里挑了三款",  # not TOP1
    "首单立减 20 元",
])
def test_exempt_and_ordinary_phrases_are_not_flagged(text):
    assert compliance.check(text) == []


def test_full_width_and_spaced_out_variants_are_caught_with_original_offsets():
    text = "ＴＯＰ１爆款，１００％好评，价格最 低"
    found = compliance.check(text)
    assert [f.term for f in found] == ["ＴＯＰ１", "１００％", "最 低"]
    assert all(text[f.start:f.end] == f.term for f in found)
    assert terms("销量NO.1") == [("NO.1", "ranking")]
    assert terms("No. 1 的口碑") == [("No. 1", "ranking")]


def test_medical_and_efficacy_claims_are_flagged():
    assert terms("这款面霜能祛斑美白，还能治疗痘痘") == [
        ("祛斑", "efficacy"), ("美白", "efficacy"), ("治疗", "medical"),
    ]
    assert terms("喝了降血糖，抗癌又减肥") == [("降血糖", "medical"), ("抗癌", "medical"), ("减肥", "efficacy")]


def test_the_owner_can_add_terms_and_exempt_a_trademark(store):
    with store.write() as s:
        settings.set_value(s, "compliance.extra_terms", ["秒杀价", {"term": "包邮到家", "reason": "平台不包邮"}])
        settings.set_value(s, "compliance.exempt_terms", ["顶级臻选"])
        found = compliance.check_for_shop(s, "顶级臻选旗舰店，秒杀价包邮到家，顶级品质")
    assert [(f.term, f.category, f.reason) for f in found] == [
        ("秒杀价", "shop", compliance.SHOP_REASON), ("包邮到家", "shop", "平台不包邮"),
        ("顶级", "grade", found[2].reason),
    ]


def test_a_safety_promise_for_pregnant_women_is_flagged():
    assert terms("敏感肌孕妇都能用") == [("孕妇都能用", "safety")]
    assert terms("没有副作用，宝宝都能用") == [("没有副作用", "safety"), ("宝宝都能用", "safety")]
