"""Words for the backup service's codes: why a backup was made, what is wrong with a store.

Kept apart from ``labels`` (the customer-facing codes); same pattern: English sources marked
with QT_TRANSLATE_NOOP, translated where shown.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_REASONS = {
    "manual": QT_TRANSLATE_NOOP("BackupLabels", "Backed up by hand"),
    "auto": QT_TRANSLATE_NOOP("BackupLabels", "Automatic (every 30 minutes)"),
    "daily": QT_TRANSLATE_NOOP("BackupLabels", "Daily"),
    "close": QT_TRANSLATE_NOOP("BackupLabels", "On closing"),
    "before-import": QT_TRANSLATE_NOOP("BackupLabels", "Before an import"),
    "before-revert": QT_TRANSLATE_NOOP("BackupLabels", "Before reverting an import"),
    "before-merge": QT_TRANSLATE_NOOP("BackupLabels", "Before merging customers"),
    "before-erase": QT_TRANSLATE_NOOP("BackupLabels", "Before erasing a customer"),
    "before-encrypt": QT_TRANSLATE_NOOP("BackupLabels", "Before encrypting the store"),
    "before-decrypt": QT_TRANSLATE_NOOP("BackupLabels", "Before decrypting the store"),
    "before-rekey": QT_TRANSLATE_NOOP("BackupLabels", "Before changing the passphrase"),
    "before-restore": QT_TRANSLATE_NOOP("BackupLabels", "The store replaced by a restore"),
    "before-migration": QT_TRANSLATE_NOOP("BackupLabels", "Before upgrading the store"),
}
_PROBLEMS = {
    "disk_full": QT_TRANSLATE_NOOP("BackupLabels", "The disk is full. Free some space and try again."),
    "read_only": QT_TRANSLATE_NOOP("BackupLabels", "The folder or the file is read-only: LiveDesk cannot write there."),
    "locked": QT_TRANSLATE_NOOP("BackupLabels", "Another program is using the store (it is locked). Close it and "
                                                "try again."),
    "damaged": QT_TRANSLATE_NOOP("BackupLabels", "The store is damaged."),
    "missing": QT_TRANSLATE_NOOP("BackupLabels", "There is no store at this path."),
    "empty": QT_TRANSLATE_NOOP("BackupLabels", "The file is empty (0 bytes): it is not a store."),
    "foreign": QT_TRANSLATE_NOOP("BackupLabels", "The file is not a LiveDesk store."),
    "newer": QT_TRANSLATE_NOOP("BackupLabels", "The file was made by a newer LiveDesk. Update LiveDesk to use it."),
    "passphrase_needed": QT_TRANSLATE_NOOP("BackupLabels", "The store is encrypted: its passphrase is needed."),
    "wrong_passphrase": QT_TRANSLATE_NOOP("BackupLabels", "The passphrase is wrong."),
    "no_cipher": QT_TRANSLATE_NOOP("BackupLabels", "The store is encrypted and this LiveDesk cannot decrypt it."),
    "other": QT_TRANSLATE_NOOP("BackupLabels", "An unexpected storage error. The details are in the log file."),
}
_BACKUP_PROBLEMS = {
    "damaged": QT_TRANSLATE_NOOP("BackupLabels", "This backup is damaged: it cannot be restored. Choose another "
                                                 "one. The store was left unchanged."),
    "foreign": QT_TRANSLATE_NOOP("BackupLabels", "This file is not a LiveDesk backup. The store was left unchanged."),
    "newer": QT_TRANSLATE_NOOP("BackupLabels", "This backup was made by a newer LiveDesk: update LiveDesk to "
                                               "restore it. The store was left unchanged."),
    "missing": QT_TRANSLATE_NOOP("BackupLabels", "This backup file is no longer there."),
    "wrong_passphrase": QT_TRANSLATE_NOOP("BackupLabels", "This backup is encrypted with another passphrase (it was "
                                                          "made before the passphrase was changed): it cannot be "
                                                          "restored here. The store was left unchanged."),
    "empty": QT_TRANSLATE_NOOP("BackupLabels", "This backup file is empty (0 bytes)."),
}
# The counts a backup's preview shows, in this order.
COUNTED = {
    "customers": QT_TRANSLATE_NOOP("BackupLabels", "customers"),
    "orders": QT_TRANSLATE_NOOP("BackupLabels", "orders"),
    "notes": QT_TRANSLATE_NOOP("BackupLabels", "notes"),
    "followup_tasks": QT_TRANSLATE_NOOP("BackupLabels", "follow-up tasks"),
    "import_batches": QT_TRANSLATE_NOOP("BackupLabels", "imports"),
}
_COUNTS = QT_TRANSLATE_NOOP("BackupLabels", "%1 customers, %2 orders")


def _tr(text: str) -> str:
    return QCoreApplication.translate("BackupLabels", text)


def reason(code: str) -> str:
    return _tr(_REASONS[code]) if code in _REASONS else code


def problem(code: str | None) -> str:
    return _tr(_PROBLEMS.get(code or "other", _PROBLEMS["other"]))


def backup_problem_of(exc: BaseException) -> str:
    """Words for a backup file that cannot be restored (its own problem, not the store's)."""
    from livedesk.services.store_problems import classify

    code = classify(exc)
    return _tr(_BACKUP_PROBLEMS[code]) if code in _BACKUP_PROBLEMS else problem(code)


def problem_of(exc: BaseException) -> str:
    """The words for a failed store operation: its code's sentence (never the driver's English)."""
    from livedesk.services.store_problems import classify

    return problem(classify(exc))


def counts(values: dict[str, int]) -> str:
    return _tr(_COUNTS).replace("%1", f"{values.get('customers', 0):,}") \
        .replace("%2", f"{values.get('orders', 0):,}")


def counts_detail(values: dict[str, int]) -> str:
    return " · ".join(f"{values.get(key, 0):,} {_tr(word)}" for key, word in COUNTED.items())


def when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def size(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n >= 100_000 else f"{n / 1000:,.0f} KB"
