"""Cell values as exports write them, turned into what the store keeps.

Money to integer fen (exactly, through Decimal, never float), times to aware UTC from
the shop's local time, quantities, phones (masked ones stay masked) and statuses to
the store's codes. Each parser has a scalar form that says why a value is refused, and
a column form (pandas) that applies it once per distinct spelling (amounts, phones and
statuses repeat down an export; times take a vectorised path for the usual format), so
a million rows parse in seconds with the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from livedesk.services.identity_text import clean_phone


class BadValue(ValueError):
    """A cell the importer cannot read; ``code`` says why (see REASONS)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# What the report file tells the person who opens it (Chinese first: the shops' language).
REASONS = {
    "required": "必填，不能为空 (required)",
    "money": "不是金额，应为 1299.00 / ¥1,299.00 / 1299元 (not an amount)",
    "money_negative": "金额不能为负 (negative amount)",
    "money_fraction": "金额最多两位小数（分）(more precise than a fen)",
    "quantity": "数量应为正整数 (quantity must be a whole number above 0)",
    "datetime": "不是日期时间，应为 2024-05-01 12:30:00 这类格式 (not a date/time)",
    "phone": "不是手机号 (not a phone number)",
    "status": "无法识别的订单状态 (unknown order status)",
    "too_long": "内容过长 (too long)",
    "missing_column": "文件缺少必需的列，可用 --map 字段=列名 指定 (the file has no column for this field)",
    "platform": "无法识别的平台 (unknown platform)",
    "unreadable": "此行无法读取：单元格多于表头，或文字编码损坏 (row cannot be read: more cells than the header, "
                  "or broken text)",
}

# --- cells as spreadsheets wrap them, and values withheld -------------------------------------

# Exports guard long digit strings from Excel's number guessing: 抖店 puts a tab before
# every id ("\t6921455530193320017"), others a leading apostrophe ('6921…) or a formula
# wrapper (="6921…"). The wrapper is not part of the value, in any column.
_FORMULA = re.compile(r'^=\s*"(.*)"$', re.DOTALL)


def unwrap(text: str) -> str:
    """A cell without the tab, ``'`` or ``="…"`` an export wrapped it in (and outer spaces)."""
    text = text.strip()
    if not text or text[0] not in "'=":
        return text
    if text[0] == "'":
        return text[1:].strip()
    found = _FORMULA.match(text)
    return found.group(1).strip() if found else text


# Values the platform did not give: 抖店 exports recipients as "##密文" / "$$密文" (its API's
# encrypted fields start with # and $ as well), 淘宝 writes "隐私保护" or a virtual number,
# names and addresses come masked with *. They are "not given (encrypted)", never an error
# and never an identity: two buyers both reading "##密文" are not one person.
_WITHHELD_WORDS = ("密文", "隐私", "加密", "保密", "敏感信息", "已脱敏", "privacy", "encrypted", "redacted")
_NOT_GIVEN = frozenset({"-", "--", "—", "/", "无", "null", "none", "n/a", "未知"})


def _ciphertext(text: str) -> bool:
    """##密文 / $$密文 as exports write it, or a ciphertext as APIs give it (#…#, $…$, ~…~)."""
    return text[0] in "#$~" and len(text) > 1 and (text[1] in "#$~" or (len(text) >= 8 and text[-1] == text[0]))


@lru_cache(maxsize=1 << 16)
def withheld(text: str) -> bool:
    """Whether an identity cell (buyer id, nickname, name, address) is withheld: an encrypted
    placeholder, a privacy notice, a mask (王**, 文三路***号), or a "nothing" mark (-)."""
    if not text:
        return False
    if _ciphertext(text) or "*" in text:
        return True
    lowered = text.lower()
    return lowered in _NOT_GIVEN or any(word in lowered for word in _WITHHELD_WORDS)


# 淘宝's privacy waybills give a virtual number with an extension (17012345678-1234, or
# 17012345678转1234): it forwards to the buyer for a few weeks, then to someone else.
_VIRTUAL_PHONE = re.compile(r"^\+?\d{7,13}\s*(?:[-_,，#]|转|ext\.?)\s*\d{1,6}$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def phone_withheld(text: str) -> bool:
    """A phone cell that gives no phone to know a buyer by: a placeholder, a privacy notice,
    stars only, or a virtual number. A masked number (138****5678) is still partial evidence."""
    if not text:
        return False
    if _ciphertext(text):
        return True
    lowered = text.lower()
    return (lowered in _NOT_GIVEN or any(word in lowered for word in _WITHHELD_WORDS)
            or set(text) <= set("*-— ") or bool(_VIRTUAL_PHONE.match(text)))


# 抖店's order downloads carry their export time as a Unix-time prefix of the file name
# (1728712345_订单导出.csv); 13 digits are milliseconds.
_EXPORT_STAMP = re.compile(r"^(\d{13}|\d{10})(?!\d)")
_EARLIEST_EXPORT = datetime(2016, 1, 1, tzinfo=timezone.utc)  # before any live-commerce shop export


def export_time(file_name: str, now: datetime | None = None) -> datetime | None:
    """When the export in ``file_name`` was made (aware UTC), or None when the name does
    not say (no prefix, or a number that cannot be a time: before 2016 or in the future)."""
    found = _EXPORT_STAMP.match(file_name.strip())
    if found is None:
        return None
    digits = found.group(1)
    moment = datetime.fromtimestamp(int(digits) / (1000 if len(digits) == 13 else 1), timezone.utc)
    latest = (now or datetime.now(timezone.utc)) + timedelta(days=1)
    return moment.replace(microsecond=0) if _EARLIEST_EXPORT <= moment <= latest else None


_MONEY_NOISE = re.compile(r"[¥￥,，\s元]|RMB|CNY|US\$|\$", re.IGNORECASE)


def money_fen(text: str) -> int:
    """``¥1,299.00`` / ``1299元`` / ``1299.5`` -> 129950 fen; refuses what is not exact."""
    cleaned = _MONEY_NOISE.sub("", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue("money") from None
    if not value.is_finite():
        raise BadValue("money")
    if value < 0:
        raise BadValue("money_negative")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise BadValue("money_fraction")
    return int(fen)


def quantity(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadValue("quantity") from None
    # Spreadsheets write 2 as 2.0; anything else is not a count.
    if not value.is_finite() or value != value.to_integral_value() or value < 1:
        raise BadValue("quantity")
    return int(value)


_DATE_TIME = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]+(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.(?P<f>\d{1,6}))?)?\s*秒?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
# 05/21/2024 10:11:12 AM: the English exports (Shopify, TikTok Shop) put the month first.
_US_DATE_TIME = re.compile(
    r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<p>AM|PM)?)?\s*(?P<z>Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def utc_datetime(text: str, local: tzinfo) -> datetime:
    """A time as exports write it, read in the shop's ``local`` zone unless it names its own."""
    text = text.strip()
    match = _DATE_TIME.match(text) or _US_DATE_TIME.match(text)
    if match is None:
        if re.fullmatch(r"\d{10}|\d{13}", text):  # Unix seconds or milliseconds
            return datetime.fromtimestamp(int(text[:10]), timezone.utc)
        raise BadValue("datetime")
    parts = match.groupdict()
    hour = int(parts["H"] or 0)
    meridiem = (parts.get("p") or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise BadValue("datetime")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    month, day = int(parts["m"]), int(parts["d"])
    if match.re is _US_DATE_TIME and month > 12 >= day:  # 21/05/2024: day first after all
        month, day = day, month
    try:
        moment = datetime(int(parts["y"]), month, day, hour, int(parts["M"] or 0), int(parts["S"] or 0),
                          int((parts["f"] or "0").ljust(6, "0")) if parts.get("f") else 0)
    except ValueError:
        raise BadValue("datetime") from None
    return moment.replace(tzinfo=_zone(parts["z"], local)).astimezone(timezone.utc)


def _zone(code: str | None, local: tzinfo) -> tzinfo:
    if not code:
        return local
    if code.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if code[0] == "-" else 1
    digits = code[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def phone(text: str) -> str:
    cleaned = clean_phone(text)
    if cleaned is None or len(cleaned.replace("*", "")) < 3 or len(cleaned) > 20:
        raise BadValue("phone")
    return cleaned


# --- statuses ---------------------------------------------------------------------------

_STATUS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Checked in this order: "退款成功" must not read as completed, "已取消" not as paid.
    ("refunded", ("退款成功", "已退款", "退货退款", "全额退款", "退款完成", "售后完成", "refunded", "refund")),
    ("cancelled", ("取消", "关闭", "cancel", "closed", "voided")),
    ("pending", ("待付款", "待支付", "未付款", "等待买家付款", "待买家付款", "unpaid", "pending",
                 "awaiting payment")),
    ("completed", ("已完成", "交易成功", "完成", "已签收", "确认收货", "completed", "delivered", "fulfilled")),
    ("paid", ("已支付", "已付款", "待发货", "已发货", "备货中", "待收货", "买家已付款", "卖家已发货",
              "等待卖家发货", "等待买家确认收货", "部分发货", "待揽收", "运输中", "paid", "shipped",
              "to ship", "awaiting shipment", "awaiting collection", "in transit", "authorized",
              "partially")),
)
# After-sale columns say "no after-sale" in many ways; only a finished refund changes the order.
_AFTER_SALE_REFUNDED = ("退款成功", "已退款", "退货退款成功", "退款完成", "售后完成", "仅退款成功", "refunded",
                        "refund completed", "return completed")


@lru_cache(maxsize=4096)
def order_status(text: str) -> str:
    """An export's order status -> pending | paid | completed | cancelled | refunded."""
    lowered = text.strip().lower()
    for code, words in _STATUS_WORDS:
        if any(word in lowered for word in words):
            return code
    raise BadValue("status")


@lru_cache(maxsize=4096)
def refund_done(after_sale: str) -> bool:
    lowered = after_sale.strip().lower()
    return any(word in lowered for word in _AFTER_SALE_REFUNDED) and "关闭" not in lowered


# --- columns ----------------------------------------------------------------------------
# Each takes a column of str (None where the cell is empty) and returns the parsed column
# and a boolean mask of the cells refused; empty cells stay empty, never refused here.
# The rules are the scalar parsers above, applied once per distinct spelling.


def parse_each(uniques: Sequence[str], parse: Callable[[str], Any], empty: object,
               dtype: object) -> tuple[np.ndarray, np.ndarray]:
    """``parse`` applied to each of ``uniques`` (distinct cells): the values, and a mask of
    those refused (their value is ``empty``)."""
    parsed = np.empty(len(uniques), dtype=dtype)
    refused = np.zeros(len(uniques), dtype=bool)
    for i, text in enumerate(uniques):
        try:
            parsed[i] = parse(text)
        except BadValue:
            parsed[i], refused[i] = empty, True
    return parsed, refused


def _by_unique(column: pd.Series, parse, empty: object, dtype: object) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct spelling once: prices, phones and quantities repeat down an export."""
    codes, uniques = pd.factorize(column)
    parsed, refused = parse_each(uniques, parse, empty, dtype)
    # code -1: the empty cells
    return np.append(parsed, np.array([empty], dtype=dtype))[codes], np.append(refused, False)[codes]


def money_column(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    out, bad = _by_unique(column, money_fen, 0, np.int64)
    # Nullable integers: an empty amount stays empty instead of becoming a float NaN.
    return pd.Series(pd.arrays.IntegerArray(out, column.isna().to_numpy() | bad), index=column.index), bad


def quantity_column(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    out, bad = _by_unique(column, quantity, 1, np.int64)  # an empty quantity is one item
    return pd.Series(out, index=column.index), bad


def datetime_column(column: pd.Series, local: tzinfo) -> tuple[pd.Series, np.ndarray]:
    """Aware-UTC timestamps (NaT where empty or refused)."""
    present = column.notna().to_numpy()
    parsed = pd.to_datetime(column, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    fast = parsed.notna().to_numpy()
    out = parsed.dt.tz_localize(local).dt.tz_convert(timezone.utc).astype("datetime64[us, UTC]")
    slow = present & ~fast
    bad = np.zeros(len(column), dtype=bool)
    if slow.any():
        rest = column[slow]
        values, refused = _by_unique(rest, lambda text: utc_datetime(text, local), None, object)
        bad[slow] = refused
        fixed = slow.copy()
        fixed[slow] = ~refused
        if fixed.any():
            out[fixed] = pd.to_datetime(pd.Series(values[~refused], index=rest.index[~refused]), utc=True)
    return out, bad


def naive_utc(uniques: Sequence[str], local: tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """Distinct time cells as naive-UTC ``datetime64[us]`` (NaT where refused), and the refused mask."""
    parsed, bad = datetime_column(pd.Series(uniques, dtype=object), local)
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]"), bad


def phone_column(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    out, bad = _by_unique(column, phone, None, object)
    return pd.Series(out, index=column.index, dtype=object), bad


def status_column(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Order status codes (None where empty); each distinct spelling is read once."""
    codes: dict[str, str | None] = {}
    for text in column.dropna().unique():
        try:
            codes[text] = order_status(text)
        except BadValue:
            codes[text] = None
    out = column.map(codes)
    bad = (column.notna() & out.isna()).to_numpy()
    return out.astype(object), bad


def refund_column(column: pd.Series) -> np.ndarray:
    done = {text for text in column.dropna().unique() if refund_done(text)}
    return column.isin(done).to_numpy(dtype=bool)
