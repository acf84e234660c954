"""Who bought this order: matching an import row's buyer to one customer, never guessing.

Evidence in the order the design sets: the platform's stable buyer id, then the handle,
then a full phone, then recipient name + masked phone + city (or address) — all a 抖店
export gave before it encrypted recipients, so one buyer's repeat orders there become one customer. Each resolved
order teaches the index its keys, so later rows of the same import find that customer.
Weaker evidence (another customer with the same phone or handle, a full phone that fits
another customer's masked one under the same name, the same name and masked phone in
another city, the same nickname in the same city) is returned as a possible duplicate
for a person to confirm; it never merges anyone. A buyer with nothing a person could know
them by (the export withheld it all, or gave only an opaque buyer id nobody has yet) is
nobody's: the importer keeps their orders without a customer (see ``Buyer.recognisable``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Connection, select

from livedesk.models import Customer, PlatformAccount
from livedesk.services.identity_text import is_masked_phone, mask_phone

# Reason codes of a possible duplicate (the UI words them).
SAME_PHONE = "same_phone"
SAME_HANDLE = "same_handle"
PHONE_FITS_MASK = "phone_fits_masked"
NAME_MASK_OTHER_PLACE = "same_name_masked_phone"
NICKNAME_CITY = "same_nickname_city"
LOAD_PART = 20_000  # rows between progress ticks while the index is loaded


def _norm(text: str | None) -> str | None:
    if not text:
        return None
    return _fold(text)


@lru_cache(maxsize=1 << 17)  # names, handles and cities repeat from row to row
def _fold(text: str) -> str | None:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return " ".join(folded.split()) or None


@dataclass(frozen=True, slots=True)  # one per distinct buyer of an import: hundreds of thousands
class Buyer:
    """The identity evidence one order carries."""

    platform: str
    buyer_id: str | None = None
    handle: str | None = None
    name: str | None = None
    phone: str | None = None  # digits, or masked with * (138****5678)
    city: str | None = None
    address: str | None = None

    @property
    def full_phone(self) -> str | None:
        return self.phone if self.phone and not is_masked_phone(self.phone) else None

    @property
    def masked_phone(self) -> str | None:
        return mask_phone(self.phone) if self.phone else None

    def is_empty(self) -> bool:
        return not (self.buyer_id or self.handle or self.name or self.phone)

    def recognisable(self) -> bool:
        """Whether a person could know this buyer again: a nickname, a name or a full phone.

        A platform's buyer id alone (an opaque open id) or a masked phone alone matches a
        customer who has it, but never makes one: such an order waits for an assistant to
        say whose it is."""
        return bool(self.handle or self.name or self.full_phone)

    def display_name(self) -> str:
        return self.handle or self.name or self.masked_phone or self.buyer_id or "?"


class Keys(NamedTuple):
    """The index's keys for one buyer (None where the buyer lacks the evidence)."""

    uid: tuple[str, str] | None  # (platform, buyer id)
    handle: tuple[str, str] | None  # (platform, normalised handle)
    phone: str | None  # a full phone
    name_mask_place: tuple[str, str, str] | None  # name, masked phone, city (or address)
    name_mask: tuple[str, str] | None  # name, masked phone
    handle_city: tuple[str, str] | None  # what a buyer's handle and city look up
    nick_city: tuple[str, str] | None  # what learning them records (a customer's nickname, else the handle)


@dataclass
class Match:
    # A customer id, or a provisional key (< 0) of a customer this import is making, or None.
    # Customers made by an import keep their provisional key in the index: the importer
    # translates it, so the index never needs rewriting.
    key: int | None
    via: str | None  # buyer_id | handle | phone | name_phone_place
    possible: list[tuple[int, str]] = field(default_factory=list)  # (other key, reason)


class IdentityIndex:
    """The store's customers by every key a row can carry, plus those made by this import."""

    def __init__(self) -> None:
        self.by_uid: dict[tuple[str, str], int] = {}
        self.by_handle: dict[tuple[str, str], int] = {}
        self.by_phone: dict[str, int] = {}
        self.by_name_mask_place: dict[tuple[str, str, str], int] = {}
        self.by_name_mask: dict[tuple[str, str], set[int]] = {}
        self.with_full_phone: set[int] = set()
        self.by_nick_city: dict[tuple[str, str], int] = {}

    @classmethod
    def load(cls, conn: Connection, tick: Callable[[int], None] | None = None) -> IdentityIndex:
        """Every platform account and customer of the store; ``tick(rows_so_far)`` every few
        thousand rows (a progress report, and the place to stop a cancelled run)."""
        index = cls()
        done = 0
        accounts = conn.execute(select(PlatformAccount.platform, PlatformAccount.uid, PlatformAccount.handle,
                                       PlatformAccount.customer_id))
        for part in accounts.partitions(LOAD_PART):
            for platform, uid, handle, cid in part:
                index.learn(cid, Buyer(platform, uid, handle))
            done += len(part)
            if tick:
                tick(done)
        customers = conn.execute(select(Customer.id, Customer.nickname, Customer.real_name, Customer.phone,
                                        Customer.phone_masked, Customer.city, Customer.address))
        for part in customers.partitions(LOAD_PART):
            for cid, nickname, name, phone, masked, city, address in part:
                index.learn(cid, Buyer("", name=name, phone=phone or masked, city=city, address=address),
                            nickname=nickname)
            done += len(part)
            if tick:
                tick(done)
        return index

    @staticmethod
    def keys(buyer: Buyer, nickname: str | None = None) -> Keys:
        """Every key ``buyer`` can be looked up or learnt by, worked out once."""
        p = buyer.platform
        handle, name, place = _norm(buyer.handle), _norm(buyer.name), _norm(buyer.city or buyer.address)
        full = buyer.full_phone
        masked = buyer.masked_phone if name and buyer.phone else None
        nick = _norm(nickname) or handle
        return Keys(
            uid=(p, buyer.buyer_id) if buyer.buyer_id else None,
            handle=(p, handle) if handle else None,
            phone=full,
            name_mask_place=(name, masked, place) if masked is not None and place else None,
            name_mask=(name, masked) if masked is not None else None,
            handle_city=(handle, _norm(buyer.city)) if handle and buyer.city else None,
            nick_city=(nick, _norm(buyer.city)) if nick and buyer.city else None,
        )

    def match(self, buyer: Buyer, keys: Keys | None = None) -> Match:
        k = keys or self.keys(buyer)
        candidates = (
            ("buyer_id", self.by_uid.get(k.uid) if k.uid else None),
            ("handle", self.by_handle.get(k.handle) if k.handle else None),
            ("phone", self.by_phone.get(k.phone) if k.phone else None),
            ("name_phone_place", self.by_name_mask_place.get(k.name_mask_place) if k.name_mask_place else None),
        )
        hits = [(via, key) for via, key in candidates if key is not None]
        found = Match(hits[0][1], hits[0][0]) if hits else Match(None, None)
        # Weaker evidence pointing at someone else: a person decides.
        for via, key in hits[1:]:
            if key != found.key:
                found.possible.append((key, SAME_PHONE if via in ("phone", "name_phone_place") else SAME_HANDLE))
        found.possible.extend(self.fitting_masks(buyer, found, k))
        if k.handle_city:
            key = self.by_nick_city.get(k.handle_city)
            if key is not None and key != found.key:
                found.possible.append((key, NICKNAME_CITY))
        if len(found.possible) > 1:
            found.possible = list(dict.fromkeys(found.possible))
        return found

    def fitting_masks(self, buyer: Buyer, found: Match, keys: Keys | None = None) -> list[tuple[int, str]]:
        """Others under the same name whose masked phone ``buyer``'s phone fits.

        The only part of a match that can change when the same buyer comes again later in
        an import (the others this index learnt meanwhile): see ``mask_group``.
        """
        k = keys or self.keys(buyer)
        if k.name_mask is None:
            return []
        possible = []
        for key in self.by_name_mask.get(k.name_mask, ()):
            if key == found.key:
                continue
            if k.phone and key not in self.with_full_phone:
                possible.append((key, PHONE_FITS_MASK))
            elif found.via != "phone":
                possible.append((key, NAME_MASK_OTHER_PLACE))
        return possible

    @staticmethod
    def finds_again(keys: Keys) -> bool:
        """Whether, once learnt, these keys match that customer again: they include one that
        ``match`` looks up (a name alone does not, so such rows stay separate customers)."""
        return bool(keys.uid or keys.handle or keys.phone or keys.name_mask_place)

    def mask_group(self, keys: Keys) -> set[int] | None:
        """The customers known under these keys' name and masked phone (None: no such evidence).

        The set grows as the index learns; while it holds only the buyer's own customer, the
        same buyer matched again finds nothing new."""
        return self.by_name_mask.get(keys.name_mask) if keys.name_mask else None

    def learn(self, key: int, buyer: Buyer, nickname: str | None = None, keys: Keys | None = None) -> None:
        """Remember ``buyer``'s keys as ``key``'s (a key already taken keeps its customer)."""
        k = keys if keys is not None and nickname is None else self.keys(buyer, nickname)
        if k.uid:
            self.by_uid.setdefault(k.uid, key)
        if k.handle:
            self.by_handle.setdefault(k.handle, key)
        if k.phone:
            self.by_phone.setdefault(k.phone, key)
            self.with_full_phone.add(key)
        if k.name_mask:
            if k.name_mask_place:
                self.by_name_mask_place.setdefault(k.name_mask_place, key)
            self.by_name_mask.setdefault(k.name_mask, set()).add(key)
        if k.nick_city:
            self.by_nick_city.setdefault(k.nick_city, key)
