"""A local stand-in for 抖店's open-platform gateway, on 127.0.0.1, for the sync tests.

It checks each call's signature as the platform documents it (computed here on its own,
not with LiveDesk's code), hands out a token for ``token.create``, and answers
``order.searchList`` from a list of shop orders by update time, oldest first, in pages, in
the platform's JSON (``code``/``msg``/``sub_code``/``sub_msg``/``data``). Faults on demand:
the rate limit (``throttle``), a connection dropped mid-answer (``drop``), an IP not on
the whitelist, a token that expired.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class DouyinStandIn:
    def __init__(self, app_key: str, app_secret: str, orders: list[dict[str, Any]]) -> None:
        self.app_key, self.app_secret, self.orders = app_key, app_secret, orders
        self.throttle = 0  # answer this many calls with the rate limit
        self.drop = 0  # cut this many order pages short mid-answer
        self.drop_page: int | None = None  # only this page (None: any)
        self.ip_refused = False
        self.expire_token_once = False
        self.tokens_issued = 0
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
        if method == "token.create":
            self.tokens_issued += 1
            return self._answer(request, self._ok({"access_token": f"token-{self.tokens_issued}",
                                                   "expires_in": 604800, "refresh_token": "r", "scope": "SCOPE",
                                                   "shop_id": int(params.get("shop_id") or 0), "shop_name": "小美美妆"}))
        if query.get("access_token") != f"token-{self.tokens_issued}":
            return self._answer(request, self._error(40003, "非法的参数", "isv.access-token-no-existed",
                                                     "access_token不存在，请使用最新的access_token访问"))
        with self.lock:
            if self.expire_token_once:
                self.expire_token_once = False
                return self._answer(request, self._error(40003, "非法的参数", "isv.access-token-expired",
                                                         "access_token已过期"))
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
