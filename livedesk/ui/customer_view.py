"""One customer's page: profile fields, accounts, tags, notes (add/edit/pin) and orders.

Reads a CustomerCard from the customers service; every change goes through the
service on the worker and the card is read again when it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, presets, settings, shop_words
from livedesk.services.customers import CustomerCard, NoteView
from livedesk.services.identity_text import mask_name, mask_phone
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.customer_orders import OrdersModel, OrdersView
from livedesk.ui.douyin_words import RecipientDecrypt
from livedesk.ui.elided_label import ElidedLabel
from livedesk.ui.flow_layout import FlowLayout
from livedesk.ui.loyalty.redeem_dialog import redeem_button
from livedesk.ui.manual_task_dialog import add_manual_task
from livedesk.ui.privacy_box import PrivacyBox
from livedesk.ui.toast import Toast

TILE_STYLE = """
QFrame#StatTile { background: #f4f6f9; border-radius: 6px; }
QLabel#StatValue { font-size: 15px; font-weight: 600; color: #1f2430; }
QLabel#StatCaption { font-size: 11px; color: #7a8190; }
"""


TILE_WIDTH = 130  # px of a figure's tile at least
TAG_WIDTH = 220  # px of a tag's name on its chip; longer names are shortened (whole in the tooltip)


class CustomerView(QWidget):
    push_to_panel = Signal(int)
    changed = Signal(int)  # a customer's row in the list should be read again
    erased = Signal(int)  # the customer is gone

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: int | None = None
        self.card: CustomerCard | None = None
        self.reveal = False
        ctx.changes.changed.connect(self.refresh_from)

        self.title = ElidedLabel("", self)  # a long nickname is shortened, never widens the pane
        self.title.setStyleSheet("font-size: 22px; font-weight: 600;")
        self.badges = QLabel(self)
        self.badges.setTextFormat(Qt.TextFormat.RichText)
        self.badges.setWordWrap(True)  # "High-value VIP ◆ Gold Diamond member Champions" is long in English
        self.identity = QLabel(self)
        self.identity.setWordWrap(True)
        self.identity.setStyleSheet("color: #555;")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        self.push_button = QPushButton(self.tr("Push to host panel"), self)
        self.push_button.setToolTip(self.tr("Enter on a row of the list does the same"))
        self.push_button.clicked.connect(lambda: self.customer_id and self.push_to_panel.emit(self.customer_id))
        self.task_button = QPushButton(self.tr("New follow-up…"), self)
        self.task_button.clicked.connect(lambda: add_manual_task(self.ctx, self.customer_id, self))
        self.redeem_button = redeem_button(ctx, lambda: self.customer_id, self)
        header = QVBoxLayout()
        for w in (self.title, self.badges, self.identity):
            header.addWidget(w)
        # Tiles and actions flow onto the next line when the pane is narrow (English words are long).
        self.stat_values: dict[str, QLabel] = {}
        tiles = FlowLayout()
        captions = (("spent", self.tr("Total spent")), ("spent_12m", self.tr("Last 12 months")),
                    ("orders", self.tr("Orders kept")), ("points", self.tr("Growth points")),
                    ("last_order", self.tr("Last order")))
        for key, caption in captions:
            tiles.addWidget(self._tile(key, caption))
        actions = FlowLayout()
        for button in (self.push_button, self.task_button, self.redeem_button):
            actions.addWidget(button)

        self.profile_box = QGroupBox(self.tr("Profile"), self)
        self.profile_form = QFormLayout(self.profile_box)
        self.profile_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a long label goes above
        self.accounts_label = QLabel(self)
        self.accounts_label.setWordWrap(True)
        accounts_box = QGroupBox(self.tr("Platform accounts"), self)
        QVBoxLayout(accounts_box).addWidget(self.accounts_label)
        self.sessions_label = QLabel(self)
        self.sessions_label.setWordWrap(True)
        self.sessions_box = QGroupBox(self.tr("VIP private sessions"), self)
        QVBoxLayout(self.sessions_box).addWidget(self.sessions_label)

        tags_box = QGroupBox(self.tr("Tags"), self)
        self.tags_row = FlowLayout()
        self.tag_input = QLineEdit(self)
        self.tag_input.setPlaceholderText(self.tr("Add a tag, Enter"))
        self.tag_input.setMaximumWidth(200)
        self.tag_input.returnPressed.connect(self.add_tag)
        tags_layout = QVBoxLayout(tags_box)
        tags_layout.addLayout(self.tags_row)
        tags_layout.addWidget(self.tag_input)

        notes_box = QGroupBox(self.tr("Notes"), self)
        self.note_input = QPlainTextEdit(self)
        self.note_input.setPlaceholderText(self.tr("Write a note…"))
        self.note_input.setMaximumHeight(60)
        self.add_note_button = QPushButton(self.tr("Add note"), self)
        self.add_note_button.clicked.connect(self.add_note)
        add_row = QHBoxLayout()
        add_row.addWidget(self.note_input, 1)
        add_row.addWidget(self.add_note_button)
        self.notes_list = QVBoxLayout()
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.addLayout(add_row)
        notes_layout.addLayout(self.notes_list)

        self.privacy = PrivacyBox(ctx, self)
        self.privacy.changed.connect(self._privacy_changed)
        self.privacy.erased.connect(self._erased)

        orders_box = QGroupBox(self.tr("Orders"), self)
        self.orders = OrdersModel(self)
        self.orders.zone = ctx.shop_zone()
        self.orders_view = OrdersView(self.orders, self)
        self.orders_view.setMinimumHeight(240)
        self.orders_caption = QLabel(self)
        self.orders_caption.setWordWrap(True)  # the refunds line must not widen the page
        # 解密收件人 on a 抖店 order (right click): the owner's, counted against the shop's quota.
        self.decryptor = RecipientDecrypt(ctx, self)
        self.orders_view.offer_decrypt = self.decryptor.allowed()
        self.orders_view.decrypt_requested.connect(lambda number: self.decryptor.start([number]))
        self.decrypt_feedback = Toast(self)
        self.decryptor.finished.connect(lambda text, error: self.decrypt_feedback.say(text, error=error))
        orders_layout = QVBoxLayout(orders_box)
        orders_layout.addWidget(self.orders_view)
        orders_layout.addWidget(self.orders_caption)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(tiles)
        layout.addLayout(actions)
        layout.addWidget(self.error)
        for box in (self.profile_box, accounts_box, self.sessions_box, tags_box, notes_box, orders_box,
                    self.privacy):
            layout.addWidget(box)
        layout.addStretch(1)
        self.setStyleSheet(TILE_STYLE)
        self.setEnabled(False)
        self._preset_code: tuple[str, str] | None = None
        self._shop_language = "zh_CN"
        self._editors: dict[str, QComboBox | QLineEdit] = {}

    def _tile(self, key: str, caption: str) -> QFrame:
        tile = QFrame(self)
        tile.setObjectName("StatTile")
        tile.setMinimumWidth(TILE_WIDTH)  # alike widths: they wrap three and two, not four and a straggler
        value = QLabel(tile)
        value.setObjectName("StatValue")
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label = QLabel(caption, tile)
        label.setObjectName("StatCaption")
        column = QVBoxLayout(tile)
        column.setContentsMargins(10, 6, 10, 6)
        column.setSpacing(0)
        column.addWidget(value)
        column.addWidget(label)
        self.stat_values[key] = value
        if key == "orders":
            tile.setToolTip(self.tr("Paid and completed orders: refunded and cancelled ones are not counted, "
                                    "as in the spend"))
        return tile

    # -- showing -----------------------------------------------------------------
    def refresh_from(self, change_set) -> None:
        """Another page or machine changed this customer (a note, a tag, a merge): show it."""
        if self.customer_id is None or not change_set.touches_customer(self.customer_id):
            return
        try:
            self.reload()
        except LookupError:  # merged into another customer or erased elsewhere
            self.customer_id = self.card = None
            self.setEnabled(False)

    def show_customer(self, customer_id: int) -> None:
        self.customer_id = customer_id
        self.reload()

    def reload(self) -> None:
        if self.customer_id is None:
            return
        with self.ctx.store.read() as session:
            self.card = customers.card(session, self.customer_id)
            preset = presets.preset(settings.get(session, "shop.preset"))
            self._shop_language = settings.get(session, "shop.language")  # the language of stored choices
        self.setEnabled(True)
        for widget in (self.push_button, self.task_button, self.privacy.consent_button,
                       self.privacy.export_button, self.privacy.erase_button, self.add_note_button):
            widget.setEnabled(True)
        self.error.hide()
        self._show_header(self.card)
        self._show_profile(self.card, preset)
        self.accounts_label.setText("\n".join(
            f"{labels.platform(a.platform)}  {a.handle or ''}  {a.nickname or ''}".strip()
            for a in self.card.accounts) or self.tr("none"))
        self.sessions_box.setVisible(bool(self.card.vip_sessions))
        self.sessions_label.setText("\n".join(
            f"{self.ctx.local(starts):%Y-%m-%d} {title} · {labels.rsvp(status)}"
            for title, starts, status in self.card.vip_sessions))
        self._show_tags(self.card)
        self._show_notes(self.card.notes)
        self.privacy.show_customer(self.customer_id, self.card.row.nickname, self.card.consent)
        self.orders.set_orders(self.card.orders)
        self.orders_view.setVisible(bool(self.card.orders))
        caption = (self.tr("Latest %1 of %2 orders").replace("%1", str(len(self.card.orders)))
                   .replace("%2", str(self.card.order_total)) if self.card.orders else self.tr("No orders yet"))
        not_kept = self.card.order_total - self.card.row.order_count
        if not_kept > 0:  # why the "Orders" tile says fewer: it counts the orders whose money stayed
            caption += " · " + self.tr("%1 refunded or cancelled, not in the Orders tile or the spend").replace(
                "%1", str(not_kept))
        self.orders_caption.setText(caption)

    def set_reveal(self, reveal: bool) -> None:
        self.reveal = reveal
        if self.card is not None:
            self._show_header(self.card)

    def _show_header(self, card: CustomerCard) -> None:
        row = card.row
        self.title.setText(row.nickname)
        badge = f"<span style='color:{labels.TIER_COLORS.get(row.tier)}'>● {labels.tier(row.tier)}</span>"
        if row.level != "none":
            badge += f"&nbsp;&nbsp;<span style='color:{labels.LEVEL_COLORS.get(row.level)}'>◆ {labels.level(row.level)}</span>"
        if card.rfm_segment:
            badge += f"&nbsp;&nbsp;<span style='color:#666'>{labels.segment(card.rfm_segment)}</span>"
        self.badges.setText(badge)
        values = {
            "spent": labels.money(row.total_spent_fen),
            "spent_12m": labels.money(card.spent_12m_fen),
            "orders": f"{row.order_count:,}",
            "points": f"{row.points_balance:,}",
            "last_order": self.ctx.local(row.last_order_at).strftime("%Y-%m-%d") if row.last_order_at else "—",
        }
        for key, text in values.items():
            self.stat_values[key].setText(text)
        name = row.real_name if self.reveal else mask_name(row.real_name)
        phone = row.phone if self.reveal else mask_phone(row.phone)
        birthday = card.birthday.strftime("%m-%d") if card.birthday else ""
        # The street address only with "show full", like the phone: the page may be seen by the room.
        place = " ".join(x for x in (row.city, card.address if self.reveal else None) if x)
        self.identity.setText("   ".join(x for x in (name or "", phone or "", place,
                                                     self.tr("Birthday %1").replace("%1", birthday) if birthday else "")
                                         if x))

    def _show_profile(self, card: CustomerCard, preset: presets.Preset) -> None:
        if (preset.code, self._shop_language) != self._preset_code:
            self._build_profile_editors(preset)
        for spec in preset.fields:
            value = card.profile.get(spec.key, "")
            editor = self._editors[spec.key]
            editor.blockSignals(True)  # filling in is not editing: nothing to save
            if isinstance(editor, QComboBox):
                while editor.count() > len(spec.choices_in(self._shop_language)) + 1:  # a previous off-list value
                    editor.removeItem(editor.count() - 1)
                if value and editor.findData(value) < 0:
                    editor.addItem(value, value)
                editor.setCurrentIndex(max(0, editor.findData(value)))
            elif editor.text() != value and not (editor.hasFocus() and editor.isModified()):
                editor.setText(value)  # (what the user is typing right now stays: it saves on leaving)
            editor.blockSignals(False)

    def _build_profile_editors(self, preset: presets.Preset) -> None:
        while self.profile_form.rowCount():
            self.profile_form.removeRow(0)
        self._editors.clear()
        for spec in preset.fields:
            if spec.kind == "choice":
                editor = QComboBox(self.profile_box)
                # Its longest choice must not set the pane's width.
                editor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                editor.setMinimumContentsLength(8)
                editor.addItem("", "")
                for choice in spec.choices_in(self._shop_language):
                    editor.addItem(choice, choice)
                editor.currentIndexChanged.connect(
                    lambda _i, key=spec.key, box=editor: self.save_profile(key, box.currentData()))
            else:
                editor = QLineEdit(self.profile_box)
                if spec.kind == "multi":  # a hint that reads as a hint, not as the customer's answer
                    separator = shop_words.for_language(self._shop_language).separator
                    editor.setPlaceholderText(self.tr("e.g. %1 (several, separated by %2)")
                                              .replace("%1", separator.join(spec.choices_in(self._shop_language)[:2]))
                                              .replace("%2", separator.strip()))
                editor.editingFinished.connect(
                    lambda key=spec.key, line=editor: self._save_if_changed(key, line.text()))
            editor.setObjectName(f"profile_{spec.key}")
            label = QLabel(spec.label(self.ctx.language), self.profile_box)
            if spec.alert:
                label.setStyleSheet("color: #c62828; font-weight: 600;")
            self.profile_form.addRow(label, editor)
            self._editors[spec.key] = editor
        self._preset_code = (preset.code, self._shop_language)

    def _show_tags(self, card: CustomerCard) -> None:
        _clear(self.tags_row)
        for tag in card.tags:
            chip = QToolButton(self)
            name = chip.fontMetrics().elidedText(tag.name, Qt.TextElideMode.ElideRight, TAG_WIDTH)
            chip.setText(f"{name}  ✕")
            chip.setObjectName(f"tag_{tag.id}")
            chip.setToolTip(self.tr("Remove this tag") if name == tag.name
                            else f"{tag.name}\n{self.tr('Remove this tag')}")
            chip.setStyleSheet("QToolButton { background: #eef2f7; border-radius: 10px; padding: 3px 8px; }")
            chip.clicked.connect(lambda _c=False, tag_id=tag.id: self.remove_tag(tag_id))
            self.tags_row.addWidget(chip)

    def _show_notes(self, notes: list[NoteView]) -> None:
        _clear(self.notes_list)
        for note in notes:
            self.notes_list.addWidget(self._note_widget(note))

    def _note_widget(self, note: NoteView) -> QWidget:
        frame = QFrame(self)
        frame.setObjectName(f"note_{note.id}")
        frame.setStyleSheet("QFrame { background: %s; border-radius: 6px; }"
                            % ("#fff8e1" if note.pinned else "#f5f6f8"))
        body = QLabel(note.body, frame)
        body.setWordWrap(True)
        if note.kind == "complaint":
            body.setStyleSheet("color: #c62828;")
        meta = QLabel(" · ".join(x for x in (self.tr("Pinned") if note.pinned else "",
                                             self.ctx.local(note.created_at).strftime("%Y-%m-%d %H:%M"),
                                             note.author or "") if x), frame)
        meta.setStyleSheet("color: #888; font-size: 11px;")
        pin = QToolButton(frame)
        pin.setText(self.tr("Unpin") if note.pinned else self.tr("Pin"))
        pin.clicked.connect(lambda: self._write(customers.set_note_pinned, note.id, not note.pinned))
        edit = QToolButton(frame)
        edit.setText(self.tr("Edit"))
        edit.clicked.connect(lambda: self._edit_note(note))
        delete = QToolButton(frame)
        delete.setText(self.tr("Delete"))
        delete.clicked.connect(lambda: self._write(customers.delete_note, note.id))
        row = QHBoxLayout(frame)
        text = QVBoxLayout()
        text.addWidget(body)
        text.addWidget(meta)
        row.addLayout(text, 1)
        for button in (pin, edit, delete):
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return frame

    # -- changes -------------------------------------------------------------------
    def add_note(self) -> None:
        text = self.note_input.toPlainText().strip()
        if self.customer_id is None or not text:
            return
        self.note_input.clear()
        self._write(customers.add_note, self.customer_id, text, keep=lambda: self._give_back(text))

    def _edit_note(self, note: NoteView) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Edit note"))
        dialog.setLabelText(self.tr("Note"))
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(note.body)
        dialog.textValueSelected.connect(lambda text: self._save_note(note.id, text, note.version))
        dialog.open()  # not exec(): the qasync loop keeps running

    def _save_note(self, note_id: int, text: str, version: int) -> None:
        """Save an edit made against ``version``; if someone saved the note meanwhile, ask first."""
        self._write(customers.edit_note, note_id, text, version,
                    on_error=lambda exc: self._note_conflict(exc, note_id, text))

    def _note_conflict(self, exc: BaseException, note_id: int, text: str) -> None:
        if not isinstance(exc, customers.NoteConflict):
            self._failed(exc)
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Edit note"), self.tr(
            "%1 changed this note while you were editing it. Their text:\n\n%2\n\nReplace it with yours?")
            .replace("%1", exc.by or self.tr("Someone else")).replace("%2", exc.body),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.finished.connect(lambda answer: answer == QMessageBox.StandardButton.Yes.value
                             and self._save_note(note_id, text, exc.version))
        box.open()

    def add_tag(self) -> None:
        name = self.tag_input.text().strip()
        if self.customer_id is None or not name:
            return
        self.tag_input.clear()
        self._write(customers.tag_customer, self.customer_id, name)

    def remove_tag(self, tag_id: int) -> None:
        if self.customer_id is not None:
            self._write(customers.untag_customer, self.customer_id, tag_id)

    def save_profile(self, key: str, value: str) -> None:
        if self.customer_id is not None:
            self._write(customers.set_profile_value, self.customer_id, key, value or "")

    def _save_if_changed(self, key: str, value: str) -> None:
        if self.card is not None and self.card.profile.get(key, "") != value.strip():
            self.save_profile(key, value)

    def _give_back(self, text: str) -> None:
        """A note that could not be saved goes back into the box, unless something new is there."""
        if not self.note_input.toPlainText().strip():
            self.note_input.setPlainText(text)

    def _write(self, change: Callable[..., Any], *args: Any, keep: Callable[[], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> None:
        customer_id = self.customer_id

        def run() -> None:
            with self.ctx.store.write() as session:
                change(session, *args)

        def done(_result: Any) -> None:
            if customer_id == self.customer_id:
                self.reload()
            self.changed.emit(customer_id)

        def failed(exc: BaseException) -> None:
            if keep is not None and customer_id == self.customer_id:
                keep()
            (on_error or self._failed)(exc)

        self.ctx.tasks.submit(run, on_done=done, on_error=failed)

    def _privacy_changed(self, customer_id: int) -> None:
        if customer_id == self.customer_id:
            self.reload()
        self.changed.emit(customer_id)

    def _erased(self, customer_id: int) -> None:
        """Nothing of the customer stays on screen; the privacy box keeps its message."""
        if customer_id == self.customer_id:
            self.customer_id, self.card = None, None
            self.title.setText(self.tr("Customer erased"))
            for label in (self.badges, self.identity, self.accounts_label, self.sessions_label):
                label.clear()
            for value in self.stat_values.values():
                value.setText("—")
            _clear(self.tags_row)
            _clear(self.notes_list)
            self.orders.set_orders([])
            for editor in self._editors.values():
                editor.blockSignals(True)
                if isinstance(editor, QComboBox):
                    editor.setCurrentIndex(0)
                else:
                    editor.clear()
                editor.blockSignals(False)
            for widget in (self.push_button, self.task_button, self.privacy.consent_button,
                           self.privacy.export_button, self.privacy.erase_button, self.add_note_button):
                widget.setEnabled(False)
            self.privacy.consent_label.clear()
        self.erased.emit(customer_id)

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(self.tr("Not saved: %1").replace("%1", describe(exc)))
        self.error.show()


def _clear(layout) -> None:
    while (item := layout.takeAt(0)) is not None:
        if item.widget() is not None:
            item.widget().hide()  # gone now, not at the next event loop turn
            item.widget().deleteLater()
