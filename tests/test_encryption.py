"""Encryption at rest: an encrypted store, its WAL and its backups hold no customer's bytes, open only
with the passphrase, and every part of the app that opens the file works on it."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from helpers import PERSON
from livedesk.models import AuditEntry, Customer
from livedesk.models.adapters import sqlcipher
from livedesk.services import (
    access_export,
    backups,
    changes,
    customers,
    encryption,
    erasure,
    passphrases,
    sqlite_files,
    team,
)
from livedesk.services.change_feed import ChangeFeed
from livedesk.services.customers import NewCustomer
from livedesk.services.store import StoreError, open_store, quick_check, scrub_freed_pages

# Encryption at rest is the SQLite file's (SQLCipher); a server store's disk is the server's to encrypt.
pytestmark = pytest.mark.sqlite_only

PASS = "correct horse battery"
NEEDLES = ("phone", "real_name", "nickname", "address")


@pytest.fixture(autouse=True)
def forget_passphrases():
    sqlcipher.AGENT.forget()
    yield
    sqlcipher.AGENT.forget()


def _patterns(*keys: str) -> list[bytes]:
    return erasure.Traces(tuple(PERSON[k] for k in keys)).patterns()


def _found(*paths) -> int:
    return sum(erasure.count_occurrences(p, _patterns(*NEEDLES)) for p in paths)


def _wal(path):
    return path.with_name(path.name + "-wal")


def _encrypted(store):
    """The same store, encrypted with PASS and opened again."""
    store.dispose()
    encryption.encrypt(store.path, PASS)
    return open_store(store.url, create=False)


def _all_counts(path) -> dict[str, int]:
    with sqlite_files.opened_ro(path) as conn:
        return sqlite_files.row_counts(conn)


def test_an_encrypted_store_its_wal_and_backups_hold_no_byte_of_a_customer_while_a_plain_one_does(store, person,
                                                                                                  tmp_path):
    pid, _other = person
    plain_backup = backups.make_backup(store.path, folder=tmp_path / "plain").path
    assert _found(store.path, _wal(store.path)) > 0 and _found(plain_backup) > 0  # the search can find them

    store = _encrypted(store)
    try:
        with store.write() as s:  # the WAL now holds pages about them
            customers.add_note(s, pid, f"called {PERSON['real_name']} at {PERSON['phone']}")
        assert _wal(store.path).stat().st_size > 0
        backup = backups.make_backup(store.path, folder=tmp_path / "encrypted").path
        assert backups.list_backups(store.path, tmp_path / "encrypted")[0].verified
        assert _found(store.path, _wal(store.path), backup) == 0
        with store.read() as s:  # and yet the app reads them
            assert s.get(Customer, pid).phone == PERSON["phone"]
    finally:
        store.dispose()


def test_an_encrypted_store_opens_only_with_its_passphrase_and_says_so_in_words(store):
    url, path = store.url, store.path
    _encrypted(store).dispose()
    sqlcipher.AGENT.forget()
    with pytest.raises(StoreError) as needed:
        open_store(url, create=False)
    assert needed.value.code == "passphrase_needed" and "passphrase is needed" in str(needed.value)
    sqlcipher.AGENT.add("not the passphrase")
    with pytest.raises(StoreError) as wrong:
        open_store(url, create=False)
    assert wrong.value.code == "wrong_passphrase" and "does not open with the passphrase" in str(wrong.value)
    sqlcipher.AGENT.add(PASS)
    open_store(url, create=False).dispose()
    assert sqlite_files.is_encrypted(path)


def test_the_cli_takes_the_passphrase_from_the_environment_and_refuses_a_wrong_one_in_words(store, capsys,
                                                                                         monkeypatch):
    from livedesk.cli import main

    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    store.dispose()
    monkeypatch.setenv(passphrases.NEW_ENV, PASS)
    assert main(["--db", str(store.path), "store", "encrypt", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["encrypted"] and done["counts"]["customers"] == 1 and len(done["plain_backups"]) == 1
    sqlcipher.AGENT.forget()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    monkeypatch.delenv(passphrases.ENV, raising=False)
    assert main(["--db", str(store.path), "lookup", "王姐"]) == 1
    assert "its passphrase is needed" in capsys.readouterr().err
    monkeypatch.setenv(passphrases.ENV, "wrong passphrase")
    assert main(["--db", str(store.path), "lookup", "王姐"]) == 1
    err = capsys.readouterr().err
    assert "does not open with the passphrase given" in err and "Traceback" not in err
    sqlcipher.AGENT.forget()
    monkeypatch.setenv(passphrases.ENV, PASS)
    assert main(["--db", str(store.path), "lookup", "王姐", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["nickname"] == "王姐"


def test_backup_restore_and_quick_check_round_trip_on_an_encrypted_store(store, person):
    pid, _other = person
    store = _encrypted(store)
    try:
        assert quick_check(store.path) == []
        before = _all_counts(store.path)
        backup = backups.make_backup(store.path).path
        assert sqlite_files.is_encrypted(backup)
        with store.write() as s:
            customers.create(s, NewCustomer(nickname="后来的客户"))
        result = backups.restore(backup, store.path)
        assert result.counts["customers"] == before["customers"]
        assert sqlite_files.is_encrypted(result.safety.path)  # the replaced store's copy: encrypted too
        with store.read() as s:  # the open store reads the restored rows
            assert s.scalar(select(func.count()).select_from(Customer)) == before["customers"]
        assert quick_check(store.path) == [] and sqlite_files.is_encrypted(store.path)
    finally:
        store.dispose()


def test_restore_refuses_a_backup_it_cannot_decrypt_with_the_reason(store, tmp_path):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐"))
    store = _encrypted(store)
    old = backups.make_backup(store.path).path
    store.dispose()
    encryption.change_passphrase(store.path, "a new passphrase")
    sqlcipher.AGENT.forget()
    sqlcipher.AGENT.add("a new passphrase")
    with pytest.raises(backups.BackupError) as refused:
        backups.restore(old, store.path)
    assert refused.value.code == "wrong_passphrase"
    assert "passphrase given does not decrypt it" in str(refused.value) and "left unchanged" in str(refused.value)
    sqlcipher.AGENT.add(PASS)  # given the old one too, it restores
    assert backups.restore(old, store.path).counts["customers"] == 1


def test_encrypt_then_decrypt_keeps_every_tables_rows(store, person):
    original = _all_counts(store.path)
    store.dispose()
    encrypted = encryption.encrypt(store.path, PASS)
    assert encrypted.counts == original == _all_counts(store.path)
    assert encrypted.backup is not None and not sqlite_files.is_encrypted(encrypted.backup)
    assert encrypted.plain_backups and all(not sqlite_files.is_encrypted(p) for p in encrypted.plain_backups)
    reopened = open_store(store.url, create=False)
    try:
        with reopened.engine.connect() as conn:  # erasure's incremental vacuum and WAL survive the export
            assert conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        reopened.dispose()
    decrypted = encryption.decrypt(store.path)
    assert decrypted.counts == original
    assert not sqlite_files.is_encrypted(store.path) and _all_counts(store.path) == original
    sqlcipher.AGENT.forget()
    open_store(store.url, create=False).dispose()  # plain again: no passphrase needed


def test_changing_the_passphrase_locks_out_the_old_one(store):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐"))
    _encrypted(store).dispose()
    with pytest.raises(encryption.EncryptionError) as short:
        encryption.change_passphrase(store.path, "short")
    assert short.value.code == "short"
    encryption.change_passphrase(store.path, "the new passphrase")
    sqlcipher.AGENT.forget()
    sqlcipher.AGENT.add(PASS)
    with pytest.raises(StoreError) as old:
        open_store(store.url, create=False)
    assert old.value.code == "wrong_passphrase"
    sqlcipher.AGENT.add("the new passphrase")
    reopened = open_store(store.url, create=False)
    with reopened.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1
    reopened.dispose()


def test_a_conversion_that_does_not_check_out_leaves_the_store_as_it_was(store, monkeypatch):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    store.dispose()
    before = store.path.read_bytes()
    monkeypatch.setattr(sqlite_files, "row_counts", lambda conn, _real=sqlite_files.row_counts: {
        **_real(conn), "customers": -1} if "converting" in str(conn.execute("PRAGMA database_list").fetchone()[2])
        else _real(conn))
    with pytest.raises(encryption.EncryptionError) as failed:
        encryption.encrypt(store.path, PASS)
    assert failed.value.code == "mismatch" and "unchanged" in str(failed.value)
    assert not sqlite_files.is_encrypted(store.path) and b"13800001111" in store.path.read_bytes()
    assert store.path.read_bytes()[:16] == before[:16]
    assert not list(store.path.parent.glob(".*converting*"))


def test_only_the_owner_may_encrypt_and_it_is_audited_without_the_passphrase(store):
    with store.write() as s:
        owner = team.add_member(s, "店主", "owner")
        helper = team.add_member(s, "小助理", "assistant")
    with store.read() as s:
        store.actor = team.sign_in(s, helper, None)
    with pytest.raises(team.PermissionDenied), store.write() as s:
        encryption.authorize(s, encryption.ENCRYPT)
    with store.read() as s:
        store.actor = team.sign_in(s, owner, None)
    with store.write() as s:
        encryption.authorize(s, encryption.ENCRYPT)
    with store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "store_encrypt")).one()
    assert PASS not in json.dumps(entry.detail or {})


def test_the_change_feed_hears_another_connections_writes_on_an_encrypted_store(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
    store = _encrypted(store)
    other = open_store(store.url, create=False)
    heard: list[changes.ChangeSet] = []
    got = threading.Event()
    with store.read() as s:
        start = changes.latest(s)

    def on_changes(found):
        heard.extend(found)
        got.set()

    feed = ChangeFeed(store.url, store.origin, on_changes, start_after=start)
    feed.start()
    try:
        other.apply(customers.add_note, cid, "from the other window")
        assert got.wait(10)
    finally:
        feed.stop()
        other.dispose()
        store.dispose()
    assert heard and heard[0].touches_customer(cid)


def test_erasure_access_export_and_backup_search_work_on_an_encrypted_store(store, person, tmp_path):
    pid, _other = person
    store = _encrypted(store)
    try:
        old = backups.make_backup(store.path).path
        out = tmp_path / "access.json"
        with store.write() as s:
            access_export.access_export(s, pid, out)
        assert PERSON["phone"] in out.read_text(encoding="utf-8")
        with store.write() as s:
            result = erasure.erase(s, pid, actor="owner")
        scrub = scrub_freed_pages(store)
        assert scrub.complete and scrub.wal_bytes == 0
        holding = {h.path for h in erasure.backups_holding(erasure.backup_files(store.path), result.traces)}
        assert str(old) in holding  # encrypted, yet found by its decrypted rows
        new = backups.make_backup(store.path).path
        assert str(new) not in {h.path for h in erasure.backups_holding([new], result.traces)}
        assert quick_check(store.path) == []
    finally:
        store.dispose()


def test_recover_writes_an_encrypted_store_into_an_encrypted_file(store, person, tmp_path):
    store = _encrypted(store)
    store.dispose()
    out = tmp_path / "recovered.sqlite3"
    counts = sqlite_files.recover(store.path, out)
    assert counts["customers"] == _all_counts(store.path)["customers"]
    assert sqlite_files.is_encrypted(out) and _found(out) == 0


def test_the_keyring_keeps_the_passphrase_only_when_asked_and_unlocks_without_asking(store, memory_keyring,
                                                                                      monkeypatch):
    _encrypted(store).dispose()
    monkeypatch.delenv(passphrases.ENV, raising=False)
    sqlcipher.AGENT.forget()
    assert not passphrases.unlock_without_asking(store.path)
    assert memory_keyring.kept == {}  # encrypting kept nothing by itself
    passphrases.remember(store.path, PASS)
    assert passphrases.unlock_without_asking(store.path)
    open_store(store.url, create=False).dispose()
    passphrases.forget(store.path)
    assert memory_keyring.kept == {}


def test_the_cli_restores_a_backup_made_under_an_earlier_passphrase_when_given_it(store, capsys, monkeypatch):
    from livedesk.cli import main

    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐"))
    store = _encrypted(store)
    old = backups.make_backup(store.path).path
    store.dispose()
    encryption.change_passphrase(store.path, "a new passphrase")
    sqlcipher.AGENT.forget()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    monkeypatch.setenv(passphrases.ENV, "a new passphrase")
    assert main(["--db", str(store.path), "restore", str(old)]) == 1
    err = capsys.readouterr().err
    assert "passphrase given does not decrypt it" in err and "Traceback" not in err
    monkeypatch.setenv(passphrases.BACKUP_ENV, PASS)
    assert main(["--db", str(store.path), "restore", str(old)]) == 0
    assert "restored" in capsys.readouterr().out


def test_a_killed_conversions_hidden_copy_is_removed_by_the_next_one(store):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    store.dispose()
    dead = store.path.with_name(f".{store.path.name}.999999999{encryption.CONVERTING}")
    dead.write_bytes(b"13800001111 half a copy")
    encryption.encrypt(store.path, PASS)
    assert not dead.exists() and not list(store.path.parent.glob(f".*{encryption.CONVERTING}*"))


def test_a_portable_dump_of_an_encrypted_store_is_refused_in_words(store, capsys, monkeypatch):
    from livedesk.cli import main

    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    _encrypted(store).dispose()
    monkeypatch.setenv(passphrases.ENV, PASS)
    assert main(["--db", str(store.path), "backup", "--portable"]) == 1
    assert "would hold its customers unencrypted" in capsys.readouterr().err
    assert main(["--db", str(store.path), "backup", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["verified"] and sqlite_files.is_encrypted(sqlite_files.Path(made["path"]))


def test_a_store_a_kill_left_with_a_hot_journal_opens_rolled_back_not_read_only(store, tmp_path):
    """A conversion leaves WAL for its swap: killed inside a rollback-journal write it leaves a hot
    journal, which the read-only check at the door cannot roll back (it said "read-only")."""
    import shutil
    import sqlite3

    with store.write() as s:
        for i in range(200):
            customers.create(s, NewCustomer(nickname=f"客户{i}", city="杭州"))
    store.dispose()
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA cache_size=2")  # spill: the file holds half-written pages, the journal the old ones
    conn.execute("BEGIN")
    conn.execute("UPDATE customers SET city = '半途'")
    crash = tmp_path / "crash"
    crash.mkdir()
    shutil.copy(store.path, crash / "store.sqlite3")
    shutil.copy(store.path.with_name(store.path.name + "-journal"), crash / "store.sqlite3-journal")
    conn.execute("ROLLBACK")
    conn.close()
    reopened = open_store(f"sqlite:///{crash / 'store.sqlite3'}", create=False)
    try:
        with reopened.read() as s:
            assert set(s.scalars(select(Customer.city))) == {"杭州"}
    finally:
        reopened.dispose()
