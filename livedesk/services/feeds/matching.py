"""Who a feed viewer is: an in-memory index of customers' platform accounts.

A burst brings thousands of events a second, so matching never queries the database:
``ViewerIndex.load`` reads every account once (run it in the DB executor), and
``match`` is a few dict lookups. Order of trust: the stable platform id, then the
handle, then the nickname, which alone is only ever a *possible* match.
``link_viewer`` records "this viewer is 王姐" and ``ViewerIndex.learn`` makes the
running index know it at once, without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from livedesk.models import Appearance, Customer, PlatformAccount
from livedesk.models.base import utcnow
from livedesk.services.customers import refresh_search_text
from livedesk.services.errors import Refused
from livedesk.services.feeds.events import FeedEvent, normalise_name

VIP_TIERS = ("vip",)
NO_LEVEL = "none"
MAX_CANDIDATES = 20  # a nickname hundreds share says little; the panel shows the first few anyway


class LinkError(Refused):
    """A link that would make one platform account belong to two people, or to nobody."""


@dataclass(frozen=True, slots=True)
class KnownCustomer:
    id: int
    nickname: str
    tier: str
    level: str
    vip: bool  # a VIP tier or any membership level: the host must not miss them


@dataclass(frozen=True, slots=True)
class Match:
    customer: KnownCustomer | None
    how: str | None  # uid | handle | possible | None
    candidates: tuple[KnownCustomer, ...] = ()  # for "possible": everyone with that nickname

    @property
    def certain(self) -> bool:
        return self.how in ("uid", "handle")

    @property
    def vip(self) -> bool:
        return self.certain and self.customer is not None and self.customer.vip


NO_MATCH = Match(None, None)


class ViewerIndex:
    def __init__(self) -> None:
        self._by_uid: dict[tuple[str, str], KnownCustomer] = {}
        self._by_handle: dict[tuple[str, str], tuple[KnownCustomer, ...]] = {}
        self._by_nickname: dict[str, tuple[KnownCustomer, ...]] = {}
        self.loaded_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._by_uid)

    @classmethod
    def load(cls, session: Session, vip_tiers: tuple[str, ...] = VIP_TIERS) -> ViewerIndex:
        """Every customer's accounts and nicknames, in two queries (blocking: use the DB executor)."""
        index = cls()
        people = {
            cid: KnownCustomer(cid, nickname, tier, level, tier in vip_tiers or level != NO_LEVEL)
            for cid, nickname, tier, level in session.execute(
                select(Customer.id, Customer.nickname, Customer.tier, Customer.level))
        }
        # Shared handles and nicknames are gathered in lists and ranked once at the end:
        # adding one by one would re-sort a popular nickname's thousands of owners each time.
        handles: dict[tuple[str, str], list[KnownCustomer]] = {}
        nicknames: dict[str, list[KnownCustomer]] = {}
        for person in people.values():
            nicknames.setdefault(normalise_name(person.nickname), []).append(person)
        for cid, platform, uid, handle, nickname in session.execute(
                select(PlatformAccount.customer_id, PlatformAccount.platform, PlatformAccount.uid,
                       PlatformAccount.handle, PlatformAccount.nickname)):
            person = people[cid]
            if uid:
                index._by_uid[(platform, uid)] = person
            if handle:
                handles.setdefault((platform, handle.casefold()), []).append(person)
            if nickname and nickname != person.nickname:
                nicknames.setdefault(normalise_name(nickname), []).append(person)
        index._by_handle = {key: _ranked(owners) for key, owners in handles.items()}
        index._by_nickname = {key: _ranked(owners) for key, owners in nicknames.items() if key}
        index.loaded_at = utcnow()
        return index

    def match(self, event: FeedEvent) -> Match:
        viewer = event.viewer
        if viewer is None:
            return NO_MATCH
        platform = event.platform
        for uid in (viewer.uid, viewer.numeric_id):
            if uid and (found := self._by_uid.get((platform, uid))) is not None:
                return Match(found, "uid")
        for handle in (viewer.display_id, viewer.short_id):
            if handle and (owners := self._by_handle.get((platform, handle.casefold()))):
                if len(owners) == 1:
                    return Match(owners[0], "handle")
                return Match(owners[0], "possible", owners)  # one handle, two customers: ask a person
        if viewer.nickname and (owners := self._by_nickname.get(normalise_name(viewer.nickname))):
            return Match(owners[0], "possible", owners)
        return NO_MATCH

    def learn(self, customer: KnownCustomer, platform: str, uid: str | None, handle: str | None,
              nickname: str | None) -> None:
        """Know a freshly linked viewer now; the next ``load`` reads the same from the store."""
        if uid:
            self._by_uid[(platform, uid)] = customer
        if handle:
            key = (platform, handle.casefold())
            self._by_handle[key] = _ranked([*self._by_handle.get(key, ()), customer])
        if nickname and (key := normalise_name(nickname)):
            self._by_nickname[key] = _ranked([*self._by_nickname.get(key, ()), customer])


    def forget(self, customer_id: int) -> None:
        """An erased customer is matched no more (and no appearance is recorded for them)."""
        self._by_uid = {k: p for k, p in self._by_uid.items() if p.id != customer_id}
        for table in (self._by_handle, self._by_nickname):
            for key, owners in list(table.items()):
                if any(p.id == customer_id for p in owners):
                    kept = tuple(p for p in owners if p.id != customer_id)
                    if kept:
                        table[key] = kept
                    else:
                        del table[key]


def _ranked(people: list[KnownCustomer]) -> tuple[KnownCustomer, ...]:
    """Distinct, VIPs first: a possible match then points at the one the host must not miss."""
    unique = {p.id: p for p in people}.values()
    return tuple(sorted(unique, key=lambda p: (not p.vip, p.id))[:MAX_CANDIDATES])


def link_viewer(session: Session, customer_id: int, platform: str, uid: str | None, handle: str | None,
                nickname: str | None, vip_tiers: tuple[str, ...] = VIP_TIERS) -> KnownCustomer:
    """Record that this viewer is this customer, so the next event from them matches by id.

    Appearances of the viewer with no customer yet are attributed too. Returns the
    customer for ``ViewerIndex.learn``. Raises ``LinkError`` if the platform id already
    belongs to someone else, or if there is no id or handle to remember them by.
    """
    if not (uid or handle):
        raise LinkError("nickname_only", "a nickname alone cannot be linked: it changes and is shared")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LinkError("customer_not_found", f"customer {customer_id} does not exist", id=customer_id)
    account = None
    if uid:
        account = session.scalar(select(PlatformAccount).where(PlatformAccount.platform == platform,
                                                               PlatformAccount.uid == uid))
        if account is not None and account.customer_id != customer_id:
            raise LinkError("already_linked", f"this {platform} account is already linked to customer {account.customer_id}",
                                platform=platform, customer_id=account.customer_id)
    if account is None and handle:  # an account known by handle only: now we learn its id
        by_handle = select(PlatformAccount).where(PlatformAccount.customer_id == customer_id,
                                                  PlatformAccount.platform == platform,
                                                  PlatformAccount.handle == handle)
        account = session.scalar(by_handle.where(PlatformAccount.uid.is_(None)) if uid else by_handle)
    now = utcnow()
    if account is None:
        account = PlatformAccount(customer_id=customer_id, platform=platform, uid=uid, handle=handle,
                                  nickname=nickname, first_seen_at=now)
        session.add(account)
    else:
        account.uid = account.uid or uid
        account.handle = handle or account.handle
        account.nickname = nickname or account.nickname
    account.last_seen_at = now
    session.flush()
    refresh_search_text(session, customer)
    if uid:
        session.execute(update(Appearance).where(
            Appearance.platform == platform, Appearance.viewer_key == uid, Appearance.customer_id.is_(None)
        ).values(customer_id=customer_id, match="uid"))
    return KnownCustomer(customer.id, customer.nickname, customer.tier, customer.level,
                         customer.tier in vip_tiers or customer.level != NO_LEVEL)
