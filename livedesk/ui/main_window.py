"""The main window: navigation between the team's pages, menus, and the host panel."""

from __future__ import annotations

from collections.abc import Callable

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
from livedesk.services import changes
from livedesk.ui.errors import describe
from livedesk.ui.context import AppContext
from livedesk.ui.host_panel import HostPanel
from livedesk.ui.room_questions import QuestionsSection

NAV_STYLE = """
QListWidget#Nav { background: #1f2430; color: #d7dae0; border: none; font-size: 15px; outline: 0; }
QListWidget#Nav::item { padding: 12px 18px; }
QListWidget#Nav::item:selected { background: #2d3545; color: #ffffff; border-left: 3px solid #ff5a5f; }
"""


PAGES = ("customers", "live", "followups", "vip", "dashboard", "import", "settings", "backups")


class MainWindow(QMainWindow):
    shown = Signal()
    closed = Signal()

    def __init__(self, ctx: AppContext, *, remember_state: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self._remember_state = remember_state
        self.restart_requested = False  # a restore replaced the store: the app opens it afresh
        # Run by the app after this window closed and the store was closed (encrypting it), before a restart.
        self.with_store_closed: Callable[[], None] | None = None
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
        # A lost server: the worker keeps what was being saved and tries again, the change feed
        # reconnects; one label says so while either of them waits (``_lost``).
        self.reconnecting = QLabel(self.tr("Reconnecting…"), self)
        self.reconnecting.setStyleSheet("color: #b42318; font-weight: bold; padding: 0 8px;")
        self.reconnecting.hide()
        self.statusBar().addPermanentWidget(self.reconnecting)
        self._lost: set[str] = set()
        self.ctx.tasks.connection_changed.connect(self._on_tasks_connection)
        self.member_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.member_label)
        self.statusBar().addPermanentWidget(QLabel(self._store_label(), self))
        self._show_member()
        self.settings_page.team_box.signed_in.connect(lambda _actor: self._show_member())
        self._restore_geometry()
        self.nav.setCurrentRow(0)
        ctx.changes.changed.connect(self._on_changes)
        ctx.changes.connection.connect(self._on_connection)

    def _build_pages(self) -> None:
        from livedesk.ui.backups_page import BackupsPage
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
        self.customers_page.erased.connect(self.forget_customer)
        self.live_page = LivePage(self.ctx, self.search, self.feeds, self)
        self.live_page.push_to_panel.connect(self.push_to_panel)
        self.settings_page = SettingsPage(self.ctx, self)
        self.import_page = ImportPage(self.ctx, self)
        self.backups_page = BackupsPage(self.ctx, self)
        self.backups_page.restore_done.connect(self._restart_after_restore)
        # New tiers move people in the list and in search ranking.
        self.settings_page.saved.connect(self.customers_page.reload)
        self.settings_page.saved.connect(self.search.rebuild)
        self.followups_page = FollowupsPage(self.ctx, self)
        self.vip_page = VipPage(self.ctx, self)
        self.dashboard_page = DashboardPage(self.ctx, self)
        self._refresh_from_changes()
        pages: list[tuple[str, QWidget]] = [
            (self.tr("Customers"), self.customers_page),
            (self.tr("Live"), self._live_tabs(self.live_page)),
            (self.tr("Follow-ups"), self._followups_tabs(self.followups_page)),
            (self.tr("VIP sessions"), self.vip_page),
            (self.tr("Dashboard"), self.dashboard_page),
            (self.tr("Import"), self.import_page),
            (self.tr("Settings"), self.settings_page),
            (self.tr("Backups"), self.backups_page),
        ]
        for title, page in pages:
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(140, 44))
            self.nav.addItem(item)
            self.pages.addWidget(page)

    def _refresh_from_changes(self) -> None:
        # A bound method, not lambdas: Qt disconnects it when the window is deleted, so a
        # later write to the same store does not reach pages that are gone.
        self.ctx.changes.changed.connect(self._refresh_pages)

    def _refresh_pages(self, c) -> None:
        """Each page refreshes what a change set touches, whoever made it and wherever.

        (The customer page and list follow change sets themselves: they refresh row by row.)"""
        if c.touches_any("customers", "platform_accounts"):
            self.search.rebuild()
        if c.touches_any("followup_tasks", "survey_responses"):
            self.followups_page.reload()
        # (The live page follows broadcasts, arrivals and greetings itself: live_page._room_changed.)
        if c.touches_any("invitations", "private_sessions"):
            self.vip_page.reload()
        if c.touches_any("import_batches"):
            self.import_page.reload_batches()
        if c.touches_any("orders", "customers", "followup_tasks", "survey_responses") and self.dashboard_page.isVisible():
            self.dashboard_page.reload()

    def _live_tabs(self, console: QWidget) -> QTabWidget:
        """直播: the console for the stream, and the reports of past broadcasts (直播复盘), built when
        first opened (it reads ten reports)."""
        tabs = QTabWidget(self)
        tabs.setDocumentMode(True)
        tabs.addTab(console, self.tr("Console"))
        tabs.addTab(QWidget(tabs), self.tr("Broadcast reports"))
        self.live_tabs = tabs
        self.report_page = None
        tabs.currentChanged.connect(lambda index: index == 1 and self.show_report(None, build_only=True))
        self.live_page.report_requested.connect(self.show_report)
        return tabs

    def show_report(self, broadcast_id: int | None, *, build_only: bool = False) -> None:
        """The 直播复盘 tab on this broadcast (None: the latest)."""
        from livedesk.ui.broadcast_report import BroadcastReportPage

        tabs = self.live_tabs
        if self.report_page is None:
            self.report_page = BroadcastReportPage(self.ctx, broadcast_id, tabs)
            stand_in = tabs.widget(1)
            tabs.blockSignals(True)
            tabs.removeTab(1)
            stand_in.deleteLater()
            tabs.insertTab(1, self.report_page, self.tr("Broadcast reports"))
            tabs.blockSignals(False)
        elif not build_only:
            self.report_page.show_broadcast(broadcast_id)
        self.nav.setCurrentRow(PAGES.index("live"))
        tabs.setCurrentIndex(1)

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

    def _show_member(self) -> None:
        actor = self.ctx.store.actor
        self.member_label.setText(self.tr("Signed in: %1").replace("%1", actor.name) if actor else
                                  self.tr("Not signed in: choose who you are in Settings › Team") if self._has_team() else "")

    def _has_team(self) -> bool:
        from livedesk.services import team

        with self.ctx.store.read() as session:
            return bool(team.members(session))

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
            self.host_panel.add_section(QuestionsSection(self.feeds, host=True, rows=6))
        self.host_panel.show()
        self.host_panel.raise_()
        return self.host_panel

    def forget_customer(self, customer_id: int) -> None:
        """An erased customer leaves every in-memory copy: search, the live feed's matcher and
        queue, the host panel."""
        self.search.forget(customer_id)
        self.feeds.forget(customer_id)
        if self.host_panel is not None:
            self.host_panel.forget(customer_id)

    def push_to_panel(self, customer_id: int) -> None:
        """Show the card here and on every other machine's open host panel (the host's PC)."""
        from livedesk.services import live_room

        live = self.live_page.broadcast
        broadcast_id = live.id if live else None
        # The write first: it goes out on the worker while this window draws its own copy.
        self.ctx.tasks.submit(lambda: self.ctx.store.apply(live_room.push, customer_id, broadcast_id,
                                                           actor=self.ctx.actor),
                              on_error=lambda exc: self.statusBar().showMessage(
                                  self.tr("The card was not sent to the other screens: %1").replace("%1", describe(exc)),
                                  8000))
        self._show_on_panel(self.open_host_panel(), customer_id)

    def _show_on_panel(self, panel: HostPanel, customer_id: int) -> None:
        from livedesk.services.panel import panel_card

        live = self.live_page.broadcast
        try:
            with self.ctx.store.read() as session:
                card = panel_card(session, customer_id, language=self.ctx.language,
                                  broadcast_id=live.id if live else None)
        except LookupError:  # merged away or erased since it was pushed
            return
        panel.show_card(card)

    def _on_changes(self, change_set) -> None:
        panel = self.host_panel
        if panel is None or not panel.isVisible():
            return
        shown = panel.shown_customer()
        # A greeting marked on any screen, this one too: the card on air drops "not greeted yet".
        if shown is not None and any(e.get("customer_id") == shown for e in change_set.events_of("greeted")):
            self._show_on_panel(panel, shown)
        if change_set.origin == self.ctx.store.origin:
            return  # pushed from here: already shown
        pushes = change_set.events_of("push")
        if pushes:
            self._show_on_panel(panel, pushes[-1]["customer_id"])

    def _on_connection(self, state: str) -> None:
        self._set_lost("feed", state == "reconnecting")

    def _on_tasks_connection(self, ok: bool) -> None:
        self._set_lost("tasks", not ok)

    def read_lost(self) -> None:
        """A read on this thread met a lost server: say so, wait on the worker (which retries
        until the server answers), then re-read every page, since what it missed is unknown."""
        if "read" in self._lost:
            return
        self._set_lost("read", True)

        def back(_result: object) -> None:
            self._set_lost("read", False)
            self.ctx.changes.changed.emit(changes.everything())

        self.ctx.tasks.submit(self.ctx.store.ping, on_done=back,
                              on_error=lambda _exc: self._set_lost("read", False))

    def _set_lost(self, who: str, lost: bool) -> None:
        """``who`` ("tasks": the worker; "feed": the change feed; "read": a page's read) lost or
        found the server again."""
        if lost:
            self._lost.add(who)
        else:
            self._lost.discard(who)
        self.reconnecting.setVisible(bool(self._lost))

    def backup_now(self) -> None:
        if self.ctx.store.path is None:
            # A server store: a portable dump on this computer (the server's own backups are pg_dump's).
            from livedesk.services.store_transfer import backup_to_dump

            self.statusBar().showMessage(self.tr("Backing up…"))
            self.ctx.tasks.submit(
                backup_to_dump, self.ctx.store,
                on_done=lambda path: self.statusBar().showMessage(
                    self.tr("Backed up to %1").replace("%1", str(path)), 8000),
                on_error=lambda exc: QMessageBox.warning(self, self.windowTitle(), str(exc)),
            )
            return
        self.show_page("backups")
        self.backups_page.back_up_now()

    def _restart_after_restore(self, _safety: str) -> None:
        QMessageBox.information(self, self.windowTitle(), self.tr(
            "The backup is restored. LiveDesk now restarts to open it."))
        self.restart_requested = True
        self.close()

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
        self.feeds.release_now()  # another computer may record this broadcast at once
        self.search.shutdown()
        super().closeEvent(event)
        self.closed.emit()
