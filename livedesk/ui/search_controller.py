"""Owns the in-memory search index for the UI: built off the UI thread, queried on it.

A query on a built index takes well under a millisecond, so answering on the UI
thread is cheaper than a round trip to a worker. Until the index is ready, queries
go to the SQL lookup on the worker instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from livedesk.services.lookup import lookup
from livedesk.services.search_index import Hit, SearchIndex
from livedesk.services.store import Store
from livedesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class SearchController(QObject):
    ready = Signal()
    failed = Signal(str)

    def __init__(self, store: Store, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        # A worker of its own: a 200k build takes seconds and must not hold up the DB writer.
        self._builder = TaskRunner(self)
        self.index: SearchIndex | None = None
        self._building = False
        self._again = False  # data changed while a build was running

    def rebuild(self) -> None:
        if self._building:
            self._again = True
            return
        self._building = True
        self._builder.submit(self._build, on_done=self._built, on_error=self._build_failed)

    def _build(self) -> SearchIndex:
        with self._store.read() as session:
            return SearchIndex.build(session)

    def _built(self, index: SearchIndex) -> None:
        self._building = False
        self.index = index
        log.info("search index: %d customers, %d keys in %.0f ms", len(index), len(index.keys), index.build_ms)
        self.ready.emit()
        self._build_again_if_asked()

    def _build_failed(self, exc: BaseException) -> None:
        self._building = False
        self.failed.emit(str(exc))
        self._build_again_if_asked()

    def _build_again_if_asked(self) -> None:
        if self._again:
            self._again = False
            self.rebuild()

    def forget(self, customer_id: int) -> None:
        """An erased customer leaves the index now; a build already running read them, so
        another follows it."""
        if self.index is not None:
            self.index.forget(customer_id)
        if self._building:
            self._again = True

    def search(self, query: str, on_hits: Callable[[list[Hit]], None], limit: int = 20) -> None:
        """Answer now from the index, or later from SQL while the index is being built."""
        if self.index is not None:
            on_hits(self.index.search(query, limit))
            return
        self._tasks.submit(self._sql_lookup, query, limit, on_done=on_hits)

    def _sql_lookup(self, query: str, limit: int) -> list[Hit]:
        with self._store.read() as session:
            return lookup(session, query, limit)

    def shutdown(self) -> None:
        self._builder.shutdown()
