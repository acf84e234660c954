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

EXIT_OK, EXIT_FAILED = 0, 1


def add_parsers(sub: Any) -> None:
    points = sub.add_parser("points", help="growth points: redeem perks, undo, history, the catalogue")
    points_sub = points.add_subparsers(dest="action", required=True, metavar="ACTION")
    redeem = points_sub.add_parser("redeem", help="spend a customer's points on a perk")
    redeem.add_argument("customer_id", type=int, metavar="CUSTOMER_ID")
    redeem.add_argument("perk", metavar="PERK", help="the perk's code (see: livedesk points perks)")
    redeem.add_argument("--json", action="store_true")
    undo = points_sub.add_parser("undo", help="take a redemption back (owner): a reversing entry")
    undo.add_argument("entry_id", type=int, metavar="ENTRY_ID")
    undo.add_argument("--json", action="store_true")
    history = points_sub.add_parser("history", help="a customer's points ledger, newest first")
    history.add_argument("customer_id", type=int, metavar="CUSTOMER_ID")
    history.add_argument("--json", action="store_true")
    perks = points_sub.add_parser("perks", help="the perk catalogue")
    perks.add_argument("--json", action="store_true")

    coupons = sub.add_parser("coupons", help="coupon batches: list, add codes, issue, figures per rule")
    coupons_sub = coupons.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = coupons_sub.add_parser("list", help="batches with codes, issued and used")
    listing.add_argument("--json", action="store_true")
    add = coupons_sub.add_parser("add-codes", help="add codes from the platform's coupon export (CSV/XLSX)")
    add.add_argument("batch_id", type=int, metavar="BATCH_ID")
    add.add_argument("file", metavar="FILE")
    add.add_argument("--json", action="store_true")
    issue = coupons_sub.add_parser("issue", help="give a customer the batch's next free code")
    issue.add_argument("batch_id", type=int, metavar="BATCH_ID")
    issue.add_argument("customer_id", type=int, metavar="CUSTOMER_ID")
    issue.add_argument("--json", action="store_true")
    figures = coupons_sub.add_parser("figures", help="issued, used and GMV of orders that used one, per rule")
    figures.add_argument("--json", action="store_true")

    experiments = sub.add_parser("experiments", help="A/B tests of follow-up rules")
    experiments_sub = experiments.add_subparsers(dest="action", required=True, metavar="ACTION")
    exp_list = experiments_sub.add_parser("list", help="every test, running first")
    exp_list.add_argument("--json", action="store_true")
    report = experiments_sub.add_parser("report", help="each variant's sample, rates, GMV and significance")
    report.add_argument("experiment_id", type=int, metavar="ID")
    report.add_argument("--json", action="store_true")


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


def _run(args: argparse.Namespace, body: Any, *, write: bool) -> int:
    from livedesk.services.customers import NotFound
    from livedesk.services.loyalty.errors import LoyaltyError

    store = _open(args)
    try:
        with (store.write() if write else store.read()) as session:
            return body(session)
    except LoyaltyError as exc:
        return _refused(args, exc.code, str(exc))
    except NotFound as exc:
        return _refused(args, "not_found", str(exc))
    finally:
        store.dispose()


def cmd_points(args: argparse.Namespace) -> int:
    from livedesk.services import settings
    from livedesk.services.loyalty import perks

    def redeem(session: Any) -> int:
        done = perks.redeem(session, args.customer_id, args.perk)
        _emit({"entry_id": done.entry_id, "perk": asdict(done.perk), "balance": done.balance}, args.json,
              f"redeemed {done.perk.name} for {done.perk.cost} points (entry {done.entry_id}); "
              f"balance {done.balance}")
        return EXIT_OK

    def undo(session: Any) -> int:
        balance = perks.undo(session, args.entry_id)
        _emit({"entry_id": args.entry_id, "balance": balance}, args.json,
              f"redemption {args.entry_id} undone; balance {balance}")
        return EXIT_OK

    def history(session: Any) -> int:
        from livedesk.services import points

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

    def catalogue(session: Any) -> int:
        rows = perks.catalogue(session)
        _emit([asdict(p) for p in rows], args.json, "\n".join(
            f"{p.code:<20} {p.name:<12} {p.cost:>6} points"
            + (f"  stock {p.stock}" if p.stock is not None else "") + ("" if p.active else "  (off)")
            for p in rows))
        return EXIT_OK

    actions = {"redeem": (redeem, True), "undo": (undo, True), "history": (history, False),
               "perks": (catalogue, False)}
    body, write = actions[args.action]
    return _run(args, body, write=write)


def cmd_coupons(args: argparse.Namespace) -> int:
    from livedesk.services.loyalty import coupon_usage, coupons

    def listing(session: Any) -> int:
        rows = coupons.batches(session)
        _emit([asdict(b) for b in rows], args.json, "\n".join(
            f"{b.id:>4}  {b.name:<16} codes {b.codes:>6}  issued {b.issued:>6}  used {b.used:>6}"
            + (f"  rule {b.rule}" if b.rule else "") for b in rows) or "no coupon batches")
        return EXIT_OK

    def add_codes(session: Any) -> int:
        added = coupons.add_codes(session, args.batch_id, coupons.read_code_file(args.file))
        _emit(asdict(added), args.json, f"{added.added} codes added; {len(added.known)} already in the store, "
                                        f"{len(added.repeated)} repeated in the file")
        return EXIT_OK

    def issue(session: Any) -> int:
        code = coupons.issue(session, args.batch_id, args.customer_id)
        _emit({"code": code}, args.json, code)
        return EXIT_OK

    def figures(session: Any) -> int:
        rows = coupon_usage.figures(session)
        _emit([asdict(f) for f in rows], args.json, "\n".join(
            f"{f.rule:<10} issued {f.issued:>6}  used {f.used:>6}  GMV ¥{f.gmv_fen / 100:,.2f}" for f in rows)
            or "no coupons issued yet")
        return EXIT_OK

    actions = {"list": (listing, False), "add-codes": (add_codes, True), "issue": (issue, True),
               "figures": (figures, False)}
    body, write = actions[args.action]
    return _run(args, body, write=write)


def cmd_experiments(args: argparse.Namespace) -> int:
    from livedesk.services.loyalty import experiments

    def listing(session: Any) -> int:
        rows = experiments.listing(session)
        _emit([asdict(r) for r in rows], args.json, "\n".join(
            f"{r.id:>4}  {r.status:<8} {r.rule:<10} {r.target:<8} {r.customers:>6} customers  {r.name}"
            for r in rows) or "no A/B tests")
        return EXIT_OK

    def report(session: Any) -> int:
        result = experiments.report(session, args.experiment_id)
        _emit(asdict(result), args.json, report_text(result))
        return EXIT_OK

    body = {"list": listing, "report": report}[args.action]
    return _run(args, body, write=False)


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
