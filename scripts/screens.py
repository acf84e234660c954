"""Render every page, dialog and the host panel, in both languages at both laptop/desktop sizes.

    python scripts/screens.py OUT_FOLDER [--lang zh_CN en] [--size 1366x768 1920x1080] [--customers 600]

Writes OUT_FOLDER/<lang>-<size>-<nn>-<what>.png, offscreen, from a demo store built once in
OUT_FOLDER (deterministic seed). Look at them after every UI change: a test proves that a
label is not cut, only a look shows that a screen reads well. Each language runs in its own
process, so the translators of one never leak into the other.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_NAMES = ("customers", "live", "followups", "vip", "dashboard", "import", "settings")


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def render(out: Path, language: str, sizes: list[tuple[int, int]], customers: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from livedesk.services import demo
    from livedesk.services.store import open_store, sqlite_url
    from livedesk.ui.app import make_application
    from livedesk.ui.context import AppContext
    from livedesk.ui.i18n import install_translators
    from livedesk.ui.main_window import MainWindow
    from livedesk.ui.tasks import TaskRunner

    app = make_application()
    install_translators(app, language)
    path = out / f"screens-demo-{language}-{customers}.sqlite3"  # the shop's own data in that language too
    store = open_store(sqlite_url(path))
    if demo.is_empty(store):
        demo.generate(store, customers=customers, seed=7, language=language)
    tasks = TaskRunner()
    window = MainWindow(AppContext(store, tasks, language), remember_state=False)
    window.show()
    for width, height in sizes:
        tag = f"{language}-{width}x{height}"
        window.resize(width, height - 40)  # a maximised window under its title bar
        for n, name in enumerate(PAGE_NAMES):
            window.nav.setCurrentRow(n)
            settle(app, 2.5 if name == "dashboard" else 0.6)
            window.grab().save(str(out / f"{tag}-{n:02d}-{name}.png"))
        window.show_report(None)  # 直播 › broadcast reports, on the latest broadcast (the demo records it)
        settle(app, 3.0)
        window.grab().save(str(out / f"{tag}-01b-live-reports.png"))
        window.live_tabs.setCurrentIndex(0)
        _dialogs(app, window, store, out, tag)
        _in_use(app, window, store, out, tag)
    _host_panel(app, window, store, out, language)
    if window.host_panel is not None:
        window.host_panel.close()
    window.close()
    tasks.shutdown()
    store.dispose()


def _dialogs(app, window, store, out: Path, tag: str) -> None:
    from sqlalchemy import select

    from livedesk.models import Customer
    from livedesk.ui.duplicates_dialog import DuplicatesDialog
    from livedesk.ui.live_page import StartBroadcastDialog
    from livedesk.ui.manual_task_dialog import ManualTaskDialog

    with store.read() as session:
        customer_id = session.scalar(select(Customer.id).order_by(Customer.total_spent_fen.desc()).limit(1))
    from livedesk.services.room import report, run_of_show
    from livedesk.ui.run_of_show_editor import RunOfShowDialog

    with store.read() as session:
        latest = report.history(session, limit=1)[0].broadcast_id
        plan = run_of_show.items(session, latest)
    for name, dialog in (("dialog-run-of-show", RunOfShowDialog(window.ctx, latest, plan, window)),
                         ("dialog-duplicates", DuplicatesDialog(window.ctx, window)),
                         ("dialog-start-broadcast", StartBroadcastDialog(window)),
                         ("dialog-manual-task", ManualTaskDialog(window.ctx, customer_id, window))):
        dialog.show()
        settle(app, 1.5 if name == "dialog-duplicates" else 0.3)
        dialog.grab().save(str(out / f"{tag}-{name}.png"))
        dialog.close()
        dialog.deleteLater()


def _in_use(app, window, store, out: Path, tag: str) -> None:
    """Pages with work on them: look-alikes in the console's search, the follow-up queue with a
    task open, a private session with its list."""
    from sqlalchemy import func, select

    from livedesk.models import Customer
    from livedesk.services import vip_sessions

    with store.read() as session:
        common = session.execute(select(Customer.nickname).group_by(Customer.nickname)
                                 .order_by(func.count().desc()).limit(1)).scalar()
    window.nav.setCurrentRow(PAGE_NAMES.index("live"))
    window.live_page.search_box.setText(common)
    settle(app, 1.0)
    window.grab().save(str(out / f"{tag}-in-use-live-lookalikes.png"))
    window.live_page.search_box.clear()

    window.nav.setCurrentRow(PAGE_NAMES.index("followups"))
    window.followups_page.reload()
    settle(app, 1.0)
    window.grab().save(str(out / f"{tag}-in-use-followups.png"))

    with store.write() as session:
        if not vip_sessions.sessions(session):
            from datetime import datetime, timedelta, timezone

            from livedesk.services import shop_words

            title, theme = shop_words.shop_words(session).demo.vip_session
            sid = vip_sessions.create_session(session, title, datetime.now(timezone.utc) + timedelta(days=3),
                                              30, theme=theme)
            best = session.scalars(select(Customer.id).order_by(Customer.total_spent_fen.desc()).limit(12)).all()
            vip_sessions.invite(session, sid, list(best))
    window.nav.setCurrentRow(PAGE_NAMES.index("vip"))
    window.vip_page.reload()
    settle(app, 1.0)
    window.grab().save(str(out / f"{tag}-in-use-vip.png"))


def _host_panel(app, window, store, out: Path, language: str) -> None:
    """The panel at its default size with the demo's richest VIP card, and a longer nickname."""
    from sqlalchemy import select

    from livedesk.models import Customer

    with store.read() as session:
        vip = session.scalar(select(Customer.id).where(Customer.level != "none")
                             .order_by(Customer.total_spent_fen.desc()).limit(1))
    for size in ((480, 720), (600, 1000)):
        window.push_to_panel(vip)
        panel = window.host_panel
        panel.resize(*size)
        settle(app, 0.3)
        panel.grab().save(str(out / f"{language}-panel-{size[0]}x{size[1]}.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", nargs="+", default=["zh_CN", "en"])
    parser.add_argument("--size", nargs="+", default=["1366x768", "1920x1080"])
    parser.add_argument("--customers", type=int, default=600)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the per-language child process
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.size]
    if args.one:
        render(args.out, args.one, sizes, args.customers)
        return 0
    failed = 0
    for language in args.lang:
        child = [sys.executable, __file__, str(args.out), "--one", language, "--customers", str(args.customers),
                 "--size", *args.size]
        failed |= subprocess.run(child, check=False).returncode
    print(f"screens in {args.out}: {len(list(args.out.glob('*.png')))} PNG files")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
