"""Deposit and withdrawal threshold monitoring with halts (ISM 27-2, 27-3).

Exact sliding windows on event time, idempotent by event id, bounded lateness, integer base
units and exact JPY values; no Django, no I/O — the application journals decisions and
replays them to rebuild a :class:`Monitor` after a restart.
"""

from mamori.engines.threshold.cap import (
    CapStatus,
    Learned,
    cap_status,
    learn_expected_outflow,
    over_share,
)
from mamori.engines.threshold.decision import Decision
from mamori.engines.threshold.journal import (
    Journal,
    checked_row,
    event_row,
    replay,
    row_event,
    unchecked_row,
)
from mamori.engines.threshold.model import (
    Action,
    Asset,
    Balance,
    Config,
    ConfigError,
    Deposit,
    Direction,
    Event,
    Halt,
    HaltOrder,
    HaltScope,
    HoldRefused,
    HoldReleased,
    Level,
    Price,
    Reason,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)
from mamori.engines.threshold.monitor import (
    Monitor,
    from_micro_yen,
    from_micros,
    micros,
    to_micro_yen,
)
from mamori.engines.threshold.window import SlidingSum

__all__ = [
    "Action",
    "Asset",
    "Balance",
    "CapStatus",
    "Config",
    "ConfigError",
    "Decision",
    "Deposit",
    "Direction",
    "Event",
    "Halt",
    "HaltOrder",
    "HaltScope",
    "HoldRefused",
    "HoldReleased",
    "Journal",
    "Learned",
    "Level",
    "Monitor",
    "Price",
    "Reason",
    "Rule",
    "Scope",
    "SlidingSum",
    "WithdrawalCancelled",
    "WithdrawalRequest",
    "WithdrawalSent",
    "cap_status",
    "checked_row",
    "event_row",
    "from_micro_yen",
    "from_micros",
    "learn_expected_outflow",
    "micros",
    "over_share",
    "replay",
    "row_event",
    "to_micro_yen",
    "unchecked_row",
]
