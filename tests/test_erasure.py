"""Erasing one customer (PIPL): what goes, what stays anonymised, who may, the audit log, and the
raw file: after erasure the store, its WAL and a backup taken afterwards hold no trace of them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from livedesk.models import (
    Appearance,
    AuditEntry,
    Base,
    Customer,
    CustomerTag,
    FollowUpTask,
    Invitation,
    LevelChange,
    Note,
    Order,
    OrderItem,
    PlatformAccount,
    PointsEntry,
    PossibleDuplicate,
    ProfileValue,
    SurveyResponse,
)
from livedesk.services import dashboard, erasure, export, points, segments, team
from livedesk.services.customers import NotFound
from livedesk.services.followups import generate
from livedesk.services.search_index import SearchIndex
from livedesk.services.backups import make_backup
from livedesk.services.store import open_store, scrub_freed_pages, sqlite_url
from helpers import PERSON

OWNED = (Note, ProfileValue, CustomerTag, FollowUpTask, SurveyResponse, PointsEntry, LevelChange, Invitation,
         PlatformAccount, Appearance)
NEEDLES = ("phone", "real_name", "nickname", "address")


def _count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _erase(store, pid, role="owner"):
    with store.write() as s:
        result = erasure.erase(s, pid, actor="owner")
    return result, scrub_freed_pages(store)


def _patterns(*keys: str) -> list[bytes]:
    return erasure.Traces(tuple(PERSON[k] for k in keys)).patterns()


def test_erasure_deletes_every_row_about_the_person_and_keeps_their_orders_anonymised(store, person):
    pid, other = person
    with store.write() as s:
        owned = {m.__name__: _count(s, m, m.customer_id == pid) for m in OWNED}
        assert all(owned.values()), owned  # the fixture gives the person everything
        orders = [(o.platform_order_id, o.total_fen) for o in s.scalars(select(Order).where(Order.customer_id == pid))]
        items = _count(s, OrderItem)
        others = {m.__name__: _count(s, m, m.customer_id == other) for m in (Invitation, Appearance, Order)}
    result, _scrub = _erase(store, pid)
    with store.write() as s:
        assert s.get(Customer, pid) is None
        assert {m.__name__: _count(s, m, m.customer_id == pid) for m in OWNED} == {m.__name__: 0 for m in OWNED}
        assert _count(s, PossibleDuplicate, (PossibleDuplicate.customer_id == pid) | (PossibleDuplicate.other_id == pid)) == 0
        kept = s.scalars(select(Order).where(Order.platform_order_id.in_([o for o, _t in orders]))).all()
        assert sorted((o.platform_order_id, o.total_fen) for o in kept) == sorted(orders)  # the accounts hold
        assert {(o.customer_id, o.recipient_name, o.recipient_phone, o.address, o.city) for o in kept} == {
            (None, None, None, None, None)}
        assert _count(s, OrderItem) == items
        assert {m.__name__: _count(s, m, m.customer_id == other) for m in (Invitation, Appearance, Order)} == others
    assert result.orders_anonymised == len(orders) and result.deleted["notes"] >= 1


def test_only_the_owner_may_erase_and_a_refusal_changes_nothing(store, person):
    pid, _other = person
    with store.write() as s:
        team.add_member(s, "老板", "owner")
        members = [team.add_member(s, name, role) for name, role in (("小周", "assistant"), ("小美", "host"))]
    for member in members:
        with store.read() as s:
            store.actor = team.sign_in(s, member)
        with pytest.raises(team.PermissionDenied), store.write() as s:
            erasure.erase(s, pid)
    store.actor = None
    with store.write() as s:
        assert s.get(Customer, pid) is not None and _count(s, Note, Note.customer_id == pid)
    with pytest.raises(NotFound), store.write() as s:
        erasure.erase(s, 999_999)


def test_every_reference_to_a_customer_is_known_to_erasure():
    references = {(t.name, fk.parent.name) for t in Base.metadata.tables.values() for fk in t.foreign_keys
                  if fk.column.table.name == "customers"}
    assert references == erasure.handled_references()


def test_the_plan_counts_what_the_erasure_then_does(store, person):
    pid, _other = person
    with store.write() as s:
        plan = erasure.plan(s, pid)
    result, _scrub = _erase(store, pid)
    assert plan.nickname == PERSON["nickname"]
    assert {**plan.deleted, "customers": 1} == result.deleted
    assert (plan.orders_anonymised, plan.audit_entries_scrubbed) == (result.orders_anonymised,
                                                                     result.audit_entries_scrubbed)


def test_audit_entries_lose_the_persons_values_and_the_erasure_is_audited_without_them(store, person):
    pid, _other = person
    with store.write() as s:
        before = [e.detail for e in s.scalars(select(AuditEntry))]
    assert any(PERSON["phone"] in json.dumps(d, ensure_ascii=False) for d in before)  # the export's filter
    result, _scrub = _erase(store, pid)
    with store.write() as s:
        entries = s.scalars(select(AuditEntry)).all()
        text = json.dumps([(e.entity_id, e.detail) for e in entries], ensure_ascii=False)
        erased = s.get(AuditEntry, result.audit_id)
    for key in (*NEEDLES, "handle", "uid"):
        assert PERSON[key] not in text, key
    assert erasure.ERASED in text
    assert (erased.action, erased.entity, erased.entity_id) == ("erase", "customer", str(pid))
    assert erased.detail["orders_anonymised"] == 2 and erased.detail["deleted"]["customers"] == 1


@pytest.mark.sqlite_only
def test_after_erasure_the_store_its_wal_and_a_new_backup_hold_no_trace_of_the_person(store, person, tmp_path):
    pid, _other = person
    patterns = _patterns(*NEEDLES)
    wal = store.path.with_name(store.path.name + "-wal")
    before = erasure.count_occurrences(store.path, patterns) + erasure.count_occurrences(wal, patterns)
    assert before > 0  # the search can find them
    _result, scrub = _erase(store, pid)
    assert scrub.complete and scrub.method == "incremental_vacuum" and scrub.wal_bytes == 0
    backup = make_backup(store.path, reason="manual", folder=tmp_path / "later").path
    for path in (store.path, wal, backup):
        for key in NEEDLES:
            assert erasure.count_occurrences(path, _patterns(key)) == 0, (path.name, key)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)


def test_an_old_store_is_converted_to_incremental_vacuum_once_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    first = open_store(sqlite_url(path))
    with first.write() as s:
        s.add(Customer(nickname="老客户"))
    first.dispose()
    with sqlite3.connect(path) as conn:  # as a store made before 0004: auto_vacuum none
        conn.execute("PRAGMA auto_vacuum=NONE")
        conn.execute("VACUUM")
        assert conn.execute("PRAGMA auto_vacuum").fetchone() == (0,)
    again = open_store(sqlite_url(path))
    try:
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        with again.write() as s:
            assert s.scalar(select(Customer.nickname)) == "老客户"
    finally:
        again.dispose()


def test_the_rest_of_the_app_runs_on_with_anonymised_orders(store, person, tmp_path):
    pid, _other = person
    _erase(store, pid)
    now = datetime.now(timezone.utc)
    with store.write() as s:
        points.settle_orders(s)
        segments.recompute(s, now)
        generate(s, now)
        facts = dashboard.load_facts(s)
        export.export_orders(s, tmp_path / "orders.xlsx")
        export.export_orders(s, tmp_path / "orders.csv")
        assert _count(s, PointsEntry, PointsEntry.customer_id.is_(None)) == 0
    # The shop's GMV keeps the erased person's orders: they count as orders of no known buyer.
    assert int(facts.fen.sum() + facts.unknown_fen.sum()) == (399 + 300 + 150) * 100
    lines = (tmp_path / "orders.csv").read_text(encoding="utf-8-sig").splitlines()
    anonymous = [line for line in lines if line.split(",")[1] in ("P1", "P2")]
    assert len(anonymous) == 2 and all(line.split(",")[2:4] == ["", ""] for line in anonymous), anonymous
    assert PERSON["phone"] not in "".join(lines)


def test_the_search_index_forgets_an_erased_customer(store, person):
    pid, _other = person
    with store.write() as s:
        index = SearchIndex.build(s)
    assert pid in {h.id for h in index.search(PERSON["phone"][-4:])}
    index.forget(pid)
    for query in (PERSON["phone"][-4:], PERSON["handle"], "雪莉", "xueli"):
        assert pid not in {h.id for h in index.search(query)}, query
    assert index.search("路人甲")  # everyone else is still found


@pytest.mark.sqlite_only
def test_backups_that_still_hold_the_person_are_listed_and_can_be_purged(store, person):
    pid, _other = person
    old = make_backup(store.path, reason="manual").path
    result, _scrub = _erase(store, pid)
    new = make_backup(store.path, reason="manual").path
    before = [p for p in erasure.backup_files(store.path) if p != new]
    # Every copy made before the erasure holds them (the automatic ones before the import and the
    # merge too; the erasure's own is skipped: the manual one already holds what it would); the
    # one made after does not.
    assert str(old) in {str(p) for p in before} and any("before-merge" in p.name for p in before)
    holding = erasure.backups_holding(erasure.backup_files(store.path), result.traces)
    assert sorted(h.path for h in holding) == sorted(map(str, before))
    assert sorted(erasure.purge_backups([h.path for h in holding])) == sorted(map(str, before))
    assert not old.exists() and new.exists()
    assert erasure.backups_holding(erasure.backup_files(store.path), result.traces) == []


def test_a_value_split_across_two_read_chunks_is_still_found(tmp_path, monkeypatch):
    monkeypatch.setattr(erasure, "SCAN_CHUNK", 16)
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 13 + PERSON["phone"].encode() + b"y" * 40)
    assert erasure.file_contains(path, [PERSON["phone"].encode()])
    assert not erasure.file_contains(path, [b"13900000000"])


def test_scrub_value_replaces_values_inside_strings_and_keys():
    value = {"filter": {"text": "13987654321"}, "file": "/tmp/欧阳雪莉.csv", "欧阳雪莉": [1, "ok"]}
    cleaned, changed = erasure.scrub_value(value, ("13987654321", "欧阳雪莉"))
    assert changed and "13987654321" not in json.dumps(cleaned) and "欧阳雪莉" not in json.dumps(cleaned,
                                                                                           ensure_ascii=False)
    assert cleaned["filter"]["text"] == erasure.ERASED and cleaned["file"] == "/tmp/[erased].csv"
    assert erasure.scrub_value({"a": 1}, ("x",)) == ({"a": 1}, False)


@pytest.mark.sqlite_only
def test_cli_erase_with_yes_prints_counts_and_lists_backups_that_still_hold_the_person(store, person, capsys):
    from livedesk.cli import main

    pid, _other = person
    old = make_backup(store.path, reason="manual").path
    store.dispose()
    assert main(["--db", str(store.path), "customers", "erase", str(pid), "--yes", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deleted"]["customers"] == 1 and out["orders_anonymised"] == 2
    assert out["scrub"]["complete"] and str(old) in out["backups_holding"] and out["backups_purged"] == []
    assert PERSON["phone"] not in json.dumps(out)
    assert main(["--db", str(store.path), "customers", "erase", str(pid), "--yes"]) == 1  # gone already


@pytest.mark.sqlite_only
def test_cli_erase_without_yes_off_a_terminal_refuses_and_changes_nothing(store, person, capsys, monkeypatch):
    from livedesk.cli import main

    pid, _other = person
    store.dispose()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["--db", str(store.path), "customers", "erase", str(pid)]) == 2
    assert "--yes" in capsys.readouterr().err
    again = open_store(sqlite_url(store.path))
    with again.write() as s:
        assert s.get(Customer, pid) is not None
    again.dispose()


@pytest.mark.sqlite_only
def test_cli_erase_on_a_terminal_asks_for_the_id_and_offers_to_purge_backups(store, person, capsys, monkeypatch):
    from livedesk.cli import main

    pid, _other = person
    old = make_backup(store.path, reason="manual").path
    store.dispose()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["no"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(answers))
    assert main(["--db", str(store.path), "customers", "erase", str(pid)]) == 1
    shown = capsys.readouterr().out
    assert PERSON["nickname"] in shown and "cannot be undone" in shown and "nothing was erased" in shown
    answers = iter([str(pid), "y"])
    assert main(["--db", str(store.path), "customers", "erase", str(pid)]) == 0
    assert "4 backup(s) that held the customer deleted" in capsys.readouterr().out  # and those before the import and merge
    assert not old.exists()


@pytest.mark.sqlite_only
def test_cli_access_export_writes_the_file_and_refuses_a_wrong_name(store, person, tmp_path, capsys):
    from livedesk.cli import main

    pid, _other = person
    store.dispose()
    assert main(["--db", str(store.path), "customers", "access-export", str(pid), str(tmp_path / "p.json"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"]["orders"] == 2
    assert main(["--db", str(store.path), "customers", "access-export", str(pid), str(tmp_path / "p.txt")]) == 2


def test_opening_another_connection_writes_nothing_so_a_read_then_write_unit_is_not_refused(store):
    from sqlalchemy import text

    from livedesk.models.engine import make_engine

    other = make_engine(store.url)
    with store.engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM customers")).scalar()  # a unit that reads first...
        fresh = other.connect()  # ...while another program connects (the connect pragmas run)
        try:
            reader.execute(text("INSERT INTO customers (nickname, tier, level, order_count, total_spent_fen, "
                                "spent_12m_fen, points_balance, search_text, created_at, updated_at) VALUES "
                                "('新客', 'prospect', 'none', 0, 0, 0, 0, '', '2026-01-01', '2026-01-01')"))
            reader.commit()  # ...then writes: refused ("database is locked") if opening had written
        finally:
            fresh.close()
            other.dispose()


@pytest.mark.sqlite_only
def test_cli_erase_stops_when_the_terminal_closes_the_question(store, person, capsys, monkeypatch):
    from livedesk.cli import main

    pid, _other = person
    store.dispose()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def closed(_prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", closed)
    assert main(["--db", str(store.path), "customers", "erase", str(pid)]) == 1
    assert "nothing was erased" in capsys.readouterr().out


def test_migration_0004_keeps_orders_lets_them_belong_to_no_one_and_still_checks_the_customer(tmp_path):
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from livedesk.models.engine import make_engine
    from livedesk.services.store import alembic_config

    path = tmp_path / "at-0003.sqlite3"
    engine = make_engine(sqlite_url(path))
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.exec_driver_sql(
            "INSERT INTO customers (id, nickname, tier, level, order_count, total_spent_fen, spent_12m_fen, "
            "points_balance, search_text, created_at, updated_at) "
            "VALUES (1, '王姐', 'vip', 'gold', 1, 100, 100, 1, '王姐', '2026-01-01', '2026-01-01')")
        conn.exec_driver_sql(
            "INSERT INTO orders (id, platform, platform_order_id, customer_id, status, total_fen, ordered_at, "
            "created_at, updated_at) VALUES (1, 'douyin', '6912345', 1, 'completed', 100, '2026-01-01', "
            "'2026-01-01', '2026-01-01')")
    engine.dispose()
    upgraded = open_store(sqlite_url(path))
    try:
        with upgraded.write() as s:
            assert s.execute(select(Order.platform_order_id, Order.customer_id)).one() == ("6912345", 1)
            s.execute(text("UPDATE orders SET customer_id = NULL WHERE id = 1"))
            s.execute(text("UPDATE customers SET consent_channel = 'wechat' WHERE id = 1"))
        with pytest.raises(IntegrityError), upgraded.write() as s:
            s.execute(text("UPDATE orders SET customer_id = 999 WHERE id = 1"))
    finally:
        upgraded.dispose()
