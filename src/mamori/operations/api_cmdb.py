"""API of the configuration register (SRM 7-2, 12), mounted at ``/api/operations``.

``GET /api/operations/cmdb/items`` (scope ``cmdb:read``; filters ``kind``, ``system``,
``gone``) gives the items; ``GET /api/operations/cmdb/relations`` (same scope; filter
``system``) the relations between them with the kind of data that flows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from mamori.core.api import Pagination, authenticated, refusals
from mamori.operations.models import ConfigurationItem, Relation
from mamori.operations.services.cmdb_register import CmdbRefused

__all__ = ["router"]

router = Router(tags=["operations"])


class CmdbItemOut(Schema):
    """A configuration item of the register."""

    id: int
    kind: str
    name: str
    source: str
    external_id: str
    system: str | None
    department: str | None
    system_manager: str | None
    location: str
    criticality: str
    lifecycle: str
    version: str
    expires_on: date | None
    last_seen_at: datetime
    gone_since: datetime | None


class CmdbRelationOut(Schema):
    """How two items relate; ``data_kind`` for the information flows."""

    id: int
    source_item: int
    target_item: int
    kind: str
    data_kind: str
    gone_since: datetime | None


@router.get(
    "/cmdb/items",
    response={200: list[CmdbItemOut], **refusals(422)},
    auth=authenticated("cmdb:read"),
)
@paginate(Pagination)
def list_items(
    request: HttpRequest,
    kind: str | None = None,
    system: str | None = None,
    gone: bool | None = None,
) -> Any:
    """The configuration items, by kind and name."""
    rows = ConfigurationItem.objects.select_related("system", "department", "system_manager")
    if kind is not None:
        if kind not in ConfigurationItem.Kind.values:
            message = _("Expected %(name)s in %(values)s, got %(value)s.") % {
                "name": "kind",
                "values": ", ".join(ConfigurationItem.Kind.values),
                "value": kind,
            }
            raise CmdbRefused("bad_filter", message, fields=[("kind", message)])
        rows = rows.filter(kind=kind)
    if system is not None:
        rows = rows.filter(system__code=system)
    if gone is not None:
        rows = rows.filter(gone_since__isnull=not gone)
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "name": i.name,
            "source": i.source,
            "external_id": i.external_id,
            "system": i.system.code if i.system else None,
            "department": i.department.code if i.department else None,
            "system_manager": i.system_manager.get_username() if i.system_manager else None,
            "location": i.location,
            "criticality": i.criticality,
            "lifecycle": i.lifecycle,
            "version": i.version,
            "expires_on": i.expires_on,
            "last_seen_at": i.last_seen_at,
            "gone_since": i.gone_since,
        }
        for i in rows
    ]


@router.get(
    "/cmdb/relations",
    response={200: list[CmdbRelationOut], **refusals(422)},
    auth=authenticated("cmdb:read"),
)
@paginate(Pagination)
def list_relations(request: HttpRequest, system: str | None = None) -> Any:
    """The relations between items; with ``system``, those touching its items."""
    rows = Relation.objects.order_by("pk")
    if system is not None:
        rows = rows.filter(
            Q(source_item__system__code=system) | Q(target_item__system__code=system)
        )
    return [
        {
            "id": r.pk,
            "source_item": r.source_item_id,
            "target_item": r.target_item_id,
            "kind": r.kind,
            "data_kind": r.data_kind,
            "gone_since": r.gone_since,
        }
        for r in rows
    ]
