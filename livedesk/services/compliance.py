"""The Advertising Law check of sales scripts and message templates.

Owns the matching of a text against the word list shipped in
``resources/compliance/ad_law_terms.json`` (absolute terms and medical/efficacy
claims, by category, with the exemptions of the 2023 enforcement guide) plus the
owner's additions stored in settings. It warns, it never edits: each finding has the
span to highlight and the reason in Chinese, and the caller decides (a flagged
template needs someone's acknowledgement before use, see services/templates.py).

Text and terms are compared in one normal form: NFKC (full-width ``１００％`` and
``ＴＯＰ１`` become ``100%`` and ``top1``), case-folded, with spaces and filler
symbols dropped (``最 低 价`` and ``第*一`` are common dodges). Offsets always refer
to the original text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from livedesk.resources_path import resource_path
from livedesk.services import settings

WORDLIST = ("compliance", "ad_law_terms.json")
SHOP_CATEGORY = "shop"
SHOP_REASON = "店铺自定义的禁用词"
# Dropped before matching; "." stays, or "1.00%" would read as "100%".
_FILLERS = frozenset("*·•_~～-—|/\\'\"`")


@dataclass(frozen=True)
class Finding:
    term: str  # the text as written, text[start:end]
    start: int
    end: int
    category: str  # superlative | ranking | grade | absolute | authority | medical | efficacy | safety | shop
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(text: str) -> tuple[str, list[int]]:
    """The matching form of ``text`` and, for each of its characters, the original index."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in _FILLERS:
            continue
        for piece in unicodedata.normalize("NFKC", ch).casefold():
            if piece.isspace() or piece in _FILLERS:
                continue
            out.append(piece)
            where.append(i)
    return "".join(out), where


@lru_cache(maxsize=1)
def wordlist() -> dict[str, Any]:
    """The shipped list as loaded from resources/ (categories, terms, exemptions)."""
    with resource_path(*WORDLIST).open(encoding="utf-8") as fh:
        return json.load(fh)


def _term_regex(term: str) -> str:
    # A number or a Latin word must stand alone: "TOP1" is not in "TOP10", "100%" not in "1100%".
    body = re.escape(term)
    if term[0].isdigit():
        body = r"(?<![0-9.])" + body
    elif term[0].isascii() and term[0].isalpha():
        body = r"(?<![a-z])" + body
    if term[-1].isdigit():
        body += r"(?![0-9])"
    elif term[-1].isascii() and term[-1].isalpha():
        body += r"(?![a-z])"
    return body


class _Matcher:
    def __init__(self, extra: tuple[tuple[str, str], ...], exempt: tuple[str, ...]) -> None:
        data = wordlist()
        self.meaning: dict[str, tuple[str, str]] = {}
        for category, spec in data["categories"].items():
            for term in spec["terms"]:
                self.meaning.setdefault(normalize(term)[0], (category, spec["reason"]))
        for term, reason in extra:
            key = normalize(term)[0]
            if key:
                self.meaning.setdefault(key, (SHOP_CATEGORY, reason or SHOP_REASON))
        # Longest first: at one position the alternation then takes the longest term.
        ordered = sorted(self.meaning, key=len, reverse=True)
        self.terms = re.compile("|".join(_term_regex(t) for t in ordered)) if ordered else None
        patterns = [e["pattern"] for e in data["exemptions"]]
        patterns += [re.escape(key) for key in (normalize(t)[0] for t in exempt) if key]
        self.exemptions = [re.compile(p) for p in patterns]

    def find(self, text: str) -> list[Finding]:
        if self.terms is None:
            return []
        flat, where = normalize(text)
        exempt = [m.span() for rx in self.exemptions for m in rx.finditer(flat)]
        findings = []
        for m in self.terms.finditer(flat):
            a, b = m.span()
            if any(lo <= a and b <= hi for lo, hi in exempt):
                continue
            category, reason = self.meaning[m.group()]
            start, end = where[a], where[b - 1] + 1
            findings.append(Finding(text[start:end], start, end, category, reason))
        return findings


@lru_cache(maxsize=8)
def _matcher(extra: tuple[tuple[str, str], ...], exempt: tuple[str, ...]) -> _Matcher:
    return _Matcher(extra, exempt)


def check(text: str, extra_terms: Any = (), exempt_terms: Any = ()) -> list[Finding]:
    """Findings in ``text``, in reading order.

    ``extra_terms``: more words to flag, each ``"词"`` or ``{"term": "词", "reason": "…"}``;
    ``exempt_terms``: words never flagged (the shop's trademarks, say).
    """
    extra = tuple(
        (item, "") if isinstance(item, str) else (str(item["term"]), str(item.get("reason") or ""))
        for item in extra_terms
    )
    return _matcher(extra, tuple(str(t) for t in exempt_terms)).find(text)


def check_for_shop(session: Session, text: str) -> list[Finding]:
    """``check`` with the owner's extra and exempt terms from settings."""
    return check(text, settings.get(session, "compliance.extra_terms"),
                 settings.get(session, "compliance.exempt_terms"))
