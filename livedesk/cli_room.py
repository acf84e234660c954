"""The live-room subcommands: ``livedesk intents check TEXT`` (and ``broadcast report``, later).

Kept apart from cli.py, which holds the store-wide commands, so neither grows past a page.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    intents = sub.add_parser("intents", help="what live comments want (buy, link, price, size, ...)")
    intents_sub = intents.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = intents_sub.add_parser("check", help="the intents of one comment, by the shop's word list")
    check.add_argument("text", metavar="TEXT")
    check.add_argument("--json", action="store_true")


def cmd_intents(args: argparse.Namespace, open_store: Any) -> int:
    from livedesk.services.feeds.intents import tagger_for_shop

    store = open_store(args)  # the owner's extra words live in the store
    try:
        with store.begin() as session:
            tagger = tagger_for_shop(session)
    finally:
        store.dispose()
    found = list(tagger.tag(args.text))
    if args.json:
        print(json.dumps({"text": args.text, "intents": found}, ensure_ascii=False))
    else:
        print(" ".join(found) or "none", file=sys.stdout)
    return EXIT_OK


COMMANDS = {"intents": cmd_intents}
