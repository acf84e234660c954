"""The 导入 page's 抖店 sync: the app key and secret (kept in the OS keyring), a sync now with
progress, and a sync every half hour while LiveDesk is open.

services/sync does the work on this box's own thread (a slow platform must not hold up
the pages' reads); this box only shows it and words the platform's refusals.
"""

from __future__ import annotations

import getpass
import threading
from typing import Any

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import settings
from livedesk.services.sync import credentials
from livedesk.services.sync.douyin_api import GATEWAY
from livedesk.ui.context import AppContext
from livedesk.ui.tasks import TaskRunner

AUTO_SYNC_MS = 30 * 60 * 1000
AUTO_KEY = "sync/douyin_auto"


class DouyinSyncBox(QGroupBox):
    progressed = Signal(int, object, str)  # done, total, phase: emitted from the sync thread
    synced = Signal()  # orders may have arrived: the page reloads its list of imports

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.gateway = GATEWAY  # tests point it at a local stand-in
        self.runner = TaskRunner(self)
        self._cancel = threading.Event()
        self.setTitle(self.tr("抖店 order sync (open platform)"))

        self.app_key = QLineEdit(self)
        self.app_key.setPlaceholderText(self.tr("App key"))
        self.app_secret = QLineEdit(self)
        self.app_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.app_secret.setPlaceholderText(self.tr("App secret (kept in the system's keychain)"))
        self.shop_id = QLineEdit(self)
        self.shop_id.setPlaceholderText(self.tr("Shop id"))
        self.keep_button = QPushButton(self.tr("Keep"), self)
        self.keep_button.clicked.connect(self.keep_credentials)
        self.sync_button = QPushButton(self.tr("Sync now"), self)
        self.sync_button.clicked.connect(self.sync_now)
        self.auto = QCheckBox(self.tr("Every 30 minutes while LiveDesk is open"), self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)

        keys = QHBoxLayout()
        for w, stretch in ((self.app_key, 2), (self.app_secret, 3), (self.shop_id, 1), (self.keep_button, 0)):
            keys.addWidget(w, stretch)
        run = QHBoxLayout()
        run.addWidget(self.sync_button)
        run.addWidget(self.auto)
        run.addWidget(self.progress, 3)
        run.addStretch(1)  # the buttons keep their size while no progress is shown
        layout = QVBoxLayout(self)
        layout.addLayout(keys)
        layout.addLayout(run)
        layout.addWidget(self.status)

        self.timer = QTimer(self)
        self.timer.setInterval(AUTO_SYNC_MS)
        self.timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.auto.setChecked(QSettings().value(AUTO_KEY, False, type=bool))
        self.auto.toggled.connect(self._auto_toggled)
        self._auto_toggled(self.auto.isChecked())
        self.progressed.connect(self._show_progress)
        self._show_kept()

    # -- credentials ---------------------------------------------------------------------------
    def _show_kept(self) -> None:
        """What is set up, from the store alone: the keychain is read only when a sync runs
        (reading it may ask the user to unlock it; not when the page opens)."""
        with self.ctx.store.read() as session:
            shop = settings.get(session, "sync.douyin.shop_id") or ""
        self.shop_id.setText(shop)
        if shop:
            self.app_secret.setPlaceholderText(self.tr("Kept in the system's keychain"))
            self._say(self.tr("Ready to sync shop %1.").replace("%1", shop))
        else:
            self._say(self.tr("Enter the app key and secret of the shop's 抖店 app (自用型), and the shop id."))

    def keep_credentials(self) -> None:
        key, secret, shop = self.app_key.text().strip(), self.app_secret.text().strip(), self.shop_id.text().strip()
        if not (key and secret and shop):
            self._say(self.tr("The app key, the app secret and the shop id are all needed."), error=True)
            return
        try:
            credentials.save("douyin", credentials.AppCredentials(key, secret))
        except credentials.CredentialsError:
            self._say(self._no_keyring(), error=True)
            return
        with self.ctx.store.write() as session:
            settings.set_value(session, "sync.douyin.shop_id", shop)
        self.app_secret.clear()
        self.app_secret.setPlaceholderText(self.tr("Kept in the system's keychain"))
        self._say(self.tr("Kept. The secret is in the system's keychain, not in LiveDesk's data."))

    def _no_keyring(self) -> str:
        return self.tr("This computer has no keychain LiveDesk can use, so the secret cannot be kept safely.")

    # -- syncing -------------------------------------------------------------------------------
    def _auto_toggled(self, on: bool) -> None:
        QSettings().setValue(AUTO_KEY, on)
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def sync_now(self, quiet: bool = False) -> None:
        if self.runner.busy():
            return
        shop = self.shop_id.text().strip()
        gateway = self.gateway
        self._cancel.clear()

        def run() -> Any:
            from livedesk.services.sync.douyin import sync_orders
            from livedesk.services.sync.douyin_api import DouyinApi

            api = DouyinApi(credentials.load("douyin"), shop, gateway)
            return sync_orders(self.ctx.store.write_factory, api, actor=getpass.getuser(),
                               progress=lambda done, total, phase: self.progressed.emit(done, total, phase),
                               cancel=self._cancel)

        self.sync_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        if not quiet:
            self._say(self.tr("Asking 抖店 for the orders changed since the last sync…"))
        self.runner.submit(run, on_done=self._done, on_error=self._failed)

    def _show_progress(self, done: int, total: Any, phase: str) -> None:
        if phase == "fetch" and total:
            self.progress.setRange(0, int(total))
            self.progress.setValue(done)
            self._say(self.tr("Reading page %1 of %2…").replace("%1", str(done)).replace("%2", str(total)))
        elif phase != "fetch":
            self.progress.setRange(0, 0)
            self._say(self.tr("Importing the orders…"))

    def _done(self, summary: Any) -> None:
        self._idle()
        text = (self.tr("Synced: %1 orders changed on 抖店; %2 new, %3 updated, %4 unchanged.")
                .replace("%1", f"{summary.orders_fetched:,}").replace("%2", f"{summary.orders_created:,}")
                .replace("%3", f"{summary.orders_updated:,}").replace("%4", f"{summary.orders_unchanged:,}"))
        if summary.orders_without_buyer:
            text += " " + self.tr("%1 wait for their buyer (Customers › Tools).").replace(
                "%1", f"{summary.orders_without_buyer:,}")
        self._say(text)
        self.synced.emit()

    def _failed(self, exc: BaseException) -> None:
        from livedesk.services.importing import ImportCancelled
        from livedesk.services.sync.douyin import SyncError
        from livedesk.services.sync.douyin_api import DouyinApiError

        self._idle()
        if isinstance(exc, credentials.CredentialsError):
            text = self._no_keyring() if exc.code == "no_keyring" else self.tr(
                "Enter the app key and secret first.")
        elif isinstance(exc, DouyinApiError):
            text = {
                "signature": self.tr("抖店 refused the signature: the app secret does not belong to this app key."),
                "rate_limited": self.tr("抖店 asks to slow down (rate limit): try again in a few minutes."),
                "ip_whitelist": self.tr("抖店 refused this computer's address: add it to the app's IP whitelist "
                                        "in the 抖店 open platform."),
                "token": self.tr("抖店 no longer accepts this app's authorisation: authorise it again."),
                "credentials": self.tr("抖店 does not know this app key, or the shop has not authorised the app."),
                "permission": self.tr("This app may not read orders: ask for the order permission in the "
                                      "抖店 open platform."),
                "service": self.tr("抖店 is not answering properly right now: try again later."),
                "network": self.tr("抖店 could not be reached, or the connection kept dropping: check the "
                                   "internet connection and try again."),
            }.get(exc.kind, self.tr("抖店 refused the request."))
            text += " " + self.tr("Nothing was written.")
        elif isinstance(exc, SyncError):
            text = self.tr("Some of 抖店's orders could not be read, so nothing was written.")
        elif isinstance(exc, ImportCancelled):
            text = self.tr("Cancelled: nothing was written.")
        else:
            text = self.tr("Something went wrong; the log has the details.")
        self._say(text, error=True)

    def _idle(self) -> None:
        self.progress.hide()
        self.sync_button.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "color: #555;")

    def shutdown(self) -> None:
        self._cancel.set()
        self.timer.stop()
        self.runner.shutdown()
