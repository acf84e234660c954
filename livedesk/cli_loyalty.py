"""Command line for loyalty: ``points`` (redeem, undo, history, perks), ``coupons`` and ``experiments``.

Kept apart from cli.py (which registers these through ``add_parsers`` and ``COMMANDS``) so
neither module grows past a screenful of commands. A refusal prints its reason on stderr
and exits 1 with nothing written; ``--json`` prints it as ``{"error": code, "message": …}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from livedesk.exit_codes import EXIT_FAILED, EXIT_OK



def add_parsers(sub: Any) -> None:
    points = _command(sub, "points", "growth points: redeem perks, undo, history, the catalogue")
    points("redeem", "spend a customer's points on a perk", ("customer_id", int),
           ("perk", str, "the perk's code (see: livedesk points perks)"))
    points("undo", "take a redemption back (owner): a reversing entry", ("entry_id", int))
    points("history", "a customer's points ledger, newest first", ("customer_id", int))
    points("perks", "the perk catalogue")

    coupons = _command(sub, "coupons", "coupon batches: list, add codes, issue, figures per rule")
    coupons("list", "batches with codes, issued and used")
    coupons("add-codes", "add codes from the platform's coupon export (CSV/XLSX) (owner)", ("batch_id", int),
            ("file", str))
    coupons("issue", "give a customer the batch's next free code", ("batch_id", int), ("customer_id", int))
    coupons("figures", "issued, used and GMV of orders that used one, per rule")

    experiments = _command(sub, "experiments", "A/B tests of follow-up rules")
    experiments("list", "every test, running first")
    experiments("report", "each variant's sample, rates, GMV and significance", ("experiment_id", int, None, "ID"))


def _command(sub: Any, name: str, help_text: str) -> Any:
    """``livedesk NAME ACTION``: returns ``action(name, help, *positionals)``, which adds one ACTION
    with its positionals ((dest, type[, help[, metavar]])) and ``--json``."""
    actions = sub.add_parser(name, help=help_text).add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(action_name: str, action_help: str, *positionals: tuple) -> argparse.ArgumentParser:
        parser = actions.add_parser(action_name, help=action_help)
        for dest, kind, *more in positionals:
            words, metavar = (more + [None, None])[:2]
            parser.add_argument(dest, type=kind, metavar=metavar or dest.upper(), help=words)
        parser.add_argument("--json", action="store_true")
        return parser

    return action


def _open(args: argparse.Namespace):
    from livedesk.cli import _open as open_acting  # the store, acting as --as NAME when given

    return open_acting(args)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _emit(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(_jsonable(data), ensure_ascii=False, indent=2) if as_json else text)


def _refused(args: argparse.Namespace, code: str, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": code, "message": message}, ensure_ascii=False))
    print(f"livedesk: {message}", file=sys.stderr)
    return EXIT_FAILED


def _run(args: argparse.Namespace, actions: dict[str, tuple[Any, bool]]) -> int:
    """The subcommand ``args.action`` from its command's table: (body(session, args), writes?).
    One unit of work; a refusal is printed (and as JSON with ``--json``) with nothing written."""
    from livedesk.cli import denied_words
    from livedesk.services.customers import NotFound
    from livedesk.services.loyalty.errors import LoyaltyError
    from livedesk.services.team import PermissionDenied

    body, write = actions[args.action]
    store = _open(args)
    try:
        with (store.write() if write else store.read()) as session:
            return body(session, args)
    except LoyaltyError as exc:
        return _refused(args, exc.code, str(exc))
    except NotFound as exc:
        return _refused(args, "not_found", str(exc))
    except PermissionDenied as exc:  # the owner's jobs: undo, and whoever acts must be said
        return _refused(args, "not_allowed" if exc.actor is not None else "sign_in", denied_words(exc))
    finally:
        store.dispose()


def _rows(fetch: Any, line: Any, empty: str = "") -> Any:
    """A listing subcommand: ``fetch(session)``'s rows as JSON, or ``line(row)`` each (``empty`` if none)."""

    def body(session: Any, args: argparse.Namespace) -> int:
        rows = fetch(session)
        _emit([asdict(r) for r in rows], args.json, "\n".join(line(r) for r in rows) or empty)
        return EXIT_OK

    return body


def cmd_points(args: argparse.Namespace) -> int:
    from livedesk.services import points, settings
    from livedesk.services.loyalty import perks

    def redeem(session: Any, args: argparse.Namespace) -> int:
        done = perks.redeem(session, args.customer_id, args.perk)
        _emit({"entry_id": done.entry_id, "perk": asdict(done.perk), "balance": done.balance}, args.json,
              f"redeemed {done.perk.name} for {done.perk.cost} points (entry {done.entry_id}); "
              f"balance {done.balance}")
        return EXIT_OK

    def undo(session: Any, args: argparse.Namespace) -> int:
        balance = perks.undo(session, args.entry_id)
        _emit({"entry_id": args.entry_id, "balance": balance}, args.json,
              f"redemption {args.entry_id} undone; balance {balance}")
        return EXIT_OK

    def history(session: Any, args: argparse.Namespace) -> int:
        lines = perks.history(session, args.customer_id)
        balance = points.balance(session, args.customer_id)
        zone = settings.shop_zone(session)
        text = "\n".join(
            f"{line.id:>8}  {line.occurred_at.astimezone(zone):%Y-%m-%d %H:%M}  {line.delta:>+7}  {line.reason:<11}"
            f"  {line.note or ''}{'  (undone)' if line.undone else ''}{f'  by {line.by}' if line.by else ''}"
            for line in lines)
        _emit({"balance": balance, "entries": [asdict(line) for line in lines]}, args.json,
              f"balance {balance}\n{text}" if lines else f"balance {balance}; no entries")
        return EXIT_OK

    catalogue = _rows(perks.catalogue, lambda p: f"{p.code:<20} {p.name:<12} {p.cost:>6} points"
                      + (f"  stock {p.stock}" if p.stock is not None else "") + ("" if p.active else "  (off)"))
    return _run(args, {"redeem": (redeem, True), "undo": (undo, True), "history": (history, False),
                       "perks": (catalogue, False)})


def cmd_coupons(args: argparse.Namespace) -> int:
    from livedesk.services.loyalty import coupon_usage, coupons

    def add_codes(session: Any, args: argparse.Namespace) -> int:
        added = coupons.add_codes(session, args.batch_id, coupons.read_code_file(args.file))
        _emit(asdict(added), args.json, f"{added.added} codes added; {len(added.known)} already in the store, "
                                        f"{len(added.repeated)} repeated in the file")
        return EXIT_OK

    def issue(session: Any, args: argparse.Namespace) -> int:
        code = coupons.issue(session, args.batch_id, args.customer_id)
        _emit({"code": code}, args.json, code)
        return EXIT_OK

    listing = _rows(coupons.batches, lambda b: f"{b.id:>4}  {b.name:<16} codes {b.codes:>6}  issued {b.issued:>6}  "
                    f"used {b.used:>6}" + (f"  rule {b.rule}" if b.rule else ""), "no coupon batches")
    figures = _rows(coupon_usage.figures, lambda f: f"{f.rule:<10} issued {f.issued:>6}  used {f.used:>6}  "
                    f"GMV ¥{f.gmv_fen / 100:,.2f}", "no coupons issued yet")
    return _run(args, {"list": (listing, False), "add-codes": (add_codes, True), "issue": (issue, True),
                       "figures": (figures, False)})


def cmd_experiments(args: argparse.Namespace) -> int:
    from livedesk.services.loyalty import experiments

    def report(session: Any, args: argparse.Namespace) -> int:
        result = experiments.report(session, args.experiment_id)
        _emit(asdict(result), args.json, report_text(result))
        return EXIT_OK

    listing = _rows(experiments.listing, lambda r: f"{r.id:>4}  {r.status:<8} {r.rule:<10} {r.target:<8} "
                    f"{r.customers:>6} customers  {r.name}", "no A/B tests")
    return _run(args, {"list": (listing, False), "report": (report, False)})


def report_text(r: Any) -> str:
    lines = [f"A/B test {r.id} {r.name!r}: rule {r.rule}, {r.target}, orders within {r.window_days} days, "
             f"{r.status}" + (f", winner variant {r.winner_id}" if r.winner_id else "")]
    for v in r.variants:
        verdict = ("control" if v.p_value is None else
                   f"p={v.p_value:.4f} significant" if v.significant else
                   f"p={v.p_value:.4f}, needs {v.needs_more} more customers" if v.needs_more is not None else
                   "no difference yet")
        lines.append(
            f"  {v.label:<8} n={v.n:<6} reply {v.replied.value:6.1%} [{v.replied.low:.1%}–{v.replied.high:.1%}]"
            f"  buy {v.bought.value:6.1%} [{v.bought.low:.1%}–{v.bought.high:.1%}]"
            f"  GMV/customer ¥{v.gmv_per_customer_fen.value / 100:,.2f} "
            f"[¥{v.gmv_per_customer_fen.low / 100:,.2f}–¥{v.gmv_per_customer_fen.high / 100:,.2f}]  {verdict}")
    return "\n".join(lines)


COMMANDS = {"points": cmd_points, "coupons": cmd_coupons, "experiments": cmd_experiments}
