"""Command line: no argument opens the app; subcommands run headless on the same services.

Heavy modules (Qt, pandas, Alembic) are imported inside the command that needs them,
so ``livedesk lookup`` and the app's start-up stay quick.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from livedesk import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livedesk", description="LiveDesk 直播客户工作台")
    parser.add_argument("--version", action="version", version=f"LiveDesk {__version__}")
    parser.add_argument("--db", metavar="PATH", help="SQLite store to use (default: LIVEDESK_DB, "
                        "LIVEDESK_DATABASE_URL, or livedesk.sqlite3 in the user data folder)")
    parser.add_argument("--lang", default=None, help="UI language: zh_CN (default) or en")
    parser.add_argument("--demo", action="store_true",
                        help="with no subcommand: fill an empty store with demo data first")
    parser.add_argument("--demo-customers", type=int, default=3000, help=argparse.SUPPRESS)
    parser.add_argument("--page", choices=["customers", "live", "followups", "vip", "dashboard", "import", "settings"],
                        help="with no subcommand: the page to open on")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="fill the store with realistic, deterministic demo data")
    demo.add_argument("--customers", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--if-empty", action="store_true", help="do nothing if the store has customers")
    demo.add_argument("--json", action="store_true")

    lookup = sub.add_parser("lookup", help="best matching customers with tier and level")
    lookup.add_argument("query")
    lookup.add_argument("--limit", type=int, default=10)
    lookup.add_argument("--json", action="store_true")

    selftest = sub.add_parser("self-test", help="prove this build works: store, migrations, pandas, Qt, plots")
    selftest.add_argument("--out", metavar="FILE", help="also write the JSON report here")

    segments = sub.add_parser("segments", help="RFM scores, tiers, membership levels and point balances")
    segments_sub = segments.add_subparsers(dest="action", required=True, metavar="ACTION")
    recompute = segments_sub.add_parser("recompute", help="recompute every customer now")
    recompute.add_argument("--json", action="store_true")

    backup = sub.add_parser("backup", help="copy the store to a timestamped backup")
    backup.add_argument("--to", metavar="FOLDER", help="where (default: backups/ next to the store)")

    feed = sub.add_parser("feed", help="live comment feeds from capture tools")
    feed_sub = feed.add_subparsers(dest="action", required=True, metavar="ACTION")
    watch = feed_sub.add_parser("watch", help="print a feed's events, matched to customers, one per line")
    watch.add_argument("--format", required=True, choices=["barragegrab", "douyinlive", "dycast", "replay"])
    watch.add_argument("target", nargs="?", metavar="URL_OR_FILE",
                       help="ws:// address (barragegrab, douyinlive: or a room id), HOST:PORT to listen on "
                            "(dycast), recorded .jsonl (replay: default the shipped demo)")
    watch.add_argument("--json", action="store_true", help="one JSON object per event")
    watch.add_argument("--speed", type=float, default=1.0, help="replay speed; 0 = as fast as possible")
    watch.add_argument("--port", type=int, help="dycast: port to listen on")
    watch.add_argument("--host", default="127.0.0.1", help="dycast: address to listen on (loopback only...)")
    watch.add_argument("--allow-remote", action="store_true", help="...unless this is given")
    watch.add_argument("--limit", type=int, help="stop after this many events")

    followups = sub.add_parser("followups", help="follow-up tasks: generate today's, list the queue")
    followups_sub = followups.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = followups_sub.add_parser("generate", help="create the tasks due by the end of today (idempotent)")
    generate.add_argument("--json", action="store_true")
    queue = followups_sub.add_parser("list", help="open tasks due today, soonest first")
    queue.add_argument("--assignee", type=int, help="a team member's id (0: nobody's)")
    queue.add_argument("--kind", help="welcome, thanks, survey, callback, wakeup, birthday, replenish, vip_touch, manual")
    queue.add_argument("--json", action="store_true")

    compliance = sub.add_parser("compliance", help="Advertising Law check of scripts and templates")
    compliance_sub = compliance.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = compliance_sub.add_parser("check", help="flag absolute terms and medical claims; exit 1 if any")
    check.add_argument("text", metavar="FILE_OR_TEXT", help="a text file (UTF-8) or the text itself")
    check.add_argument("--json", action="store_true")

    imports = sub.add_parser("import", help="import a platform's order export; revert an import")
    imports_sub = imports.add_subparsers(dest="action", required=True, metavar="ACTION")
    import_orders = imports_sub.add_parser(
        "orders", help="import an order export (CSV/XLSX); all or nothing; exit 1 if any row is invalid")
    import_orders.add_argument("file", metavar="FILE")
    import_orders.add_argument("--platform", choices=["douyin", "taobao", "kuaishou", "channels", "tiktok", "shopify"],
                               help="the export's platform (default: recognised from its columns)")
    import_orders.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                               help="read FIELD from COLUMN (remembered for this platform); repeatable")
    import_orders.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    import_orders.add_argument("--report", metavar="PATH", help="error report file or folder (default: next to FILE)")
    import_orders.add_argument("--json", action="store_true")
    import_revert = imports_sub.add_parser("revert", help="remove an import's orders and the customers it created")
    import_revert.add_argument("batch_id", type=int, metavar="BATCH_ID")
    import_revert.add_argument("--json", action="store_true")

    from livedesk.services.bench import BENCHES

    restore = sub.add_parser("restore", help="replace the store with a backup (the current one is kept aside)")
    restore.add_argument("backup", metavar="BACKUP_FILE")

    bench = sub.add_parser("bench", help="benchmarks; each prints one JSON object")
    bench.add_argument("name", choices=sorted(BENCHES))
    bench.add_argument("--customers", type=int, default=200_000)
    bench.add_argument("--rows", type=int, default=1_000_000)
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--rate", type=int, default=1000)
    bench.add_argument("--seconds", type=float, default=30)
    bench.add_argument("--cache", metavar="FOLDER", help="where built benchmark stores are kept")
    bench.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from livedesk.ui.app import run_app

        return run_app(args)
    handler = COMMANDS[args.command]
    from livedesk.services.store import StoreError

    try:
        return handler(args)
    except StoreError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _open(args: argparse.Namespace):
    from livedesk.services.store import open_store, resolve_url

    return open_store(resolve_url(args.db))


def _print(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text)


def cmd_demo(args: argparse.Namespace) -> int:
    from livedesk.services import demo

    store = _open(args)
    try:
        if args.if_empty and not demo.is_empty(store):
            _print({"skipped": True}, args.json, "the store already has customers: nothing done")
            return EXIT_OK
        try:
            summary = demo.generate(store, customers=args.customers, seed=args.seed,
                                    progress=None if args.json else _progress_printer())
        except demo.NotEmpty as exc:
            print(f"livedesk: {exc}", file=sys.stderr)
            return EXIT_FAILED
        _print(asdict(summary), args.json, demo.describe(summary))
        return EXIT_OK
    finally:
        store.dispose()


def _progress_printer():
    def report(done: int, total: int, what: str) -> None:
        print(f"\r{what}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return report


def cmd_lookup(args: argparse.Namespace) -> int:
    from livedesk.services.lookup import lookup

    store = _open(args)
    try:
        with store.begin() as session:
            matches = lookup(session, args.query, limit=args.limit)
    finally:
        store.dispose()
    lines = [
        f"{m.id:>7}  {m.nickname}  {m.tier}/{m.level}  ¥{m.total_spent_fen / 100:,.2f}  {m.city or ''}"
        for m in matches
    ]
    _print([asdict(m) for m in matches], args.json, "\n".join(lines) or "no match")
    return EXIT_OK if matches else EXIT_FAILED


def cmd_self_test(args: argparse.Namespace) -> int:
    from livedesk.ui.selftest import run_self_test

    return run_self_test(args.out)


def cmd_segments(args: argparse.Namespace) -> int:
    from datetime import date

    from livedesk.services import segments

    store = _open(args)
    try:
        with store.begin() as session:
            summary = segments.recompute_if_stale(session, date.today(), force=True)
    finally:
        store.dispose()
    text = (f"{summary.customers} customers ({summary.paying} paying) in {summary.elapsed_ms:.0f} ms: "
            f"{summary.changed} changed, {summary.level_changes} level changes; tiers {summary.tiers}; "
            f"levels {summary.levels}")
    _print(asdict(summary), args.json, text)
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services.store import backup_sqlite

    store = _open(args)
    try:
        if store.path is None:
            print("livedesk: backup copies SQLite stores; back up a server database with its own tools",
                  file=sys.stderr)
            return EXIT_FAILED
        target = backup_sqlite(store.path, folder=Path(args.to) if args.to else None)
    finally:
        store.dispose()
    print(target)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services.store import StoreError, restore_sqlite

    store = _open(args)  # refuses a damaged or foreign target before anything is replaced
    path = store.path
    store.dispose()
    if path is None:
        raise StoreError("restore replaces SQLite stores; restore a server database with its own tools")
    safety = restore_sqlite(Path(args.backup), path)
    _open(args).dispose()  # the restored copy may be older: migrate it now
    print(f"restored {path} from {args.backup}" + (f"; the replaced store is kept at {safety}" if safety else ""))
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from livedesk.services import bench

    result = bench.run(args.name, args)
    _print(result, args.json, json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    import asyncio

    from livedesk.services.feeds.formats import open_source
    from livedesk.services.feeds.source import FeedConfigError
    from livedesk.services.feeds.watch import load_index, watch

    store = _open(args)
    try:
        index = load_index(store)
    finally:
        store.dispose()
    try:
        source = open_source(args.format, args.target, index=index, speed=args.speed, host=args.host,
                             port=args.port, allow_remote=args.allow_remote)
    except FeedConfigError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        status = asyncio.run(watch(source, as_json=args.json, limit=args.limit))
    except KeyboardInterrupt:  # a second Ctrl-C during the summary
        return EXIT_OK
    return EXIT_FAILED if status.state == "failed" else EXIT_OK


def cmd_followups(args: argparse.Namespace) -> int:
    from livedesk.services import followups

    store = _open(args)
    try:
        with store.begin() as session:
            if args.action == "generate":
                summary = followups.generate(session)
                made = ", ".join(f"{k} {n}" for k, n in summary.created.items() if n) or "nothing new"
                _print(asdict(summary), args.json,
                       f"{summary.total_created} new tasks ({made}) in {summary.elapsed_ms:.0f} ms")
                return EXIT_OK
            views = followups.queue(session, assignee_id=args.assignee, kind=args.kind)
    finally:
        store.dispose()
    lines = [
        f"{v.id:>7}  {v.due_at.astimezone(followups.SHOP_TZ):%m-%d %H:%M}  {v.kind:<9}  {v.nickname}"
        f"{'  OVERDUE' if v.overdue else ''}{'  SLA' if v.sla_breached else ''}  {v.assignee_name or ''}"
        for v in views
    ]
    _print([asdict(v) for v in views], args.json, "\n".join(lines) or "nothing to do")
    return EXIT_OK


def cmd_compliance(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services import compliance

    path = Path(args.text)
    text = path.read_text(encoding="utf-8") if len(args.text) < 4096 and path.is_file() else args.text
    store = _open(args)  # the owner's extra and exempt terms live in the store
    try:
        with store.begin() as session:
            findings = compliance.check_for_shop(session, text)
    finally:
        store.dispose()
    lines = [f"{f.start}-{f.end}  {f.term}  [{f.category}] {f.reason}" for f in findings]
    _print([f.as_dict() for f in findings], args.json, "\n".join(lines) or "no findings")
    return EXIT_FAILED if findings else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services import importing

    if args.action == "revert":
        store = _open(args)
        try:
            with store.begin() as session:
                result = importing.revert_batch(session, args.batch_id)
        except (LookupError, ValueError) as exc:
            print(f"livedesk: {exc}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            store.dispose()
        _print(asdict(result), args.json, f"batch {result.batch_id} reverted: {result.orders_removed} orders and "
               f"{result.customers_removed} customers removed, {result.customers_kept} customers kept")
        return EXIT_OK
    try:
        overrides = importing.parse_overrides(args.map)
    except importing.MappingError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = importing.ImportOptions(platform=args.platform, overrides=overrides, dry_run=args.dry_run,
                                      report_path=Path(args.report) if args.report else None)

    def progress(done: int, total: int | None, phase: str) -> None:
        print(f"\r{phase}: {done}/{total or '?'} rows", end="", file=sys.stderr, flush=True)

    store = _open(args)
    try:
        summary = importing.import_orders(store.session_factory, args.file, options,
                                          progress=None if args.json else progress)
    except importing.ImportSetupError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.dispose()
    if not args.json:
        print(file=sys.stderr)
        for e in summary.errors[:20]:
            print(f"row {e.row}  {e.column or ''}  {e.value or ''!r}  {e.reason}", file=sys.stderr)
    s = summary
    text = (f"{'dry run: ' if s.dry_run else ''}{s.rows_read} rows; orders {s.orders_created} new, "
            f"{s.orders_updated} updated, {s.orders_unchanged} unchanged; customers {s.customers_created} new, "
            f"{s.customers_matched} matched; {s.possible_duplicates} possible duplicates; {len(s.errors)} errors"
            + (f" (nothing written; report: {s.report_path})" if s.errors else "")
            + (f"; batch {s.batch_id}" if s.committed else ""))
    _print(summary.as_dict(), args.json, text)
    return EXIT_FAILED if summary.errors else EXIT_OK


COMMANDS = {
    "demo": cmd_demo,
    "lookup": cmd_lookup,
    "self-test": cmd_self_test,
    "segments": cmd_segments,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "bench": cmd_bench,
    "followups": cmd_followups,
    "compliance": cmd_compliance,
    "feed": cmd_feed,
    "import": cmd_import,
}
