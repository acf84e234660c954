"""解密收件人 against the local 抖店 stand-in: only the owner, only the orders asked for; the
decrypted name and phone go to the customer as a file's plain values would (identity
matching), never into the output; the quota running out, the risk control, no permission."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from douyin_standin import DouyinStandIn
from livedesk.cli import main
from livedesk.models import AuditEntry, Customer, Order, PlatformAccount, PossibleDuplicate
from livedesk.services import customers, team, unknown_buyers
from livedesk.services.customers import NewCustomer
from livedesk.services.sync.credentials import AppCredentials
from livedesk.services.sync.douyin import sync_orders
from livedesk.services.sync.douyin_api import DouyinApi, DouyinApiError
from livedesk.services.sync.douyin_decrypt import decrypt_orders

DATA = Path(__file__).parent / "data" / "douyin_api"
KEY, SECRET, SHOP = "7152331234567890123", "s3cr3t-abcdef", "88001234"
WANG_1, WANG_2, LI = "6921455530193330017", "6921455530193330025", "6921455530193330033"


def _orders() -> list[dict]:
    return json.loads((DATA / "shop_orders.json").read_text(encoding="utf-8"))["shop_order_list"]


def _standin() -> DouyinStandIn:
    standin = DouyinStandIn(KEY, SECRET, _orders())
    kept = json.loads((DATA / "decrypted.json").read_text(encoding="utf-8"))
    standin.plain, standin.virtual = kept["plain"], set(kept["virtual"])
    return standin


def _api(standin: DouyinStandIn) -> DouyinApi:
    return DouyinApi(AppCredentials(KEY, SECRET), SHOP, standin.url, sleep=lambda _s: None)


def _synced(store, standin: DouyinStandIn) -> None:
    from datetime import datetime, timezone

    sync_orders(store.write_factory, _api(standin), datetime(2026, 10, 1, tzinfo=timezone.utc),
                datetime(2026, 11, 1, tzinfo=timezone.utc))


def _owner_of(store, number: str) -> int | None:
    with store.read() as s:
        return s.scalar(select(Order.customer_id).where(Order.platform_order_id == number))


def test_decrypted_recipients_make_one_customer_for_one_buyer_and_attach_the_orders(store, caplog):
    caplog.set_level(logging.DEBUG)
    with _standin() as standin:
        _synced(store, standin)
        summary = decrypt_orders(store, _api(standin), [WANG_1, WANG_2])
        asked = [p for m, p in standin.requests if m == "order.batchDecrypt"]
    assert (summary.asked, summary.decrypted, summary.ciphertexts) == (2, 2, 4)
    assert (summary.attached, summary.customers_created, summary.failed) == (2, 1, {})
    assert [i["auth_id"] for i in asked[0]["cipher_infos"]] == [WANG_1, WANG_1, WANG_2, WANG_2]
    wang = _owner_of(store, WANG_1)
    assert wang is not None and _owner_of(store, WANG_2) == wang
    with store.read() as s:
        customer = s.get(Customer, wang)
        assert (customer.real_name, customer.phone, customer.phone_masked, customer.city) == (
            "王丽", "13812345678", "138****5678", "杭州市")
        # the buyer id came along: the next orders of this open id find her by themselves
        assert s.scalar(select(PlatformAccount.uid).where(PlatformAccount.customer_id == wang)) == \
            "1@#MS4wLjABAAAAqWang"
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "recipient_decrypt")).one()
        assert "13812345678" not in json.dumps(audit.detail, ensure_ascii=False)
        assert unknown_buyers.count(s) == 1
    text = json.dumps(summary.as_dict(), ensure_ascii=False) + caplog.text
    assert "13812345678" not in text and "王丽" not in text


def test_a_decrypted_phone_finds_the_customer_who_has_it(store):
    with store.write() as s:
        known = customers.create(s, NewCustomer(nickname="丽丽", phone="13812345678", city="杭州"))
    with _standin() as standin:
        _synced(store, standin)
        summary = decrypt_orders(store, _api(standin), [WANG_1])
    assert (summary.attached, summary.customers_created, summary.customers_matched) == (2, 0, 1)
    # both of her orders: the second came along with its buyer id
    assert _owner_of(store, WANG_1) == _owner_of(store, WANG_2) == known
    with store.read() as s:
        assert s.get(Customer, known).real_name == "王丽"  # the name she lacked; the nickname stays
        assert s.get(Customer, known).nickname == "丽丽"


def test_an_attached_order_completes_its_customer_and_a_clash_is_only_a_possible_duplicate(store):
    with store.write() as s:
        other = customers.create(s, NewCustomer(nickname="王姐", phone="13812345678"))
        mine = customers.create(s, NewCustomer(nickname="小王"))
    with _standin() as standin:
        _synced(store, standin)
        with store.write() as s:
            order_id = s.scalar(select(Order.id).where(Order.platform_order_id == WANG_1))
            unknown_buyers.attach(s, order_id, mine)
        summary = decrypt_orders(store, _api(standin), [WANG_1])
    assert (summary.attached, summary.possible_duplicates) == (0, 1)
    with store.read() as s:
        assert _owner_of(store, WANG_1) == mine  # never moved, never merged
        assert s.get(Customer, mine).real_name == "王丽" and s.get(Customer, mine).phone is None
        pair = s.scalars(select(PossibleDuplicate)).one()
        assert (pair.customer_id, pair.other_id) == tuple(sorted((mine, other)))


def test_a_virtual_number_is_not_the_buyers_phone(store):
    with _standin() as standin:
        _synced(store, standin)
        summary = decrypt_orders(store, _api(standin), [LI])
    assert (summary.decrypted, summary.attached) == (1, 1)
    with store.read() as s:
        customer = s.get(Customer, _owner_of(store, LI))
        assert (customer.real_name, customer.phone) == ("李娜", None)


def test_the_quota_running_out_keeps_what_was_decrypted_and_says_why_the_rest_was_not(store, monkeypatch):
    monkeypatch.setattr("livedesk.services.sync.douyin_decrypt.DECRYPT_BATCH", 2)  # one order per call
    with _standin() as standin:
        _synced(store, standin)
        standin.decrypt_quota = 2
        summary = decrypt_orders(store, _api(standin), [WANG_1, LI, WANG_2])
        assert standin.decrypted == 2
    assert summary.stopped == "quota"
    assert (summary.decrypted, summary.ciphertexts, summary.attached) == (1, 2, 2)  # WANG_2 came with WANG_1's id
    assert summary.failed == {LI: "not_asked", WANG_2: "not_asked"}
    assert _owner_of(store, LI) is None


def test_an_exhausted_quota_before_anything_is_decrypted_raises_and_writes_nothing(store):
    with _standin() as standin:
        _synced(store, standin)
        standin.decrypt_quota = 0
        with pytest.raises(DouyinApiError) as refused:
            decrypt_orders(store, _api(standin), [WANG_1])
    assert refused.value.kind == "quota"
    assert _owner_of(store, WANG_1) is None


def test_risk_control_and_no_permission_are_their_own_kinds(store):
    with _standin() as standin:
        _synced(store, standin)
        standin.risky = {WANG_1}
        summary = decrypt_orders(store, _api(standin), [WANG_1, LI, "6900000000000000000"])
        assert summary.failed == {WANG_1: "risk", "6900000000000000000": "no_order"}
        assert summary.decrypted == 1 and _owner_of(store, WANG_1) is None
        standin.decrypt_forbidden = True
        with pytest.raises(DouyinApiError) as refused:
            decrypt_orders(store, _api(standin), [WANG_2])
    assert refused.value.kind == "permission"


def test_an_order_the_platform_no_longer_gives_fails_alone(store):
    with _standin() as standin:
        _synced(store, standin)
        standin.orders = [o for o in standin.orders if o["order_id"] != LI]
        summary = decrypt_orders(store, _api(standin), [LI, WANG_1])
    assert summary.failed == {LI: "refused"}
    assert (summary.decrypted, summary.ciphertexts) == (1, 2)


def test_only_the_owner_may_decrypt_and_nothing_is_asked_of_the_platform_otherwise(store):
    with store.write() as s:
        assistant = team.add_member(s, "小周", "assistant")
        team.add_member(s, "老板", "owner")
    with store.read() as s:
        store.actor = team.sign_in(s, assistant, None)
    with _standin() as standin:
        _synced(store, standin)
        before = len(standin.requests)
        with pytest.raises(team.PermissionDenied):
            decrypt_orders(store, _api(standin), [WANG_1])
        assert len(standin.requests) == before


def test_cli_decrypts_the_orders_named_and_prints_no_name_or_phone(memory_keyring, tmp_path, capsys, monkeypatch):
    import io

    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["--db", db, "sync", "douyin", "--set-credentials", "--app-key", KEY, "--shop-id", SHOP]) == 0
    with _standin() as standin:
        assert main(["--db", db, "sync", "douyin", "--since", "2026-10-01", "--gateway", standin.url]) == 0
        capsys.readouterr()
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url, "--decrypt", f"{WANG_1},{LI}"]) == 0
        out = capsys.readouterr().out
        assert "decrypted 2 of 2 orders (4 cipher texts" in out and "王丽" not in out and "138123" not in out
        standin.decrypt_quota = 0
        assert main(["--db", db, "sync", "douyin", "--gateway", standin.url, "--decrypt", WANG_2, "--json"]) == 1
        assert "decryption quota is used up" in capsys.readouterr().err


def test_the_unknown_buyers_list_decrypts_a_douyin_order_for_the_owner(qtbot, ctx, store, memory_keyring):
    from livedesk.services import settings
    from livedesk.services.sync import credentials
    from livedesk.ui.unknown_buyers_dialog import UnknownBuyersDialog

    credentials.save("douyin", AppCredentials(KEY, SECRET))
    with store.write() as s:
        settings.set_value(s, "sync.douyin.shop_id", SHOP)
    with _standin() as standin:
        _synced(store, standin)
        dialog = UnknownBuyersDialog(ctx)
        qtbot.addWidget(dialog)
        dialog.decryptor.gateway = standin.url
        qtbot.waitUntil(lambda: dialog.orders.rowCount() == 3, timeout=10_000)
        row = next(i for i, r in enumerate(dialog.orders.rows) if r[1] == WANG_1)
        dialog.orders_view.selectRow(row)
        assert dialog.decrypt_button.isVisibleTo(dialog) and dialog.decrypt_button.isEnabled()
        dialog.decrypt()
        qtbot.waitUntil(lambda: "Decrypted 1 of 1" in dialog.feedback.text(), timeout=20_000)
        assert "2 orders now have their customer" in dialog.feedback.text()
        assert "王丽" not in dialog.feedback.text()
        qtbot.waitUntil(lambda: dialog.orders.rowCount() == 1, timeout=10_000)
        standin.decrypt_quota = 0
        dialog.orders_view.selectRow(0)
        dialog.decrypt()
        qtbot.waitUntil(lambda: "quota is used up" in dialog.feedback.text(), timeout=20_000)
    assert "Nothing was decrypted" in dialog.feedback.text()


def test_an_assistant_is_not_offered_the_decryption(qtbot, ctx, store):
    from livedesk.ui.unknown_buyers_dialog import UnknownBuyersDialog

    with store.write() as s:
        assistant = team.add_member(s, "小周", "assistant")
    with store.read() as s:
        ctx.actor = team.sign_in(s, assistant, None)
    dialog = UnknownBuyersDialog(ctx)
    qtbot.addWidget(dialog)
    assert not dialog.decrypt_button.isVisibleTo(dialog)


def test_a_customers_douyin_order_offers_the_decryption_and_says_what_it_did(qtbot, ctx, store, memory_keyring):
    from livedesk.services import settings
    from livedesk.services.sync import credentials
    from livedesk.ui.customer_view import CustomerView

    credentials.save("douyin", AppCredentials(KEY, SECRET))
    with store.write() as s:
        settings.set_value(s, "sync.douyin.shop_id", SHOP)
        mine = customers.create(s, NewCustomer(nickname="小王"))
    with _standin() as standin:
        _synced(store, standin)
        with store.write() as s:
            unknown_buyers.attach(s, s.scalar(select(Order.id).where(Order.platform_order_id == WANG_1)), mine)
        view = CustomerView(ctx)
        qtbot.addWidget(view)
        view.decryptor.gateway = standin.url
        view.show_customer(mine)
        qtbot.waitUntil(lambda: view.orders.rowCount() == 2, timeout=10_000)
        assert view.orders_view.offer_decrypt and view.orders_view.decryptable(0) in (WANG_1, WANG_2)
        with qtbot.waitSignal(view.decryptor.finished, timeout=20_000):
            view.orders_view.decrypt_requested.emit(WANG_1)
        assert "Decrypted 1 of 1" in view.decrypt_feedback.text()
        assert "1 customers got the name or phone they lacked" in view.decrypt_feedback.text()
    with store.read() as s:
        assert (s.get(Customer, mine).real_name, s.get(Customer, mine).phone) == ("王丽", "13812345678")
