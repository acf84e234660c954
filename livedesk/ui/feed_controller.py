"""Runs live comment feeds inside the Qt loop (qasync) and hands the UI what it needs.

Sources are asyncio tasks on the UI thread's loop; they never block it. A 50 ms timer
drains their buffers into the arrivals model (known viewers who just entered,
commented or gifted), a 1 s timer publishes each source's status, and every few
seconds the appearance tallies are written for the live broadcast on the worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from livedesk.services.feeds.events import Kind
from livedesk.services.feeds.formats import listener_secret, open_source
from livedesk.services.feeds.matching import KnownCustomer, ViewerIndex, link_viewer
from livedesk.services.feeds.recording import AppearanceTally, record_appearances
from livedesk.services.feeds.source import FeedConfigError, FeedSource, FeedStatus, MatchedEvent
from livedesk.services import points
from livedesk.services.store import Store
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
DRAIN_MS = 50
STATUS_MS = 1000
RECORD_MS = 5000
ARRIVALS_KEPT = 40
SHOWN_KINDS = (Kind.VIEWER_ENTERED, Kind.COMMENT, Kind.GIFT, Kind.FOLLOW, Kind.SHARE)
POINT_KINDS = {Kind.COMMENT: "comment", Kind.SHARE: "share", Kind.GIFT: "gift"}  # feed event -> points rule
CUSTOMER_ROLE = Qt.ItemDataRole.UserRole + 1
ARRIVAL_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass
class Arrival:
    """The latest thing one viewer did, with who we think they are."""

    customer: KnownCustomer | None
    how: str | None  # uid | handle | possible | None
    platform: str
    uid: str | None
    handle: str | None
    nickname: str
    kind: str
    content: str | None
    at: float  # perf_counter when the frame was read

    @property
    def certain(self) -> bool:
        return self.how in ("uid", "handle")


class ArrivalsModel(QAbstractListModel):
    """Who just came in or spoke: certain VIPs first, then the most recent. Shared by the
    console and the host panel, so both show the same queue."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.arrivals: list[Arrival] = []

    def add(self, batch: list[Arrival]) -> None:
        keyed = {self._key(a): a for a in self.arrivals}
        for arrival in batch:
            keyed[self._key(arrival)] = arrival  # a viewer appears once, with what they did last
        ordered = sorted(keyed.values(), key=lambda a: (not (a.certain and a.customer and a.customer.vip), -a.at))
        self.beginResetModel()
        self.arrivals = ordered[:ARRIVALS_KEPT]
        self.endResetModel()

    def forget(self, customer_id: int) -> None:
        """An erased customer leaves the queue."""
        kept = [a for a in self.arrivals if a.customer is None or a.customer.id != customer_id]
        if len(kept) != len(self.arrivals):
            self.beginResetModel()
            self.arrivals = kept
            self.endResetModel()

    @staticmethod
    def _key(arrival: Arrival) -> str:
        return f"{arrival.platform}:{arrival.uid or arrival.handle or arrival.nickname}"

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.arrivals)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.arrivals[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            action = {
                Kind.VIEWER_ENTERED: self.tr("entered"), Kind.COMMENT: self.tr("said: %1").replace("%1", a.content or ""),
                Kind.GIFT: self.tr("sent a gift"), Kind.FOLLOW: self.tr("followed"), Kind.SHARE: self.tr("shared"),
            }.get(a.kind, a.kind)
            if a.customer is None:
                return " · ".join([a.nickname, self.tr("new viewer"), action])
            who = a.customer.nickname if a.certain else self.tr("maybe %1").replace("%1", a.customer.nickname)
            parts = [who, labels.tier(a.customer.tier)]
            if a.customer.level != "none":
                parts.append(labels.level(a.customer.level))
            return " · ".join([*parts, action])
        if role == Qt.ItemDataRole.ForegroundRole:
            if a.customer is None:
                return QColor("#888")
            return QColor("#b8860b") if a.certain and a.customer.vip else None
        if role == CUSTOMER_ROLE:
            return a.customer.id if a.customer is not None else None
        if role == ARRIVAL_ROLE:
            return a
        return None


class FeedController(QObject):
    statuses = Signal(list)  # list[FeedStatus]
    failed = Signal(str)
    arrived = Signal(int)  # how many arrivals were just added

    def __init__(self, store: Store, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = tasks
        self.arrivals = ArrivalsModel(self)
        self.sources: list[FeedSource] = []
        self.index: ViewerIndex | None = None
        self.listener_secret: str | None = None  # dycast's path, read with the index
        self.broadcast_id: int | None = None
        self.latencies_ms: list[float] = []  # frame read -> in the model; the console shows the last
        self._tally = AppearanceTally()
        self._interactions: list[tuple[int, str, str, Any]] = []  # customer, kind, ref, at: growth points
        self._drain = QTimer(self, interval=DRAIN_MS, timeout=self._drain_buffers)
        self._status = QTimer(self, interval=STATUS_MS, timeout=self._publish_status)
        self._record = QTimer(self, interval=RECORD_MS, timeout=self.flush_appearances)

    # -- sources ----------------------------------------------------------------------
    def start(self, fmt: str, target: str | None, *, speed: float = 1.0, port: int | None = None) -> None:
        """Load the viewer index on the worker (first time), then start the source on the loop."""
        def go(index: ViewerIndex) -> None:
            self.index = index
            try:
                source = open_source(fmt, target or None, index=index, speed=speed, port=port,
                                     secret=self.listener_secret)
            except FeedConfigError as exc:
                self.failed.emit(describe(exc))
                return
            source.add_listener(self._tally.add)
            source.add_listener(self._note_interaction)
            self.sources.append(source)
            source.start()
            for timer in (self._drain, self._status, self._record):
                timer.start()
            self._publish_status()

        if self.index is not None:
            go(self.index)
        else:
            self.tasks.submit(self._load_index, on_done=go, on_error=lambda exc: self.failed.emit(describe(exc)))

    def forget(self, customer_id: int) -> None:
        """A customer was erased: not matched, queued, recorded or awarded points any more."""
        if self.index is not None:
            self.index.forget(customer_id)
        self.arrivals.forget(customer_id)
        self._tally.forget(customer_id)
        self._interactions = [i for i in self._interactions if i[0] != customer_id]

    def _load_index(self) -> ViewerIndex:
        with self.store.write() as session:
            self.listener_secret = listener_secret(session)
            return ViewerIndex.load(session)

    async def stop_all(self) -> None:
        sources, self.sources = self.sources, []
        await asyncio.gather(*(s.stop() for s in sources), return_exceptions=True)
        self._drain_buffers()
        self.flush_appearances()
        for timer in (self._drain, self._status, self._record):
            timer.stop()
        self.statuses.emit([s.status() for s in sources])

    def reload_index(self) -> None:
        def swap(index: ViewerIndex) -> None:
            self.index = index
            for source in self.sources:
                source.index = index

        self.tasks.submit(self._load_index, on_done=swap)

    # -- events -----------------------------------------------------------------------
    def _drain_buffers(self) -> None:
        batch: list[Arrival] = []
        now = time.perf_counter()
        for source in self.sources:
            for item in source.buffer.take(1000):
                arrival = self._arrival(item)
                if arrival is not None:
                    batch.append(arrival)
                    self.latencies_ms.append((now - item.arrived) * 1000)
        del self.latencies_ms[:-2000]
        if batch:
            self.arrivals.add(batch)
            self.arrived.emit(len(batch))

    @staticmethod
    def _arrival(item: MatchedEvent) -> Arrival | None:
        event, match = item.event, item.match
        if event.kind not in SHOWN_KINDS or event.viewer is None:
            return None
        viewer = event.viewer
        return Arrival(match.customer, match.how, event.platform, viewer.uid, viewer.display_id or viewer.short_id,
                       viewer.nickname or viewer.display_id or "?", str(event.kind), event.content, item.arrived)

    def _publish_status(self) -> None:
        self.statuses.emit([s.status() for s in self.sources])

    def _note_interaction(self, item: MatchedEvent) -> None:
        kind = POINT_KINDS.get(item.event.kind)
        if kind is None or not item.match.certain or item.match.customer is None:
            return  # a nickname guess earns nobody points
        event = item.event
        ref = f"{event.platform}:{event.msg_id}" if event.msg_id else f"{event.platform}:{event.received_at.isoformat()}"
        self._interactions.append((item.match.customer.id, kind, ref, event.received_at))

    def flush_appearances(self) -> None:
        """Write what was seen since the last flush: appearances for the live broadcast, and
        growth points for comments, shares and gifts (capped per day by the points rules)."""
        tallies = self._tally.take()
        interactions, self._interactions = self._interactions, []
        broadcast_id = self.broadcast_id
        if not interactions and (not tallies or broadcast_id is None):
            return

        def write() -> None:
            with self.store.write() as session:
                if tallies and broadcast_id is not None:
                    record_appearances(session, broadcast_id, tallies)
                points.award_interactions(session, interactions)

        self.tasks.submit(write, on_error=lambda exc: log.error("could not record the feed: %s", exc))

    # -- "this is 王姐" ----------------------------------------------------------------
    def link(self, arrival: Arrival, customer_id: int, on_done=None, on_error=None) -> None:
        def write() -> KnownCustomer:
            with self.store.write() as session:
                return link_viewer(session, customer_id, arrival.platform, arrival.uid, arrival.handle,
                                   arrival.nickname)

        def learned(known: KnownCustomer) -> None:
            if self.index is not None:
                self.index.learn(known, arrival.platform, arrival.uid, arrival.handle, arrival.nickname)
            arrival.customer, arrival.how = known, "uid" if arrival.uid else "handle"
            self.arrivals.add([arrival])
            if on_done:
                on_done(known)

        self.tasks.submit(write, on_done=learned, on_error=on_error)

