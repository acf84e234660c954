"""The in-memory customer index behind search-as-you-type (p95 ≤ 5 ms at 200k customers).

Every customer contributes short keys: each suffix of the nickname and real name (so
any fragment is a key's prefix), full pinyin from each syllable and the initials of
every reading, handles and platform ids, and the phone reversed (so a phone tail is a
prefix). Keys sit in one sorted numpy byte array; a query is two binary searches and
a top-k over the owners found, never a scan. Small typos fall back to rapidfuzz over
the nicknames' pinyin.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Customer, PlatformAccount
from livedesk.services.identity_text import pinyin_readings

KEY_BYTES = 18  # keys are truncated: 6 CJK characters or 18 letters is plenty to tell people apart
TIER_ORDER = {"vip": 0, "potential": 1, "new": 2, "dormant": 3, "lost": 4, "prospect": 5}
# What a key was made from. The host's assistant types what they see, the nickname, so
# nickname keys rank first; a pasted platform id is the last resort.
NICK, NICK_PINYIN, NAME, NAME_PINYIN, HANDLE, PHONE, UID = range(7)
HOW = {NICK: "nickname", NICK_PINYIN: "pinyin", NAME: "name", NAME_PINYIN: "pinyin", HANDLE: "handle",
       PHONE: "phone", UID: "id"}
FUZZY_MIN_SCORE = 80
FUZZY_MAX_CANDIDATES = 1_500


@dataclass(frozen=True)
class Hit:
    id: int
    nickname: str
    tier: str
    level: str
    total_spent_fen: int
    city: str | None
    how: str  # name | pinyin | handle | phone | fuzzy


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _flag(kind: int, starts: bool) -> int:
    return kind * 2 + starts


@lru_cache(maxsize=131072)
def name_keys(name: str, kind: int, pinyin_kind: int) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """Keys of one name with their flags (kind, starts the name); cached, names repeat."""
    keys: list[str] = []
    flags: list[int] = []
    text = normalise(name)
    for i in range(len(text)):
        keys.append(text[i:])
        flags.append(_flag(kind, i == 0))
    for syllables in pinyin_readings(name):
        for i in range(len(syllables)):
            keys.append("".join(syllables[i:]))
            flags.append(_flag(pinyin_kind, i == 0))
        keys.append("".join(s[0] for s in syllables))
        flags.append(_flag(pinyin_kind, True))
    return tuple(k.encode("utf-8")[:KEY_BYTES] for k in keys), tuple(flags)


def contact_keys(phone: str | None, handles: Iterable[str], uids: Iterable[str]) -> tuple[list[bytes], list[int]]:
    keys: list[bytes] = []
    flags: list[int] = []
    for kind, values in ((HANDLE, handles), (UID, uids)):
        for value in values:
            keys.append(normalise(value).encode("utf-8")[:KEY_BYTES])
            flags.append(_flag(kind, True))
    if phone:
        tail = phone.rsplit("*", 1)[-1]  # a masked phone still has its last digits
        if tail:
            keys.append(tail[::-1].encode()[:KEY_BYTES])
            flags.append(_flag(PHONE, True))
    return keys, flags


@lru_cache(maxsize=131072)
def _spelled(nickname: str) -> str:
    """The nickname as letters, every reading: what a typo is compared with."""
    return " ".join(["".join(r) for r in pinyin_readings(nickname)] or [normalise(nickname)])


def _penalty_band(kind: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """0: starts the nickname; 1: starts another key; 2: inside a name; 3: a platform id."""
    band = np.where(starts, np.where(kind <= NICK_PINYIN, 0, 1), 2)
    return np.where(kind == UID, 3, band)


class SearchIndex:
    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.nicknames: list[str] = []
        self.tiers: list[str] = []
        self.levels: list[str] = []
        self.cities: list[str | None] = []
        self.spent = np.empty(0, dtype=np.int64)
        self.base_rank = np.empty(0, dtype=np.int64)
        self.keys = np.empty(0, dtype=f"S{KEY_BYTES}")
        self.owners = np.empty(0, dtype=np.int32)
        self.kinds = np.empty(0, dtype=np.int8)
        self.starts = np.empty(0, dtype=bool)
        self._single: dict[str, list[Hit]] = {}  # one-character queries span most keys: answered once
        self._typo_candidates: dict[str, np.ndarray] = {}  # first letter -> best customers spelled so
        self.build_ms = 0.0

    @classmethod
    def build(cls, session: Session) -> SearchIndex:
        started = time.perf_counter()
        index = cls()
        rows = session.execute(
            select(Customer.id, Customer.nickname, Customer.real_name, Customer.phone, Customer.phone_masked,
                   Customer.tier, Customer.level, Customer.total_spent_fen, Customer.city).order_by(Customer.id)
        ).all()
        handles: dict[int, list[str]] = {}
        uids: dict[int, list[str]] = {}
        for cid, handle, uid in session.execute(
            select(PlatformAccount.customer_id, PlatformAccount.handle, PlatformAccount.uid)
        ):
            if handle:
                handles.setdefault(cid, []).append(handle)
            if uid:
                uids.setdefault(cid, []).append(uid)

        index.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        index.nicknames = [r[1] for r in rows]
        index.tiers = [r[5] for r in rows]
        index.levels = [r[6] for r in rows]
        index.cities = [r[8] for r in rows]
        index.spent = np.fromiter((r[7] for r in rows), dtype=np.int64, count=len(rows))
        tier_rank = np.fromiter((TIER_ORDER.get(t, 9) for t in index.tiers), dtype=np.int64, count=len(rows))
        # Best first: VIPs, then by spend. base_rank[i] is customer i's place in that order.
        order = np.lexsort((-index.spent, tier_rank))
        index.base_rank = np.empty(len(rows), dtype=np.int64)
        index.base_rank[order] = np.arange(len(rows))

        keys: list[bytes] = []
        flags: list[int] = []
        counts = np.zeros(len(rows), dtype=np.int64)
        for i, (cid, nickname, real_name, phone, phone_masked, *_rest) in enumerate(rows):
            before = len(keys)
            for name, kind, pinyin_kind in ((nickname, NICK, NICK_PINYIN), (real_name, NAME, NAME_PINYIN)):
                if name:
                    name_k, name_f = name_keys(name, kind, pinyin_kind)
                    keys.extend(name_k)
                    flags.extend(name_f)
            contact_k, contact_f = contact_keys(phone or phone_masked, handles.get(cid, ()), uids.get(cid, ()))
            keys.extend(contact_k)
            flags.extend(contact_f)
            counts[i] = len(keys) - before
        raw = np.array(keys, dtype=f"S{KEY_BYTES}")
        del keys
        sort = np.argsort(raw, kind="stable")
        index.keys = raw[sort]
        index.owners = np.repeat(np.arange(len(rows), dtype=np.int32), counts)[sort]
        packed = np.asarray(flags, dtype=np.int8)[sort]
        index.kinds = packed // 2
        index.starts = (packed % 2).astype(bool)
        for char in "abcdefghijklmnopqrstuvwxyz0123456789":
            index.search(char)
            index._fuzzy(char * 3, 1)  # prepares the typo candidates for that letter
        index.build_ms = (time.perf_counter() - started) * 1000
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        q = normalise(query)
        if not q or not len(self):
            return []
        if len(q) == 1:
            if q not in self._single:
                self._single[q] = self._search(q, max(limit, 50))
            return self._single[q][:limit]
        return self._search(q, limit)

    def _search(self, q: str, limit: int) -> list[Hit]:
        q_bytes = q.encode("utf-8")[:KEY_BYTES]
        spans = [self._prefix_span(q_bytes)]
        if q.isdigit():
            spans.append(self._prefix_span(q[::-1].encode()[:KEY_BYTES]))
        selected = np.concatenate([np.arange(lo, hi) for lo, hi in spans]) if spans else np.empty(0, np.int64)
        if len(selected):
            return self._rank(selected, q_bytes, limit)
        return self._fuzzy(q, limit)

    def _prefix_span(self, prefix: bytes) -> tuple[int, int]:
        lo = int(np.searchsorted(self.keys, prefix, side="left"))
        hi = int(np.searchsorted(self.keys, prefix + b"\xff" * (KEY_BYTES - len(prefix) or 1), side="right"))
        return lo, hi

    def _rank(self, selected: np.ndarray, q_bytes: bytes, limit: int) -> list[Hit]:
        owners = self.owners[selected]
        kinds = self.kinds[selected]
        # The kind of match first (see _penalty_band; the whole nickname typed beats all);
        # within a band, VIPs and big spenders first.
        band = _penalty_band(kinds, self.starts[selected])
        band[(kinds == NICK) & self.starts[selected] & (self.keys[selected] == q_bytes)] = -1
        score = self.base_rank[owners] + band * len(self)
        if len(score) > limit * 50:
            keep = np.argpartition(score, limit * 50)[: limit * 50]
            owners, kinds, score = owners[keep], kinds[keep], score[keep]
        order = np.argsort(score, kind="stable")
        seen: dict[int, int] = {}
        for pos in order:
            owner = int(owners[pos])
            if owner not in seen:
                seen[owner] = int(kinds[pos])
                if len(seen) == limit:
                    break
        return [self._hit(owner, HOW[kind]) for owner, kind in seen.items()]

    def _fuzzy(self, q: str, limit: int) -> list[Hit]:
        """A typo: compare with the best customers whose nickname starts with the same letter.

        Typos rarely hit the first letter; that and a cap on candidates (best ranked
        first) keep this to a few milliseconds even at 200k customers.
        """
        if len(q) < 3:
            return []
        from rapidfuzz import fuzz, process

        owners = self._typo_candidates.get(q[0])
        if owners is None:
            lo, hi = self._prefix_span(q[:1].encode("utf-8"))
            nickname_start = (self.kinds[lo:hi] <= NICK_PINYIN) & self.starts[lo:hi]
            owners = np.unique(self.owners[lo:hi][nickname_start])
            owners = owners[np.argsort(self.base_rank[owners])[:FUZZY_MAX_CANDIDATES]]
            self._typo_candidates[q[0]] = owners
        choices = {int(i): _spelled(self.nicknames[i]) for i in owners}
        found = process.extract(q, choices, scorer=fuzz.partial_ratio, limit=limit * 5,
                                score_cutoff=FUZZY_MIN_SCORE)
        found.sort(key=lambda f: (-f[1], self.base_rank[f[2]]))
        return [self._hit(i, "fuzzy") for _, _, i in found[:limit]]

    def _hit(self, i: int, how: str) -> Hit:
        return Hit(int(self.ids[i]), self.nicknames[i], self.tiers[i], self.levels[i], int(self.spent[i]),
                   self.cities[i], how)

    def forget(self, customer_id: int) -> bool:
        """Drop one customer's keys at once (an erasure), without a rebuild. Returns whether
        they were indexed. Positions stay (owners point into them); the name is blanked."""
        found = np.flatnonzero(self.ids == customer_id)
        if not len(found):
            return False
        i = int(found[0])
        keep = self.owners != i
        self.keys, self.owners = self.keys[keep], self.owners[keep]
        self.kinds, self.starts = self.kinds[keep], self.starts[keep]
        self.nicknames[i], self.cities[i] = "", None
        self._single.clear()
        self._typo_candidates.clear()
        return True
