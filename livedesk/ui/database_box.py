"""设置 › 数据库: which store this machine uses, and the team server's address.

Shows the current store (this computer's file or a server), a URL field with a
"test connection" button (tried on a thread of its own, so a server that does not answer
never freezes the window nor holds up the store's worker), and saving, which takes effect
at the next start (the open store is not swapped under the pages' feet).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from livedesk.services import store_location
from livedesk.ui.context import AppContext


class DatabaseBox(QGroupBox):
    tested = Signal(object)  # a store_location.ConnectionCheck, delivered on the UI thread

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Database"), parent)
        self.ctx = ctx
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future[Any]] = set()
        form = QFormLayout(self)
        self.current = QLabel(self._current_words(), self)
        self.current.setWordWrap(True)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("In use now"), self.current)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("postgresql://user:password@192.168.1.20:5432/livedesk")
        self.url.setText(store_location.saved_url() or "")
        form.addRow(self.tr("Team server address"), self.url)
        hint = QLabel(self.tr("Leave it empty to keep the store in a file on this computer. "
                              "A change takes effect when LiveDesk starts again."), self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        form.addRow(hint)
        self.test_button = QPushButton(self.tr("Test connection"), self)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.test_button.clicked.connect(self.test)
        self.save_button.clicked.connect(self.save)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.save_button)
        row.addWidget(self.feedback, 1)
        form.addRow(row)
        self.tested.connect(self._show_check, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(lambda *_: self._shutdown())

    def _current_words(self) -> str:
        store = self.ctx.store
        if store.path is not None:
            return self.tr("This computer's file: %1").replace("%1", str(store.path))
        url = store.engine.url
        return self.tr("Team server %1, database %2, as %3").replace("%1", f"{url.host}:{url.port or 5432}") \
            .replace("%2", str(url.database)).replace("%3", str(url.username or ""))

    def test(self) -> None:
        url = self.url.text().strip()
        if not url:
            self.feedback.setText(self.tr("Type the server's address first"))
            return
        self.test_button.setEnabled(False)
        self.feedback.setText(self.tr("Connecting…"))
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livedesk-dbtest")
        future = self._executor.submit(store_location.test_connection, url)
        self._pending.add(future)

        def report(f: Future[Any]) -> None:  # on the test thread: hand over through the signal
            self._pending.discard(f)
            try:
                self.tested.emit(f.result())
            except RuntimeError:  # the box was closed meanwhile
                pass

        future.add_done_callback(report)

    def _show_check(self, check: store_location.ConnectionCheck) -> None:
        self.test_button.setEnabled(True)
        self.feedback.setText(self.describe(check))
        self.feedback.setToolTip(check.detail)

    def describe(self, check: store_location.ConnectionCheck) -> str:
        if check.ok:
            if check.schema is None:
                return self.tr("Connected (PostgreSQL %1). The database is empty: LiveDesk sets it up "
                               "at the next start.").replace("%1", check.server_version.split(" ")[0])
            return self.tr("Connected (PostgreSQL %1), a LiveDesk store is there.") \
                .replace("%1", check.server_version.split(" ")[0])
        words = {
            "bad_url": self.tr("The address is not understood. It looks like "
                               "postgresql://user:password@host:5432/database"),
            "unsupported": self.tr("Only PostgreSQL servers (postgresql://…) can be a team store"),
            "driver_missing": self.tr("This LiveDesk lacks its PostgreSQL driver: reinstall LiveDesk"),
            "unreachable": self.tr("The server does not answer: check the address and port, that it is running "
                                   "and that this computer is on the same network"),
            "auth": self.tr("The server refused the user name or password"),
            "no_database": self.tr("The server has no database of that name: ask whoever set it up, "
                                   "or create it (see docs/team.md)"),
        }
        return words.get(check.code, self.tr("Could not connect: %1").replace("%1", check.detail))

    def save(self) -> None:
        url = self.url.text().strip()
        if url and not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            self.feedback.setText(self.describe(store_location.ConnectionCheck(False, "unsupported")))
            return
        store_location.save_url(url or None)
        self.feedback.setText(self.tr("Saved: LiveDesk uses the team server from its next start") if url
                              else self.tr("Saved: LiveDesk uses this computer's file from its next start"))

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
