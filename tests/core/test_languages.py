"""Every page a signed-in officer reads in Japanese has no English sentence outside data, and
the English pages no Japanese one (issue 25, point 5). The heuristic: a text node (scripts,
styles, code and preformatted text aside) with three ASCII words in a row is English; the
exceptions below are data or names, listed one by one with why."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mamori.accounts.models import ApprovalRequest, Role, RoleAssignment
from mamori.core.demo import load_demo
from mamori.reconciliation.models import Case
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

#: A plain word: letters only (a code such as btc-all-halt or sod-dev-ops is not a word),
#: perhaps closing with a comma, colon or full stop.
WORD = re.compile(r"^[A-Za-z][a-z’']*[,.:;]?$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SKIPPED = {"script", "style", "code", "pre", "textarea", "option", "select", "details"}

#: Text that is data, a name or a command, not a sentence of the user interface.
DATA = [
    "mamori reconcile node",  # a command to type
    "mamori rulebook load FILE",  # a command to type
    "Tech Bureau (Zaif",  # a company's name in the incident catalogue
    "USD Coin (test token",  # an asset's name
    "Bitcoin Core",  # node software
    "customer, own, withdrawal",  # the values of a book's column, as the file holds them
    "wallet, account, reference",  # the columns of a book file
    "audit, board, custody, management, risk",  # department codes in a control's evidence
    "implement the chosen controls",  # the demo's action texts (typed by a person)
    "ETH ETH-hot",  # wallet names
    "backup, operating, recovery",  # the key roles a spread rule applies to (its data)
    "site, unit, holder",  # the attributes a spread rule keeps apart (its data)
    "unit, holder, organisation",  # the attributes a spread rule may name (a form's help)
    "officers and audit",  # a stage's name in an approval policy's definition (changed by a
    # policy change; the seeded policies name their stages in English)
]

#: English the user interface still shows in Japanese (issue 25, point 5, not done yet): each
#: is made in English by a service and stored or shown as made. Listed so that the test
#: fails on any new one, and shrinks as these are translated.
REMAINING = []


def _words(text: str) -> list[str]:
    """Return the runs of three or more plain ASCII words in ``text``."""
    runs, current = [], []
    for token in text.split():
        if WORD.match(token):
            current.append(token)
            continue
        if len(current) >= 3:
            runs.append(" ".join(current))
        current = []
    if len(current) >= 3:
        runs.append(" ".join(current))
    return runs


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth and data.strip():
            self.texts.append(" ".join(data.split()))


def _texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


def _pages() -> list[str]:
    """Every page without a parameter, and the detail pages of the demo's records."""
    paths = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif "<" not in route and not route.endswith((".pdf", ".xlsx", ".zip", ".csv")):
                paths.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    paths += [
        f"/accounts/approvals/{pk}/" for pk in ApprovalRequest.objects.values_list("pk", flat=True)
    ]
    paths += [f"/reconciliation/cases/{pk}/" for pk in Case.objects.values_list("pk", flat=True)]
    return sorted(set(paths))


@pytest.fixture
def officer() -> Client:
    load_demo()
    viewer = make_user("viewer")
    for role in Role.objects.all():
        RoleAssignment.objects.create(user=viewer, role=role, department=None)
    client = Client()
    sign_in(client, viewer)
    return client


def _html(client: Client, path: str, language: str) -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return ""
    return response.content.decode()


def _english_in(client: Client, path: str) -> list[str]:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ja")
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    found = []
    for text in _texts(response.content.decode()):
        if JAPANESE.search(text) and " / " in text:
            continue  # data entered in both languages, "日本語 / English"
        if any(known in text for known in DATA + REMAINING):
            continue
        found += [f"{path}: {run} «{text[:120]}»" for run in _words(text)]
    return found


def test_japanese_pages_have_no_english_sentence_outside_data(officer) -> None:
    found = []
    for path in _pages():
        found += _english_in(officer, path)
    assert found == [], "\n".join(found)


def _japanese_data() -> list[str]:
    """The Japanese that is data on an English page: people's names, assessments' names,
    where information assets are kept, the brand, and the language switch naming Japanese."""
    from mamori.accounts.models import User
    from mamori.risk.models import Assessment, InformationAsset

    names = [
        name
        for user in User.objects.all()
        for name in (str(user), user.get_full_name(), f"{user.last_name} {user.first_name}")
    ]
    names += list(Assessment.objects.values_list("name", flat=True))
    names += list(InformationAsset.objects.values_list("location", flat=True))
    return sorted({n for n in [*names, "守り", "日本語"] if n.strip()}, key=len, reverse=True)


def test_english_pages_have_no_japanese_outside_data(officer) -> None:
    data = _japanese_data()
    found = []
    for path in _pages():
        for text in _texts(_html(officer, path, "en")):
            for value in data:
                text = text.replace(value, "")
            if JAPANESE.search(text) and " / " not in text:
                found.append(f"{path}: «{text[:120]}»")
    assert found == [], "\n".join(found)


def test_the_register_names_the_stage_above_acceptance_and_history_says_before_after(
    officer,
) -> None:
    from mamori.risk.models import RiskScenario

    register = _html(officer, "/risk/", "ja")
    assert "現状リスクが受容水準超" in register  # ranked by the current rating by default
    residual = _html(officer, "/risk/?stage=residual", "ja")
    assert "現状リスクが受容水準超" not in residual
    scenario = RiskScenario.objects.order_by("code").first()
    assert scenario is not None
    page = _html(officer, f"/risk/scenarios/{scenario.pk}/", "ja")
    assert "変更前" in page and "変更後" in page and "接続元" not in page
