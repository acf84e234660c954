"""One team member's app in a process of its own, driven and watched through two queues.

``livedesk bench team`` and the two-process tests start two of these on one store: the
real main window (offscreen), opened the way the app opens it (``ui/app.py``: the change
feed followed, the qasync loop), with its host panel shown. Commands arrive on ``inbox``;
what the window shows is reported on ``outbox`` with the wall clock (``time.time()``, shared
by processes on one machine), taken the moment the page has shown it: a watch is checked
right after the window's own change-set slots ran, so the time includes the page's refresh.

Commands (tuples): ``("watch", tag, what, *args)`` with ``what`` one of ``note`` (customer id,
text: the open customer page lists it; the page is opened on that customer first), ``card``
(customer id: the host panel shows that card), ``arrival`` (customer id: in the "just
arrived" queue), ``greeted`` (customer id: marked greeted in the queue and, when it is on the
host panel, its card no longer says "not greeted"); ``("note", tag, customer id, text)``,
``("push", tag, customer id)``, ``("greet", tag, customer id)`` do what the console does;
``("feed", tag, file)`` connects a recorded feed on the 直播 page; ``("state", tag)`` answers a
snapshot; ``("quit",)``. Answers: ``("ready", origin)``, ``("watching", tag)``, ``("seen", tag,
t)``, ``("did", tag, t0)`` (t0 taken just before the action), ``("state", tag, dict)``,
``("error", tag, text)``.
"""

from __future__ import annotations

import asyncio
import os
import queue
import time
from collections.abc import Callable
from typing import Any

POLL_MS = 5  # the command queue: harness plumbing, not a page polling tables
CHECK_MS = 10  # watches are also checked on a timer, for what a page shows after its worker answered


def run_client(url: str, inbox: Any, outbox: Any, member: str | None = None) -> None:
    """A spawned process's entry point: the app on ``url`` until ``("quit",)``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtCore import QTimer

    from livedesk.services.store import open_store
    from livedesk.ui.app import make_application
    from livedesk.ui.context import AppContext
    from livedesk.ui.main_window import MainWindow
    from livedesk.ui.tasks import TaskRunner

    app = make_application()
    store = open_store(url, migrate=False)
    if member:
        from livedesk.services import team

        with store.read() as session:
            store.actor = team.sign_in(session, team.find(session, member).id)
    tasks = TaskRunner()
    ctx = AppContext(store=store, tasks=tasks, language="en", actor=store.actor)
    ctx.changes.follow_others()
    window = MainWindow(ctx, remember_state=False)
    window.show()
    window.open_host_panel()
    client = _Client(window, outbox)
    ctx.changes.changed.connect(lambda _c: client.check())  # after the window's own slots
    done = asyncio.Event()

    def poll() -> None:
        while True:
            try:
                command = inbox.get_nowait()
            except queue.Empty:
                return
            if command[0] == "quit":
                done.set()
                return
            try:
                client.handle(command)
            except Exception as exc:  # reported, not raised: the driver judges
                outbox.put(("error", command[1] if len(command) > 1 else None, repr(exc)))

    poller = QTimer(interval=POLL_MS, timeout=poll)
    checker = QTimer(interval=CHECK_MS, timeout=client.check)

    async def main() -> None:
        poller.start()
        checker.start()
        outbox.put(("ready", store.origin))
        await done.wait()
        poller.stop()
        checker.stop()
        window.close()

    try:
        qasync.run(main())
    finally:
        ctx.changes.stop()
        tasks.shutdown()
        store.dispose()


class _Client:
    def __init__(self, window: Any, outbox: Any) -> None:
        self.window = window
        self.outbox = outbox
        self.watches: dict[str, Callable[[], bool]] = {}

    # -- what the window shows ------------------------------------------------------------
    def check(self) -> None:
        for tag, shown in list(self.watches.items()):
            if shown():
                del self.watches[tag]
                self.outbox.put(("seen", tag, time.time()))

    def _page_notes(self) -> list[str]:
        from PySide6.QtWidgets import QLabel

        view = self.window.customers_page.detail
        texts = []
        for i in range(view.notes_list.count()):
            widget = view.notes_list.itemAt(i).widget()
            if widget is not None and not widget.isHidden():
                texts += [label.text() for label in widget.findChildren(QLabel)]
        return texts

    def _queue(self) -> list[tuple[int | None, bool]]:
        model = self.window.feeds.arrivals
        return [(a.customer.id if a.customer else None, model.is_greeted(a)) for a in model.arrivals]

    def _card(self) -> tuple[int | None, list[str]]:
        card = self.window.host_panel.card_view.card
        return (card.customer_id, [a.kind for a in card.alerts]) if card is not None else (None, [])

    def state(self) -> dict[str, Any]:
        live = self.window.live_page
        customer, alerts = self._card()
        return {"card": customer, "card_alerts": alerts, "queue": self._queue(), "notes": self._page_notes(),
                "recorder_status": live.recorder.text(), "feed_button": live.feed_button.text(),
                "recording": self.window.feeds.recording, "feedback": live.feedback.text(),
                "broadcast": live.broadcast.id if live.broadcast else None}

    def _shown(self, what: str, *args: Any) -> Callable[[], bool]:
        if what == "note":
            customer_id, text = args
            view = self.window.customers_page.detail
            if view.customer_id != customer_id:
                view.show_customer(customer_id)
            return lambda: view.customer_id == customer_id and text in self._page_notes()
        if what == "card":
            return lambda: self._card()[0] == args[0]
        if what == "arrival":
            return lambda: any(cid == args[0] for cid, _greeted in self._queue())
        if what == "greeted":
            def greeted() -> bool:
                queued = [g for cid, g in self._queue() if cid == args[0]]
                card, alerts = self._card()
                return all(queued) and bool(queued) and (card != args[0] or "not_greeted" not in alerts)
            return greeted
        raise ValueError(f"unknown watch {what!r}")

    # -- commands ---------------------------------------------------------------------------
    def handle(self, command: tuple) -> None:
        kind, tag, *args = command
        if kind == "watch":
            self.watches[tag] = self._shown(*args)
            self.outbox.put(("watching", tag))
            self.check()
        elif kind == "state":
            self.outbox.put(("state", tag, self.state()))
        elif kind == "note":
            self._write(tag, _add_note, *args)
        elif kind == "push":
            t0 = time.time()
            self.window.push_to_panel(args[0])  # shows it here, then tells every other panel
            self.outbox.put(("did", tag, t0))
        elif kind == "greet":
            live = self.window.live_page
            self._write(tag, _greet, live.broadcast.id if live.broadcast else None, args[0])
        elif kind == "feed":
            live = self.window.live_page
            live.feed_format.setCurrentIndex(live.feed_format.findData("replay"))
            live.feed_target.setText(str(args[0]))
            t0 = time.time()
            live._toggle_feed()
            self.outbox.put(("did", tag, t0))
        else:
            raise ValueError(f"unknown command {kind!r}")

    def _write(self, tag: str, fn: Callable[..., Any], *args: Any) -> None:
        """What the console does on the worker; ``did`` once it is committed."""
        store, tasks = self.window.ctx.store, self.window.ctx.tasks
        t0 = time.time()
        tasks.submit(lambda: store.apply(fn, *args), on_done=lambda _op: self.outbox.put(("did", tag, t0)),
                     on_error=lambda exc: self.outbox.put(("error", tag, repr(exc))))


def _add_note(session: Any, customer_id: int, text: str) -> int:
    from livedesk.services import customers

    return customers.add_note(session, customer_id, text)


def _greet(session: Any, broadcast_id: int | None, customer_id: int) -> None:
    from livedesk.services import broadcasts

    if broadcast_id is None:
        raise RuntimeError("no live broadcast on this client")
    broadcasts.mark_greeted(session, broadcast_id, customer_id)
