"""Comment intents: the shipped word list measured on a labelled set, and the rules that shape it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livedesk.cli import main
from livedesk.services import settings
from livedesk.services.feeds.intents import INTENTS, normalise, tag, tagger_for, tagger_for_shop
from helpers import db_args

LABELLED = Path(__file__).parent / "data" / "comment_intents.jsonl"
GOAL = 0.9


def labelled() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores() -> dict[str, tuple[float, float, int]]:
    tp = dict.fromkeys(INTENTS, 0)
    fp, fn = dict(tp), dict(tp)
    for row in labelled():
        got, want = set(tag(row["text"])), set(row["intents"])
        for intent in INTENTS:
            tp[intent] += intent in got and intent in want
            fp[intent] += intent in got and intent not in want
            fn[intent] += intent in want and intent not in got
    return {i: (tp[i] / max(1, tp[i] + fp[i]), tp[i] / max(1, tp[i] + fn[i]), tp[i] + fn[i]) for i in INTENTS}


def test_the_labelled_set_is_big_and_varied_enough_to_mean_something():
    rows = labelled()
    assert len(rows) >= 300
    assert len({r["text"] for r in rows}) == len(rows)  # no duplicates padding the count
    assert all(set(r["intents"]) <= set(INTENTS) for r in rows)
    negatives = [r for r in rows if not r["intents"]]
    assert len(negatives) >= 80  # chatter and hard negatives ("不想要", "没有过敏") are a good part of it
    for intent in INTENTS:
        assert sum(intent in r["intents"] for r in rows) >= 20, intent


@pytest.mark.parametrize("intent", INTENTS)
def test_each_intent_has_precision_and_recall_of_at_least_0_9_on_the_labelled_set(intent):
    precision, recall, support = scores()[intent]
    assert precision >= GOAL, f"{intent}: precision {precision:.3f} over {support} labelled"
    assert recall >= GOAL, f"{intent}: recall {recall:.3f} over {support} labelled"


@pytest.mark.parametrize("text", ["不想要", "不想要了", "我不要了", "没有过敏", "用了不过敏", "没有差评", "不想退货",
                                  "用了没长痘"])
def test_a_negated_term_is_no_intent(text):
    assert tag(text) == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("有人拍了吗", ()),  # asking others, not buying
    ("会不会漏液", ()),  # a worry, not a complaint
    ("会过敏吗", ("suitability",)),  # and the worry is a suitability question
    ("我是敏感肌", ()),  # a statement: suitability is asked
    ("敏感肌能用吗", ("suitability",)),
    ("有没有满减", ("price",)),  # 有没有 asks, it does not negate
])
def test_question_forms_decide_whether_a_term_counts(text, expected):
    assert tag(text) == expected


def test_full_width_traditional_numbers_and_emoji_read_like_plain_text():
    assert normalise("ＸＬ 有嗎？😍") == "xl有吗?"
    assert tag("有ＸＬ嗎") == ("size",)
    assert tag("已下單，什麼時候發貨") == ("buy", "shipping")
    assert tag("想要🙋‍♀️🙋‍♀️！！") == ("buy",)
    assert tag("1111111") == ("buy",)
    assert tag("160/50kg穿什么码") == ("size",)
    assert tag("") == () and tag(None) == ()


def test_intents_come_in_one_fixed_order():
    assert tag("上链接！想要，多少钱") == ("buy", "link", "price")


def test_the_owners_words_extend_the_list_and_unknown_intents_are_refused(store):
    assert tag("蹲一个") == ()
    assert tagger_for([{"term": "蹲一个", "intent": "buy"}]).tag("蹲一个！") == ("buy",)
    assert tagger_for((), ["会员福利"]).tag("今天有会员福利吗") == ()  # an ignored term hides 福利
    with pytest.raises(ValueError, match="unknown intent"):
        tagger_for([{"term": "蹲一个", "intent": "wish"}])
    with store.write() as session:
        settings.set_value(session, "intents.extra_terms", [{"term": "蹲一个", "intent": "buy"}])
    with store.read() as session:
        assert tagger_for_shop(session).tag("蹲一个") == ("buy",)


def test_intents_check_prints_a_comments_intents(store, tmp_path, capsys):
    db = db_args(store)
    assert main([*db, "intents", "check", "想要，160/50穿什么码", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"text": "想要，160/50穿什么码", "intents": ["buy", "size"]}
    assert main([*db, "intents", "check", "不想要"]) == 0
    assert capsys.readouterr().out.strip() == "none"


def test_feed_watch_json_has_intents_on_every_event(store, tmp_path, capsys):
    db = db_args(store)
    assert main([*db, "feed", "watch", "--format", "replay", "--speed", "0", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events and all(isinstance(e["intents"], list) for e in events)
    by_text = {e["content"]: e["intents"] for e in events if e["kind"] == "comment"}
    assert by_text["能便宜点吗"] == ["price"]
    assert by_text["已下单，什么时候发货"] == ["buy", "shipping"]
    assert by_text["主播几点下播"] == []
    assert all(e["intents"] == [] for e in events if e["kind"] != "comment")


def test_bench_intents_reports_the_rate_and_what_it_tagged(monkeypatch):
    import argparse

    from livedesk.checks import bench
    from livedesk.checks import bench_intents

    monkeypatch.setattr(bench_intents, "COMMENTS", 2_000)
    result = bench.run("intents", argparse.Namespace(runs=1))
    assert result["bench"] == "intents" and result["comments"] == 2_000
    assert result["comments_per_s"] > 0 and result["wall_comments_per_s"] > 0
    assert 0.3 < result["tagged_ratio"] < 1 and sum(result["by_intent"].values()) > 0
