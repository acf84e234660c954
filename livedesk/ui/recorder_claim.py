"""One recorder per broadcast, on the 直播 console: the line saying which computer records the
live broadcast's capture feed, the claim made before a feed connects, and the take-over.

Two recorders would count every viewer twice (services/broadcasts.claim_recorder). A console
that connects while another computer records is told who and where, and may take over only
after a confirmation (that computer then stops by itself: FeedController.check_recorder); a
recorder that crashed stops beating and its claim passes on without asking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QMessageBox

from livedesk.services import broadcasts

if TYPE_CHECKING:
    from livedesk.ui.live_page import LivePage


class RecorderClaim(QLabel):
    def __init__(self, page: LivePage) -> None:
        super().__init__(page)
        self.page = page
        self.claiming = False  # a claim is on the worker: a second click waits for its answer
        self.take_over_box: QMessageBox | None = None
        self.setStyleSheet("color: #555;")
        self.hide()
        page.feeds.recorder_lost.connect(self._lost)

    def record_then(self, start: Callable[[], None], *, take_over: bool = False) -> None:
        """Claim the live broadcast's recording, then ``start``; another computer's live claim
        is named, and may be taken over after a confirmation."""
        page = self.page
        if page.broadcast is None:
            return
        self.claiming = True

        def claimed(previous: broadcasts.RecorderView | None) -> None:
            self.claiming = False
            if previous is not None:
                page.say(self.tr("Took over the recording from %1 on %2").replace(
                    "%1", previous.member or self.tr("another computer")).replace("%2", previous.machine))
            start()
            page.refresh_broadcast()

        def refused(exc: BaseException) -> None:
            self.claiming = False
            if isinstance(exc, broadcasts.RecorderTaken):
                if page.feeds.sources:  # a rehearsal feed: the broadcast is someone else's to record
                    page.disconnect_feed()
                self._offer_take_over(exc.recorder, start)
            else:
                page.show_error(exc)

        page.feeds.claim(page.broadcast.id, take_over=take_over, on_done=claimed, on_error=refused)

    def _offer_take_over(self, recorder: broadcasts.RecorderView, start: Callable[[], None]) -> None:
        who = recorder.member or self.tr("Another team member")
        text = (self.tr("%1 is recording this broadcast's feed on %2 (last heard %3 s ago). Two recorders would "
                        "count every viewer twice.").replace("%1", who).replace("%2", recorder.machine)
                .replace("%3", f"{recorder.silent_s or 0:.0f}") + "\n\n"
                + self.tr("Take over only if that computer cannot record any more: it stops recording."))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Someone else records this broadcast"), text,
                          QMessageBox.StandardButton.No, self.page)
        take = box.addButton(self.tr("Take over the recording"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(_result: int) -> None:
            if box.clickedButton() is take:
                self.record_then(start, take_over=True)

        box.finished.connect(answered)
        self.take_over_box = box
        box.open()  # not exec(): the qasync loop keeps running
        self.page.say(self.tr("%1 is recording this broadcast's feed on %2").replace("%1", who)
                      .replace("%2", recorder.machine), error=True)

    def _lost(self, recorder: broadcasts.RecorderView | None) -> None:
        self.page.feed_button.setText(self.tr("Connect feed"))
        if recorder is None:
            self.page.say(self.tr("The broadcast ended: the feed is no longer recorded"))
        else:
            self.page.say(self.tr("%1 took over the recording on %2: this computer stopped recording").replace(
                "%1", recorder.member or self.tr("Another team member")).replace("%2", recorder.machine), error=True)

    def show_recorder(self, recorder: broadcasts.RecorderView | None) -> None:
        """Who records the live broadcast now (nothing shown off air)."""
        live = self.page.broadcast is not None
        if recorder is None:
            self.setText(self.tr("Nobody records this broadcast's feed yet") if live else "")
        elif recorder.origin == self.page.ctx.store.origin:
            self.setText(self.tr("This computer records the broadcast's feed; the other screens follow it"))
        else:
            self.setText(self.tr("Recorded by %1 on %2: the queue follows that computer")
                         .replace("%1", recorder.member or self.tr("another team member"))
                         .replace("%2", recorder.machine))
        self.setVisible(live)
