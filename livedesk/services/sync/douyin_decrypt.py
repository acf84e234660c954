"""解密收件人: the platform's decryption of an 抖店 order's recipient, only when the owner asks.

抖店 gives orders with the recipient encrypted; its ``order.batchDecrypt`` turns the cipher
texts back into the name and phone, and counts each one against the shop's quota. So it is
never automatic: the shop's owner (``team.require(session, "decrypt_recipients")``, checked
before any quota is spent) picks orders on the unknown-buyers list or a customer's orders.

For each order the cipher texts come from ``order.orderDetail``; only the name and the phone
are decrypted (two per order): they are what identity matching uses, and the address would
cost a third. The decrypted values then go exactly where a file's plain values go: the
importer's identity index finds the customer (full phone, or name + masked phone + city),
a recognisable buyer nobody has yet becomes a customer, and the order is attached
(unknown_buyers.attach: the order's buyer id becomes the customer's account). An order that
already has its customer gives them the name or phone they lacked; evidence pointing at
another customer is a possible duplicate for a person to confirm, never a merge. A virtual
number (is_virtual_tel) is not the buyer's phone and is not used.

Decrypted names and phones are never logged, put in the summary, an audit entry or a report:
the summary counts, and says per order only why it failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import AuditEntry, Customer, Order, PossibleDuplicate
from livedesk.services import team, unknown_buyers
from livedesk.services.identity_text import clean_phone, mask_phone
from livedesk.services.importing import values
from livedesk.services.importing.identity import Buyer, IdentityIndex
from livedesk.services.sync.douyin_api import (BAD_RESPONSE, DECRYPT_BATCH, PLATFORM, DouyinApi,
                                                 DouyinApiError)

PERMISSION = "decrypt_recipients"
PER_ORDER = 2  # cipher texts decrypted per order: the name and the phone

# Why one order was not decrypted (the UI words them).
NO_ORDER = "no_order"  # LiveDesk has no 抖店 order with that number
NOTHING_ENCRYPTED = "nothing_encrypted"  # the platform gave no cipher text for it (nothing to decrypt)
REFUSED = "refused"  # the platform refused this order's cipher texts (closed order, privacy rule…)
RISK_REFUSED = "risk"  # refused by the risk control for now
NOT_ASKED = "not_asked"  # never sent: the platform stopped the run first (quota, risk, permission)
NOBODY = "nobody"  # decrypted, but nothing in it a person could know the buyer by (e.g. a virtual number)
CONFLICT = "conflict"  # the order's buyer id is another customer's account: listed as a possible duplicate

Progress = Callable[[int, int], None]


@dataclass
class DecryptSummary:
    asked: int = 0  # orders asked for
    decrypted: int = 0  # orders whose name or phone came back
    ciphertexts: int = 0  # cipher texts sent: what counted against the quota
    attached: int = 0  # unknown-buyer orders that now have their customer
    customers_created: int = 0
    customers_matched: int = 0
    customers_completed: int = 0  # customers given a name or phone they lacked
    possible_duplicates: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # platform order number -> why (codes above)
    stopped: str | None = None  # the kind (quota, risk, permission…) that ended the run early
    remaining: int | None = None  # the quota left, when the platform says (its answers do not, so far)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decrypt_orders(store: Any, api: DouyinApi, order_numbers: Iterable[str], *,
                   progress: Progress | None = None) -> DecryptSummary:
    """Decrypt the recipients of these 抖店 orders (platform order numbers) and give each order
    its customer. ``store`` is the Store (its units carry who is acting).

    Raises team.PermissionDenied (nothing asked of the platform) unless the acting member may
    decrypt; DouyinApiError when the platform refuses before anything was decrypted. A refusal
    later on (quota used up, risk control) ends the run: what was decrypted so far is kept,
    the rest is listed as NOT_ASKED and ``stopped`` says why."""
    numbers = list(dict.fromkeys(str(n).strip() for n in order_numbers if str(n).strip()))
    summary = DecryptSummary(asked=len(numbers))
    with store.read() as session:
        team.require(session, PERMISSION)
        known = set(session.scalars(select(Order.platform_order_id).where(
            Order.platform == "douyin", Order.platform_order_id.in_(numbers))))
    for number in numbers:
        if number not in known:
            summary.failed[number] = NO_ORDER
    wanted = [n for n in numbers if n in known]
    done = 0
    # Orders in groups whose cipher texts fill one batchDecrypt call.
    for start in range(0, len(wanted), DECRYPT_BATCH // PER_ORDER):
        group = wanted[start:start + DECRYPT_BATCH // PER_ORDER]
        try:
            ciphers = _cipher_texts(api, group, summary)
            sent = [(number, text) for number, pair in ciphers.items() for text in pair if text]
            answers = api.batch_decrypt(sent) if sent else []
        except DouyinApiError as exc:
            if not summary.ciphertexts:
                raise
            summary.stopped = exc.kind
            for number in wanted[start:]:
                summary.failed.setdefault(number, NOT_ASKED)
            break
        summary.ciphertexts += len(sent)  # what the quota counted, answered or not
        recipients = _recipients(ciphers, answers, summary)
        with store.write() as session:
            _apply(session, recipients, summary)
        done += len(group)
        if progress:
            progress(done, len(wanted))
    return summary


def _cipher_texts(api: DouyinApi, numbers: list[str], summary: DecryptSummary) -> dict[str, tuple[str, str]]:
    """number -> (name's cipher text, phone's cipher text), from the platform's order detail."""
    found: dict[str, tuple[str, str]] = {}
    for number in numbers:
        try:
            detail = api.order_detail(number)
        except DouyinApiError as exc:
            if exc.kind not in (PLATFORM, BAD_RESPONSE):  # the connection, the token, the limits: all orders'
                raise
            summary.failed[number] = REFUSED  # this order only (e.g. the platform no longer has it)
            continue
        name, phone = str(detail.get("encrypt_post_receiver") or ""), str(detail.get("encrypt_post_tel") or "")
        if name or phone:
            found[number] = (name, phone)
        else:
            summary.failed[number] = NOTHING_ENCRYPTED
    return found


def _recipients(ciphers: dict[str, tuple[str, str]], answers: list[Any],
                summary: DecryptSummary) -> dict[str, tuple[str | None, str | None]]:
    """number -> (name, phone) as decrypted (None where refused, withheld or virtual)."""
    by_cipher = {(a.auth_id, a.cipher_text): a for a in answers}
    got: dict[str, tuple[str | None, str | None]] = {}
    for number, (name_cipher, phone_cipher) in ciphers.items():
        name_answer, phone_answer = by_cipher.get((number, name_cipher)), by_cipher.get((number, phone_cipher))
        refusals = [a.kind for a in (name_answer, phone_answer) if a is not None and a.kind is not None]
        name = name_answer.text if name_answer is not None and name_answer.kind is None else None
        phone = phone_answer.text if phone_answer is not None and phone_answer.kind is None else None
        if phone_answer is not None and phone_answer.virtual_phone:
            phone = None  # forwards to the buyer for a while: not who they are
        if name is None and phone is None:
            summary.failed[number] = RISK_REFUSED if "risk" in refusals else REFUSED if refusals else NOBODY
            continue
        summary.decrypted += 1
        name = None if name is None or values.withheld(values.unwrap(name)) else values.unwrap(name)
        if phone is not None:
            phone = None if values.phone_withheld(phone) else clean_phone(phone)
        got[number] = (name, phone)
    return got


def _apply(session: Session, recipients: dict[str, tuple[str | None, str | None]], summary: DecryptSummary) -> None:
    """The decrypted recipients as a file's plain values: match, make, attach, complete."""
    if not recipients:
        return
    index = IdentityIndex.load(session.connection())
    orders = {o.platform_order_id: o for o in session.scalars(select(Order).where(
        Order.platform == "douyin", Order.platform_order_id.in_(list(recipients))))}
    actor = team.actor_name(session)
    matched: set[int] = set()
    for number, (name, phone) in recipients.items():
        order = orders.get(number)
        if order is None:  # reverted meanwhile
            summary.failed[number] = NO_ORDER
            continue
        buyer = Buyer("douyin", buyer_id=order.buyer_uid, name=name, phone=phone, city=order.city,
                      address=order.address)
        match = index.match(buyer)
        owner = order.customer_id
        key = match.key if match.key is not None and match.key > 0 else None
        if owner is None:
            if key is None and not buyer.recognisable():
                summary.failed[number] = NOBODY
                continue
            if key is None:
                key = _new_customer(session, buyer, order)
                summary.customers_created += 1
            else:
                matched.add(key)
            try:
                attached = unknown_buyers.attach(session, order.id, key, actor=actor)
            except unknown_buyers.AttachError as exc:  # its buyer id is someone else's: a person decides
                summary.failed[number] = CONFLICT
                if exc.other_id:
                    _possible(session, key, exc.other_id, "same_phone", summary)
                continue
            summary.attached += len(attached.order_ids)  # the order and those with its buyer id
            session.expire_all()  # attach updated rows in bulk: read the orders' owners afresh
            owner = key
        elif key is not None and key != owner:
            _possible(session, owner, key, "same_phone", summary)
        phone_owner = index.by_phone.get(buyer.full_phone) if buyer.full_phone else None
        if _complete(session, session.get(Customer, owner), buyer, phone=phone_owner in (None, owner)):
            summary.customers_completed += 1
        for other, reason in match.possible:
            if other > 0 and other != owner:
                _possible(session, owner, other, reason, summary)
        index.learn(owner, buyer)
    summary.customers_matched += len(matched)
    session.add(AuditEntry(actor=actor, action="recipient_decrypt", entity="order", entity_id=None,
                           detail={"orders": sorted(recipients), "attached": summary.attached}))


def _new_customer(session: Session, buyer: Buyer, order: Order) -> int:
    from livedesk.services.customers import NewCustomer, create

    customer_id = create(session, NewCustomer(nickname=buyer.display_name()[:100], real_name=buyer.name,
                                              phone=buyer.full_phone, city=order.city))
    customer = session.get(Customer, customer_id)
    if customer is not None and buyer.phone:
        customer.phone_masked = buyer.masked_phone
    return customer_id


def _complete(session: Session, customer: Customer | None, buyer: Buyer, *, phone: bool) -> bool:
    """Give the customer the name or full phone they lacked (never overwrite one they have; never
    a phone another customer has: that pair is a possible duplicate instead)."""
    if customer is None:
        return False
    changed = False
    if buyer.name and not customer.real_name:
        customer.real_name, changed = buyer.name, True
    if phone and buyer.full_phone and not customer.phone:
        customer.phone, changed = buyer.full_phone, True
        customer.phone_masked = customer.phone_masked or mask_phone(buyer.full_phone)
    if changed:
        from livedesk.services.customers import refresh_search_text

        refresh_search_text(session, customer)
    return changed


def _possible(session: Session, a: int, b: int, reason: str, summary: DecryptSummary) -> None:
    first, second = sorted((a, b))
    if first == second:
        return
    exists = session.scalar(select(PossibleDuplicate.id).where(
        PossibleDuplicate.customer_id == first, PossibleDuplicate.other_id == second,
        PossibleDuplicate.reason == reason))
    if exists is None:
        session.add(PossibleDuplicate(customer_id=first, other_id=second, reason=reason))
        session.flush()
        summary.possible_duplicates += 1
