"""The boxes loyalty adds to the 设置 page, in the order they are shown."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QWidget

from livedesk.ui.context import AppContext


def loyalty_boxes(ctx: AppContext, parent: QWidget) -> list[QGroupBox]:
    from livedesk.ui.loyalty.coupons_box import CouponBatchesBox
    from livedesk.ui.loyalty.perks_box import PerkCatalogueBox

    return [PerkCatalogueBox(ctx, parent), CouponBatchesBox(ctx, parent)]
