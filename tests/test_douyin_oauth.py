"""A tool app's (工具型) authorisation against the local 抖店 stand-in: the code exchanged for
tokens kept in the keyring, refreshed before expiry and after an expiry error, a withdrawn
authorisation said in words; a self-built app (自用型) keeps working as before."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from douyin_standin import KEY, SECRET, SHOP, SINCE, UNTIL, DouyinStandIn, shop_orders as _orders
from livedesk.cli import main
from livedesk.models import Order
from livedesk.services import settings
from livedesk.services.sync import credentials, douyin_auth
from livedesk.services.sync.credentials import AppCredentials, KeyringTokens
from livedesk.services.sync.douyin import sync_orders
from livedesk.services.sync.douyin_api import DouyinApi, DouyinApiError



class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _tool_api(standin: DouyinStandIn, clock: Clock) -> DouyinApi:
    return DouyinApi(AppCredentials(KEY, SECRET), "", standin.url, now=clock, sleep=lambda _s: None,
                     auth=douyin_auth.ToolApp(KeyringTokens("douyin")))


def _authorised(standin: DouyinStandIn, clock: Clock) -> douyin_auth.TokenSet:
    standin.auth_codes["code-from-the-market"] = SHOP
    api = DouyinApi(AppCredentials(KEY, SECRET), "", standin.url, now=clock, sleep=lambda _s: None)
    return douyin_auth.exchange_code(api, "https://livedesk.example/cb?code=code-from-the-market&state=x1",
                                     KeyringTokens("douyin"))


def _count(store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Order))


def test_the_code_is_exchanged_for_tokens_kept_in_the_keyring_only(memory_keyring, store):
    clock = Clock(UNTIL)
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        tokens = _authorised(standin, clock)
        assert standin.requests[-1] == ("token.create", {"code": "code-from-the-market",
                                                         "grant_type": "authorization_code"})
        summary = sync_orders(store.write_factory, _tool_api(standin, clock), SINCE, UNTIL)
    assert (tokens.shop_id, tokens.expires_at) == (SHOP, UNTIL + timedelta(days=7))
    assert "token-1" not in repr(tokens) and "refresh-1" not in repr(tokens)
    assert KeyringTokens("douyin").load() == tokens
    assert summary.orders_created == 3


def test_a_token_about_to_expire_is_refreshed_first_and_the_new_pair_kept(memory_keyring, store):
    clock = Clock(UNTIL)
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        _authorised(standin, clock)
        clock.now = UNTIL + timedelta(days=7) - timedelta(minutes=30)  # within the hour before expiry
        summary = sync_orders(store.write_factory, _tool_api(standin, clock), SINCE, UNTIL)
        methods = [m for m, _ in standin.requests]
        refreshed = standin.requests[methods.index("token.refresh")][1]
    assert summary.orders_created == 3
    assert methods[1:3] == ["token.refresh", "order.searchList"]  # refreshed before it failed
    assert refreshed == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    kept = KeyringTokens("douyin").load()
    assert (kept.access_token, kept.refresh_token) == ("token-2", "refresh-2")
    assert kept.expires_at == clock.now + timedelta(days=7)


def test_an_expired_token_error_refreshes_once_and_the_sync_goes_on(memory_keyring, store):
    clock = Clock(UNTIL)
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        _authorised(standin, clock)
        standin.expire_token_once = True
        summary = sync_orders(store.write_factory, _tool_api(standin, clock), SINCE, UNTIL)
        methods = [m for m, _ in standin.requests]
    assert summary.orders_created == 3
    assert methods == ["token.create", "order.searchList", "token.refresh", "order.searchList"]
    assert KeyringTokens("douyin").load().refresh_token == "refresh-2"


def test_a_withdrawn_authorisation_is_revoked_not_retried_and_nothing_is_written(memory_keyring, store):
    clock = Clock(UNTIL)
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        _authorised(standin, clock)
        standin.revoked = True
        with pytest.raises(DouyinApiError) as on_call:
            sync_orders(store.write_factory, _tool_api(standin, clock), SINCE, UNTIL)
        clock.now = UNTIL + timedelta(days=8)  # expired: the refresh is refused too
        with pytest.raises(DouyinApiError) as on_refresh:
            sync_orders(store.write_factory, _tool_api(standin, clock), SINCE, UNTIL)
        refreshes = [m for m, _ in standin.requests].count("token.refresh")
    assert on_call.value.kind == on_refresh.value.kind == "revoked"
    assert refreshes == 1
    assert _count(store) == 0


def test_a_stale_or_wrong_code_is_its_own_kind(memory_keyring):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        api = DouyinApi(AppCredentials(KEY, SECRET), "", standin.url, sleep=lambda _s: None)
        with pytest.raises(DouyinApiError) as refused:
            douyin_auth.exchange_code(api, "never-issued", KeyringTokens("douyin"))
    assert refused.value.kind == "auth_code"
    assert KeyringTokens("douyin").load() is None


def test_a_tool_app_nobody_authorised_says_so(memory_keyring, store):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        with pytest.raises(DouyinApiError) as missing:
            sync_orders(store.write_factory, _tool_api(standin, Clock(UNTIL)), SINCE, UNTIL)
        assert standin.requests == []
    assert missing.value.kind == "not_authorised"


def test_a_self_built_app_still_gets_its_token_from_the_shop_id(store):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        api = DouyinApi(AppCredentials(KEY, SECRET), SHOP, standin.url, sleep=lambda _s: None)
        assert sync_orders(store.write_factory, api, SINCE, UNTIL).orders_created == 3
        assert standin.requests[0] == ("token.create", {"code": "", "grant_type": "authorization_self",
                                                        "shop_id": SHOP})


def test_the_authorise_page_and_the_pasted_code():
    url = douyin_auth.authorize_url("12345", "st8")
    assert url == "https://fuwu.jinritemai.com/authorize?service_id=12345&state=st8"
    assert douyin_auth.code_from(" abc123 ") == "abc123"
    assert douyin_auth.code_from("https://x.example/cb?state=s&code=abc123") == "abc123"


def test_cli_sets_up_a_tool_app_authorises_and_words_a_revocation(memory_keyring, tmp_path, capsys, monkeypatch):
    import io

    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["--db", db, "sync", "douyin", "--set-credentials", "--app-type", "tool", "--app-key", KEY,
                 "--service-id", "12345"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "sync", "douyin", "--authorize-url"]) == 0
    assert capsys.readouterr().out.startswith("https://fuwu.jinritemai.com/authorize?service_id=12345&state=")
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url]) == 1
        assert "has not authorised this app yet" in capsys.readouterr().err
        standin.auth_codes["c0de"] = SHOP
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url, "--auth-code", "c0de", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["shop_id"] == SHOP
        assert credentials.KeyringTokens("douyin").load().access_token == "token-1"
        assert main(["--db", db, "sync", "douyin", "--since", "2026-10-01", "--gateway", standin.url]) == 0
        capsys.readouterr()
        standin.revoked = True
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url]) == 1
        assert "authorisation of this app was withdrawn" in capsys.readouterr().err
    from livedesk.services.store import open_store, sqlite_url

    kept = open_store(sqlite_url(Path(db)))
    try:
        with kept.read() as s:
            assert (settings.get(s, "sync.douyin.app_type"), settings.get(s, "sync.douyin.shop_id")) == ("tool", SHOP)
    finally:
        kept.dispose()
    assert b"refresh-1" not in Path(db).read_bytes() and b"token-1" not in Path(db).read_bytes()


def test_the_sync_box_authorises_a_tool_app_and_words_a_withdrawn_authorisation(qtbot, ctx, store, memory_keyring):
    from livedesk.services.sync.douyin import SYNCED_UNTIL
    from livedesk.ui.douyin_sync_box import DouyinSyncBox

    box = DouyinSyncBox(ctx)
    qtbot.addWidget(box)
    opened: list[str] = []
    box.open_url = lambda url: opened.append(url.toString())
    box.app_type.setCurrentIndex(box.app_type.findData("tool"))
    assert box.service_id.isVisibleTo(box) and not box.shop_id.isVisibleTo(box)
    box.app_key.setText(KEY)
    box.app_secret.setText(SECRET)
    box.service_id.setText("12345")
    box.keep_credentials()
    assert "authorise LiveDesk" in box.status.text()
    box.open_authorisation()
    assert opened and opened[0].startswith("https://fuwu.jinritemai.com/authorize?service_id=12345&state=")
    with store.write() as s:
        settings.set_value(s, SYNCED_UNTIL, SINCE.isoformat())
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        box.gateway = standin.url
        standin.auth_codes["c0de"] = SHOP
        box.auth_code.setText("https://livedesk.example/cb?code=c0de&state=x")
        box.connect_shop()
        qtbot.waitUntil(lambda: "Connected" in box.status.text(), timeout=20_000)
        assert SHOP in box.status.text() and box.shop_id.text() == SHOP
        with qtbot.waitSignal(box.synced, timeout=20_000):
            box.sync_now()
        assert "Synced: 3 orders" in box.status.text()
        standin.revoked = True
        box.sync_now()
        qtbot.waitUntil(lambda: "withdrawn" in box.status.text(), timeout=20_000)
    assert "authorise it again" in box.status.text() and "Nothing was written" in box.status.text()
    with store.read() as s:
        assert settings.get(s, "sync.douyin.app_type") == "tool"
    box.shutdown()
