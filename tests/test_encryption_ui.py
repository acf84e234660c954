"""The app's side of encryption at rest: the passphrase asked at start (a wrong one said in words, in
Chinese too), the keyring only when ticked, and 设置's box that only the owner may use."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QWidget

from livedesk.models.adapters import sqlcipher
from livedesk.services import customers, encryption, passphrases, team
from livedesk.services.customers import NewCustomer
from livedesk.services.store import open_store
from livedesk.ui.cipher_box import EncryptionBox
from livedesk.ui.passphrase_dialog import NewPassphraseDialog, PassphraseDialog, unlock

# Encryption at rest is the SQLite file's (SQLCipher); a server store's disk is the server's to encrypt.
pytestmark = pytest.mark.sqlite_only

PASS = "correct horse battery"


@pytest.fixture(autouse=True)
def forget_passphrases(monkeypatch):
    monkeypatch.delenv(passphrases.ENV, raising=False)
    sqlcipher.AGENT.forget()
    yield
    sqlcipher.AGENT.forget()


@pytest.fixture
def encrypted_path(store):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    store.dispose()
    encryption.encrypt(store.path, PASS)
    sqlcipher.AGENT.forget()
    return store.path


def _type(dialog: PassphraseDialog, text: str) -> None:
    dialog.passphrase.setText(text)
    dialog.accept()


def test_a_wrong_passphrase_keeps_the_dialog_open_and_says_so(qtbot, encrypted_path, memory_keyring):
    dialog = PassphraseDialog(encrypted_path)
    qtbot.addWidget(dialog)
    dialog.show()
    _type(dialog, "not the passphrase")
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.error.isVisible() and dialog.error.text() == "The passphrase is wrong. Try again."
    assert dialog.passphrase.text() == "" and not sqlcipher.AGENT.known()  # the wrong one is not kept
    _type(dialog, PASS)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert memory_keyring.kept == {}  # not ticked: not remembered
    open_store(f"sqlite:///{encrypted_path}", create=False).dispose()


def test_the_dialog_speaks_chinese(qtbot, encrypted_path, ui_language):
    ui_language("zh_CN")
    dialog = PassphraseDialog(encrypted_path)
    qtbot.addWidget(dialog)
    _type(dialog, "not the passphrase")
    assert dialog.error.text() == "密码不对，请再试一次。"
    assert "加密" in dialog.intro.text() and "记住" in dialog.remember.text()


def test_remember_puts_it_in_the_keyring_and_the_next_start_asks_nothing(qtbot, encrypted_path, memory_keyring):
    dialog = PassphraseDialog(encrypted_path)
    qtbot.addWidget(dialog)
    dialog.remember.setChecked(True)
    _type(dialog, PASS)
    assert list(memory_keyring.kept.values()) == [PASS]
    sqlcipher.AGENT.forget()
    asked = []
    assert unlock(encrypted_path, ask=lambda d: asked.append(d) or QDialog.DialogCode.Rejected)
    assert asked == []


def test_a_start_on_an_encrypted_store_asks_and_a_cancel_opens_nothing(qtbot, encrypted_path, memory_keyring):
    asked = []
    assert not unlock(encrypted_path, ask=lambda d: asked.append(d) or QDialog.DialogCode.Rejected)
    assert len(asked) == 1 and isinstance(asked[0], PassphraseDialog)
    asked[0].deleteLater()


def test_a_new_passphrase_is_typed_twice_and_long_enough(qtbot, tmp_path):
    dialog = NewPassphraseDialog(tmp_path / "x.sqlite3", "intro")
    qtbot.addWidget(dialog)
    dialog.passphrase.setText("short")
    dialog.again.setText("short")
    dialog.accept()
    assert "at least 8 characters" in dialog.error.text() and dialog.result() != QDialog.DialogCode.Accepted
    dialog.passphrase.setText(PASS)
    dialog.again.setText(PASS + "!")
    dialog.accept()
    assert dialog.error.text() == "The two passphrases differ."
    dialog.again.setText(PASS)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.chosen() == PASS


def test_only_the_owner_may_use_the_encryption_box(qtbot, ctx, store):
    with store.write() as s:
        team.add_member(s, "店主", "owner")
        helper = team.add_member(s, "小助理", "assistant")
    with store.read() as s:
        store.actor = team.sign_in(s, helper, None)
    box = EncryptionBox(ctx)
    qtbot.addWidget(box)
    assert not box.buttons["encrypt"].isEnabled() and "Only the owner" in box.feedback.text()
    store.actor = None
    box.refresh()
    assert box.buttons["encrypt"].isEnabled() and not box.buttons["decrypt"].isVisibleTo(box)
    assert "not encrypted" in box.state.text()


def test_encrypting_from_settings_closes_the_window_then_converts_with_the_store_closed(qtbot, ctx, store,
                                                                                     monkeypatch, memory_keyring):
    with store.write() as s:
        customers.create(s, NewCustomer(nickname="王姐", phone="13800001111"))
    window = QWidget()
    qtbot.addWidget(window)
    box = EncryptionBox(ctx, window)
    window.show()

    def accept(dialog):
        dialog.passphrase.setText(PASS)
        dialog.again.setText(PASS)
        dialog.remember.setChecked(True)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(NewPassphraseDialog, "exec", accept)
    box.buttons["encrypt"].click()
    qtbot.waitUntil(lambda: getattr(window, "with_store_closed", None) is not None, timeout=10_000)
    assert window.restart_requested and not window.isVisible()
    assert not encryption.is_encrypted(store.path)  # nothing happens while the store is open
    store.dispose()
    window.with_store_closed()
    assert encryption.is_encrypted(store.path) and list(memory_keyring.kept.values()) == [PASS]
    assert b"13800001111" not in store.path.read_bytes()
    reopened = open_store(store.url, create=False)  # the agent knows it: the restart would not ask
    reopened.dispose()
    box2 = EncryptionBox(ctx)
    qtbot.addWidget(box2)
    assert box2.buttons["decrypt"].isVisibleTo(box2) and box2.buttons["purge"].isVisibleTo(box2)
