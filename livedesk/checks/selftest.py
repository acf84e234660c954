"""``livedesk self-test``: proves a build works on this machine, and says what failed.

Each check runs on its own (one failure does not hide the others) in a fresh temporary
store: every migration, a service write, a pandas query, every module of the app
importable (a frozen build misses what is imported by name), both translation
catalogues, the main window and the host panel, a pyqtgraph plot drawn to an image,
and the asyncio-on-Qt loop the app runs on. The JSON report goes to stdout (and to
``--out``); the exit status is 0 only if all passed. Qt's warnings are collected into
the report rather than printed, so a broken plugin shows up next to the check it broke.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livedesk import __version__


class Skipped(Exception):
    """A check that cannot run because one it builds on failed."""


class Checks:
    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def run(self, name: str, check: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Skipped as exc:
            detail, ok = f"not run: {exc}", False
        except Exception as exc:  # noqa: BLE001 - the report must name every failure, whatever it is
            # The innermost frames say where it broke; the outer ones are this harness.
            detail, ok = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}", False
        self.results.append({"name": name, "ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1),
                             "detail": detail})
        return ok


def run_self_test(out: str | None = None, db_url: str | None = None) -> int:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    checks = Checks()
    folder = Path(tempfile.mkdtemp(prefix="livedesk-selftest-"))
    state: dict[str, Any] = {"qt_messages": []}
    try:
        checks.run("store and migrations", lambda: _store(folder, state))
        checks.run("service write and read", lambda: _service(state))
        checks.run("pandas query", lambda: _pandas(state))
        checks.run("encrypted store", lambda: _encrypted_store(folder))
        checks.run("app modules import", _modules)
        checks.run("qt application", lambda: _qt_app(state))
        checks.run("zh_CN translations", lambda: _translations(state))
        checks.run("main window", lambda: _main_window(state))
        checks.run("host panel", lambda: _host_panel(state))
        checks.run("pyqtgraph plot", lambda: _plot(state))
        checks.run("asyncio on qt", lambda: _qasync(state))
        if db_url:  # `self-test --db-url URL`: this build reaches that server (driver, dialect, schema)
            checks.run("server store", lambda: _server_store(db_url))
    finally:
        for window in state.get("windows", []):
            window.close()
        if "tasks" in state:
            state["tasks"].shutdown()
        if "store" in state:
            state["store"].dispose()
        shutil.rmtree(folder, ignore_errors=True)

    report = _report(checks)
    report["qt_messages"] = sorted(set(state["qt_messages"]))
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    return 0 if report["ok"] else 1


def _report(checks: Checks) -> dict[str, Any]:
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        qt = f"Qt {qVersion()} / PySide6 {pyside_version}"
    except Exception as exc:  # noqa: BLE001 - Qt itself may be what is broken
        qt = f"unavailable: {exc}"
    return {
        "ok": all(c["ok"] for c in checks.results),
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "qt": qt,
        "frozen": bool(getattr(sys, "frozen", False)),
        "checks": checks.results,
    }


def _need(state: dict[str, Any], key: str, check: str) -> Any:
    if key not in state:
        raise Skipped(f"needs the {check!r} check, which failed")
    return state[key]


def _store(folder: Path, state: dict[str, Any]) -> str:
    from sqlalchemy import inspect

    from livedesk.models import Base
    from livedesk.services.store import HEAD_REVISION, current_revision, open_store, sqlite_url

    store = open_store(sqlite_url(folder / "selftest.sqlite3"))
    state["store"] = store
    revision = current_revision(store)
    if revision != HEAD_REVISION:
        raise AssertionError(f"schema at {revision}, expected {HEAD_REVISION}")
    missing = set(Base.metadata.tables) - set(inspect(store.engine).get_table_names())
    if missing:
        raise AssertionError(f"tables missing after migration: {sorted(missing)}")
    return f"schema {revision}, {len(Base.metadata.tables)} tables"


def _server_store(url: str) -> str:
    """Open the store at ``url`` as the app would (migrating it if needed), then write and
    read a customer inside a transaction that is rolled back: nothing is left behind."""
    from livedesk.services import customers
    from livedesk.services.lookup import lookup
    from livedesk.services.store import current_revision, open_store
    from livedesk.services.store_location import display_url, test_connection

    check = test_connection(url)
    if not check.ok:
        raise AssertionError(f"{display_url(url)}: {check.code}: {check.detail}")
    store = open_store(url)
    try:
        with store.write_factory() as session:
            cid = customers.create(session, customers.NewCustomer(nickname="自检客户", phone="13800000000"))
            session.flush()
            found = [m.id for m in lookup(session, "自检客户")]
            session.rollback()
        if cid not in found:
            raise AssertionError("a customer written on the server was not found again")
        return f"{store.engine.dialect.name} {check.server_version}, schema {current_revision(store)}"
    finally:
        store.dispose()


def _service(state: dict[str, Any]) -> str:
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from livedesk.models import Order
    from livedesk.services import customers, segments
    from livedesk.services.lookup import lookup

    store = _need(state, "store", "store and migrations")
    with store.write() as session:
        cid = customers.create(session, customers.NewCustomer(
            nickname="王姐", real_name="王丽华", phone="13812345678", accounts=[("douyin", "MS4wselftest", "wj888")]))
        session.execute(insert(Order).values(
            platform="douyin", platform_order_id="SELFTEST-1", customer_id=cid, status="completed",
            total_fen=1_299_00, ordered_at=datetime.now(UTC)))
        customers.add_note(session, cid, "自检备注", pinned=True)
        segments.recompute(session)
    with store.read() as session:
        found = lookup(session, "wj")
    if not found or found[0].id != cid or found[0].total_spent_fen != 1_299_00:
        raise AssertionError(f"lookup 'wj' returned {found!r}")
    state["customer_id"] = cid
    return f"customer {cid} created, recomputed and found by pinyin initials"


def _pandas(state: dict[str, Any]) -> str:
    import pandas as pd

    store = _need(state, "store", "store and migrations")
    frame = pd.read_sql("SELECT customer_id, SUM(total_fen) AS spent FROM orders GROUP BY customer_id",
                        store.engine)
    if frame["spent"].tolist() != [1_299_00]:
        raise AssertionError(f"unexpected result {frame.to_dict('records')}")
    return f"pandas {pd.__version__}: {len(frame)} row"


def _encrypted_store(folder: Path) -> str:
    """SQLCipher is bundled and works: a store encrypted, reopened with its key, checked and backed up,
    with no customer's phone left in its bytes."""
    from sqlalchemy import select

    from livedesk.models import Customer
    from livedesk.models.adapters import sqlcipher
    from livedesk.services import backups, customers, encryption
    from livedesk.services.customers import NewCustomer
    from livedesk.services.store import open_store, quick_check, sqlite_url

    path = folder / "encrypted.sqlite3"
    store = open_store(sqlite_url(path))
    try:
        with store.write() as session:
            customers.create(session, NewCustomer(nickname="自检", phone="13900001234"))
    finally:
        store.dispose()
    encryption.encrypt(path, "self-test passphrase")
    store = open_store(sqlite_url(path), create=False)
    try:
        with store.read() as session:
            phone = session.scalar(select(Customer.phone))
    finally:
        store.dispose()
    if phone != "13900001234":
        raise AssertionError(f"the encrypted store reads back {phone!r}")
    backup = backups.make_backup(path).path
    problems = quick_check(path)
    leaked = [p.name for p in (path, backup) if b"13900001234" in p.read_bytes()]
    if problems or leaked or not sqlcipher.looks_encrypted(backup):
        raise AssertionError(f"quick_check {problems}, phone found in {leaked}")
    conn = sqlcipher.open_file(path, read_only=True)
    try:
        version = conn.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        conn.close()
    return f"SQLCipher {version}: encrypted, reopened, backed up"


def _modules() -> str:
    """Import every module of the app: PyInstaller only bundles what it sees imported."""
    import importlib
    import pkgutil

    import livedesk

    names = [m.name for m in pkgutil.walk_packages(livedesk.__path__, "livedesk.")]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - collect them all: one missing module rarely comes alone
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    if failed or len(names) < 10:  # an empty walk would prove nothing
        raise AssertionError(f"{len(failed)} of {len(names)} modules failed to import: " + "; ".join(failed))
    return f"{len(names)} modules"


def _qt_app(state: dict[str, Any]) -> str:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from livedesk.ui.app import make_application

    def collect(kind: QtMsgType, _context: Any, message: str) -> None:
        state["qt_messages"].append(f"{kind.name}: {message}")
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            print(message, file=sys.stderr)  # a fatal one aborts before the report is written

    qInstallMessageHandler(collect)
    app = make_application()
    state["app"] = app
    return f"platform {app.platformName()}"


def _translations(state: dict[str, Any]) -> str:
    from PySide6.QtCore import QCoreApplication

    from livedesk.ui.i18n import install_translators, translations_file

    loaded = install_translators(_need(state, "app", "qt application"), "zh_CN")
    if "livedesk_zh_CN" not in loaded:
        raise AssertionError(f"LiveDesk's zh_CN catalogue did not load from {translations_file('zh_CN')} "
                             f"(loaded: {loaded})")
    if not any(name.startswith(("qt_", "qtbase_")) for name in loaded):
        raise AssertionError(f"Qt's own zh_CN catalogue did not load (loaded: {loaded})")
    # Looked up through variables so lupdate does not copy Qt's own string into our catalogue.
    probes = {"ours": ("Labels", "High-value VIP"), "qt": ("QPlatformTheme", "Cancel")}
    ours, qts = (QCoreApplication.translate(*probes[k]) for k in ("ours", "qt"))
    if ours == probes["ours"][1] or qts == probes["qt"][1]:
        raise AssertionError(f"strings stay English: {ours!r}, {qts!r}")
    return f"loaded {', '.join(loaded)}: {ours}, {qts}"


def _main_window(state: dict[str, Any]) -> str:
    from PySide6.QtWidgets import QApplication

    from livedesk.ui.context import AppContext
    from livedesk.ui.main_window import MainWindow
    from livedesk.ui.tasks import TaskRunner

    _need(state, "app", "qt application")
    store = _need(state, "store", "store and migrations")
    state["tasks"] = TaskRunner()
    window = MainWindow(AppContext(store, state["tasks"], "zh_CN"), remember_state=False)
    state.setdefault("windows", []).append(window)
    window.show()
    deadline = time.monotonic() + 10
    while window.customers_page.model.rowCount() < 1 and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    if window.customers_page.model.rowCount() != 1:
        raise AssertionError("the customer list did not load")
    state["window"] = window
    return f"{window.nav.count()} pages, {window.customers_page.model.rowCount()} customer listed"


def _host_panel(state: dict[str, Any]) -> str:
    from PySide6.QtWidgets import QApplication

    window = _need(state, "window", "main window")
    window.push_to_panel(_need(state, "customer_id", "service write and read"))
    QApplication.processEvents()
    card = window.host_panel.card_view.card
    if card is None or card.masked_phone != "138****5678" or "13812345678" in repr(card):
        raise AssertionError(f"the panel did not show a masked card: {card!r}")
    return f"greeting: {card.greeting('金钻会员')}"


def _plot(state: dict[str, Any]) -> str:
    _need(state, "app", "qt application")
    import pyqtgraph as pg  # QT_API=pyside6 is set above: it would otherwise try PyQt first

    widget = pg.PlotWidget()
    state.setdefault("windows", []).append(widget)
    widget.resize(320, 200)
    widget.plot([1, 2, 3, 4], [3, 1, 4, 1], pen=pg.mkPen("#ff5a5f", width=3))
    widget.show()
    image = widget.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    if image.isNull() or len(colours) < 3:
        raise AssertionError(f"plot image looks empty ({image.width()}x{image.height()}, {len(colours)} colours)")
    return f"pyqtgraph {pg.__version__}: {image.width()}x{image.height()}, {len(colours)} colours"


def _qasync(state: dict[str, Any]) -> str:
    """The app's main loop: asyncio running on Qt's event loop, with the worker's executor."""
    import asyncio

    import qasync

    _need(state, "app", "qt application")

    async def probe() -> int:
        await asyncio.sleep(0.01)
        return await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2, 3])

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        got = runner.run(probe())
    if got != 6:
        raise AssertionError(f"the coroutine returned {got!r}")
    return "a coroutine and the default executor ran on the Qt loop (qasync)"
