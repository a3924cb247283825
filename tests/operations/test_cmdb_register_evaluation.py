"""The evaluation of configuration management (SRM 12-5/12-6): figures measured on known
data, the seen-recently window as data, and the yearly review that only the system general
manager signs, once a year, with the figures attached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.operations.models import CmdbReview
from mamori.operations.services import cmdb_register
from mamori.operations.services.cmdb_register import CmdbRefused
from tests.conftest import client_for
from tests.operations.cmdb_world import item, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, object]:
    world_ = world()
    now = timezone.now()
    today = timezone.localdate()
    app = item(world_, "app", kind="software", system=world_["matching-engine"])
    item(world_, "vm", system=world_["matching-engine"])
    item(world_, "stale-vm", system=world_["db"], last_seen_at=now - timedelta(days=45))
    stray = item(world_, "s3://tmp", kind="cloud_resource", department=None, system_manager=None)
    item(world_, "licence", kind="licence", source="manual", expires_on=today + timedelta(days=30))
    item(
        world_,
        "far-licence",
        kind="licence",
        source="manual",
        expires_on=today.replace(year=today.year + 2),
    )
    item(world_, "gone", system=world_["db"], gone_since=now)
    cmdb_register.add_relation(stray, app, "connects_to")
    return world_


def test_the_figures_count_owner_share_recent_sightings_unknowns_licences_and_orphans(w) -> None:
    figures = cmdb_register.evaluate()
    assert figures.items == 6
    assert (figures.with_owner_and_manager, figures.owner_share) == (5, 83)
    assert (figures.seen_recently, figures.seen_share, figures.seen_within_days) == (5, 83, 30)
    assert figures.unknown_from_imports == 1  # s3://tmp, imported without a system
    assert figures.licences_expiring == 1
    assert figures.without_system_relation == 2  # the two licences; s3://tmp relates to app
    assert figures.gone == 1


def test_the_seen_recently_window_is_data(w) -> None:
    setting = cmdb_register.setting()
    setting.seen_within_days = 60
    setting.save()
    assert cmdb_register.evaluate().seen_recently == 6


def test_the_general_manager_signs_the_years_review_with_the_figures_attached(w) -> None:
    client = client_for(w["sgm"])
    page = client.get("/operations/cmdb/evaluation/").content.decode()
    assert 'id="cmdb-review-form"' in page and "83%" in page
    signed = client.post(
        "/operations/cmdb/evaluation/", {"year": 2026, "conclusion": "機能している / works"}
    )
    assert signed.status_code == 302
    review = CmdbReview.objects.get(year=2026)
    assert review.signed_by == w["sgm"] and review.figures["owner_share"] == 83
    assert review.figures["unknown_from_imports"] == 1
    again = client.post("/operations/cmdb/evaluation/", {"year": 2026, "conclusion": "again"})
    assert again.status_code == 200 and CmdbReview.objects.count() == 1


def test_anyone_but_the_general_manager_is_refused_the_signature(w) -> None:
    manager = client_for(w["dsm"])
    page = manager.get("/operations/cmdb/evaluation/").content.decode()
    assert 'id="cmdb-review-form"' not in page and 'id="cmdb-figures"' in page
    refused = manager.post("/operations/cmdb/evaluation/", {"year": 2026, "conclusion": "ok"})
    assert refused.status_code == 403
    with pytest.raises(CmdbRefused) as raised:
        cmdb_register.sign_review(w["auditor"], 2026, "ok")  # type: ignore[arg-type]
    assert raised.value.code == "not_general_manager"
    with pytest.raises(CmdbRefused) as empty:
        cmdb_register.sign_review(w["sgm"], 2026, "  ")  # type: ignore[arg-type]
    assert empty.value.code == "conclusion_required"
    assert not CmdbReview.objects.exists()
