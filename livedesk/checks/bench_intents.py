"""``livedesk bench intents``: comments tagged per second on one core, by the shop's word list.

The comments are made from stems a live room says (questions, buying, chatter, complaints)
varied with numbers, emoji, full-width letters and traditional spellings, so no two in a
row are the same string; tagging runs in this one thread, timed by its CPU time (one core's
work, however busy the machine is), with the wall-clock rate beside it. ``COMMENT_STEMS`` also gives
``bench feed`` its comment texts, so the feed benchmark tags real-looking comments.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from livedesk.services.feeds.intents import INTENTS, shipped_tagger

COMMENT_STEMS = (
    "扣1", "想要", "上链接", "几号链接", "多少钱", "有优惠券吗", "160/50穿什么码", "几码", "这个色号黄皮适合吗",
    "敏感肌能用吗", "孕妇可以用吗", "还有吗", "没抢到", "什么时候补货", "什么时候发货", "包邮吗", "没收到",
    "瓶子破了", "用了过敏了", "我要退货", "不想要了", "没有过敏", "主播好美", "来了来了", "主播几点下播",
    "刚来，现在讲的是哪个", "回购第三次了，真的好用", "已拍两单", "上车上车", "拍了，几天能到", "口红试一下316",
    "油皮可以用吗", "混油皮用哪个好", "3号链接还有吗", "能便宜点吗", "到手价多少", "身高158体重95斤", "有XL嗎",
    "還有貨嗎", "什麼時候發貨", "质量太差了", "给差评", "哈哈哈哈", "主播加油", "精华早上用还是晚上用", "有人拍了吗",
    "会过敏吗", "会不会过敏", "眼霜适合30岁吗", "显白吗", "冲冲冲", "给我留一套面霜", "面膜一盒几片",
)
COMMENTS = 200_000  # per run; --runs N runs, the median reported
DECORATIONS = ("", "", "", "!", "！！", "😍", "🙋‍♀️", "~", "？", " ", "👍👍", "哈哈", "宝宝们")


def sample_comments(n: int, rng: random.Random) -> list[str]:
    """``n`` varied comments from the stems."""
    out = []
    for i in range(n):
        text = rng.choice(COMMENT_STEMS)
        if rng.random() < 0.3:
            text = f"{rng.choice(DECORATIONS)}{text}{rng.choice(DECORATIONS)}"
        if rng.random() < 0.2:
            text += str(i % 97)
        out.append(text)
    return out


def bench_intents(args: argparse.Namespace) -> dict[str, Any]:
    total = COMMENTS
    comments = sample_comments(total, random.Random(11))
    tagger = shipped_tagger()
    tagger.tag("预热")  # compiled already; one call warms the caches of re
    rates, wall_rates = [], []
    tagged = 0
    for _ in range(max(1, args.runs)):
        # CPU time of this thread: the figure for "one core", whatever else the machine runs;
        # wall-clock time is reported beside it.
        cpu, wall = time.thread_time(), time.perf_counter()
        results = [tagger.tag(text) for text in comments]
        rates.append(total / (time.thread_time() - cpu))
        wall_rates.append(total / (time.perf_counter() - wall))
        tagged = sum(1 for r in results if r)
    counts = {intent: sum(1 for r in results if intent in r) for intent in INTENTS}
    rates.sort()
    wall_rates.sort()
    median = rates[len(rates) // 2]
    return {"comments": total, "runs": len(rates), "comments_per_s": round(median),
            "wall_comments_per_s": round(wall_rates[len(wall_rates) // 2]), "us_per_comment": round(1e6 / median, 2),
            "tagged_ratio": round(tagged / total, 3), "goal_comments_per_s": 50_000, "by_intent": counts}
