"""The shop's past imports, newest first, as the 导入 page lists them for reverting.

Outside the importing package on purpose: listing them must not bring pandas into start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import ImportBatch


@dataclass(frozen=True)
class BatchView:
    id: int
    source: str | None
    file_name: str
    status: str  # running | done | failed | reverted
    rows: int
    orders_created: int
    orders_updated: int
    customers_created: int
    started_at: datetime
    reverted_at: datetime | None

    @property
    def revertible(self) -> bool:
        return self.status == "done"


def recent_batches(session: Session, limit: int = 100) -> list[BatchView]:
    rows = session.scalars(select(ImportBatch).where(ImportBatch.kind == "orders")
                           .order_by(ImportBatch.started_at.desc(), ImportBatch.id.desc()).limit(limit))
    views = []
    for b in rows:
        summary = b.summary or {}
        views.append(BatchView(b.id, b.source, b.file_name, b.status, b.row_count,
                               int(summary.get("orders_created", 0)), int(summary.get("orders_updated", 0)),
                               int(summary.get("customers_created", 0)), b.started_at, b.reverted_at))
    return views
