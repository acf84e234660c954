"""Background work for the UI: one worker thread for database and pandas jobs.

A single worker serialises writes (SQLite has one writer) and keeps the UI thread
free; results come back to the UI thread through a queued Qt signal, never by
touching widgets from the worker.

A job that meets a lost server (a team store restarting, the network gone) rolled back
whole, so it is run again, with growing pauses, until the server answers or
``RETRY_FOR_S`` have passed: what the user typed is kept in the job and saved once the
server is back. ``connection_changed(False)`` tells the window to say "重新连接中…",
``connection_changed(True)`` that the store answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)
RETRY_FOR_S = 300.0  # how long a job waits for a lost server before it fails for good
RETRY_PAUSES_S = (0.5, 1.0, 2.0, 4.0)  # between tries; the last repeats


class TaskRunner(QObject):
    _finished = Signal(object, object, object)  # callback, result, error
    connection_changed = Signal(bool)  # False: the store's server is lost, jobs wait; True: it is back

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livedesk-db")
        self._pending: set[Future[Any]] = set()  # strong references until each job reports
        self._closed = False
        self._stop = threading.Event()
        self.connected = True
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
        future = self._executor.submit(self._run, fn, args)
        self._pending.add(future)

        def report(f: Future[Any]) -> None:
            self._pending.discard(f)
            if f.cancelled():  # dropped by shutdown() before it ran: nobody waits for it any more
                return
            error = f.exception()
            if error is not None:
                log.error("background task failed", exc_info=error)
                self._finished.emit(on_error, None, error)
            else:
                self._finished.emit(on_done, f.result(), None)

        future.add_done_callback(report)
        return future

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """On the worker: ``fn(*args)``, run again while the store's server is lost."""
        from livedesk.models.adapters import lost_connection

        tries, deadline = 0, None
        while True:
            try:
                result = fn(*args)
            except Exception as exc:
                if not lost_connection(exc) or self._stop.is_set():
                    raise
                now = time.monotonic()
                deadline = deadline or now + RETRY_FOR_S
                if now > deadline:
                    raise
                if self.connected:
                    self.connected = False
                    log.warning("the store's server is lost; retrying: %s", exc)
                    self.connection_changed.emit(False)
                self._stop.wait(RETRY_PAUSES_S[min(tries, len(RETRY_PAUSES_S) - 1)])
                tries += 1
                continue
            if not self.connected:
                self.connected = True
                log.info("the store's server answers again")
                self.connection_changed.emit(True)
            return result

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
        self._stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
