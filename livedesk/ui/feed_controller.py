"""Runs live comment feeds inside the Qt loop (qasync) and hands the UI what it needs.

Sources are asyncio tasks on the UI thread's loop; they never block it. A 50 ms timer
drains their buffers into the arrivals model (known viewers who just entered,
commented or gifted) and writes known customers' complaints at once, a 1 s timer
publishes each source's status and the room's questions (services/room), and every few
seconds the appearance tallies and the audience curve are written for the live broadcast
on the worker.

One machine records a broadcast's feed (``broadcasts.claim_recorder``); while it does, what
it matched goes to every other machine's queue in batches, at most every ``PUBLISH_MS``
(one small write on the worker, never one per event, never on the UI thread), and it beats
every few seconds so a crash is noticed. The other machines apply those batches, and
everyone's "greeted" marks, from the change sets (``apply_changes``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from livedesk.services.feeds.events import Kind
from livedesk.services.feeds.formats import listener_secret, open_source
from livedesk.services.feeds.intents import IntentTagger, tagger_for_shop
from livedesk.services.feeds.matching import KnownCustomer, ViewerIndex, link_viewer
from livedesk.services.feeds.recording import AppearanceTally, record_appearances
from livedesk.services.feeds.source import FeedConfigError, FeedSource, FeedStatus, MatchedEvent
from livedesk.services import broadcasts, live_room, points
from livedesk.services.room import audience, complaints
from livedesk.services.room.health import CaptureHealth
from livedesk.services.room.questions import RoomIntents, asker_profiles
from livedesk.services.room.run_of_show import ItemView
from livedesk.services.store import Store
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
DRAIN_MS = 50
STATUS_MS = 1000
RECORD_MS = 5000
PUBLISH_MS = 250  # other machines' queues lag the recorder's by at most this, plus the store's round trip
BEAT_MS = int(broadcasts.RECORDER_BEAT_S * 1000)
ARRIVALS_KEPT = live_room.ARRIVALS_PER_EVENT
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

    @property
    def key(self) -> str:
        """One viewer: a viewer appears once in the queue, with what they did last."""
        return f"{self.platform}:{self.uid or self.handle or self.nickname}"

    def rank(self) -> tuple[bool, float]:
        """The queue's order: certain VIPs first, then the most recent."""
        return (not (self.certain and self.customer is not None and self.customer.vip), -self.at)

    def payload(self) -> dict[str, Any]:
        """As it travels to the other machines (live_room.arrival_payload), aged by the wall clock."""
        c = self.customer
        return live_room.arrival_payload(
            customer_id=c.id if c else None, nickname=c.nickname if c else None, tier=c.tier if c else None,
            level=c.level if c else None, vip=bool(c and c.vip), how=self.how, platform=self.platform, uid=self.uid,
            handle=self.handle, name=self.nickname, kind=self.kind, text=self.content,
            at=time.time() - (time.perf_counter() - self.at))

    @classmethod
    def from_payload(cls, p: Mapping[str, Any]) -> Arrival:
        customer = (KnownCustomer(int(p["cid"]), p.get("nick") or p.get("name") or "?", p.get("tier") or "new",
                                  p.get("level") or "none", bool(p.get("vip"))) if p.get("cid") is not None else None)
        ago = max(0.0, time.time() - float(p.get("at") or time.time()))  # the recorder's clock, shared
        return cls(customer, p.get("how"), p.get("platform") or "", p.get("uid"), p.get("handle"),
                   p.get("name") or "?", p.get("kind") or "", p.get("text"), time.perf_counter() - ago)


class ArrivalsModel(QAbstractListModel):
    """Who just came in or spoke: certain VIPs first, then the most recent. Shared by the
    console and the host panel, so both show the same queue."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.arrivals: list[Arrival] = []
        self.greeted: set[int] = set()  # customers greeted in this broadcast, on any machine

    def add(self, batch: list[Arrival]) -> None:
        keyed = {a.key: a for a in self.arrivals}
        for arrival in batch:
            known = keyed.get(arrival.key)
            if known is None or arrival.at >= known.at:  # a late batch never undoes what came after it
                keyed[arrival.key] = arrival  # a viewer appears once, with what they did last
        ordered = sorted(keyed.values(), key=Arrival.rank)
        self.beginResetModel()
        self.arrivals = ordered[:ARRIVALS_KEPT]
        self.endResetModel()

    def set_greeted(self, customer_ids: set[int]) -> None:
        """Who was greeted in this broadcast (a new broadcast: nobody yet)."""
        if customer_ids != self.greeted:
            self.greeted = set(customer_ids)
            self._rows_changed()

    def mark_greeted(self, customer_id: int) -> None:
        if customer_id not in self.greeted:
            self.greeted.add(customer_id)
            self._rows_changed()

    def is_greeted(self, arrival: Arrival) -> bool:
        return arrival.customer is not None and arrival.customer.id in self.greeted

    def _rows_changed(self) -> None:
        if self.arrivals:
            self.dataChanged.emit(self.index(0), self.index(len(self.arrivals) - 1))

    def forget(self, customer_id: int) -> None:
        """An erased customer leaves the queue."""
        kept = [a for a in self.arrivals if a.customer is None or a.customer.id != customer_id]
        if len(kept) != len(self.arrivals):
            self.beginResetModel()
            self.arrivals = kept
            self.endResetModel()

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
            if a.customer.id in self.greeted:
                who = "✓ " + who  # in front: a long row is cut at its end
            parts = [who, labels.tier(a.customer.tier)]
            if a.customer.level != "none":
                parts.append(labels.level(a.customer.level))
            return " · ".join([*parts, action])
        if role == Qt.ItemDataRole.ForegroundRole:
            if a.customer is None:
                return QColor("#888")
            if a.customer.id in self.greeted:
                return QColor("#6b8f71")  # done: calmer than a VIP still waiting for their welcome
            return QColor("#b8860b") if a.certain and a.customer.vip else None
        if role == Qt.ItemDataRole.ToolTipRole and a.customer is not None and a.customer.id in self.greeted:
            return self.tr("Greeted in this broadcast")
        if role == CUSTOMER_ROLE:
            return a.customer.id if a.customer is not None else None
        if role == ARRIVAL_ROLE:
            return a
        return None


class FeedController(QObject):
    statuses = Signal(list)  # list[FeedStatus]
    failed = Signal(str)
    arrived = Signal(int)  # how many arrivals were just added
    complaint_recorded = Signal(int, str)  # customer id, nickname: note and call-back task written
    room_changed = Signal()  # questions, buyers or the waitlist moved (at most once a second)
    recorder_lost = Signal(object)  # broadcasts.RecorderView | None: another machine took over the recording

    def __init__(self, store: Store, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.tasks = tasks
        self.arrivals = ArrivalsModel(self)
        self.sources: list[FeedSource] = []
        self.index: ViewerIndex | None = None
        self.listener_secret: str | None = None  # dycast's path, read with the index
        self.tagger: IntentTagger | None = None  # the shop's intent word list, read with the index
        self.broadcast_id: int | None = None
        self.latencies_ms: list[float] = []  # frame read -> in the model; the console shows the last
        self._tally = AppearanceTally()
        self.room = RoomIntents()  # questions, buyers per product, restock waitlist, complaints
        self.audience = audience.AudienceTally()  # the per-minute curve and the intents to keep
        self.health = CaptureHealth()
        self.profiles: dict[int, str] = {}  # known askers' sizes / skin type, read on the worker
        self.on_air: ItemView | None = None  # the run-of-show item marked "now"
        self._room_version = -1
        self._interactions: list[tuple[int, str, str, Any]] = []  # customer, kind, ref, at: growth points
        self.recording: int | None = None  # the broadcast whose feed this process records (its claim)
        self._unpublished: dict[str, Arrival] = {}  # matched since the last batch went out, by viewer
        self._publishing = False  # one batch in flight at a time: a slow store never piles writes up
        self._last_write = 0.0  # monotonic: when this recorder last wrote (every write is a beat)
        self._drain = QTimer(self, interval=DRAIN_MS, timeout=self._drain_buffers)
        self._status = QTimer(self, interval=STATUS_MS, timeout=self._publish_status)
        self._record = QTimer(self, interval=RECORD_MS, timeout=self.flush_appearances)
        self._publish = QTimer(self, interval=PUBLISH_MS, timeout=self.publish_arrivals)
        self._beat = QTimer(self, interval=BEAT_MS, timeout=self._beat_if_quiet)

    # -- sources ----------------------------------------------------------------------
    def start(self, fmt: str, target: str | None, *, speed: float = 1.0, port: int | None = None) -> None:
        """Load the viewer index on the worker (first time), then start the source on the loop."""
        def go(index: ViewerIndex) -> None:
            self.index = index
            try:
                source = open_source(fmt, target or None, index=index, speed=speed, port=port,
                                     secret=self.listener_secret, tagger=self.tagger)
            except FeedConfigError as exc:
                self.failed.emit(describe(exc))
                return
            source.add_listener(self._tally.add)
            source.add_listener(self._note_interaction)
            for listener in (self.room.add, self.audience.add, self.health.add):
                source.add_listener(listener)
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
            self.tagger = tagger_for_shop(session)
            return ViewerIndex.load(session)

    async def stop_all(self, *, release: bool = True) -> None:
        """Stop every source, write what they saw, and (``release``) let another machine record."""
        sources, self.sources = self.sources, []
        await self._finish(sources, release)

    def stop_soon(self, *, release: bool = True) -> None:
        """``stop_all`` from a slot: the sources leave at once, so nothing stops them twice."""
        if not self.sources:
            self.stop_recording(release=release)
            return
        sources, self.sources = self.sources, []
        self._stopping = asyncio.ensure_future(self._finish(sources, release))  # a strong reference until done

    async def _finish(self, sources: list[FeedSource], release: bool) -> None:
        await asyncio.gather(*(s.stop() for s in sources), return_exceptions=True)
        self._drain_buffers()
        self.flush_appearances()
        self.publish_arrivals()
        for timer in (self._drain, self._status, self._record):
            timer.stop()
        self.stop_recording(release=release)
        self.statuses.emit([s.status() for s in sources])

    # -- the one recorder -------------------------------------------------------------
    def claim(self, broadcast_id: int, *, take_over: bool = False,
              on_done: Callable[[broadcasts.RecorderView | None], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> None:
        """Become the broadcast's recorder (on the worker); ``on_error`` gets ``RecorderTaken``
        when another machine records it. ``on_done`` gets the stale or displaced recorder, if any."""
        origin = self.store.origin
        member_id = getattr(self.store.actor, "member_id", None)

        def write() -> broadcasts.RecorderView | None:
            with self.store.write() as session:
                return broadcasts.claim_recorder(session, broadcast_id, origin, member_id, take_over=take_over)

        def claimed(previous: broadcasts.RecorderView | None) -> None:
            self.recording = broadcast_id
            self._last_write = time.monotonic()
            self._publish.start()
            self._beat.start()
            if on_done:
                on_done(previous)

        self.tasks.submit(write, on_done=claimed, on_error=on_error)

    def stop_recording(self, *, release: bool = True) -> None:
        """No more batches or beats; ``release`` the claim (not when it was taken from us)."""
        broadcast_id, self.recording = self.recording, None
        self._publish.stop()
        self._beat.stop()
        self._unpublished.clear()
        if broadcast_id is None or not release:
            return
        origin = self.store.origin

        def write() -> bool:
            with self.store.write() as session:
                return broadcasts.release_recorder(session, broadcast_id, origin)

        self.tasks.submit(write, on_error=lambda exc: log.error("could not release the recorder: %s", exc))

    def release_now(self) -> None:
        """The app closes: give the recording up at once (the worker is shutting down)."""
        broadcast_id, self.recording = self.recording, None
        self.stop_soon(release=False)  # first: a source still running would claim the broadcast again
        if broadcast_id is None:
            return
        try:
            with self.store.write() as session:
                broadcasts.release_recorder(session, broadcast_id, self.store.origin)
        except Exception:  # the claim goes stale by itself: another machine can still take over
            log.exception("could not release the recorder at close")

    def check_recorder(self, recorder: broadcasts.RecorderView | None, live_id: int | None) -> None:
        """The broadcast row changed: if this process recorded it and does not any more (taken
        over, or the broadcast ended), stop its sources without releasing anything."""
        if self.recording is None:
            return
        if live_id == self.recording and recorder is not None and recorder.origin == self.store.origin:
            return
        self.stop_recording(release=False)  # first: what the sources still hold is not published as ours
        self.stop_soon(release=False)
        self.recorder_lost.emit(recorder if live_id is not None else None)

    def publish_arrivals(self) -> None:
        """What was matched since the last batch, best first, to every other machine's queue."""
        if self._publishing or not self._unpublished or self.recording is None:
            return
        batch = [a.payload() for a in sorted(self._unpublished.values(), key=Arrival.rank)[:ARRIVALS_KEPT]]
        self._unpublished.clear()
        broadcast_id = self.recording
        self._publishing = True
        self._last_write = time.monotonic()

        def write() -> None:
            with self.store.write() as session:
                live_room.publish_arrivals(session, batch, broadcast_id)

        def done(_result: object = None) -> None:
            self._publishing = False

        def failed(exc: BaseException) -> None:
            self._publishing = False
            log.error("could not share the arrivals: %s", exc)

        self.tasks.submit(write, on_done=done, on_error=failed)

    def _beat_if_quiet(self) -> None:
        broadcast_id = self.recording
        if broadcast_id is None or time.monotonic() - self._last_write < broadcasts.RECORDER_BEAT_S * 0.8:
            return
        self._last_write = time.monotonic()

        def write() -> None:
            with self.store.write() as session:
                live_room.beat(session, broadcast_id)

        self.tasks.submit(write, on_error=lambda exc: log.warning("recorder beat not written: %s", exc))

    # -- the other machines' live room ---------------------------------------------------
    def apply_changes(self, change_set: Any) -> None:
        """Arrivals another machine recorded, and greeted marks from anywhere, into the queue.

        This process's own arrivals are already in it: its change sets are skipped."""
        for event in change_set.events_of("greeted"):
            if event.get("broadcast_id") == self.broadcast_id:
                self.arrivals.mark_greeted(int(event["customer_id"]))
        if change_set.origin == self.store.origin:
            return
        batch = [Arrival.from_payload(p) for e in change_set.events_of("arrivals")
                 if e.get("broadcast_id") == self.broadcast_id and self.broadcast_id is not None
                 for p in e.get("arrivals") or ()]
        if batch:
            self.arrivals.add(batch)
            self.arrived.emit(len(batch))

    def catch_up(self, broadcast_id: int) -> None:
        """Opened mid-broadcast on a machine that does not record: the queue so far, from the log."""
        def read() -> tuple[list[dict[str, Any]], set[int]]:
            with self.store.read() as session:
                return live_room.recent_arrivals(session, broadcast_id), broadcasts.greeted_ids(session, broadcast_id)

        def got(found: tuple[list[dict[str, Any]], set[int]]) -> None:
            payloads, greeted = found
            if self.broadcast_id != broadcast_id:
                return
            self.arrivals.set_greeted(greeted | self.arrivals.greeted)
            if payloads and self.recording is None:
                self.arrivals.add([Arrival.from_payload(p) for p in payloads])
                self.arrived.emit(len(payloads))

        self.tasks.submit(read, on_done=got, on_error=lambda exc: log.warning("no catch-up of arrivals: %s", exc))

    def reload_index(self) -> None:
        def swap(index: ViewerIndex) -> None:
            self.index = index
            for source in self.sources:
                source.index = index
                source.tagger = self.tagger  # the word list may have changed in 设置 too

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
            if self.recording is not None:
                for arrival in batch:
                    self._unpublished[arrival.key] = arrival
        if pending := self.room.take_complaints():
            self._record_complaints(pending)

    def _publish_room(self) -> None:
        """Tell the question views the room moved; fetch the profiles of askers not seen yet."""
        if self.room.version == self._room_version:
            return
        self._room_version = self.room.version
        new = {q.asker.customer_id for q in self.room.questions if q.asker.customer_id is not None} - set(self.profiles)
        if new:
            def read() -> dict[int, str]:
                with self.store.read() as session:
                    return asker_profiles(session, new)

            def got(profiles: dict[int, str]) -> None:
                self.profiles.update(profiles)
                self.room_changed.emit()

            self.profiles.update(dict.fromkeys(new, ""))  # asked once, even before the answer
            self.tasks.submit(read, on_done=got)
        self.room_changed.emit()

    def set_broadcast(self, broadcast_id: int | None) -> None:
        """What is seen from now on belongs to ``broadcast_id``; a new broadcast starts a fresh room."""
        if broadcast_id != self.broadcast_id:
            self.flush_appearances()  # what was seen so far belongs to the broadcast it was seen in
            self.room.clear()
            self.arrivals.set_greeted(set())
            self.broadcast_id = broadcast_id
            if broadcast_id is not None:
                self.catch_up(broadcast_id)

    def health_warnings(self) -> list:
        """Capture health of the sources now (services/room/health.py)."""
        return self.health.warnings(int(time.time() // 60))

    def set_on_air(self, item: ItemView | None) -> None:
        """The run-of-show item on air now: questions and intents are counted for it from here on."""
        self.on_air = item
        position = item.position if item else None
        self.room.segment = position
        self.audience.position = position
        self.room.version += 1
        self._publish_room()

    def _record_complaints(self, pending: list) -> None:
        broadcast_id = self.broadcast_id

        def write() -> list:
            done = []
            with self.store.write() as session:
                for c in pending:
                    if complaints.record(session, c.customer_id, c.text, broadcast_id=broadcast_id, at=c.at):
                        done.append(c)
            return done

        def written(done: list) -> None:
            for c in done:
                self.complaint_recorded.emit(c.customer_id, c.nickname)

        self.tasks.submit(write, on_done=written, on_error=lambda exc: log.error("could not record a complaint: %s", exc))

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
        self._publish_room()

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
        room = self.audience.take()
        interactions, self._interactions = self._interactions, []
        broadcast_id = self.broadcast_id
        if not interactions and (not (tallies or room.minutes) or broadcast_id is None):
            return

        def write() -> None:
            with self.store.write() as session:
                if broadcast_id is not None:
                    if tallies:
                        record_appearances(session, broadcast_id, tallies)
                    audience.record(session, broadcast_id, room)
                points.award_interactions(session, interactions)

        self._last_write = time.monotonic()
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

