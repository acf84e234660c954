"""A local stand-in for 抖店's open-platform gateway, on 127.0.0.1, for the sync tests.

It checks each call's signature as the platform documents it (computed here on its own,
not with LiveDesk's code), hands out tokens (``token.create`` for a self-built app's shop id
or a tool app's authorisation code, ``token.refresh``), and answers ``order.searchList``
from a list of shop orders by update time, oldest first, in pages, ``order.orderDetail`` by
order number, and ``order.batchDecrypt`` from a table of cipher texts to plain text, all in
the platform's JSON (``code``/``msg``/``sub_code``/``sub_msg``/``data``). Faults on demand:
the rate limit (``throttle``), a connection dropped mid-answer (``drop``), an IP not on
the whitelist, a token that expired, an authorisation the shop withdrew (``revoked``), the
shop's decryption quota (``decrypt_quota``), the risk control refusing an order's cipher
texts (``risky``), an app without the decrypt permission (``decrypt_forbidden``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# The recorded shop the sync tests share: its orders, the app's credentials, the time range.
DATA = Path(__file__).parent / "data" / "douyin_api"
KEY, SECRET, SHOP = "7152331234567890123", "s3cr3t-abcdef", "88001234"
SINCE = datetime(2026, 10, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 1, tzinfo=timezone.utc)


def shop_orders() -> list[dict]:
    return json.loads((DATA / "shop_orders.json").read_text(encoding="utf-8"))["shop_order_list"]


class DouyinStandIn:
    def __init__(self, app_key: str, app_secret: str, orders: list[dict[str, Any]]) -> None:
        self.app_key, self.app_secret, self.orders = app_key, app_secret, orders
        self.throttle = 0  # answer this many calls with the rate limit
        self.drop = 0  # cut this many order pages short mid-answer
        self.drop_page: int | None = None  # only this page (None: any)
        self.ip_refused = False
        self.expire_token_once = False
        self.tokens_issued = 0
        self.expires_in = 604800  # seconds an access token lasts (抖店: 7 days)
        self.auth_codes: dict[str, str] = {}  # a tool app's authorisation code -> the shop that gave it
        self.revoked = False  # the shop withdrew the tool app's authorisation
        self.plain: dict[str, str] = {}  # cipher text -> what it decrypts to
        self.virtual: set[str] = set()  # cipher texts of phones that decrypt to a virtual number
        self.decrypt_quota: int | None = None  # cipher texts the shop may still decrypt (None: no limit)
        self.decrypted = 0  # cipher texts decrypted (what the quota counted)
        self.risky: set[str] = set()  # orders whose cipher texts the risk control refuses
        self.decrypt_forbidden = False
        self.shop_of_tokens = ""
        self.requests: list[tuple[str, dict[str, Any]]] = []  # (method, params) of each signed call
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                standin.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DouyinStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- answering ---------------------------------------------------------------------------
    def _signature(self, method: str, param_json: str, timestamp: str) -> str:
        text = (self.app_secret + "app_key" + self.app_key + "method" + method + "param_json" + param_json
                + "timestamp" + timestamp + "v2" + self.app_secret)
        return hmac.new(self.app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.path).query))
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0)).decode()
        method = query.get("method", "")
        if query.get("app_key") != self.app_key or query.get("sign") != self._signature(
                method, body, query.get("timestamp", "")) or query.get("sign_method") != "hmac-sha256":
            return self._answer(request, self._error(40003, "非法的参数", "isv.signature-invalid", "签名校验失败"))
        params = json.loads(body or "{}")
        with self.lock:
            self.requests.append((method, params))
            if self.ip_refused:
                return self._answer(request, self._error(30001, "操作权限不足", "isv.ip-not-in-whitelist",
                                                         "请求IP不在应用的IP白名单内"))
            if self.throttle:
                self.throttle -= 1
                return self._answer(request, self._error(60000, "触发限流，请稍后重试", "isv.traffic-limited",
                                                         "请求太频繁，请稍后重试"))
        if method in ("token.create", "token.refresh"):
            return self._answer(request, self._token(method, params))
        if query.get("access_token") != f"token-{self.tokens_issued}":
            return self._answer(request, self._error(40003, "非法的参数", "isv.access-token-no-existed",
                                                     "access_token不存在，请使用最新的access_token访问"))
        with self.lock:
            if self.revoked:
                return self._answer(request, self._error(30001, "操作权限不足", "dop.authorization-no-existed",
                                                         "店铺授权已失效，请重新授权"))
            if self.expire_token_once:
                self.expire_token_once = False
                return self._answer(request, self._error(40003, "非法的参数", "isv.access-token-expired",
                                                         "access_token已过期"))
        if method == "order.orderDetail":
            found = [o for o in self.orders if o["order_id"] == params.get("shop_order_id")]
            if not found:
                return self._answer(request, self._error(50002, "业务处理失败", "isv.business-failed:1000",
                                                         "订单不存在"))
            return self._answer(request, self._ok({"shop_order_detail": found[0]}))
        if method == "order.batchDecrypt":
            return self._answer(request, self._decrypt(params))
        if method != "order.searchList":
            return self._answer(request, self._error(70000, "接口服务已下线", "isp.api-service-off", "API不存在"))
        page, size = int(params["page"]), int(params["size"])
        chosen = sorted((o for o in self.orders
                         if params["update_time_start"] <= o["update_time"] <= params["update_time_end"]),
                        key=lambda o: (o["update_time"], o["order_id"]))
        answer = self._ok({"page": page, "size": size, "total": len(chosen),
                           "shop_order_list": chosen[page * size:(page + 1) * size]})
        with self.lock:
            if self.drop and (self.drop_page is None or self.drop_page == page):
                self.drop -= 1
                return self._cut_short(request, answer)
        return self._answer(request, answer)

    def _token(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """token.create (authorization_self with a shop id, authorization_code with a code) and
        token.refresh; each issue makes the previous access and refresh tokens stale."""
        with self.lock:
            grant = params.get("grant_type")
            if method == "token.refresh":
                if grant != "refresh_token":
                    return self._error(50001, "平台处理失败", "dop.token-generate-failed:grant-type-invalid",
                                       "生成token失败，grant_type参数取值不正确")
                if self.revoked:
                    return self._error(50001, "平台处理失败", "dop.token-generate-failed:no-authorization",
                                       "生成token失败，店铺授权已失效，请重新引导商家完成店铺授权")
                if params.get("refresh_token") != f"refresh-{self.tokens_issued}":
                    return self._error(50001, "平台处理失败", "dop.token-generate-failed:token-invalid",
                                       "生成token失败，token不存在")
                shop = self.shop_of_tokens
            elif grant == "authorization_code":
                shop = self.auth_codes.pop(str(params.get("code")), None)
                if shop is None:
                    return self._error(50001, "平台处理失败", "dop.token-generate-failed:code-invalid",
                                       "生成token失败，code参数不正确，请引导商家重新授权获取code")
                self.revoked = False
            elif grant == "authorization_self":
                shop = str(params.get("shop_id") or "")
            else:
                return self._error(50001, "平台处理失败", "dop.token-generate-failed:grant-type-invalid",
                                   "生成token失败，grant_type参数取值不正确")
            self.tokens_issued += 1
            self.shop_of_tokens = shop
            return self._ok({"access_token": f"token-{self.tokens_issued}", "expires_in": self.expires_in,
                             "refresh_token": f"refresh-{self.tokens_issued}", "scope": "SCOPE",
                             "shop_id": int(shop or 0), "shop_name": "小美美妆"})

    def _decrypt(self, params: dict[str, Any]) -> dict[str, Any]:
        """order.batchDecrypt: the quota counts every cipher text of a call, or refuses the call."""
        infos = params.get("cipher_infos") or []
        with self.lock:
            if self.decrypt_forbidden:
                return self._error(30001, "操作权限不足", "isv.app-permissions-insufficient",
                                   "应用无权限调用该接口，请先申请接口权限包")
            if len(infos) > 50:
                return self._error(40004, "非法的参数", "isv.parameter-invalid", "cipher_infos最多50条")
            if self.decrypt_quota is not None and len(infos) > self.decrypt_quota:
                return self._error(50002, "业务处理失败", "isv.business-failed:300010", "已达到店铺解密上限")
            answers = []
            for info in infos:
                auth_id, cipher = str(info.get("auth_id")), str(info.get("cipher_text"))
                owner = next((o for o in self.orders if o["order_id"] == auth_id), None)
                known = owner is not None and cipher in (owner.get("encrypt_post_receiver"),
                                                         owner.get("encrypt_post_tel"))
                item = {"auth_id": auth_id, "cipher_text": cipher, "decrypt_text": "", "err_no": 0, "err_msg": "",
                        "is_virtual_tel": False, "phone_no_a": "", "phone_no_b": "", "expire_time": 0}
                if auth_id in self.risky:
                    item.update(err_no=300008, err_msg="您的环境存在安全风险，请稍后再试")
                elif not known or cipher not in self.plain:
                    item.update(err_no=300002, err_msg="密文与订单不匹配")
                elif cipher in self.virtual:
                    a, b = self.plain[cipher].split("-")
                    item.update(decrypt_text=self.plain[cipher], is_virtual_tel=True, phone_no_a=a, phone_no_b=b,
                                expire_time=1893456000)
                else:
                    item["decrypt_text"] = self.plain[cipher]
                answers.append(item)
            if self.decrypt_quota is not None:
                self.decrypt_quota -= len(infos)
            self.decrypted += len(infos)
        return self._ok({"decrypt_infos": answers, "custom_err": {"err_code": 0, "err_msg": ""}})

    @staticmethod
    def _ok(data: dict[str, Any]) -> dict[str, Any]:
        return {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data, "log_id": "standin"}

    @staticmethod
    def _error(code: int, msg: str, sub_code: str, sub_msg: str) -> dict[str, Any]:
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "data": {}, "log_id": "standin"}

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, answer: dict[str, Any]) -> None:
        raw = json.dumps(answer, ensure_ascii=False).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw)

    @staticmethod
    def _cut_short(request: BaseHTTPRequestHandler, answer: dict[str, Any]) -> None:
        """Headers promise the whole page; the connection closes a third of the way in."""
        raw = json.dumps(answer, ensure_ascii=False).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw[:len(raw) // 3])
        request.wfile.flush()
        request.close_connection = True
