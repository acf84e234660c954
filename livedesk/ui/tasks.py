"""Background work for the UI: one worker thread for database and pandas jobs.

A single worker serialises writes (SQLite has one writer) and keeps the UI thread
free; results come back to the UI thread through a queued Qt signal, never by
touching widgets from the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    _finished = Signal(object, object, object)  # callback, result, error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livedesk-db")
        self._pending: set[Future[Any]] = set()  # strong references until each job reports
        self._closed = False
        # Always queued: a job that is already done when submit() registers its callback
        # reports from the UI thread itself, and must still not run inside submit().
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        if self._closed:  # a timer firing while the app closes: nothing to do any more
            future: Future[Any] = Future()
            future.cancel()
            return future
        future = self._executor.submit(fn, *args)
        self._pending.add(future)

        def report(f: Future[Any]) -> None:
            self._pending.discard(f)
            error = f.exception()
            if error is not None:
                log.error("background task failed", exc_info=error)
                self._finished.emit(on_error, None, error)
            else:
                self._finished.emit(on_done, f.result(), None)

        future.add_done_callback(report)
        return future

    def _deliver(self, callback: Any, result: Any, error: Any) -> None:
        if error is not None:
            if callback is not None:
                callback(error)
        elif callback is not None:
            callback(result)

    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
