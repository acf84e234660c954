"""Writes the order-export fixtures in this folder (run it again after changing it; commit the output).

    python tests/data/make_fixtures.py

Files shaped like the shops' real exports: a 抖店 export with repeat buyers (masked
phones, one order over several item rows) and its newer export after refunds, the
same rows in UTF-8, UTF-8 with BOM and GBK, an XLSX with a title and a note row above
the header, and a file with bad rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

DOUYIN_HEADER = ["主订单编号", "子订单编号", "选购商品", "商品ID", "商品数量", "商品金额", "订单应付金额",
                 "订单提交时间", "支付完成时间", "订单状态", "售后状态", "收件人", "收件人手机号", "省", "市",
                 "区", "详细地址", "达人昵称"]

# (order, sub, product, product id, qty, amount, order total, submitted, paid, status, after-sale,
#  recipient, phone, province, city, district, address)
DOUYIN_ROWS = [
    # 王丽 buys three times (one order of two items): one customer by name + masked phone + city.
    ("6921000000000001", "6921000000000001-1", "玻尿酸精华液 30ml", "3500001", "1", "¥199.00", "¥278.00",
     "2024-05-01 20:15:03", "2024-05-01 20:15:40", "已完成", "-", "王丽", "138****5678", "浙江省", "杭州市",
     "西湖区", "文三路***号"),
    ("6921000000000001", "6921000000000001-2", "洁面乳 120g", "3500002", "1", "¥79.00", "¥278.00",
     "2024-05-01 20:15:03", "2024-05-01 20:15:40", "已完成", "-", "王丽", "138****5678", "浙江省", "杭州市",
     "西湖区", "文三路***号"),
    ("6921000000000002", "6921000000000002-1", "补水面膜 10片", "3500003", "2", "¥1,299.00", "¥1,299.00",
     "2024-05-08 21:02:11", "2024-05-08 21:03:00", "已发货", "-", "王丽", "138****5678", "浙江省", "杭州市",
     "西湖区", "文三路***号"),
    ("6921000000000003", "6921000000000003-1", "防晒霜 SPF50", "3500004", "1", "89.5", "89.5",
     "2024-05-15 19:45:00", "2024-05-15 19:46:00", "待发货", "无售后", "王丽", "\t138****5678", "浙江省",
     "杭州市", "西湖区", "文三路***号"),
    # 李娜 twice, from a different city and phone.
    ("6921000000000004", "6921000000000004-1", "玻尿酸精华液 30ml", "3500001", "1", "199元", "199元",
     "2024/05/02 10:00", "2024/05/02 10:01", "已完成", "-", "李娜", "139****1234", "广东省", "深圳市",
     "南山区", "科技园***"),
    ("6921000000000005", "6921000000000005-1", "洁面乳 120g", "3500002", "1", "79.00", "79.00",
     "2024-05-20 22:10:00", "", "已取消", "-", "李娜", "139****1234", "广东省", "深圳市", "南山区", "科技园***"),
    # A second 王丽 with the same masked phone in another city: a possible duplicate, not a merge.
    ("6921000000000006", "6921000000000006-1", "补水面膜 10片", "3500003", "1", "¥649.50", "¥649.50",
     "2024-05-21 20:00:00", "2024-05-21 20:00:30", "已完成", "-", "王丽", "138****5678", "江苏省", "南京市",
     "鼓楼区", "中山路***"),
    # Only a phone, full, with the leading quote a spreadsheet adds.
    ("6921000000000007", "6921000000000007-1", "防晒霜 SPF50", "3500004", "1", "89.50", "89.50",
     "2024-05-22 08:00:00", "2024-05-22 08:00:10", "已完成", "-", "", "'13900001111", "", "", "", ""),
]
# The newer export: order 2 was refunded after the first export.
REFUNDED = {"6921000000000002": ("已完成", "退款成功")}


def douyin_rows(refunds: bool = False) -> list[list[str]]:
    rows = []
    for row in DOUYIN_ROWS:
        row = list(row)
        if refunds and row[0] in REFUNDED:
            row[9], row[10] = REFUNDED[row[0]]
        rows.append(row + ["主播小美"])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx_with_title(path: Path, header: list[str], rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "订单"
    sheet.append(["抖店订单导出 2024-05-01 至 2024-05-31"])
    sheet.append(["说明：手机号已脱敏，金额单位为元"])
    sheet.append(header)
    for row in rows:
        cells: list[object] = list(row)
        cells[4] = int(row[4])  # quantities typed as numbers, as Excel keeps them
        sheet.append(cells)
    book.save(path)


BAD_ROWS = [
    # row 2: fine
    ["6921000000000101", "6921000000000101-1", "洁面乳 120g", "3500002", "1", "79.00", "79.00",
     "2024-05-01 20:15:03", "2024-05-01 20:15:40", "已完成", "-", "赵敏", "137****0001", "北京市", "北京市", "朝阳区",
     "建国路***"],
    # row 3: an amount that is not money
    ["6921000000000102", "6921000000000102-1", "洁面乳 120g", "3500002", "1", "七十九", "79.00",
     "2024-05-02 20:15:03", "2024-05-02 20:15:40", "已完成", "-", "钱多", "137****0002", "北京市", "北京市", "朝阳区",
     "建国路***"],
    # row 4: a date that is not a date
    ["6921000000000103", "6921000000000103-1", "洁面乳 120g", "3500002", "1", "79.00", "79.00",
     "2024-13-45 25:00:00", "", "已完成", "-", "孙丽", "137****0003", "北京市", "北京市", "朝阳区", "建国路***"],
    # row 5: no order number
    ["", "", "洁面乳 120g", "3500002", "1", "79.00", "79.00", "2024-05-03 20:15:03", "", "已完成", "-", "周强",
     "137****0004", "北京市", "北京市", "朝阳区", "建国路***"],
]


TEMPLATE_HEADER = ["order_id", "sub_order_id", "product_name", "quantity", "item_amount", "order_total", "ordered_at",
                   "status", "buyer_handle", "recipient_name", "phone", "province", "city", "address", "platform"]


def template_rows(count: int) -> list[list[str]]:
    """LiveDesk's own template, every cell ASCII (pinyin names, an English shop's products)."""
    return [[f"LD-{n:05d}", f"LD-{n:05d}-1", "Serum 30ml", "1", "199.00", "199.00",
             f"2024-05-{1 + n % 28:02d} 20:15:03", "completed", f"buyer{n % 17}", f"Wang Li {n % 17}",
             f"138****{n % 17:04d}", "Zhejiang", "Hangzhou", f"Wensan Rd {n}", "douyin"] for n in range(count)]


def write_one_gbk_row(path: Path) -> None:
    """A mostly-ASCII file with one row typed on a Chinese Windows (GBK): the whole file is
    GBK (every byte of it decodes as GB18030), so it is read as GBK."""
    rows = template_rows(60)
    rows[40][8:14] = ["张三丰", "张三丰", "13800001111", "浙江省", "杭州市", "文三路 1 号"]
    with path.open("wb") as fh:
        for row in [TEMPLATE_HEADER, *rows]:
            fh.write((",".join(row) + "\r\n").encode("gbk"))


def write_one_gbk_row_among_utf8(path: Path) -> None:
    """The issue's file: UTF-8, 浙江省 on every third row, one row (row 32) pasted in from a GBK
    file. charset-normalizer calls its sample ptcp154: 张三丰 became ХЕИэ·б, 浙江省 жөҷжұҹзңҒ."""
    rows = template_rows(60)
    with path.open("wb") as fh:
        fh.write((",".join(TEMPLATE_HEADER) + "\r\n").encode())
        for n, row in enumerate(rows):
            if n % 3 == 0:
                row[11] = "浙江省"
            if n == 30:
                row[8:12] = ["张三丰", "张三丰", "13800001111", "浙江省"]
            fh.write((",".join(row) + "\r\n").encode("gbk" if n == 30 else "utf-8"))


def write_mixed_encodings(path: Path) -> None:
    """The UTF-8 export with one more row pasted in from a GBK file (row 10)."""
    import io

    def line(row: list[str]) -> str:
        text = io.StringIO()
        csv.writer(text).writerow(row)
        return text.getvalue()

    header, rows = DOUYIN_HEADER, douyin_rows()
    extra = list(rows[0])
    extra[0], extra[1], extra[11] = "6921000000000009", "6921000000000009-1", "张三丰"
    with path.open("wb") as fh:
        for row in [header, *rows]:
            fh.write(line(row).encode("utf-8"))
        fh.write(line([c.replace("¥", "￥") for c in extra]).encode("gbk"))


def write_stale_dimension(path: Path, rows: int = 100) -> None:
    """An XLSX as other tools write it: 100 rows, but <dimension ref="A1:U2"> (openpyxl
    trusts it in read-only mode: one row read)."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(DOUYIN_HEADER)
    base = douyin_rows()[0]
    for n in range(rows):
        row = list(base)
        row[0], row[1] = f"69220000000{n:05d}", f"69220000000{n:05d}-1"
        sheet.append(row)
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:U2"', data)
            dst.writestr(info, data)
    plain.unlink()


def main() -> None:
    header = DOUYIN_HEADER
    write_csv(HERE / "douyin_orders.csv", header, douyin_rows())
    write_csv(HERE / "douyin_orders_refunds.csv", header, douyin_rows(refunds=True))
    write_csv(HERE / "douyin_orders_bom.csv", header, douyin_rows(), encoding="utf-8-sig")
    # GBK has no ¥ (U+00A5): Chinese Windows writes the full-width ￥ instead.
    gbk_rows = [[cell.replace("¥", "￥") for cell in row] for row in douyin_rows()]
    write_csv(HERE / "douyin_orders_gbk.csv", header, gbk_rows, encoding="gbk")
    write_xlsx_with_title(HERE / "douyin_orders_title_rows.xlsx", header, douyin_rows())
    write_csv(HERE / "douyin_orders_bad_rows.csv", header[:-1], BAD_ROWS)
    write_one_gbk_row(HERE / "orders_template_one_gbk_row.csv")
    write_mixed_encodings(HERE / "douyin_orders_mixed_encodings.csv")
    write_one_gbk_row_among_utf8(HERE / "orders_template_one_gbk_row_among_utf8.csv")
    write_stale_dimension(HERE / "douyin_orders_stale_dimension.xlsx")


if __name__ == "__main__":
    main()
