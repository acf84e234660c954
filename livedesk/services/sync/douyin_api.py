"""抖店 open platform (openapi-fxg.jinritemai.com): signed calls, the access token, order paging
and the platform's error codes as kinds the UI can word.

As the platform documents it (and its SDKs implement it): a call is a POST to the method's
path (``order.searchList`` -> ``/order/searchList``) with the business parameters as JSON
in the body (``param_json``: keys sorted, no spaces) and the common parameters in the query:
``app_key``, ``method``, ``access_token``, ``timestamp`` (``yyyy-MM-dd HH:mm:ss``, Beijing
time), ``v=2``, ``sign_method=hmac-sha256`` and ``sign`` = hex HMAC-SHA256, keyed with the
app secret, of ``secret + "app_key…method…param_json…timestamp…v2" + secret``. A self-use
app gets its token from ``token.create`` (``grant_type=authorization_self``, ``shop_id``).
An answer carries ``code`` (10000 = success; 20000 service, 30001 permission, 40001/40003
parameters, signature or token, 50001 token creation, 60000 rate limit) with ``sub_code`` /
``sub_msg`` (``isv.signature-invalid``, ``isv.access-token-expired``,
``isv.traffic-limited``…); older gateways answer ``err_no`` (0 = success) and ``message``.

Transient trouble (a dropped connection, a truncated answer, the rate limit, a service
error) is retried with backoff; an expired token is renewed once; anything else raises
DouyinApiError with a ``kind`` the caller words.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from livedesk.services.sync.credentials import AppCredentials

log = logging.getLogger(__name__)

GATEWAY = "https://openapi-fxg.jinritemai.com"
SANDBOX_GATEWAY = "https://openapi-sandbox.jinritemai.com"
API_VERSION = "2"
PAGE_SIZE = 100  # the most order.searchList gives per page
BEIJING = timezone(timedelta(hours=8))  # the gateway reads timestamps in Beijing time
SUCCESS_CODE = 10000
RETRIED_KINDS = ("network", "rate_limited", "service")

# Kinds of failure (the UI words them).
SIGNATURE = "signature"  # the key/secret pair does not sign as the platform expects
RATE_LIMITED = "rate_limited"
IP_WHITELIST = "ip_whitelist"  # this computer's address is not in the app's IP whitelist
TOKEN = "token"  # the access token is missing, expired or not this app's
CREDENTIALS = "credentials"  # the app key or secret is wrong, or the shop has not authorised the app
PERMISSION = "permission"  # the app may not call this API
SERVICE = "service"  # the platform is down for the moment
NETWORK = "network"
BAD_RESPONSE = "bad_response"
PLATFORM = "platform"  # anything else the platform refused


class DouyinApiError(RuntimeError):
    def __init__(self, kind: str, message: str, code: int | None = None, sub_code: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.code, self.sub_code = kind, code, sub_code


def sign(credentials: AppCredentials, method: str, param_json: str, timestamp: str) -> str:
    """The documented signature of one call (hex HMAC-SHA256)."""
    text = (f"{credentials.app_secret}app_key{credentials.app_key}method{method}param_json{param_json}"
            f"timestamp{timestamp}v{API_VERSION}{credentials.app_secret}")
    return hmac.new(credentials.app_secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def param_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def failure(answer: dict[str, Any]) -> DouyinApiError | None:
    """None for a successful answer; otherwise what went wrong, as a kind."""
    code, err_no = answer.get("code"), answer.get("err_no")
    if (code == SUCCESS_CODE) if code is not None else (err_no == 0):
        return None
    sub = str(answer.get("sub_code") or "")
    message = str(answer.get("sub_msg") or answer.get("msg") or answer.get("message") or "")
    number = code if code is not None else err_no
    if "signature" in sub:
        kind = SIGNATURE
    elif number == 60000 or "traffic-limited" in sub or "limit" in sub:
        kind = RATE_LIMITED
    elif ("ip" in sub and "white" in sub) or "白名单" in message:
        kind = IP_WHITELIST
    elif "access-token" in sub or sub.startswith("dop.token-generate-failed:token"):
        kind = TOKEN
    elif sub.startswith("dop.token-generate-failed") or "app-id" in sub or "app-secret" in sub or \
            sub in ("dop.authorization-no-existed", "dop.authorization-closed"):
        kind = CREDENTIALS
    elif number == 30001:
        kind = PERMISSION
    elif number == 20000:
        kind = SERVICE
    else:
        kind = PLATFORM
    return DouyinApiError(kind, f"{number} {sub}: {message}".strip(), number, sub or None)


@dataclass(frozen=True)
class OrdersPage:
    orders: list[dict[str, Any]]
    total: int


@dataclass
class DouyinApi:
    """One shop's calls. ``sleep`` and ``now`` are replaceable so tests need not wait."""

    credentials: AppCredentials
    shop_id: str
    gateway: str = GATEWAY
    retries: int = 4  # tries after the first, for transient trouble
    backoff_s: float = 1.0  # doubled after each try
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    calls: int = field(default=0, init=False)  # HTTP requests made (tests and progress)
    _token: str | None = field(default=None, init=False, repr=False)

    # -- the calls -----------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """``method``'s ``data``, with a token, transient trouble retried and an expired token renewed."""
        renewed = False
        for attempt in range(self.retries + 1):
            try:
                return self._call(method, params, self.token())
            except DouyinApiError as exc:
                if exc.kind == TOKEN and not renewed:
                    self._token, renewed = None, True
                    continue
                if exc.kind not in RETRIED_KINDS or attempt == self.retries:
                    raise
                wait = self.backoff_s * (2 ** attempt)
                log.info("抖店 %s: %s; trying again in %.1f s", method, exc, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def token(self) -> str:
        if self._token is None:
            for attempt in range(self.retries + 1):
                try:
                    data = self._call("token.create", {"code": "", "grant_type": "authorization_self",
                                                       "shop_id": str(self.shop_id)}, None)
                    break
                except DouyinApiError as exc:
                    if exc.kind not in RETRIED_KINDS or attempt == self.retries:
                        raise
                    self.sleep(self.backoff_s * (2 ** attempt))
            token = data.get("access_token") if isinstance(data, dict) else None
            if not token:
                raise DouyinApiError(BAD_RESPONSE, "token.create answered without an access_token")
            self._token = str(token)
        return self._token

    def search_orders(self, start: int, end: int, page: int, size: int = PAGE_SIZE) -> OrdersPage:
        """One page of the orders updated in [start, end] (Unix seconds), oldest update first."""
        data = self.call("order.searchList", {"update_time_start": start, "update_time_end": end,
                                              "order_by": "update_time", "order_asc": True,
                                              "page": page, "size": size})
        orders = data.get("shop_order_list") or []
        if not isinstance(orders, list):
            raise DouyinApiError(BAD_RESPONSE, "order.searchList: shop_order_list is not a list")
        return OrdersPage(orders, int(data.get("total") or 0))

    # -- one HTTP request ------------------------------------------------------------------------
    def _call(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        body = param_json(params)
        stamp = self.now().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        query = {"app_key": self.credentials.app_key, "method": method, "v": API_VERSION, "timestamp": stamp,
                 "sign_method": "hmac-sha256", "sign": sign(self.credentials, method, body, stamp)}
        if token is not None:
            query["access_token"] = token
        url = f"{self.gateway.rstrip('/')}/{method.replace('.', '/')}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            kind = RATE_LIMITED if exc.code == 429 else SERVICE if exc.code >= 500 else PLATFORM
            raise DouyinApiError(kind, f"HTTP {exc.code} from {method}", exc.code) from exc
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout,
                TimeoutError) as exc:
            raise DouyinApiError(NETWORK, f"{method}: {exc}") from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:  # cut short mid-answer: as good as a dropped connection
            raise DouyinApiError(NETWORK, f"{method}: the answer was cut short") from exc
        if not isinstance(answer, dict):
            raise DouyinApiError(BAD_RESPONSE, f"{method}: the answer is not a JSON object")
        problem = failure(answer)
        if problem is not None:
            raise problem
        data = answer.get("data")
        return data if isinstance(data, dict) else {}
