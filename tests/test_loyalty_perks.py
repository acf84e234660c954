"""Spending growth points on perks: refusals write nothing, balances never go negative, undo reverses."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select, update

from helpers import redeem_in_another_process
from livedesk.models import Customer, Perk, PointsEntry
from livedesk.services import customers, points, team
from livedesk.services.customers import NewCustomer
from livedesk.services.loyalty import perks
from livedesk.services.loyalty.errors import LoyaltyError

UTC = timezone.utc
NOON = datetime(2026, 12, 6, 4, tzinfo=UTC)  # 12:00 in Shanghai


def _customer(store, balance: int, **fields) -> int:
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        if fields:
            s.execute(update(Customer).where(Customer.id == cid).values(**fields))
        if balance:
            s.execute(insert(PointsEntry).values(customer_id=cid, delta=balance, reason="manual", ref="seed",
                                                 occurred_at=NOON - timedelta(days=1)))
    return cid


def _entries(store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(PointsEntry))


def test_the_catalogue_holds_the_playbooks_examples(store):
    with store.read() as s:
        assert {p.name: p.cost for p in perks.catalogue(s)} == {"小礼品": 100, "小样": 300, "优先发货": 1000,
                                                                "专属客服": 3000}


def test_an_exact_balance_buys_the_perk_and_leaves_zero(store):
    cid = _customer(store, 1000)
    with store.write() as s:
        done = perks.redeem(s, cid, "priority_shipping", NOON)
    assert done.balance == 0
    with store.read() as s:
        assert points.balance(s, cid) == 0
        assert s.get(Customer, cid).points_balance == 0  # the cached balance follows at once
        line = perks.history(s, cid)[0]
        assert (line.delta, line.reason, line.note) == (-1000, "redeem", "优先发货")


def test_one_point_short_is_refused_with_the_numbers_and_nothing_written(store):
    cid = _customer(store, 999)
    before = _entries(store)
    with store.write() as s, pytest.raises(LoyaltyError, match="costs 1000 points; the customer has 999") as e:
        perks.redeem(s, cid, "priority_shipping", NOON)
    assert e.value.code == "insufficient"
    assert _entries(store) == before


@pytest.mark.parametrize(("change", "code"), [
    ({"active": False}, "inactive"),
    ({"active_from": date(2026, 12, 7)}, "not_started"),
    ({"active_to": date(2026, 12, 5)}, "ended"),
    ({"stock": 0}, "out_of_stock"),
    ({"tiers": ["vip"]}, "tier_not_allowed"),
    ({"levels": ["gold"]}, "level_not_allowed"),
])
def test_a_perk_this_customer_cannot_have_is_refused_and_nothing_is_written(store, change, code):
    cid = _customer(store, 5000)
    with store.write() as s:
        s.execute(update(Perk).where(Perk.code == "sample").values(**change))
    before = _entries(store)
    with store.write() as s, pytest.raises(LoyaltyError) as e:
        perks.redeem(s, cid, "sample", NOON)
    assert e.value.code == code
    assert _entries(store) == before
    with store.read() as s:
        offer = {o.perk.code: o.refusal for o in perks.offers(s, cid, NOON)}
    assert offer.get("sample", "inactive") == code  # an inactive perk is not offered at all


def test_the_last_day_of_a_perk_counts_in_the_shops_clock(store):
    cid = _customer(store, 5000)
    with store.write() as s:
        s.execute(update(Perk).where(Perk.code == "sample").values(active_to=date(2026, 12, 6)))
    late_evening = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, still the 6th
    with store.write() as s:
        perks.redeem(s, cid, "sample", late_evening)
    with store.write() as s, pytest.raises(LoyaltyError, match="until 2026-12-06"):
        perks.redeem(s, cid, "sample", datetime(2026, 12, 6, 16, 30, tzinfo=UTC))  # 00:30 on the 7th


def test_stock_is_taken_and_the_last_one_goes_once(store):
    cid = _customer(store, 5000)
    with store.write() as s:
        s.execute(update(Perk).where(Perk.code == "small_gift").values(stock=1))
    with store.write() as s:
        perks.redeem(s, cid, "small_gift", NOON)
    with store.write() as s, pytest.raises(LoyaltyError, match="out of stock"):
        perks.redeem(s, cid, "small_gift", NOON)
    with store.read() as s:
        assert s.scalar(select(Perk.stock).where(Perk.code == "small_gift")) == 0


def test_an_unknown_perk_names_the_catalogue(store):
    cid = _customer(store, 5000)
    with store.write() as s, pytest.raises(LoyaltyError, match="unknown perk 'free_car'.*小礼品|small_gift"):
        perks.redeem(s, cid, "free_car", NOON)


def test_undo_is_a_reversing_entry_given_once_and_returns_the_stock(store):
    cid = _customer(store, 1000)
    with store.write() as s:
        s.execute(update(Perk).where(Perk.code == "priority_shipping").values(stock=3))
        entry = perks.redeem(s, cid, "priority_shipping", NOON).entry_id
    with store.write() as s:
        assert perks.undo(s, entry, NOON + timedelta(minutes=5)) == 1000
    with store.write() as s, pytest.raises(LoyaltyError, match="already undone"):
        perks.undo(s, entry)
    with store.read() as s:
        lines = perks.history(s, cid)
        assert [(line.reason, line.delta) for line in lines[:2]] == [("redeem_undo", 1000), ("redeem", -1000)]
        assert lines[1].undone and lines[0].undoes == entry
        assert s.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.customer_id == cid)) == 3
        assert s.scalar(select(Perk.stock).where(Perk.code == "priority_shipping")) == 3


def test_only_the_owner_may_undo_a_redemption(store):
    cid = _customer(store, 1000)
    with store.write() as s:
        entry = perks.redeem(s, cid, "priority_shipping", NOON).entry_id
    with store.write(SimpleNamespace(member_id=None, role="assistant")) as s, \
            pytest.raises(team.PermissionDenied, match="may not undo a redemption") as e:
        perks.undo(s, entry)
    assert e.value.permission == "undo_redemption"
    with store.write(SimpleNamespace(member_id=None, role="owner")) as s:
        assert perks.undo(s, entry) == 1000


def test_only_a_redemption_can_be_undone(store):
    cid = _customer(store, 1000)
    with store.read() as s:
        seed = s.scalar(select(PointsEntry.id).where(PointsEntry.customer_id == cid))
    with store.write() as s, pytest.raises(LoyaltyError, match="is not a redemption"):
        perks.undo(s, seed)


def test_two_processes_redeeming_at_once_never_overdraw(store):
    """Two programs released together by a barrier each try to spend the whole balance: one wins."""
    cid = _customer(store, 1000)
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    workers = [spawn.Process(target=redeem_in_another_process,
                             args=(store.url, cid, "priority_shipping", barrier, results)) for _ in range(2)]
    for w in workers:
        w.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=60)
    assert outcomes == [("ok", 0), ("refused", "insufficient")]
    with store.read() as s:
        assert points.balance(s, cid) == 0


def test_the_owner_edits_the_catalogue_and_bad_values_are_refused(store):
    with store.write() as s:
        perks.save_perk(s, "vip_gift", "满 100 积分兑换小礼品", 100, stock=20, tiers=["vip"],
                        active_from=date(2026, 12, 1), active_to=date(2026, 12, 31))
    with store.read() as s:
        gift = next(p for p in perks.catalogue(s) if p.code == "vip_gift")
    assert (gift.stock, gift.tiers, gift.levels) == (20, ["vip"], None)
    for kwargs, code in (({"cost": 0}, "bad_cost"), ({"cost": 5, "stock": -1}, "bad_stock"),
                         ({"cost": 5, "active_from": date(2026, 12, 9), "active_to": date(2026, 12, 1)}, "bad_dates")):
        with store.write() as s, pytest.raises(LoyaltyError) as e:
            perks.save_perk(s, "x", "X", **kwargs)
        assert e.value.code == code
    with store.write(SimpleNamespace(member_id=None, role="host")) as s, pytest.raises(team.PermissionDenied):
        perks.save_perk(s, "y", "Y", 5)


def test_an_older_store_keeps_the_perks_it_had_set_and_gains_the_playbooks(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory

    from livedesk.models.engine import make_engine
    from livedesk.services.store import alembic_config, open_store, sqlite_url

    path = tmp_path / "old.sqlite3"
    engine = make_engine(sqlite_url(path))
    config = alembic_config()
    before = next(r.down_revision for r in ScriptDirectory.from_config(config).walk_revisions()
                  if r.path.endswith("_loyalty.py"))  # the store as it was just before this feature
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, before)
        conn.exec_driver_sql(
            "INSERT INTO settings (key, value, updated_at) VALUES ('points.perks', "
            "'[{\"code\": \"priority_shipping\", \"name\": \"优先发货\", \"cost\": 800}, "
            "{\"code\": \"vip_line\", \"name\": \"VIP 专线\", \"cost\": 5000}]', '2026-01-01')")
    engine.dispose()
    store = open_store(sqlite_url(path))
    try:
        with store.read() as s:
            assert {p.code: p.cost for p in perks.catalogue(s)} == {
                "small_gift": 100, "sample": 300, "priority_shipping": 800, "dedicated_service": 3000,
                "vip_line": 5000}
    finally:
        store.dispose()
