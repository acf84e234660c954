"""抖店 order sync against a local stand-in of the platform's gateway (never the internet):
signing, paging, idempotence, throttling, a dropped page, bad credentials, the buyer id."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from douyin_standin import KEY, SECRET, SHOP, SINCE, UNTIL, DouyinStandIn, shop_orders as _orders
from livedesk.cli import main
from livedesk.models import Customer, ImportBatch, Order, OrderItem
from livedesk.services import customers, settings, unknown_buyers
from livedesk.services.customers import NewCustomer
from livedesk.services.sync import credentials
from livedesk.services.sync.credentials import AppCredentials
from livedesk.services.sync.douyin import SYNCED_UNTIL, sync_orders
from livedesk.services.sync.douyin_api import DouyinApi, DouyinApiError



def _many(count: int) -> list[dict]:
    """``count`` one-line orders of different buyers, updated a minute apart."""
    template = _orders()[1]
    made = []
    for n in range(count):
        o = copy.deepcopy(template)
        o["order_id"] = f"69300000000{n:08d}"
        o["update_time"] = template["update_time"] + 60 * n
        o["doudian_open_id"] = f"1@#buyer{n}"
        o["sku_order_list"][0]["order_id"] = o["order_id"] + "1"
        made.append(o)
    return made


def _api(standin: DouyinStandIn, secret: str = SECRET, waits: list[float] | None = None) -> DouyinApi:
    return DouyinApi(AppCredentials(KEY, secret), SHOP, standin.url, backoff_s=0.5,
                     sleep=(waits.append if waits is not None else (lambda _s: None)))


def _count(store, model) -> int:
    with store.write() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_orders_import_with_masked_buyers_as_unknown_buyers_with_their_open_id(store):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        summary = sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
    assert (summary.pages, summary.orders_fetched, summary.orders_created) == (1, 3, 3)
    assert (summary.orders_without_buyer, summary.customers_created) == (3, 0)  # 王** and 138****5678 are nobody
    with store.write() as s:
        got = {o.platform_order_id: o for o in s.scalars(select(Order))}
        first = got["6921455530193330017"]
        assert (first.status, first.total_fen, first.buyer_uid, first.customer_id) == (
            "completed", 26800, "1@#MS4wLjABAAAAqWang", None)
        assert first.ordered_at == datetime(2026, 10, 12, 10, 13, 20, tzinfo=timezone.utc)
        assert first.recipient_name is None and first.recipient_phone == "138****5678"  # never the ciphertext
        cancelled = got["6921455530193330033"]  # 已取消, its only line refunded (退款成功)
        assert cancelled.status == "cancelled"
        assert s.scalar(select(OrderItem.status).where(OrderItem.order_id == cancelled.id)) == "refunded"
        lines = s.scalars(select(OrderItem).where(OrderItem.order_id == first.id).order_by(OrderItem.id)).all()
        assert [(i.product_name, i.amount_fen) for i in lines] == [("修护精华水 150ml", 18900), ("洁面乳 120g", 7900)]
        assert s.scalar(select(ImportBatch.exported_at)) == UNTIL
        assert settings.get(s, SYNCED_UNTIL) == UNTIL.isoformat()
    assert [m for m, _ in standin.requests] == ["token.create", "order.searchList"]
    assert standin.requests[1][1] == {"order_asc": True, "order_by": "update_time", "page": 0, "size": 100,
                                      "update_time_start": int(SINCE.timestamp()),
                                      "update_time_end": int(UNTIL.timestamp())}


def test_pages_are_all_read_and_a_second_sync_changes_nothing(store):
    with DouyinStandIn(KEY, SECRET, _many(230)) as standin:
        first = sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
        again = sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
    assert (first.pages, first.orders_fetched, first.orders_created) == (3, 230, 230)
    assert (again.orders_created, again.orders_updated, again.orders_unchanged) == (0, 0, 230)
    assert _count(store, Order) == 230


def test_a_window_with_more_orders_than_paging_reaches_is_read_in_halves(store, monkeypatch):
    monkeypatch.setattr("livedesk.services.sync.douyin.MAX_PAGED", 100)
    with DouyinStandIn(KEY, SECRET, _many(230)) as standin:
        summary = sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
        windows = {(p["update_time_start"], p["update_time_end"]) for m, p in standin.requests
                   if m == "order.searchList"}
    assert summary.orders_created == 230 and len(windows) > 2


def test_the_rate_limit_is_waited_out(store):
    waits: list[float] = []
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        standin.throttle = 2
        summary = sync_orders(store.write_factory, _api(standin, waits=waits), SINCE, UNTIL)
    assert summary.orders_created == 3
    assert waits == [0.5, 1.0]  # backing off, doubling


def test_a_page_dropped_mid_answer_is_fetched_again(store):
    with DouyinStandIn(KEY, SECRET, _many(150)) as standin:
        standin.drop, standin.drop_page = 1, 1
        summary = sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
        pages = [p["page"] for m, p in standin.requests if m == "order.searchList"]
    assert pages == [0, 1, 1] and summary.orders_created == 150


def test_a_page_that_never_comes_writes_nothing_and_the_next_sync_starts_over(store):
    with DouyinStandIn(KEY, SECRET, _many(150)) as standin:
        standin.drop, standin.drop_page = 99, 1
        with pytest.raises(DouyinApiError) as failed:
            sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
        assert failed.value.kind == "network"
        assert _count(store, Order) == 0
        with store.write() as s:
            assert settings.get(s, SYNCED_UNTIL) is None
        standin.drop = 0
        assert sync_orders(store.write_factory, _api(standin), SINCE, UNTIL).orders_created == 150


@pytest.mark.parametrize("fault,kind", [("secret", "signature"), ("ip", "ip_whitelist")])
def test_refusals_are_reported_by_kind_and_nothing_is_written(store, fault, kind):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        standin.ip_refused = fault == "ip"
        with pytest.raises(DouyinApiError) as refused:
            sync_orders(store.write_factory, _api(standin, secret="wrong" if fault == "secret" else SECRET),
                        SINCE, UNTIL)
    assert refused.value.kind == kind
    assert _count(store, Order) == 0


def test_an_expired_token_is_renewed_once(store):
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        standin.expire_token_once = True
        assert sync_orders(store.write_factory, _api(standin), SINCE, UNTIL).orders_created == 3
        assert standin.tokens_issued == 2


def test_an_attached_open_id_matches_the_next_syncs_orders(store):
    orders = _orders()
    with DouyinStandIn(KEY, SECRET, orders) as standin:
        sync_orders(store.write_factory, _api(standin), SINCE, UNTIL)
        with store.write() as s:
            wang = customers.create(s, NewCustomer(nickname="王姐", city="杭州"))
            order_id = s.scalar(select(Order.id).where(Order.platform_order_id == "6921455530193330017"))
            attached = unknown_buyers.attach(s, order_id, wang)
        assert attached.account_linked and len(attached.order_ids) == 2  # both of that open id's orders
        later = copy.deepcopy(orders[1])
        later.update(order_id="6921455530193339999", update_time=int(UNTIL.timestamp()) + 86400)  # after the last sync
        later["sku_order_list"][0]["order_id"] = "69214555301933399991"
        standin.orders.append(later)
        summary = sync_orders(store.write_factory, _api(standin), since=None, until=UNTIL + timedelta(days=20))
    assert (summary.orders_created, summary.orders_without_buyer) == (1, 0)
    with store.write() as s:
        assert s.scalar(select(Order.customer_id).where(Order.platform_order_id == "6921455530193339999")) == wang
        assert s.get(Customer, wang).order_count == 3


def test_credentials_live_in_the_keyring_not_the_store(memory_keyring, store):
    credentials.save("douyin", AppCredentials(KEY, SECRET))
    assert credentials.load("douyin") == AppCredentials(KEY, SECRET)
    assert "s3cr3t" not in repr(credentials.load("douyin"))
    credentials.forget("douyin")
    with pytest.raises(credentials.CredentialsError) as missing:
        credentials.load("douyin")
    assert missing.value.code == "missing"


def test_cli_keeps_credentials_then_syncs(memory_keyring, tmp_path, capsys, monkeypatch):
    import io

    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0  # only init, demo and the app's first run make a store
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["--db", db, "sync", "douyin", "--set-credentials", "--app-key", KEY, "--shop-id", SHOP]) == 0
    capsys.readouterr()
    assert SECRET in next(iter(memory_keyring.kept.values()))
    assert SECRET.encode() not in Path(db).read_bytes()
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        assert main(["--db", db, "sync", "douyin", "--since", "2026-10-01", "--gateway", standin.url, "--json"]) == 0
        done = json.loads(capsys.readouterr().out)
        assert (done["orders_created"], done["orders_without_buyer"]) == (3, 3)
        standin.ip_refused = True
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url]) == 1
        assert "ip_whitelist" in capsys.readouterr().err


def test_the_import_pages_sync_box_keeps_the_keys_syncs_and_words_a_refusal(qtbot, ctx, store, memory_keyring):
    from livedesk.ui.douyin_sync_box import DouyinSyncBox

    box = DouyinSyncBox(ctx)
    qtbot.addWidget(box)
    assert "Enter the app key" in box.status.text()
    box.app_key.setText(KEY)
    box.app_secret.setText(SECRET)
    box.shop_id.setText(SHOP)
    box.keep_credentials()
    assert "keychain" in box.status.text() and box.app_secret.text() == ""
    assert credentials.load("douyin") == AppCredentials(KEY, SECRET)
    with store.write() as s:  # the fixture's orders are older than a first sync's 30 days
        settings.set_value(s, SYNCED_UNTIL, SINCE.isoformat())
    with DouyinStandIn(KEY, SECRET, _orders()) as standin:
        box.gateway = standin.url
        with qtbot.waitSignal(box.synced, timeout=20_000):
            box.sync_now()
        assert "Synced: 3 orders" in box.status.text() and "3 wait for their buyer" in box.status.text()
        standin.ip_refused = True
        box.sync_now()
        qtbot.waitUntil(lambda: "IP whitelist" in box.status.text(), timeout=20_000)
    assert "Nothing was written" in box.status.text() and box.sync_button.isEnabled()
    assert _count(store, Order) == 3
    box.shutdown()
