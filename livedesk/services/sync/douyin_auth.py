"""How LiveDesk holds a shop's 抖店 authorisation, for the two kinds of app the open platform has.

- A self-built app (自用型) belongs to the shop: ``token.create`` with ``grant_type
  authorization_self`` and the shop id gives an access token whenever one is needed.
- A tool app (工具型) is authorised by the shop in 抖店's service market
  (``https://fuwu.jinritemai.com/authorize?service_id=…&state=…``), which hands back a
  one-time ``code`` (valid 10 minutes). LiveDesk exchanges it (``token.create``, ``grant_type
  authorization_code``) for an access token and a refresh token, keeps both in the OS
  keyring (never in the store), renews them with ``token.refresh`` (``grant_type
  refresh_token``) an hour before the access token expires and at once when the platform
  says it expired, and keeps the new pair (each refresh issues a new refresh token).
  When the refresh token itself is refused the shop has withdrawn or let the authorisation
  lapse: that is kind ``revoked``, worded as "authorise LiveDesk again", never retried.

Shapes as the platform's SDKs implement them: westng/doudian-sdk
``src/Core/Token/AccessTokenBuilder.php`` (the grant types; refresh with ``refresh_token``
+ ``grant_type``), ``src/Api/token_create/param/TokenCreateParam.php`` (``code``,
``grant_type``, ``shop_id``…), ``src/Core/Token/AccessToken.php`` (the answer's ``data``:
``access_token``, ``expires_in`` seconds, ``refresh_token``, ``scope``, ``shop_id``,
``shop_name``); the authorise address as gaigeshen's doudian client builds it
(``AUTHORIZE_TEMPLATE_URL``). Error codes: iMactool/jinritemai ``src/Error/ErrorCode.php``
(50001 ``dop.token-generate-failed:code-expired|code-invalid|no-authorization|token-expired|
token-invalid``; 30001 ``dop.authorization-no-existed|dop.authorization-closed``).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from livedesk.services.sync.douyin_api import DouyinApi

AUTHORIZE_URL = "https://fuwu.jinritemai.com/authorize"
REFRESH_AHEAD = timedelta(hours=1)  # renew this long before the access token runs out
SELF_BUILT, TOOL = "self", "tool"  # the app kinds (settings key sync.douyin.app_type)


@dataclass(frozen=True)
class TokenSet:
    """A tool app's authorisation by one shop."""

    access_token: str
    refresh_token: str
    expires_at: datetime  # UTC
    shop_id: str
    shop_name: str = ""

    def __repr__(self) -> str:  # never a token in a log line or a traceback
        return f"TokenSet(shop_id={self.shop_id!r}, expires_at={self.expires_at.isoformat()}, tokens='***')"

    @classmethod
    def from_answer(cls, data: dict[str, Any], now: datetime, shop_id: str = "") -> TokenSet:
        from livedesk.services.sync.douyin_api import BAD_RESPONSE, DouyinApiError

        if not data.get("access_token") or not data.get("refresh_token"):
            raise DouyinApiError(BAD_RESPONSE, "the token answer has no access_token or refresh_token")
        return cls(str(data["access_token"]), str(data["refresh_token"]),
                   now.astimezone(timezone.utc) + timedelta(seconds=int(data.get("expires_in") or 0)),
                   str(data.get("shop_id") or shop_id), str(data.get("shop_name") or ""))

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at.isoformat(), "shop_id": self.shop_id,
                           "shop_name": self.shop_name})

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(data["access_token"], data["refresh_token"], datetime.fromisoformat(data["expires_at"]),
                   data["shop_id"], data.get("shop_name", ""))


class TokenKeeper(Protocol):
    """Where a tool app's tokens live between runs (the OS keyring: credentials.KeyringTokens)."""

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...


def authorize_url(service_id: str, state: str) -> str:
    """The page where the shop authorises a tool app (opened in the browser)."""
    return f"{AUTHORIZE_URL}?{urllib.parse.urlencode({'service_id': service_id, 'state': state})}"


def code_from(text: str) -> str:
    """The authorisation code from what the user pasted: the code, or the whole address the
    service market sent the browser to (``…?code=…&state=…``)."""
    text = text.strip()
    if "code=" in text:
        found = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query or text.split("?", 1)[-1]).get("code")
        if found:
            return found[0].strip()
    return text


@dataclass
class SelfBuilt:
    """A self-built app: a token from the shop id, whenever asked."""

    shop_id: str

    def token(self, api: DouyinApi) -> str:
        from livedesk.services.sync.douyin_api import BAD_RESPONSE, DouyinApiError

        data = api.call_without_token("token.create", {"code": "", "grant_type": "authorization_self",
                                                        "shop_id": str(self.shop_id)})
        if not data.get("access_token"):
            raise DouyinApiError(BAD_RESPONSE, "token.create answered without an access_token")
        return str(data["access_token"])

    def renew(self, api: DouyinApi) -> str:
        return self.token(api)


@dataclass
class ToolApp:
    """A tool app: the shop's kept tokens, refreshed ahead of expiry and after an expiry error."""

    keeper: TokenKeeper
    _kept: TokenSet | None = field(default=None, init=False, repr=False)

    def token(self, api: DouyinApi) -> str:
        from livedesk.services.sync.douyin_api import NOT_AUTHORISED, DouyinApiError

        if self._kept is None:
            self._kept = self.keeper.load()
        if self._kept is None:
            raise DouyinApiError(NOT_AUTHORISED, "the shop has not authorised this app yet")
        if self._kept.expires_at - api.now() <= REFRESH_AHEAD:
            self._refresh(api)
        return self._kept.access_token

    def renew(self, api: DouyinApi) -> str:
        """After the platform said the access token expired (or is not the latest)."""
        if self._kept is None:
            return self.token(api)
        self._refresh(api)
        return self._kept.access_token

    def _refresh(self, api: DouyinApi) -> None:
        from livedesk.services.sync.douyin_api import REVOKED, TOKEN, DouyinApiError

        assert self._kept is not None
        try:
            data = api.call_without_token("token.refresh", {"grant_type": "refresh_token",
                                                             "refresh_token": self._kept.refresh_token})
        except DouyinApiError as exc:
            if exc.kind == TOKEN:  # the refresh token itself is refused
                raise DouyinApiError(REVOKED, f"the shop's authorisation is no longer valid: {exc}", exc.code,
                                     exc.sub_code) from exc
            raise
        self._kept = TokenSet.from_answer(data, api.now(), self._kept.shop_id)
        self.keeper.save(self._kept)


def connection(app_type: str, shop_id: str | None, gateway: str, keeper: TokenKeeper | None = None,
               **options: Any) -> DouyinApi:
    """The shop's API as the settings describe it (``sync.douyin.app_type``, ``shop_id``), with
    the key and secret from the OS keyring. Raises credentials.CredentialsError when nothing is
    kept yet (or a self-built app has no shop id)."""
    from livedesk.services.sync import credentials
    from livedesk.services.sync.douyin_api import DouyinApi

    app = credentials.load("douyin")
    if app_type == TOOL:
        return DouyinApi(app, shop_id or "", gateway, auth=ToolApp(keeper or credentials.KeyringTokens("douyin")),
                         **options)
    if not shop_id:
        raise credentials.CredentialsError("missing", "no shop id kept for the self-built 抖店 app")
    return DouyinApi(app, shop_id, gateway, **options)


def exchange_code(api: DouyinApi, code: str, keeper: TokenKeeper) -> TokenSet:
    """Trade the shop's authorisation code for tokens and keep them (the shop id comes with them)."""
    data = api.call_without_token("token.create", {"code": code_from(code), "grant_type": "authorization_code"})
    tokens = TokenSet.from_answer(data, api.now())
    keeper.save(tokens)
    return tokens
