"""Importing a platform's order export: all or nothing, idempotent, one batch that can be reverted.

A run has four phases, each reported through ``progress`` and each stoppable by ``cancel``:

1. **read** (phase ``import``, or ``check`` once an error is found): the file is read in
   chunks, outside any transaction. Each distinct cell of a column is parsed once (phones
   and amounts once per file: they repeat down an export), every row is validated, and the
   rows are kept compactly as column arrays. An order's item rows become one order wherever
   they are in the file. With any invalid row the run stops here: nothing was written.
2. **match** (``match``): one transaction starts (taking the store's write lock, so the
   run's reads and writes see one state). The store's customers are loaded into an index
   once; orders the store already has (same platform and order number) are compared with
   the file; each distinct buyer of a new order is matched or created once.
3. **write** (``write``): customers, accounts, orders and items go in, in storage form, a
   few thousand rows per statement; changed orders are updated. A load that at least
   doubles a table builds its secondary indexes afterwards. The database adapter
   (models/adapters) does the writing: multi-row INSERTs on SQLite, COPY on PostgreSQL.
4. **finish** (``finish``): growth points settle and tiers are recomputed (set-based),
   the batch is closed and audited, and the transaction commits. A dry run rolls back
   after the match phase, with the counts a real run would report.

An order already in the store is updated where the export says something new (status,
after-sale, total, payment) and otherwise left alone, so re-importing a file changes
nothing and a newer export marks refunds without touching the notes, tags or points the
team added. Cancelling at any point rolls back: nothing is ever half-imported.

A Qt controller runs ``import_orders`` on a worker thread with its own session factory,
a ``progress(done, total_or_None, phase)`` callback and a cancel event. Progress comes
at least every ``HEARTBEAT_S`` seconds (a helper thread repeats the last report while one
step runs long, so ``progress`` may be called from it); a cancel is seen at the next step,
or inside a long SQL statement (the adapter interrupts it). ``ImportSummary.phases_ms`` says where
the time went: read, identity, write, recompute, commit.
"""

from __future__ import annotations

import csv
import gc
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import (
    AuditEntry,
    Broadcast,
    Customer,
    ImportBatch,
    Note,
    Order,
    OrderItem,
    PlatformAccount,
    PointsEntry,
    PossibleDuplicate,
)
from livedesk.models.adapters import adapter_for
from livedesk.models.base import utcnow
from livedesk.services import backups, changes, private, settings, team
from livedesk.services.cells import literal, short
from livedesk.services.errors import Refused
from livedesk.services.identity_text import search_text
from livedesk.services.importing import reading, values
from livedesk.services.importing.columns import (
    FIELDS,
    ColumnMapping,
    build_mapping,
    detect_platform,
    remember_mapping,
    remembered_mapping,
)
from livedesk.services.importing.identity import Buyer, IdentityIndex, Keys
from livedesk.services.importing.reading import ReadError, TableFile, open_table

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
CHUNK_ROWS = 25_000  # rows read and checked between two progress reports
WRITE_BATCH = 10_000  # rows per executemany between two progress reports
MATCH_BATCH = 4_096  # orders matched between two progress reports
HEARTBEAT_S = 0.25  # progress is reported (and cancel checked) at least this often
BULK_ROWS = 20_000  # new rows from which a table's indexes are built after the load, not during
# Columns of one order (the first non-empty cell among its rows) and of one item row.
_ORDER_TEXT = ("after_sale", "buyer_id", "buyer_handle", "recipient_name", "phone", "province", "city", "address")
_ITEM_TEXT = ("sub_order_id", "product_name")
# Identity cells an export may withhold (see values.withheld): read as empty.
_WITHHOLDABLE = ("buyer_id", "buyer_handle", "recipient_name", "phone", "province", "city", "address")
_EVIDENCE = ("platform", "buyer_id", "buyer_handle", "recipient_name", "phone", "city", "address")
_STORED_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
UNKNOWN_BUYER = 0  # the match of an order whose buyer was withheld: stored without a customer
IN_BATCH = 5_000  # ids per IN (...) lookup: far below every driver's parameter limit
# Column widths of the store: longer text is cut (names, addresses), longer ids refused.
_WIDTH = {"product_name": 200, "address": 200, "recipient_name": 50, "city": 32, "province": 32,
          "buyer_handle": 64, "after_sale": 32}
_ID_WIDTH = {"order_id": 64, "sub_order_id": 64, "buyer_id": 128}
REPORT_SUFFIX = ".import-report.csv"
ERRORS_IN_JSON = 200
# Core tables for the bulk statements.
_ORDERS, _ITEMS, _CUSTOMERS = Order.__table__, OrderItem.__table__, Customer.__table__


class ImportSetupError(Refused):
    """The run cannot start (unreadable file, unknown platform, bad mapping): a usage problem.
    ``detail``: a ReadError's, when the file could not be read (see reading.ReadError)."""

    @property
    def detail(self) -> object:
        return self.params.get("detail")


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
        return values.REASONS.get(self.code) or reading.REASONS.get(self.code, self.code)


@dataclass
class ImportOptions:
    platform: str | None = None  # douyin | taobao | ... ; detected from the header when None
    overrides: dict[str, str] = field(default_factory=dict)  # field -> column, the user's corrections
    dry_run: bool = False
    report_path: Path | None = None  # a file or a folder; default: the app's private reports folder
    encoding: str | None = None  # CSV: hold every row to this encoding instead of detecting it
    local_tz: tzinfo | None = None  # the shop's zone for times without one; default from settings
    recompute_segments: bool = True  # customers' caches, tiers and points after a committed import
    actor: str | None = None
    # When the source was exported (aware); default: the file name's Unix-time prefix, if any.
    exported_at: datetime | None = None


@dataclass
class ImportSummary:
    file: str
    platform: str
    batch_id: int | None = None
    rows_read: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_outdated: int = 0  # in the store from a newer export: left as they are
    orders_without_buyer: int = 0  # new orders whose buyer the export withheld: on the unknown-buyers list
    customers_created: int = 0
    customers_matched: int = 0
    possible_duplicates: int = 0
    exported_at: str | None = None  # the source's export time (ISO, UTC), when known
    errors: list[RowError] = field(default_factory=list)
    report_path: str | None = None
    dry_run: bool = False
    committed: bool = False
    coupons_used: int = 0  # issued coupon codes this file's orders used (services/loyalty/coupon_usage)
    elapsed_s: float = 0.0
    phases_ms: dict[str, int] = field(default_factory=dict)  # read, identity, write, recompute, commit

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self, errors_listed: int = ERRORS_IN_JSON) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = len(self.errors)
        # A bad value is echoed as its first characters only: a cell may hold megabytes.
        data["error_rows"] = [{**asdict(e), "value": None if e.value is None else short(e.value), "reason": e.reason}
                              for e in self.errors[:errors_listed]]
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
                 overrides: dict[str, str] | None = None, rows: int = 20, encoding: str | None = None) -> FilePreview:
    """Read the header and the first rows and propose a mapping (remembered corrections included).
    Quick (the text of a big CSV is checked as a whole by the import, not here)."""
    table = _open(path, encoding, preview=True)
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
    table = _open(path, options.encoding)
    source = options.platform or detect_platform(table.headers)
    if source is not None and source not in (*STORE_PLATFORMS, "livedesk"):
        raise ImportSetupError("unknown_platform", f"unknown platform {source!r}: use one of {', '.join(STORE_PLATFORMS)}",
                               platform=source)
    ticker = _Ticker(progress or _no_progress, _cancel_check(cancel))
    session = session_factory()
    try:
        with session.begin():  # the mapping remembered for this source, the shop's zone
            run = _Run(session, table, source, options, ticker)
        with ticker.pulse():
            parsed = run.read()  # the file alone: no transaction is open meanwhile
            summary = run.summary
            if parsed is not None:
                if not options.dry_run:  # a valid file is about to be written: keep what was there
                    backups.before_destructive(session_factory, "before-import")
                transaction = session.begin()
                try:
                    run.store(parsed)
                    if options.dry_run:
                        transaction.rollback()
                    else:
                        with run.phase("commit"):  # too late to cancel from here
                            transaction.commit()
                        summary.committed = True
                except BaseException:
                    transaction.rollback()
                    raise
    finally:
        session.close()
    if summary.committed:
        summary.coupons_used = _learn_coupon_use(session_factory, table.path, source)
    if summary.errors or options.report_path is not None:
        summary.report_path = str(write_report(summary.errors, _report_target(table.path, options.report_path)))
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    return summary


def _learn_coupon_use(session_factory: sessionmaker[Session], path: Path, source: str | None) -> int:
    """Mark the issued coupons the imported orders used: a unit of its own, after the orders are in."""
    from livedesk.services.loyalty.coupon_usage import learn_from_file

    with session_factory.begin() as session:
        used = learn_from_file(session, path, source)
    return used.by_code + used.by_amount


def revert_batch(session: Session, batch_id: int, actor: str | None = None,
                 recompute_segments: bool = True) -> RevertSummary:
    """Remove the batch's orders and the customers it created (those it only touched stay).

    A customer the batch created who has since gained other orders or notes is kept. The
    caller owns the transaction; a verified backup is taken first.
    """
    team.require(session, "revert_import")
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise LookupError(f"no import batch {batch_id}")
    if batch.status != "done":
        raise ValueError(f"import batch {batch_id} is {batch.status}: only a finished import can be reverted")
    backups.before_destructive(session, "before-revert")
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
    """The errors as a CSV that Excel opens (UTF-8 with BOM): row, column, value, reason.

    Private (0600): the values are buyers' names and phones. A value is echoed as its first
    characters only, and a cell the file's author could have made a formula (``=HYPERLINK``)
    is written so that Excel shows it as text (``cells.literal``)."""
    with private.open_private(target, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["行号 row", "列 column", "值 value", "原因 reason", "code"])
        for e in errors:
            writer.writerow([e.row, literal(e.column or ""), literal(short(e.value or "")), e.reason, e.code])
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


def _open(path: str | Path, encoding: str | None = None, preview: bool = False) -> TableFile:
    try:
        return open_table(path, encoding, preview)
    except ReadError as exc:
        raise ImportSetupError(exc.code, f"{path}: {exc}", path=str(path), row=exc.row, detail=exc.detail) from exc


def _report_target(source: Path, given: Path | None) -> Path:
    if given is None:  # not beside the source: the user's folder may be shared, synced, mailed
        return private.reports_dir() / private.stamped(source.stem, REPORT_SUFFIX)
    given = Path(given)
    return given / (source.stem + REPORT_SUFFIX) if given.is_dir() or not given.suffix else given


def _local_zone(session: Session, options: ImportOptions) -> tzinfo:
    if options.local_tz is not None:
        return options.local_tz
    # China has no daylight saving: the shop's fixed offset is Asia/Shanghai without tzdata.
    return timezone(timedelta(hours=float(settings.get(session, "shop.utc_offset_hours"))))


class _Ticker:
    """The run's progress reports and its cancel check, in one place.

    ``tick`` reports between two steps and stops the run (ImportCancelled) if the user
    cancelled. While a single step runs longer than ``HEARTBEAT_S`` (an index being sorted,
    the commit's checkpoint), ``pulse`` repeats the last report from a helper thread, so a
    progress bar never looks stuck; inside SQL statements ``stop_statement`` lets the
    database adapter abandon the statement when the user cancels.
    """

    def __init__(self, progress: Progress, cancelled: Callable[[], bool]) -> None:
        self.progress, self.cancelled = progress, cancelled
        self.state: tuple[int, int | None, str] | None = None
        self.last = time.monotonic()
        self.stopped = False

    def tick(self, done: int, total: int | None, phase: str) -> None:
        self.state, self.last = (done, total, phase), time.monotonic()
        self.progress(done, total, phase)
        if self.cancelled():
            raise ImportCancelled()

    def again(self) -> None:
        """The last report once more, and the cancel check (a step is still going on)."""
        if self.state is not None:
            self.tick(*self.state)

    def stop_statement(self) -> bool:
        try:
            self.stopped = self.stopped or bool(self.cancelled())
        except Exception:  # raised inside the driver's callback: stop the statement instead
            log.exception("import cancel check failed")
            self.stopped = True
        return self.stopped

    @contextmanager
    def pulse(self) -> Iterator[None]:
        """Keep the reports coming from a helper thread while the body runs (see the class)."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT_S / 2):
                state = self.state
                if state is None or time.monotonic() - self.last < HEARTBEAT_S:
                    continue
                self.last = time.monotonic()
                try:
                    self.progress(*state)
                except Exception:
                    log.exception("import progress callback failed")
                    return

        thread = threading.Thread(target=beat, name="import-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


@contextmanager
def _cancellable(conn: Any, ticker: _Ticker) -> Iterator[None]:
    """A cancel stops a long statement (settling points, building an index) instead of
    waiting for its end: the database adapter interrupts it; the transaction rolls back."""
    adapter = adapter_for(conn)
    try:
        with adapter.cancellable(conn, ticker.stop_statement):
            yield
    except adapter.StatementCancelled as exc:
        raise ImportCancelled() from exc


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while the body runs.

    Matching and writing create hundreds of thousands of small containers that all live on
    (the identity index's keys and sets, rows for the driver): each automatic collection
    walks every one of them again, a third of the matching time at a million rows. The body
    makes no reference cycles worth collecting (no DataFrames); refcounting frees the rest.
    Process-wide, so nested or concurrent users keep it paused until the last one is done.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        _gc_holders += 1
        if _gc_holders == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


class _Cells:
    """One field of a chunk: each distinct cell once (stripped), and which one each row holds.

    ``codes[i]`` indexes ``uniques`` for row ``i``, -1 when the cell is empty. Parsers run
    over ``uniques`` and ``take`` spreads their results back over the rows.
    """

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: np.ndarray) -> None:
        self.codes, self.uniques = codes, uniques

    @classmethod
    def of(cls, column: np.ndarray) -> _Cells:
        codes, found = pd.factorize(column)  # NaN and None: -1
        uniques = np.empty(len(found), dtype=object)
        try:
            texts = list(map(str.strip, found.tolist()))
        except TypeError:  # a cell that is not text (the readers give text; be safe all the same)
            texts = [str(u).strip() for u in found]
        # The ' or ="…" an export wraps a cell in (tabs went with the strip): in every column.
        wrapped = list(map(str.startswith, texts, itertools.repeat(("'", "="))))
        if any(wrapped):
            texts = [values.unwrap(t) if w else t for t, w in zip(texts, wrapped)]
        uniques[:] = texts
        blank = uniques == ""
        if blank.any():
            codes = np.where(codes >= 0, np.where(blank, -1, np.arange(len(uniques)))[codes], -1)
        return cls(codes, uniques)

    @classmethod
    def empty(cls, rows: int) -> _Cells:
        return cls(np.full(rows, -1, dtype=np.intp), np.empty(0, dtype=object))

    def subset(self, keep: np.ndarray) -> _Cells:
        return _Cells(self.codes[keep], self.uniques)

    def without(self, test: Callable[[str], bool]) -> _Cells:
        """These cells with those ``test`` says are not given (placeholders, masks) as empty."""
        drop = np.fromiter(map(test, self.uniques.tolist()), dtype=bool, count=len(self.uniques))
        if not drop.any():
            return self
        gone = np.append(drop, False)  # code -1 (empty) reads the last entry
        return _Cells(np.where(gone[self.codes], -1, self.codes), self.uniques)

    def present(self) -> np.ndarray:
        return self.codes >= 0

    def take(self, per_unique: np.ndarray, empty: object) -> np.ndarray:
        """Each row's value, from one value per distinct cell; ``empty`` for an empty cell."""
        spread = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
        spread[:-1], spread[-1] = per_unique, empty
        return spread[self.codes]

    def text(self) -> np.ndarray:
        return self.take(self.uniques, None)

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        """The rows whose cell is one of those flagged in ``per_unique`` (a bool per distinct cell)."""
        return self.take(np.asarray(per_unique, dtype=bool), False)


def _group_codes(platform: np.ndarray, order_id: np.ndarray) -> tuple[np.ndarray, int]:
    """A code per row for its (platform, order number), numbered in order of first appearance."""
    codes, found = pd.factorize(order_id)
    platform_codes, platforms = pd.factorize(platform)
    if len(platforms) > 1:
        codes, found = pd.factorize(codes.astype(np.int64) * len(platforms) + platform_codes)
    return codes.astype(np.intp, copy=False), len(found)


def _row_codes(columns: Sequence[np.ndarray]) -> np.ndarray:
    """A code per row for the combination of its values (None counts as a value), numbered in
    order of first appearance."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        own, found = pd.factorize(column)
        codes, _ = pd.factorize(codes * (len(found) + 1) + own + 1)
        codes = codes.astype(np.int64, copy=False)
    return codes


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, given codes numbered in order of first appearance."""
    if not len(codes):
        return np.empty(0, dtype=np.intp)
    first = np.empty(len(codes), dtype=bool)
    first[0] = True
    first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    return np.flatnonzero(first)


def _first_present(codes: np.ndarray, first: np.ndarray, column: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per group: the value of its first row (file order) where ``present``; where no row has
    one, the value of its first row (which holds the column's empty value)."""
    out = column[first]
    if present.all():
        return out
    where = np.flatnonzero(present)
    groups, at = np.unique(codes[where], return_index=True)
    out[groups] = column[where[at]]
    return out


def _merge_orders(orders: dict[str, np.ndarray], codes: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """One entry per order (``codes`` numbers them in order of first appearance) from chunks'
    entries, some of them parts of one order: first non-empty values, sums, all / any.

    Only the orders met more than once (cut by a chunk boundary, or rows far apart) are
    worked on; the others are taken as they are."""
    first = _first_positions(codes)
    out = {name: column[first] for name, column in orders.items()}
    repeated = np.bincount(codes, minlength=count)[codes] > 1
    where = np.flatnonzero(repeated)  # their entries, in file order
    part, groups = pd.factorize(codes[where])
    part = part.astype(np.intp, copy=False)
    lead = _first_positions(part)
    n = len(groups)
    out["total"][groups] = _first_present(part, lead, orders["total"][where], orders["total_given"][where])
    out["total_given"][groups] = np.bincount(part[orders["total_given"][where]], minlength=n) > 0
    out["all_refunded"][groups] = np.bincount(part[~orders["all_refunded"][where]], minlength=n) == 0
    out["time_given"][groups] = np.bincount(part[orders["time_given"][where]], minlength=n) > 0
    totals = np.zeros(n, dtype=np.int64)
    np.add.at(totals, part, orders["items_total"][where])
    out["items_total"][groups] = totals
    for name in ("status", "ordered_at", "paid_at", *_ORDER_TEXT):
        column = orders[name][where]
        out[name][groups] = _first_present(part, lead, column, _present(column))
    return out


def _present(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "M":
        return ~np.isnat(column)
    return pd.notna(column)


def _stored_times(moments: np.ndarray) -> list[str | None]:
    """Naive-UTC times in the store's own form (as UTCDateTime writes them), None for NaT."""
    if not len(moments):
        return []
    text = np.datetime_as_string(moments.astype("datetime64[us]"), unit="us")  # 2024-05-01T12:15:03.000000
    missing = np.isnat(moments)
    chars = text.view(np.uint32).reshape(len(text), -1)  # one code point per column (numpy's UCS-4)
    if chars.shape[1] > 10 and bool(((chars[:, 10] == ord("T")) | missing).all()):
        chars[:, 10] = ord(" ")  # four-digit years, the date's 'T' at the same place: put the space in
    else:
        text = np.char.replace(text, "T", " ")
    out = text.astype(object)
    out[missing] = None
    return out.tolist()


def _stored(moment: pd.Timestamp) -> str:
    """A UTC time in the store's own form (naive UTC text, as UTCDateTime writes it)."""
    return moment.strftime(_STORED_FORMAT)


@dataclass
class _Parsed:
    """A whole file, checked: one entry per order and one per item row, as column arrays."""

    orders: dict[str, np.ndarray]
    items: dict[str, np.ndarray]  # "order": index into the orders


@dataclass
class _Matched:
    """What the match phase found: who each new order belongs to, who is new, what changed."""

    new: np.ndarray  # indexes of the orders the store does not have
    keys: np.ndarray  # per new order: a customer id, -n for the n-th customer this run creates, 0 for nobody
    customers: dict[str, list[Any]]  # columns of the customers to create
    accounts: list[tuple[int, Buyer]]
    updates: list[tuple[Any, ...]]  # (status, after_sale, total_fen, paid_at, order id) of changed orders


class _Run:
    """One import: the file's checked rows, then one transaction that stores them."""

    def __init__(self, session: Session, table: TableFile, source: str | None, options: ImportOptions,
                 ticker: _Ticker) -> None:
        self.session, self.table, self.options, self.ticker = session, table, options, ticker
        self.source = source or "unknown"
        remembered = remembered_mapping(session, source) if source else {}
        try:
            self.mapping = build_mapping(table.headers, remembered, options.overrides)
        except ValueError as exc:
            raise ImportSetupError("bad_mapping", str(exc), detail=str(exc)) from exc
        self.default_platform = source if source in STORE_PLATFORMS else None
        if self.default_platform is None and "platform" not in self.mapping.columns:
            raise ImportSetupError("no_platform", "cannot tell which platform this export is from: give --platform "
                                   f"({', '.join(STORE_PLATFORMS)})")
        self.local = _local_zone(session, options)
        self.summary = ImportSummary(file=str(table.path), platform=self.default_platform or source or "mixed",
                                     dry_run=options.dry_run)
        exported = options.exported_at or values.export_time(table.path.name)
        self.exported_at = exported.astimezone(timezone.utc) if exported is not None else None
        if self.exported_at is not None:
            self.summary.exported_at = self.exported_at.isoformat()
        self.batch_id: int | None = None
        # Parsed values of the cells met so far, per parser: an export repeats its buyers'
        # phones and its prices from chunk to chunk, each is parsed once per file.
        self.known: dict[str, dict[str, tuple[Any, bool]]] = {}
        self.index: IdentityIndex | None = None
        self.matched: set[int] = set()
        self.duplicates: dict[tuple[int, int, str], None] = {}
        self.search_refresh: set[int] = set()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = self.summary.phases_ms.get(name, 0) + (time.perf_counter() - started) * 1000
            self.summary.phases_ms[name] = round(spent)

    # -- 1. read and check -----------------------------------------------------------------

    def read(self) -> _Parsed | None:
        """The whole file, checked; None when it has errors (they are in the summary)."""
        summary, table, tick = self.summary, self.table, self.ticker.tick
        summary.errors.extend(self._missing_columns())
        # The file's text check found rows that cannot be read as they are (bytes not in its
        # encoding, rows in two encodings, cells past the size limit): they are the errors,
        # and no value is read from a file that is not text in one encoding.
        summary.errors.extend(RowError(p.row, table.problem_column(p), p.value, p.code) for p in table.problems)
        if summary.errors:
            summary.errors.sort(key=lambda e: e.row)
            return None
        tick(0, table.total_rows, "prepare")
        with self.phase("read"):
            orders: list[dict[str, np.ndarray]] = []
            items: list[dict[str, np.ndarray]] = []
            done = 0
            try:
                for chunk in table.chunks(CHUNK_ROWS, list(dict.fromkeys(self.mapping.columns.values())), raw=True):
                    for row in chunk.attrs.get("wide_rows", ()):
                        summary.errors.append(RowError(row, None, None, "unreadable"))
                    part = self._parse(chunk)
                    if part is not None:
                        orders.append(part[0])
                        items.append(part[1])
                    done += len(chunk)
                    tick(done, table.total_rows, "check" if summary.errors else "import")
            except ReadError as exc:  # the rest of the file cannot be read: that row is the error
                summary.errors.append(RowError(exc.row or table.header_row, None, None, "unreadable"))
            self.known.clear()
            phase = "check" if summary.errors else "import"
            parsed = self._combine(orders, items)
            tick(done, table.total_rows, phase)
            self._order_level(parsed.orders)
            tick(done, table.total_rows, phase)
        if summary.errors:
            summary.errors.sort(key=lambda e: e.row)
            return None
        return parsed

    def _missing_columns(self) -> list[RowError]:
        cols = self.mapping.columns
        needs = [("order_id",), ("ordered_at", "paid_at"), ("item_amount", "order_total", "unit_price"),
                 ("buyer_id", "buyer_handle", "recipient_name", "phone")]
        return [RowError(self.table.header_row, None, " / ".join(group), "missing_column")
                for group in needs if not any(f in cols for f in group)]

    def _flag(self, rows: np.ndarray, mask: np.ndarray, field_name: str | None, cells: _Cells | None,
              code: str) -> None:
        if not mask.any():
            return
        column = self.mapping.column(field_name) if field_name else None
        given = cells.text()[mask].tolist() if cells is not None else [None] * int(mask.sum())
        self.summary.errors.extend(RowError(int(row), column, value, code)
                                   for row, value in zip(rows[mask].tolist(), given))

    def _parse(self, chunk: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None:
        """A chunk's rows checked and parsed, grouped into its orders; errors go to the summary."""
        rows = chunk.index.to_numpy()
        cells = {name: _Cells.of(chunk[column].to_numpy()) for name, column in self.mapping.columns.items()}
        filled = np.zeros(len(rows), dtype=bool)
        for c in cells.values():
            filled |= c.present()
        if not filled.all():  # blank rows are skipped
            rows = rows[filled]
            cells = {name: c.subset(filled) for name, c in cells.items()}
        if not len(rows):
            return None
        self.summary.rows_read += len(rows)
        blank = _Cells.empty(len(rows))
        cell: dict[str, _Cells] = {name: cells.get(name, blank) for name in FIELDS}
        # Who the buyer is, where the export withheld it (encrypted, masked): not given.
        for name in _WITHHOLDABLE:
            cell[name] = cell[name].without(values.phone_withheld if name == "phone" else values.withheld)

        order_ids = cell["order_id"]
        self._flag(rows, ~order_ids.present(), "order_id", order_ids, "required")
        for name, width in _ID_WIDTH.items():
            c = cell[name]
            self._flag(rows, c.rows([len(u) > width for u in c.uniques]), name, c, "too_long")
        platform = self._platforms(cell["platform"], rows)
        money = {}
        for name in ("unit_price", "item_amount", "order_total"):
            c = cell[name]
            fen, bad = self._each("money", c.uniques, values.money_fen, 0, np.int64)
            refused = c.rows(bad)
            self._flag(rows, refused, name, c, "money")
            money[name] = (c.take(fen, 0), c.present() & ~refused)
        c = cell["quantity"]
        counts, bad = self._each("quantity", c.uniques, values.quantity, 1, np.int64)
        self._flag(rows, c.rows(bad), "quantity", c, "quantity")
        quantity = c.take(counts, 1)  # an empty quantity is one item
        times = {}
        for name in ("ordered_at", "paid_at"):
            c = cell[name]
            if len(c.uniques):
                moments, bad = values.naive_utc(c.uniques, self.local)
            else:
                moments, bad = np.empty(0, dtype="datetime64[us]"), np.empty(0, dtype=bool)
            self._flag(rows, c.rows(bad), name, c, "datetime")
            times[name] = c.take(moments, np.datetime64("NaT", "us"))
        # Text columns with a mask of the rows that have a value (None elsewhere).
        c = cell["phone"]
        phones, bad = self._each("phone", c.uniques, values.phone, None, object)
        self._flag(rows, c.rows(bad), "phone", c, "phone")
        text = {"phone": (c.take(phones, None), c.present() & ~c.rows(bad))}
        c = cell["status"]
        statuses, bad = self._each("status", c.uniques, values.order_status, None, object)
        self._flag(rows, c.rows(bad), "status", c, "status")
        status, status_given = c.take(statuses, None), c.present() & ~c.rows(bad)
        c = cell["after_sale"]
        refunded = c.take(np.array([values.refund_done(u) for u in c.uniques], dtype=bool), False)
        for name in (*_ORDER_TEXT, *_ITEM_TEXT):
            if name != "phone":
                c, width = cell[name], _WIDTH.get(name)
                cut = c.uniques if width is None else np.array([u[:width] for u in c.uniques], dtype=object)
                text[name] = (c.take(cut, None), c.present())
        time_given = cell["ordered_at"].present() | cell["paid_at"].present()

        (unit, unit_given), (item_amount, amount_given) = money["unit_price"], money["item_amount"]
        amount = np.where(amount_given, item_amount, np.where(unit_given, unit * quantity, 0))
        unit = np.where(unit_given, unit, np.where(amount_given, item_amount // quantity, 0))

        # One order per (platform, order number); rows without a number are already errors.
        keep = order_ids.present()
        if not keep.all():
            rows, platform, quantity, unit, amount, refunded, status, status_given, time_given = (
                a[keep] for a in (rows, platform, quantity, unit, amount, refunded, status, status_given, time_given))
            text = {name: (v[keep], g[keep]) for name, (v, g) in text.items()}
            times = {name: a[keep] for name, a in times.items()}
            money = {name: (v[keep], g[keep]) for name, (v, g) in money.items()}
        number = order_ids.text()[keep]
        if not len(number):
            return None
        codes, count = _group_codes(platform, number)
        first = _first_positions(codes)
        total, total_given = money["order_total"]
        orders = {
            "platform": platform[first], "order_id": number[first], "first_row": rows[first],
            "total": _first_present(codes, first, total, total_given),
            "total_given": np.bincount(codes[total_given], minlength=count) > 0,
            "status": _first_present(codes, first, status, status_given),
            "all_refunded": np.bincount(codes[~refunded], minlength=count) == 0,
            "items_total": np.bincount(codes, weights=amount, minlength=count).round().astype(np.int64),
            "time_given": np.bincount(codes[time_given], minlength=count) > 0,
        }
        for name, column in times.items():
            orders[name] = _first_present(codes, first, column, ~np.isnat(column))
        for name in _ORDER_TEXT:
            orders[name] = _first_present(codes, first, *text[name])
        product, named = text["product_name"]
        product[~named] = ""
        items = {"order": codes, "sub_order_id": text["sub_order_id"][0], "product_name": product,
                 "quantity": quantity, "unit": unit, "amount": amount, "refunded": refunded}
        return orders, items

    def _each(self, kind: str, uniques: np.ndarray, parse: Callable[[str], Any], empty: object,
              dtype: object) -> tuple[np.ndarray, np.ndarray]:
        """``values.parse_each`` over a chunk's distinct cells, remembering them for the next chunks."""
        known = self.known.setdefault(kind, {})
        texts = uniques.tolist()
        hits = list(map(known.get, texts))
        fresh = [i for i, hit in enumerate(hits) if hit is None]
        if fresh:
            new_values, new_refused = values.parse_each([texts[i] for i in fresh], parse, empty, dtype)
            for i, hit in zip(fresh, zip(new_values.tolist(), new_refused.tolist())):
                hits[i] = known[texts[i]] = hit
        parsed = np.empty(len(hits), dtype=dtype)
        parsed[:] = [hit[0] for hit in hits]
        return parsed, np.array([hit[1] for hit in hits], dtype=bool)

    def _platforms(self, c: _Cells, rows: np.ndarray) -> np.ndarray:
        named = np.array([_PLATFORM_NAMES.get(u.lower()) for u in c.uniques], dtype=object)
        known = np.array([n is not None for n in named.tolist()], dtype=bool)
        unknown = c.rows(~known)
        self._flag(rows, unknown, "platform", c, "platform")
        platform, missing = c.take(named, None), ~c.rows(known)  # empty, or not a platform's name
        if self.default_platform:
            platform[missing] = self.default_platform
        else:
            self._flag(rows, missing & ~unknown, "platform", c, "required")
            platform[missing] = ""
        return platform

    def _combine(self, orders: list[dict[str, np.ndarray]], items: list[dict[str, np.ndarray]]) -> _Parsed:
        """The chunks' orders and items as one; an order met again in a later chunk (its rows
        were not all together) becomes one order, as if its rows had been read together."""
        offsets = np.cumsum([0] + [len(part["order_id"]) for part in orders])
        for part, offset in zip(items, offsets):
            part["order"] = part["order"] + offset
        merged = {name: _concat([part.pop(name) for part in orders], name) for name in _ORDER_COLUMNS}
        rows = {name: _concat([part.pop(name) for part in items], name) for name in _ITEM_COLUMNS}
        codes, count = _group_codes(merged["platform"], merged["order_id"])
        if count < len(codes):
            merged = _merge_orders(merged, codes, count)
            rows["order"] = codes[rows["order"]]
        return _Parsed(merged, rows)

    def _order_level(self, orders: dict[str, np.ndarray]) -> None:
        """Checks and values that need all of an order's rows: its time, its buyer, status, total."""
        first_row = orders["first_row"]
        when = np.where(np.isnat(orders["ordered_at"]), orders["paid_at"], orders["ordered_at"])
        no_time = np.isnat(when) & ~orders["time_given"]
        # An order's errors come after its rows' own: the report is sorted by row, stably.
        # An order without any buyer evidence is no error: it is stored without a customer.
        self._flag(first_row, no_time, "ordered_at", None, "required")
        orders["ordered_at"] = when
        status = orders["status"]
        unset = pd.isna(status)
        status[unset] = np.where(np.isnat(orders["paid_at"][unset]), "pending", "paid")
        status[orders["all_refunded"] & (status != "cancelled")] = "refunded"
        orders["total"] = np.where(orders["total_given"], orders["total"], orders["items_total"])

    # -- 2.-4. store -----------------------------------------------------------------------

    def store(self, parsed: _Parsed) -> None:
        """Match, write and finish inside the caller's transaction (a dry run only matches).

        Takes ``parsed`` over and lets it go once written: the recompute has the memory."""
        conn = self.session.connection()
        with _cancellable(conn, self.ticker):
            if not self.options.dry_run:
                digest = _sha256(self.table.path, lambda: self.ticker.tick(0, None, "match"))
                # The first statement writes: the store's write lock is ours from here on, so
                # nobody changes what the match phase reads before the write phase uses it.
                batch = ImportBatch(kind="orders", source=self.source, file_name=self.table.path.name[:260],
                                    file_sha256=digest, status="running", exported_at=self.exported_at)
                self.session.add(batch)
                self.session.flush()
                self.batch_id = self.summary.batch_id = batch.id
            with _no_cycle_collection():  # see there: hundreds of thousands of new containers
                with self.phase("identity"):
                    matched = self._match(conn, parsed)
                    self.index = None
                if self.options.dry_run:
                    self._count_only(conn, matched)
                    return
                with self.phase("write"):
                    # Customers' indexes come back after the recompute, which rewrites their tiers.
                    customer_indexes = _drop_indexes(conn, _CUSTOMERS, len(matched.customers["nickname"]),
                                                     steady=("created_at", "source_batch_id"))
                    self._write(conn, parsed, matched)
                    parsed.orders.clear()
                    parsed.items.clear()
                    del matched
            self._finish(batch)
            with self.phase("write"):
                _build_indexes(conn, customer_indexes, self.ticker)
            for table in ("orders", "order_items", "customers", "platform_accounts", "points_ledger",
                          "possible_duplicates"):
                changes.touch(self.session, table)

    # -- 2. match --

    def _match(self, conn: Any, parsed: _Parsed) -> _Matched:
        orders, tick = parsed.orders, self.ticker.tick
        total = len(orders["order_id"])
        tick(0, total, "match")
        self.index = IdentityIndex.load(conn, lambda n: tick(0, total, "match"))
        where, stored = self._existing(conn, orders)
        exists = np.zeros(total, dtype=bool)
        exists[where] = True
        updates = self._compare(orders, where, stored)
        new = np.flatnonzero(~exists)
        evidence = {name: orders[name] if len(new) == total else orders[name][new] for name in (*_EVIDENCE, "province")}
        codes = _row_codes([evidence[name] for name in _EVIDENCE])
        firsts = _first_positions(codes)
        columns = {name: evidence[name][firsts].tolist() for name in evidence}  # per distinct evidence
        index, duplicates, resolve = self.index, self.duplicates, self._resolve
        # Each distinct buyer evidence (in order of first appearance) and its keys, once.
        buyers = [Buyer(*row) for row in zip(*(columns[name] for name in _EVIDENCE))]
        keys_of = [index.keys(buyer) for buyer in buyers]
        findable = [index.finds_again(keys) for keys in keys_of]
        # A buyer's later orders can only change something when their evidence never matches
        # (a name alone: each order makes a customer) or when others share their name and
        # masked phone (another buyer of this file, a stored customer): possible duplicates
        # may have appeared in between. The other later orders find the same customer and
        # nothing new: they are not visited.
        shared = Counter(keys.name_mask for keys in keys_of if keys.name_mask)
        watch = np.array([not can or (keys.name_mask is not None and (shared[keys.name_mask] > 1
                                                                       or keys.name_mask in index.by_name_mask))
                          for keys, can in zip(keys_of, findable)], dtype=bool)
        visit = np.zeros(len(codes), dtype=bool)
        visit[firsts] = True
        if len(codes):
            visit |= watch[codes]
        visit = np.flatnonzero(visit)
        new_customers: list[tuple[Any, ...]] = []
        accounts: list[tuple[int, Buyer]] = []
        made: list[int] = [0] * len(buyers)  # the customer each evidence's first order was given
        found: list[int | None] = [None] * len(buyers)  # that customer, if the evidence finds them again
        groups: list[set[int] | None] = [None] * len(buyers)  # its name + masked phone group
        own: dict[int, int] = {}  # later orders of evidence that never matches: the customer each made
        seen = 0
        for a in range(0, len(visit), MATCH_BATCH):
            tick(a, len(visit), "match")
            part = visit[a:a + MATCH_BATCH]
            for i, code in zip(part.tolist(), codes[part].tolist()):
                if code == seen:  # the first order with this evidence
                    keys = keys_of[code]
                    key = resolve(buyers[code], keys, columns["province"][code], new_customers, accounts)
                    made[code] = key
                    found[code] = key if findable[code] else None
                    groups[code] = index.mask_group(keys)
                    seen += 1
                elif found[code] is None:  # evidence that never matches: as new each time
                    if made[code] != UNKNOWN_BUYER:  # nobody's stays nobody's
                        own[i] = resolve(buyers[code], keys_of[code], evidence["province"][i], new_customers,
                                         accounts)
                else:
                    # The same evidence again finds the same customer (the index only ever adds
                    # keys, never moves one); only possible duplicates can be new.
                    group = groups[code]
                    if group is not None and len(group) > 1:
                        for other, reason in index.match(buyers[code], keys_of[code]).possible:
                            duplicates[(found[code], other, reason)] = None
        tick(len(visit), len(visit), "match")
        keys = np.asarray(made, dtype=np.int64)[codes] if len(codes) else np.empty(0, dtype=np.int64)
        for i, key in own.items():
            keys[i] = key
        customers = {name: list(column) for name, column in zip(_NEW_CUSTOMER, zip(*new_customers))} \
            if new_customers else {name: [] for name in _NEW_CUSTOMER}
        return _Matched(new=new, keys=keys, customers=customers, accounts=accounts, updates=updates)

    def _existing(self, conn: Any, orders: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The file's orders the store already has: their indexes, and their stored values."""
        found: dict[str, list[Any]] = {name: [] for name in _STORED}
        where: list[np.ndarray] = []
        o = _ORDERS.c
        columns = (o.platform_order_id, o.id, o.customer_id, o.status, o.after_sale, o.total_fen,
                   type_coerce(o.paid_at, String).label("paid_at"),  # as stored: compared, maybe written back
                   type_coerce(o.exported_at, String).label("exported_at"))
        for platform in pd.unique(orders["platform"]):
            mine = np.flatnonzero(orders["platform"] == platform)
            in_store = conn.scalar(select(func.count()).select_from(_ORDERS).where(o.platform == platform))
            if not in_store:
                continue
            numbers = orders["order_id"][mine]
            if in_store <= 4 * len(numbers):  # one pass over the platform's orders beats many lookups
                queries = [select(*columns).where(o.platform == platform)]
            else:
                queries = [select(*columns).where(o.platform == platform, o.platform_order_id.in_(
                    numbers[a:a + IN_BATCH].tolist())) for a in range(0, len(numbers), IN_BATCH)]
            position = pd.Index(numbers)
            for query in queries:
                for part in conn.execute(query).partitions(WRITE_BATCH):
                    got = list(zip(*part))
                    at = position.get_indexer(list(got[0]))
                    hit = at >= 0
                    where.append(mine[at[hit]])
                    for name, column in zip(_STORED, got[1:]):
                        found[name].extend(np.asarray(column, dtype=object)[hit].tolist())
                    self.ticker.tick(0, len(orders["order_id"]), "match")
        stored = {name: np.asarray(found[name], dtype=object) for name in _STORED}
        return (np.concatenate(where) if where else np.empty(0, dtype=np.intp)), stored

    def _compare(self, orders: dict[str, np.ndarray], where: np.ndarray,
                 stored: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
        """Orders the store has: unchanged, or the new status, after-sale, total and payment time."""
        if not len(where):
            return []
        if self.exported_at is not None:  # what a newer export already said stays
            stored_export = pd.to_datetime(pd.Series(stored["exported_at"], dtype=object), format="ISO8601")
            newer = (stored_export > pd.Timestamp(self.exported_at).tz_localize(None)).to_numpy(dtype=bool)
            if newer.any():
                self.summary.orders_outdated += int(newer.sum())
                where, stored = where[~newer], {name: column[~newer] for name, column in stored.items()}
        self.matched.update(c for c in stored["customer_id"].tolist() if c is not None)
        paid = orders["paid_at"][where]
        stored_paid = pd.to_datetime(pd.Series(stored["paid_at"], dtype=object), format="ISO8601")
        stored_paid = stored_paid.to_numpy(dtype="datetime64[us]")
        status, after_sale, total = orders["status"][where], orders["after_sale"][where], orders["total"][where]
        same = ((status == stored["status"]) & (after_sale == stored["after_sale"])
                & (total == stored["total_fen"].astype(np.int64)) & (np.isnat(paid) | (paid == stored_paid)))
        self.summary.orders_unchanged += int(same.sum())
        changed = np.flatnonzero(~same)
        paid_text = np.asarray(_stored_times(paid[changed]), dtype=object)
        keep = pd.isna(paid_text)
        paid_text[keep] = stored["paid_at"][changed][keep]  # no payment time in the file: keep the stored one
        return list(zip(status[changed].tolist(), after_sale[changed].tolist(), total[changed].tolist(),
                        paid_text.tolist(), stored["id"][changed].tolist()))

    def _resolve(self, buyer: Buyer, keys: Keys, province: str | None, customers: list[tuple[Any, ...]],
                 accounts: list[tuple[int, Buyer]]) -> int:
        """The customer of ``buyer``: matched, or a new one added to ``customers`` (columns as
        ``_NEW_CUSTOMER``) under the key -n for the n-th, or UNKNOWN_BUYER when nothing a
        person could know them by was given."""
        assert self.index is not None
        match = self.index.match(buyer, keys)
        key = match.key
        if key is None and not buyer.recognisable():
            return UNKNOWN_BUYER  # no customer from a placeholder or a bare id: see identity
        if key is None:
            key = -1 - len(customers)
            masked, full = buyer.masked_phone, buyer.full_phone
            nickname = buyer.display_name()[:100]
            customers.append((nickname, buyer.name, full, masked, province, buyer.city, buyer.address,
                              search_text(nickname, buyer.name, full or masked,
                                          [v for v in (buyer.handle, buyer.buyer_id) if v])))
            if buyer.buyer_id or buyer.handle:
                accounts.append((key, buyer))
        else:
            if key > 0:
                self.matched.add(key)
            # A known customer seen with a platform identity the store did not have yet.
            if match.via not in ("buyer_id", "handle") and (buyer.buyer_id or buyer.handle):
                accounts.append((key, buyer))
        for other, reason in match.possible:
            self.duplicates[(key, other, reason)] = None
        self.index.learn(key, buyer, keys=keys)
        return key

    def _count_only(self, conn: Any, matched: _Matched) -> None:
        """A dry run's counts: what the write phase would report, without writing."""
        summary = self.summary
        created = len(matched.customers["nickname"])
        first = (conn.scalar(select(func.max(_CUSTOMERS.c.id))) or 0) + 1  # as the write phase numbers them
        summary.customers_created = created
        summary.orders_created = len(matched.new)
        summary.orders_updated = len(matched.updates)
        summary.customers_matched = len(self.matched)
        summary.possible_duplicates = len(self._duplicate_rows(conn, np.arange(first, first + created)))

    # -- 3. write --

    def _write(self, conn: Any, parsed: _Parsed, matched: _Matched) -> None:
        orders, items, summary = parsed.orders, parsed.items, self.summary
        new = matched.new
        work = len(matched.customers["nickname"]) + len(new) + len(items["order"])
        done = 0

        def step(rows: int) -> None:
            nonlocal done
            done += rows
            self.ticker.tick(done, work, "write")

        step(0)
        customer_ids = self._insert_customers(conn, matched.customers, step)
        keys = matched.keys
        owner = np.where(keys > 0, keys, customer_ids[np.where(keys < 0, -keys - 1, 0)] if len(customer_ids)
                         else 0).astype(object)
        nobody = keys == UNKNOWN_BUYER
        owner[nobody] = None
        summary.orders_without_buyer = int(nobody.sum())
        self._insert_accounts(conn, matched.accounts, customer_ids)
        order_indexes = _drop_indexes(conn, _ORDERS, len(new), steady=("import_batch_id", "broadcast_id"))
        order_ids = self._insert_orders(conn, orders, new, owner, step)
        _build_indexes(conn, order_indexes, self.ticker)  # the recompute reads orders through them
        # Items of the new orders only: those of orders the store had are there already.
        id_of_order = np.zeros(len(orders["order_id"]), dtype=np.int64)
        id_of_order[new] = order_ids
        mine = np.flatnonzero(id_of_order[items["order"]] > 0)
        self._insert_items(conn, items, mine, id_of_order, orders["status"], step)
        if matched.updates:
            now = _stored(pd.Timestamp.now(tz="UTC"))
            o, i = _ORDERS.c, _ITEMS.c
            # The export time travels with the status it vouches for (kept when the file has none).
            changes = {"status": bindparam("v_status"), "after_sale": bindparam("v_after_sale"),
                       "total_fen": bindparam("v_total"), "paid_at": bindparam("v_paid"),
                       "updated_at": bindparam("v_now")}
            keys, extra = ["v_status", "v_after_sale", "v_total", "v_paid", "oid", "v_now"], ()
            if self.exported_at is not None:
                changes["exported_at"] = bindparam("v_exported")
                keys.append("v_exported")
                extra = (_stored(pd.Timestamp(self.exported_at)),)
            _executemany(conn, update(_ORDERS).where(o.id == bindparam("oid")).values(changes), keys,
                         [(*u, now, *extra) for u in matched.updates])
            _executemany(conn, update(_ITEMS).where(i.order_id == bindparam("oid")).values(
                status=bindparam("v_status")), ["v_status", "oid"], [(u[0], u[4]) for u in matched.updates])
        summary.orders_updated = len(matched.updates)
        summary.orders_created = len(new)
        summary.customers_created = len(customer_ids)
        self._insert_duplicates(conn, customer_ids)
        self._refresh_search_text(conn)
        summary.customers_matched = len(self.matched)

    def _insert_customers(self, conn: Any, customers: dict[str, list[Any]],
                          step: Callable[[int], None]) -> np.ndarray:
        count = len(customers["nickname"])
        if not count:
            return np.empty(0, dtype=np.int64)
        # Ids first (the adapter takes them under SQLite's write lock or from the server's
        # sequence), so the rows go in as a plain bulk load and owners are known at once.
        ids = adapter_for(conn).reserve_ids(conn, _CUSTOMERS, count)
        _insert_columns(conn, _CUSTOMERS, {"id": ids.tolist(), **customers}, step, {"source_batch_id": self.batch_id})
        return ids

    def _insert_accounts(self, conn: Any, accounts: list[tuple[int, Buyer]], customer_ids: np.ndarray) -> None:
        rows, known = [], set()
        for key, buyer in accounts:
            ident = (buyer.platform, buyer.buyer_id or f"@{buyer.handle}")
            if ident in known:
                continue
            known.add(ident)
            customer_id = key if key > 0 else int(customer_ids[-key - 1])
            rows.append({"customer_id": customer_id, "platform": buyer.platform, "uid": buyer.buyer_id,
                         "handle": (buyer.handle or "")[:64] or None, "nickname": (buyer.handle or "")[:100] or None})
            if key > 0:
                self.search_refresh.add(customer_id)
        if rows:
            conn.execute(insert(PlatformAccount.__table__), rows)

    def _insert_orders(self, conn: Any, orders: dict[str, np.ndarray], new: np.ndarray, owner: np.ndarray,
                       step: Callable[[int], None]) -> np.ndarray:
        if not len(new):
            return np.empty(0, dtype=np.int64)
        columns = {
            "platform": orders["platform"][new], "platform_order_id": orders["order_id"][new],
            "customer_id": owner, "buyer_uid": orders["buyer_id"][new], "broadcast_id": self._broadcasts(conn, orders, new),
            "status": orders["status"][new], "after_sale": orders["after_sale"][new],
            "total_fen": orders["total"][new], "ordered_at": orders["ordered_at"][new],
            "paid_at": orders["paid_at"][new],
            "recipient_name": orders["recipient_name"][new], "recipient_phone": orders["phone"][new],
            "city": orders["city"][new], "address": orders["address"][new],
        }
        ids = adapter_for(conn).reserve_ids(conn, _ORDERS, len(new))  # see _insert_customers
        _insert_columns(conn, _ORDERS, {"id": ids, **columns}, step, self._same_for_orders())
        return ids

    def _same_for_orders(self) -> dict[str, Any]:
        same: dict[str, Any] = {"import_batch_id": self.batch_id}
        if self.exported_at is not None:
            same["exported_at"] = _stored(pd.Timestamp(self.exported_at))
        return same

    def _broadcasts(self, conn: Any, orders: dict[str, np.ndarray], new: np.ndarray) -> np.ndarray:
        """Per new order: the broadcast of its platform running when it was placed (None if none).

        Whoever bought, known or not: a broadcast's sales count every order placed during it."""
        out = np.full(len(new), None, dtype=object)
        b = Broadcast.__table__.c
        found = conn.execute(select(b.platform, b.id, type_coerce(b.started_at, String),
                                    type_coerce(b.ended_at, String)).order_by(b.started_at)).all()
        if not found or not len(new):
            return out
        platform, when = orders["platform"][new], orders["ordered_at"][new]
        never = np.datetime64("9999-12-31", "us")  # a broadcast still on air: everything after its start
        for name in {row[0] for row in found}:
            mine = [row for row in found if row[0] == name]
            starts = pd.to_datetime(pd.Series([r[2] for r in mine]), format="ISO8601").to_numpy("datetime64[us]")
            ends = pd.to_datetime(pd.Series([r[3] for r in mine]), format="ISO8601")
            ends = ends.to_numpy("datetime64[us]", copy=True)
            ends[np.isnat(ends)] = never
            at = np.flatnonzero(platform == name)
            slot = np.searchsorted(starts, when[at], side="right") - 1
            hit = (slot >= 0) & ~np.isnat(when[at])
            hit[hit] = when[at][hit] < ends[slot[hit]]
            out[at[hit]] = np.asarray([r[1] for r in mine], dtype=object)[slot[hit]]
        return out

    def _insert_items(self, conn: Any, items: dict[str, np.ndarray], mine: np.ndarray, id_of_order: np.ndarray,
                      status: np.ndarray, step: Callable[[int], None]) -> None:
        if not len(mine):
            return
        order = items["order"][mine]
        item_status = status[order].copy()
        item_status[items["refunded"][mine]] = "refunded"
        _insert_columns(conn, _ITEMS, {
            "order_id": id_of_order[order], "sub_order_id": items["sub_order_id"][mine],
            "product_name": items["product_name"][mine], "quantity": items["quantity"][mine],
            "unit_price_fen": items["unit"][mine], "amount_fen": items["amount"][mine], "status": item_status,
        }, step)

    # -- 4. finish --

    def _finish(self, batch: ImportBatch) -> None:
        summary = self.summary
        self.ticker.tick(summary.rows_read, summary.rows_read, "finish")
        with self.phase("recompute"):
            if self.options.recompute_segments:
                from livedesk.services import points, segments

                conn = self.session.connection()
                if summary.orders_created >= BULK_ROWS:  # the set-based steps below plan on statistics
                    adapter_for(conn).analyze(conn, [_CUSTOMERS, _ORDERS, _ITEMS, PlatformAccount.__table__])
                ledger_indexes = _drop_indexes(conn, PointsEntry.__table__, summary.orders_created)
                points.settle_orders(self.session)
                _build_indexes(conn, ledger_indexes, self.ticker)  # balances are summed through one
                self.ticker.tick(summary.rows_read, summary.rows_read, "finish")
                segments.recompute(self.session)
        if self.options.overrides and self.source != "unknown":
            remember_mapping(self.session, self.source, self.options.overrides)
        detail = summary.as_dict(errors_listed=0)
        batch.status, batch.row_count, batch.finished_at = "done", summary.rows_read, utcnow()
        batch.summary = {k: v for k, v in detail.items() if k not in ("error_rows", "file", "phases_ms")}
        self.session.add(AuditEntry(actor=self.options.actor, action="import", entity="import_batch",
                                    entity_id=str(self.batch_id), detail=batch.summary | {"file": batch.file_name}))
        self.ticker.tick(summary.rows_read, summary.rows_read, "finish")

    def _duplicate_rows(self, conn: Any, customer_ids: np.ndarray) -> list[dict[str, Any]]:
        """Possible duplicates found by this run that the store does not list yet."""
        pairs: dict[tuple[int, int, str], None] = {}
        for key, other, reason in self.duplicates:
            a, b = sorted(int(k) if k > 0 else int(customer_ids[-k - 1]) for k in (key, other))
            if a != b:
                pairs[(a, b, reason)] = None
        known = set()
        ids = sorted({a for a, _, _ in pairs})
        for i in range(0, len(ids), IN_BATCH):
            known.update(conn.execute(
                select(PossibleDuplicate.customer_id, PossibleDuplicate.other_id, PossibleDuplicate.reason)
                .where(PossibleDuplicate.customer_id.in_(ids[i:i + IN_BATCH]))).all())
        return [{"customer_id": a, "other_id": b, "reason": r, "batch_id": self.batch_id}
                for a, b, r in pairs if (a, b, r) not in known]

    def _insert_duplicates(self, conn: Any, customer_ids: np.ndarray) -> None:
        rows = self._duplicate_rows(conn, customer_ids)
        if rows:
            conn.execute(insert(PossibleDuplicate.__table__), rows)
        self.summary.possible_duplicates = len(rows)

    def _refresh_search_text(self, conn: Any) -> None:
        """Customers the run gave a new platform account: their handles join the search key."""
        ids = sorted(self.search_refresh)
        for i in range(0, len(ids), IN_BATCH):
            part = ids[i:i + IN_BATCH]
            handles: dict[int, list[str]] = {}
            for cid, *keys in conn.execute(
                select(PlatformAccount.customer_id, PlatformAccount.handle, PlatformAccount.uid,
                       PlatformAccount.nickname).where(PlatformAccount.customer_id.in_(part))
            ):
                handles.setdefault(cid, []).extend(k for k in keys if k)
            rows = [{"cid": cid, "search_text": search_text(nick, real, phone or masked, handles.get(cid, []))}
                    for cid, nick, real, phone, masked in conn.execute(
                        select(Customer.id, Customer.nickname, Customer.real_name, Customer.phone,
                               Customer.phone_masked).where(Customer.id.in_(part)))]
            conn.execute(update(_CUSTOMERS).where(_CUSTOMERS.c.id == bindparam("cid")), rows)


_ORDER_COLUMNS = ("platform", "order_id", "first_row", "total", "total_given", "status", "all_refunded",
                  "items_total", "time_given", "ordered_at", "paid_at", *_ORDER_TEXT)
_ITEM_COLUMNS = ("order", "sub_order_id", "product_name", "quantity", "unit", "amount", "refunded")
_STORED = ("id", "customer_id", "status", "after_sale", "total_fen", "paid_at", "exported_at")
_NEW_CUSTOMER = ("nickname", "real_name", "phone", "phone_masked", "province", "city", "address", "search_text")
_EMPTY = {"first_row": np.int64, "total": np.int64, "items_total": np.int64, "total_given": bool,
          "all_refunded": bool, "time_given": bool, "ordered_at": "datetime64[us]", "paid_at": "datetime64[us]",
          "order": np.intp, "quantity": np.int64, "unit": np.int64, "amount": np.int64, "refunded": bool}


def _concat(parts: list[np.ndarray], name: str) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=_EMPTY.get(name, object))


def _drop_indexes(conn: Any, table: Any, incoming: int, steady: tuple[str, ...] = ()) -> list[str]:
    """Before a bulk load that at least doubles ``table``, drop its secondary indexes and
    return the statements that build them again (the database adapter finds them).

    Inserting rows in random key order into half a dozen B-trees costs several times what
    building each index once from sorted keys does (CREATE INDEX). Both happen inside the
    import's transaction: a rollback brings the indexes back, and unique indexes
    (constraints') stay to check every row. An index on ``steady`` columns only (every new
    row holds one same value there, and the import rewrites none of them) grows at its end:
    cheaper kept than built again.
    """
    if incoming < BULK_ROWS:
        return []
    if incoming < (conn.scalar(select(func.count()).select_from(table)) or 0):
        return []
    adapter = adapter_for(conn)
    found = adapter.secondary_indexes(conn, table, steady)
    for name, _sql in found:
        adapter.drop_index(conn, name)
    return [sql for _name, sql in found]


def _build_indexes(conn: Any, statements: list[str], ticker: _Ticker) -> None:
    for sql in statements:
        conn.exec_driver_sql(sql)
        ticker.again()


def _insert_columns(conn: Any, table: Any, columns: dict[str, Any], step: Callable[[int], None],
                    same: dict[str, Any] | None = None) -> None:
    """Insert rows given as columns already in storage form (times: datetime64 arrays), in
    batches of WRITE_BATCH through the driver's executemany; ``step(rows)`` after each.

    ``same`` holds values every row shares; they, the columns' scalar defaults and the time
    stamps are written into the statement once instead of being bound for every row."""
    names = list(columns)
    count = len(next(iter(columns.values())))
    fixed = {**_fixed_values(table, [*names, *(same or {})]), **(same or {})}
    statement = adapter_for(conn).BulkWriter(
        conn, insert(table).values({**{name: bindparam(name) for name in names},
                                    **{name: literal_column(_sql_literal(v)) for name, v in fixed.items()}}),
        names, table=table, fixed=fixed)
    for a in range(0, count, WRITE_BATCH):
        part = []
        for name in names:
            column = columns[name][a:a + WRITE_BATCH]
            if isinstance(column, np.ndarray) and column.dtype.kind == "M":
                part.append(_stored_times(column))
            else:
                part.append(column.tolist() if isinstance(column, np.ndarray) else column)
        rows = list(zip(*part))
        statement.run(rows)
        step(len(rows))


def _fixed_values(table: Any, names: list[str]) -> dict[str, Any]:
    """Values for the columns the rows leave out: scalar defaults, and now for the time stamps."""
    now = _stored(pd.Timestamp.now(tz="UTC"))
    fixed: dict[str, Any] = {c.name: c.default.arg for c in table.columns
                             if c.default is not None and c.default.is_scalar and c.name not in names}
    fixed.update({c.name: now for c in table.columns if c.name in ("created_at", "updated_at") and c.name not in names})
    return fixed


def _sql_literal(value: Any) -> str:
    """One of the importer's own constants (an id, a default, a time stamp) as SQL text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


def _executemany(conn: Any, statement: Any, keys: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Run ``statement`` once per row through the driver, values in storage form: SQLAlchemy's
    per-row bind processing costs more than the database's own work (adapters' BulkWriter)."""
    adapter_for(conn).BulkWriter(conn, statement, keys).run(rows)


def _sha256(path: Path, tick: Callable[[], None] | None = None) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            digest.update(block)
            if tick:
                tick()
    return digest.hexdigest()
