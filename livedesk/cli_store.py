"""Command line for encryption at rest: ``livedesk store status|encrypt|decrypt|passphrase|forget``.

Kept apart from cli.py, which registers these through ``add_parsers`` and ``COMMANDS`` and
gives every command the store's passphrase first (``unlock``: ``LIVEDESK_PASSPHRASE``, the
keyring if the user let it keep it, else a prompt on a terminal). A new passphrase comes from
``LIVEDESK_NEW_PASSPHRASE`` or is typed twice. Conversions are the owner's (``--as``) and audited.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

from livedesk.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE



def add_parsers(sub: Any) -> None:
    store = sub.add_parser("store", help="encryption at rest of the store and its backups (SQLCipher)")
    store_sub = store.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = store_sub.add_parser("status", help="whether the store is encrypted; its backups that are not")
    status.add_argument("--json", action="store_true")
    encrypt = store_sub.add_parser("encrypt", help="encrypt the store with a passphrase (owner; a backup first)")
    decrypt = store_sub.add_parser("decrypt", help="write the store back as a plain SQLite file (owner)")
    rekey = store_sub.add_parser("passphrase", help="change the passphrase (owner; older backups keep the old one)")
    for parser in (encrypt, rekey):
        parser.add_argument("--remember", action="store_true",
                            help="keep the passphrase in the OS keyring, so this computer opens the store unasked")
    encrypt.add_argument("--purge-backups", action="store_true",
                         help="then delete the store's backups that are still plain files (otherwise listed)")
    for parser in (encrypt, decrypt, rekey):
        parser.add_argument("--json", action="store_true")
    store_sub.add_parser("forget", help="remove the store's passphrase from the OS keyring")
    purge = store_sub.add_parser("purge-backups", help="delete the backups of an encrypted store that are still plain")
    purge.add_argument("--json", action="store_true")


def unlock(path: Path | None, *, interactive: bool | None = None) -> None:
    """Before any command: the agent learns the passphrase of an encrypted store (never asked for a plain one)."""
    from livedesk.services import passphrases

    if path is None or passphrases.unlock_without_asking(path):
        return
    if interactive is None:
        interactive = sys.stdin.isatty()
    if interactive:  # a wrong one is said in words by the command that opens the store
        from livedesk.models.adapters import sqlcipher

        typed = getpass.getpass(f"passphrase of {path}: ")
        if typed:
            sqlcipher.AGENT.add(typed)


def unlock_backup(path: Path) -> None:
    """A backup made under an earlier passphrase: ``LIVEDESK_BACKUP_PASSPHRASE`` or a prompt (restore)."""
    from livedesk.models.adapters import sqlcipher
    from livedesk.services import passphrases

    try:
        sqlcipher.AGENT.key_for(path)
        return
    except sqlcipher.CipherError:
        pass
    given = os.environ.get(passphrases.BACKUP_ENV)
    if not given and sys.stdin.isatty() and path.is_file():
        given = getpass.getpass(f"passphrase of the backup {path.name} (made under an earlier passphrase): ")
    if given:
        sqlcipher.AGENT.add(given)


def _new_passphrase() -> str | None:
    from livedesk.services import passphrases

    given = os.environ.get(passphrases.NEW_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("new passphrase (at least 8 characters): ")
    if getpass.getpass("the same again: ") != first:
        print("livedesk: the two passphrases differ; nothing was changed", file=sys.stderr)
        return ""
    return first


def cmd_store(args: argparse.Namespace, *, store_path: Callable, open_store: Callable, show: Callable) -> int:
    from livedesk.services import encryption, passphrases

    path = store_path(args)
    if args.action == "forget":
        passphrases.forget(path)
        print(f"the OS keyring no longer keeps the passphrase of {path}")
        return EXIT_OK
    if args.action == "purge-backups":
        from livedesk.services import erasure

        if not encryption.is_encrypted(path):
            print(f"livedesk: {path} is not encrypted: its backups stay as they are", file=sys.stderr)
            return EXIT_FAILED
        purged = erasure.purge_backups(encryption.plain_backups(path))
        show({"purged": purged}, args.json, f"deleted {len(purged)} plain backups" + "".join(f"\n  {p}" for p in purged))
        return EXIT_OK
    if args.action == "status":
        open_store(args).dispose()  # refuses a missing, foreign or locked store in words
        encrypted = encryption.is_encrypted(path)
        plain = [str(p) for p in encryption.plain_backups(path)] if encrypted else []
        remembered = passphrases.recall(path) is not None
        show({"path": str(path), "encrypted": encrypted, "plain_backups": plain, "remembered": remembered},
             args.json, f"{path}: {'encrypted' if encrypted else 'not encrypted'}"
             + ("; passphrase kept in the OS keyring" if remembered else "")
             + "".join(f"\n  still plain: {p}" for p in plain))
        return EXIT_OK
    new = None
    if args.action in ("encrypt", "passphrase"):
        new = _new_passphrase()
        if new is None:
            print(f"livedesk: give the new passphrase in {passphrases.NEW_ENV} or run this on a terminal; "
                  "nothing was changed", file=sys.stderr)
            return EXIT_USAGE
        if not new:
            return EXIT_USAGE
        encryption.check_passphrase(new)
    store = open_store(args)  # the acting member, and the store migrated before it is converted
    try:
        with store.write() as session:
            encryption.authorize(session, {"encrypt": encryption.ENCRYPT, "decrypt": encryption.DECRYPT,
                                           "passphrase": encryption.REKEY}[args.action])
    finally:
        store.dispose()
    if args.action == "encrypt":
        done = encryption.encrypt(path, new)
    elif args.action == "decrypt":
        done = encryption.decrypt(path)
        passphrases.forget(path)
    else:
        done = encryption.change_passphrase(path, new)
    kept = ""
    if new and args.remember:
        try:
            passphrases.remember(path, new)
            kept = "; the passphrase is kept in the OS keyring"
        except passphrases.KeyringUnavailable as exc:
            kept = f"; the passphrase was NOT kept ({exc}): give it in {passphrases.ENV} or type it when asked"
    elif new:
        passphrases.forget(path)  # an older remembered one no longer opens it
    purged: list[str] = []
    if args.action == "encrypt" and args.purge_backups:
        from livedesk.services import erasure

        purged = erasure.purge_backups(done.plain_backups)
    data = {**done.as_dict(), "purged": purged}
    what = {"encrypt": "encrypted", "decrypt": "decrypted (a plain SQLite file now)",
            "passphrase": "re-encrypted with the new passphrase"}[args.action]
    lines = [f"{path} {what}: {done.counts.get('customers', 0)} customers, {done.counts.get('orders', 0)} orders"
             f"{kept}", f"the copy made before: {done.backup}"]
    if done.plain_backups and not purged:
        lines.append(f"{len(done.plain_backups)} older backups are still plain files (delete them with "
                     "`livedesk store purge-backups`):")
        lines += [f"  {p}" for p in done.plain_backups]
    if purged:
        lines.append(f"deleted {len(purged)} plain backups")
    if args.action == "passphrase":
        lines.append("older backups still open with the old passphrase only")
    if args.action == "decrypt":
        lines.append("the backups made while it was encrypted still need the passphrase")
    show(data, args.json, "\n".join(lines))
    return EXIT_OK
