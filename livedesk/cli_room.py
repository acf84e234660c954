"""The live-room subcommands: ``livedesk intents check TEXT`` and ``livedesk broadcast report ID``.

Kept apart from cli.py, which holds the store-wide commands, so neither grows past a page.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from livedesk.exit_codes import EXIT_FAILED, EXIT_OK



def add_parsers(sub: Any) -> None:
    intents = sub.add_parser("intents", help="what live comments want (buy, link, price, size, ...)")
    intents_sub = intents.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = intents_sub.add_parser("check", help="the intents of one comment, by the shop's word list")
    check.add_argument("text", metavar="TEXT")
    check.add_argument("--json", action="store_true")
    broadcast = sub.add_parser("broadcast", help="what a broadcast earned")
    broadcast_sub = broadcast.add_subparsers(dest="action", required=True, metavar="ACTION")
    rep = broadcast_sub.add_parser("report", help="curve, run-of-show, known viewers, intents, 24 h conversion, "
                                                  "and the last 10 broadcasts side by side")
    rep.add_argument("broadcast_id", type=int, metavar="ID")
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--xlsx", metavar="FILE", help="also write the report to this Excel file")


def cmd_intents(args: argparse.Namespace, open_store: Any) -> int:
    from livedesk.services.feeds.intents import tagger_for_shop

    store = open_store(args)  # the owner's extra words live in the store
    try:
        with store.read() as session:
            tagger = tagger_for_shop(session)
    finally:
        store.dispose()
    found = list(tagger.tag(args.text))
    if args.json:
        print(json.dumps({"text": args.text, "intents": found}, ensure_ascii=False))
    else:
        print(" ".join(found) or "none", file=sys.stdout)
    return EXIT_OK


def cmd_broadcast(args: argparse.Namespace, open_store: Any) -> int:
    from livedesk.services.broadcasts import BroadcastError
    from livedesk.services.room import report

    store = open_store(args)
    try:
        with store.read() as session:
            built = report.build(session, args.broadcast_id)
            compared = report.last_broadcasts(session)
    except BroadcastError as exc:
        print(f"livedesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.dispose()
    if args.xlsx:
        from livedesk.services.room.report_export import write_xlsx

        write_xlsx(built, compared, args.xlsx)
    if args.json:
        data = built.as_dict()
        data["compared"] = [{**c.__dict__, "started_at": c.started_at.isoformat()} for c in compared]
        print(json.dumps(data, ensure_ascii=False))
        return EXIT_OK
    ratio = lambda r: "-" if r is None else f"{r:.0%}"  # noqa: E731
    print(f"#{built.broadcast_id} {built.title}  {built.started_at:%Y-%m-%d %H:%M} UTC")
    print(f"viewers: peak {built.peak_viewers}, average {built.average_viewers}; known {built.known_viewers} "
          f"{built.known_by_tier}; VIPs greeted {built.vips_greeted}/{built.vips_present} ({ratio(built.greeted_ratio)})")
    print(f"conversion (to {built.window_end:%Y-%m-%d %H:%M} UTC): {built.buyers} buyers "
          f"({ratio(built.conversion_ratio)}), GMV ¥{built.gmv_fen / 100:,.2f}, "
          f"new buyers who commented {built.new_buyers_who_commented}")
    for f in built.figures:
        actual = "not marked" if f.actual_minutes is None else f"{f.actual_minutes} min"
        viewers = ("" if f.viewers_change is None
                   else f", viewers {f.viewers_start} -> {f.viewers_end} ({f.viewers_change:+})")
        print(f"  {f.position}. [{f.kind}] {f.title}: planned {f.planned_minutes} min, actual {actual}{viewers}; "
              f"{built.intents_by_item.get(str(f.position), {})}")
    for c in compared:
        print(f"  #{c.broadcast_id} {c.started_at:%m-%d} {c.title}: peak {c.peak_viewers}, greeted "
              f"{ratio(c.greeted_ratio)}, conversion {ratio(c.conversion_ratio)}, GMV ¥{c.gmv_fen / 100:,.2f}")
    return EXIT_OK


COMMANDS = {"intents": cmd_intents, "broadcast": cmd_broadcast}
