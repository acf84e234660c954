"""The 备份 page: the store's backups (when, why, size, verified), "back up now", and restoring
one after a preview of what it holds and a confirmation. After a restore the app restarts
on the restored store (``restore_done``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from livedesk.services import backups, team
from livedesk.ui import backup_labels as words
from livedesk.ui.context import AppContext
from livedesk.ui.errors import describe
from livedesk.ui.rows_model import RowsModel, rows_table


class BackupsPage(QWidget):
    restore_done = Signal(str)  # the replaced store's safety copy: the window restarts the app

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.found: list[backups.BackupInfo] = []
        intro = QLabel(self.tr(
            "LiveDesk backs the store up every 30 minutes when something changed, when it closes, and before "
            "every import, revert, merge and restore. Each copy is checked before it is kept."), self)
        intro.setWordWrap(True)
        self.where = QLabel(self)
        self.where.setWordWrap(True)
        self.model = RowsModel([self.tr("When"), self.tr("Why"), self.tr("Size"), self.tr("Checked"),
                                self.tr("Holds")], self)
        self.table = rows_table(self.model, self)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.preview = QLabel(self.tr("Choose a backup to see what it holds."), self)
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("background: #f5f6f8; padding: 10px; border-radius: 6px;")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.backup_button = QPushButton(self.tr("Back up now"), self)
        self.backup_button.clicked.connect(self.back_up_now)
        self.restore_button = QPushButton(self.tr("Restore this backup…"), self)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        title = QLabel(self.tr("Backups"), self)
        title.setStyleSheet("font-size: 20px; font-weight: 600;")
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.where)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.preview)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        if ctx.store.path is None:
            self.where.setText(self.tr("A shared server is backed up by its own tools."))
            self.backup_button.setEnabled(False)
        else:
            self.where.setText(self.tr("Backups are kept in %1").replace(
                "%1", str(backups.backups_folder(ctx.store.path))))
            self.reload()

    def reload(self) -> None:
        if self.ctx.store.path is None:
            return
        self.ctx.tasks.submit(backups.list_backups, self.ctx.store.path, on_done=self._show,
                              on_error=self._failed)

    def _show(self, found: list[backups.BackupInfo]) -> None:
        self.found = found
        checked = {True: self.tr("Verified"), False: self.tr("Not verified"), None: self.tr("Not checked (old)")}
        self.model.set_rows([(words.when(b.created_at), words.reason(b.reason), words.size(b.size),
                              checked[b.verified], words.counts(b.counts) if b.counts else "") for b in found],
                            [b.path for b in found])
        self.table.resizeColumnsToContents()
        self._selected()

    def _current(self) -> backups.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.found[rows[0].row()] if rows else None

    def _selected(self, *_args) -> None:
        info = self._current()
        self.restore_button.setEnabled(info is not None)
        if info is None:
            self.preview.setText(self.tr("Choose a backup to see what it holds."))
            return
        self.preview.setText(self.tr("%1 — %2: %3").replace("%1", words.when(info.created_at))
                             .replace("%2", words.reason(info.reason))
                             .replace("%3", words.counts_detail(info.counts) if info.counts
                                      else self.tr("counted when you restore it")))

    def back_up_now(self) -> None:
        self.backup_button.setEnabled(False)
        self.status.setText(self.tr("Backing up…"))

        def done(info: backups.BackupInfo) -> None:
            self.backup_button.setEnabled(True)
            self._say(self.tr("Backed up and verified: %1").replace("%1", words.counts(info.counts)))
            self.reload()

        self.ctx.tasks.submit(backups.make_backup, self.ctx.store.path, "manual", on_done=done,
                              on_error=self._failed)

    def restore_selected(self) -> None:
        info = self._current()
        if info is None:
            return
        self.restore_button.setEnabled(False)
        self.status.setText(self.tr("Checking the backup…"))
        # Checked in full before the question: the preview shows what is really in the file.
        self.ctx.tasks.submit(backups.inspect_backup, info.path, on_done=self._confirm,
                              on_error=lambda exc: self._failed(exc, words.backup_problem_of(exc)))

    def _confirm(self, checked: backups.BackupInfo) -> None:
        self.status.setText("")
        self.restore_button.setEnabled(True)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Restore a backup"), self.tr(
            "Replace the store with the backup of %1?\n\nIt holds %2.\n\nThe store as it is now is kept as a "
            "backup of its own, so this can be undone. LiveDesk restarts afterwards.")
            .replace("%1", words.when(checked.created_at)).replace("%2", words.counts_detail(checked.counts)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Restore"))
        box.finished.connect(lambda result: self._restore(checked.path)
                             if result == QMessageBox.StandardButton.Yes else None)
        self.confirm_box = box
        box.open()

    def _restore(self, path: Path) -> None:
        self.restore_button.setEnabled(False)
        self.backup_button.setEnabled(False)
        self.status.setText(self.tr("Restoring…"))

        def done(result: backups.RestoreResult) -> None:
            safety = str(result.safety.path) if result.safety else ""
            self._say(self.tr("Restored. The replaced store is kept at %1").replace("%1", safety))
            self.restore_done.emit(safety)

        self.ctx.tasks.submit(backups.restore_as_member, self.ctx.store, path, on_done=done,
                              on_error=lambda exc: self._failed(exc, describe(exc) if isinstance(
                                  exc, team.PermissionDenied) else words.backup_problem_of(exc)))

    def _failed(self, exc: BaseException, text: str | None = None) -> None:
        self.backup_button.setEnabled(self.ctx.store.path is not None)
        self.restore_button.setEnabled(self._current() is not None)
        self._say(text or words.problem_of(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "")
