"""Exports of customers and orders to XLSX and CSV, for the shop's own spreadsheets (and PIPL requests).

Chinese column headers; money in yuan with two decimals from integer fen (text in CSV,
numbers formatted ``0.00`` in XLSX so Excel can sum them); times in the shop's local time.
Rows are read in chunks by id (keyset paging) and written as they come: a CSV through one
UTF-8-with-BOM stream (Excel then reads the Chinese right), an XLSX through openpyxl's
write-only workbook, a new sheet when one is full (Excel's limit is 1,048,576 rows). The
file is written in the app's private folder (``private.work_dir``, 0700; openpyxl's own
temporary files too) and appears under its name only when complete, moved into place in
one rename: a killed export leaves nothing in the user's folder, and what it left in the
private folder is removed at the next start. Every export is written to the audit log:
who, what, which filter, how many rows, where.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import AuditEntry, Customer, CustomerTag, Order, OrderItem, PlatformAccount, Tag
from livedesk.models.engine import WritePolicy, write_engine
from livedesk.services import customers, private, settings, team
from livedesk.services.cells import FORMULA_STARTS
from livedesk.services.customers import CustomerFilter
from livedesk.services.errors import Refused
from livedesk.services.frames import fetch_rows, read_frame

log = logging.getLogger(__name__)

CHUNK = 20_000
XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header included
FORMATS = ("xlsx", "csv")
LIST_SEPARATOR = "；"
Progress = Callable[[int, int], None]

# The app's zh_CN words for the codes (ui/labels.py translates the same codes on screen).
TIER_WORDS = {"vip": "高价值VIP", "potential": "潜力活跃客", "new": "普通新客", "dormant": "沉睡客", "lost": "流失客",
              "prospect": "未购客"}
LEVEL_WORDS = {"none": "会员", "silver": "银钻会员", "gold": "金钻会员"}
PLATFORM_WORDS = {"douyin": "抖音", "taobao": "淘宝", "kuaishou": "快手", "channels": "视频号", "tiktok": "TikTok Shop",
                  "shopify": "Shopify"}
STATUS_WORDS = {"pending": "待付款", "paid": "已付款", "completed": "已完成", "cancelled": "已取消", "refunded": "已退款"}
GENDER_WORDS = {"F": "女", "M": "男"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | money | time | date
    words: dict[str, str] | None = None  # codes shown as the app's words
    width: int = 12


CUSTOMER_COLUMNS = (
    Column("id", "客户ID", "int", width=9),
    Column("nickname", "昵称", width=18),
    Column("real_name", "姓名", width=10),
    Column("phone", "手机号", width=14),
    Column("gender", "性别", words=GENDER_WORDS, width=6),
    Column("birthday", "生日", "date", width=11),
    Column("province", "省份", width=8),
    Column("city", "城市", width=8),
    Column("address", "地址", width=28),
    Column("tier", "客户分层", words=TIER_WORDS, width=11),
    Column("level", "会员等级", words=LEVEL_WORDS, width=10),
    Column("order_count", "订单数", "int", width=8),
    Column("total_spent_fen", "累计消费(元)", "money", width=13),
    Column("spent_12m_fen", "近12个月消费(元)", "money", width=15),
    Column("first_order_at", "首次下单时间", "time", width=19),
    Column("last_order_at", "最近下单时间", "time", width=19),
    Column("points_balance", "成长值", "int", width=8),
    Column("accounts", "平台账号", width=30),
    Column("tags", "标签", width=16),
    Column("created_at", "建档时间", "time", width=19),
)
ORDER_COLUMNS = (
    Column("platform", "平台", words=PLATFORM_WORDS, width=8),
    Column("platform_order_id", "订单编号", width=21),
    Column("customer_id", "客户ID", "int", width=9),
    Column("nickname", "客户昵称", width=18),
    Column("status", "订单状态", words=STATUS_WORDS, width=9),
    Column("after_sale", "售后状态", width=9),
    Column("total_fen", "订单金额(元)", "money", width=13),
    Column("items", "商品", width=36),
    Column("quantity", "件数", "int", width=6),
    Column("ordered_at", "下单时间", "time", width=19),
    Column("paid_at", "支付时间", "time", width=19),
    Column("recipient_name", "收件人", width=10),
    Column("recipient_phone", "收件人手机", width=14),
    Column("city", "城市", width=8),
    Column("address", "收货地址", width=28),
)


class ExportError(Refused):
    """The export cannot be made as asked (path, format); ``code`` says why, the UI words it."""


@dataclass
class ExportSummary:
    kind: str  # customers | orders
    path: str
    format: str  # xlsx | csv
    rows: int
    sheets: int  # XLSX sheets used (1 for CSV)
    elapsed_s: float
    audit_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_customers(session: Session, path: str | os.PathLike[str], flt: CustomerFilter = CustomerFilter(),
                     customer_ids: Sequence[int] | None = None, *, actor: str | None = None,
                     progress: Progress | None = None) -> ExportSummary:
    """Customers matching ``flt`` (and, if given, among ``customer_ids``) to ``path`` (.xlsx or .csv)."""
    return _export(session, "customers", path, flt, customer_ids, actor, progress)


def export_orders(session: Session, path: str | os.PathLike[str], flt: CustomerFilter = CustomerFilter(),
                  customer_ids: Sequence[int] | None = None, *, actor: str | None = None,
                  progress: Progress | None = None) -> ExportSummary:
    """The orders of the customers matching ``flt`` (and ``customer_ids``), one row per order."""
    return _export(session, "orders", path, flt, customer_ids, actor, progress)


def check_target(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The file to write and its format, or ExportError saying what is wrong with the path."""
    target = Path(path).expanduser()
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError("format", f"{target}: the file name must end in .xlsx or .csv", path=str(target))
    if target.is_dir():
        raise ExportError("folder", f"{target} is a folder: give a file name ending in .{fmt}", path=str(target))
    if not target.parent.is_dir():
        raise ExportError("no_folder", f"folder {target.parent} does not exist", path=str(target.parent))
    if not os.access(target.parent, os.W_OK):
        raise ExportError("read_only", f"folder {target.parent} cannot be written to", path=str(target.parent))
    return target, fmt


def _export(session: Session, kind: str, path: str | os.PathLike[str], flt: CustomerFilter,
            customer_ids: Sequence[int] | None, actor: str | None, progress: Progress | None) -> ExportSummary:
    started = time.perf_counter()
    if customer_ids is None and flt == CustomerFilter():
        team.require(session, "export_all")
    target, fmt = check_target(path)
    if flt.tier and flt.tier not in customers.TIERS:
        raise ExportError("tier", f"unknown tier {flt.tier!r}; tiers: {', '.join(customers.TIERS)}", tier=flt.tier)
    conn = session.connection()
    offset = settings.shop_zone(session).utcoffset(None)
    chosen = _chosen_customers(conn, flt, customer_ids)
    if kind == "customers":
        columns, chunks = CUSTOMER_COLUMNS, _customer_chunks(conn, chosen)
        total = len(chosen) if chosen is not None else int(session.scalar(select(func.count(Customer.id))) or 0)
    else:
        columns, chunks = ORDER_COLUMNS, _order_chunks(conn, chosen)
        total = _count_orders(session, chosen)
    sheet = "客户" if kind == "customers" else "订单"
    writer = (_XlsxWriter(target, columns, sheet) if fmt == "xlsx" else _CsvWriter(target, columns))
    rows = 0
    try:
        for frame in chunks:
            writer.write(_present(frame, columns, fmt, offset))
            rows += len(frame)
            if progress is not None:
                progress(rows, total)
        sheets = writer.close()
        audit_id = _audit(session, actor, kind, {"file": str(target.resolve()), "format": fmt, "rows": rows,
                                                 "filter": _describe(flt, customer_ids)})
        writer.publish()
    except BaseException:
        writer.abandon()
        raise
    return ExportSummary(kind, str(target), fmt, rows, sheets, round(time.perf_counter() - started, 2), audit_id)


def _audit(session: Session, actor: str | None, kind: str, detail: dict[str, Any]) -> int:
    """The export's audit entry, written before the file takes its name.

    In the caller's transaction when it is a writing one. An export read in a reading unit
    (the usual way: minutes of reading must not hold the write lock) writes the entry on
    its own short writing transaction.
    """
    if not session.info.get("read_only"):
        entry = AuditEntry(actor=actor, action="export", entity=kind, detail=detail)
        session.add(entry)
        session.flush()
        return entry.id
    member = team.acting(session)
    with sessionmaker(bind=write_engine(session.get_bind(), WritePolicy())).begin() as own:
        entry = AuditEntry(actor=member.name if member else actor, member_id=member.member_id if member else None,
                           action="export", entity=kind, detail=detail)
        own.add(entry)
        own.flush()
        return entry.id


def _describe(flt: CustomerFilter, ids: Sequence[int] | None) -> dict[str, Any]:
    described: dict[str, Any] = {k: v for k, v in asdict(flt).items() if v not in (None, "")}
    if ids is not None:
        described["customer_ids"] = sorted(set(ids)) if len(ids) <= 100 else f"{len(set(ids))} customers"
    return described


# --- reading ---------------------------------------------------------------------------
# Everyone: pages of the primary key (orders in the order they were recorded). A filter:
# the matching customers' ids first (an index search), then their rows batch by batch, so
# no page makes the database sort the whole selection again.

CUSTOMER_BATCH = 2_000  # customers whose orders are read at once


def _chosen_customers(conn: Connection, flt: CustomerFilter, customer_ids: Sequence[int] | None
                      ) -> list[int] | None:
    """The ids of the customers to export, ascending; None for every customer."""
    if customer_ids is None and flt == CustomerFilter():
        return None
    statement = customers.apply_filter(select(Customer.id), flt)
    if customer_ids is None:
        return sorted(conn.scalars(statement))
    wanted = sorted(set(customer_ids))
    found: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        found.extend(conn.scalars(statement.where(Customer.id.in_(wanted[start:start + CHUNK]))))
    return sorted(found)


def _pages(conn: Connection, statement: Select, key: Any) -> Iterator[pd.DataFrame]:
    """``statement``'s rows in pages of CHUNK by ascending ``key`` (its first column)."""
    last = None
    while True:
        page = statement if last is None else statement.where(key > last)
        frame = read_frame(conn, page.order_by(key).limit(CHUNK))
        if frame.empty:
            return
        yield frame
        if len(frame) < CHUNK:
            return
        last = int(frame.iloc[-1, 0])


def _count_orders(session: Session, chosen: list[int] | None) -> int:
    if chosen is None:
        return int(session.scalar(select(func.count(Order.id))) or 0)
    return sum(int(session.scalar(select(func.count(Order.id)).where(
        Order.customer_id.in_(chosen[i:i + CHUNK]))) or 0) for i in range(0, len(chosen), CHUNK))


def _customer_chunks(conn: Connection, chosen: list[int] | None) -> Iterator[pd.DataFrame]:
    c = Customer
    statement = select(
        c.id, c.nickname, c.real_name, func.coalesce(c.phone, c.phone_masked).label("phone"), c.gender, c.birthday,
        c.province, c.city, c.address, c.tier, c.level, c.order_count, c.total_spent_fen, c.spent_12m_fen,
        c.first_order_at, c.last_order_at, c.points_balance, c.created_at,
    )
    frames = (_pages(conn, statement, c.id) if chosen is None else
              (read_frame(conn, statement.where(c.id.in_(chosen[i:i + CHUNK])).order_by(c.id))
               for i in range(0, len(chosen), CHUNK)))
    for frame in frames:
        ids = frame["id"].tolist()
        accounts = _lists(conn, select(PlatformAccount.customer_id, PlatformAccount.platform, PlatformAccount.handle,
                                       PlatformAccount.uid)
                          .where(_among(PlatformAccount.customer_id, ids, chosen)).order_by(PlatformAccount.id),
                          lambda platform, handle, uid: f"{PLATFORM_WORDS.get(platform, platform)}:{handle or uid or ''}")
        tags = _lists(conn, select(CustomerTag.customer_id, Tag.name).join(Tag, Tag.id == CustomerTag.tag_id)
                      .where(_among(CustomerTag.customer_id, ids, chosen)).order_by(Tag.name), str)
        frame["accounts"] = [LIST_SEPARATOR.join(accounts.get(i, ())) for i in ids]
        frame["tags"] = [LIST_SEPARATOR.join(tags.get(i, ())) for i in ids]
        yield frame


def _order_chunks(conn: Connection, chosen: list[int] | None) -> Iterator[pd.DataFrame]:
    o = Order
    statement = select(
        o.id, o.platform, o.platform_order_id, o.customer_id, Customer.nickname, o.status, o.after_sale,
        o.total_fen, o.ordered_at, o.paid_at, o.recipient_name, o.recipient_phone, o.city, o.address,
    ).outerjoin(Customer, Customer.id == o.customer_id)  # everyone's: orders of unknown buyers too
    if chosen is None:
        frames = _pages(conn, statement, o.id)
    else:  # customer by customer (their orders in time order), through the (customer, ordered_at) index
        frames = (read_frame(conn, statement.where(o.customer_id.in_(chosen[i:i + CUSTOMER_BATCH]))
                             .order_by(o.customer_id, o.ordered_at, o.id))
                  for i in range(0, len(chosen), CUSTOMER_BATCH))
    for frame in frames:
        if frame.empty:
            continue
        ids = frame["id"].tolist()
        items = _lists(conn, select(OrderItem.order_id, OrderItem.product_name, OrderItem.quantity)
                       .where(_among(OrderItem.order_id, ids, chosen)).order_by(OrderItem.id),
                       lambda name, qty: (name, qty or 0))
        frame["items"] = [LIST_SEPARATOR.join(f"{name}×{qty}" for name, qty in items.get(i, ())) for i in ids]
        frame["quantity"] = [sum(qty for _name, qty in items.get(i, ())) for i in ids]
        yield frame


def _among(column: Any, ids: list[int], chosen: list[int] | None) -> Any:
    """``column`` within this chunk's ids: a range for a page of everyone (the ids are dense),
    the ids themselves for chosen customers (they may be far apart)."""
    return column.between(min(ids), max(ids)) if chosen is None else column.in_(ids)


def _lists(conn: Connection, statement: Select, make: Callable[..., Any]) -> dict[int, list[Any]]:
    """Rows of (owner id, *values) as owner id -> [make(*values), ...] in the statement's order."""
    owned: dict[int, list[Any]] = defaultdict(list)
    _names, rows = fetch_rows(conn, statement)
    for owner, *values in rows:
        owned[owner].append(make(*values))
    return owned


# --- presenting and writing ---------------------------------------------------------------


def _present(frame: pd.DataFrame, columns: Sequence[Column], fmt: str, offset: timedelta) -> pd.DataFrame:
    """The chunk as the file shows it: words for codes, yuan, local times; text for CSV."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col.key]
        if col.words is not None:
            values = values.map(lambda v, w=col.words: w.get(v, v) if isinstance(v, str) else v)
        if col.kind == "int":
            values = values.astype("Int64")  # an anonymised order's empty customer id, not 12.0
        elif col.kind == "money":
            fen = values.fillna(0).astype("int64")
            values = yuan_text(fen) if fmt == "csv" else fen / 100
        elif col.kind == "time":
            local = (pd.to_datetime(values, format="ISO8601") + offset).dt.floor("s")
            values = local.dt.strftime("%Y-%m-%d %H:%M:%S") if fmt == "csv" else local
        elif col.kind == "int" and values.isna().any():  # an unknown buyer's order: no customer id, not NaN
            values = values.map(lambda v: None if pd.isna(v) else int(v)).astype(object)
        elif col.kind == "date":
            days = pd.to_datetime(values, format="ISO8601")
            values = days.dt.strftime("%Y-%m-%d") if fmt == "csv" else days.dt.date
        elif col.kind == "text" and col.words is None:
            values = _safe_text(values, fmt)
        out[col.header] = values
    return out


def _safe_text(values: pd.Series, fmt: str) -> pd.Series:
    if values.isna().all():
        return values
    text = values.astype("string")
    if fmt == "csv":
        return text.where(~text.str.contains(FORMULA_STARTS, regex=True, na=False), "'" + text)
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters are not allowed in an XLSX file at all (openpyxl refuses the row).
    return text.str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True)


def yuan_text(fen: pd.Series) -> pd.Series:
    """Integer fen as yuan text with two decimals ("1299.50"), without going through floats."""
    sign = pd.Series(np.where(fen < 0, "-", ""), index=fen.index)
    whole = fen.abs()
    return sign + (whole // 100).astype(str) + "." + (whole % 100).astype(str).str.zfill(2)


class _Writer:
    def __init__(self, target: Path, columns: Sequence[Column]) -> None:
        self.target = target
        self.columns = columns
        # Written in the private folder and moved into place when complete: no half file
        # under the real name, and no hidden one beside it if the export is killed.
        self.partial = private.private_file(suffix=f".{target.suffix.lstrip('.')}")

    def write(self, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def close(self) -> int:
        raise NotImplementedError

    def publish(self) -> None:
        private.publish(self.partial, self.target)

    def abandon(self) -> None:
        try:
            self.discard()
        finally:
            self.partial.unlink(missing_ok=True)

    def discard(self) -> None:
        raise NotImplementedError


class _CsvWriter(_Writer):
    def __init__(self, target: Path, columns: Sequence[Column]) -> None:
        super().__init__(target, columns)
        # One stream for the whole file: the BOM is written once, at the start.
        self.stream = self.partial.open("w", encoding="utf-8-sig", newline="")
        self.header = True

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self.stream, header=self.header, index=False, lineterminator="\r\n")
        self.header = False

    def close(self) -> int:
        if self.header:  # no rows: the header alone
            pd.DataFrame(columns=[c.header for c in self.columns]).to_csv(self.stream, index=False,
                                                                          lineterminator="\r\n")
            self.header = False
        self.stream.close()
        return 1

    def discard(self) -> None:
        self.stream.close()


class _XlsxWriter(_Writer):
    def __init__(self, target: Path, columns: Sequence[Column], title: str) -> None:
        from openpyxl import Workbook

        super().__init__(target, columns)
        _private_openpyxl_temp_files()
        self.temp_files: list[str] = []  # openpyxl's, for this workbook (removed if abandoned)
        _openpyxl_made.files = self.temp_files
        self.book = Workbook(write_only=True)
        self.title = title
        self.sheets = 0
        self.rows_in_sheet = XLSX_MAX_ROWS  # the first write opens a sheet
        self.money = [i for i, c in enumerate(columns) if c.kind == "money"]
        self.text = [i for i, c in enumerate(columns) if c.kind == "text" and c.words is None]
        self.closed = False

    def _new_sheet(self) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheets += 1
        self.sheet = self.book.create_sheet(self.title if self.sheets == 1 else f"{self.title}{self.sheets}")
        self.sheet.freeze_panes = "A2"
        for i, col in enumerate(self.columns, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = col.width
        bold = Font(bold=True)
        header = []
        for col in self.columns:
            cell = WriteOnlyCell(self.sheet, value=col.header)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.rows_in_sheet = 1

    def write(self, frame: pd.DataFrame) -> None:
        from openpyxl.cell import WriteOnlyCell

        if self.sheets == 0:
            self._new_sheet()
        values = frame.astype(object).where(frame.notna(), None)
        literal = self._formula_like(frame)
        for n, row in enumerate(values.itertuples(index=False, name=None)):
            if self.rows_in_sheet >= XLSX_MAX_ROWS:
                self._new_sheet()
            cells = list(row)
            for i in self.money:
                cell = WriteOnlyCell(self.sheet, value=cells[i])
                cell.number_format = "0.00"
                cells[i] = cell
            for i in literal.get(n, ()):
                cell = WriteOnlyCell(self.sheet, value=cells[i])
                cell.data_type = "s"  # "=…" or "#N/A" from a buyer stays text, never a formula or an error
                cells[i] = cell
            self.sheet.append(cells)
            self.rows_in_sheet += 1

    def _formula_like(self, frame: pd.DataFrame) -> dict[int, list[int]]:
        """Row -> text columns whose value openpyxl would store as a formula or an error code."""
        from openpyxl.cell.cell import ERROR_CODES

        found: dict[int, list[int]] = defaultdict(list)
        for i in self.text:
            text = frame.iloc[:, i]
            if text.isna().all():
                continue
            text = text.astype("string")
            risky = (text.str.startswith("=") & (text.str.len() > 1)) | text.isin(ERROR_CODES)
            for n in np.flatnonzero(risky.fillna(False).to_numpy(dtype=bool)):
                found[int(n)].append(i)
        return found

    def close(self) -> int:
        if not self.closed:
            if self.sheets == 0:
                self._new_sheet()
            self.closed = True
            self.book.save(self.partial)
        return self.sheets

    def discard(self) -> None:
        from openpyxl.worksheet import _writer

        if not self.closed:
            self.closed = True
            for sheet in self.book.worksheets:  # end each sheet's stream now, not when collected
                try:
                    sheet.close()
                except Exception:  # already closed, or never written
                    log.debug("closing an abandoned sheet", exc_info=True)
            self.book.close()
        for name in self.temp_files:  # the sheets' rows, phones included: not left until exit
            Path(name).unlink(missing_ok=True)
            if name in _writer.ALL_TEMP_FILES:
                _writer.ALL_TEMP_FILES.remove(name)


_openpyxl_made = threading.local()  # .files: where the current thread's workbook notes its temp files


def _private_openpyxl_temp_files() -> None:
    """openpyxl's write-only sheets stream their rows to a temporary file made by
    ``create_temporary_file`` in the system's temp folder (``/tmp/openpyxl.*``, readable by
    all, left there when the process is killed). Made in the private folder instead."""
    from openpyxl.worksheet import _writer

    if getattr(_writer.create_temporary_file, "livedesk_private", False):
        return

    def create_temporary_file(suffix: str = "") -> str:
        name = str(private.private_file(suffix, prefix="openpyxl."))
        _writer.ALL_TEMP_FILES.append(name)  # openpyxl removes it after saving, as its own
        made = getattr(_openpyxl_made, "files", None)
        if made is not None:
            made.append(name)
        return name

    create_temporary_file.livedesk_private = True  # type: ignore[attr-defined]
    _writer.create_temporary_file = create_temporary_file
