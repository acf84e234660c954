"""Change sets for the UI thread: this process's commits and every other process's or machine's.

Local commits are reported by the store on the committing (worker) thread; the change feed
reports the others' on its own thread. Both reach pages through one queued signal, on the UI
thread, in commit order per source. Pages connect to ``changed`` and refresh what a set
touches; nothing polls tables.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from livedesk.services import changes
from livedesk.services.change_feed import ChangeFeed
from livedesk.services.changes import ChangeSet
from livedesk.services.store import Store


class ChangeHub(QObject):
    changed = Signal(object)  # ChangeSet, on the UI thread
    connection = Signal(str)  # "connected" | "reconnecting": the feed's link to a server
    _incoming = Signal(object)
    _state = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.feed: ChangeFeed | None = None
        self._incoming.connect(self.changed, Qt.ConnectionType.QueuedConnection)
        self._state.connect(self.connection, Qt.ConnectionType.QueuedConnection)
        store.listeners.append(self._incoming.emit)

    def follow_others(self) -> None:
        """Start hearing other processes and machines (the app does; most tests need not)."""
        if self.feed is not None:
            return
        with self.store.read() as session:
            start = changes.latest(session)
        self.feed = ChangeFeed(self.store.url, self.store.origin, self._remote, start_after=start,
                               on_state=self._state.emit)
        self.feed.start()

    def _remote(self, found: list[ChangeSet]) -> None:
        for change_set in found:
            self._incoming.emit(change_set)

    def stop(self) -> None:
        if self._incoming.emit in self.store.listeners:
            self.store.listeners.remove(self._incoming.emit)
        if self.feed is not None:
            self.feed.stop()
            self.feed = None
