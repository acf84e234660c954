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
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")  # qasync and pyqtgraph otherwise try PyQt first

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from livedesk import __version__  # noqa: E402
from livedesk.models.engine import is_sqlite  # noqa: E402
from livedesk.services.store import (  # noqa: E402
    Store,
    StoreError,
    default_data_dir,
    default_db_path,
    open_store,
    resolve_url,
    sqlite_url,
)
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


class _ExceptHook:
    """Logs an unexpected error and shows it, instead of the app vanishing.

    A read on the window's thread that met a lost server is no error of the program: the
    window is told (``on_lost_connection``) and says "重新连接中…" until the server answers,
    then re-reads what it shows."""

    def __init__(self) -> None:
        self.on_lost_connection: Callable[[], None] | None = None

    def __call__(self, exc_type, exc, tb) -> None:
        from livedesk.models.adapters import lost_connection

        if self.on_lost_connection is not None and exc is not None and lost_connection(exc):
            log.warning("a read on the window's thread lost the server", exc_info=(exc_type, exc, tb))
            self.on_lost_connection()
            return
        log.critical("unhandled error", exc_info=(exc_type, exc, tb))
        if QApplication.instance() is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, "LiveDesk",
                              QApplication.translate("App", "Something went wrong. Your data is safe; "
                                                     "the details are in the log file."))
            box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
            box.open()


def install_excepthook() -> _ExceptHook:
    hook = _ExceptHook()
    sys.excepthook = hook
    return hook


def choose_language(args: argparse.Namespace) -> str:
    return args.lang or os.environ.get("LIVEDESK_LANG") or QSettings().value("ui/language", DEFAULT_LANGUAGE)


def _store_failure_words(url: str, exc: StoreError) -> str:
    """Why the team server's store did not open, in the user's language (a file's own
    message names the file and stays as it is)."""
    from PySide6.QtCore import QCoreApplication

    from livedesk.services.store_location import classify_error, display_url

    if url.startswith("sqlite"):
        return str(exc)

    # Literal QCoreApplication.translate calls: lupdate files a message under its context only then.
    words = {
        "unreachable": QCoreApplication.translate(
            "StoreOpening", "The team server does not answer (%1). Check that it is running and that this "
            "computer is on the shop's network."),
        "auth": QCoreApplication.translate("StoreOpening", "The team server refused the user name or password (%1)."),
        "no_database": QCoreApplication.translate("StoreOpening", "The team server has no such database (%1)."),
    }.get(classify_error(exc)) or QCoreApplication.translate(
        "StoreOpening", "The team server's store cannot be opened (%1).")
    return words.replace("%1", display_url(url)) + "\n\n" + str(exc)


def _open_after_failure(url: str, exc: StoreError) -> Store | None:
    """Say why the store did not open. When it was the server saved in 设置 › 数据库, offer to
    forget it and open this computer's file instead (else the app could never reach 设置)."""
    from PySide6.QtCore import QCoreApplication

    from livedesk.services import store_location

    words = _store_failure_words(url, exc)
    if url != store_location.saved_url():
        QMessageBox.critical(None, "LiveDesk", words)
        return None
    question = QCoreApplication.translate(
        "StoreOpening", "Forget the team server's address and open this computer's own file instead? "
        "(设置 › 数据库 can set it again.)")
    answer = QMessageBox.critical(None, "LiveDesk", words + "\n\n" + question,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    if answer != QMessageBox.StandardButton.Yes:
        return None
    store_location.save_url(None)
    try:
        return open_store(resolve_url())
    except StoreError as again:
        QMessageBox.critical(None, "LiveDesk", str(again))
        return None


def run_app(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    app = make_application()
    language = choose_language(args)
    install_translators(app, language)
    hook = None
    if not args.startup_probe:
        setup_logging(default_data_dir() / "logs")
        hook = install_excepthook()
        from livedesk.services import private

        private.clean_leftovers()  # what a killed export or import left in the private folder

    tasks = TaskRunner()
    store = _open_or_recover(args, tasks)
    if store is None:
        tasks.shutdown()
        return 1
    if args.demo:
        _fill_demo_if_empty(store, args.demo_customers, language)
    elif not args.startup_probe:
        _seed_if_new(store, language)

    from livedesk.ui.backup_scheduler import BackupScheduler
    from livedesk.ui.main_window import MainWindow

    ctx = AppContext(store=store, tasks=tasks, language=language)
    if not args.startup_probe:
        from livedesk.ui.sign_in_dialog import sign_in_at_start

        if not sign_in_at_start(ctx):  # a shop with a team opens as one of its members, or not at all
            ctx.changes.stop()
            tasks.shutdown()
            store.dispose()
            return 0
        ctx.changes.follow_others()  # other processes and machines on this store
    # The probe must not leave its offscreen window size behind in the user's settings.
    window = MainWindow(ctx, remember_state=not args.startup_probe)
    if hook is not None:
        hook.on_lost_connection = window.read_lost
    scheduler = BackupScheduler(store, tasks, window)
    if args.startup_probe:
        # `livedesk bench startup` reads these lines: the window shown, then the customer
        # list filled (its first rows painted); then the probe closes the window.
        window.shown.connect(lambda: _report_startup("LIVEDESK_SHOWN", started))
        window.customers_page.loaded.connect(lambda _n: _report_startup("LIVEDESK_LIST", started, window))
    if args.page:
        window.show_page(args.page)
    window.show()
    if not args.startup_probe:
        # quick_check first on the single worker: nothing else touches a damaged store before it.
        scheduler.damaged.connect(lambda _found: window.close())
        scheduler.failed.connect(lambda text: window.statusBar().showMessage(text, 15000))
        # New tiers change the search ranking: rebuild the index if anyone moved.
        scheduler.sound.connect(lambda: tasks.submit(
            _recompute_if_stale, store, on_done=lambda changed: window.search.rebuild() if changed else None))
        scheduler.start()
        window.search.rebuild()
    try:
        status = _run_loop(app, window)
    finally:
        ctx.changes.stop()
        scheduler.stop()
        tasks.shutdown()
        store.dispose()
    if scheduler.found_damage and store.path is not None:
        return _recover_then_restart(store.path, "damaged")
    if window.with_store_closed is not None:  # work that needs the store closed (encryption), then restart
        window.with_store_closed()
    elif store.path is not None and not args.startup_probe:
        _backup_on_close(store.path)
    if window.restart_requested:
        _restart()
    return status


def _may_create(args: argparse.Namespace, url: str) -> bool:
    """A store is created on the first run at the default path, or on purpose with --demo."""
    return bool(args.demo) or url == sqlite_url(default_db_path())


def _open_or_recover(args: argparse.Namespace, tasks: TaskRunner) -> Store | None:
    from livedesk.ui import backup_labels as words

    url = resolve_url(args.db, db_url=getattr(args, "db_url", None))
    path = _sqlite_file(url)
    if path is not None:  # an encrypted store: its passphrase first (the user may cancel)
        from livedesk.services.passphrases import unlock_without_asking
        from livedesk.ui.passphrase_dialog import unlock

        if not (unlock_without_asking(path) if args.startup_probe else unlock(path)) and not args.startup_probe:
            return None
    try:
        return open_store(url, create=_may_create(args, url))
    except StoreError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        if args.startup_probe:  # a benchmark: no one to answer a dialog
            return None
        if exc.code == "damaged" and exc.path is not None:
            return _open_after_recovery(args, url, exc.path, tasks)
        if not is_sqlite(url):  # a server: its own words, and a way back to this computer's file
            return _open_after_failure(url, exc)
        text = words.problem(exc.code)
        if exc.path is not None:
            text += "\n\n" + str(exc.path)
        if exc.code in ("missing", "empty") and exc.path is not None:
            text += "\n\n" + QApplication.translate("App", "To make a new store there, run: %1").replace(
                "%1", f"livedesk init {exc.path}")
        QMessageBox.critical(None, "LiveDesk", text)
        return None


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    from livedesk.models.engine import is_sqlite

    database = make_url(url).database if is_sqlite(url) else None
    return Path(database) if database and database != ":memory:" else None


def _open_after_recovery(args: argparse.Namespace, url: str, path: Path, tasks: TaskRunner) -> Store | None:
    from livedesk.ui.recovery_window import RecoveryWindow

    if RecoveryWindow(path, tasks).exec() != RecoveryWindow.DialogCode.Accepted:
        return None
    try:
        return open_store(url, create=False)  # the restored copy may be older: migrated here
    except StoreError as exc:
        QMessageBox.critical(None, "LiveDesk", str(exc))
        return None


def _recover_then_restart(path: Path, code: str) -> int:
    """The check found damage after the window opened: the recovery screen, then a fresh start."""
    from livedesk.ui.recovery_window import RecoveryWindow

    tasks = TaskRunner()
    try:
        accepted = RecoveryWindow(path, tasks, code).exec() == RecoveryWindow.DialogCode.Accepted
    finally:
        tasks.shutdown()
    if accepted:
        _restart()
    return 1


def _backup_on_close(path: Path) -> None:
    from livedesk.services import backups

    try:
        backups.backup_if_changed(path, "close")
    except Exception:  # never keeps the app from closing; the next start makes its daily copy
        log.exception("backup on close failed")


def _restart() -> None:
    """Start LiveDesk again on the (restored) store, in this process's place."""
    argv = [sys.executable, *sys.argv[1:]] if getattr(sys, "frozen", False) else \
        [sys.executable, "-m", "livedesk", *sys.argv[1:]]
    os.execv(argv[0], argv)


def _report_startup(what: str, started: float, window=None) -> None:
    if window is not None:
        window.customers_page.table.viewport().repaint()  # the rows are on screen when we stamp
    print(f"{what} wall={time.time():.6f} in_process_ms={(time.perf_counter() - started) * 1000:.1f}", flush=True)
    if window is not None:
        QTimer.singleShot(0, window.close)


def _recompute_if_stale(store: Store) -> bool:
    """The day's upkeep once the store is known sound: tiers and levels if a day has passed,
    and change sets older than a week forgotten."""
    from datetime import date

    from livedesk.services import changes, segments

    with store.write() as session:
        summary = segments.recompute_if_stale(session, date.today())
        changes.prune(session)
    return bool(summary and summary.changed)


def _fill_demo_if_empty(store: Store, customers: int, language: str) -> None:
    from livedesk.services import demo

    if demo.is_empty(store):
        print(f"livedesk: first run, filling the store with {customers} demo customers…", file=sys.stderr)
        demo.generate(store, customers=customers, language=language)


def _seed_if_new(store: Store, language: str) -> None:
    """A new store's templates, coupon and perk names in the language it is first opened in."""
    from livedesk.services import shop_words

    with store.read() as session:
        if not shop_words.needs_seed(session):
            return
    with store.write() as session:
        if shop_words.needs_seed(session):
            shop_words.seed(session, language)


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
