"""Where a store's passphrase comes from: the OS keyring (only if the user agreed) or the environment.

The keyring entry (Windows Credential Manager, macOS Keychain, the Secret Service on Linux) is
written only when the user ticks "remember" in the app or passes ``--remember`` on the command
line; it is keyed by the store file's full path, so two stores keep two passphrases. The
passphrase itself is never written to the store, a settings file or a log.
``LIVEDESK_PASSPHRASE`` gives it to a script (the CLI and the app read it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from livedesk.models.adapters import sqlcipher

log = logging.getLogger(__name__)

SERVICE = "LiveDesk store passphrase"
ENV = "LIVEDESK_PASSPHRASE"
NEW_ENV = "LIVEDESK_NEW_PASSPHRASE"  # encrypt / change the passphrase, from a script
BACKUP_ENV = "LIVEDESK_BACKUP_PASSPHRASE"  # restore a backup made under an earlier passphrase


class KeyringUnavailable(RuntimeError):
    """No OS keyring to keep the passphrase in (the user is told; nothing was kept)."""

    code = "no_keyring"


def _name(path: Path) -> str:
    return str(Path(path).expanduser().resolve())


def _keyring():
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError as exc:  # a build without it
        raise KeyringUnavailable("the keyring package is not installed") from exc
    return keyring, KeyringError


def remember(path: Path, passphrase: str) -> None:
    keyring, error = _keyring()
    try:
        keyring.set_password(SERVICE, _name(path), passphrase)
    except error as exc:
        raise KeyringUnavailable(f"the OS keyring refused to keep it: {exc}") from exc


def recall(path: Path) -> str | None:
    """The remembered passphrase of this store, or None (none kept, or no keyring)."""
    try:
        keyring, error = _keyring()
        return keyring.get_password(SERVICE, _name(path)) or None
    except KeyringUnavailable:
        return None
    except Exception as exc:  # noqa: BLE001 - no backend, a locked one: not remembered (asked instead)
        log.debug("the OS keyring could not be read: %s", type(exc).__name__)
        return None


def forget(path: Path) -> None:
    try:
        keyring, error = _keyring()
        keyring.delete_password(SERVICE, _name(path))
    except Exception:  # noqa: BLE001 - nothing kept (or no keyring): nothing to forget
        pass


def unlock_without_asking(path: Path, env: dict[str, str] | None = None,
                          agent: sqlcipher.KeyAgent | None = None) -> bool:
    """Give the agent what is known without asking anyone: ``LIVEDESK_PASSPHRASE``, then the
    keyring. Returns whether ``path`` now opens (True for a plain file)."""
    agent = agent or sqlcipher.AGENT
    if not sqlcipher.looks_encrypted(Path(path)):
        return True
    env = os.environ if env is None else env
    for source in (lambda: env.get(ENV), lambda: recall(path)):
        passphrase = source()
        if passphrase:
            agent.add(passphrase)
        try:
            agent.key_for(Path(path))
            return True
        except sqlcipher.CipherError:
            continue
    return False
