"""Models of guard (SRM 10)."""

from mamori.guard.models.containment import BlockedSource, ContainmentAction
from mamori.guard.models.functions import Function
from mamori.guard.models.notices import (
    Notice,
    NoticeService,
    NoticeUpdate,
    Publication,
    ServiceState,
)

__all__ = [
    "BlockedSource",
    "ContainmentAction",
    "Function",
    "Notice",
    "NoticeService",
    "NoticeUpdate",
    "Publication",
    "ServiceState",
]
