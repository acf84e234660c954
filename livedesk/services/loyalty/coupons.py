"""Coupon batches and their codes: pasted, read from the platform's coupon export, or generated; issued once.

A batch has one value (¥ off or a discount), a minimum spend and valid days. Codes are
unique in the store; issuing takes a free code with a conditional UPDATE (``WHERE
issued_at IS NULL``), so two people or two laptops issuing at once never hand out the
same code: the loser of a race takes the next free one. A code stays taken once issued
(``issued_at``), even if its customer is later erased. A follow-up rule (wake-up,
birthday, VIP) issues from the batch set for it; a person can issue one by hand.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from livedesk.models import CouponBatch, CouponCode, Customer
from livedesk.models.base import utcnow
from livedesk.services import settings, team
from livedesk.services.customers import NotFound
from livedesk.services.loyalty.errors import LoyaltyError, acting_member

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{4,64}$")
# Letters and digits a person cannot misread (no 0/O, 1/I/L) for codes the app makes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Headers of the code column in the platforms' coupon exports (compared without spaces and case).
CODE_HEADERS = ("券码", "优惠券码", "优惠码", "券号", "兑换码", "优惠券编码", "券编号", "coupon code", "couponcode",
                "voucher code", "code")
CHUNK = 500
RACE_RETRIES = 20  # a lost race moves to the next free code; this many losses in a row is a busy store


@dataclass(frozen=True)
class BatchView:
    id: int
    name: str
    amount_fen: int | None
    percent_paid: int | None
    min_spend_fen: int
    valid_from: date | None
    valid_to: date | None
    rule: str | None
    codes: int
    issued: int
    used: int


@dataclass(frozen=True)
class AddedCodes:
    added: int
    repeated: list[str]  # given twice in the input: added once
    known: list[str]  # already in the store (this batch or another): left as they were


@dataclass(frozen=True)
class IssuedCode:
    code: str
    batch: str
    customer_id: int
    nickname: str
    task_id: int | None
    issued_at: datetime | None
    used_order_id: int | None


def create_batch(session: Session, name: str, *, amount_fen: int | None = None, percent_paid: int | None = None,
                 min_spend_fen: int = 0, valid_from: date | None = None, valid_to: date | None = None,
                 rule: str | None = None) -> int:
    team.require(session, "manage_coupons")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise LoyaltyError("bad_batch", "a coupon batch needs a name (up to 64 characters)")
    if (amount_fen is None) == (percent_paid is None):
        raise LoyaltyError("bad_value", f"coupon batch {name}: give either an amount off or a discount, one of them")
    if amount_fen is not None and amount_fen <= 0:
        raise LoyaltyError("bad_value", f"coupon batch {name}: the amount off must be more than 0")
    if percent_paid is not None and not 0 < percent_paid < 100:
        raise LoyaltyError("bad_value", f"coupon batch {name}: a discount pays 1–99 % of the price, not {percent_paid}")
    if min_spend_fen < 0:
        raise LoyaltyError("bad_value", f"coupon batch {name}: the minimum spend cannot be negative")
    if valid_from and valid_to and valid_to < valid_from:
        raise LoyaltyError("bad_dates", f"coupon batch {name}: it ends ({valid_to}) before it starts ({valid_from})")
    if session.scalar(select(CouponBatch.id).where(CouponBatch.name == name)) is not None:
        raise LoyaltyError("batch_exists", f"there is already a coupon batch called {name}")
    batch = CouponBatch(name=name, amount_fen=amount_fen, percent_paid=percent_paid, min_spend_fen=min_spend_fen,
                        valid_from=valid_from, valid_to=valid_to)
    session.add(batch)
    session.flush()
    if rule:
        set_rule(session, batch.id, rule)
    return batch.id


def set_rule(session: Session, batch_id: int, rule: str | None) -> None:
    """The follow-up rule that issues from this batch (one batch per rule); None: issued by hand only."""
    from livedesk.services.followups.config import KINDS

    team.require(session, "manage_coupons")
    batch = _batch(session, batch_id)
    if rule is not None and rule not in KINDS:
        raise LoyaltyError("bad_rule", f"unknown follow-up rule {rule!r}: use one of {', '.join(KINDS)}")
    if rule is not None:
        session.execute(update(CouponBatch).where(CouponBatch.rule == rule, CouponBatch.id != batch_id)
                        .values(rule=None).execution_options(synchronize_session=False))
    batch.rule = rule
    session.flush()


def batch_for_rule(session: Session, rule: str) -> int | None:
    return session.scalar(select(CouponBatch.id).where(CouponBatch.rule == rule))


def parse_codes(text: str) -> list[str]:
    """Codes pasted as lines, or separated by commas, semicolons or spaces; a malformed one is refused."""
    codes = [c for c in re.split(r"[\s,;，；、]+", text or "") if c]
    bad = [c for c in codes if not CODE_PATTERN.match(c)]
    if bad:
        raise LoyaltyError("bad_code", "these are not coupon codes (4–64 letters, digits, - or _): "
                           + ", ".join(bad[:5]) + (" …" if len(bad) > 5 else ""), codes=bad)
    return codes


def read_code_file(path: str | Path) -> list[str]:
    """The codes of a coupon export (CSV or XLSX): the column headed 券码 / 优惠券码 / Coupon Code …,
    or the only column of a plain list. A file where no column says so is refused, naming its headers."""
    from livedesk.services.importing.reading import ReadError, open_table

    path = Path(path)
    try:
        table = open_table(path)
        wanted = {h.replace(" ", "").lower() for h in CODE_HEADERS}
        column = next((h for h in table.headers if str(h).replace(" ", "").lower() in wanted), None)
        if column is None and len(table.headers) == 1:
            # A one-column list without a header: its first line is a code too.
            header = str(table.headers[0]).strip()
            codes = [header] if CODE_PATTERN.match(header) else []
            column = table.headers[0]
        elif column is None:
            raise LoyaltyError("no_code_column", f"{path.name}: no column of coupon codes; expected one headed "
                               f"券码 or 优惠券码 (the file has: {', '.join(map(str, table.headers))})",
                               file=path.name, headers=", ".join(map(str, table.headers)))
        else:
            codes = []
        for chunk in table.chunks(columns=[column]):
            for row, value in chunk[column].items():
                if value is None or not str(value).strip():
                    continue
                value = str(value).strip()
                if not CODE_PATTERN.match(value):
                    raise LoyaltyError("bad_code_cell", f"{path.name}, row {row}, column {column}: {value!r} is "
                                       "not a coupon code (4–64 letters, digits, - or _)",
                                       file=path.name, row=row, column=column, value=value)
                codes.append(value)
    except ReadError as e:
        raise LoyaltyError("unreadable", f"{path.name}: {e}", file=path.name) from e
    return codes


def add_codes(session: Session, batch_id: int, codes: Iterable[str]) -> AddedCodes:
    """Add codes to a batch; a code the store has already is reported and left alone, never moved."""
    team.require(session, "manage_coupons")
    _batch(session, batch_id)
    seen: set[str] = set()
    repeated, fresh = [], []
    for code in codes:
        (repeated if code in seen else fresh).append(code)
        seen.add(code)
    known: set[str] = set()
    for start in range(0, len(fresh), CHUNK):
        known.update(session.scalars(select(CouponCode.code).where(CouponCode.code.in_(fresh[start:start + CHUNK]))))
    new = [c for c in fresh if c not in known]
    if new:
        session.execute(CouponCode.__table__.insert(), [{"batch_id": batch_id, "code": c} for c in new])
        from livedesk.services import changes

        changes.touch(session, "coupon_codes")
    return AddedCodes(len(new), repeated, sorted(known))


def generate_codes(session: Session, batch_id: int, count: int, prefix: str = "", length: int = 8) -> list[str]:
    """Make ``count`` new random codes (``prefix`` + letters and digits nobody misreads) in the batch."""
    team.require(session, "manage_coupons")
    if not 0 < count <= 100_000:
        raise LoyaltyError("bad_count", f"generate 1 to 100000 codes at a time, not {count}")
    prefix = (prefix or "").strip().upper()
    if prefix and not re.fullmatch(r"[0-9A-Z_\-]{1,16}", prefix):
        raise LoyaltyError("bad_prefix", f"a code prefix is up to 16 letters, digits, - or _, not {prefix!r}")
    made: list[str] = []
    while len(made) < count:  # a code that happens to exist already is drawn again
        candidates = list(dict.fromkeys(prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))
                                        for _ in range(count - len(made))))
        known = set(add_codes(session, batch_id, candidates).known)
        made.extend(c for c in candidates if c not in known)
    return made


def issue(session: Session, batch_id: int, customer_id: int, *, task_id: int | None = None,
          now: datetime | None = None) -> str:
    """Give the batch's next free code to a customer (and the task carrying it). Returns the code."""
    now = now or utcnow()
    batch = _batch(session, batch_id)
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist")
    today = now.astimezone(settings.shop_zone(session)).date()
    if batch.valid_to and today > batch.valid_to:
        raise LoyaltyError("batch_expired", f"coupon batch {batch.name} was valid until {batch.valid_to}",
                           batch=batch.name)
    member_id, _role = acting_member(session)
    for _attempt in range(RACE_RETRIES):
        free = session.execute(select(CouponCode.id, CouponCode.code).where(
            CouponCode.batch_id == batch_id, CouponCode.issued_at.is_(None)).order_by(CouponCode.id).limit(1)).first()
        if free is None:
            raise LoyaltyError("batch_empty", f"coupon batch {batch.name} has no codes left to issue",
                               batch=batch.name)
        taken = session.execute(
            update(CouponCode).where(CouponCode.id == free.id, CouponCode.issued_at.is_(None))
            .values(customer_id=customer_id, task_id=task_id, issued_at=now, issued_by_id=member_id)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            return free.code
    raise LoyaltyError("busy", f"coupon batch {batch.name}: others kept taking the free codes; try again")


def batches(session: Session) -> list[BatchView]:
    c = CouponCode
    counts = (select(c.batch_id, func.count().label("codes"),
                     func.sum(case((c.issued_at.is_not(None), 1), else_=0)).label("issued"),
                     func.sum(case((c.used_order_id.is_not(None), 1), else_=0)).label("used"))
              .group_by(c.batch_id).subquery())
    b = CouponBatch
    rows = session.execute(
        select(b.id, b.name, b.amount_fen, b.percent_paid, b.min_spend_fen, b.valid_from, b.valid_to, b.rule,
               counts.c.codes, counts.c.issued, counts.c.used)
        .outerjoin(counts, counts.c.batch_id == b.id).order_by(b.created_at.desc(), b.id.desc()))
    return [BatchView(*row[:8], int(row.codes or 0), int(row.issued or 0), int(row.used or 0)) for row in rows]


def issued_codes(session: Session, *, customer_id: int | None = None, batch_id: int | None = None,
                 limit: int = 500) -> list[IssuedCode]:
    """Who got which code, newest first: for one customer or one batch."""
    statement = (select(CouponCode.code, CouponBatch.name, CouponCode.customer_id, Customer.nickname,
                        CouponCode.task_id, CouponCode.issued_at, CouponCode.used_order_id)
                 .join(CouponBatch, CouponBatch.id == CouponCode.batch_id)
                 .join(Customer, Customer.id == CouponCode.customer_id)
                 .order_by(CouponCode.issued_at.desc(), CouponCode.id.desc()).limit(limit))
    if customer_id is not None:
        statement = statement.where(CouponCode.customer_id == customer_id)
    if batch_id is not None:
        statement = statement.where(CouponCode.batch_id == batch_id)
    return [IssuedCode(*row) for row in session.execute(statement)]


def _batch(session: Session, batch_id: int) -> CouponBatch:
    batch = session.get(CouponBatch, batch_id)
    if batch is None:
        raise NotFound(f"coupon batch {batch_id} does not exist")
    return batch
