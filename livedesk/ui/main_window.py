"""The main window: navigation between the team's pages, menus, and the host panel."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QHBoxLayout,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from livedesk import __version__
from livedesk.ui.context import AppContext
from livedesk.ui.host_panel import HostPanel

NAV_STYLE = """
QListWidget#Nav { background: #1f2430; color: #d7dae0; border: none; font-size: 15px; outline: 0; }
QListWidget#Nav::item { padding: 12px 18px; }
QListWidget#Nav::item:selected { background: #2d3545; color: #ffffff; border-left: 3px solid #ff5a5f; }
"""


PAGES = ("customers", "live", "followups", "vip", "dashboard", "import", "settings")


class MainWindow(QMainWindow):
    shown = Signal()
    closed = Signal()

    def __init__(self, ctx: AppContext, *, remember_state: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self._remember_state = remember_state
        self.setWindowTitle(self.tr("LiveDesk — live-stream customer desk"))
        self.host_panel: HostPanel | None = None

        self.nav = QListWidget(self)
        self.nav.setObjectName("Nav")
        self.nav.setStyleSheet(NAV_STYLE)
        self.nav.setFixedWidth(150)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget(self)
        self._build_pages()
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self._build_menus()
        # A lost server: the worker keeps what was being saved and tries again; this says so.
        self.reconnecting = QLabel(self.tr("Reconnecting…"), self)
        self.reconnecting.setStyleSheet("color: #b42318; font-weight: bold; padding: 0 8px;")
        self.reconnecting.hide()
        self.statusBar().addPermanentWidget(self.reconnecting)
        self.ctx.tasks.connection_changed.connect(lambda ok: self.reconnecting.setVisible(not ok))
        self.statusBar().addPermanentWidget(QLabel(self._store_label(), self))
        self._restore_geometry()
        self.nav.setCurrentRow(0)

    def _build_pages(self) -> None:
        from livedesk.ui.customers_page import CustomersPage
        from livedesk.ui.dashboard_page import DashboardPage
        from livedesk.ui.followups_page import FollowupsPage
        from livedesk.ui.import_page import ImportPage
        from livedesk.ui.live_page import LivePage
        from livedesk.ui.settings_page import SettingsPage
        from livedesk.ui.vip_page import VipPage
        from livedesk.ui.search_controller import SearchController

        from livedesk.ui.feed_controller import FeedController

        self.search = SearchController(self.ctx.store, self.ctx.tasks, self)
        self.feeds = FeedController(self.ctx.store, self.ctx.tasks, self)
        self.customers_page = CustomersPage(self.ctx, self)
        self.customers_page.push_to_panel.connect(self.push_to_panel)
        self.live_page = LivePage(self.ctx, self.search, self.feeds, self)
        self.live_page.push_to_panel.connect(self.push_to_panel)
        self.settings_page = SettingsPage(self.ctx, self)
        self.import_page = ImportPage(self.ctx, self)
        # New tiers move people in the list and in search ranking.
        self.settings_page.saved.connect(self.customers_page.reload)
        self.settings_page.saved.connect(self.search.rebuild)
        pages: list[tuple[str, QWidget]] = [
            (self.tr("Customers"), self.customers_page),
            (self.tr("Live"), self.live_page),
            (self.tr("Follow-ups"), self._followups_tabs(FollowupsPage(self.ctx, self))),
            (self.tr("VIP sessions"), VipPage(self.ctx, self)),
            (self.tr("Dashboard"), DashboardPage(self.ctx, self)),
            (self.tr("Import"), self.import_page),
            (self.tr("Settings"), self.settings_page),
        ]
        for title, page in pages:
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(140, 44))
            self.nav.addItem(item)
            self.pages.addWidget(page)

    def _followups_tabs(self, queue: QWidget) -> QTabWidget:
        """跟进: today's queue, the messages it sends, and the script check before going live.

        The template and script tabs are built when first opened: they bring the word list.
        """
        from livedesk.ui.compliance_view import ScriptCheckPage
        from livedesk.ui.templates_page import TemplatesPage

        tabs = QTabWidget(self)
        tabs.setDocumentMode(True)
        tabs.addTab(queue, self.tr("Today's tasks"))
        builders = {1: lambda: TemplatesPage(self.ctx, tabs), 2: lambda: ScriptCheckPage(self.ctx, tabs)}
        for title in (self.tr("Message templates"), self.tr("Script check")):
            tabs.addTab(QWidget(tabs), title)

        def build(index: int) -> None:
            if index in builders:
                page = builders.pop(index)()
                title, stand_in = tabs.tabText(index), tabs.widget(index)
                tabs.blockSignals(True)
                tabs.removeTab(index)
                stand_in.deleteLater()
                tabs.insertTab(index, page, title)
                tabs.setCurrentIndex(index)
                tabs.blockSignals(False)

        tabs.currentChanged.connect(build)
        self.followups_tabs = tabs
        return tabs

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        backup = QAction(self.tr("Back up the store now"), self)
        backup.triggered.connect(self.backup_now)
        file_menu.addAction(backup)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu(self.tr("&View"))
        panel = QAction(self.tr("Host panel"), self)
        panel.setShortcut(QKeySequence("F9"))
        panel.triggered.connect(self.open_host_panel)
        view_menu.addAction(panel)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = QAction(self.tr("About LiveDesk"), self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _store_label(self) -> str:
        url = self.ctx.store.engine.url
        where = str(self.ctx.store.path) if self.ctx.store.path else f"{url.host}/{url.database}"
        return self.tr("Store: %1").replace("%1", where)

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(PAGES.index(name))

    # -- actions -------------------------------------------------------
    def open_host_panel(self) -> HostPanel:
        if self.host_panel is None:
            self.host_panel = HostPanel(self.feeds.arrivals, remember_state=self._remember_state)
            self.host_panel.bring_up.connect(self.push_to_panel)
        self.host_panel.show()
        self.host_panel.raise_()
        return self.host_panel

    def push_to_panel(self, customer_id: int) -> None:
        from livedesk.services.panel import panel_card

        panel = self.open_host_panel()
        live = self.live_page.broadcast
        with self.ctx.store.begin() as session:
            card = panel_card(session, customer_id, language=self.ctx.language,
                              broadcast_id=live.id if live else None)
        panel.show_card(card)

    def backup_now(self) -> None:
        from livedesk.services.store import backup_sqlite
        from livedesk.services.store_transfer import backup_to_dump

        self.statusBar().showMessage(self.tr("Backing up…"))
        # A server store: a portable dump on this computer (the server's own backups are pg_dump's).
        job, where = (backup_sqlite, self.ctx.store.path) if self.ctx.store.path else (backup_to_dump, self.ctx.store)
        self.ctx.tasks.submit(
            job, where,
            on_done=lambda path: self.statusBar().showMessage(self.tr("Backed up to %1").replace("%1", str(path)), 8000),
            on_error=lambda exc: QMessageBox.warning(self, self.windowTitle(), str(exc)),
        )

    def _about(self) -> None:
        QMessageBox.about(self, self.tr("About LiveDesk"),
                          self.tr("LiveDesk %1 — the customer desk for live-stream selling teams.")
                          .replace("%1", __version__))

    def _confirm_close_during_import(self) -> bool:
        answer = QMessageBox.question(self, self.windowTitle(), self.tr(
            "An import is still running. Closing cancels it and nothing of it is written. Close anyway?"))
        return answer == QMessageBox.StandardButton.Yes

    # -- window state --------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main_window/geometry") if self._remember_state else None
        if geometry is not None and self.restoreGeometry(geometry):
            return
        screen = self.screen().availableGeometry()
        self.resize(min(1360, int(screen.width() * 0.9)), min(860, int(screen.height() * 0.9)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.import_page.running() and not self._confirm_close_during_import():
            event.ignore()
            return
        if self._remember_state:
            QSettings().setValue("main_window/geometry", self.saveGeometry())
        if self.host_panel is not None:
            self.host_panel.close()
        self.search.shutdown()
        super().closeEvent(event)
        self.closed.emit()
