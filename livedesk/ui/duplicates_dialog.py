"""查重合并: the customers who may be one person, why, and a merge shown side by side before
it happens (every order, note, tag, point and account goes to the customer kept; the
audit log records it). A pair that is two people is dismissed and not proposed again.

services/merge.py finds, previews and merges; this dialog only shows it.
"""

from __future__ import annotations

import getpass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import presets, team
from livedesk.services.identity_text import mask_name, mask_phone
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.rows_model import RowsModel, rows_table

CANDIDATES_SHOWN = 500
PRIVATE_FIELDS = {"phone": mask_phone, "real_name": mask_name}


class DuplicatesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, reveal: bool = False) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reveal = reveal
        self.merged_any = False
        self.pair: tuple[int, int] | None = None  # (keep, drop) as previewed
        self._preview_seq = 0  # a later choice wins over a preview still being prepared
        with ctx.store.read() as session:
            self.members = {member_id: name for member_id, name in team.names(session)}
        self.profile_labels = {f.key: f.label(ctx.language) for p in presets.presets().values() for f in p.fields}
        self.setWindowTitle(self.tr("Possible duplicate customers"))
        self.resize(1180, 720)

        self.status = QLabel(self.tr("Looking for customers who may be one person…"), self)
        self.pairs = RowsModel([self.tr("Customer"), self.tr("May be the same as"), self.tr("Why"),
                                self.tr("Likelihood")], self)
        self.pairs_view = rows_table(self.pairs, self)
        self.pairs_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._pair_chosen())

        self.sides = RowsModel(["", self.tr("Kept"), self.tr("Merged into it"), self.tr("After the merge")], self)
        self.sides_view = rows_table(self.sides, self)
        self.sides_view.setWordWrap(True)
        self.swap_button = QPushButton(self.tr("Keep the other one"), self)
        self.swap_button.clicked.connect(self.swap)
        self.merge_button = QPushButton(self.tr("Merge…"), self)
        self.merge_button.clicked.connect(self.confirm_merge)
        self.dismiss_button = QPushButton(self.tr("Not the same person"), self)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.swap_button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.merge_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.sides_view, 1)
        right_layout.addWidget(self.feedback)
        right_layout.addLayout(buttons)
        splitter = QSplitter(self)
        splitter.addWidget(self.pairs_view)
        splitter.addWidget(right)
        splitter.setSizes([460, 720])
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        self._enable(False)
        self.find()

    # -- finding -----------------------------------------------------------------------------
    def find(self) -> None:
        def run():
            from livedesk.services import merge

            with self.ctx.store.read() as session:
                return merge.find_duplicates(session, limit=CANDIDATES_SHOWN)

        self.ctx.tasks.submit(run, on_done=self._show_pairs, on_error=self._error)

    def _show_pairs(self, findings: Any) -> None:
        self.pairs.set_rows(
            [(a, b, labels.listing(self._reason_words(r) for r in c.reasons), f"{c.score:.0%}")
             for c in findings.candidates for a, b in [c.nicknames]],
            keys=[(c.customer_id, c.other_id) for c in findings.candidates])
        if findings.total:
            self.status.setText(self.tr("%1 pairs may be one person (the likeliest first). Nothing is merged "
                                        "until you say so.").replace("%1", f"{findings.total:,}"))
            self.pairs_view.selectRow(0)
        else:
            self.status.setText(self.tr("No possible duplicates: every customer looks like one person."))
            self.sides.set_rows([])
            self._enable(False)

    def _reason_words(self, code: str) -> str:
        return {
            "same_account_id": self.tr("same platform account"),
            "same_phone": self.tr("same phone"),
            "same_handle": self.tr("same handle on one platform"),
            "phone_fits_masked": self.tr("full phone fits the other's masked one"),
            "same_name_masked_phone": self.tr("same name and masked phone, other address"),
            "same_nickname_city": self.tr("similar nickname, same city"),
        }.get(code, code)

    # -- the preview -------------------------------------------------------------------------
    def _pair_chosen(self) -> None:
        index = self.pairs_view.currentIndex()
        if index.isValid():
            keep, drop = self.pairs.keys[index.row()]
            self.show_preview(keep, drop)

    def swap(self) -> None:
        if self.pair is not None:
            self.show_preview(self.pair[1], self.pair[0])

    def show_preview(self, keep_id: int, drop_id: int) -> None:
        """Ask for the preview on the worker (it rehearses the merge: half a second at 200k)."""
        self._preview_seq += 1
        seq = self._preview_seq
        self.pair = (keep_id, drop_id)
        self._enable(False)
        self.feedback.setText(self.tr("Preparing the preview…"))
        self.feedback.setStyleSheet("color: #555;")

        def run():
            from livedesk.services import merge

            with self.ctx.store.write() as session:
                return merge.preview(session, keep_id, drop_id)

        self.ctx.tasks.submit(run, on_done=lambda shown: seq == self._preview_seq and self._show_preview(shown),
                              on_error=self._error)

    def _show_preview(self, shown: Any) -> None:
        rows: list[tuple[Any, ...]] = []
        for choice in shown.fields:
            if choice.keep in (None, "") and choice.drop in (None, ""):
                continue
            rows.append((self._field_words(choice.field), self._value(choice.field, choice.keep),
                         self._value(choice.field, choice.drop), self._value(choice.field, choice.merged)))
        k, d, m = shown.keep, shown.drop, shown.merged
        rows += [
            (self.tr("Platform accounts"), *(self._accounts(s) for s in (k, d, m))),
            (self.tr("Orders"), *(f"{s.order_count:,}" for s in (k, d, m))),
            (self.tr("Spent"), *(labels.money(s.gmv_fen) for s in (k, d, m))),
            (self.tr("Tier · level"), *(f"{labels.tier(s.tier)} · {labels.level(s.level)}" for s in (k, d, m))),
            (self.tr("Growth points"), *(f"{s.points_balance:,}" for s in (k, d, m))),
            (self.tr("Notes"), *(str(s.note_count) for s in (k, d, m))),
            (self.tr("Tags"), *(labels.listing(s.tags) for s in (k, d, m))),
            (self.tr("Open follow-ups"), *(str(s.open_tasks) for s in (k, d, m))),
            (self.tr("Private-session invitations"), *(str(s.invitations) for s in (k, d, m))),
        ]
        self.sides.set_rows(rows)
        self.sides_view.resizeRowsToContents()
        moved = sum(shown.moves.values())
        self.feedback.setText(self.tr("Merging moves %1 records to the kept customer and removes the other; "
                                      "the audit log keeps what was done.").replace("%1", f"{moved:,}"))
        self.feedback.setStyleSheet("color: #555;")
        self._enable(True)

    def _field_words(self, field: str) -> str:
        if field.startswith("profile."):
            key = field.removeprefix("profile.")
            return self.profile_labels.get(key, key)
        return {"nickname": self.tr("Nickname"), "real_name": self.tr("Real name"), "phone": self.tr("Phone"),
                "phone_masked": self.tr("Masked phone"), "gender": self.tr("Gender"),
                "birthday": self.tr("Birthday"), "province": self.tr("Province"), "city": self.tr("City"),
                "address": self.tr("Address"), "assigned_member_id": self.tr("Assistant"),
                "consent_at": self.tr("Consent given"), "consent_channel": self.tr("Consent channel"),
                "consent_note": self.tr("Consent note"),
                "created_at": self.tr("Customer since")}.get(field, field)

    def _value(self, field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if not self.reveal and field in PRIVATE_FIELDS:
            return PRIVATE_FIELDS[field](str(value))
        if field == "assigned_member_id":
            return self.members.get(value, str(value))
        if field == "consent_channel":
            return labels.consent_channel(value)
        if field == "gender":
            return {"F": self.tr("Female"), "M": self.tr("Male")}.get(value, str(value))
        if hasattr(value, "astimezone") and hasattr(value, "hour"):
            return self.ctx.local(value).strftime("%Y-%m-%d")
        return str(value)

    def _accounts(self, side: Any) -> str:
        return "\n".join(f"{labels.platform(p)} {handle or uid or ''}".strip() for p, uid, handle in side.accounts)

    # -- acting ------------------------------------------------------------------------------
    def confirm_merge(self) -> None:
        if self.pair is None:
            return
        answer = QMessageBox.question(self, self.tr("Merge customers"), self.tr(
            "Merge these two customers into one? Their orders, notes, tags, points and accounts are all kept."))
        if answer == QMessageBox.StandardButton.Yes:
            self.merge()

    def merge(self) -> None:
        keep, drop = self.pair

        def run():
            from livedesk.services import merge

            with self.ctx.store.write() as session:
                return merge.merge(session, keep, drop, actor=getpass.getuser())

        def done(_result: Any) -> None:
            self.merged_any = True
            self._forget(drop)
            self._say(self.tr("Merged: one customer now holds everything."))

        self._enable(False)
        self.ctx.tasks.submit(run, on_done=done, on_error=self._error)

    def dismiss(self) -> None:
        a, b = self.pair

        def run() -> None:
            from livedesk.services import merge

            with self.ctx.store.write() as session:
                merge.dismiss(session, a, b, actor=getpass.getuser())

        def done(_r: Any) -> None:
            self._forget(None, pair=(a, b))
            self._say(self.tr("Noted: this pair will not be proposed again."))

        self.ctx.tasks.submit(run, on_done=done, on_error=self._error)

    def _forget(self, gone_id: int | None, pair: tuple[int, int] | None = None) -> None:
        """Drop the listed pairs that no longer make sense, then show the next one."""
        row = max(0, self.pairs_view.currentIndex().row())
        keep = [(r, k) for r, k in zip(self.pairs.rows, self.pairs.keys)
                if gone_id not in k and (pair is None or set(k) != set(pair))]
        self.pairs.set_rows([r for r, _ in keep], keys=[k for _, k in keep])
        self.pair = None
        if keep:
            self.pairs_view.selectRow(min(row, len(keep) - 1))
        else:
            self.sides.set_rows([])
            self._enable(False)

    def _enable(self, on: bool) -> None:
        for button in (self.swap_button, self.merge_button, self.dismiss_button):
            button.setEnabled(on)

    def _say(self, text: str) -> None:
        self.feedback.setText(text)
        self.feedback.setStyleSheet("color: #2e7d32;")

    def _error(self, exc: BaseException) -> None:
        self.feedback.setText(describe(exc))
        self.feedback.setStyleSheet("color: #c62828;")
        self._enable(self.pair is not None)
