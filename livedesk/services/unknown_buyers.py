"""Orders whose buyer nobody knows yet (未识别买家), and attaching one to a customer.

An export that withholds its recipients (抖店's encrypted ``##密文``) or gives only an opaque
buyer id leaves orders without a customer: they count in the shop's figures and wait
here. An assistant who finds out whose an order is (the platform's order page, a chat, a
call) attaches it; the store then learns: the order's buyer id, when the platform gave
one, becomes the customer's platform account, so later orders with it match by
themselves, and the other waiting orders with the same buyer id go with it. The
customer's figures (order count, spend, tier, points) are recomputed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from livedesk.models import AuditEntry, Customer, Order, OrderItem, PlatformAccount
from livedesk.models.base import utcnow


class AttachError(ValueError):
    """The attachment cannot be done; ``code`` says why (the UI words it)."""

    NO_ORDER = "no_order"
    NOT_UNKNOWN = "not_unknown"  # the order already has a customer
    NO_CUSTOMER = "no_customer"
    UID_TAKEN = "uid_taken"  # the order's buyer id is another customer's account

    def __init__(self, code: str, message: str, other_id: int | None = None) -> None:
        super().__init__(message)
        self.code, self.other_id = code, other_id


@dataclass(frozen=True)
class UnknownOrder:
    id: int
    platform: str
    platform_order_id: str
    buyer_uid: str | None
    status: str
    total_fen: int
    ordered_at: datetime
    city: str | None
    broadcast_id: int | None
    products: str  # the items' names, for telling orders apart


@dataclass(frozen=True)
class AttachResult:
    customer_id: int
    order_ids: list[int]  # the order asked for first, then those with the same buyer id
    account_linked: bool  # the buyer id became the customer's platform account


def count(session: Session) -> int:
    return session.scalar(select(func.count(Order.id)).where(Order.customer_id.is_(None))) or 0


def unknown_orders(session: Session, limit: int = 500, offset: int = 0) -> list[UnknownOrder]:
    """The waiting orders, newest first."""
    rows = session.execute(
        select(Order.id, Order.platform, Order.platform_order_id, Order.buyer_uid, Order.status, Order.total_fen,
               Order.ordered_at, Order.city, Order.broadcast_id)
        .where(Order.customer_id.is_(None)).order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit).offset(offset)
    ).all()
    names: dict[int, list[str]] = {}
    if rows:
        for order_id, name in session.execute(
            select(OrderItem.order_id, OrderItem.product_name)
            .where(OrderItem.order_id.in_([r.id for r in rows])).order_by(OrderItem.id)
        ):
            names.setdefault(order_id, []).append(name)
    return [UnknownOrder(r.id, r.platform, r.platform_order_id, r.buyer_uid, r.status, r.total_fen, r.ordered_at,
                         r.city, r.broadcast_id, "、".join(n for n in names.get(r.id, []) if n))
            for r in rows]


def attach(session: Session, order_id: int, customer_id: int, actor: str | None = None,
           recompute: bool = True) -> AttachResult:
    """Make ``customer_id`` the buyer of ``order_id`` (and of the waiting orders with its buyer id).

    Raises AttachError (nothing changed) when the order does not exist or already has a
    customer, the customer does not exist, or the buyer id is another customer's account.
    The caller owns the transaction."""
    order = session.get(Order, order_id)
    if order is None:
        raise AttachError(AttachError.NO_ORDER, f"order {order_id} does not exist")
    if order.customer_id is not None:
        raise AttachError(AttachError.NOT_UNKNOWN,
                          f"order {order_id} already belongs to customer {order.customer_id}", order.customer_id)
    if session.get(Customer, customer_id) is None:
        raise AttachError(AttachError.NO_CUSTOMER, f"customer {customer_id} does not exist")
    order_ids = [order_id]
    linked = False
    if order.buyer_uid:
        owner = session.scalar(select(PlatformAccount.customer_id).where(
            PlatformAccount.platform == order.platform, PlatformAccount.uid == order.buyer_uid))
        if owner is not None and owner != customer_id:
            raise AttachError(AttachError.UID_TAKEN, f"buyer id {order.buyer_uid} on {order.platform} is customer "
                              f"{owner}'s account: attach the order to them, or merge the two", owner)
        if owner is None:
            session.add(PlatformAccount(customer_id=customer_id, platform=order.platform, uid=order.buyer_uid,
                                        first_seen_at=order.ordered_at, last_seen_at=order.ordered_at))
            linked = True
        order_ids += list(session.scalars(select(Order.id).where(
            Order.customer_id.is_(None), Order.platform == order.platform, Order.buyer_uid == order.buyer_uid,
            Order.id != order_id).order_by(Order.ordered_at)))
    session.execute(update(Order).where(Order.id.in_(order_ids), Order.customer_id.is_(None))
                    .values(customer_id=customer_id, updated_at=utcnow())
                    .execution_options(synchronize_session=False))
    session.add(AuditEntry(actor=actor, action="order_attach", entity="customer", entity_id=str(customer_id),
                           detail={"orders": order_ids, "buyer_uid": order.buyer_uid, "platform": order.platform,
                                   "account_linked": linked}))
    session.flush()
    customer = session.get(Customer, customer_id)
    if linked and customer is not None:
        from livedesk.services.customers import refresh_search_text

        refresh_search_text(session, customer)  # the buyer id finds them from now on
    if recompute:
        from livedesk.services import points, segments

        points.settle_orders(session)  # the attached orders' growth value
        segments.recompute_customers(session, [customer_id])
    return AttachResult(customer_id, order_ids, linked)
