"""Heavy exports built by the worker, not by the web request (issue 25, point 6).

A module registers what it exports (:func:`register_export`: a name, the permission it
needs, its steps and a builder); a page or the API asks for one (:func:`request_export`),
which queues an :class:`~mamori.scheduler.models.ExportJob` and returns at once; the worker's
export thread — never the scheduler's — claims it, builds it step by step, stores the file
whole in the data directory and notifies whoever asked. A download is recorded in the audit
log as any export is.
"""

from mamori.scheduler.exportjobs.kinds import Built, ExportKind, Progress, get_kind, register_export
from mamori.scheduler.exportjobs.services import (
    ExportRefused,
    download,
    may_download,
    request_export,
    start_in_process,
    work_once,
)

__all__ = [
    "Built",
    "ExportKind",
    "ExportRefused",
    "Progress",
    "download",
    "get_kind",
    "may_download",
    "register_export",
    "request_export",
    "start_in_process",
    "work_once",
]
