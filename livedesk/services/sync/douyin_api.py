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
error) is retried with backoff; an expired token is renewed once (douyin_auth: a self-built
app asks again, a tool app refreshes); anything else raises DouyinApiError with a ``kind``
the caller words.

The recipient's decryption (``order.batchDecrypt``) is metered per shop. Its request is
``cipher_infos``: at most 50 ``{auth_id: the 抖音 order number, cipher_text}``; its ``data``
is ``decrypt_infos`` (``auth_id``, ``cipher_text``, ``decrypt_text``, ``err_no``, ``err_msg``,
``is_virtual_tel``, ``phone_no_a``/``phone_no_b``, ``expire_time``) and ``custom_err``
(``err_code``, ``err_msg``), as the platform's Go SDK declares it
(``order_batchDecrypt_response``: DecryptInfosItem / CustomErr) and westng/doudian-sdk
(``src/Api/order_batchDecrypt/param/CipherInfos.php``: ``auth_id``, ``cipher_text``).
Public integrations of it treat ``code`` 90000 or 50002 as the shop's decrypt ceiling
(已达到店铺解密上限), ``code`` 80000 and an item's ``err_no`` 300008 as risk control
(您的环境存在安全风险，请稍后再试), and 30001 as no permission; those are kinds here.
The cipher texts come from ``order.orderDetail`` (``shop_order_id`` -> ``shop_order_detail``,
the same order fields as ``order.searchList``).
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
REVOKED = "revoked"  # the shop withdrew the app's authorisation, or it lapsed: authorise again
AUTH_CODE = "auth_code"  # the authorisation code is wrong or older than its 10 minutes
NOT_AUTHORISED = "not_authorised"  # a tool app the shop has not authorised yet
QUOTA = "quota"  # the shop's decryption quota is used up
RISK = "risk"  # the platform's risk control refused to decrypt for now
DECRYPT_BATCH = 50  # cipher_infos per order.batchDecrypt call (the documented maximum)


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


# The shop's authorisation is gone (withdrawn, closed, lapsed, or its refresh token expired).
_REVOKED_SUBS = ("dop.authorization-no-existed", "dop.authorization-closed", "dop.token-generate-failed:no-authorization",
                 "dop.token-generate-failed:token-expired", "dop.token-generate-failed:token-invalid",
                 "isv.business-failed:31009")
_CODE_SUBS = ("dop.token-generate-failed:code-expired", "dop.token-generate-failed:code-invalid")


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
    elif number == 30002 or ("ip" in sub and "white" in sub) or sub == "isv.invalid_ip" or "白名单" in message:
        kind = IP_WHITELIST
    elif "access-token" in sub:
        kind = TOKEN
    elif sub.replace(" ", "") in _REVOKED_SUBS:
        kind = REVOKED
    elif sub.replace(" ", "") in _CODE_SUBS:
        kind = AUTH_CODE
    elif sub.startswith("dop.token-generate-failed") or "app-id" in sub or "app-secret" in sub:
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


@dataclass(frozen=True)
class Decrypted:
    """One cipher text's answer. ``text`` is a buyer's name or phone: never logged or reported."""

    auth_id: str
    cipher_text: str
    text: str | None
    err_no: int
    err_msg: str
    virtual_phone: bool  # is_virtual_tel: a forwarding number, not the buyer's own

    def __repr__(self) -> str:
        return f"Decrypted(auth_id={self.auth_id!r}, err_no={self.err_no}, text='***')"

    @property
    def kind(self) -> str | None:
        """None when decrypted; RISK for the risk control's refusal; PLATFORM otherwise."""
        if self.err_no == 0 and self.text is not None:
            return None
        return RISK if self.err_no == RISK_ERR_NO or "风险" in self.err_msg else PLATFORM


RISK_ERR_NO = 300008  # an item refused by the risk control (public integrations' handling)
QUOTA_CODES = (90000, 50002)  # 已达到店铺解密上限, as public integrations of batchDecrypt handle it
RISK_CODE = 80000  # 安全错误: the environment looks risky to the platform


@dataclass
class DouyinApi:
    """One shop's calls. ``sleep`` and ``now`` are replaceable so tests need not wait.

    ``auth`` is how the app holds the shop's authorisation (douyin_auth): by default a
    self-built app with ``shop_id``; a tool app passes ``ToolApp(keeper)``."""

    credentials: AppCredentials
    shop_id: str
    gateway: str = GATEWAY
    retries: int = 4  # tries after the first, for transient trouble
    backoff_s: float = 1.0  # doubled after each try
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    auth: Any = None
    calls: int = field(default=0, init=False)  # HTTP requests made (tests and progress)
    _token: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.auth is None:
            from livedesk.services.sync.douyin_auth import SelfBuilt

            self.auth = SelfBuilt(self.shop_id)

    # -- the calls -----------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """``method``'s ``data``, with a token, transient trouble retried and an expired token renewed."""
        renewed = False
        for attempt in range(self.retries + 1):
            try:
                return self._call(method, params, self.token())
            except DouyinApiError as exc:
                if exc.kind == TOKEN and not renewed:
                    self._token, renewed = self.auth.renew(self), True
                    continue
                if exc.kind not in RETRIED_KINDS or attempt == self.retries:
                    raise
                self._wait(method, exc, attempt)
        raise AssertionError("unreachable")

    def call_without_token(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A token call (``token.create``, ``token.refresh``): signed, no access token, transient
        trouble retried."""
        for attempt in range(self.retries + 1):
            try:
                return self._call(method, params, None)
            except DouyinApiError as exc:
                if exc.kind not in RETRIED_KINDS or attempt == self.retries:
                    raise
                self._wait(method, exc, attempt)
        raise AssertionError("unreachable")

    def _wait(self, method: str, exc: DouyinApiError, attempt: int) -> None:
        wait = self.backoff_s * (2 ** attempt)
        log.info("抖店 %s: %s; trying again in %.1f s", method, exc.kind, wait)
        self.sleep(wait)

    def token(self) -> str:
        if self._token is None:
            self._token = self.auth.token(self)
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

    def order_detail(self, shop_order_id: str) -> dict[str, Any]:
        """One order as ``order.orderDetail`` gives it (with its cipher texts)."""
        data = self.call("order.orderDetail", {"shop_order_id": str(shop_order_id)})
        detail = data.get("shop_order_detail")
        if not isinstance(detail, dict):
            raise DouyinApiError(BAD_RESPONSE, "order.orderDetail: no shop_order_detail")
        return detail

    def batch_decrypt(self, cipher_infos: list[tuple[str, str]]) -> list[Decrypted]:
        """Decrypt up to DECRYPT_BATCH (order number, cipher text) pairs; each one counts against
        the shop's quota. Raises DouyinApiError with kind QUOTA, RISK or PERMISSION when the
        platform refuses the whole call; an item it refuses comes back with its ``err_no``.

        A retried call (a dropped connection) may be counted twice by the platform: the
        price of not losing an answer that was paid for."""
        if len(cipher_infos) > DECRYPT_BATCH:
            raise ValueError(f"at most {DECRYPT_BATCH} cipher texts per call")
        try:
            data = self.call("order.batchDecrypt", {"cipher_infos": [{"auth_id": str(a), "cipher_text": c}
                                                                     for a, c in cipher_infos]})
        except DouyinApiError as exc:
            if exc.code in QUOTA_CODES:
                raise DouyinApiError(QUOTA, str(exc), exc.code, exc.sub_code) from exc
            if exc.code == RISK_CODE:
                raise DouyinApiError(RISK, str(exc), exc.code, exc.sub_code) from exc
            raise
        custom = data.get("custom_err") or {}
        if int(custom.get("err_code") or 0):
            text = str(custom.get("err_msg") or "")
            kind = QUOTA if any(w in text for w in ("上限", "额度", "配额")) else RISK if "风险" in text else PLATFORM
            raise DouyinApiError(kind, f"order.batchDecrypt: {custom.get('err_code')} {text}".strip(),
                                 int(custom["err_code"]))
        infos = data.get("decrypt_infos")
        if not isinstance(infos, list):
            raise DouyinApiError(BAD_RESPONSE, "order.batchDecrypt: decrypt_infos is not a list")
        return [Decrypted(str(i.get("auth_id") or ""), str(i.get("cipher_text") or ""),
                          None if i.get("decrypt_text") in (None, "") else str(i["decrypt_text"]),
                          int(i.get("err_no") or 0), str(i.get("err_msg") or ""), bool(i.get("is_virtual_tel")))
                for i in infos if isinstance(i, dict)]

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
