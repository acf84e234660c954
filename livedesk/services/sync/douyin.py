"""抖店 order sync: the orders the platform changed since the last sync, imported like an export.

The orders come from ``order.searchList`` by update time, page by page (douyin_api). They
are written as rows of LiveDesk's own import template and go through the file importer,
so every rule of a file import holds here too: one revertible batch, all or nothing, the
same orders twice change nothing, masked or encrypted recipients are "not given", an
order with nothing but the buyer's ``doudian_open_id`` waits on the unknown-buyers list
with that id (attaching it teaches the store the id), and the sync's time is the batch's
export time, so an older export file imported later never overwrites what the API said.

Only masked values are read (``mask_post_receiver``, ``mask_post_tel``, ``mask_post_addr``);
the encrypted ones (``encrypt_post_*``) are never stored, and nothing is decrypted here (the
platform's decrypt call is metered per shop: douyin_decrypt does it for the orders the
owner names).

Nothing is written until every page has arrived; the time the sync covered is kept only
once its import committed, so a sync that failed (a page that never came, the rate limit,
bad credentials) is simply run again.
"""

from __future__ import annotations

import csv
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from livedesk.services import settings
from livedesk.services.importing import ImportCancelled, ImportOptions, import_orders
from livedesk.services.sync.douyin_api import PAGE_SIZE, DouyinApi

FIRST_SYNC_DAYS = 30  # a first sync reaches this far back
# Deep paging is capped on such search APIs (page × size); a window with more orders than
# this is split in two and each half paged on its own.
MAX_PAGED = 10_000
OVERLAP = timedelta(minutes=5)  # each sync starts a little before the last one ended: no edge is missed
SYNCED_UNTIL = "sync.douyin.synced_until"
# 抖店's shop-order status codes (order.searchList ``order_status``), as the importer reads statuses.
STATUS_WORDS = {1: "待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货", 4: "已取消", 5: "已完成"}
REFUND_DONE = 3  # after_sale_info.refund_status: 3 = 退款成功
TEMPLATE = ("order_id", "sub_order_id", "product_name", "product_code", "quantity", "item_amount", "order_total",
            "ordered_at", "paid_at", "status", "after_sale", "buyer_id", "recipient_name", "phone", "province",
            "city", "address")

Progress = Callable[[int, int | None, str], None]


class SyncError(RuntimeError):
    """The platform's orders could not be imported (``errors`` say why)."""

    def __init__(self, message: str, errors: list[Any]) -> None:
        super().__init__(message)
        self.errors = errors  # the importer's RowErrors (rows of the template the sync wrote)


@dataclass
class SyncSummary:
    since: str
    until: str
    pages: int = 0
    api_calls: int = 0
    orders_fetched: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_outdated: int = 0
    orders_without_buyer: int = 0
    customers_created: int = 0
    customers_matched: int = 0
    batch_id: int | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_orders(api: DouyinApi, start: datetime, end: datetime, progress: Progress | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> tuple[list[dict[str, Any]], int]:
    """Every order updated in [start, end], once each (the newest version of one met twice), and
    the number of pages read."""
    found: dict[str, dict[str, Any]] = {}
    pages = _fetch_window(api, int(start.timestamp()), int(end.timestamp()), found, progress, cancelled)
    return list(found.values()), pages


def _fetch_window(api: DouyinApi, first: int, last: int, found: dict[str, dict[str, Any]],
                  progress: Progress | None, cancelled: Callable[[], bool]) -> int:
    """The pages of [first, last] into ``found``; a window holding more orders than paging
    reaches is read as two halves instead."""
    page = pages = 0
    while True:
        if cancelled():
            raise ImportCancelled()
        got = api.search_orders(first, last, page)
        pages += 1
        if page == 0 and got.total > MAX_PAGED and last > first:
            middle = (first + last) // 2
            return pages + _fetch_window(api, first, middle, found, progress, cancelled) + \
                _fetch_window(api, middle + 1, last, found, progress, cancelled)
        for order in got.orders:
            number = str(order.get("order_id") or "")
            if number and int(order.get("update_time") or 0) >= int(found.get(number, {}).get("update_time") or 0):
                found[number] = order
        total_pages = max(1, -(-got.total // PAGE_SIZE))
        if progress:
            progress(page + 1, total_pages, "fetch")
        page += 1
        if len(got.orders) < PAGE_SIZE or page >= total_pages:
            return pages


def _yuan(fen: Any) -> str:
    fen = int(fen or 0)
    return f"{fen // 100}.{fen % 100:02d}"


def _when(seconds: Any) -> str:
    """Unix seconds as the importer reads them (an empty cell for 0: not happened yet)."""
    return str(int(seconds)) if seconds and int(seconds) > 0 else ""


def _place(order: dict[str, Any]) -> tuple[str, str, str]:
    address = order.get("mask_post_addr") or order.get("post_addr") or {}
    province = (address.get("province") or {}).get("name") or ""
    city = (address.get("city") or {}).get("name") or ""
    return province, city, (order.get("mask_post_addr") or {}).get("detail") or ""


def template_rows(orders: list[dict[str, Any]]) -> list[list[str]]:
    """The orders as rows of LiveDesk's import template: one row per sku order (商品单)."""
    rows = []
    for order in orders:
        status = STATUS_WORDS.get(int(order.get("order_status") or 0)) or str(order.get("order_status_desc") or "")
        province, city, address = _place(order)
        shared = [_yuan(order.get("pay_amount")), _when(order.get("create_time")), _when(order.get("pay_time")),
                  status]
        buyer = [str(order.get("doudian_open_id") or ""), str(order.get("mask_post_receiver") or ""),
                 str(order.get("mask_post_tel") or ""), province, city, address]
        lines = order.get("sku_order_list") or [{}]
        for line in lines:
            refunded = int((line.get("after_sale_info") or {}).get("refund_status") or 0) == REFUND_DONE
            rows.append([str(order["order_id"]), str(line.get("order_id") or ""), str(line.get("product_name") or ""),
                         str(line.get("code") or line.get("product_id_str") or line.get("product_id") or ""),
                         str(line.get("item_num") or 1), _yuan(line.get("pay_amount")), *shared,
                         "退款成功" if refunded else "", *buyer])
    return rows


def sync_orders(session_factory: sessionmaker[Session], api: DouyinApi, since: datetime | None = None,
                until: datetime | None = None, *, dry_run: bool = False, actor: str | None = None,
                progress: Progress | None = None, cancel: threading.Event | None = None) -> SyncSummary:
    """Import the orders changed on the platform in [since, until] (default: since the last
    sync, until now). Raises DouyinApiError (nothing written) when the platform fails us,
    SyncError when its orders do not import, ImportCancelled when ``cancel`` is set."""
    until = (until or api.now()).astimezone(timezone.utc).replace(microsecond=0)
    if since is None:
        with session_factory.begin() as session:
            last = settings.get(session, SYNCED_UNTIL)
        since = datetime.fromisoformat(last) - OVERLAP if last else until - timedelta(days=FIRST_SYNC_DAYS)
    since = since.astimezone(timezone.utc)
    summary = SyncSummary(since=since.isoformat(), until=until.isoformat(), dry_run=dry_run)
    cancelled = cancel.is_set if cancel is not None else (lambda: False)
    orders, summary.pages = fetch_orders(api, since, until, progress, cancelled)
    summary.api_calls, summary.orders_fetched = api.calls, len(orders)
    if orders:
        with tempfile.TemporaryDirectory(prefix="livedesk-sync-") as folder:
            path = Path(folder) / f"抖店同步-{until:%Y%m%d-%H%M%S}.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(TEMPLATE)
                writer.writerows(template_rows(orders))
            result = import_orders(session_factory, path, ImportOptions(
                platform="douyin", dry_run=dry_run, actor=actor, exported_at=until), progress, cancel)
        if result.errors:
            raise SyncError(f"{len(result.errors)} of the platform's order rows do not import", result.errors)
        for name in ("orders_created", "orders_updated", "orders_unchanged", "orders_outdated",
                     "orders_without_buyer", "customers_created", "customers_matched", "batch_id"):
            setattr(summary, name, getattr(result, name))
    if not dry_run:
        with session_factory.begin() as session:
            settings.set_value(session, SYNCED_UNTIL, until.isoformat())
    return summary
