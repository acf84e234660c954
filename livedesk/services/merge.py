"""Duplicate customers: find candidate pairs, preview a merge side by side, merge keeping everything.

Finding never compares all pairs. Each kind of evidence is a blocking key: the same full
phone, the same account id or handle on one platform (one pass over the rows, grouped by
key), and nicknames compared only with their neighbours in sorted order within one city
(sorted-neighbourhood blocking, forwards and reversed, scored by rapidfuzz). A nickname
that many people in one city share says nothing and is skipped. The importer's open
``possible_duplicates`` rows join in; a pair someone dismissed ("not the same person") is
a ``dismissed`` row there and is never proposed again (no migration needed).

A merge moves every row that points at the dropped customer to the kept one (each foreign
key to ``customers.id`` has a handler here; a key without one stops the merge), fills the
kept customer's empty fields from the other, deletes the dropped customer, recomputes the
kept customer's caches, tier, level and points, and writes the audit log. The caller owns
the transaction: it all commits or none of it does.
"""

from __future__ import annotations

import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.orm import Session

from livedesk.models import (
    AuditEntry,
    Base,
    Customer,
    CustomerTag,
    FollowUpTask,
    Invitation,
    Note,
    Order,
    PlatformAccount,
    PointsEntry,
    PossibleDuplicate,
    ProfileValue,
    Tag,
)
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import backups, customers, points, segments, team
from livedesk.services.frames import fetch_rows
from livedesk.services.identity_text import clean_phone
from livedesk.services.importing.identity import (
    NAME_MASK_OTHER_PLACE,
    NICKNAME_CITY,
    PHONE_FITS_MASK,
    SAME_HANDLE,
    SAME_PHONE,
)

# Reason codes (the UI words them). The importer's codes mean the same here.
SAME_ACCOUNT_ID = "same_account_id"
DISMISSED_BY_PERSON = "person"  # the reason of a dismissal row for a pair the table did not know
# How much each kind of evidence says on its own; several reasons combine as 1 - Π(1 - w).
WEIGHTS = {
    SAME_ACCOUNT_ID: 0.95,
    SAME_PHONE: 0.9,
    SAME_HANDLE: 0.7,
    PHONE_FITS_MASK: 0.6,
    NAME_MASK_OTHER_PLACE: 0.5,
    NICKNAME_CITY: 0.4,
}
OTHER_WEIGHT = 0.3
MIN_SIMILARITY = 85  # rapidfuzz ratio of two nicknames' skeletons to call them similar
MIN_FUZZY_LENGTH = 3  # shorter nicknames must be identical: 王姐 and 王哥 are two people
MAX_NAMESAKES = 3  # more customers with one nickname in one city: the nickname is common, not evidence
NEIGHBOURS = 4  # how far down the sorted list a nickname is compared
MAX_GROUP_PAIRS = 8  # a key shared by more customers pairs each with the oldest only (a placeholder phone)

# Customer columns a merge takes from the dropped customer when the kept one has none.
FIELDS = ("nickname", "real_name", "phone", "phone_masked", "gender", "birthday", "province", "city", "address",
          "assigned_member_id", "consent_at", "consent_channel", "consent_note")
# An invitation's answers, least to most informative: a merged pair keeps the most informative.
RSVP_RANK = {"waitlisted": 0, "invited": 1, "no_answer": 2, "declined": 3, "no_show": 4, "accepted": 5,
             "attended": 6}
CUSTOMERS = Customer.__table__
ADDRESS = ("province", "city", "address")  # taken together from one customer


class MergeError(ValueError):
    """A merge or dismissal that cannot be done (same customer twice, unknown customer...)."""


# --- finding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    customer_id: int  # the smaller id
    other_id: int
    reasons: tuple[str, ...]
    score: float  # 0..1
    nicknames: tuple[str, str]
    similarity: int | None = None  # nickname similarity 0..100 when that is a reason


@dataclass
class Findings:
    candidates: list[Candidate]  # best first, at most ``limit``
    total: int  # candidates found before the limit
    by_reason: dict[str, int]
    dismissed_skipped: int
    elapsed_ms: float


Evidence = dict[tuple[int, int], dict[str, float]]  # (smaller id, larger id) -> {reason: strength 0..100}


def find_duplicates(session: Session, *, limit: int | None = None, min_score: float = 0.0) -> Findings:
    """Candidate duplicate pairs, best first: each with its reasons and a score."""
    started = time.perf_counter()
    conn = session.connection()
    c, a, p = CUSTOMERS.c, PlatformAccount.__table__.c, PossibleDuplicate.__table__.c
    _cols, people = fetch_rows(conn, select(c.id, c.nickname, c.phone, c.city))
    _cols, accounts = fetch_rows(conn, select(a.customer_id, a.platform, a.uid, a.handle))
    evidence: Evidence = defaultdict(dict)
    _add_groups(evidence, ((cid, _phone_key(phone)) for cid, _nick, phone, _city in people if phone), SAME_PHONE)
    uid_owners = _add_groups(evidence, ((cid, _account_key(platform, _uid_key(uid)))
                                        for cid, platform, uid, _h in accounts if uid), SAME_ACCOUNT_ID)
    # One source stored the platform's id as a handle (a 抖音号 typed in), another as the id.
    for cid, platform, _uid, handle in accounts:
        if handle and (owner := uid_owners.get(_account_key(platform, handle.strip()))) not in (None, cid):
            evidence[(owner, cid) if owner < cid else (cid, owner)][SAME_ACCOUNT_ID] = 100.0
    _add_groups(evidence, ((cid, _account_key(platform, _handle_key(handle))) for cid, platform, _u, handle in accounts
                           if handle), SAME_HANDLE)
    _nickname_pairs(people, evidence)
    for low, high, reason in conn.execute(select(p.customer_id, p.other_id, p.reason).where(p.status == "open")):
        evidence[(low, high)].setdefault(reason, 100.0)
    dismissed = set(conn.execute(select(p.customer_id, p.other_id).where(p.status == "dismissed")).all())

    found = []
    for pair, reasons in evidence.items():
        if pair not in dismissed and (score := _score(reasons)) >= min_score:
            found.append((score, pair, reasons))
    found.sort(key=lambda f: (-f[0], f[1]))
    by_reason: dict[str, int] = defaultdict(int)
    for _score_, _pair_, reasons in found:
        for reason in reasons:
            by_reason[reason] += 1
    shown = found if limit is None else found[:limit]
    wanted = {i for _s, pair, _r in shown for i in pair}
    nicknames = {cid: nick for cid, nick, _phone, _city in people if cid in wanted}
    candidates = [
        Candidate(low, high, tuple(sorted(reasons, key=lambda r: (-WEIGHTS.get(r, OTHER_WEIGHT), r))), score,
                  (nicknames[low], nicknames[high]),
                  round(reasons[NICKNAME_CITY]) if NICKNAME_CITY in reasons else None)
        for score, (low, high), reasons in shown
    ]
    return Findings(candidates, len(found), dict(sorted(by_reason.items())),
                    sum(1 for pair in evidence if pair in dismissed), round((time.perf_counter() - started) * 1000, 1))


def _score(reasons: dict[str, float]) -> float:
    unlikely = 1.0
    for reason, strength in reasons.items():
        unlikely *= 1 - WEIGHTS.get(reason, OTHER_WEIGHT) * strength / 100
    return round(1 - unlikely, 3)


def _add_groups(evidence: Evidence, keyed: Iterable[tuple[int, str | None]], reason: str) -> dict[str, int]:
    """Pair the customers that share a key (None is no key); returns each key's first owner.
    Keys are plain strings and only a shared one gets a list: hundreds of thousands of small
    objects would wake the garbage collector."""
    first: dict[str, int] = {}
    more: dict[str, list[int]] = defaultdict(list)
    for cid, key in keyed:
        if key is not None and first.setdefault(key, cid) != cid:
            more[key].append(cid)
    for key, others in more.items():
        people = sorted({first[key], *others})
        if len(people) < 2:
            continue  # one customer's two accounts with the same handle is no evidence
        if len(people) * (len(people) - 1) // 2 > MAX_GROUP_PAIRS:  # a placeholder phone: a star, not a mesh
            pairs: Iterable[tuple[int, int]] = ((people[0], other) for other in people[1:])
        else:
            pairs = ((x, y) for i, x in enumerate(people) for y in people[i + 1:])
        for pair in pairs:
            evidence[pair][reason] = 100.0
    return first


def _phone_key(phone: str) -> str | None:
    digits = phone if phone.isdigit() else clean_phone(phone)  # stored clean, mostly
    return digits if digits and "*" not in digits and len(digits) >= 7 else None


def _account_key(platform: str, key: str | None) -> str | None:
    return None if key is None else f"{platform}\x1f{key}"


def _uid_key(uid: str) -> str | None:
    # Case stays (a SecUid is base64); width and stray spaces do not.
    return (uid if uid.isascii() else unicodedata.normalize("NFKC", uid)).strip() or None


def _handle_key(handle: str) -> str | None:
    folded = handle.lower() if handle.isascii() else unicodedata.normalize("NFKC", handle).casefold()
    return folded.strip().lstrip("@") or None


def _nickname_pairs(people: list[tuple[Any, ...]], evidence: Evidence) -> None:
    """Similar nicknames in one city: each compared with its next few neighbours in sorted
    order (and in reversed-string order, for a difference at the start), scored by rapidfuzz.
    Nicknames and cities become integer codes, so sorting and comparing is numpy work."""
    skeletons: dict[str, str] = {}
    cities: dict[str, str] = {}
    ids, city_keys, skeleton_keys = [], [], []
    for cid, nickname, _phone, city in people:
        if not nickname or not city:
            continue
        if (skeleton := skeletons.get(nickname)) is None:
            skeleton = skeletons[nickname] = nickname_skeleton(nickname)
        if (place := cities.get(city)) is None:
            place = cities[city] = _city_key(city)
        if skeleton and place:
            ids.append(cid)
            city_keys.append(place)
            skeleton_keys.append(skeleton)
    if len(ids) < 2:
        return
    place_codes, _places = pd.factorize(np.array(city_keys, dtype=object))
    name_codes, names = pd.factorize(np.array(skeleton_keys, dtype=object), sort=True)
    # A nickname that more than a few people in one city share says nothing about identity.
    _keys, inverse, namesakes = np.unique(place_codes.astype(np.int64) * len(names) + name_codes,
                                          return_inverse=True, return_counts=True)
    rare = namesakes[inverse] <= MAX_NAMESAKES
    person, place_codes, name_codes = np.asarray(ids, dtype=np.int64)[rare], place_codes[rare], name_codes[rare]
    lengths = np.fromiter((len(n) for n in names), dtype=np.int64, count=len(names))
    backwards = np.empty(len(names), dtype=np.int64)  # each name's rank when read from its end
    backwards[np.argsort(np.array([n[::-1] for n in names], dtype=object), kind="stable")] = np.arange(len(names))
    for rank in (np.arange(len(names)), backwards):
        order = np.lexsort((person, rank[name_codes], place_codes))
        place, name, who = place_codes[order], name_codes[order], person[order]
        for k in range(1, min(NEIGHBOURS, len(who) - 1) + 1):
            near = np.flatnonzero(place[:-k] == place[k:])
            first, second = name[near], name[near + k]
            same = first == second
            similarity = np.full(len(near), 100.0)
            other = np.flatnonzero(~same)
            if len(other):
                similarity[other] = process.cpdist(names[first[other]].tolist(), names[second[other]].tolist(),
                                                   scorer=fuzz.ratio)
            similar = (similarity >= MIN_SIMILARITY) & (
                same | (np.minimum(lengths[first], lengths[second]) >= MIN_FUZZY_LENGTH))
            for x, y, score in zip(who[near[similar]].tolist(), who[near[similar] + k].tolist(),
                                   similarity[similar].tolist()):
                held = evidence[(x, y) if x < y else (y, x)]
                held[NICKNAME_CITY] = max(held.get(NICKNAME_CITY, 0.0), score)


def nickname_skeleton(nickname: str) -> str:
    """A nickname without case, width, spaces, punctuation or symbols: "Jenny ~" and "ｊｅｎｎｙ" meet."""
    folded = unicodedata.normalize("NFKC", nickname).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _city_key(city: str) -> str:
    text = unicodedata.normalize("NFKC", city).strip()
    return text[:-1] if len(text) > 1 and text.endswith("市") else text


def dismiss(session: Session, a: int, b: int, actor: str | None = None) -> None:
    """"Not the same person": the pair is never proposed again. The caller commits."""
    low, high = _pair(session, a, b)
    now = utcnow()
    p = PossibleDuplicate
    marked = session.execute(
        update(p).where(p.customer_id == low, p.other_id == high).values(status="dismissed", resolved_at=now)
    ).rowcount
    if not marked:
        session.add(p(customer_id=low, other_id=high, reason=DISMISSED_BY_PERSON, status="dismissed",
                      resolved_at=now))
    session.add(AuditEntry(actor=actor, action="duplicate_dismiss", entity="customer", entity_id=str(low),
                           detail={"customers": [low, high]}))
    session.flush()


def _pair(session: Session, a: int, b: int) -> tuple[int, int]:
    if a == b:
        raise MergeError(f"customer {a} twice: a pair needs two customers")
    known = set(session.scalars(select(Customer.id).where(Customer.id.in_((a, b)))))
    missing = [str(x) for x in (a, b) if x not in known]
    if missing:
        raise customers.NotFound(f"customer {', '.join(missing)} does not exist")
    return min(a, b), max(a, b)


# --- preview and merge -----------------------------------------------------------------


@dataclass
class Side:
    """One customer as the merge screen shows it."""

    id: int
    fields: dict[str, Any]  # FIELDS plus created_at
    profile: dict[str, str]
    accounts: list[tuple[str, str | None, str | None]]  # platform, uid, handle
    order_count: int
    gmv_fen: int  # paid and completed orders
    note_count: int
    notes: list[str]  # the latest few, pinned first
    tags: list[str]
    points_balance: int
    tier: str
    level: str
    open_tasks: int
    invitations: int


@dataclass(frozen=True)
class FieldChoice:
    field: str  # a customer column, or "profile.<field>"
    keep: Any
    drop: Any
    merged: Any
    source: str  # keep | drop | same | empty | earliest


@dataclass
class MergePreview:
    keep: Side
    drop: Side
    fields: list[FieldChoice]
    merged: Side  # the kept customer after the merge (computed by merging and rolling back)
    moves: dict[str, int]  # rows per table that move to the kept customer
    reasons: list[str]  # why the pair was proposed, as recorded


@dataclass
class MergeResult:
    kept_id: int
    dropped_id: int
    moves: dict[str, int]
    filled: dict[str, Any]  # fields the kept customer took from the dropped one
    overridden: dict[str, Any]  # the dropped customer's values that lost to the kept one's (not audited)
    reasons: list[str]
    merged: Side
    audit_id: int | None = None


NOTES_SHOWN = 5


def side(session: Session, customer_id: int) -> Side:
    c = session.get(Customer, customer_id)
    if c is None:
        raise customers.NotFound(f"customer {customer_id} does not exist")
    orders, gmv = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(case((Order.status.in_(SPEND_STATUSES), Order.total_fen),
                                                                 else_=0)), 0))
        .where(Order.customer_id == customer_id)
    ).one()
    return Side(
        id=c.id,
        fields={f: getattr(c, f) for f in (*FIELDS, "created_at")},
        profile=dict(session.execute(select(ProfileValue.field, ProfileValue.value)
                                     .where(ProfileValue.customer_id == customer_id)
                                     .order_by(ProfileValue.field)).all()),
        accounts=[tuple(r) for r in session.execute(
            select(PlatformAccount.platform, PlatformAccount.uid, PlatformAccount.handle)
            .where(PlatformAccount.customer_id == customer_id).order_by(PlatformAccount.id))],
        order_count=int(orders),
        gmv_fen=int(gmv),
        note_count=_count(session, Note, Note.customer_id == customer_id),
        notes=list(session.scalars(select(Note.body).where(Note.customer_id == customer_id)
                                   .order_by(Note.pinned.desc(), Note.created_at.desc()).limit(NOTES_SHOWN))),
        tags=list(session.scalars(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                                  .where(CustomerTag.customer_id == customer_id).order_by(Tag.name))),
        points_balance=points.balance(session, customer_id),
        tier=c.tier,
        level=c.level,
        open_tasks=_count(session, FollowUpTask, FollowUpTask.customer_id == customer_id,
                          FollowUpTask.status == "open"),
        invitations=_count(session, Invitation, Invitation.customer_id == customer_id),
    )


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def preview(session: Session, keep_id: int, drop_id: int, now: date | datetime | None = None) -> MergePreview:
    """Both customers side by side, which value wins for each field, and the merged customer.

    The merged customer is what ``merge`` makes: the merge runs in a savepoint and is rolled back.
    """
    _pair(session, keep_id, drop_id)
    keep, drop = side(session, keep_id), side(session, drop_id)
    with session.begin_nested() as savepoint:
        moves, _filled, _overridden, reasons = _merge(session, keep_id, drop_id, now)
        merged = side(session, keep_id)
        savepoint.rollback()
    session.expire_all()
    return MergePreview(keep, drop, field_choices(keep, drop), merged, moves, reasons)


def merge(session: Session, keep_id: int, drop_id: int, actor: str | None = None,
          now: date | datetime | None = None) -> MergeResult:
    """Merge ``drop_id`` into ``keep_id``: everything moves, the dropped customer goes, the
    audit log says what moved. The caller owns the transaction; a verified backup is taken first."""
    team.require(session, "merge")
    _pair(session, keep_id, drop_id)
    backups.before_destructive(session, "before-merge")
    before = {"keep": _brief(side(session, keep_id)), "drop": _brief(side(session, drop_id))}
    moves, filled, overridden, reasons = _merge(session, keep_id, drop_id, now)
    merged = side(session, keep_id)
    # Field names only, never values: an audit entry must not keep the dropped customer's
    # phone and name (they would outlive an erasure of the kept one in every backup).
    entry = AuditEntry(actor=actor, action="merge", entity="customer", entity_id=str(keep_id), detail=_json({
        "kept": keep_id, "dropped": drop_id, "moved": moves, "filled": sorted(filled),
        "overridden": sorted(overridden),
        "reasons": reasons, "before": before, "after": _brief(merged),
    }))
    session.add(entry)
    session.flush()
    return MergeResult(keep_id, drop_id, moves, filled, overridden, reasons, merged, entry.id)


def field_choices(keep: Side, drop: Side) -> list[FieldChoice]:
    """The kept customer's non-empty value wins; an empty one is filled from the other.
    The customer since: the earlier of the two."""
    choices = []
    fill_address = _address_fits({f: keep.fields[f] for f in ADDRESS}, {f: drop.fields[f] for f in ADDRESS})
    for name in FIELDS:
        if name in ADDRESS and not fill_address:  # never the city of one and the street of the other
            a, b = keep.fields[name], drop.fields[name]
            choices.append(FieldChoice(name, a, b, a, "empty" if _empty(a) and _empty(b) else
                                       "same" if a == b else "keep"))
            continue
        choices.append(_choose(name, keep.fields[name], drop.fields[name]))
    a, b = keep.fields["created_at"], drop.fields["created_at"]
    choices.append(FieldChoice("created_at", a, b, min(a, b), "same" if a == b else "earliest"))
    for name in sorted(set(keep.profile) | set(drop.profile)):
        choices.append(_choose(f"profile.{name}", keep.profile.get(name), drop.profile.get(name)))
    return choices


def _choose(name: str, keep: Any, drop: Any) -> FieldChoice:
    if _empty(keep) and _empty(drop):
        return FieldChoice(name, keep, drop, keep, "empty")
    if _empty(keep):
        return FieldChoice(name, keep, drop, drop, "drop")
    return FieldChoice(name, keep, drop, keep, "same" if keep == drop else "keep")


def _address_fits(keep: dict[str, Any], drop: dict[str, Any]) -> bool:
    """May the dropped customer's address fill the kept one's empty parts? Only when it is the
    same place (every part both have agrees) or the kept customer has none: an address is one
    customer's, never 杭州 with 苏州's street."""
    if all(_empty(v) for v in keep.values()):
        return True
    return all(_empty(keep[f]) or _empty(drop[f]) or keep[f] == drop[f] for f in ADDRESS)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _brief(s: Side) -> dict[str, Any]:
    return {"orders": s.order_count, "gmv_fen": s.gmv_fen, "points": s.points_balance, "tier": s.tier,
            "level": s.level, "notes": s.note_count, "tags": s.tags, "accounts": len(s.accounts)}


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _merge(session: Session, keep_id: int, drop_id: int, now: date | datetime | None
           ) -> tuple[dict[str, int], dict[str, Any], dict[str, Any], list[str]]:
    unhandled = customer_references() - handled_references()
    if unhandled:  # a new table would lose the dropped customer's rows to a cascade
        raise MergeError("merge does not know how to move " + ", ".join(f"{t}.{c}" for t, c in sorted(unhandled)))
    session.flush()
    # Both rows locked for the merge (a shared server); SQLite's write lock covers it there.
    keep, drop = (session.execute(select(Customer).where(Customer.id == cid).with_for_update()).scalar_one()
                  for cid in (keep_id, drop_id))
    fill_address = _address_fits({f: getattr(keep, f) for f in ADDRESS}, {f: getattr(drop, f) for f in ADDRESS})
    winner = {f: "drop" if _empty(getattr(keep, f)) and (f not in ADDRESS or fill_address) else "keep"
              for f in FIELDS}
    filled = {f: getattr(drop, f) for f in FIELDS if winner[f] == "drop" and not _empty(getattr(drop, f))}
    overridden = {f: getattr(drop, f) for f in FIELDS
                  if winner[f] == "keep" and not _empty(getattr(drop, f)) and getattr(keep, f) != getattr(drop, f)}
    values: dict[str, Any] = dict(filled)
    if drop.created_at < keep.created_at:
        values["created_at"] = drop.created_at
    if keep.source_batch_id != drop.source_batch_id:
        # Reverting either import must not take the merged customer (and the other's data) away.
        values["source_batch_id"] = None
    overridden.update(_profile_conflicts(session, keep_id, drop_id))

    moves: dict[str, int] = {}
    reasons: list[str] = []
    for table, (_columns, handler) in MOVERS.items():
        moved = handler(session, Base.metadata.tables[table], keep_id, drop_id, reasons)
        if moved:
            moves[table] = moved
    session.expire_all()
    session.execute(delete(Customer).where(Customer.id == drop_id))
    if values:
        session.execute(update(Customer).where(Customer.id == keep_id).values(**values))
    kept = session.get(Customer, keep_id)
    customers.refresh_search_text(session, kept)
    session.flush()
    segments.recompute_customers(session, [keep_id], now)
    return moves, filled, overridden, reasons


def _profile_conflicts(session: Session, keep_id: int, drop_id: int) -> dict[str, str]:
    mine = dict(session.execute(select(ProfileValue.field, ProfileValue.value)
                                .where(ProfileValue.customer_id == keep_id)).all())
    theirs = dict(session.execute(select(ProfileValue.field, ProfileValue.value)
                                  .where(ProfileValue.customer_id == drop_id)).all())
    return {f"profile.{k}": v for k, v in theirs.items()
            if not _empty(v) and not _empty(mine.get(k)) and mine.get(k) != v}


# Each mover: (table, kept id, dropped id, reasons out) -> rows moved to the kept customer.
Mover = Callable[[Session, Table, int, int, list[str]], int]


def _move(column: str = "customer_id") -> Mover:
    def move(session: Session, table: Table, keep_id: int, drop_id: int, _reasons: list[str]) -> int:
        col = table.c[column]
        return session.execute(update(table).where(col == drop_id).values({column: keep_id})).rowcount

    return move


def _move_unless_kept_has(key: str) -> Mover:
    """Rows the kept customer has no row for (the same ``key``) move; the rest go with the
    dropped customer: the same tag twice is one tag; a profile field the kept customer has
    keeps its value (the other is in the audit log)."""

    def move(session: Session, table: Table, keep_id: int, drop_id: int, _reasons: list[str]) -> int:
        col, k = table.c["customer_id"], table.c[key]
        if "value" in table.c:  # a blank value is no value: the other customer's fills it
            session.execute(delete(table).where(
                col == keep_id, func.trim(table.c["value"]) == "",
                k.in_(select(k).where(col == drop_id))))
        taken = select(k).where(col == keep_id)
        return session.execute(
            update(table).where(col == drop_id, k.not_in(taken)).values(customer_id=keep_id)).rowcount

    return move


def _move_accounts(session: Session, table: Table, keep_id: int, drop_id: int, _reasons: list[str]) -> int:
    """Accounts move, except one the kept customer already has (same platform and handle, ids
    not in conflict): it is one account, listed once; its stable id is kept if only the dropped
    row knew it."""
    a = PlatformAccount
    kept = {(platform, handle): (account_id, uid) for account_id, platform, handle, uid in session.execute(
        select(a.id, a.platform, a.handle, a.uid).where(a.customer_id == keep_id, a.handle.is_not(None)))}
    for account_id, platform, handle, uid in session.execute(
            select(a.id, a.platform, a.handle, a.uid).where(a.customer_id == drop_id, a.handle.is_not(None))).all():
        same = kept.get((platform, handle))
        if same is None or (uid and same[1] and uid != same[1]):
            continue
        session.execute(delete(a).where(a.id == account_id))
        if uid and not same[1]:
            session.execute(update(a).where(a.id == same[0]).values(uid=uid))
    return session.execute(update(table).where(table.c.customer_id == drop_id).values(customer_id=keep_id)).rowcount


def _move_points(session: Session, table: Table, keep_id: int, drop_id: int, _reasons: list[str]) -> int:
    """Every ledger entry moves. One whose (reason, ref) the kept customer already has gets a
    ref marked with the dropped id, so the unique source key holds and no point is lost."""
    p = PointsEntry
    theirs = session.execute(select(p.id, p.reason, p.ref).where(p.customer_id == drop_id, p.ref.is_not(None))).all()
    if theirs:
        mine = set(session.execute(select(p.reason, p.ref).where(p.customer_id == keep_id,
                                                                 p.ref.is_not(None))).all())
        suffix = f"~m{drop_id}"
        for entry_id, reason, ref in theirs:
            if (reason, ref) in mine:
                session.execute(update(p).where(p.id == entry_id).values(ref=ref[:64 - len(suffix)] + suffix))
    return session.execute(update(p).where(p.customer_id == drop_id).values(customer_id=keep_id)).rowcount


def _move_invitations(session: Session, table: Table, keep_id: int, drop_id: int, _reasons: list[str]) -> int:
    """Invitations to other sessions move. Both invited to one session: one invitation stays,
    with the more informative answer (attended beats accepted beats invited...)."""
    inv = Invitation
    mine = {i.session_id: i for i in session.scalars(select(inv).where(inv.customer_id == keep_id))}
    for theirs in session.scalars(select(inv).where(inv.customer_id == drop_id, inv.session_id.in_(list(mine)))):
        kept = mine[theirs.session_id]
        if RSVP_RANK.get(theirs.status, 0) > RSVP_RANK.get(kept.status, 0):
            kept.status, kept.responded_at, kept.attended_at = theirs.status, theirs.responded_at, theirs.attended_at
            kept.waitlist_position = theirs.waitlist_position
    session.flush()
    return session.execute(update(inv).where(inv.customer_id == drop_id, inv.session_id.not_in(list(mine)))
                           .values(customer_id=keep_id)).rowcount


def _move_duplicates(session: Session, table: Table, keep_id: int, drop_id: int, reasons: list[str]) -> int:
    """The pair's own evidence is resolved by the merge (its reasons go to the audit log); the
    dropped customer's evidence about a third customer now concerns the kept one (a dismissal
    stays a dismissal)."""
    p = PossibleDuplicate
    low, high = min(keep_id, drop_id), max(keep_id, drop_id)
    reasons.extend(sorted(set(session.scalars(select(p.reason).where(p.customer_id == low, p.other_id == high)))))
    session.execute(delete(p).where(p.customer_id == low, p.other_id == high))
    moved = 0
    rows = list(session.scalars(select(p).where((p.customer_id == drop_id) | (p.other_id == drop_id))))
    existing = {(r.customer_id, r.other_id, r.reason): r
                for r in session.scalars(select(p).where((p.customer_id == keep_id) | (p.other_id == keep_id)))}
    for row in rows:
        third = row.other_id if row.customer_id == drop_id else row.customer_id
        a, b = min(keep_id, third), max(keep_id, third)
        same = existing.get((a, b, row.reason))
        if same is not None:
            if row.status == "dismissed":
                same.status, same.resolved_at = "dismissed", row.resolved_at
            session.delete(row)
        else:
            row.customer_id, row.other_id = a, b
            existing[(a, b, row.reason)] = row
            moved += 1
    session.flush()
    return moved


# Every foreign key to customers.id and what a merge does with it. A test fails when a
# table gains one that is not here; ``merge`` refuses to run without it.
MOVERS: dict[str, tuple[tuple[str, ...], Mover]] = {
    "orders": (("customer_id",), _move()),
    "platform_accounts": (("customer_id",), _move_accounts),
    "notes": (("customer_id",), _move()),
    "customer_tags": (("customer_id",), _move_unless_kept_has("tag_id")),
    "profile_values": (("customer_id",), _move_unless_kept_has("field")),
    "points_ledger": (("customer_id",), _move_points),
    "level_changes": (("customer_id",), _move()),
    "followup_tasks": (("customer_id",), _move()),
    "survey_responses": (("customer_id",), _move()),
    "appearances": (("customer_id",), _move()),
    "invitations": (("customer_id",), _move_invitations),
    "possible_duplicates": (("customer_id", "other_id"), _move_duplicates),
}


def customer_references() -> set[tuple[str, str]]:
    """(table, column) of every foreign key to ``customers.id`` in the schema."""
    return {(table.name, fk.parent.name) for table in Base.metadata.tables.values()
            for fk in table.foreign_keys if fk.column.table.name == "customers"}


def handled_references() -> set[tuple[str, str]]:
    return {(table, column) for table, (columns, _mover) in MOVERS.items() for column in columns}


def as_dict(value: Any) -> Any:
    """A preview or result as plain JSON-ready data (dates as ISO text)."""
    return _json(asdict(value))

