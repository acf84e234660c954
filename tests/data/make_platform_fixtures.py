"""Writes the order exports in the shapes the platforms give today (run it again after changing it;
commit the output).

    python tests/data/make_platform_fixtures.py

- ``douyin_orders_encrypted.csv``: 抖店's order export since it encrypts recipients. The
  header and the cell forms (every id and text cell quoted with a leading tab so that
  Excel keeps its digits; 收件人 / 收件人手机号 / 详细地址 as ``##密文`` / ``$$密文``; "-" for
  nothing; refunds in 售后状态) are those of issue 16's sample, the same shape as a public
  reconciliation project's test fixture of a real shop's export. No buyer nickname column:
  nothing in it says who bought.
- ``taobao_orders_2024.csv``: 淘宝/千牛's 订单报表 (卖家中心 › 已卖出的宝贝 › 批量导出). The
  columns are those of the classic report as public tools read it (e.g. TBTool's
  TaobaoSaledObject: 订单编号, 买家会员名, 买家支付宝账号, 买家应付货款, …, 联系电话, 联系手机,
  订单创建时间, 订单付款时间, 宝贝标题, …, 宝贝总数量); since 2022 its 收货人姓名 and 收货地址
  come masked and 联系手机 as a privacy virtual number with an extension.
- ``kuaishou_orders.csv``: 快手小店's order export (订单 › 批量导出). Its columns are those two
  independent public scripts read from real 快手 shops' exports (pandas ``usecols`` lists of
  a 快手处理模块 reconciliation tool and of a ``kshou`` order ETL): 订单号, 订单创建时间,
  订单支付时间, 订单状态, 实付款 (with ¥), 快递费, 支付方式, 成交数量, 商品名称, 商品规格, 商品ID,
  SKU编码, 商品单价, 售后状态 (older exports: 退货退款), 买家留言, 收货人姓名, 收货人电话,
  收货地址-省/-市/-区/-街道, 收货地址, 发货时间, 快递单号, 快递公司, CPS达人ID, CPS达人昵称,
  团长ID, 预估推广佣金; statuses 待付款 / 交易关闭 among them. Neither reads a buyer id or
  nickname column, so none is here: such a file names nobody but the recipient.
- ``buyer_id_orders.csv``: LiveDesk's own template with a platform's buyer ids (买家ID), for
  the tests of learning a buyer id when an order is attached.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

DOUYIN_HEADER = ["主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商家编码", "订单应付金额", "运费",
                 "收件人", "收件人手机号", "详细地址", "订单提交时间", "商家备注", "订单完成时间", "订单状态", "售后状态",
                 "取消原因", "发货时间", "平台实际承担优惠金额", "商家实际承担优惠金额", "达人实际承担优惠金额"]
# (order, sub-order, product, spec, qty, code, payable, submitted, memo, completed, status, after-sale,
#  cancel reason, shipped, platform/shop/creator discounts)
DOUYIN_ROWS = [
    ("6921455530193320017", "6921455530193320017", "修护精华水", "150ml", 1, "SK-0150", "189.00",
     "2026-10-12 20:31:07", "-", "2026-10-15 09:02:11", "已完成", "退款成功", "", "2026-10-13 10:20:45",
     "0.00", "20.00", "0.00"),
    ("6921455530193320025", "6921455530193320025", "修护精华水", "150ml", 2, "SK-0150", "378.00",
     "2026-10-12 20:33:40", "-", "2026-10-16 11:40:00", "已完成", "-", "", "2026-10-13 10:21:02",
     "0.00", "40.00", "0.00"),
    # one order, two sub-orders: 订单应付金额 is each line's
    ("6921455530193320033", "6921455530193320033", "保湿面霜", "50g", 1, "SK-0050", "259.00",
     "2026-10-12 20:35:12", "加急", "-", "已发货", "-", "", "2026-10-13 10:22:30", "10.00", "0.00", "0.00"),
    ("6921455530193320033", "6921455530193320034", "洁面乳", "120g", 1, "SK-0120", "79.00",
     "2026-10-12 20:35:12", "加急", "-", "已发货", "-", "", "2026-10-13 10:22:30", "0.00", "0.00", "0.00"),
    ("6921455530193320041", "6921455530193320041", "修护精华水", "150ml", 1, "SK-0150", "189.00",
     "2026-10-12 21:02:55", "-", "-", "已关闭", "退款成功", "用户取消", "-", "0.00", "0.00", "0.00"),
    ("6921455530193320058", "6921455530193320058", "保湿面霜", "50g", 1, "SK-0050", "259.00",
     "2026-10-12 21:10:03", "-", "-", "待发货", "-", "", "-", "0.00", "0.00", "0.00"),
    ("6921455530193320058", "6921455530193320059", "赠品小样", "5ml", 1, "SK-0005", "0.00",
     "2026-10-12 21:10:03", "-", "-", "待发货", "-", "", "-", "0.00", "0.00", "0.00"),
]


def douyin_lines() -> list[str]:
    """Written by hand, not by csv: 抖店 quotes its tabbed cells and leaves the rest bare."""
    lines = [",".join(DOUYIN_HEADER)]
    for (order, sub, product, spec, qty, code, pay, submitted, memo, done, status, after, cancel, shipped,
         d1, d2, d3) in DOUYIN_ROWS:
        lines.append(f'"\t{order}","\t{sub}","\t{product}","\t{spec}",{qty},"\t{code}",{pay},0.00,##密文,$$密文,##密文,'
                     f"{submitted},{memo},{done},{status},{after},{cancel},{shipped},{d1},{d2},{d3}")
    return lines


TAOBAO_HEADER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额",
                 "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址",
                 "运送方式", "联系电话", "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号",
                 "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费",
                 "发票抬头", "是否手机订单"]


def taobao_rows() -> list[list[str]]:
    def row(order: str, nick: str, pay: str, status: str, name: str, address: str, mobile: str, created: str,
            paid: str, title: str, qty: str) -> list[str]:
        return [order, nick, "", pay, "0.00", "0", pay, "0", pay, "0", status, "", name, address, "快递", "",
                mobile, created, paid, title, "1", "", "", "", qty, "", "小美美妆", "", "0", "0", "", "手机订单"]

    return [
        # a buyer whose member name the report still gives: one customer for both orders
        row("'3902211458700017", "lily_2018", "129.00", "交易成功", "王**", "浙江省 杭州市 西湖区 文三路***号",
            "17012345678-1234", "2026-10-12 20:05:11", "2026-10-12 20:05:40", "玻尿酸精华液 30ml", "1"),
        row("'3902211458700025", "lily_2018", "258.00", "卖家已发货，等待买家确认", "王**",
            "浙江省 杭州市 西湖区 文三路***号", "17012345678-5678", "2026-10-13 21:15:00", "2026-10-13 21:15:30",
            "补水面膜 10片", "2"),
        # member name masked, phone virtual, name masked: nobody to know them by
        row("'3902211458700033", "t**8", "99.00", "交易关闭", "李**", "广东省 深圳市 南山区 科技路***",
            "17098765432转0021", "2026-10-12 20:40:00", "", "洁面乳 120g", "1"),
        row("'3902211458700041", "隐私保护", "59.90", "买家已付款，等待卖家发货", "***", "***",
            "***********", "2026-10-12 22:01:09", "2026-10-12 22:01:30", "防晒霜 SPF50", "1"),
    ]


KUAISHOU_HEADER = ["订单号", "订单创建时间", "订单支付时间", "订单状态", "商品名称", "商品规格", "商品ID", "SKU编码",
                   "商品单价", "成交数量", "实付款", "快递费", "支付方式", "售后状态", "买家留言", "收货人姓名",
                   "收货人电话", "收货地址-省", "收货地址-市", "收货地址-区", "收货地址-街道", "收货地址", "发货时间",
                   "快递单号", "快递公司", "CPS达人ID", "CPS达人昵称", "团长ID", "预估推广佣金"]


def kuaishou_rows() -> list[list[str]]:
    def row(order: str, created: str, paid: str, status: str, product: str, spec: str, pid: str, sku: str,
            price: str, qty: str, total: str, after: str, name: str, phone: str, province: str, city: str,
            district: str, street: str, address: str, shipped: str = "", waybill: str = "",
            cps: tuple[str, str, str, str] = ("", "", "", "")) -> list[str]:
        return [order, created, paid, status, product, spec, pid, sku, price, qty, total, "¥0.00", "微信支付" if paid
                else "", after, "", name, phone, province, city, district, street, address, shipped, waybill,
                "中通快递" if waybill else "", *cps]

    return [
        # recipients masked as 快手 gives them today: nobody to know the buyer by (two orders, no merge)
        row("2412300155203391", "2026-10-12 20:10:00", "2026-10-12 20:10:21", "交易成功", "保湿面霜", "50g",
            "22088001775", "SK-0050", "¥259.00", "1", "¥259.00", "", "张*", "186****2234", "江苏省", "南京市",
            "鼓楼区", "宁海路街道", "中山路***号", "2026-10-13 09:00:00", "73550011223344",
            ("1887001234", "美妆小鹿", "", "¥25.90")),
        row("2412300155203408", "2026-10-12 20:45:00", "2026-10-12 20:45:09", "已发货", "修护精华水", "150ml",
            "22088002775", "SK-0150", "¥189.00", "2", "¥378.00", "", "张*", "186****2234", "江苏省", "南京市",
            "鼓楼区", "宁海路街道", "中山路***号", "2026-10-13 09:05:00", "73550011223351"),
        # closed after a refund
        row("2412300155203415", "2026-10-12 21:30:00", "2026-10-12 21:30:30", "交易关闭", "洁面乳", "120g",
            "22088003775", "SK-0120", "¥79.00", "1", "¥79.00", "退款成功", "***", "***********", "浙江省",
            "宁波市", "海曙区", "***", "***"),
        # an older export still gave the recipient in full: one customer for both of her orders
        row("2409120155200017", "2026-09-12 20:05:00", "2026-09-12 20:05:30", "交易成功", "保湿面霜", "50g",
            "22088001775", "SK-0050", "¥259.00", "1", "¥259.00", "", "陈晓敏", "13912345678", "浙江省", "杭州市",
            "西湖区", "北山街道", "曙光路12号", "2026-09-13 10:00:00", "73550010000017"),
        row("2409180155200025", "2026-09-18 21:15:00", "2026-09-18 21:15:40", "待发货", "洁面乳", "120g",
            "22088003775", "SK-0120", "¥79.00", "1", "¥79.00", "", "陈晓敏", "13912345678", "浙江省", "杭州市",
            "西湖区", "北山街道", "曙光路12号"),
        # placed, never paid
        row("2410020155200033", "2026-10-02 19:00:00", "", "待付款", "修护精华水", "150ml", "22088002775",
            "SK-0150", "¥189.00", "1", "¥189.00", "", "李*", "137****0021", "广东省", "深圳市", "南山区",
            "粤海街道", "科技路***"),
    ]


BUYER_ID_HEADER = ["order_id", "ordered_at", "paid_at", "status", "product_name", "product_code", "quantity",
                   "order_total", "buyer_id", "buyer_handle", "recipient_name", "phone", "province", "city",
                   "address", "after_sale", "platform"]


def buyer_id_rows() -> list[list[str]]:
    return [
        ["2412300155203391", "2026-10-12 20:10:00", "2026-10-12 20:10:21", "已完成", "保湿面霜 50g", "88001", "1",
         "259.00", "3381290017", "小鹿爱美妆", "张*", "186****2234", "江苏省", "南京市", "中山路***号", "-",
         "kuaishou"],
        ["2412300155203408", "2026-10-12 20:45:00", "2026-10-12 20:45:09", "已发货", "修护精华水 150ml", "88002",
         "2", "378.00", "3381290017", "小鹿爱美妆", "张*", "186****2234", "江苏省", "南京市", "中山路***号", "-",
         "kuaishou"],
        # a buyer id and nothing else a person knows: waits on the unknown-buyers list
        ["2412300155203415", "2026-10-12 21:30:00", "2026-10-12 21:30:30", "已完成", "洁面乳 120g", "88003", "1",
         "79.00", "3381290099", "", "***", "***********", "浙江省", "宁波市", "***", "退款成功", "kuaishou"],
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    (HERE / "douyin_orders_encrypted.csv").write_text("\r\n".join(douyin_lines()) + "\r\n", encoding="utf-8-sig",
                                                      newline="")
    write_csv(HERE / "taobao_orders_2024.csv", TAOBAO_HEADER, taobao_rows())
    write_csv(HERE / "kuaishou_orders.csv", KUAISHOU_HEADER, kuaishou_rows())
    write_csv(HERE / "buyer_id_orders.csv", BUYER_ID_HEADER, buyer_id_rows())


if __name__ == "__main__":
    main()
