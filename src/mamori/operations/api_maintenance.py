"""API of the maintenance calendar (SRM 13), mounted at ``/api/operations``.

``GET /api/operations/maintenance.ics`` (scope ``maintenance:read``, or a signed-in person
holding ``maintenance.view``) gives every maintenance not cancelled, with internal details, as
iCalendar (``?lang=ja|en``): what a staff calendar subscribes to with a token.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from mamori.core.api import authenticated
from mamori.operations import views_maintenance

__all__ = ["router"]

router = Router(tags=["operations"])

#: What the OpenAPI document says the calendar is.
CALENDAR = {
    "responses": {
        "200": {
            "description": "the maintenance calendar (RFC 5545)",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
}


@router.get("/maintenance.ics", auth=authenticated("maintenance:read"), openapi_extra=CALENDAR)
def maintenance_calendar(request: HttpRequest) -> HttpResponse:
    """Every maintenance not cancelled, with internal details, as iCalendar."""
    return views_maintenance.staff_calendar(request)
