"""Moving a store: migrate-store between SQLite and PostgreSQL (both directions), verified by
counts; the portable dump of a server store restored into either kind."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import select

from livedesk.cli import main
from livedesk.models import Customer, Note, Order
from livedesk.services import customers, demo
from livedesk.services.store import HEAD_REVISION, open_store
from livedesk.services.store_transfer import TransferError, copy_store, count_rows, load_dump, write_dump
from helpers import db_args

OTHER = {"sqlite": "postgresql", "postgresql": "sqlite"}


def _content(store) -> dict:
    """What a person would miss if it changed: customers, orders, notes, with their ids."""
    with store.read() as s:
        return {
            "customers": s.execute(select(Customer.id, Customer.nickname, Customer.phone, Customer.birthday,
                                          Customer.total_spent_fen, Customer.tier, Customer.created_at)
                                   .order_by(Customer.id)).all(),
            "orders": s.execute(select(Order.id, Order.customer_id, Order.total_fen, Order.ordered_at,
                                       Order.paid_at).order_by(Order.id)).all(),
            "notes": s.execute(select(Note.id, Note.customer_id, Note.body, Note.pinned).order_by(Note.id)).all(),
        }


@pytest.fixture
def filled(store):
    demo.generate(store, customers=60, seed=5)
    with store.write() as s:
        customers.add_note(s, 1, "对酒精过敏，推荐无香型")
    return store


def test_migrate_store_copies_every_row_both_ways_and_prints_the_counts(filled, backend, new_store_url, capsys):
    there = new_store_url("there", kind=OTHER[backend])
    assert main([*db_args(filled), "migrate-store", "--to", there, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    with filled.engine.connect() as conn:
        expected = count_rows(conn)
    assert report["counts"] == expected and report["rows"] == sum(expected.values()) > 1000
    back = new_store_url("back", kind=backend)
    assert main([*db_args(there), "migrate-store", "--to", back]) == 0
    printed = capsys.readouterr().out
    assert "customers" in printed and f"copied {sum(expected.values())} rows" in printed
    for url in (there, back):
        copy = open_store(url)
        try:
            assert _content(copy) == _content(filled)
            with copy.write() as s:  # the copy's sequences follow the copied ids
                new_id = customers.create(s, customers.NewCustomer(nickname="搬家后的新客户"))
            assert new_id == max(r.id for r in _content(filled)["customers"]) + 1
        finally:
            copy.dispose()


def test_a_target_that_is_not_empty_is_refused_and_left_unchanged(filled, new_store_url):
    target = open_store(new_store_url("busy"))
    try:
        with target.write() as s:
            customers.create(s, customers.NewCustomer(nickname="已有的客户"))
        with pytest.raises(TransferError, match="not empty"):
            copy_store(filled, target)
        with target.read() as s:
            assert s.scalars(select(Customer.nickname)).all() == ["已有的客户"]
    finally:
        target.dispose()


def test_a_server_backup_is_a_portable_dump_that_restores_into_either_kind(filled, backend, new_store_url,
                                                                           tmp_path, capsys):
    assert main([*db_args(filled), "backup", "--portable", "--to", str(tmp_path / "bk")]) == 0
    dump = tmp_path / "bk" / capsys.readouterr().out.strip().rsplit("/", 1)[-1]
    assert dump.is_file() and zipfile.is_zipfile(dump)
    manifest = json.loads(zipfile.ZipFile(dump).read("manifest.json"))
    names = [t["name"] for t in manifest["tables"]]
    assert manifest["schema"] == HEAD_REVISION
    # Parents first: the audit log and the change log name team members. The change log is
    # copied like any table (ids kept), so a restored store's history reads as before.
    assert names.index("team_members") < names.index("audit_log") < len(names)
    assert names.index("team_members") < names.index("change_log")
    for kind in ("sqlite", "postgresql"):
        target = open_store(new_store_url(f"restored-{kind}", kind=kind))
        try:
            summary = load_dump(dump, target)
            assert summary.counts == {t["name"]: t["rows"] for t in manifest["tables"]}
            assert _content(target) == _content(filled)
        finally:
            target.dispose()


def test_restore_of_a_dump_replaces_an_sqlite_store_and_keeps_the_old_one(filled, tmp_path, capsys):
    dump = tmp_path / "all.livedesk-dump.zip"
    write_dump(filled, dump)
    before = _content(filled)
    local = tmp_path / "laptop.sqlite3"
    open_store(f"sqlite:///{local}").dispose()
    assert main(["--db", str(local), "restore", str(dump)]) == 0
    assert "the replaced store is kept" in capsys.readouterr().out
    restored = open_store(f"sqlite:///{local}")
    try:
        assert _content(restored) == before
    finally:
        restored.dispose()
