"""Which file column holds which import field: the usual export headers, guessing, overrides.

Owns the import's field list, the header names each platform's export uses for them,
platform detection from a header, and the mapping a user corrected, remembered per
source in the ``import.mappings`` setting so the next file from that source maps itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from livedesk.services import settings

SETTING_KEY = "import.mappings"

# field -> what it is; the order is the order of LiveDesk's own template.
FIELDS: dict[str, str] = {
    "order_id": "platform order number (one order may span several item rows)",
    "sub_order_id": "item line number within the order",
    "product_name": "product title",
    "product_code": "the platform's product or SKU id",
    "quantity": "items bought",
    "unit_price": "price of one item",
    "item_amount": "amount of the item line",
    "order_total": "amount the buyer pays for the whole order",
    "ordered_at": "when the order was placed (shop's local time unless the value has a zone)",
    "paid_at": "when it was paid",
    "status": "order status",
    "after_sale": "after-sale / refund status",
    "buyer_id": "buyer's stable platform id",
    "buyer_handle": "buyer's nickname or account name",
    "recipient_name": "recipient",
    "phone": "recipient's phone (full or masked like 138****5678)",
    "province": "province",
    "city": "city",
    "address": "street address",
    "platform": "platform of the row (douyin, taobao, kuaishou, channels, tiktok, shopify)",
}

# Headers as the platforms' exports spell them (compared after normalising case, spaces,
# punctuation and full-width forms). Shared Chinese names serve every Chinese platform.
_ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("主订单编号", "订单编号", "订单号", "订单ID", "主订单号", "订单id", "Order ID", "Order Number",
                 "Name"),
    "sub_order_id": ("子订单编号", "子订单号", "子订单ID", "商品行ID", "Lineitem id", "Line Item ID"),
    "product_name": ("选购商品", "商品名称", "宝贝标题", "商品标题", "商品", "商品名", "Product Name",
                     "Lineitem name", "Product"),
    "product_code": ("商品ID", "商品编码", "商品编号", "宝贝ID", "SKU ID", "SKU编码", "商家编码", "Seller SKU",
                     "Lineitem sku", "SKU"),
    "quantity": ("商品数量", "购买数量", "宝贝总数量", "成交数量", "数量", "宝贝数量", "Quantity", "Lineitem quantity"),
    "unit_price": ("商品单价", "单价", "价格", "商品价格", "SKU Unit Original Price", "Lineitem price",
                   "Unit Price"),
    "item_amount": ("商品金额", "商品总价", "商品实付金额", "小计", "SKU Subtotal After Discount",
                    "Item Amount", "Subtotal"),
    "order_total": ("买家实际支付金额", "实付金额", "实付款", "订单实付金额", "订单金额",
                    "订单总金额", "实收款", "金额", "Order Amount", "Total"),
    "ordered_at": ("订单提交时间", "下单时间", "订单创建时间", "创建时间", "订单时间", "Created Time",
                   "Created at", "Order Date"),
    "paid_at": ("支付完成时间", "付款时间", "支付时间", "订单付款时间", "订单支付时间", "Paid Time", "Paid at"),
    "status": ("订单状态", "交易状态", "Order Status", "Financial Status", "Status"),
    "after_sale": ("售后状态", "退款状态", "退货退款状态", "退货退款", "Cancelation/Return Type", "Refund Status",
                   "After-sales Status"),
    "buyer_id": ("买家ID", "用户ID", "买家id", "Buyer ID", "Customer ID", "Email"),
    "buyer_handle": ("买家昵称", "买家会员名", "用户昵称", "买家账号", "买家", "快手昵称", "微信昵称",
                     "Buyer Username", "Buyer Nickname"),
    "recipient_name": ("收件人", "收货人", "收货人姓名", "收件人姓名", "Recipient", "Shipping Name",
                       "Billing Name"),
    "phone": ("收件人手机号", "收货人手机号", "联系手机", "收件人电话", "收货人电话", "手机号", "联系电话",
              "手机", "电话", "Phone #", "Shipping Phone", "Phone"),
    "province": ("省", "省份", "收货省份", "收件省", "收货地址-省", "Province", "State", "Shipping Province",
                 "Shipping Province Name"),
    "city": ("市", "城市", "收货城市", "收件市", "收货地址-市", "City", "Shipping City"),
    "address": ("详细地址", "收货地址", "收件地址", "地址", "Detail Address", "Shipping Address1",
                "Address"),
    "platform": ("平台", "Platform"),
}

# Headers that are close to a field but not the same thing: mapped only when nothing better is
# there, and marked as a guess for a person to confirm. 应付 (payable) is not 实付 (paid): an
# order's payable amount counted as paid inflates GMV by what was never paid.
_NEAR: dict[str, tuple[str, ...]] = {
    "order_total": ("订单应付金额", "应付金额", "应付款"),
}

# Headers only one platform's export has: enough to tell the source from the header alone.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "douyin": ("主订单编号", "选购商品", "订单应付金额", "订单提交时间", "达人ID", "达人昵称"),
    "taobao": ("宝贝标题", "买家会员名", "买家实际支付金额", "宝贝总数量", "交易状态"),
    # 快手小店's order export as public readers of real shops' files select it (see
    # tests/data/make_platform_fixtures.py): its distribution columns and split address.
    "kuaishou": ("快手昵称", "快手号", "订单来源快手", "CPS达人ID", "CPS达人昵称", "团长ID", "预估推广佣金",
                 "收货地址-省", "收货地址-街道"),
    "channels": ("视频号", "微信昵称", "视频号小店"),
    "tiktok": ("Buyer Username", "SKU Subtotal After Discount", "Cancelation/Return Type", "Seller SKU"),
    "shopify": ("Lineitem name", "Financial Status", "Lineitem quantity", "Shipping Name"),
    "livedesk": ("order_id", "ordered_at", "buyer_handle"),
}
PLATFORMS = ("douyin", "taobao", "kuaishou", "channels", "tiktok", "shopify", "livedesk")


def normalise(header: object) -> str:
    """Compare headers the way a person reads them: full-width, case, spaces and marks ignored."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return re.sub(r"[\s_\-:：()（）\[\]【】*]+", "", text)


_LOOKUP: dict[str, str] = {}
_RANK: dict[str, int] = {}  # header -> its place in its field's aliases: the likelier name first
for _field, _names in _ALIASES.items():
    for _rank, _name in enumerate((_field, *_names)):
        _LOOKUP.setdefault(normalise(_name), _field)
        _RANK.setdefault(normalise(_name), _rank)
_NEAR_LOOKUP: dict[str, str] = {normalise(n): f for f, names in _NEAR.items() for n in names}


class MappingError(ValueError):
    """An override names an unknown field or a column the file does not have."""


@dataclass(frozen=True)
class ColumnMapping:
    """field -> file column (as spelled in the file), plus where each choice came from."""

    columns: dict[str, str]
    source: dict[str, str]  # field -> "auto" | "guess" (a near name: confirm it) | "remembered" | "override"

    def column(self, field: str) -> str | None:
        return self.columns.get(field)


def known_field_count(headers: Iterable[object]) -> int:
    """How many cells of a row read as import headers: finds the header under title rows."""
    names = list(map(normalise, headers))
    return len({_LOOKUP[n] for n in names if n in _LOOKUP} | {_NEAR_LOOKUP[n] for n in names if n in _NEAR_LOOKUP})


def detect_platform(headers: Iterable[object]) -> str | None:
    names = {normalise(h) for h in headers}
    scores = {p: sum(normalise(s) in names for s in sig) for p, sig in _SIGNATURES.items()}
    best = max(scores, key=lambda p: scores[p])
    return best if scores[best] >= 2 else None


# 抖店's order export (2024+) has one row per sub-order and no 商品金额 column: its
# 订单应付金额 is then the sub-order's payable amount, so it is the line's amount (the
# order's total is the sum of its lines), not a total repeated on every row.
_PER_LINE_PAYABLE = normalise("订单应付金额")


def auto_map(headers: Iterable[object]) -> dict[str, str]:
    """field -> column for every header that is a known name. Where several headers name one
    field, the likelier name wins (淘宝 has 联系电话, a landline mostly empty, left of
    联系手机), then the leftmost."""
    mapping: dict[str, str] = {}
    ranks: dict[str, int] = {}
    for header in headers:
        name = normalise(header)
        field = _LOOKUP.get(name)
        if field and (field not in mapping or _RANK[name] < ranks[field]):
            mapping[field], ranks[field] = str(header), _RANK[name]
    payable = next((str(h) for h in headers if normalise(h) == _PER_LINE_PAYABLE), None)
    if payable is not None and "sub_order_id" in mapping and "item_amount" not in mapping:
        mapping["item_amount"] = payable
    return mapping


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` strings (the CLI's ``--map``); an empty COLUMN unmaps the field."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field = field.strip()
        if not sep or field not in FIELDS:
            raise MappingError(f"--map {pair!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        overrides[field] = column.strip()
    return overrides


def build_mapping(headers: list[str], remembered: Mapping[str, str] | None = None,
                  overrides: Mapping[str, str] | None = None) -> ColumnMapping:
    """Automatic mapping, then what was remembered for this source, then the user's overrides."""
    present = set(headers)
    columns = auto_map(headers)
    source = dict.fromkeys(columns, "auto")
    for header in headers:
        field = _NEAR_LOOKUP.get(normalise(header))
        if field and field not in columns and str(header) not in columns.values():
            columns[field], source[field] = str(header), "guess"
    for layer, origin in ((remembered or {}, "remembered"), (overrides or {}, "override")):
        for field, column in layer.items():
            if field not in FIELDS:
                raise MappingError(f"unknown field {field!r}")
            if not column:
                columns.pop(field, None)
                source.pop(field, None)
            elif column in present:
                columns[field], source[field] = column, origin
            elif origin == "override":
                raise MappingError(f"{field}={column}: the file has no column {column!r}")
    return ColumnMapping(columns, source)


def remembered_mapping(session: Session, source: str) -> dict[str, str]:
    return dict(settings.get(session, SETTING_KEY).get(source, {}))


def remember_mapping(session: Session, source: str, overrides: Mapping[str, str]) -> None:
    """Keep the user's corrections for ``source`` (added to what was kept before)."""
    if not overrides:
        return
    stored = settings.get(session, SETTING_KEY)
    stored[source] = {**stored.get(source, {}), **overrides}
    settings.set_value(session, SETTING_KEY, stored)
