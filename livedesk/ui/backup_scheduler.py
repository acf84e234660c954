"""The app's automatic backups and its integrity check at the door, on the worker thread.

On opening: ``quick_check`` first (a damaged store goes to the recovery screen: ``damaged``),
then the daily copy if none is younger than a day. While the app runs: every 30 minutes a
backup if the store changed (its file stamp differs from the newest verified backup's).
On closing, ``app.run_app`` makes the last one. Failures are logged and shown in the status
bar in words; they never stop the app.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from livedesk.services import backups
from livedesk.services.store import Store, quick_check
from livedesk.ui import backup_labels as words
from livedesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

INTERVAL_MS = 30 * 60 * 1000


class BackupScheduler(QObject):
    damaged = Signal(list)  # quick_check's findings
    sound = Signal()  # the check passed (or there is no file to check): writing may begin
    made = Signal(object)  # a BackupInfo
    failed = Signal(str)  # words for the status bar

    def __init__(self, store: Store, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.tasks = store, tasks
        self.found_damage = False
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.backup_if_changed)

    def start(self) -> None:
        if self.store.path is None:
            self.sound.emit()
            return
        self.tasks.submit(quick_check, self.store.path, on_done=self._checked, on_error=self._error)

    def _checked(self, problems: list[str]) -> None:
        if problems:
            log.error("store %s failed quick_check: %s", self.store.path, problems[:5])
            self.found_damage = True
            self.damaged.emit(problems)
            return
        self.sound.emit()
        self.tasks.submit(backups.backup_if_older_than, self.store.path, on_done=self._done, on_error=self._error)
        self.timer.start()

    def backup_if_changed(self) -> None:
        if self.store.path is not None and not self.found_damage:
            self.tasks.submit(backups.backup_if_changed, self.store.path, "auto", on_done=self._done,
                              on_error=self._error)

    def _done(self, info: backups.BackupInfo | None) -> None:
        if info is not None:
            self.made.emit(info)

    def _error(self, exc: BaseException) -> None:
        log.warning("automatic backup failed: %s", exc)
        self.failed.emit(words.problem_of(exc))

    def stop(self) -> None:
        self.timer.stop()
