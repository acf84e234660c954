"""The 直播 page, the assistant's console while on air: find anyone in a keystroke,
push them to the host's panel, log a quick note, mark them greeted, run the broadcast."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import broadcasts, customers
from livedesk.services.broadcasts import BroadcastView
from livedesk.services.panel import panel_card
from livedesk.services.lookup import Distinguisher, distinguishers
from livedesk.services.search_index import Hit
from livedesk.ui.empty_hint import EmptyHint
from livedesk.ui.errors import describe
from livedesk.ui.errors import feed_error as describe_feed_error
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.feed_controller import ARRIVAL_ROLE, CUSTOMER_ROLE, FeedController
from livedesk.ui.loyalty.redeem_dialog import redeem_button
from livedesk.ui.manual_task_dialog import add_manual_task
from livedesk.ui.panel_card_view import PanelCardView
from livedesk.ui.recorder_claim import RecorderClaim
from livedesk.ui.room_questions import QuestionsSection
from livedesk.ui.run_of_show_bar import RunOfShowBar
from livedesk.ui.search_controller import SearchController
from livedesk.ui.toast import Toast

FEED_FORMATS = (  # code, default target shown as a hint
    ("barragegrab", "ws://127.0.0.1:8888"),
    ("douyinlive", "ws://127.0.0.1:1088/ws/<room_id>"),
    ("dycast", "127.0.0.1:8899"),  # the ws:// address with its secret shows in the feed status
    ("replay", ""),  # the shipped demo broadcast unless a file is given
)
# What the capture tools call themselves; a recorded file is a rehearsal.
FEED_NAMES = {"barragegrab": "BarrageGrab", "douyinlive": "douyinLive", "dycast": "dycast"}

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class HitListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hits: list[Hit] = []
        self.query = ""  # what these hits answer
        self.extra: dict[int, Distinguisher] = {}  # handle, phone tail, city, last order: filled in after
        self.zone = None  # the shop's clock

    def set_hits(self, query: str, hits: list[Hit]) -> None:
        self.beginResetModel()
        self.query = query
        self.hits = hits
        self.extra = {}
        self.endResetModel()

    def set_extra(self, extra: dict[int, Distinguisher]) -> None:
        self.extra = extra
        if self.hits:
            self.dataChanged.emit(self.index(0), self.index(len(self.hits) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            parts = [hit.nickname, labels.tier(hit.tier)]
            if hit.level != "none":
                parts.append(labels.level(hit.level))
            parts.append(labels.money(hit.total_spent_fen))
            line = "  ·  ".join(parts)
            found = self.extra.get(hit.id)
            # The second line tells look-alikes apart: eight 清风徐来ya are eight people.
            return f"{line}\n{labels.tell_apart(found, self.zone)}" if found else line
        if role == Qt.ItemDataRole.ToolTipRole:
            found = self.extra.get(hit.id)
            return f"{hit.nickname}\n{labels.tell_apart(found, self.zone)}" if found else hit.nickname
        if role == Qt.ItemDataRole.ForegroundRole and hit.tier == "vip":
            return QColor("#9a6b00")
        if role == ID_ROLE:
            return hit.id
        return None


class StartBroadcastDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Start a broadcast"))
        form = QFormLayout(self)
        self.title_edit = QLineEdit(self)
        self.platform = QComboBox(self)
        for code in broadcasts.PLATFORMS:
            self.platform.addItem(labels.platform(code), code)
        self.room = QLineEdit(self)
        form.addRow(self.tr("Title"), self.title_edit)
        form.addRow(self.tr("Platform"), self.platform)
        form.addRow(self.tr("Room id"), self.room)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class LivePage(QWidget):
    push_to_panel = Signal(int)
    greeted = Signal(int)  # a customer just marked greeted: the host panel updates at once
    report_requested = Signal(object)  # a broadcast id, or None for the latest: the main window opens the report

    def __init__(self, ctx: AppContext, search: SearchController, feeds: FeedController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.search_controller = search
        self.feeds = feeds
        self.broadcast: BroadcastView | None = None
        self._query_seq = 0

        self.status = QLabel(self)
        self.start_button = QPushButton(self.tr("Start broadcast…"), self)
        self.end_button = QPushButton(self.tr("End broadcast"), self)
        self.report_button = QPushButton(self.tr("Broadcast report…"), self)
        self.start_button.clicked.connect(self._ask_start)
        self.end_button.clicked.connect(self._end)
        self.report_button.clicked.connect(lambda: self.open_report(None))
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.start_button)
        bar.addWidget(self.end_button)
        bar.addWidget(self.report_button)

        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText(self.tr("Nickname, pinyin, initials, handle or phone tail…"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setStyleSheet("font-size: 20px; padding: 8px;")
        self.search_box.textChanged.connect(self._query_changed)
        self.search_box.returnPressed.connect(self.push_selected)
        self.search_box.installEventFilter(self)

        self.results = HitListModel(self)
        self.results_view = QListView(self)
        self.results_view.setModel(self.results)
        self.results_view.setStyleSheet("font-size: 16px;")
        self.results.zone = ctx.shop_zone()
        # Long names are cut with "…", never a sideways scroll bar at 1366 px.
        self.results_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results_view.setSpacing(2)
        self.results_hint = EmptyHint(self.results_view, self.tr("Type a nickname, pinyin, handle or phone tail"))
        self.results_view.selectionModel().currentChanged.connect(self._selection_changed)
        self.results_view.doubleClicked.connect(lambda _index: self.push_selected())

        self.preview = PanelCardView(self, scale=0.7)
        self.preview.show_waiting(self.tr("Pick someone to see what the host will see"))

        self.note_box = QLineEdit(self)
        self.note_box.setPlaceholderText(self.tr("Quick note on the selected customer (Ctrl+N), Enter to save"))
        self.note_box.returnPressed.connect(self.save_quick_note)
        self.push_button = QPushButton(self.tr("Push to host panel (Enter)"), self)
        self.push_button.clicked.connect(self.push_selected)
        self.greet_button = QPushButton(self.tr("Greeted (Ctrl+G)"), self)
        self.greet_button.clicked.connect(self.mark_greeted)
        self.task_button = QPushButton(self.tr("Follow up later…"), self)
        self.task_button.setToolTip(self.tr("A follow-up task for the selected customer, for after the stream"))
        self.task_button.clicked.connect(lambda: add_manual_task(self.ctx, self.selected_id(), self))
        self.redeem_button = redeem_button(ctx, self.selected_id, self)
        self.feedback = Toast(self)

        self.feed_format = QComboBox(self)
        for code, _hint in FEED_FORMATS:
            self.feed_format.addItem(self._feed_name(code), code)
        self.feed_target = QLineEdit(self)
        self.feed_format.currentIndexChanged.connect(lambda _i: self._feed_hint())
        self._feed_hint()
        self.feed_button = QPushButton(self.tr("Connect feed"), self)
        self.feed_button.clicked.connect(self._toggle_feed)
        self.feed_status = QLabel(self.tr("No live feed connected"), self)
        self.feed_status.setWordWrap(True)
        self.feed_status.setStyleSheet("color: #555;")
        self.recorder = RecorderClaim(self)  # which computer records this broadcast's feed
        feed_bar = QHBoxLayout()
        feed_bar.addWidget(QLabel(self.tr("Live feed"), self))
        feed_bar.addWidget(self.feed_format)
        feed_bar.addWidget(self.feed_target, 1)
        feed_bar.addWidget(self.feed_button)

        self.arrivals_view = QListView(self)
        self.arrivals_view.setModel(feeds.arrivals)
        self.arrivals_view.setStyleSheet("font-size: 14px;")
        self.arrivals_view.activated.connect(self._arrival_activated)
        self.arrivals_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.arrivals_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.arrivals_hint = EmptyHint(self.arrivals_view, self.tr(
            "Viewers who arrive or comment appear here once the live feed is connected"))
        self.link_button = QPushButton(self.tr("This viewer is the selected customer"), self)
        self.link_button.setToolTip(self.tr("Pick a new or uncertain viewer on the left and the customer in the "
                                            "search results, then link them: next time they are recognised."))
        self.link_button.clicked.connect(self.link_selected_viewer)
        arrivals_box = QVBoxLayout()
        arrivals_box.addWidget(QLabel(self.tr("Just arrived or commented"), self))
        arrivals_box.addWidget(self.arrivals_view, 1)
        arrivals_box.addWidget(self.link_button)
        self.questions = QuestionsSection(feeds, self)  # what viewers ask now, who asks (services/room)
        self.run_of_show = RunOfShowBar(ctx, feeds, self)
        found_box = QVBoxLayout()
        found_box.addWidget(self.results_view, 1)
        found_box.addWidget(self.questions, 1)

        middle = QHBoxLayout()
        middle.addLayout(arrivals_box, 4)
        middle.addLayout(found_box, 4)
        middle.addWidget(self.preview, 4)
        actions = QHBoxLayout()
        actions.addWidget(self.note_box, 1)
        actions.addWidget(self.push_button)
        actions.addWidget(self.greet_button)
        actions.addWidget(self.task_button)
        actions.addWidget(self.redeem_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addLayout(feed_bar)
        layout.addWidget(self.feed_status)
        layout.addWidget(self.recorder)
        layout.addWidget(self.run_of_show)
        layout.addWidget(self.search_box)
        layout.addLayout(middle, 1)
        layout.addLayout(actions)

        self.arrivals_view.selectionModel().currentChanged.connect(lambda *_a: self._enable())
        self.results.modelReset.connect(self._enable)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.note_box.setFocus)
        QShortcut(QKeySequence("Ctrl+G"), self, activated=self.mark_greeted)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search_box.setFocus)
        self._enable()
        search.ready.connect(self._index_ready)
        feeds.statuses.connect(self._show_feed_status)
        feeds.failed.connect(lambda message: self._say(message, error=True))
        feeds.complaint_recorded.connect(lambda _cid, nickname: self._say(
            self.tr("Complaint from %1: noted, call-back task created (24 h)").replace("%1", nickname), error=True))
        ctx.changes.changed.connect(self._room_changed)
        self._debounce = QTimer(self, singleShot=True, interval=0)
        self._debounce.timeout.connect(self._run_query)
        self._preview_timer = QTimer(self, singleShot=True, interval=30)
        self._preview_timer.timeout.connect(self._show_preview)
        self.refresh_broadcast()

    # -- search ----------------------------------------------------------
    def _index_ready(self) -> None:
        self._say(self.tr("Search index ready: %n customers", "", len(self.search_controller.index)))
        if self.search_box.text():
            self._run_query()

    def _query_changed(self, _text: str) -> None:
        self._debounce.start()

    def _run_query(self) -> None:
        self._query_seq += 1
        seq = self._query_seq
        query = self.search_box.text()

        def show(hits: list[Hit]) -> None:
            if seq == self._query_seq:  # a slower answer to an older query is dropped
                self.results.set_hits(query, hits)
                self.results_hint.set_hint(self.tr("No one found: try the pinyin initials or the phone tail")
                                           if query.strip() else
                                           self.tr("Type a nickname, pinyin, handle or phone tail"))
                if hits:
                    self.results_view.setCurrentIndex(self.results.index(0))
                    self.ctx.tasks.submit(self._distinguishers, [h.id for h in hits],
                                          on_done=lambda extra: seq == self._query_seq and self.results.set_extra(extra))
                else:
                    self.preview.show_waiting(self.tr("No one found"))

        self.search_controller.search(query, show)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the search box walk the results, so hands never leave the keyboard.
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.rowCount():
                row = self.results_view.currentIndex().row()
                row = min(self.results.rowCount() - 1, row + 1) if key == Qt.Key.Key_Down else max(0, row - 1)
                self.results_view.setCurrentIndex(self.results.index(row))
                return True
        return super().eventFilter(watched, event)

    def _distinguishers(self, ids: list[int]) -> dict[int, Distinguisher]:
        with self.ctx.store.read() as session:
            return distinguishers(session, ids)

    def selected_id(self) -> int | None:
        index = self.results_view.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def _enable(self) -> None:
        """What needs a selected customer (or viewer) is greyed until there is one."""
        chosen = self.selected_id() is not None
        for widget in (self.push_button, self.task_button, self.note_box):
            widget.setEnabled(chosen)
        self.greet_button.setEnabled(chosen and self.broadcast is not None)
        self.link_button.setEnabled(chosen and self.arrivals_view.currentIndex().isValid())

    def _selection_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._enable()
        if current.isValid():
            # After the results are painted: the preview's queries must not delay a keystroke.
            self._preview_timer.start()

    def _show_preview(self) -> None:
        customer_id = self.selected_id()
        if customer_id is None:
            return
        with self.ctx.store.read() as session:
            card = panel_card(session, customer_id, language=self.ctx.language,
                              broadcast_id=self.broadcast.id if self.broadcast else None)
        self.preview.show_card(card)

    # -- actions -----------------------------------------------------------
    def push_selected(self) -> None:
        customer_id = self.selected_id()
        if customer_id is not None:
            self.push_to_panel.emit(customer_id)
            self._say(self.tr("Sent to the host panel"))

    def save_quick_note(self) -> None:
        customer_id = self.selected_id()
        text = self.note_box.text().strip()
        if customer_id is None or not text:
            return
        broadcast_id = self.broadcast.id if self.broadcast else None

        def saved(_note_id: int) -> None:
            self.note_box.clear()
            self._say(self.tr("Note saved"))
            self.search_box.setFocus()

        self.ctx.tasks.submit(self._add_note, customer_id, text, broadcast_id, on_done=saved,
                              on_error=self._show_error)

    def _add_note(self, customer_id: int, text: str, broadcast_id: int | None) -> int:
        with self.ctx.store.write() as session:
            return customers.add_note(session, customer_id, text, broadcast_id=broadcast_id)

    def mark_greeted(self) -> None:
        customer_id = self.selected_id()
        if customer_id is None:
            return
        if self.broadcast is None:
            self._say(self.tr("Start a broadcast to record greetings"), error=True)
            return
        broadcast_id = self.broadcast.id

        def greet() -> None:
            with self.ctx.store.write() as session:
                broadcasts.mark_greeted(session, broadcast_id, customer_id)

        def done(_result: object) -> None:
            self._say(self.tr("Marked as greeted"))
            self.greeted.emit(customer_id)
            self._show_preview()

        self.ctx.tasks.submit(greet, on_done=done, on_error=self._show_error)

    # -- live feed -------------------------------------------------------------
    def _feed_name(self, code: str) -> str:
        return FEED_NAMES.get(code) or self.tr("Rehearsal (recorded broadcast)")

    def _feed_hint(self) -> None:
        hint = self.feed_format.currentData() and dict(FEED_FORMATS)[self.feed_format.currentData()]
        self.feed_target.setPlaceholderText(hint or self.tr("the demo broadcast, or a recorded .jsonl file"))

    def disconnect_feed(self) -> None:
        self.feeds.stop_soon()
        self.feed_button.setText(self.tr("Connect feed"))

    def _toggle_feed(self) -> None:
        if self.feeds.sources or self.feeds.recording is not None:
            self.disconnect_feed()
            return
        if self.recorder.claiming:
            return
        fmt = self.feed_format.currentData()
        target = self.feed_target.text().strip()
        port = None
        if fmt == "dycast" and target:
            host, _, port_text = target.rpartition(":")
            port = int(port_text) if port_text.isdigit() else None
            target = host or "127.0.0.1"
        if fmt == "replay" and not target:
            from livedesk.resources_path import resource_path

            target = str(resource_path("feeds", "demo_broadcast.jsonl"))

        def start() -> None:
            self.feeds.start(fmt, target or None, port=port)
            self.feed_button.setText(self.tr("Disconnect"))

        if self.broadcast is None:
            start()  # a rehearsal: nothing is recorded, so nobody else needs to know
        else:
            self.recorder.record_then(start)

    def _show_feed_status(self, statuses: list) -> None:
        if not statuses:
            self.feed_status.setText(self.tr("No live feed connected"))
            return
        lines = []
        for st in statuses:
            # The tool's name and where it is, never a format code or a path on this computer.
            where = "" if st.name == "replay" else f" ({st.endpoint})"
            line = (self.tr("%1%2: %3 · %4 events").replace("%1", self._feed_name(st.name)).replace("%2", where)
                    .replace("%3", self._state_words(st.state)).replace("%4", f"{st.events:,}"))
            if st.events_per_s:
                line += " · " + self.tr("%1 a second").replace("%1", f"{st.events_per_s:g}")
            trouble = [(st.frames_skipped, self.tr("%1 unreadable")), (st.dropped, self.tr("%1 dropped")),
                       (st.reconnects, self.tr("%1 reconnects"))]
            line += "".join(" · " + words.replace("%1", f"{n:,}") for n, words in trouble if n)
            if st.last_error_code and st.state != "connected":
                line += " — " + describe_feed_error(st.last_error_code)
            lines.append(line)
        lines += [self._health_words(w) for w in self.feeds.health_warnings()]
        self.feed_status.setText("\n".join(lines))

    def _health_words(self, warning) -> str:
        """A capture-health warning (services/room/health.py) in words."""
        if warning.code == "type_stopped":
            kind = {"viewer_entered": self.tr("entry"), "comment": self.tr("comment"), "gift": self.tr("gift"),
                    "like": self.tr("like")}.get(warning.kind or "", warning.kind or "")
            return (self.tr("⚠ %1: no “%2” events for %3 minutes while others arrive: the capture tool may be "
                            "missing them").replace("%1", warning.source).replace("%2", kind)
                    .replace("%3", f"{warning.value:g}"))
        if warning.code == "sampled":
            text = self.tr("⚠ %1: far fewer entries than the room's online count suggests (%2 per minute per "
                           "viewer): the capture looks sampled").replace("%2", f"{warning.value:.2%}")
        else:
            text = self.tr("%1: %2 anonymous or masked viewers (never matched to a customer)").replace(
                "%2", f"{warning.value:g}")
        return text.replace("%1", warning.source)

    def _state_words(self, state: str) -> str:
        return {
            "idle": self.tr("idle"), "connecting": self.tr("connecting"), "connected": self.tr("connected"),
            "listening": self.tr("listening"), "retrying": self.tr("retrying"), "finished": self.tr("finished"),
            "failed": self.tr("failed"), "stopped": self.tr("stopped"),
        }.get(state, state)

    def _arrival_activated(self, index: QModelIndex) -> None:
        customer_id = index.data(CUSTOMER_ROLE)
        arrival = index.data(ARRIVAL_ROLE)
        if customer_id is not None and arrival.certain:
            self.push_to_panel.emit(customer_id)
            self._say(self.tr("Sent to the host panel"))
        elif arrival is not None:
            self.search_box.setText(arrival.nickname)  # look them up, then link

    def link_selected_viewer(self) -> None:
        index = self.arrivals_view.currentIndex()
        customer_id = self.selected_id()
        if not index.isValid() or customer_id is None:
            self._say(self.tr("Pick a viewer on the left and a customer in the search results"), error=True)
            return
        arrival = index.data(ARRIVAL_ROLE)
        self.feeds.link(arrival, customer_id,
                        on_done=lambda known: self._say(self.tr("Linked: %1 will be recognised from now on")
                                                        .replace("%1", known.nickname)),
                        on_error=self._show_error)

    # -- broadcast -----------------------------------------------------------
    def _room_changed(self, change_set: Any) -> None:
        """Whatever machine it came from: broadcasts started, ended or taken over, arrivals,
        greetings (the preview drops its "not greeted yet")."""
        self.feeds.apply_changes(change_set)
        # Not on "appearances": the recorder writes them every few seconds, and nothing here
        # shows them; re-reading the broadcast for each would flush and write again.
        if change_set.touches_any("broadcasts"):
            self.refresh_broadcast()
        shown = self.preview.card.customer_id if self.preview.card is not None else None
        if shown is not None and any(e.get("customer_id") == shown for e in change_set.events_of("greeted")):
            self._show_preview()

    def refresh_broadcast(self) -> None:
        with self.ctx.store.read() as session:
            self.broadcast = broadcasts.current(session)
            recorder = broadcasts.recorder(session, self.broadcast.id) if self.broadcast else None
        self.feeds.set_broadcast(self.broadcast.id if self.broadcast else None)
        self.feeds.check_recorder(recorder, self.broadcast.id if self.broadcast else None)
        self.recorder.show_recorder(recorder)
        if (self.broadcast is not None and self.feeds.sources and self.feeds.recording is None
                and not self.recorder.claiming):
            self.recorder.record_then(lambda: None)  # started on air while a rehearsal feed ran: record it now
        self.run_of_show.set_broadcast(self.feeds.broadcast_id)
        live = self.broadcast is not None
        self.start_button.setEnabled(not live)
        self.end_button.setEnabled(live)
        self._enable()
        if live:
            self.status.setText(self.tr("On air: %1 (%2), since %3")
                                .replace("%1", self.broadcast.title)
                                .replace("%2", labels.platform(self.broadcast.platform))
                                .replace("%3", self.ctx.local(self.broadcast.started_at).strftime("%H:%M")))
            self.status.setStyleSheet("color: #c62828; font-weight: 600; font-size: 15px;")
        else:
            self.status.setText(self.tr("Not on air"))
            self.status.setStyleSheet("color: #555; font-size: 15px;")

    def _ask_start(self) -> None:
        dialog = StartBroadcastDialog(self)
        dialog.accepted.connect(lambda: self._start(dialog.title_edit.text(), dialog.platform.currentData(),
                                                    dialog.room.text()))
        dialog.open()  # not exec(): the qasync loop keeps running

    def _start(self, title: str, platform: str, room: str) -> None:
        def start() -> BroadcastView:
            with self.ctx.store.write() as session:
                return broadcasts.start(session, title, platform, room)

        self.ctx.tasks.submit(start, on_done=lambda _b: self.refresh_broadcast(), on_error=self._show_error)

    def _end(self) -> None:
        if self.broadcast is None:
            return
        broadcast_id = self.broadcast.id

        def end() -> broadcasts.BroadcastSummary:
            with self.ctx.store.write() as session:
                broadcasts.end(session, broadcast_id)
                return broadcasts.summary(session, broadcast_id)

        def ended(result: broadcasts.BroadcastSummary) -> None:
            self.disconnect_feed()  # the capture tool's feed belongs to the broadcast that just ended
            self.refresh_broadcast()
            self._show_summary(result)
            self.open_report(broadcast_id)

        self.ctx.tasks.submit(end, on_done=ended, on_error=self._show_error)

    def _show_summary(self, result: broadcasts.BroadcastSummary) -> None:
        missed = "、".join(p.nickname for p in result.not_greeted_vips[:20]) or self.tr("none")
        new = "、".join(result.new_viewers[:20]) or self.tr("none")
        text = (self.tr("Known customers present: %1").replace("%1", str(len(result.known))) + "\n"
                + self.tr("VIPs present: %1").replace("%1", str(len(result.vips))) + "\n"
                + self.tr("VIPs not greeted: %1").replace("%1", missed) + "\n"
                + self.tr("Notes logged: %1").replace("%1", str(result.notes_logged)) + "\n"
                + self.tr("New viewers to look at: %1").replace("%1", new))
        if result.sales is not None:
            sold = result.sales
            text += "\n" + (self.tr("Sold: %1 orders, %2; buyers not known yet: %3 orders; conversion %4")
                             .replace("%1", f"{sold.orders:,}").replace("%2", labels.money(sold.gmv_fen))
                             .replace("%3", f"{sold.unknown_buyer_orders:,}").replace("%4", f"{sold.conversion:.1%}"))
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Broadcast summary"), text,
                          QMessageBox.StandardButton.Ok, self)
        box.open()
        self.last_summary = result

    def open_report(self, broadcast_id: int | None) -> None:
        """The report (直播复盘 tab, beside this console): this broadcast, or the latest one."""
        self.report_requested.emit(broadcast_id)

    def _show_error(self, exc: BaseException) -> None:
        self._say(describe(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.feedback.say(text, error=error)

    # What the console's parts (the recorder line) tell the user through it.
    say, show_error = _say, _show_error
