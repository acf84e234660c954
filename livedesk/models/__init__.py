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
from livedesk.models.loyalty import (
    CouponBatch,
    CouponCode,
    Experiment,
    ExperimentAssignment,
    ExperimentVariant,
    Perk,
)
from livedesk.models.orders import Order, OrderItem
from livedesk.models.points import PointsEntry
from livedesk.models.room import BroadcastMinute, CommentIntent, RunOfShowItem
from livedesk.models.team import TeamMember
from livedesk.models.vip import Invitation, PrivateSession

__all__ = [
    "Appearance",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastMinute",
    "ChangeLogEntry",
    "CommentIntent",
    "CouponBatch",
    "CouponCode",
    "Customer",
    "CustomerTag",
    "Experiment",
    "ExperimentAssignment",
    "ExperimentVariant",
    "FollowUpTask",
    "ImportBatch",
    "Invitation",
    "LevelChange",
    "MessageTemplate",
    "Note",
    "Order",
    "RunOfShowItem",
    "OrderItem",
    "Perk",
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
