"""Follow-ups: the rules that decide who is owed a message, the queue people work, surveys.

The 跟进 page and the CLI use these names; the modules behind them:
``rules`` (the eight rules and their time window), ``generate`` (idempotent task
creation), ``tasks`` (queue, complete, snooze, skip, manual tasks), ``surveys``
(answers and NPS). Message text comes from services/templates.py.
"""

from livedesk.services.followups.generate import GenerateSummary, generate
from livedesk.services.followups.rules import KINDS, SHOP_TZ
from livedesk.services.followups.surveys import NpsSummary, nps, record_survey
from livedesk.services.followups.tasks import (
    OUTCOMES,
    TASK_KINDS,
    UNASSIGNED,
    TaskError,
    TaskView,
    complete,
    create_manual,
    get,
    queue,
    skip,
    snooze,
)

__all__ = [
    "KINDS",
    "OUTCOMES",
    "SHOP_TZ",
    "TASK_KINDS",
    "UNASSIGNED",
    "GenerateSummary",
    "NpsSummary",
    "TaskError",
    "TaskView",
    "complete",
    "create_manual",
    "generate",
    "get",
    "nps",
    "queue",
    "record_survey",
    "skip",
    "snooze",
]
