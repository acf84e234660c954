"""The 抖店 open platform's refusals and the decryption's outcome, in the user's words.

services/sync raise DouyinApiError with a ``kind`` and return a DecryptSummary of counts and
reason codes; the sync box, the unknown-buyers list and the recipient decryption all word
them here, once. ``RecipientDecrypt`` runs 解密收件人 off the UI thread for any page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from livedesk.services.sync.douyin_api import GATEWAY
from livedesk.ui.context import AppContext
from livedesk.ui.tasks import TaskRunner

PERMISSION = "decrypt_recipients"


class DouyinWords(QObject):
    def refusal(self, kind: str) -> str:
        return {
            "signature": self.tr("抖店 refused the signature: the app secret does not belong to this app key."),
            "rate_limited": self.tr("抖店 asks to slow down (rate limit): try again in a few minutes."),
            "ip_whitelist": self.tr("抖店 refused this computer's address: add it to the app's IP whitelist "
                                    "in the 抖店 open platform."),
            "token": self.tr("抖店 no longer accepts this app's authorisation: authorise it again."),
            "revoked": self.tr("The shop's authorisation of LiveDesk was withdrawn or has lapsed: open the "
                               "authorisation page and authorise it again."),
            "not_authorised": self.tr("The shop has not authorised LiveDesk yet: open the authorisation page, "
                                      "authorise, then paste the code here."),
            "auth_code": self.tr("That authorisation code is wrong or older than 10 minutes: authorise again "
                                 "for a new one."),
            "credentials": self.tr("抖店 does not know this app key, or the shop has not authorised the app."),
            "permission": self.tr("This app may not do that: ask for the permission in the 抖店 open platform."),
            "quota": self.tr("The shop's decryption quota is used up: 抖店 gives more over time, or on request "
                             "in the 抖店 open platform."),
            "risk": self.tr("抖店's risk control refuses to decrypt for now: try again later."),
            "service": self.tr("抖店 is not answering properly right now: try again later."),
            "network": self.tr("抖店 could not be reached, or the connection kept dropping: check the "
                               "internet connection and try again."),
        }.get(kind, self.tr("抖店 refused the request."))

    def failure(self, code: str) -> str:
        """Why one order's recipient was not decrypted (douyin_decrypt's reason codes)."""
        return {
            "no_order": self.tr("not a 抖店 order LiveDesk has"),
            "nothing_encrypted": self.tr("抖店 gave nothing to decrypt"),
            "refused": self.tr("抖店 refused it (a closed order, or a privacy rule)"),
            "risk": self.tr("refused by 抖店's risk control for now"),
            "not_asked": self.tr("not asked: 抖店 stopped first"),
            "nobody": self.tr("nothing in it tells who the buyer is"),
            "conflict": self.tr("its buyer id is another customer's: see possible duplicates"),
        }.get(code, code)

    def decrypted(self, summary: Any) -> str:
        """The outcome of a decryption, in counts (never a name or a phone)."""
        text = (self.tr("Decrypted %1 of %2 orders (%3 counted against the shop's quota).")
                .replace("%1", str(summary.decrypted)).replace("%2", str(summary.asked))
                .replace("%3", str(summary.ciphertexts)))
        if summary.remaining is not None:
            text += " " + self.tr("%1 remain.").replace("%1", f"{summary.remaining:,}")
        if summary.attached:
            text += " " + self.tr("%1 orders now have their customer (%2 new customers).").replace(
                "%1", str(summary.attached)).replace("%2", str(summary.customers_created))
        if summary.customers_completed:
            text += " " + self.tr("%1 customers got the name or phone they lacked.").replace(
                "%1", str(summary.customers_completed))
        if summary.possible_duplicates:
            text += " " + self.tr("%1 possible duplicates to look at.").replace(
                "%1", str(summary.possible_duplicates))
        if summary.failed:
            text += " " + self.tr("Not decrypted: %1.").replace("%1", "; ".join(
                f"{number} ({self.failure(code)})" for number, code in summary.failed.items()))
        if summary.stopped:
            text += " " + self.refusal(summary.stopped)
        return text


class RecipientDecrypt(QObject):
    """解密收件人 for the orders a page names: the platform's metered decryption, the owner's to ask."""

    finished = Signal(str, bool)  # what happened in words, and whether it is an error

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.gateway = GATEWAY  # tests point it at a local stand-in
        self.words = DouyinWords(self)
        self.running = False
        # Its own thread, as the sync box has: a slow platform must not hold up the pages' reads.
        self.runner = TaskRunner(self)

    def allowed(self) -> bool:
        """Whether the member at this screen may decrypt (the service checks it again)."""
        actor = self.ctx.actor
        return actor is None or actor.may(PERMISSION)

    def start(self, order_numbers: list[str]) -> None:
        if self.running or not order_numbers:
            return
        gateway, store = self.gateway, self.ctx.store

        def run() -> Any:
            from livedesk.services import settings
            from livedesk.services.sync import douyin_auth
            from livedesk.services.sync.douyin_decrypt import decrypt_orders

            with store.read() as session:
                app_type = settings.get(session, "sync.douyin.app_type")
                shop = settings.get(session, "sync.douyin.shop_id")
            return decrypt_orders(store, douyin_auth.connection(app_type, shop, gateway), order_numbers)

        self.running = True
        self.runner.submit(run, on_done=self._done, on_error=self._failed)

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _done(self, summary: Any) -> None:
        self.running = False
        self.finished.emit(self.words.decrypted(summary), not summary.decrypted)

    def _failed(self, exc: BaseException) -> None:
        from livedesk.services import team
        from livedesk.services.sync import credentials
        from livedesk.services.sync.douyin_api import DouyinApiError

        self.running = False
        if isinstance(exc, team.PermissionDenied):
            text = self.tr("Only the shop's owner may decrypt recipients: each one counts against the quota.")
        elif isinstance(exc, credentials.CredentialsError):
            text = self.tr("Set up the 抖店 app on the Import page first.")
        elif isinstance(exc, DouyinApiError):
            text = self.words.refusal(exc.kind) + " " + self.tr("Nothing was decrypted.")
        else:
            text = self.tr("Something went wrong; the log has the details.")
        self.finished.emit(text, True)
