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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="PATH", help="SQLite store to use (default: LIVEDESK_DB, "
                       "LIVEDESK_DATABASE_URL, the server saved in 设置, or livedesk.sqlite3 in the user "
                       "data folder)")
    where.add_argument("--db-url", metavar="URL", help="any store by URL, e.g. a team's PostgreSQL server: "
                       "postgresql://USER:PASSWORD@HOST:5432/DATABASE")
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

    selftest = sub.add_parser("self-test", help="prove this build works: store, migrations, pandas, Qt, plots "
                              "(and, with --db-url, that it reaches that server)")
    selftest.add_argument("--out", metavar="FILE", help="also write the JSON report here")

    segments = sub.add_parser("segments", help="RFM scores, tiers, membership levels and point balances")
    segments_sub = segments.add_subparsers(dest="action", required=True, metavar="ACTION")
    recompute = segments_sub.add_parser("recompute", help="recompute every customer now")
    recompute.add_argument("--json", action="store_true")

    backup = sub.add_parser("backup", help="copy the store to a timestamped backup (a server store: a portable "
                            "dump that restore and migrate-store load into SQLite or PostgreSQL)")
    backup.add_argument("--to", metavar="FOLDER", help="where (default: backups/ next to the store, or in the "
                        "user data folder for a server store)")
    backup.add_argument("--portable", action="store_true",
                        help="an SQLite store too: write the portable dump instead of a copy of the file")

    transfer = sub.add_parser("migrate-store", help="copy every row of the store into another, empty store "
                              "(SQLite or PostgreSQL, either direction), verified by per-table counts")
    transfer.add_argument("--to", required=True, metavar="URL_OR_PATH",
                          help="the target: postgresql://USER:PASSWORD@HOST/DATABASE or an SQLite file path")
    transfer.add_argument("--json", action="store_true")

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

    duplicates = sub.add_parser("duplicates", help="duplicate customers: find pairs, merge with a preview, dismiss")
    duplicates_sub = duplicates.add_subparsers(dest="action", required=True, metavar="ACTION")
    find = duplicates_sub.add_parser("find", help="pairs that may be one person, likeliest first, with the reasons")
    find.add_argument("--limit", type=int, default=50, help="show at most N pairs (default 50; 0: all)")
    find.add_argument("--json", action="store_true")
    merge = duplicates_sub.add_parser(
        "merge", help="merge DROP_ID into KEEP_ID: every order, note, tag, point and account is kept")
    merge.add_argument("keep_id", type=int, metavar="KEEP_ID")
    merge.add_argument("drop_id", type=int, metavar="DROP_ID")
    merge.add_argument("--dry-run", action="store_true", help="show the side-by-side preview, change nothing")
    merge.add_argument("--json", action="store_true")
    dismiss = duplicates_sub.add_parser("dismiss", help="A and B are not the same person: never propose them again")
    dismiss.add_argument("a", type=int, metavar="A")
    dismiss.add_argument("b", type=int, metavar="B")

    export = sub.add_parser("export", help="export customers or orders to XLSX or CSV (recorded in the audit log)")
    export.add_argument("what", choices=["customers", "orders"])
    export.add_argument("file", metavar="FILE", help="FILE.xlsx or FILE.csv (CSV in UTF-8 with BOM, for Excel)")
    export.add_argument("--tier", choices=["vip", "potential", "new", "dormant", "lost", "prospect"],
                        help="only customers of this tier (orders: their orders)")
    export.add_argument("--customer", type=int, action="append", metavar="ID",
                        help="only this customer (repeatable)")
    export.add_argument("--json", action="store_true")

    from livedesk.services.bench import BENCHES

    restore = sub.add_parser("restore", help="replace the store with a backup (the current one is kept aside); "
                             "a portable dump loads into an empty server store too")
    restore.add_argument("backup", metavar="BACKUP_FILE")

    bench = sub.add_parser("bench", help="benchmarks; each prints one JSON object")
    bench.add_argument("name", choices=sorted(BENCHES))
    bench.add_argument("--customers", type=int, default=200_000)
    bench.add_argument("--rows", type=int, default=1_000_000)
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--repeat", type=int, default=1,
                       help="import: run the import and its baseline N times, alternating; medians reported")
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
    from livedesk.services.store import open_store

    return open_store(store_url(args))


def store_url(args: argparse.Namespace) -> str:
    from livedesk.services.store import resolve_url

    return resolve_url(args.db, db_url=getattr(args, "db_url", None))


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

    return run_self_test(args.out, db_url=args.db_url)


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
    from livedesk.services.store_transfer import backup_to_dump, read_manifest

    store = _open(args)
    try:
        if store.path is not None and not args.portable:
            target = backup_sqlite(store.path, folder=Path(args.to) if args.to else None)
        else:
            target = backup_to_dump(store, Path(args.to) if args.to else None)
            tables = read_manifest(target)["tables"]
            print(f"{sum(t['rows'] for t in tables)} rows in {len(tables)} tables", file=sys.stderr)
    finally:
        store.dispose()
    print(target)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services.store import StoreError, restore_sqlite
    from livedesk.services.store_transfer import is_dump, load_dump

    backup = Path(args.backup)
    if not backup.is_file():
        raise StoreError(f"{backup} does not exist")
    store = _open(args)  # refuses a damaged or foreign target before anything is replaced
    path = store.path
    if path is None:
        try:
            if not is_dump(backup):
                raise StoreError(f"{backup} is not a portable dump; a server store restores from dumps "
                                 "(livedesk backup) or from pg_dump's files (see docs/team.md)")
            summary = load_dump(backup, store)
        finally:
            store.dispose()
        _print_counts(summary.counts)
        print(f"restored {summary.rows} rows from {backup}")
        return EXIT_OK
    store.dispose()
    if is_dump(backup):
        backup = _dump_as_sqlite(backup, path)
        try:
            safety = restore_sqlite(backup, path)
        finally:
            backup.unlink(missing_ok=True)
    else:
        safety = restore_sqlite(backup, path)
    _open(args).dispose()  # the restored copy may be older: migrate it now
    print(f"restored {path} from {args.backup}" + (f"; the replaced store is kept at {safety}" if safety else ""))
    return EXIT_OK


def _dump_as_sqlite(dump, beside):
    """A dump loaded into a new SQLite file next to the store, ready to be swapped in."""
    from livedesk.services.store import open_store, sqlite_url
    from livedesk.services.store_transfer import load_dump, read_manifest

    read_manifest(dump)  # a bad dump is refused before any file is made
    temp = beside.with_name(f"{beside.stem}-restoring.sqlite3")
    for leftover in (temp, temp.with_name(temp.name + "-wal"), temp.with_name(temp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    loaded = open_store(sqlite_url(temp))
    try:
        load_dump(dump, loaded)
    except Exception:
        loaded.dispose()
        temp.unlink(missing_ok=True)
        raise
    loaded.dispose()
    return temp


def cmd_migrate_store(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.models.engine import normalize_url
    from livedesk.services.store import open_store, sqlite_url
    from livedesk.services.store_location import display_url
    from livedesk.services.store_transfer import copy_store

    target_url = args.to if "://" in args.to else sqlite_url(Path(args.to))
    source = _open(args)
    try:
        if normalize_url(target_url).render_as_string(False) == source.engine.url.render_as_string(False):
            print("livedesk: the target is the store itself", file=sys.stderr)
            return EXIT_USAGE
        target = open_store(target_url)
        try:
            summary = copy_store(source, target, progress=None if args.json else _table_progress())
        finally:
            target.dispose()
    finally:
        source.dispose()
    if args.json:
        print(json.dumps({"target": display_url(target_url), "schema": summary.schema, "counts": summary.counts,
                          "rows": summary.rows, "sequences": summary.sequences}, ensure_ascii=False))
    else:
        _print_counts(summary.counts)
        print(f"copied {summary.rows} rows into {display_url(target_url)}; every table's count matches")
    return EXIT_OK


def _table_progress():
    def report(table: str, done: int, total: int) -> None:
        if total:
            print(f"\r{table}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return report


def _print_counts(counts: dict[str, int]) -> None:
    width = max(map(len, counts), default=0)
    for name, n in counts.items():
        print(f"{name:<{width}}  {n:>9}")


def cmd_bench(args: argparse.Namespace) -> int:
    from livedesk.services import bench

    result = bench.run(args.name, args)
    _print(result, args.json, json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    import asyncio

    from livedesk.services.feeds.formats import listener_secret, open_source
    from livedesk.services.feeds.source import FeedConfigError
    from livedesk.services.feeds.watch import load_index, watch

    store = _open(args)
    try:
        index = load_index(store)
        with store.begin() as session:  # dycast pushes to the same address as in the app
            secret = listener_secret(session)
    finally:
        store.dispose()
    try:
        source = open_source(args.format, args.target, index=index, speed=args.speed, host=args.host,
                             port=args.port, allow_remote=args.allow_remote, secret=secret)
    except FeedConfigError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        status = asyncio.run(watch(source, as_json=args.json, limit=args.limit))
    except KeyboardInterrupt:  # a second Ctrl-C during the summary
        return EXIT_OK
    return EXIT_FAILED if status.state == "failed" else EXIT_OK


def cmd_followups(args: argparse.Namespace) -> int:
    from livedesk.services import followups, settings

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
            zone = settings.shop_zone(session)
    finally:
        store.dispose()
    lines = [
        f"{v.id:>7}  {v.due_at.astimezone(zone):%m-%d %H:%M}  {v.kind:<9}  {v.nickname}"
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
        if summary.committed:  # new orders owe welcomes and thank-yous now, not at the next app start
            from livedesk.services import followups

            with store.begin() as session:
                followups.generate(session)
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


def cmd_duplicates(args: argparse.Namespace) -> int:
    import getpass

    from livedesk.services import customers, merge

    pair = {"merge": lambda: (args.keep_id, args.drop_id), "dismiss": lambda: (args.a, args.b)}.get(args.action)
    if pair is not None and len(set(pair())) == 1:
        print("livedesk: give two different customer ids", file=sys.stderr)
        return EXIT_USAGE
    store = _open(args)
    try:
        with store.begin() as session:
            if args.action == "find":
                findings = merge.find_duplicates(session, limit=args.limit or None)
                _print(merge.as_dict(findings), args.json, _describe_findings(findings))
                return EXIT_OK
            if args.action == "dismiss":
                merge.dismiss(session, args.a, args.b, actor=getpass.getuser())
                print(f"customers {args.a} and {args.b} will not be proposed as duplicates again")
                return EXIT_OK
            if args.dry_run:
                shown = merge.preview(session, args.keep_id, args.drop_id)
                _print(merge.as_dict(shown), args.json, _describe_preview(shown))
                return EXIT_OK
            result = merge.merge(session, args.keep_id, args.drop_id, actor=getpass.getuser())
    except (customers.NotFound, merge.MergeError) as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    moved = ", ".join(f"{table} {n}" for table, n in result.moves.items()) or "nothing"
    m = result.merged
    _print(merge.as_dict(result), args.json,
           f"customer {result.dropped_id} merged into {result.kept_id} (moved: {moved}); now {m.order_count} "
           f"orders, ¥{m.gmv_fen / 100:,.2f}, {m.points_balance} points, {m.tier}/{m.level}; audit entry {result.audit_id}")
    return EXIT_OK


def _describe_findings(findings: Any) -> str:
    lines = [f"{c.score:>5.2f}  {c.customer_id:>7} {c.other_id:>7}  {','.join(c.reasons):<32}  "
             f"{c.nicknames[0]} | {c.nicknames[1]}" for c in findings.candidates]
    reasons = ", ".join(f"{r} {n}" for r, n in findings.by_reason.items())
    lines.append(f"{findings.total} possible pairs ({reasons or 'none'}), {len(findings.candidates)} shown; "
                 f"{findings.dismissed_skipped} dismissed before; {findings.elapsed_ms:.0f} ms")
    return "\n".join(lines)


def _describe_preview(shown: Any) -> str:
    def cell(value: Any) -> str:
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            return f"{value:%Y-%m-%d %H:%M} UTC"
        return "-" if value in (None, "") else str(value)[:24]

    k, d, m = shown.keep, shown.drop, shown.merged
    lines = [f"{'':<22}{'keep #' + str(k.id):<26}{'drop #' + str(d.id):<26}merged",
             *(f"{c.field:<22}{cell(c.keep):<26}{cell(c.drop):<26}{cell(c.merged)}  ({c.source})"
               for c in shown.fields)]
    for label, values in (
        ("accounts", [len(s.accounts) for s in (k, d, m)]),
        ("orders", [s.order_count for s in (k, d, m)]),
        ("GMV", [f"¥{s.gmv_fen / 100:,.2f}" for s in (k, d, m)]),
        ("points", [s.points_balance for s in (k, d, m)]),
        ("tier/level", [f"{s.tier}/{s.level}" for s in (k, d, m)]),
        ("notes", [s.note_count for s in (k, d, m)]),
        ("tags", [",".join(s.tags) for s in (k, d, m)]),
        ("open tasks", [s.open_tasks for s in (k, d, m)]),
        ("invitations", [s.invitations for s in (k, d, m)]),
    ):
        lines.append(f"{label:<22}{cell(values[0]):<26}{cell(values[1]):<26}{cell(values[2])}")
    moves = ", ".join(f"{table} {n}" for table, n in shown.moves.items()) or "nothing"
    lines.append(f"would move: {moves}" + (f"; recorded reasons: {', '.join(shown.reasons)}" if shown.reasons else ""))
    lines.append("dry run: nothing was changed")
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace) -> int:
    import getpass

    from livedesk.services import export
    from livedesk.services.customers import CustomerFilter

    try:
        export.check_target(args.file)  # before opening the store: a wrong path is a usage problem
    except export.ExportError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def progress(done: int, total: int) -> None:
        print(f"\r{args.what}: {done}/{total} rows", end="", file=sys.stderr, flush=True)

    store = _open(args)
    try:
        with store.begin() as session:
            write = export.export_customers if args.what == "customers" else export.export_orders
            summary = write(session, args.file, CustomerFilter(tier=args.tier), args.customer,
                            actor=getpass.getuser(), progress=None if args.json else progress)
    except export.ExportError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.dispose()
    if not args.json:
        print(file=sys.stderr)
    _print(summary.as_dict(), args.json, f"{summary.rows} {summary.kind} written to {summary.path} "
           f"({summary.format}{f', {summary.sheets} sheets' if summary.sheets > 1 else ''}) in {summary.elapsed_s} s")
    return EXIT_OK


COMMANDS = {
    "demo": cmd_demo,
    "lookup": cmd_lookup,
    "self-test": cmd_self_test,
    "segments": cmd_segments,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "migrate-store": cmd_migrate_store,
    "bench": cmd_bench,
    "followups": cmd_followups,
    "compliance": cmd_compliance,
    "feed": cmd_feed,
    "import": cmd_import,
    "duplicates": cmd_duplicates,
    "export": cmd_export,
}
