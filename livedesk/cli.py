"""Command line: no argument opens the app; subcommands run headless on the same services.

Heavy modules (Qt, pandas, Alembic) are imported inside the command that needs them,
so ``livedesk lookup`` and the app's start-up stay quick.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from livedesk import __version__, cli_loyalty, cli_room, cli_store
from livedesk.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE



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
    parser.add_argument("--as", dest="member", metavar="NAME", default=None,
                        help="act as this team member (default: LIVEDESK_MEMBER); their role decides what "
                             "commands may do")
    parser.add_argument("--pin", default=None, help="the member's PIN, if they have one (default: LIVEDESK_PIN)")
    parser.add_argument("--demo", action="store_true",
                        help="with no subcommand: fill an empty store with demo data first")
    parser.add_argument("--demo-customers", type=int, default=3000, help=argparse.SUPPRESS)
    parser.add_argument("--page", choices=["customers", "live", "followups", "vip", "dashboard", "import", "settings",
                                               "backups"],
                        help="with no subcommand: the page to open on")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="fill the store with realistic, deterministic demo data")
    demo.add_argument("--customers", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--if-empty", action="store_true", help="do nothing if the store has customers")
    demo.add_argument("--json", action="store_true")
    demo.add_argument("--lang", dest="demo_lang", choices=["zh_CN", "en"], default=None,
                      help="the language of the shop's own data (products, templates, coupons…); "
                           "default: the UI language (--lang, LIVEDESK_LANG) or zh_CN")

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

    init = sub.add_parser("init", help="create a new, empty store at PATH (other commands never create one)")
    init.add_argument("path", metavar="PATH")

    backup = sub.add_parser("backup", help="make a verified backup of the store now; --list shows them")
    backup.add_argument("--to", metavar="FOLDER", help="where (default: backups/ next to the store, or in the "
                        "user data folder for a server store)")
    backup.add_argument("--list", action="store_true", help="list the store's backups, newest first")
    backup.add_argument("--json", action="store_true")
    backup.add_argument("--portable", action="store_true",
                        help="write a portable dump (what a server store always gets) that restore and "
                        "migrate-store load into SQLite or PostgreSQL")

    recover = sub.add_parser("recover", help="save what can be read from a damaged store into a new file")
    recover.add_argument("--out", metavar="FILE", help="the new file (default: beside the store)")
    recover.add_argument("--json", action="store_true")

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
    import_orders.add_argument("--encoding", metavar="NAME",
                               help="read the CSV in this encoding (gbk, utf-8, big5…) instead of detecting it; "
                                    "every row is held to it")
    import_orders.add_argument("--report", metavar="PATH",
                               help="error report file or folder (default: reports/ in the app's private data folder)")
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

    orders = sub.add_parser("orders", help="orders whose buyer is not known yet (未识别买家)")
    orders_sub = orders.add_subparsers(dest="action", required=True, metavar="ACTION")
    unknown = orders_sub.add_parser("unknown", help="orders waiting for someone to say whose they are, newest first")
    unknown.add_argument("--limit", type=int, default=200, help="show at most N orders (default 200)")
    unknown.add_argument("--json", action="store_true")
    attach = orders_sub.add_parser(
        "attach", help="ORDER_ID is CUSTOMER_ID's: attach it (and their other waiting orders with its buyer id)")
    attach.add_argument("order_id", type=int, metavar="ORDER_ID")
    attach.add_argument("customer_id", type=int, metavar="CUSTOMER_ID")
    attach.add_argument("--json", action="store_true")

    sync = sub.add_parser("sync", help="pull orders from a platform's open API (the shop's app key in the OS keyring)")
    sync_sub = sync.add_subparsers(dest="platform", required=True, metavar="PLATFORM")
    douyin = sync_sub.add_parser("douyin", help="抖店: import the orders changed since the last sync")
    douyin.add_argument("--since", metavar="T", help="from this time (ISO, e.g. 2026-10-01 or 2026-10-01T08:00+08:00) "
                                                     "instead of the last sync's end")
    douyin.add_argument("--dry-run", action="store_true", help="fetch and check, write nothing")
    douyin.add_argument("--set-credentials", action="store_true",
                        help="enter the app key, secret (asked, not echoed) and shop id, keep them, and stop")
    douyin.add_argument("--shop-id", help="with --set-credentials: the shop's id (店铺ID; a self-built app's)")
    douyin.add_argument("--app-key", help="with --set-credentials: the app key")
    douyin.add_argument("--app-type", choices=["self", "tool"], default=None,
                        help="with --set-credentials: a self-built app (自用型, the default) or a tool app (工具型), "
                             "which the shop authorises (--authorize-url, then --auth-code)")
    douyin.add_argument("--service-id", help="with --set-credentials: a tool app's service id in 抖店's service market")
    douyin.add_argument("--authorize-url", action="store_true",
                        help="print the page where the shop authorises the tool app, and stop")
    douyin.add_argument("--auth-code", metavar="CODE",
                        help="the code 抖店 gave after the shop authorised the tool app (or the whole address it "
                             "opened): exchange it for tokens, kept in the OS keyring, and stop")
    douyin.add_argument("--decrypt", metavar="ORDER_NUMBERS", action="append", default=None,
                        help="decrypt these orders' recipients (抖店 order numbers, comma-separated) through the "
                             "platform, which counts each against the shop's quota; the owner's to do. The names and "
                             "phones go to the customers, never to the output")
    douyin.add_argument("--gateway", default=None, help="the API's address (default: 抖店's; its sandbox: "
                                                        "https://openapi-sandbox.jinritemai.com)")
    douyin.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="export customers or orders to XLSX or CSV (recorded in the audit log)")
    export.add_argument("what", choices=["customers", "orders"])
    export.add_argument("file", metavar="FILE", help="FILE.xlsx or FILE.csv (CSV in UTF-8 with BOM, for Excel)")
    export.add_argument("--tier", choices=["vip", "potential", "new", "dormant", "lost", "prospect"],
                        help="only customers of this tier (orders: their orders)")
    export.add_argument("--customer", type=int, action="append", metavar="ID",
                        help="only this customer (repeatable)")
    export.add_argument("--json", action="store_true")

    members = sub.add_parser("team", help="the shop's team: who may do what")
    members_sub = members.add_subparsers(dest="action", required=True, metavar="ACTION")
    members_list = members_sub.add_parser("list", help="active members with their roles")
    members_list.add_argument("--all", action="store_true", help="deactivated members too")
    members_list.add_argument("--json", action="store_true")
    member_add = members_sub.add_parser("add", help="add a member")
    member_add.add_argument("name")
    member_add.add_argument("--role", choices=["owner", "host", "assistant"], default="assistant")
    member_add.add_argument("--new-pin", metavar="PIN", help="4 to 8 digits asked when they sign in")
    member_rename = members_sub.add_parser("rename", help="rename a member")
    member_rename.add_argument("name")
    member_rename.add_argument("new_name")
    member_role = members_sub.add_parser("role", help="change a member's role")
    member_role.add_argument("name")
    member_role.add_argument("role", choices=["owner", "host", "assistant"])
    member_off = members_sub.add_parser("deactivate", help="a member who left: they can no longer sign in")
    member_off.add_argument("name")
    people = sub.add_parser("customers", help="one customer's data: erase it (PIPL), export everything about them")
    people_sub = people.add_subparsers(dest="action", required=True, metavar="ACTION")
    erase = people_sub.add_parser(
        "erase", help="erase a customer: their notes, profile, tags, accounts, tasks, surveys, points, appearances "
                      "and invitations are deleted, their orders kept without name, phone or address (audited)")
    erase.add_argument("customer_id", type=int, metavar="ID")
    erase.add_argument("--yes", action="store_true", help="do not ask (scripts); without it a terminal is asked")
    erase.add_argument("--purge-backups", action="store_true",
                       help="also delete the backups that still hold the customer (otherwise listed; they expire)")
    erase.add_argument("--json", action="store_true")
    access = people_sub.add_parser("access-export",
                                   help="write everything the store holds about one customer (audited)")
    access.add_argument("customer_id", type=int, metavar="ID")
    access.add_argument("file", metavar="FILE", help="FILE.xlsx (a sheet per table) or FILE.json")
    access.add_argument("--json", action="store_true")

    from livedesk.checks.bench import BENCHES

    restore = sub.add_parser("restore", help="replace the store with a backup (the current one is kept aside); "
                             "a portable dump loads into an empty server store too")
    restore.add_argument("backup", metavar="BACKUP_FILE")
    restore.add_argument("--json", action="store_true")

    cli_room.add_parsers(sub)

    bench = sub.add_parser("bench", help="benchmarks; each prints one JSON object")
    bench.add_argument("name", choices=sorted(BENCHES))
    bench.add_argument("--customers", type=int, default=200_000)
    bench.add_argument("--rows", type=int, default=1_000_000)
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--repeat", type=int, default=1,
                       help="import: run the import and its baseline N times, alternating; medians reported")
    bench.add_argument("--rate", type=int, default=1000)
    bench.add_argument("--seconds", type=float, default=30)
    bench.add_argument("--events", type=int, default=200, help="bench team: notes and pushes timed, each")
    bench.add_argument("--backends", default="sqlite,postgresql", help="bench team: sqlite, postgresql or both")
    bench.add_argument("--cache", metavar="FOLDER", help="where built benchmark stores are kept")
    bench.add_argument("--json", action="store_true")

    cli_loyalty.add_parsers(sub)
    cli_store.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from livedesk.ui.app import run_app

        return run_app(args)
    if args.command in cli_room.COMMANDS:  # the live-room commands open the store through _open
        handler = functools.partial(cli_room.COMMANDS[args.command], open_store=_open)
    elif args.command == "store":
        handler = functools.partial(cli_store.cmd_store, store_path=_store_path, open_store=_open, show=_print)
    else:
        handler = COMMANDS[args.command]
    from livedesk.services import private
    from livedesk.services.encryption import EncryptionError
    from livedesk.services.store import StoreError
    from livedesk.services.team import PermissionDenied

    private.clean_leftovers()  # what a killed export or import left in the private folder
    try:
        cli_store.unlock(_encrypted_path(args))  # an encrypted store's passphrase, before anything opens it
        return handler(args)
    except EncryptionError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PermissionDenied as exc:  # the acting member's role may not, or nobody said who acts
        print(f"livedesk: {denied_words(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except StoreError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        # A missing or empty store is a wrong path, not a failure of the command.
        return EXIT_USAGE if exc.code in ("missing", "empty") else EXIT_FAILED
    except Exception as exc:  # a full disk, a lock, damage met mid-command: in words, not a traceback
        from livedesk.services import store_problems

        words = _in_words(exc)
        if words is None:
            code = store_problems.classify(exc)
            if code == store_problems.OTHER:
                raise
            words = f"{store_problems.describe(code)} ({getattr(exc, 'orig', None) or exc})"
        print(f"livedesk: {words}", file=sys.stderr)
        return EXIT_FAILED


def denied_words(exc: Any) -> str:
    """A refused permission for the command line; nobody acting is told how to say who acts."""
    if exc.actor is not None:
        return str(exc)
    return (f"{exc}. Say who is acting: --as NAME (and --pin PIN if they have one), or set LIVEDESK_MEMBER "
            "(and LIVEDESK_PIN); `livedesk team list` shows the team")


def _in_words(exc: BaseException) -> str | None:
    """What a person is told about a failure of the disk or the store (failures.kind) instead
    of a traceback; None: not one of those."""
    from livedesk.services import failures

    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return {
        failures.DISK_FULL: f"the disk is full{where}: nothing was written. Free some space and run the command again.",
        failures.LOCKED: "the store is in use by another program (another LiveDesk window or command) and stayed "
                         "locked: nothing was written. Run the command again when it is done.",
        failures.READ_ONLY: f"cannot write{where}: the folder or the store is read-only, or not yours.",
    }.get(failures.kind(exc) or "")


def _open(args: argparse.Namespace, *, create: bool = False):
    """The store named by --db / the environment / the default, acting as ``--as NAME`` (or
    LIVEDESK_MEMBER) when given. Only ``demo`` and ``init`` create one."""
    import os

    from livedesk.services import team
    from livedesk.services.store import StoreError, open_store

    store = open_store(store_url(args), create=create)
    name = getattr(args, "member", None) or os.environ.get("LIVEDESK_MEMBER")
    if name:
        try:
            with store.read() as session:
                store.actor = team.sign_in(session, team.find(session, name).id,
                                           getattr(args, "pin", None) or os.environ.get("LIVEDESK_PIN"))
        except team.TeamError as exc:
            store.dispose()
            raise StoreError(str(exc)) from exc
    return store


def store_url(args: argparse.Namespace) -> str:
    """``--db PATH`` / ``--db-url URL`` / the environment / the saved server / the default file."""
    from livedesk.services.store import resolve_url

    return resolve_url(args.db, db_url=getattr(args, "db_url", None))


def cmd_team(args: argparse.Namespace) -> int:
    from livedesk.services import team

    store = _open(args)
    try:
        if args.action == "list":
            with store.read() as session:
                found = team.members(session, include_inactive=args.all)
            _print([asdict(m) for m in found], args.json, "\n".join(
                f"{m.id}  {m.name}  {m.role}{'' if m.active else '  (deactivated)'}{'  PIN' if m.has_pin else ''}"
                for m in found) or "no team members yet: livedesk team add NAME --role owner")
            return EXIT_OK
        with store.write() as session:
            if args.action == "add":
                team.add_member(session, args.name, args.role, args.new_pin)
            else:
                member = team.find(session, args.name).id
                {"rename": lambda: team.rename(session, member, args.new_name),
                 "role": lambda: team.set_role(session, member, args.role),
                 "deactivate": lambda: team.deactivate(session, member)}[args.action]()
        print(f"{args.action}: {args.name}")
        return EXIT_OK
    except team.TeamError as exc:  # a refused role is worded by main()
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()


def _store_path(args: argparse.Namespace):
    from pathlib import Path

    from livedesk.models.engine import is_sqlite
    from livedesk.services.store import StoreError

    url = store_url(args)
    if not is_sqlite(url):
        raise StoreError("this command works on SQLite stores; a server database has its own tools")
    from sqlalchemy.engine import make_url

    return Path(make_url(url).database)


def _encrypted_path(args: argparse.Namespace):
    """The SQLite file the command works on, if it is one (None for a server store)."""
    from livedesk.services.store import StoreError

    try:
        return _store_path(args)
    except StoreError:
        return None


def _print(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text)


def cmd_demo(args: argparse.Namespace) -> int:
    from livedesk.services import demo

    store = _open(args, create=True)
    try:
        if args.if_empty and not demo.is_empty(store):
            _print({"skipped": True}, args.json, "the store already has customers: nothing done")
            return EXIT_OK
        try:
            language = _shop_language(args)
            summary = demo.generate(store, customers=args.customers, seed=args.seed,
                                    progress=None if args.json else _progress_printer(), language=language)
        except demo.NotEmpty as exc:
            print(f"livedesk: {exc}", file=sys.stderr)
            return EXIT_FAILED
        _print(asdict(summary), args.json, demo.describe(summary, language))
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
        with store.read() as session:
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
    from livedesk.checks.selftest import run_self_test

    return run_self_test(args.out, db_url=args.db_url)


def cmd_segments(args: argparse.Namespace) -> int:
    from datetime import date

    from livedesk.services import segments

    store = _open(args)
    try:
        with store.write() as session:
            summary = segments.recompute_if_stale(session, date.today(), force=True)
    finally:
        store.dispose()
    text = (f"{summary.customers} customers ({summary.paying} paying) in {summary.elapsed_ms:.0f} ms: "
            f"{summary.changed} changed, {summary.level_changes} level changes; tiers {summary.tiers}; "
            f"levels {summary.levels}")
    _print(asdict(summary), args.json, text)
    return EXIT_OK


def _shop_language(args: argparse.Namespace) -> str:
    """The language a new store's own data is written in: --lang of the command, else the UI's."""
    import os

    chosen = getattr(args, "demo_lang", None) or args.lang or os.environ.get("LIVEDESK_LANG") or "zh_CN"
    return "en" if chosen.startswith("en") else "zh_CN"


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services.store import open_store, sqlite_url

    path = Path(args.path).expanduser()
    if path.exists() and path.stat().st_size > 0:
        print(f"livedesk: {path} already exists; nothing was changed", file=sys.stderr)
        return EXIT_FAILED
    import os

    from livedesk.services import shop_words

    store = open_store(sqlite_url(path), create=True)
    try:
        if args.lang or os.environ.get("LIVEDESK_LANG"):  # else the app words it in the language it opens in
            with store.write() as session:  # its templates, coupon and perk names in that language
                shop_words.seed(session, _shop_language(args))
    finally:
        store.dispose()
    print(f"new empty store at {path.resolve()}")
    return EXIT_OK


def _describe_backup(info: Any) -> str:
    counts = info.counts
    return (f"{info.path}  {info.created_at.astimezone():%Y-%m-%d %H:%M}  {info.reason}  {info.size / 1e6:.1f} MB  "
            f"{'verified' if info.verified else 'not verified'}"
            + (f"  {counts.get('customers', 0)} customers, {counts.get('orders', 0)} orders" if counts else ""))


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.models.engine import is_sqlite
    from livedesk.services import backups
    from livedesk.services.store_transfer import backup_to_dump, read_manifest

    if args.portable and is_sqlite(store_url(args)) and backups.files.is_encrypted(_store_path(args)):
        print("livedesk: the store is encrypted, and a portable dump would hold its customers unencrypted: "
              "`livedesk backup` makes an encrypted copy (or decrypt the store first)", file=sys.stderr)
        return EXIT_FAILED
    if args.portable or not is_sqlite(store_url(args)):
        # A server store (or --portable): the portable dump, loadable into either backend.
        store = _open(args)
        try:
            target = backup_to_dump(store, Path(args.to) if args.to else None)
        finally:
            store.dispose()
        tables = read_manifest(target)["tables"]
        if args.json:
            _print({"path": str(target), "tables": tables}, True, "")
        else:  # the dump's path alone on stdout, for scripts; the summary beside it
            print(f"{sum(t['rows'] for t in tables)} rows in {len(tables)} tables", file=sys.stderr)
            print(target)
        return EXIT_OK
    path = _store_path(args)
    if args.list:
        found = backups.list_backups(path, Path(args.to) if args.to else None)
        _print([b.as_dict() for b in found], args.json,
               "\n".join(_describe_backup(b) for b in found) or "no backups yet")
        return EXIT_OK
    _open(args).dispose()  # refuses a missing, foreign or newer store before copying it
    info = backups.make_backup(path, "manual", folder=Path(args.to) if args.to else None)
    _print(info.as_dict(), args.json, _describe_backup(info))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.models.engine import is_sqlite
    from livedesk.services import backups, team
    from livedesk.services.store import StoreError, _check_sqlite_file
    from livedesk.services.store_transfer import is_dump, load_dump

    backup = Path(args.backup)
    if not backup.is_file():
        raise StoreError(f"{backup} does not exist")
    if not is_sqlite(store_url(args)):
        store = _open(args)  # refuses a foreign or newer server database before anything is loaded
        try:
            if not is_dump(backup):
                raise StoreError(f"{backup} is not a portable dump; a server store restores from dumps "
                                 "(livedesk backup) or from pg_dump's files (see docs/team.md)")
            summary = load_dump(backup, store)
        finally:
            store.dispose()
        _print({"restored_from": str(backup), "counts": summary.counts, "rows": summary.rows}, args.json,
               "\n".join([*(f"{n:<22}{c:>10}" for n, c in summary.counts.items()),
                          f"restored {summary.rows} rows from {backup}"]))
        return EXIT_OK
    path = _store_path(args)
    if not path.exists():
        print(f"livedesk: there is no LiveDesk store at {path}. Check the path; to make a new store there: "
              f"livedesk init {path}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _check_sqlite_file(path)  # never replace another program's file
    except StoreError as exc:
        if exc.code != "damaged":  # a damaged store is exactly what a restore is for
            raise
    else:  # a store that opens says who may replace it (the owner); a damaged one is rescued by anyone
        store = _open(args)
        try:
            with store.read() as session:
                team.require(session, "restore")
        finally:
            store.dispose()
    if is_dump(backup):  # a portable dump: loaded into a new file first, then restored like a backup
        loaded = _dump_as_sqlite(backup, path)
        try:
            result = backups.restore(loaded, path)
        finally:
            for leftover in (loaded, loaded.with_name(loaded.name + "-wal"), loaded.with_name(loaded.name + "-shm")):
                leftover.unlink(missing_ok=True)
    else:
        cli_store.unlock_backup(backup)  # one made under an earlier passphrase
        result = backups.restore(backup, path)
    _open(args).dispose()  # the restored copy may be older: migrate it now
    counts = result.counts
    text = (f"restored {path} from {args.backup} ({counts.get('customers', 0)} customers, "
            f"{counts.get('orders', 0)} orders)"
            + (f"; the replaced store is kept at {result.safety.path}" if result.safety else ""))
    _print({"restored_from": str(result.restored_from), "revision": result.revision, "counts": counts,
            "replaced_store": str(result.safety.path) if result.safety else None}, args.json, text)
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    from datetime import datetime
    from pathlib import Path

    from livedesk.services import sqlite_files

    path = _store_path(args)
    if not path.is_file() or path.stat().st_size == 0:
        print(f"livedesk: there is no store to recover at {path}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out) if args.out else path.with_name(f"{path.stem}-recovered-{datetime.now():%Y%m%d-%H%M%S}.sqlite3")
    if out.exists():
        print(f"livedesk: {out} already exists; choose another --out", file=sys.stderr)
        return EXIT_USAGE
    counts = sqlite_files.recover(path, out)
    lines = [f"{table:<22}{n:>10}" for table, n in counts.items()]
    _print({"out": str(out), "counts": counts}, args.json,
           "\n".join([f"recovered into {out}:", *lines,
                      f"check it, then: livedesk restore {out}"]))
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
    from livedesk.checks import bench

    result = bench.run(args.name, args)
    _print(result, args.json, json.dumps(result, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    import asyncio

    from livedesk.services.feeds.formats import listener_secret, open_source
    from livedesk.services.feeds.source import FeedConfigError
    from livedesk.services.feeds.watch import load_index, load_tagger, watch

    store = _open(args)
    try:
        index = load_index(store)
        tagger = load_tagger(store)
        with store.write() as session:  # dycast pushes to the same address as in the app
            secret = listener_secret(session)
    finally:
        store.dispose()
    try:
        source = open_source(args.format, args.target, index=index, speed=args.speed, host=args.host,
                             port=args.port, allow_remote=args.allow_remote, secret=secret, tagger=tagger)
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
        with store.write() as session:
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
        with store.read() as session:
            findings = compliance.check_for_shop(session, text)
    finally:
        store.dispose()
    lines = [f"{f.start}-{f.end}  {f.term}  [{f.category}] {f.reason}" for f in findings]
    _print([f.as_dict() for f in findings], args.json, "\n".join(lines) or "no findings")
    return EXIT_FAILED if findings else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livedesk.services import importing
    from livedesk.services.cells import short

    if args.action == "revert":
        store = _open(args)
        try:
            with store.write() as session:
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
                                      report_path=Path(args.report) if args.report else None,
                                      encoding=args.encoding)

    def progress(done: int, total: int | None, phase: str) -> None:
        print(f"\r{phase}: {done}/{total or '?'} rows", end="", file=sys.stderr, flush=True)

    store = _open(args)
    followups_state = None
    try:
        summary = importing.import_orders(store.write_factory, args.file, options,
                                          progress=None if args.json else progress)
        if summary.committed:  # new orders owe welcomes and thank-yous now, not at the next app start
            followups_state = _followups_after_import(store)
    except importing.ImportSetupError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.dispose()
    if not args.json:
        print(file=sys.stderr)
        for e in summary.errors[:20]:
            print(f"row {e.row}  {e.column or ''}  {short(e.value or '')!r}  {e.reason}", file=sys.stderr)
    s = summary
    text = (f"{'dry run: ' if s.dry_run else ''}{s.rows_read} rows; orders {s.orders_created} new, "
            f"{s.orders_updated} updated, {s.orders_unchanged} unchanged; customers {s.customers_created} new, "
            f"{s.customers_matched} matched; {s.possible_duplicates} possible duplicates; {len(s.errors)} errors"
            + (f" (nothing written; report: {s.report_path})" if s.errors else "")
            + (f"; batch {s.batch_id}" if s.committed else ""))
    if followups_state is not None and followups_state != "ok":
        text += f"; follow-up tasks not generated yet ({followups_state}): the app or `livedesk followups generate` will"
    _print({**summary.as_dict(), "followups": followups_state}, args.json, text)
    # The orders are in: what follows them failing is reported above, not as the import's failure.
    return EXIT_FAILED if summary.errors else EXIT_OK


def _followups_after_import(store) -> str:
    from livedesk.services import followups
    from livedesk.services.store import StoreBusy

    try:
        with store.write() as session:
            followups.generate(session)
    except StoreBusy as exc:
        return f"the store was busy for {exc.waited_s:.0f} s"
    except Exception as exc:  # noqa: BLE001 - the import committed; this part is reported, not raised
        return str(exc) or type(exc).__name__
    return "ok"


def cmd_duplicates(args: argparse.Namespace) -> int:
    import getpass

    from livedesk.services import customers, merge

    pair = {"merge": lambda: (args.keep_id, args.drop_id), "dismiss": lambda: (args.a, args.b)}.get(args.action)
    if pair is not None and len(set(pair())) == 1:
        print("livedesk: give two different customer ids", file=sys.stderr)
        return EXIT_USAGE
    store = _open(args)
    try:
        with store.write() as session:
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


def cmd_orders(args: argparse.Namespace) -> int:
    import getpass
    from dataclasses import asdict

    from livedesk.services import unknown_buyers

    store = _open(args)
    try:
        with store.write() as session:
            if args.action == "unknown":
                waiting = unknown_buyers.unknown_orders(session, limit=args.limit)
                total = unknown_buyers.count(session)
                lines = [f"{o.id:>8}  {o.platform:<8} {o.platform_order_id:<22} {o.ordered_at:%Y-%m-%d %H:%M} UTC  "
                         f"¥{o.total_fen / 100:>10,.2f}  {o.status:<10} {o.buyer_uid or '-':<20} {o.products[:30]}"
                         for o in waiting]
                lines.append(f"{total} orders without a known buyer, {len(waiting)} shown")
                _print({"total": total, "orders": [asdict(o) for o in waiting]}, args.json, "\n".join(lines))
                return EXIT_OK
            result = unknown_buyers.attach(session, args.order_id, args.customer_id, actor=getpass.getuser())
    except unknown_buyers.AttachError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    _print(asdict(result), args.json,
           f"orders {', '.join(map(str, result.order_ids))} now belong to customer {result.customer_id}"
           + ("; their buyer id is now the customer's account" if result.account_linked else ""))
    return EXIT_OK


# How the CLI words the platform's refusals (the UI has its own, translated).
_DOUYIN_WORDS = {
    "revoked": "the shop's authorisation of this app was withdrawn or has lapsed: authorise it again "
               "(--authorize-url, then --auth-code)",
    "not_authorised": "the shop has not authorised this app yet (--authorize-url, then --auth-code)",
    "auth_code": "the authorisation code is wrong or older than 10 minutes: authorise again for a new one",
    "quota": "the shop's decryption quota is used up",
    "risk": "the platform's risk control refuses to decrypt for now: try later",
    "permission": "this app may not call that API: ask for its permission in the 抖店 open platform",
}


def cmd_sync(args: argparse.Namespace) -> int:
    import getpass
    import secrets
    from datetime import datetime

    from livedesk.services import settings, team
    from livedesk.services.importing import ImportCancelled
    from livedesk.services.sync import credentials, douyin_auth
    from livedesk.services.sync.douyin import SyncError, sync_orders
    from livedesk.services.sync.douyin_api import GATEWAY, DouyinApi, DouyinApiError

    store = _open(args)
    try:
        if args.set_credentials:
            app_type = args.app_type or "self"
            if not args.app_key or (app_type == "self" and not args.shop_id) or (
                    app_type == "tool" and not args.service_id):
                print("livedesk: --set-credentials needs --app-key, and --shop-id for a self-built app or "
                      "--service-id for a tool app", file=sys.stderr)
                return EXIT_USAGE
            secret = getpass.getpass("app secret: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
            if not secret:
                print("livedesk: no app secret given", file=sys.stderr)
                return EXIT_USAGE
            credentials.save("douyin", credentials.AppCredentials(args.app_key.strip(), secret))
            with store.write() as session:
                settings.set_value(session, "sync.douyin.app_type", app_type)
                if args.shop_id:
                    settings.set_value(session, "sync.douyin.shop_id", args.shop_id.strip())
                if args.service_id:
                    settings.set_value(session, "sync.douyin.service_id", args.service_id.strip())
            print("kept: the app key and secret in the OS keyring, the shop id in the store"
                  if app_type == "self" else
                  "kept: the app key and secret in the OS keyring; now let the shop authorise the app "
                  "(livedesk sync douyin --authorize-url)")
            return EXIT_OK
        with store.read() as session:
            app_type = settings.get(session, "sync.douyin.app_type")
            shop_id = settings.get(session, "sync.douyin.shop_id")
            service_id = settings.get(session, "sync.douyin.service_id")
        gateway = args.gateway or GATEWAY
        if args.authorize_url:
            if not service_id:
                print("livedesk: no service id yet: run `livedesk sync douyin --set-credentials --app-type tool "
                      "--app-key K --service-id S` first", file=sys.stderr)
                return EXIT_FAILED
            print(douyin_auth.authorize_url(service_id, secrets.token_urlsafe(8)))
            return EXIT_OK
        if args.auth_code:
            tokens = douyin_auth.exchange_code(DouyinApi(credentials.load("douyin"), "", gateway), args.auth_code,
                                               credentials.KeyringTokens("douyin"))
            with store.write() as session:
                settings.set_value(session, "sync.douyin.app_type", "tool")
                settings.set_value(session, "sync.douyin.shop_id", tokens.shop_id)
            _print({"shop_id": tokens.shop_id, "shop_name": tokens.shop_name,
                    "expires_at": tokens.expires_at.isoformat()}, args.json,
                   f"authorised by shop {tokens.shop_id} {tokens.shop_name}: the tokens are in the OS keyring")
            return EXIT_OK
        if not shop_id and app_type != "tool":
            print("livedesk: no 抖店 shop id yet: run `livedesk sync douyin --set-credentials --app-key K "
                  "--shop-id S` first", file=sys.stderr)
            return EXIT_FAILED
        api = douyin_auth.connection(app_type, shop_id, gateway)
        if args.decrypt:
            return _decrypt_douyin(store, api, args)
        since = None
        if args.since:
            try:
                since = datetime.fromisoformat(args.since)
            except ValueError:
                print(f"livedesk: --since {args.since!r} is not a time (2026-10-01 or 2026-10-01T08:00+08:00)",
                      file=sys.stderr)
                return EXIT_USAGE
            if since.tzinfo is None:  # the shop's clock
                with store.read() as session:
                    since = since.replace(tzinfo=settings.shop_zone(session))
        summary = sync_orders(store.write_factory, api, since, dry_run=args.dry_run, actor=getpass.getuser())
    except credentials.CredentialsError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except team.PermissionDenied as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except DouyinApiError as exc:
        words = _DOUYIN_WORDS.get(exc.kind)
        print(f"livedesk: 抖店 refused ({exc.kind}): {words or exc}; nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except SyncError as exc:
        print(f"livedesk: {exc}; nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except ImportCancelled:
        return EXIT_FAILED
    finally:
        store.dispose()
    s = summary
    _print(s.as_dict(), args.json,
           f"抖店 {s.since} → {s.until}: {s.orders_fetched} orders in {s.pages} pages; {s.orders_created} new, "
           f"{s.orders_updated} updated, {s.orders_unchanged} unchanged, {s.orders_outdated} older than the store; "
           f"{s.orders_without_buyer} wait for a buyer (livedesk orders unknown)"
           + (" (dry run: nothing written)" if s.dry_run else ""))
    return EXIT_OK


def _decrypt_douyin(store: Any, api: Any, args: argparse.Namespace) -> int:
    """``sync douyin --decrypt``: the summary counts and, per order that failed, why (never a name or phone)."""
    from livedesk.services.sync.douyin_decrypt import decrypt_orders

    numbers = [n for part in args.decrypt for n in part.split(",") if n.strip()]
    summary = decrypt_orders(store, api, numbers)
    s = summary
    text = (f"decrypted {s.decrypted} of {s.asked} orders ({s.ciphertexts} cipher texts counted against the quota); "
            f"{s.attached} now have their customer ({s.customers_created} new, {s.customers_matched} found), "
            f"{s.customers_completed} customers completed, {s.possible_duplicates} possible duplicates")
    if s.failed:
        text += "; not decrypted: " + ", ".join(f"{n} ({why})" for n, why in s.failed.items())
    if s.stopped:
        text += f"; stopped: {_DOUYIN_WORDS.get(s.stopped, s.stopped)}"
    _print(s.as_dict(), args.json, text)
    return EXIT_OK if not s.stopped and s.decrypted else EXIT_FAILED


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
        with store.read() as session:
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


# Who the command line acts as until team sign-in exists: the person at the laptop, the owner.
# The lead wires the acting member here (erasure checks the role in the service).


def cmd_customers(args: argparse.Namespace) -> int:
    if args.action == "access-export":
        return _access_export(args)
    return _erase(args)


def _access_export(args: argparse.Namespace) -> int:
    import getpass

    from livedesk.services import access_export
    from livedesk.services.customers import NotFound

    try:
        access_export.check_target(args.file)
    except access_export.AccessExportError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = _open(args)
    try:
        with store.write() as session:
            summary = access_export.access_export(session, args.customer_id, args.file, actor=getpass.getuser())
    except (NotFound, access_export.AccessExportError) as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    tables = ", ".join(f"{name} {n}" for name, n in summary.rows.items() if n)
    _print(summary.as_dict(), args.json, f"customer {summary.customer_id} written to {summary.path} "
           f"({summary.format}: {tables}); audit entry {summary.audit_id}")
    return EXIT_OK


def _erase(args: argparse.Namespace) -> int:
    import getpass

    from livedesk.services import erasure, team
    from livedesk.services.customers import NotFound
    from livedesk.services.store import scrub_freed_pages

    if not args.yes and not sys.stdin.isatty():
        print("livedesk: erasing cannot be undone: confirm with --yes when not run from a terminal", file=sys.stderr)
        return EXIT_USAGE
    store = _open(args)
    try:
        if not args.yes:
            with store.write() as session:
                team.require(session, "erase")  # before the plan and the question, not after the answer
                plan = erasure.plan(session, args.customer_id)
            print(_describe_plan(plan))
            answer = _ask(f"Type the customer id ({plan.customer_id}) to erase, anything else to stop: ")
            if answer != str(plan.customer_id):
                print("nothing was erased")
                return EXIT_FAILED
        with store.write() as session:
            result = erasure.erase(session, args.customer_id, actor=getpass.getuser())
        scrub = scrub_freed_pages(store)
        holding = erasure.backups_holding(erasure.backup_files(store.path), result.traces) if store.path else []
        purge = args.purge_backups
        if holding and not purge and not args.yes and sys.stdin.isatty():
            print(f"{len(holding)} backup(s) still hold this customer:")
            for h in holding:
                print(f"  {h.path}  ({h.size / 1e6:.1f} MB)")
            purge = _ask("Delete them now? [y/N] ").lower() in ("y", "yes")
        purged = erasure.purge_backups([h.path for h in holding]) if purge and holding else []
    except NotFound as exc:  # a refused role is worded by main()
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    out = {**result.as_dict(), "scrub": {"complete": scrub.complete, "method": scrub.method,
                                         "wal_bytes": scrub.wal_bytes},
           "backups_holding": [h.path for h in holding], "backups_purged": purged}
    left = [h.path for h in holding if h.path not in purged]
    text = (f"customer {result.customer_id} erased: deleted "
            + ", ".join(f"{t} {n}" for t, n in result.deleted.items())
            + f"; {result.orders_anonymised} orders kept without name, phone or address; "
            f"{result.audit_entries_scrubbed} audit entries scrubbed; audit entry {result.audit_id}; "
            + ("freed pages overwritten" if scrub.complete else
               "the store is in use by another program: its freed pages are overwritten when it closes"))
    if left:
        text += "\nthese backups still hold the customer (delete them or let them expire):\n" + "\n".join(
            f"  {p}" for p in left)
    if purged:
        text += f"\n{len(purged)} backup(s) that held the customer deleted"
    _print(out, args.json, text)
    return EXIT_OK


def _ask(prompt: str) -> str:
    """A terminal's answer; Ctrl-D or Ctrl-C is no answer (nothing is done), not a traceback."""
    try:
        return input(prompt).strip()
    except (EOFError, KeyboardInterrupt):
        print()
        return ""


def _describe_plan(plan: Any) -> str:
    deleted = ", ".join(f"{table} {n}" for table, n in plan.deleted.items()) or "no other rows"
    return (f"Erase customer {plan.customer_id} {plan.nickname}?\n"
            f"  deleted: the customer, {deleted}\n"
            f"  kept for the accounts without name, phone, address or link: {plan.orders_anonymised} orders\n"
            f"  audit entries that lose this customer's values: {plan.audit_entries_scrubbed}\n"
            "This cannot be undone.")


COMMANDS = {
    "customers": cmd_customers,
    "demo": cmd_demo,
    "lookup": cmd_lookup,
    "self-test": cmd_self_test,
    "segments": cmd_segments,
    "init": cmd_init,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "migrate-store": cmd_migrate_store,
    "recover": cmd_recover,
    "bench": cmd_bench,
    "followups": cmd_followups,
    "compliance": cmd_compliance,
    "feed": cmd_feed,
    "import": cmd_import,
    "duplicates": cmd_duplicates,
    "orders": cmd_orders,
    "sync": cmd_sync,
    "export": cmd_export,
    "team": cmd_team,
    **cli_loyalty.COMMANDS,  # points, coupons, experiments
}

