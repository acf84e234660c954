"""Writes shop_orders.json: 抖店 shop orders in order.searchList's documented shape (field names
and units as the platform's docs and its SDKs' response structs give them: amounts in fen,
times in Unix seconds, recipients masked (mask_*) and encrypted (encrypt_*, never stored),
the buyer as doudian_open_id). Hand-made, not a recording of a real shop.

Also writes decrypted.json: what the stand-in's order.batchDecrypt turns each cipher text
into (one buyer's orders share theirs, as the same recipient encrypts alike), and which
phone cipher texts decrypt to a virtual number (is_virtual_tel).

    python tests/data/douyin_api/make_shop_orders.py
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

STATUS = {1: "待支付", 105: "已支付", 2: "备货中", 3: "已发货", 4: "已取消", 5: "已完成"}
BASE = 1791800000  # 2026-10-12 18:13:20 Beijing time


def cipher(mark: str, plain: str) -> str:
    """A cipher text in the platform's outline (#…#…#…## for names and addresses, $…$…$…$$ for
    phones); its middle stands for the plain text without revealing it."""
    digest = base64.b64encode(hashlib.sha256(plain.encode()).digest()[:12]).decode()
    return f"{mark}Fz3kdWZq{mark}{digest}{mark}*CgkIARCtHCABKAESPgo8Y2xpZW50{mark}1{mark}{mark}"


# The recipients behind the masks: name, phone (a virtual one as the platform gives it), virtual.
PLAIN = {"王**": ("王丽", "13812345678", False), "李*": ("李娜", "18400913965-7576", True)}


def order(oid, open_id, status, create, update, lines, receiver="王**", tel="138****5678", refund=None):
    place = {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
             "town": {"name": "西湖区", "id": "330106"}}
    return {
        "order_id": oid, "order_status": status, "order_status_desc": STATUS[status],
        "create_time": create, "update_time": update, "pay_time": create + 30 if status != 1 else 0,
        "pay_amount": sum(line[2] for line in lines), "order_amount": sum(line[2] for line in lines),
        "post_amount": 0, "doudian_open_id": open_id,
        "encrypt_post_receiver": cipher("#", PLAIN[receiver][0]),
        "encrypt_post_tel": cipher("$", PLAIN[receiver][1]),
        "mask_post_receiver": receiver, "mask_post_tel": tel,
        "post_addr": {**place, "detail": "", "encrypt_detail": "#Vx8s1nQ#QmFzZTY0IGRldGFpbA==#*CgkIARCtHCAB#1##"},
        "mask_post_addr": {**place, "detail": "文三路***号"},
        "sku_order_list": [
            {"order_id": f"{oid}{i + 1}", "parent_order_id": oid, "product_name": name, "code": code,
             "product_id_str": "3500001", "item_num": qty, "pay_amount": fen, "order_status": status,
             "after_sale_info": {"after_sale_status": 12 if refund == i else 0,
                                 "after_sale_type": 1 if refund == i else 0,
                                 "refund_status": 3 if refund == i else 0}}
            for i, (name, code, fen, qty) in enumerate(lines)],
    }


ORDERS = [
    order("6921455530193330017", "1@#MS4wLjABAAAAqWang", 5, BASE, BASE + 86400 * 3,
          [("修护精华水 150ml", "SK-0150", 18900, 1), ("洁面乳 120g", "SK-0120", 7900, 1)]),
    order("6921455530193330025", "1@#MS4wLjABAAAAqWang", 3, BASE + 600, BASE + 86400,
          [("保湿面霜 50g", "SK-0050", 25900, 1)]),
    order("6921455530193330033", "1@#MS4wLjABAAAArLi", 4, BASE + 1200, BASE + 1800,
          [("修护精华水 150ml", "SK-0150", 18900, 1)], receiver="李*", tel="139****1234", refund=0),
]

if __name__ == "__main__":
    out = Path(__file__).with_name("shop_orders.json")
    out.write_text(json.dumps({"shop_order_list": ORDERS}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    plain = {cipher(mark, text): text for name, phone, _ in PLAIN.values() for mark, text in (("#", name), ("$", phone))}
    virtual = [cipher("$", phone) for _, phone, is_virtual in PLAIN.values() if is_virtual]
    out.with_name("decrypted.json").write_text(json.dumps({"plain": plain, "virtual": virtual}, ensure_ascii=False,
                                                          indent=1) + "\n", encoding="utf-8")
