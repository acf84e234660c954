"""Composition root of the desktop app: Qt application, language, store, worker, windows.

The qasync loop runs on the UI thread (feeds are asyncio); blocking database work
goes through the single worker in ``TaskRunner``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")  # qasync and pyqtgraph otherwise try PyQt first

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from livedesk import __version__  # noqa: E402
from livedesk.services.store import Store, StoreError, default_data_dir, open_store, resolve_url  # noqa: E402
from livedesk.ui.context import AppContext  # noqa: E402
from livedesk.ui.i18n import DEFAULT_LANGUAGE, install_translators  # noqa: E402
from livedesk.ui.tasks import TaskRunner  # noqa: E402

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("LiveDesk")
    app.setApplicationName("LiveDesk")
    app.setApplicationVersion(__version__)
    return app  # type: ignore[return-value]


def setup_logging(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(folder / "livedesk.log", maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def install_excepthook() -> None:
    """Log an unexpected error and show it, instead of the app vanishing."""

    def hook(exc_type, exc, tb) -> None:
        log.critical("unhandled error", exc_info=(exc_type, exc, tb))
        if QApplication.instance() is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, "LiveDesk",
                              QApplication.translate("App", "Something went wrong. Your data is safe; "
                                                     "the details are in the log file."))
            box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
            box.open()

    sys.excepthook = hook


def choose_language(args: argparse.Namespace) -> str:
    return args.lang or os.environ.get("LIVEDESK_LANG") or QSettings().value("ui/language", DEFAULT_LANGUAGE)


def run_app(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    app = make_application()
    language = choose_language(args)
    install_translators(app, language)
    if not args.startup_probe:
        setup_logging(default_data_dir() / "logs")
        install_excepthook()

    try:
        store = open_store(resolve_url(args.db, db_url=getattr(args, "db_url", None)))
    except StoreError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "LiveDesk", str(exc))
        return 1
    if args.demo:
        _fill_demo_if_empty(store, args.demo_customers)

    from livedesk.ui.main_window import MainWindow

    tasks = TaskRunner()
    # The probe must not leave its offscreen window size behind in the user's settings.
    window = MainWindow(AppContext(store=store, tasks=tasks, language=language),
                        remember_state=not args.startup_probe)
    if args.startup_probe:
        # `livedesk bench startup` reads these lines: the window shown, then the customer
        # list filled (its first rows painted); then the probe closes the window.
        window.shown.connect(lambda: _report_startup("LIVEDESK_SHOWN", started))
        window.customers_page.loaded.connect(lambda _n: _report_startup("LIVEDESK_LIST", started, window))
    if args.page:
        window.show_page(args.page)
    window.show()
    if not args.startup_probe:
        window.search.rebuild()
        # New tiers change the search ranking: rebuild the index if anyone moved.
        tasks.submit(_recompute_if_stale, store,
                     on_done=lambda changed: window.search.rebuild() if changed else None)
        if store.path is not None:
            from livedesk.services.store import backup_if_older_than

            tasks.submit(backup_if_older_than, store.path)
    try:
        return _run_loop(app, window)
    finally:
        tasks.shutdown()
        store.dispose()


def _report_startup(what: str, started: float, window=None) -> None:
    if window is not None:
        window.customers_page.table.viewport().repaint()  # the rows are on screen when we stamp
    print(f"{what} wall={time.time():.6f} in_process_ms={(time.perf_counter() - started) * 1000:.1f}", flush=True)
    if window is not None:
        QTimer.singleShot(0, window.close)


def _recompute_if_stale(store: Store) -> bool:
    from datetime import date

    from livedesk.services import segments

    with store.begin() as session:
        summary = segments.recompute_if_stale(session, date.today())
    return bool(summary and summary.changed)


def _fill_demo_if_empty(store: Store, customers: int) -> None:
    from livedesk.services import demo

    if demo.is_empty(store):
        print(f"livedesk: first run, filling the store with {customers} demo customers…", file=sys.stderr)
        demo.generate(store, customers=customers)


def _run_loop(app: QApplication, window) -> int:
    import qasync

    # Quit by finishing the coroutine, not by QApplication.quit(): stopping the Qt loop
    # under qasync before the coroutine ends raises "Event loop stopped before Future completed".
    app.setQuitOnLastWindowClosed(False)

    closed = asyncio.Event()  # connected before the loop runs: a close can come first
    window.closed.connect(closed.set)

    async def until_main_window_closed() -> None:
        await closed.wait()

    qasync.run(until_main_window_closed())
    return 0
