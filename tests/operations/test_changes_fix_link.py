"""A reconciliation case's fix names a change (SRM 11; ISM 34): the case page links a
reference that names an existing change and offers the changes to choose from."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mamori.accounts.models import Department
from mamori.operations.models import Change, System
from mamori.operations.services import changes
from mamori.reconciliation.models import BookImport, Case
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


def test_a_fix_reference_naming_a_change_links_to_it_and_the_form_offers_the_changes() -> None:
    department = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    sgm = give(make_user("sgm-sato"), "system_general_manager", "ciso")
    operator = give(make_user("op-watanabe"), "custody_operator")
    system = System.objects.create(
        code="wallet-service", name_ja="ウォレット", name_en="Wallet", department=department
    )
    change = changes.create(
        sgm,
        title="Fix the withdrawal batcher",
        kind=Change.Kind.EMERGENCY,
        category=Change.Category.CHANGE,
        responsible=sgm,
        systems=[system],
        planned={},
    )
    book = BookImport.objects.create(source="file", status="refused", imported_at=timezone.now())
    case = Case.objects.create(
        kind=Case.Kind.BOOK_REFUSED,
        book=book,
        asset="ETH",
        wallet="hot",
        difference=1,
        cause="program_defect",
        fix_reference=change.reference,
        opened_at=timezone.now(),
    )
    client = client_for(operator)
    page = client.get(f"/reconciliation/cases/{case.pk}/").content.decode()
    assert f'href="/operations/changes/{change.reference}/" id="fix-change"' in page
    assert f'<option value="{change.reference}">' in page
    Case.objects.filter(pk=case.pk).update(fix_reference="PATCH-77")
    page = client.get(f"/reconciliation/cases/{case.pk}/").content.decode()
    assert "PATCH-77" in page and 'id="fix-change"' not in page
