"""What a comment wants: buy, link, price, size, shade, suitability, stock, shipping, complaint.

Owns the tagging of one comment with zero or more intents, by the word list shipped in
``resources/intents/comment_intents.json`` plus the owner's additions in settings
(``intents.extra_terms``, ``intents.ignore_terms``). Rules, not a model: a host's team
can read why a comment was tagged and add the word their room uses.

A comment is first put in one form (``normalise``): full-width to half-width, the
traditional characters the word list can meet to simplified, lower case, and
everything that is not a letter, a digit, ``?``, ``/`` or ``+`` dropped (spaces,
punctuation, emoji: "想要😍！" reads "想要"). Traditional characters come from a small
hand mapping (``_TRADITIONAL``) rather than OpenCC: a term can only match through the
characters it is written with, so the mapping needs the ~200 characters of the shipped
list and the negation/question words, and it keeps tagging a single ``str.translate``
(OpenCC's Python packages are either a compiled extension the frozen build must carry
or a pure-Python converter ten times slower than the whole tagger).

A trie-shaped regular expression finds every literal term, longest first at each position,
and a second one the patterns that do not overlap a term. A found term does not count when:

- it is ``negatable`` and a negation word stands just before it ("不想要", "没有过敏"), unless
  that word asks ("有没有满减");
- it is ``question_cancels`` and a question tail follows it ("拍了吗": asking, not buying);
- it is ``hypothetical_cancels`` and a word like 会/怕/万一 stands before it ("会不会破");
- it is ``needs_question`` and the comment is not a question ("我是敏感肌" says, "敏感肌能用吗" asks).

Tagging is pure Python on one core, ~4 µs a comment (``livedesk bench intents``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from livedesk.resources_path import resource_path
from livedesk.services import settings

WORDLIST = ("intents", "comment_intents.json")
# The order intents are reported in, and the codes the UI puts into words.
INTENTS = ("buy", "link", "price", "size", "shade", "suitability", "stock", "shipping", "complaint")
QUESTIONS = ("size", "shade", "suitability", "price", "shipping")  # what the host answers on air
_TAIL_QUESTION = re.compile(r"[了过]?(吗|么|嘛|没|\?)")
NONE: tuple[str, ...] = ()

# Traditional -> simplified for the characters the word list and its negation and question
# words use (and their common neighbours in comments). Kept by hand: see the module docstring.
_TRADITIONAL = (
    "單单 貨货 麼么 時时 發发 們们 鏈链 連连 價价 錢钱 號号 碼码 幾几 嗎吗 還还 補补 過过 膚肤 質质 買买 賣卖 來来 車车 優优 "
    "種种 顏颜 適适 婦妇 沒没 評评 換换 這这 個个 會会 點点 歲岁 應应 該该 寶宝 現现 結结 郵邮 運运 費费 長长 爛烂 臉脸 "
    "問问 題题 與与 無无 裡里 裏里 讓让 給给 試试 樣样 贈赠 滿满 減减 紅红 錯错 訂订 檢检 查查 東东 裝装 壞坏 對对 號号 "
    "嬰婴 兒儿 遠远 區区 褲裤 腳脚 圍围 歡欢 喜喜 從从 擔担 萬万 許许 驚惊 麗丽 達达 圓圆 豐丰 順顺 遞递 訊讯 貴贵 塊块 "
    "惠惠 劃划 稱称 體体 偏偏 顯显 黃黄 膚肤 淺浅 號号 異异 異异 鮮鲜 敗败 黴霉 癢痒 腫肿 疹疹 瘡疮 騙骗 訴诉 際际 圖图 "
    "實实 說说 話话 麼么 這这 吧吧 庫库 斷断 缺缺 搶抢 罄罄 場场 進进 輕轻 學学 黨党 孩孩 糖糖 尿尿 壓压 碎碎 漏漏 "
    "擠挤 粉粉 們们 兩两 瓶瓶 盒盒 條条 雙双 帶带 衛卫 隻只 齊齐 門门 開开 關关 頭头 邊边 後后 麵面 備备 懷怀 孕孕 "
    "經经 暈晕 閉闭 悶闷 痘痘 卡卡 熬熬 夜夜 掛挂 購购 鹽盐 標标 準准 盡尽 參参 贊赞 歸归 線线 擁拥 積积 蟲虫 醫医 "
    "藥药 療疗 資资 員员 養养 濕湿 潤润 鎖锁 證证 類类 黑黑 滅灭 陽阳 熱热 涼凉 嘆叹 謝谢 誰谁 觀观 幫帮 處处 "
    "寫写 讀读 聽听 隨随 齡龄 馬马 臺台 灣湾 氣气 膠胶 紙纸 絲丝 綠绿 藍蓝 紫紫 棕棕 邊边 禮礼 剛刚 蹲蹲 囤囤 壹一 "
    "貳二 嗎吗 麼么 麽么 吗吗 號号 嘛嘛 够够 夠够"
)


def _translation() -> dict[int, str]:
    table: dict[int, str] = {}
    for pair in _TRADITIONAL.split():
        if pair[0] != pair[1]:
            table[ord(pair[0])] = pair[1]
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII: ＸＬ -> XL, ？ -> ?
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    table[ord("啥")] = "什么"  # 发啥快递 = 发什么快递: one spelling for the word list
    return table


_TABLE = _translation()
_DROP = re.compile(r"[^\w?/+]+")


def normalise(text: str) -> str:
    """The form comments and terms are matched in (see the module docstring)."""
    return _DROP.sub("", text.translate(_TABLE).lower()).replace("_", "")


@lru_cache(maxsize=1)
def wordlist() -> dict[str, Any]:
    """The shipped list as loaded from resources/."""
    with resource_path(*WORDLIST).open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True, slots=True)
class _Rule:
    intents: tuple[str, ...]
    negatable: bool
    question_cancels: bool
    hypothetical_cancels: bool
    needs_question: bool


class IntentTagger:
    """Tags comments; build once (the regular expression is compiled here), call ``tag`` often."""

    def __init__(self, extra_terms: Iterable[tuple[str, str]] = (), ignore_terms: Iterable[str] = ()) -> None:
        data = wordlist()
        specs = data["intents"]
        meaning: dict[str, set[str]] = {}
        patterns: list[tuple[str, str]] = []
        for intent, spec in specs.items():
            for term in spec["terms"]:
                meaning.setdefault(normalise(term), set()).add(intent)
            patterns += [(p, intent) for p in spec.get("patterns", ())]
        for term, intents in data.get("multi", {}).items():
            meaning.setdefault(normalise(term), set()).update(intents)
        for term, intent in extra_terms:
            if intent not in INTENTS:
                raise ValueError(f"unknown intent {intent!r} for {term!r}; choose one of {', '.join(INTENTS)}")
            if key := normalise(term):
                meaning.setdefault(key, set()).add(intent)
        for term in [*data.get("ignore", ()), *ignore_terms]:
            if key := normalise(term):
                meaning[key] = set()  # found, so it hides the shorter terms inside it, but means nothing
        self._rules: dict[str, _Rule | None] = {key: self._rule(specs, intents) for key, intents in meaning.items()}
        self._pattern_rules = [self._rule(specs, {intent}) for _p, intent in patterns]
        # Two expressions, not one: Python's re skips ahead on a literal alternation (and a trie
        # of the terms tries each position in a few steps), but one pattern that may start with
        # any character makes it try every branch at every position: 7x slower together.
        # Patterns run one by one, and only when the comment has a character the pattern cannot
        # match without ("码" for the size patterns...): most comments need none of them.
        self._literals = re.compile(_trie_pattern(meaning)) if any(meaning) else None
        self._patterns = [(re.compile(p), rule) for (p, _intent), rule in zip(patterns, self._pattern_rules)]
        self._always: tuple[int, ...] = ()
        self._by_char: dict[str, tuple[int, ...]] = {}
        for i, (p, _intent) in enumerate(patterns):
            needed = _required_chars(p)
            if needed is None:
                self._always += (i,)
            for ch in needed or ():
                self._by_char[ch] = (*self._by_char.get(ch, ()), i)
        self._negators = tuple(normalise(n) for n in data["negators"])
        self._not_negation = tuple(normalise(n) for n in data["not_negation"])  # 有没有: a question
        self._hypothetical = tuple(normalise(h) for h in data["hypothetical"])
        self._question = re.compile(data["question_words"])

    @staticmethod
    def _rule(specs: dict[str, Any], intents: set[str]) -> _Rule | None:
        if not intents:
            return None
        ordered = tuple(i for i in INTENTS if i in intents)
        flag = lambda name: any(specs[i].get(name, False) for i in ordered)  # noqa: E731
        return _Rule(ordered, flag("negatable"), flag("question_cancels"), flag("hypothetical_cancels"),
                     flag("needs_question"))

    def tag(self, text: str | None) -> tuple[str, ...]:
        """The intents of ``text`` in ``INTENTS`` order; an empty tuple when none."""
        if not text:
            return NONE
        flat = normalise(text)
        # (start, 0 for a term / 1 + n for pattern n, end, rule): where two overlap, the one that
        # starts first stands (a term before a pattern at the same place), as one scan would do.
        hits: list[tuple[int, int, int, _Rule | None]] = []
        if self._literals is not None:
            hits += [(m.start(), 0, m.end(), self._rules.get(m.group())) for m in self._literals.finditer(flat)]
        wanted = set(self._always)
        for ch in set(flat):
            if (indexes := self._by_char.get(ch)) is not None:
                wanted.update(indexes)
        for i in wanted:
            regex, rule = self._patterns[i]
            hits += [(m.start(), 1 + i, m.end(), rule) for m in regex.finditer(flat)]
        if not hits:
            return NONE
        if wanted:
            hits.sort()
        found: set[str] = set()
        question: list[bool] = []  # whether the comment asks, worked out once when a rule needs it
        reached = 0
        for start, _order, end, rule in hits:
            if start < reached:
                continue  # inside an earlier hit (an ignored term too hides what is inside it)
            reached = end
            if rule is not None and self._counts(rule, flat, start, end, question):
                found.update(rule.intents)
        if not found:
            return NONE
        return tuple(i for i in INTENTS if i in found)

    def _counts(self, rule: _Rule, flat: str, start: int, end: int, question: list[bool]) -> bool:
        """Whether a term found at ``flat[start:end]`` stands, by its rule's negation and question flags."""
        if start and (rule.negatable or rule.hypothetical_cancels):
            before = flat[max(0, start - 4):start]
            if rule.negatable and before.endswith(self._negators) and not before.endswith(self._not_negation):
                return False
            if rule.hypothetical_cancels and before.endswith(self._hypothetical):
                return False
        if rule.question_cancels and _TAIL_QUESTION.match(flat, end):
            return False
        if rule.needs_question:
            if not question:
                question.append(self._question.search(flat) is not None)
            return question[0]
        return True


def _required_chars(pattern: str) -> frozenset[str] | None:
    """Characters of which a match of ``pattern`` must contain one, or None if it cannot be told.

    Read from the parsed pattern: every item of its top-level sequence must match, so the
    first item that is a literal, a repeat (at least once) of one, or a group or an
    alternation whose every branch begins with one, names them. A pattern without such an
    item (lookarounds and classes only) runs on every comment.
    """
    try:
        from re import _parser  # the parser re itself uses; only read here

        parsed = _parser.parse(pattern)
    except Exception:  # a Python without it: the pattern runs on every comment
        return None
    for op, arg in parsed:
        found = _first_chars(_parser, op, arg)
        if found is not None:
            return found
    return None


def _first_chars(parser: Any, op: Any, arg: Any) -> frozenset[str] | None:
    if op is parser.LITERAL:
        return frozenset(chr(arg))
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[0] >= 1 and len(arg[2]) >= 1:
        return _first_chars(parser, *arg[2][0])
    if op is parser.SUBPATTERN and len(arg[3]) >= 1:
        return _first_chars(parser, *arg[3][0])
    if op is parser.BRANCH:
        chars: set[str] = set()
        for alternative in arg[1]:
            first = _first_chars(parser, *alternative[0]) if len(alternative) else None
            if first is None:
                return None
            chars |= first
        return frozenset(chars)
    return None


def _trie_pattern(terms: Iterable[str]) -> str:
    """One expression for many literal terms, factored by prefix; at a position the longest term wins."""
    trie: dict[str, Any] = {}
    for term in terms:
        if term:
            node = trie
            for ch in term:
                node = node.setdefault(ch, {})
            node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longer term is tried first

    return build(trie)


@lru_cache(maxsize=8)
def _tagger(extra: tuple[tuple[str, str], ...], ignore: tuple[str, ...]) -> IntentTagger:
    return IntentTagger(extra, ignore)


def shipped_tagger() -> IntentTagger:
    """The shipped word list alone (tests, benchmarks, a source with no store)."""
    return _tagger((), ())


def tagger_for(extra_terms: Any = (), ignore_terms: Any = ()) -> IntentTagger:
    """A tagger with extra terms (``{"term": "词", "intent": "buy"}`` each) and ignored terms."""
    extra = tuple((str(item["term"]), str(item["intent"])) for item in extra_terms)
    return _tagger(extra, tuple(str(t) for t in ignore_terms))


def tagger_for_shop(session: Session) -> IntentTagger:
    """``tagger_for`` with the owner's additions from settings."""
    return tagger_for(settings.get(session, "intents.extra_terms"), settings.get(session, "intents.ignore_terms"))


def tag(text: str | None) -> tuple[str, ...]:
    """``text``'s intents by the shipped word list."""
    return shipped_tagger().tag(text)
