"""The recovery screen: what opens instead of the main window when the store is damaged.

It says what happened, offers the newest verified backup (when, why, what it holds) with a
restore button, and SQLite-level recovery of what can still be read into a new file (which
can then be restored after its check). It never offers to clear the data. Accepted means the
store was replaced and the app may open it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from livedesk.services import backups, sqlite_files
from livedesk.ui import backup_labels as words
from livedesk.ui.tasks import TaskRunner


class RecoveryWindow(QDialog):
    def __init__(self, store_path: Path, tasks: TaskRunner, code: str = "damaged",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store_path, self.tasks = store_path, tasks
        self.newest: backups.BackupInfo | None = None
        self.recovered: Path | None = None
        self.setWindowTitle(self.tr("LiveDesk — the store needs attention"))
        self.setMinimumWidth(620)

        title = QLabel(words.problem(code), self)
        title.setStyleSheet("font-size: 20px; font-weight: 600; color: #c62828;")
        what = QLabel(self.tr(
            "LiveDesk checked the store before using it and found that part of it cannot be read "
            "(a disk fault or a crash can do this). Nothing has been changed or deleted.\n%1")
            .replace("%1", str(store_path)), self)
        what.setWordWrap(True)

        backup_box = QGroupBox(self.tr("Restore the newest verified backup"), self)
        self.backup_label = QLabel(self.tr("Looking for backups…"), backup_box)
        self.backup_label.setWordWrap(True)
        self.restore_button = QPushButton(self.tr("Restore this backup"), backup_box)
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(lambda: self._restore(self.newest.path if self.newest else None))
        box_layout = QVBoxLayout(backup_box)
        box_layout.addWidget(self.backup_label)
        box_layout.addWidget(self.restore_button)

        recover_box = QGroupBox(self.tr("Or save what can still be read"), self)
        self.recover_label = QLabel(self.tr(
            "Copies every readable row into a new file beside the store; the damaged store is kept as it is."),
            recover_box)
        self.recover_label.setWordWrap(True)
        self.recover_button = QPushButton(self.tr("Recover into a new file"), recover_box)
        self.recover_button.clicked.connect(self._recover)
        self.use_recovered = QPushButton(self.tr("Use the recovered file"), recover_box)
        self.use_recovered.hide()
        self.use_recovered.clicked.connect(lambda: self._restore(self.recovered))
        recover_layout = QVBoxLayout(recover_box)
        recover_layout.addWidget(self.recover_label)
        row = QHBoxLayout()
        row.addWidget(self.recover_button)
        row.addWidget(self.use_recovered)
        row.addStretch(1)
        recover_layout.addLayout(row)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        quit_button = QPushButton(self.tr("Quit"), self)
        quit_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(quit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(what)
        layout.addWidget(backup_box)
        layout.addWidget(recover_box)
        layout.addLayout(bottom)
        tasks.submit(backups.newest_verified, store_path, on_done=self._show_newest, on_error=self._failed)

    def _show_newest(self, info: backups.BackupInfo | None) -> None:
        self.newest = info
        if info is None:
            self.backup_label.setText(self.tr("There is no verified backup of this store."))
            return
        self.backup_label.setText(self.tr("%1 — %2\nIt holds %3.").replace("%1", words.when(info.created_at))
                                  .replace("%2", words.reason(info.reason))
                                  .replace("%3", words.counts_detail(info.counts)))
        self.restore_button.setEnabled(True)

    def _busy(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)
        for button in (self.restore_button, self.recover_button, self.use_recovered):
            button.setEnabled(False)

    def _restore(self, path: Path | None) -> None:
        if path is None:
            return
        self._busy(self.tr("Restoring…"))
        self.tasks.submit(backups.restore, path, self.store_path, on_done=lambda _r: self.accept(),
                          on_error=lambda exc: self._failed(exc, words.backup_problem_of(exc)))

    def _recover(self) -> None:
        out = self.store_path.with_name(f"{self.store_path.stem}-recovered-{datetime.now():%Y%m%d-%H%M%S}.sqlite3")
        self._busy(self.tr("Recovering…"))

        def done(counts: dict[str, int]) -> None:
            self.recovered = out
            self._idle()
            self.recover_label.setText(self.tr("Saved into %1:\n%2").replace("%1", str(out))
                                       .replace("%2", words.counts_detail(counts)))
            self.use_recovered.show()
            self.use_recovered.setEnabled(True)

        self.tasks.submit(sqlite_files.recover, self.store_path, out, on_done=done, on_error=self._failed)

    def _idle(self) -> None:
        self.status.setText("")
        self.restore_button.setEnabled(self.newest is not None)
        self.recover_button.setEnabled(True)
        self.use_recovered.setEnabled(self.recovered is not None)

    def _failed(self, exc: BaseException, text: str | None = None) -> None:
        self._idle()
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(text or words.problem_of(exc))
