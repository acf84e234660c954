"""Helpers several test modules share (imported as ``helpers``: pytest puts tests/ on sys.path).

Fixtures live in conftest.py; these are plain functions and constants, so a test module
never imports another test module (plain ``pytest`` from the root could not import ``tests.``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from livedesk.models import Customer, ImportBatch, Order, OrderItem, PlatformAccount, PointsEntry, PossibleDuplicate

COUNTED = (Customer, PlatformAccount, Order, OrderItem, PointsEntry, PossibleDuplicate, ImportBatch)

# A Douyin viewer as BarrageGrab sends it (64-bit id as a number, SecUid the stable id).
WANG = {"Id": 1234567890123456789, "ShortId": 98765, "DisplayId": "wangjie88", "SecUid": "MS4wLjABAAAAwang",
        "Nickname": "王姐", "Gender": 2, "PayLevel": 12, "FansClub": {"ClubName": "小美家", "Level": 5}}


def bg(type_: int, **data) -> str:
    """A BarrageGrab frame: note ``Data`` is JSON serialised *into a string*."""
    return json.dumps({"Type": type_, "ProcessName": "douyin", "Data": json.dumps(data, ensure_ascii=False)},
                      ensure_ascii=False)


def counts(store) -> dict[str, int]:
    """Rows per table an import writes."""
    with store.write() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def snapshot(store) -> dict[str, list]:
    """Everything an import may touch, except the batch and audit bookkeeping."""
    with store.write() as s:
        return {
            "customers": s.execute(select(Customer.id, Customer.nickname, Customer.phone, Customer.phone_masked,
                                          Customer.city, Customer.search_text, Customer.order_count,
                                          Customer.total_spent_fen).order_by(Customer.id)).all(),
            "orders": s.execute(select(Order.id, Order.platform_order_id, Order.customer_id, Order.status,
                                       Order.total_fen, Order.ordered_at, Order.paid_at).order_by(Order.id)).all(),
            "items": s.execute(select(OrderItem.id, OrderItem.order_id, OrderItem.amount_fen, OrderItem.status)
                               .order_by(OrderItem.id)).all(),
            "points": s.execute(select(PointsEntry.customer_id, PointsEntry.delta, PointsEntry.reason,
                                       PointsEntry.ref).order_by(PointsEntry.id)).all(),
            "duplicates": s.execute(select(PossibleDuplicate.customer_id, PossibleDuplicate.other_id,
                                           PossibleDuplicate.reason)).all(),
        }


# A person to erase or export: someone with a bit of everything the store can hold, whose
# phone, names, nickname and address are unusual enough that a byte search finds only them.
PERSON = {"nickname": "雪莉Shirley", "real_name": "欧阳雪莉", "phone": "13987654321",
          "address": "西湖区文一西路998号", "handle": "shirley_oy", "uid": "MS4wPERSONUID"}


def redeem_in_another_process(url: str, customer_id: int, perk: str, barrier, results) -> None:
    """Run in a child process: wait at ``barrier`` with the others, then redeem; report the outcome."""
    from livedesk.services.loyalty import perks
    from livedesk.services.loyalty.errors import LoyaltyError
    from livedesk.services.store import open_store

    store = open_store(url, migrate=False, backup=False)
    try:
        barrier.wait(timeout=60)
        with store.write() as s:
            results.put(("ok", perks.redeem(s, customer_id, perk).balance))
    except LoyaltyError as e:
        results.put(("refused", e.code))
    finally:
        store.dispose()


def issue_in_another_process(url: str, batch_id: int, customer_ids: list[int], barrier, results) -> None:
    """Run in a child process: wait at ``barrier``, then issue one code per customer; report the codes."""
    from livedesk.services.loyalty import coupons
    from livedesk.services.store import open_store

    store = open_store(url, migrate=False, backup=False)
    try:
        barrier.wait(timeout=60)
        got = []
        for customer_id in customer_ids:
            with store.write() as s:
                got.append(coupons.issue(s, batch_id, customer_id))
        results.put(got)
    finally:
        store.dispose()


def rewrite_xlsx(source, target, edit, extra=None):
    """Copy an XLSX (a zip) part by part, ``edit(name, data) -> data`` on each, adding ``extra``
    parts: workbooks as other tools write them (shared strings, stale dimensions, huge cells)."""
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            dst.writestr(info, edit(info.filename, src.read(info.filename)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target


ROOT = Path(__file__).resolve().parent.parent


def livedesk(*args: str, env: dict[str, str] | None = None, preexec=None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``livedesk ARGS`` as a user runs it: a separate process on this tree's code."""
    return subprocess.run([sys.executable, "-m", "livedesk", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), **(env or {})})


def db_args(store_or_url) -> list[str]:
    """The CLI's arguments that name this store: ``--db PATH`` or ``--db-url URL``."""
    url = getattr(store_or_url, "url", store_or_url)
    if str(url).startswith("sqlite"):
        return ["--db", str(url).split("sqlite:///", 1)[1]]
    return ["--db-url", str(url)]
