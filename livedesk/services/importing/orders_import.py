"""Importing a platform's order export: all or nothing, idempotent, one batch that can be reverted.

The file is read in chunks cut at order boundaries, so an order spread over several
item rows is one order. Each chunk is parsed and validated; while the file has no error
its orders are written straight away inside one transaction, and the first error turns
the rest of the run into validation only. At the end the transaction commits only if
the whole file was clean, the run was not cancelled and it is not a dry run: anything
else rolls back, so nothing is ever half-imported and a dry run reports exactly what a
real run would do. An order already in the store (same platform and order number) is
updated where the export says something new (status, after-sale, total, payment) and
otherwise left alone, so re-importing a file changes nothing and a newer export marks
refunds without touching the notes, tags or points the team added.

A Qt controller runs ``import_orders`` on a worker thread with its own session factory,
a ``progress(done_rows, total_rows_or_None, phase)`` callback and a cancel event.
"""

from __future__ import annotations

import csv
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import (
    AuditEntry,
    Customer,
    ImportBatch,
    Note,
    Order,
    OrderItem,
    PlatformAccount,
    PointsEntry,
    PossibleDuplicate,
)
from livedesk.models.base import utcnow
from livedesk.services import settings
from livedesk.services.identity_text import search_text
from livedesk.services.importing import values
from livedesk.services.importing.columns import (
    FIELDS,
    ColumnMapping,
    build_mapping,
    detect_platform,
    remember_mapping,
    remembered_mapping,
)
from livedesk.services.importing.identity import Buyer, IdentityIndex
from livedesk.services.importing.reading import CHUNK_ROWS, ReadError, TableFile, open_table

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]
CancelCheck = threading.Event | Callable[[], bool] | None
STORE_PLATFORMS = ("douyin", "taobao", "kuaishou", "channels", "tiktok", "shopify")
# How a platform column may name the platform (LiveDesk's template, mixed exports).
_PLATFORM_NAMES = {
    **{p: p for p in STORE_PLATFORMS},
    "抖音": "douyin", "抖店": "douyin", "淘宝": "taobao", "天猫": "taobao", "千牛": "taobao", "快手": "kuaishou",
    "快手小店": "kuaishou", "视频号": "channels", "视频号小店": "channels", "微信": "channels",
    "tiktok shop": "tiktok",
}
_TEXT_FIELDS = ("sub_order_id", "product_code", "buyer_id", "buyer_handle", "recipient_name", "province", "city",
                "address", "after_sale", "product_name", "phone")
_STORED_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
IN_BATCH = 5_000  # ids per IN (...) lookup: far below every driver's parameter limit
# Column widths of the store: longer text is cut (names, addresses), longer ids refused.
_WIDTH = {"product_name": 200, "address": 200, "recipient_name": 50, "city": 32, "province": 32,
          "buyer_handle": 64, "after_sale": 32}
_ID_WIDTH = {"order_id": 64, "sub_order_id": 64, "buyer_id": 128}
REPORT_SUFFIX = ".import-report.csv"
ERRORS_IN_JSON = 200
# Core tables for executemany updates keyed by a bind parameter (the ORM's bulk update wants
# the primary key under its own name, which would then also be a value to set).
_ORDERS, _ITEMS = Order.__table__, OrderItem.__table__


class ImportSetupError(ValueError):
    """The run cannot start (unreadable file, unknown platform, bad mapping): a usage problem."""


class ImportCancelled(Exception):
    """The user cancelled; the transaction was rolled back and nothing was written."""


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers the file's rows (header and title rows included)
    column: str | None  # the file's column, as spelled in its header
    value: str | None
    code: str  # see values.REASONS

    @property
    def reason(self) -> str:
        return values.REASONS.get(self.code, self.code)


@dataclass
class ImportOptions:
    platform: str | None = None  # douyin | taobao | ... ; detected from the header when None
    overrides: dict[str, str] = field(default_factory=dict)  # field -> column, the user's corrections
    dry_run: bool = False
    report_path: Path | None = None  # a file or a folder; default: next to the source
    local_tz: tzinfo | None = None  # the shop's zone for times without one; default from settings
    recompute_segments: bool = True  # customers' caches, tiers and points after a committed import
    actor: str | None = None


@dataclass
class ImportSummary:
    file: str
    platform: str
    batch_id: int | None = None
    rows_read: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_created: int = 0
    customers_matched: int = 0
    possible_duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    report_path: str | None = None
    dry_run: bool = False
    committed: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self, errors_listed: int = ERRORS_IN_JSON) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = len(self.errors)
        data["error_rows"] = [{**asdict(e), "reason": e.reason} for e in self.errors[:errors_listed]]
        return data


@dataclass(frozen=True)
class FilePreview:
    """What the 导入 page shows before a run: the file as read and the mapping proposed."""

    table: TableFile
    platform: str | None
    mapping: ColumnMapping
    rows: pd.DataFrame  # the first rows, as strings


@dataclass(frozen=True)
class RevertSummary:
    batch_id: int
    orders_removed: int
    customers_removed: int
    customers_kept: int  # made by the batch but with other orders or notes since: kept


# --- public API -----------------------------------------------------------------------------


def inspect_file(path: str | Path, session: Session | None = None, platform: str | None = None,
                 overrides: dict[str, str] | None = None, rows: int = 20) -> FilePreview:
    """Read the header and the first rows and propose a mapping (remembered corrections included)."""
    table = _open(path)
    platform = platform or detect_platform(table.headers)
    remembered = remembered_mapping(session, platform) if session is not None and platform else {}
    return FilePreview(table, platform, build_mapping(table.headers, remembered, overrides), table.preview(rows))


def import_orders(session_factory: sessionmaker[Session], path: str | Path, options: ImportOptions | None = None,
                  progress: Progress | None = None, cancel: CancelCheck = None) -> ImportSummary:
    """Import ``path`` as one batch; see the module's docstring for the guarantees.

    Raises ImportSetupError before anything runs, ImportCancelled when ``cancel`` fires
    (nothing written either way). Validation errors do not raise: they are in the summary
    (and its report file), and nothing was written.
    """
    options = options or ImportOptions()
    started = time.perf_counter()
    table = _open(path)
    source = options.platform or detect_platform(table.headers)
    if source is not None and source not in (*STORE_PLATFORMS, "livedesk"):
        raise ImportSetupError(f"unknown platform {source!r}: use one of {', '.join(STORE_PLATFORMS)}")
    session = session_factory()
    try:
        transaction = session.begin()
        try:
            run = _Run(session, table, source, options, progress or _no_progress, _cancel_check(cancel))
            summary = run.execute()
            if summary.errors or options.dry_run:
                transaction.rollback()
            else:
                transaction.commit()
                summary.committed = True
        except BaseException:
            transaction.rollback()
            raise
    finally:
        session.close()
    if summary.errors or options.report_path is not None:
        summary.report_path = str(write_report(summary.errors, _report_target(table.path, options.report_path)))
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    return summary


def revert_batch(session: Session, batch_id: int, actor: str | None = None,
                 recompute_segments: bool = True) -> RevertSummary:
    """Remove the batch's orders and the customers it created (those it only touched stay).

    A customer the batch created who has since gained other orders or notes is kept. The
    caller owns the transaction.
    """
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise LookupError(f"no import batch {batch_id}")
    if batch.status != "done":
        raise ValueError(f"import batch {batch_id} is {batch.status}: only a finished import can be reverted")
    order_ids = select(Order.id).where(Order.import_batch_id == batch_id)
    # Growth points the batch's orders paid out (or took back) go with them.
    session.execute(delete(PointsEntry).where(
        PointsEntry.reason.in_(("spend", "refund")),
        PointsEntry.ref.in_(select(func.cast(Order.id, PointsEntry.ref.type)).where(Order.import_batch_id == batch_id)),
    ))
    session.execute(delete(OrderItem).where(OrderItem.order_id.in_(order_ids)))
    orders_removed = session.execute(delete(Order).where(Order.import_batch_id == batch_id)).rowcount
    created = Customer.source_batch_id == batch_id
    still_used = or_(exists().where(Order.customer_id == Customer.id), exists().where(Note.customer_id == Customer.id))
    kept = session.scalar(select(func.count()).select_from(Customer).where(created, still_used)) or 0
    session.execute(delete(PossibleDuplicate).where(PossibleDuplicate.batch_id == batch_id))
    customers_removed = session.execute(
        delete(Customer).where(created, ~still_used).execution_options(synchronize_session=False)
    ).rowcount
    batch.status, batch.reverted_at = "reverted", utcnow()
    result = RevertSummary(batch_id, orders_removed, customers_removed, kept)
    session.add(AuditEntry(actor=actor, action="import_revert", entity="import_batch", entity_id=str(batch_id),
                           detail=asdict(result)))
    if recompute_segments:
        from livedesk.services import segments

        segments.recompute(session)
    return result


def write_report(errors: list[RowError], target: Path) -> Path:
    """The errors as a CSV that Excel opens (UTF-8 with BOM): row, column, value, reason."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["行号 row", "列 column", "值 value", "原因 reason", "code"])
        for e in errors:
            writer.writerow([e.row, e.column or "", e.value or "", e.reason, e.code])
    return target


# --- the run --------------------------------------------------------------------------------


def _no_progress(done: int, total: int | None, phase: str) -> None:
    pass


def _cancel_check(cancel: CancelCheck) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


def _open(path: str | Path) -> TableFile:
    try:
        return open_table(path)
    except ReadError as exc:
        raise ImportSetupError(f"{path}: {exc}") from exc


def _report_target(source: Path, given: Path | None) -> Path:
    if given is None:
        return source.with_name(source.stem + REPORT_SUFFIX)
    given = Path(given)
    return given / (source.stem + REPORT_SUFFIX) if given.is_dir() or not given.suffix else given


def _local_zone(session: Session, options: ImportOptions) -> tzinfo:
    if options.local_tz is not None:
        return options.local_tz
    # China has no daylight saving: the shop's fixed offset is Asia/Shanghai without tzdata.
    return timezone(timedelta(hours=float(settings.get(session, "shop.utc_offset_hours"))))


class _Run:
    """One import in one transaction: state shared by the chunks of a file."""

    def __init__(self, session: Session, table: TableFile, source: str | None, options: ImportOptions,
                 progress: Progress, cancelled: Callable[[], bool]) -> None:
        self.session, self.conn = session, session.connection()
        self.table, self.options, self.progress, self.cancelled = table, options, progress, cancelled
        self.source = source or "unknown"
        remembered = remembered_mapping(session, source) if source else {}
        try:
            self.mapping = build_mapping(table.headers, remembered, options.overrides)
        except ValueError as exc:
            raise ImportSetupError(str(exc)) from exc
        self.default_platform = source if source in STORE_PLATFORMS else None
        if self.default_platform is None and "platform" not in self.mapping.columns:
            raise ImportSetupError("cannot tell which platform this export is from: give --platform "
                                   f"({', '.join(STORE_PLATFORMS)})")
        self.local = _local_zone(session, options)
        self.summary = ImportSummary(file=str(table.path), platform=self.default_platform or source or "mixed",
                                     dry_run=options.dry_run)
        self.index: IdentityIndex | None = None
        self.ids: dict[int, int] = {}  # provisional customer key -> id
        self.next_key = -1
        self.matched: set[int] = set()
        self.seen: dict[tuple[str, str], tuple[int, bool]] = {}  # this run's orders: id, total from items
        self.duplicates: dict[tuple[int, int, str], None] = {}
        self.search_refresh: set[int] = set()

    # -- driver --

    def execute(self) -> ImportSummary:
        summary, table = self.summary, self.table
        summary.errors.extend(self._missing_columns())
        if summary.errors:
            return summary
        self.progress(0, table.total_rows, "prepare")
        self.index = IdentityIndex.load(self.conn)
        batch = ImportBatch(kind="orders", source=self.source, file_name=table.path.name[:260],
                            file_sha256=_sha256(table.path), status="running")
        self.session.add(batch)
        self.session.flush()
        self.batch_id = summary.batch_id = batch.id
        done = 0
        try:
            for frame in self._order_chunks():
                if self.cancelled():
                    raise ImportCancelled()
                orders, rows = self._parse(frame)
                if not summary.errors:
                    self._write(orders, rows)
                done += len(frame)
                summary.rows_read += len(frame)
                self.progress(done, table.total_rows, "check" if summary.errors else "import")
        except ReadError as exc:  # the rest of the file cannot be read: that row is the error
            summary.errors.append(RowError(exc.row or table.header_row, None, None, "unreadable"))
        if self.cancelled():
            raise ImportCancelled()
        if summary.errors:
            summary.batch_id = None
            summary.errors.sort(key=lambda e: e.row)
            return summary
        self._finish(batch)
        return summary

    def _missing_columns(self) -> list[RowError]:
        cols = self.mapping.columns
        needs = [("order_id",), ("ordered_at", "paid_at"), ("item_amount", "order_total", "unit_price"),
                 ("buyer_id", "buyer_handle", "recipient_name", "phone")]
        return [RowError(self.table.header_row, None, " / ".join(group), "missing_column")
                for group in needs if not any(f in cols for f in group)]

    def _order_chunks(self) -> Iterator[pd.DataFrame]:
        """Chunks of the mapped fields, cut so an order's consecutive rows stay together."""
        held: pd.DataFrame | None = None
        for chunk in self.table.chunks(CHUNK_ROWS):
            for row in chunk.attrs.get("wide_rows", ()):
                self.summary.errors.append(RowError(row, None, None, "unreadable"))
            frame = self._fields(chunk)
            if held is not None:
                frame = pd.concat([held, frame])
            last = frame["order_id"].iat[-1] if len(frame) else None
            tail = (frame["order_id"] == last).to_numpy()
            # Only the trailing run of the last order waits for the next chunk.
            cut = len(frame) - int(np.argmin(tail[::-1])) if not tail.all() else 0
            held, frame = frame.iloc[cut:], frame.iloc[:cut]
            if len(frame):
                yield frame
        if held is not None and len(held):
            yield held

    def _fields(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """The mapped columns under field names, trimmed, blank rows dropped."""
        frame = pd.DataFrame(index=chunk.index)
        for name, column in self.mapping.columns.items():
            text = chunk[column].astype(object).str.strip()
            frame[name] = text.where(text.notna() & (text != ""), None).astype(object)
        for name in FIELDS:
            if name not in frame:
                frame[name] = pd.Series(None, index=chunk.index, dtype=object)
        return frame[frame.notna().any(axis=1)]

    # -- parsing and validation --

    def _error(self, rows: pd.Index, field_name: str | None, raw: pd.Series | None, code: str) -> None:
        column = self.mapping.column(field_name) if field_name else None
        for row in rows:
            self.summary.errors.append(RowError(int(row), column, None if raw is None else raw.get(row), code))

    def _parse(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Row values in store form and one row per order; errors go to the summary."""
        rows = pd.DataFrame(index=frame.index)
        missing = frame["order_id"].isna()
        self._error(frame.index[missing.to_numpy()], "order_id", frame["order_id"], "required")
        for name, width in _ID_WIDTH.items():
            too_long = frame[name].str.len().gt(width).fillna(False).to_numpy(dtype=bool)
            self._error(frame.index[too_long], name, frame[name], "too_long")
        platform = self._platforms(frame)
        rows["platform"], rows["order_id"] = platform, frame["order_id"]
        for name in ("unit_price", "item_amount", "order_total"):
            rows[name], bad = values.money_column(frame[name])
            self._error(frame.index[bad], name, frame[name], "money")
        rows["quantity"], bad = values.quantity_column(frame["quantity"])
        self._error(frame.index[bad], "quantity", frame["quantity"], "quantity")
        for name in ("ordered_at", "paid_at"):
            rows[name], bad = values.datetime_column(frame[name], self.local)
            self._error(frame.index[bad], name, frame[name], "datetime")
        rows["phone"], bad = values.phone_column(frame["phone"])
        self._error(frame.index[bad], "phone", frame["phone"], "phone")
        rows["status"], bad = values.status_column(frame["status"])
        self._error(frame.index[bad], "status", frame["status"], "status")
        rows["refunded"] = values.refund_column(frame["after_sale"])
        for name in _TEXT_FIELDS[:-1]:
            width = _WIDTH.get(name)
            text = frame[name].str.slice(0, width) if width else frame[name]
            rows[name] = text.astype(object).where(text.notna(), None)  # None, never NaN, for the store
        rows["amount"] = rows["item_amount"].fillna(rows["unit_price"] * rows["quantity"])
        rows["unit"] = rows["unit_price"].fillna(rows["item_amount"] // rows["quantity"])
        rows["row"] = frame.index
        # A time that was there but unreadable is already reported; only a missing one is "required".
        rows["time_given"] = (frame["ordered_at"].notna() | frame["paid_at"].notna()).to_numpy()
        rows = rows[~missing.to_numpy()]

        group = rows.groupby(["platform", "order_id"], sort=False)
        orders = group.first()  # first non-empty value of each column within the order
        orders["first_row"] = group["row"].min()
        orders["all_refunded"] = group["refunded"].all()
        orders["items_total"] = group["amount"].sum()
        when = orders["ordered_at"].fillna(orders["paid_at"])
        no_time = (when.isna() & ~group["time_given"].any()).to_numpy()
        self._error(pd.Index(orders["first_row"][no_time]), "ordered_at", frame["ordered_at"], "required")
        orders["ordered_at"] = when
        no_buyer = orders[["buyer_id", "buyer_handle", "recipient_name", "phone"]].isna().all(axis=1).to_numpy()
        self._error(pd.Index(orders["first_row"][no_buyer]), None, None, "no_buyer")
        status = orders["status"].where(orders["status"].notna(),
                                        np.where(orders["paid_at"].notna(), "paid", "pending"))
        refund = orders["all_refunded"].to_numpy() & (status != "cancelled").to_numpy()
        orders["status"] = status.where(~refund, "refunded")
        orders["total"] = orders["order_total"].fillna(orders["items_total"]).astype("int64")
        orders["total_from_items"] = orders["order_total"].isna()
        for name in ("ordered_at", "paid_at"):  # storage form, formatted for the whole chunk at once
            stored = orders[name].dt.strftime(_STORED_FORMAT)
            orders[name + "_stored"] = stored.astype(object).where(stored.notna(), None)
        for name in _TEXT_FIELDS:  # NaN from an all-empty group would read as a true value
            orders[name] = orders[name].astype(object).where(orders[name].notna(), None)
        return orders, rows

    def _platforms(self, frame: pd.DataFrame) -> pd.Series:
        given = frame["platform"]
        named = given.str.lower().map(lambda v: _PLATFORM_NAMES.get(v) if isinstance(v, str) else None)
        unknown = (given.notna() & named.isna()).to_numpy()
        self._error(frame.index[unknown], "platform", given, "platform")
        platform = named.fillna(self.default_platform) if self.default_platform else named
        empty = (platform.isna() & ~unknown).to_numpy()
        self._error(frame.index[empty], "platform", given, "required")
        return platform.fillna("").astype(object)

    # -- writing --

    def _write(self, orders: pd.DataFrame, rows: pd.DataFrame) -> None:
        existing = self._existing(orders.index)
        new_customers: list[dict[str, Any]] = []
        new_accounts: list[tuple[int, Buyer]] = []
        new_orders: list[tuple[tuple[str, str], int, Any]] = []  # key, customer key, order row
        extra_items: list[tuple[tuple[str, str], int]] = []
        updates: list[dict[str, Any]] = []
        for order in orders.itertuples():
            key = order.Index
            if key in self.seen:  # rows of an order met earlier in this file, further down
                extra_items.append((key, self.seen[key][0]))
                continue
            if key in existing:
                self._compare(order, existing[key], updates)
                continue
            buyer = Buyer(key[0], order.buyer_id, order.buyer_handle, order.recipient_name, order.phone,
                          order.city, order.address)
            new_orders.append((key, self._resolve(buyer, order, new_customers, new_accounts), order))
        self._insert_customers(new_customers)
        self._insert_accounts(new_accounts)
        self._insert_orders(new_orders, rows)
        self._insert_more_items(extra_items, orders, rows)
        if updates:
            self.conn.execute(update(_ORDERS).where(_ORDERS.c.id == bindparam("oid")), updates)
            self.conn.execute(update(_ITEMS).where(_ITEMS.c.order_id == bindparam("oid")),
                              [{"oid": u["oid"], "status": u["status"]} for u in updates])
        self.summary.orders_updated += len(updates)

    def _existing(self, keys: pd.Index) -> dict[tuple[str, str], tuple[Any, ...]]:
        found: dict[tuple[str, str], tuple[Any, ...]] = {}
        by_platform: dict[str, list[str]] = {}
        for platform, order_id in keys:
            if (platform, order_id) not in self.seen:
                by_platform.setdefault(platform, []).append(order_id)
        for platform, order_ids in by_platform.items():
            for a in range(0, len(order_ids), IN_BATCH):
                for row in self.conn.execute(
                    select(Order.platform_order_id, Order.id, Order.customer_id, Order.status, Order.after_sale,
                           Order.total_fen, Order.paid_at)
                    .where(Order.platform == platform, Order.platform_order_id.in_(order_ids[a:a + IN_BATCH]))
                ):
                    found[(platform, row[0])] = tuple(row[1:])
        return found

    def _compare(self, order: Any, stored: tuple[Any, ...], updates: list[dict[str, Any]]) -> None:
        oid, customer_id, status, after_sale, total, paid_at = stored
        self.matched.add(customer_id)
        new_paid = None if pd.isna(order.paid_at) else order.paid_at.to_pydatetime()
        fresh = {"status": order.status, "after_sale": order.after_sale, "total_fen": int(order.total),
                 "paid_at": new_paid or paid_at}
        if (status, after_sale, total, paid_at) == tuple(fresh.values()):
            self.summary.orders_unchanged += 1
        else:
            updates.append({"oid": oid, **fresh, "updated_at": utcnow()})

    def _resolve(self, buyer: Buyer, order: Any, new_customers: list[dict[str, Any]],
                 new_accounts: list[tuple[int, Buyer]]) -> int:
        assert self.index is not None
        match = self.index.match(buyer)
        key = match.key
        if key is None:
            key, self.next_key = self.next_key, self.next_key - 1
            masked = buyer.masked_phone
            nickname = buyer.display_name()[:100]
            new_customers.append({
                "key": key, "nickname": nickname, "real_name": buyer.name, "phone": buyer.full_phone,
                "phone_masked": masked, "province": order.province, "city": buyer.city, "address": buyer.address,
                "source_batch_id": self.batch_id,
                "search_text": search_text(nickname, buyer.name, buyer.full_phone or masked,
                                           [v for v in (buyer.handle, buyer.buyer_id) if v]),
            })
            if buyer.buyer_id or buyer.handle:
                new_accounts.append((key, buyer))
        else:
            if key > 0:
                self.matched.add(key)
            # A known customer seen with a platform identity the store did not have yet.
            if match.via not in ("buyer_id", "handle") and (buyer.buyer_id or buyer.handle):
                new_accounts.append((key, buyer))
        for other, reason in match.possible:
            self.duplicates[(key, other, reason)] = None
        self.index.learn(key, buyer)
        return key

    def _customer_id(self, key: int) -> int:
        return self.ids[key] if key < 0 else key

    def _insert_customers(self, new_customers: list[dict[str, Any]]) -> None:
        if not new_customers:
            return
        keys = [c.pop("key") for c in new_customers]
        table = Customer.__table__
        if self.conn.dialect.name == "sqlite":
            # SQLite adapter: RETURNING in parameter order runs one statement per row there.
            # This transaction holds the only write lock, so the next ids are ours to take.
            first = (self.conn.scalar(select(func.max(table.c.id))) or 0) + 1
            ids = list(range(first, first + len(new_customers)))
            for cid, row in zip(ids, new_customers):
                row["id"] = cid
            self.conn.execute(insert(table), new_customers)
        else:
            ids = self.conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                    new_customers).scalars().all()
        self.ids.update(zip(keys, ids))
        self.summary.customers_created += len(ids)

    def _insert_accounts(self, new_accounts: list[tuple[int, Buyer]]) -> None:
        rows, known = [], set()
        for key, buyer in new_accounts:
            ident = (buyer.platform, buyer.buyer_id or f"@{buyer.handle}")
            if ident in known:
                continue
            known.add(ident)
            customer_id = self._customer_id(key)
            rows.append({"customer_id": customer_id, "platform": buyer.platform, "uid": buyer.buyer_id,
                         "handle": (buyer.handle or "")[:64] or None, "nickname": (buyer.handle or "")[:100] or None})
            if key > 0:
                self.search_refresh.add(customer_id)
        if rows:
            self.conn.execute(insert(PlatformAccount.__table__), rows)

    def _insert_orders(self, new_orders: list[tuple[tuple[str, str], int, Any]], rows: pd.DataFrame) -> None:
        if not new_orders:
            return
        records = []
        for (platform, order_id), key, o in new_orders:
            records.append({
                "platform": platform, "platform_order_id": order_id, "customer_id": self._customer_id(key),
                "status": o.status, "after_sale": o.after_sale, "total_fen": int(o.total),
                "ordered_at": o.ordered_at_stored, "paid_at": o.paid_at_stored,
                "import_batch_id": self.batch_id, "recipient_name": o.recipient_name, "recipient_phone": o.phone,
                "city": o.city, "address": o.address,
            })
        _executemany(self.conn, _ORDERS, records)
        # Read the new ids back by order number (the unique index): cheaper than RETURNING per row.
        order_ids: dict[tuple[str, str], int] = {}
        for platform in {key[0] for key, _, _ in new_orders}:
            numbers = [key[1] for key, _, _ in new_orders if key[0] == platform]
            for a in range(0, len(numbers), IN_BATCH):
                order_ids.update(((platform, number), oid) for number, oid in self.conn.execute(
                    select(_ORDERS.c.platform_order_id, _ORDERS.c.id).where(
                        _ORDERS.c.platform == platform, _ORDERS.c.platform_order_id.in_(numbers[a:a + IN_BATCH]))))
        for key, _, o in new_orders:
            self.seen[key] = (order_ids[key], bool(o.total_from_items))
        self.summary.orders_created += len(new_orders)
        self._insert_items(rows, order_ids, {key: o.status for key, _, o in new_orders})

    def _insert_items(self, rows: pd.DataFrame, order_ids: dict[tuple[str, str], int],
                      statuses: dict[tuple[str, str], str]) -> None:
        keys = list(zip(rows["platform"], rows["order_id"]))
        items = []
        for key, r in zip(keys, rows.itertuples(index=False)):
            oid = order_ids.get(key)
            if oid is None:
                continue
            items.append({
                "order_id": oid, "sub_order_id": r.sub_order_id, "product_name": r.product_name or "",
                "quantity": int(r.quantity), "unit_price_fen": 0 if pd.isna(r.unit) else int(r.unit),
                "amount_fen": 0 if pd.isna(r.amount) else int(r.amount),
                "status": "refunded" if r.refunded else statuses[key],
            })
        if items:
            _executemany(self.conn, _ITEMS, items)

    def _insert_more_items(self, extra: list[tuple[tuple[str, str], int]], orders: pd.DataFrame,
                           rows: pd.DataFrame) -> None:
        """Rows of an order this run created from rows higher up: more items, and its total if it
        is the sum of its items."""
        if not extra:
            return
        order_ids = dict(extra)
        self._insert_items(rows, order_ids, {key: orders.at[key, "status"] for key in order_ids})
        grown = [{"oid": oid, "more": int(orders.at[key, "items_total"])}
                 for key, oid in extra if self.seen[key][1]]
        if grown:
            self.conn.execute(update(_ORDERS).where(_ORDERS.c.id == bindparam("oid"))
                              .values(total_fen=_ORDERS.c.total_fen + bindparam("more")), grown)

    # -- the end of a clean run --

    def _finish(self, batch: ImportBatch) -> None:
        summary = self.summary
        self.progress(summary.rows_read, summary.rows_read, "finish")
        self._insert_duplicates()
        self._refresh_search_text()
        summary.customers_matched = len(self.matched)
        if self.options.recompute_segments and not self.options.dry_run:
            from livedesk.services import points, segments

            points.settle_orders(self.session)
            segments.recompute(self.session)
        if self.options.overrides and self.source != "unknown":
            remember_mapping(self.session, self.source, self.options.overrides)
        detail = summary.as_dict(errors_listed=0)
        batch.status, batch.row_count, batch.finished_at = "done", summary.rows_read, utcnow()
        batch.summary = {k: v for k, v in detail.items() if k not in ("error_rows", "file")}
        self.session.add(AuditEntry(actor=self.options.actor, action="import", entity="import_batch",
                                    entity_id=str(self.batch_id), detail=batch.summary | {"file": batch.file_name}))

    def _insert_duplicates(self) -> None:
        pairs: dict[tuple[int, int, str], None] = {}
        for key, other, reason in self.duplicates:
            a, b = sorted((self._customer_id(key), self._customer_id(other)))
            if a != b:
                pairs[(a, b, reason)] = None
        known = set()
        ids = sorted({a for a, _, _ in pairs})
        for i in range(0, len(ids), IN_BATCH):
            known.update(self.conn.execute(
                select(PossibleDuplicate.customer_id, PossibleDuplicate.other_id, PossibleDuplicate.reason)
                .where(PossibleDuplicate.customer_id.in_(ids[i:i + IN_BATCH]))).all())
        rows = [{"customer_id": a, "other_id": b, "reason": r, "batch_id": self.batch_id}
                for a, b, r in pairs if (a, b, r) not in known]
        if rows:
            self.conn.execute(insert(PossibleDuplicate.__table__), rows)
        self.summary.possible_duplicates = len(rows)

    def _refresh_search_text(self) -> None:
        """Customers the run gave a new platform account: their handles join the search key."""
        ids = sorted(self.search_refresh)
        for i in range(0, len(ids), IN_BATCH):
            part = ids[i:i + IN_BATCH]
            handles: dict[int, list[str]] = {}
            for cid, *keys in self.conn.execute(
                select(PlatformAccount.customer_id, PlatformAccount.handle, PlatformAccount.uid,
                       PlatformAccount.nickname).where(PlatformAccount.customer_id.in_(part))
            ):
                handles.setdefault(cid, []).extend(k for k in keys if k)
            rows = [{"cid": cid, "search_text": search_text(nick, real, phone or masked, handles.get(cid, []))}
                    for cid, nick, real, phone, masked in self.conn.execute(
                        select(Customer.id, Customer.nickname, Customer.real_name, Customer.phone,
                               Customer.phone_masked).where(Customer.id.in_(part)))]
            customers = Customer.__table__
            self.conn.execute(update(customers).where(customers.c.id == bindparam("cid")), rows)


def _stored(moment: pd.Timestamp) -> str:
    """A UTC time in the store's own form (naive UTC text, as UTCDateTime writes it)."""
    return moment.strftime(_STORED_FORMAT)


def _executemany(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows already in storage form through the driver's executemany.

    SQLAlchemy's per-row bind processing costs more than SQLite's insert itself; the rows
    here carry plain ints and text (times via ``_stored``), so the statement is compiled
    once and handed over. Column defaults the rows omit are filled in first.
    """
    defaults = {c.name: c.default.arg for c in table.columns
                if c.default is not None and c.default.is_scalar and c.name not in rows[0]}
    now = _stored(pd.Timestamp.now(tz="UTC"))
    stamps = {c.name: now for c in table.columns if c.name in ("created_at", "updated_at") and c.name not in rows[0]}
    keys = [*rows[0], *defaults, *stamps]
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    fixed = {**defaults, **stamps}
    if compiled.positional:
        order = compiled.positiontup or []
        conn.exec_driver_sql(compiled.string, [tuple({**row, **fixed}[k] for k in order) for row in rows])
    else:
        conn.exec_driver_sql(compiled.string, [{**row, **fixed} for row in rows])


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
