"""The store's schema: SQLAlchemy 2.0 mapped classes and their Alembic migrations.

Importing this package registers every table on ``Base.metadata``.
"""

from livedesk.models.base import Base, UTCDateTime, utcnow
from livedesk.models.audit import AuditEntry, ImportBatch, Setting
from livedesk.models.catalog import Product
from livedesk.models.changes import ChangeLogEntry
from livedesk.models.customers import (
    Customer,
    CustomerTag,
    LevelChange,
    Note,
    PlatformAccount,
    ProfileValue,
    Tag,
)
from livedesk.models.duplicates import PossibleDuplicate
from livedesk.models.followups import FollowUpTask, MessageTemplate, SurveyResponse
from livedesk.models.live import Appearance, Broadcast
from livedesk.models.orders import Order, OrderItem
from livedesk.models.points import PointsEntry
from livedesk.models.team import TeamMember
from livedesk.models.vip import Invitation, PrivateSession

__all__ = [
    "Appearance",
    "AuditEntry",
    "Base",
    "Broadcast",
    "ChangeLogEntry",
    "Customer",
    "CustomerTag",
    "FollowUpTask",
    "ImportBatch",
    "Invitation",
    "LevelChange",
    "MessageTemplate",
    "Note",
    "Order",
    "OrderItem",
    "PlatformAccount",
    "PointsEntry",
    "PossibleDuplicate",
    "PrivateSession",
    "Product",
    "ProfileValue",
    "Setting",
    "SurveyResponse",
    "Tag",
    "TeamMember",
    "UTCDateTime",
    "utcnow",
]
