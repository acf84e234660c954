"""What a loyalty refusal says to a person, in the UI's language, from the service's code.

Services raise ``LoyaltyError(code, message, **details)`` (and ``team.PermissionDenied`` for the
owner's jobs); the message is for logs and the command line, these words are for the window.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from livedesk.services.customers import NotFound

_REFUSALS = {
    "insufficient": QT_TRANSLATE_NOOP("Loyalty", "%1 costs %2 points; the customer has %3"),
    "inactive": QT_TRANSLATE_NOOP("Loyalty", "%1 is switched off in the catalogue"),
    "not_started": QT_TRANSLATE_NOOP("Loyalty", "%1 cannot be redeemed yet"),
    "ended": QT_TRANSLATE_NOOP("Loyalty", "%1 can no longer be redeemed"),
    "tier_not_allowed": QT_TRANSLATE_NOOP("Loyalty", "%1 is not offered to this customer's tier"),
    "level_not_allowed": QT_TRANSLATE_NOOP("Loyalty", "%1 is not offered to this customer's membership level"),
    "out_of_stock": QT_TRANSLATE_NOOP("Loyalty", "%1 is out of stock"),
    "unknown_perk": QT_TRANSLATE_NOOP("Loyalty", "This perk is no longer in the catalogue"),
    "owner_only": QT_TRANSLATE_NOOP("Loyalty", "Only the shop owner can do this"),
    "already_undone": QT_TRANSLATE_NOOP("Loyalty", "This redemption was already undone"),
    "not_redemption": QT_TRANSLATE_NOOP("Loyalty", "Only a redemption can be undone"),
    "bad_perk": QT_TRANSLATE_NOOP("Loyalty", "A perk needs a code (up to 32 characters) and a name"),
    "bad_cost": QT_TRANSLATE_NOOP("Loyalty", "The cost must be more than 0 points"),
    "bad_stock": QT_TRANSLATE_NOOP("Loyalty", "The stock cannot be negative"),
    "bad_dates": QT_TRANSLATE_NOOP("Loyalty", "The last day is before the first day"),
    "bad_batch": QT_TRANSLATE_NOOP("Loyalty", "A coupon batch needs a name (up to 64 characters)"),
    "bad_value": QT_TRANSLATE_NOOP("Loyalty", "Give an amount off above ¥0, or a discount paying 1–99 % of the price"),
    "batch_exists": QT_TRANSLATE_NOOP("Loyalty", "There is already a coupon batch with this name"),
    "bad_code": QT_TRANSLATE_NOOP("Loyalty", "Not coupon codes (4–64 letters, digits, - or _): %1"),
    "bad_code_cell": QT_TRANSLATE_NOOP(
        "Loyalty", "%file, row %row, column %column: “%value” is not a coupon code (4–64 letters, digits, - or _)"),
    "no_code_column": QT_TRANSLATE_NOOP(
        "Loyalty", "%file has no column of coupon codes (headed 券码 or 优惠券码); its columns: %headers"),
    "unreadable": QT_TRANSLATE_NOOP("Loyalty", "%file cannot be read as a table (CSV or XLSX)"),
    "batch_empty": QT_TRANSLATE_NOOP("Loyalty", "%1 has no codes left to issue: add or generate more"),
    "batch_expired": QT_TRANSLATE_NOOP("Loyalty", "%1 has expired"),
    "busy": QT_TRANSLATE_NOOP("Loyalty", "Others were issuing codes at the same moment: try again"),
    "bad_count": QT_TRANSLATE_NOOP("Loyalty", "Generate 1 to 100,000 codes at a time"),
    "bad_prefix": QT_TRANSLATE_NOOP("Loyalty", "A prefix is up to 16 letters, digits, - or _"),
    "bad_rule": QT_TRANSLATE_NOOP("Loyalty", "Choose a follow-up rule"),
    "bad_name": QT_TRANSLATE_NOOP("Loyalty", "A test needs a name (up to 64 characters)"),
    "bad_target": QT_TRANSLATE_NOOP("Loyalty", "A test compares message templates or coupons"),
    "bad_variants": QT_TRANSLATE_NOOP(
        "Loyalty", "A test needs 2 to 6 variants, each with its own label and a template (or coupon batch)"),
    "already_running": QT_TRANSLATE_NOOP("Loyalty", "This rule is already being tested by “%1”: finish that first"),
    "bad_window": QT_TRANSLATE_NOOP("Loyalty", "Count orders within 1 to 90 days"),
    "bad_variant": QT_TRANSLATE_NOOP("Loyalty", "This variant's template or coupon batch no longer exists"),
    "not_running": QT_TRANSLATE_NOOP("Loyalty", "This test has already finished"),
}


def refusal(code: str, **details: object) -> str:
    """The words for a refusal code; %1… are the perk or batch name, the cost, the balance."""
    source = _REFUSALS.get(code)
    if source is None:
        return QCoreApplication.translate("Loyalty", "Not done (%1)").replace("%1", code)
    text = QCoreApplication.translate("Loyalty", source)
    name = details.get("perk") or details.get("batch") or details.get("running") or ""
    codes = details.get("codes")
    if codes:
        name = "、".join(map(str, list(codes)[:5]))
    text = (text.replace("%1", str(name)).replace("%2", str(details.get("cost", "")))
            .replace("%3", str(details.get("balance", ""))))
    for key in ("file", "row", "column", "value", "headers"):  # where in a file, for the file's refusals
        text = text.replace(f"%{key}", str(details.get(key, "")))
    return text


def error_text(exc: BaseException) -> str:
    """Any error a loyalty action can end in, worded for the window."""
    from livedesk.services.loyalty.errors import LoyaltyError
    from livedesk.services.team import PermissionDenied

    if isinstance(exc, LoyaltyError):
        return refusal(exc.code, **exc.details)
    if isinstance(exc, PermissionDenied):  # team.require: the owner's jobs (undo, perks, coupons, tests)
        return refusal("owner_only")
    if isinstance(exc, NotFound):
        return QCoreApplication.translate("Loyalty", "It no longer exists: someone else may have removed it")
    return QCoreApplication.translate("Loyalty", "Not done: %1").replace("%1", type(exc).__name__)
