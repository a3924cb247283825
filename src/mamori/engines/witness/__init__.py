"""A transparency-log witness (c2sp.org/tlog-witness): cosign a log's checkpoint only when it is
consistent with the last one cosigned for that log.

No Django, no database: the state is one small file per log in a directory of the witness's
own, so a witness can run on another machine, under other people's control.
"""

from mamori.engines.witness.protocol import (
    MAX_PROOF_LINES,
    AddCheckpoint,
    BadRequest,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_body,
)
from mamori.engines.witness.state import Remembered, StateError, StateFile
from mamori.engines.witness.witness import Answer, Witness, origin_hash

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "Answer",
    "BadRequest",
    "Remembered",
    "StateError",
    "StateFile",
    "Witness",
    "format_add_checkpoint",
    "origin_hash",
    "parse_add_checkpoint",
    "parse_body",
]
