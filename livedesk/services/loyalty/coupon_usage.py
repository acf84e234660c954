"""Which issued coupons were used: learned from the platforms' order exports, and the figures per rule.

An order export names the coupon in a code column (优惠券码, Discount Code …) on some
platforms and only the discount in money on others (店铺优惠, 优惠金额 …). A code found in
the store marks that code used by that order. An order with a discount but no code uses
the customer's issued, unused code whose batch gives exactly that amount off (issued
before the order, within the batch's days): on those platforms the amount is what the
export tells. Codes are marked with a conditional UPDATE (``used_order_id IS NULL``), so
importing the same file twice changes nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from livedesk.models import CouponBatch, CouponCode, FollowUpTask, Order
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings
from livedesk.services.importing.columns import auto_map, normalise

CODE_HEADERS = ("优惠券码", "券码", "优惠码", "使用优惠券码", "优惠券编码", "Discount Code", "Discount Codes",
                "Coupon Code", "Voucher Code")
DISCOUNT_HEADERS = ("店铺优惠", "店铺优惠金额", "商家优惠", "商家优惠金额", "优惠券金额", "优惠券抵扣", "优惠金额",
                    "Discount Amount", "Seller Discount", "SKU Seller Discount")
MANUAL = "manual"  # the "rule" of codes issued by hand


@dataclass
class UsageSummary:
    by_code: int = 0  # codes marked used because the order named them
    by_amount: int = 0  # codes marked used from the discount amount
    unknown_codes: list[str] = field(default_factory=list)  # named by orders, not issued from this store


@dataclass(frozen=True)
class RuleFigures:
    rule: str  # a follow-up kind, or "manual"
    issued: int
    used: int
    gmv_fen: int  # paid orders that used one of these codes


def _column(headers: list[str], names: tuple[str, ...]) -> str | None:
    wanted = {normalise(n) for n in names}
    return next((h for h in headers if normalise(h) in wanted), None)


def learn_from_file(session: Session, path: str | Path, platform: str | None = None) -> UsageSummary:
    """Mark the codes the orders of an (already imported) export used."""
    from livedesk.services.importing.reading import open_table
    from livedesk.services.importing.values import money_fen

    table = open_table(path)
    order_column = auto_map(table.headers).get("order_id")
    code_column, discount_column = _column(table.headers, CODE_HEADERS), _column(table.headers, DISCOUNT_HEADERS)
    summary = UsageSummary()
    if order_column is None or (code_column is None and discount_column is None):
        return summary  # this export says nothing about coupons
    codes: dict[str, set[str]] = {}
    discounts: dict[str, int] = {}
    wanted = [c for c in (order_column, code_column, discount_column) if c]
    for chunk in table.chunks(columns=wanted):
        for _row, values in chunk.iterrows():
            order_id = _text(values[order_column])
            if not order_id:
                continue
            named = _text(values[code_column]) if code_column else ""
            discount = _text(values[discount_column]) if discount_column else ""
            if named:
                codes.setdefault(order_id, set()).update(c for c in re.split(r"[\s,;，；、]+", named) if c)
            elif discount:
                try:
                    fen = money_fen(discount)
                except ValueError:
                    continue  # the importer reports money it cannot read; a discount is only a hint here
                if fen > 0:
                    discounts[order_id] = discounts.get(order_id, 0) + fen
    orders = _orders(session, list(codes.keys() | discounts.keys()), platform)
    for order_id, named in codes.items():
        order = orders.get(order_id)
        if order is None:
            continue
        for code in sorted(named):
            marked = session.execute(update(CouponCode).where(
                CouponCode.code == code, CouponCode.used_order_id.is_(None)).values(
                used_order_id=order[0], used_at=order[2]).execution_options(synchronize_session=False)).rowcount
            if marked:
                summary.by_code += 1
            elif session.scalar(select(CouponCode.id).where(CouponCode.code == code)) is None:
                summary.unknown_codes.append(code)
    for order_id, fen in discounts.items():
        order = orders.get(order_id)
        if order is not None and _mark_by_amount(session, order, fen):
            summary.by_amount += 1
    return summary


def _text(value: object) -> str:
    # An empty cell reads as None, or as NaN once pandas has lined a row's cells up.
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _orders(session: Session, ids: list[str], platform: str | None) -> dict[str, tuple[int, int, datetime]]:
    found: dict[str, tuple[int, int, datetime]] = {}
    for start in range(0, len(ids), 500):
        statement = select(Order.platform_order_id, Order.id, Order.customer_id, Order.ordered_at).where(
            Order.platform_order_id.in_(ids[start:start + 500]))
        if platform and platform != "livedesk":
            statement = statement.where(Order.platform == platform)
        for order_id, *rest in session.execute(statement):
            found[order_id] = tuple(rest)
    return found


def _mark_by_amount(session: Session, order: tuple[int, int, datetime], fen: int) -> bool:
    order_pk, customer_id, ordered_at = order
    if session.scalar(select(CouponCode.id).where(CouponCode.used_order_id == order_pk)) is not None:
        return False  # this order's coupon is known already
    local_day = ordered_at.astimezone(settings.shop_zone(session)).date()
    candidate = session.scalar(
        select(CouponCode.id).join(CouponBatch, CouponBatch.id == CouponCode.batch_id).where(
            CouponCode.customer_id == customer_id, CouponCode.used_order_id.is_(None),
            CouponCode.issued_at <= ordered_at, CouponBatch.amount_fen == fen,
            or_(CouponBatch.valid_from.is_(None), CouponBatch.valid_from <= local_day),
            or_(CouponBatch.valid_to.is_(None), CouponBatch.valid_to >= local_day),
        ).order_by(CouponCode.issued_at).limit(1))
    if candidate is None:
        return False
    return session.execute(update(CouponCode).where(CouponCode.id == candidate, CouponCode.used_order_id.is_(None))
                           .values(used_order_id=order_pk, used_at=ordered_at)
                           .execution_options(synchronize_session=False)).rowcount == 1


def figures(session: Session, since: datetime | None = None) -> list[RuleFigures]:
    """Per rule (and by hand): codes issued, codes used, and the GMV of paid orders that used one."""
    rule = func.coalesce(FollowUpTask.kind, MANUAL)
    paid = and_(Order.id.is_not(None), Order.status.in_(SPEND_STATUSES))
    statement = (
        select(rule.label("rule"), func.count(CouponCode.id),
               func.count(CouponCode.used_order_id),
               func.coalesce(func.sum(case((paid, Order.total_fen), else_=0)), 0))
        .outerjoin(FollowUpTask, FollowUpTask.id == CouponCode.task_id)
        .outerjoin(Order, Order.id == CouponCode.used_order_id)
        .where(CouponCode.issued_at.is_not(None)).group_by(rule).order_by(rule)
    )
    if since is not None:
        statement = statement.where(CouponCode.issued_at >= since)
    return [RuleFigures(r, int(i), int(u), int(g)) for r, i, u, g in session.execute(statement)]
