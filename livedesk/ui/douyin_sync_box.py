"""The 导入 page's 抖店 sync: the app key and secret (kept in the OS keyring), the shop's
authorisation of a tool app (工具型: the authorisation page, then the code it gives), a sync
now with progress, and a sync every half hour while LiveDesk is open.

services/sync does the work on this box's own thread (a slow platform must not hold up
the pages' reads); this box only shows it and words the platform's refusals.
"""

from __future__ import annotations

import getpass
import secrets
import threading
from typing import Any

from PySide6.QtCore import QSettings, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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
from livedesk.services.sync import credentials, douyin_auth
from livedesk.services.sync.douyin_api import GATEWAY
from livedesk.ui.context import AppContext
from livedesk.ui.douyin_words import DouyinWords
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
        self.words = DouyinWords(self)
        self.open_url = QDesktopServices.openUrl  # tests replace it: no browser
        self.app_type = QComboBox(self)
        self.app_type.addItem(self.tr("Self-built app (自用型)"), douyin_auth.SELF_BUILT)
        self.app_type.addItem(self.tr("Tool app (工具型)"), douyin_auth.TOOL)
        self.app_type.currentIndexChanged.connect(lambda _i: self._show_app_type())
        self.shop_id = QLineEdit(self)
        self.shop_id.setPlaceholderText(self.tr("Shop id"))
        self.service_id = QLineEdit(self)
        self.service_id.setPlaceholderText(self.tr("Service id (服务市场)"))
        self.keep_button = QPushButton(self.tr("Keep"), self)
        self.keep_button.clicked.connect(self.keep_credentials)
        self.authorise_button = QPushButton(self.tr("Open the authorisation page"), self)
        self.authorise_button.clicked.connect(self.open_authorisation)
        self.auth_code = QLineEdit(self)
        self.auth_code.setPlaceholderText(self.tr("Then paste the code (or the whole address) 抖店 gives"))
        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.connect_button.clicked.connect(self.connect_shop)
        self.sync_button = QPushButton(self.tr("Sync now"), self)
        self.sync_button.clicked.connect(self.sync_now)
        self.auto = QCheckBox(self.tr("Every 30 minutes while LiveDesk is open"), self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)

        keys = QHBoxLayout()
        for w, stretch in ((self.app_type, 0), (self.app_key, 2), (self.app_secret, 3), (self.shop_id, 1),
                           (self.service_id, 1), (self.keep_button, 0)):
            keys.addWidget(w, stretch)
        self.authorisation = QWidget(self)
        authorise = QHBoxLayout(self.authorisation)
        authorise.setContentsMargins(0, 0, 0, 0)
        authorise.addWidget(self.authorise_button)
        authorise.addWidget(self.auth_code, 1)
        authorise.addWidget(self.connect_button)
        run = QHBoxLayout()
        run.addWidget(self.sync_button)
        run.addWidget(self.auto)
        run.addWidget(self.progress, 3)
        run.addStretch(1)  # the buttons keep their size while no progress is shown
        layout = QVBoxLayout(self)
        layout.addLayout(keys)
        layout.addWidget(self.authorisation)
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
            kind = settings.get(session, "sync.douyin.app_type")
            service = settings.get(session, "sync.douyin.service_id") or ""
        self.app_type.setCurrentIndex(max(0, self.app_type.findData(kind)))
        self.shop_id.setText(shop)
        self.service_id.setText(service)
        self._show_app_type()
        if shop:
            self.app_secret.setPlaceholderText(self.tr("Kept in the system's keychain"))
            self._say(self.tr("Ready to sync shop %1.").replace("%1", shop))
        elif kind == douyin_auth.TOOL and service:
            self.app_secret.setPlaceholderText(self.tr("Kept in the system's keychain"))
            self._say(self.tr("Now let the shop authorise LiveDesk: open the authorisation page, then paste "
                              "the code."))
        else:
            self._say(self.tr("Enter the app key and secret of the shop's 抖店 app, and the shop id (a self-built "
                              "app) or the service id (a tool app)."))

    def _tool(self) -> bool:
        return self.app_type.currentData() == douyin_auth.TOOL

    def _show_app_type(self) -> None:
        tool = self._tool()
        self.shop_id.setVisible(not tool)
        self.service_id.setVisible(tool)
        self.authorisation.setVisible(tool)

    def keep_credentials(self) -> None:
        key, secret = self.app_key.text().strip(), self.app_secret.text().strip()
        shop, service, tool = self.shop_id.text().strip(), self.service_id.text().strip(), self._tool()
        if not (key and secret and (service if tool else shop)):
            self._say(self.tr("The app key, the app secret and the service id are all needed.") if tool else
                      self.tr("The app key, the app secret and the shop id are all needed."), error=True)
            return
        try:
            credentials.save("douyin", credentials.AppCredentials(key, secret))
        except credentials.CredentialsError:
            self._say(self._no_keyring(), error=True)
            return
        with self.ctx.store.write() as session:
            settings.set_value(session, "sync.douyin.app_type", self.app_type.currentData())
            if tool:
                settings.set_value(session, "sync.douyin.service_id", service)
            else:
                settings.set_value(session, "sync.douyin.shop_id", shop)
        self.app_secret.clear()
        self.app_secret.setPlaceholderText(self.tr("Kept in the system's keychain"))
        if tool:
            self._say(self.tr("Kept. Now let the shop authorise LiveDesk: open the authorisation page, then paste "
                              "the code."))
        else:
            self._say(self.tr("Kept. The secret is in the system's keychain, not in LiveDesk's data."))

    # -- a tool app's authorisation --------------------------------------------------------------
    def open_authorisation(self) -> None:
        service = self.service_id.text().strip()
        if not service:
            self._say(self.tr("Enter the tool app's service id first."), error=True)
            return
        self.open_url(QUrl(douyin_auth.authorize_url(service, secrets.token_urlsafe(8))))
        self._say(self.tr("The shop's owner authorises LiveDesk in the browser; 抖店 then shows a code (or "
                          "opens an address with code=…): paste it here within 10 minutes."))

    def connect_shop(self) -> None:
        code = self.auth_code.text().strip()
        if not code or self.runner.busy():
            return
        gateway = self.gateway

        def run() -> Any:
            from livedesk.services.sync.douyin_api import DouyinApi

            return douyin_auth.exchange_code(DouyinApi(credentials.load("douyin"), "", gateway), code,
                                             credentials.KeyringTokens("douyin"))

        def done(tokens: Any) -> None:
            with self.ctx.store.write() as session:
                settings.set_value(session, "sync.douyin.app_type", douyin_auth.TOOL)
                settings.set_value(session, "sync.douyin.shop_id", tokens.shop_id)
            self.auth_code.clear()
            self.shop_id.setText(tokens.shop_id)
            self._idle()
            self._say(self.tr("Connected: shop %1 %2 authorised LiveDesk. The tokens are in the system's keychain.")
                      .replace("%1", tokens.shop_id).replace("%2", tokens.shop_name))

        self.connect_button.setEnabled(False)
        self._say(self.tr("Asking 抖店 for the shop's tokens…"))
        self.runner.submit(run, on_done=done, on_error=self._failed)

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
        shop, kind = self.shop_id.text().strip(), self.app_type.currentData()
        gateway = self.gateway
        self._cancel.clear()

        def run() -> Any:
            from livedesk.services.sync.douyin import sync_orders

            api = douyin_auth.connection(kind, shop, gateway)
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
            text = self.words.refusal(exc.kind) + " " + self.tr("Nothing was written.")
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
        self.connect_button.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "color: #555;")

    def shutdown(self) -> None:
        self._cancel.set()
        self.timer.stop()
        self.runner.shutdown()
