"""Set-up from an empty install: the first administrator, the organisation, departments,
people invited with a one-time code, deactivation, role grants by API, bulk import (issue 23)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook

from mamori.accounts.models import (
    ApiToken,
    ApprovalRequest,
    Department,
    Invitation,
    Organisation,
    RoleAssignment,
    User,
)
from mamori.accounts.services import people as directory
from mamori.accounts.services import tokens
from tests.conftest import PASSWORD, give, make_user, sign_in, totp_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 42"


def first_sign_in(client: Client, username: str, code: str, password: str = NEW_PASSWORD):
    """Use an invitation code: set a password, then enrol an authenticator; return the last
    answer (the recovery codes page on success)."""
    answer = client.post(
        "/accounts/welcome/",
        {
            "username": username,
            "code": code,
            "new_password1": password,
            "new_password2": password,
        },
    )
    if answer.status_code != 302:
        return answer
    assert answer["Location"] == "/accounts/login/enrol/"
    assert client.get("/accounts/login/enrol/").status_code == 200
    user = User.objects.get(username=username)
    return client.post("/accounts/login/enrol/", {"code": totp_for(user).now()})


def run_setup(*extra: str) -> str:
    out = io.StringIO()
    call_command(
        "setup",
        "--username",
        "first-admin",
        "--email",
        "admin@example.jp",
        "--organisation-ja",
        "さくら取引所",
        "--organisation-en",
        "Sakura Exchange",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def printed_code(output: str) -> str:
    found = re.search(r"([a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5})", output)
    assert found, output
    return found.group(1)


def test_setup_creates_the_first_administrator_who_sets_a_password_and_enrols_with_the_code(
    client: Client,
) -> None:
    output = run_setup()
    admin = User.objects.get(username="first-admin")
    assert admin.is_superuser and not admin.has_usable_password()
    assert Organisation.current() is not None
    assert Organisation.current().name_en == "Sakura Exchange"  # type: ignore[union-attr]
    code = printed_code(output)
    assert code not in str(Invitation.objects.values_list("digest", flat=True))
    done = first_sign_in(client, "first-admin", code)
    assert done.status_code == 302 and done["Location"] == "/accounts/security/recovery-codes/"
    page = client.get("/accounts/staff/")
    assert page.status_code == 200
    assert "さくら取引所" in page.content.decode()


def test_setup_refuses_to_run_once_anyone_has_an_account() -> None:
    run_setup()
    with pytest.raises(CommandError, match="セットアップ済み"):
        run_setup()
    assert User.objects.count() == 1


def test_setup_refuses_an_install_where_people_already_exist(alice: User) -> None:
    with pytest.raises(CommandError, match="セットアップ済み"):
        run_setup()
    assert not User.objects.filter(username="first-admin").exists()


def test_an_invited_person_sets_a_password_enrols_and_then_signs_in_normally(
    admin_client: Client, admin_user: User
) -> None:
    Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    answer = admin_client.post(
        "/accounts/staff/",
        {
            "username": "hanako",
            "display_name": "鈴木 花子",
            "email": "hanako@example.jp",
            "department": "systems",
            "manager": admin_user.username,
            "language": "ja",
        },
    )
    assert answer.status_code == 200
    code = printed_code(answer.content.decode())
    hanako = User.objects.get(username="hanako")
    assert hanako.department.code == "systems" and hanako.manager == admin_user  # type: ignore[union-attr]
    assert not hanako.has_usable_password()
    assert (
        Client().post("/accounts/login/", {"username": "hanako", "password": "guess"}).status_code
        == 400
    )

    newcomer = Client()
    done = first_sign_in(newcomer, "hanako", code)
    assert done.status_code == 302
    assert newcomer.get("/").status_code == 200

    again = Client()
    step = again.post("/accounts/login/", {"username": "hanako", "password": NEW_PASSWORD})
    assert step["Location"] == "/accounts/login/code/"
    # the enrolment used the current step: wait for the next one as a person would
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        code_now = totp_for(User.objects.get(username="hanako")).at(later)
        assert again.post("/accounts/login/code/", {"code": code_now}).status_code == 302
    # the code works once
    assert (
        Client().post("/accounts/welcome/", {"username": "hanako", "code": code}).status_code == 400
    )


def test_a_weak_password_is_refused_in_words_and_the_code_stays_usable(client: Client) -> None:
    invited = directory.invite(directory.PersonInput("taro", "", "taro@example.jp"), None)
    answer = first_sign_in(client, "taro", invited.code, password="12345678")
    assert answer.status_code == 400
    assert "短すぎ" in answer.content.decode() or "too short" in answer.content.decode()
    assert first_sign_in(Client(), "taro", invited.code).status_code == 302


def test_a_wrong_invitation_code_is_refused_without_saying_whether_the_name_exists() -> None:
    directory.invite(directory.PersonInput("taro", "", "taro@example.jp"), None)
    known = first_sign_in(Client(), "taro", "aaaaa-bbbbb-ccccc-ddddd")
    unknown = first_sign_in(Client(), "nobody-here", "aaaaa-bbbbb-ccccc-ddddd")
    assert known.status_code == unknown.status_code == 400
    assert "招待コード" in known.content.decode()
    assert not User.objects.get(username="taro").has_usable_password()


def test_a_deactivated_person_cannot_sign_in_and_their_session_and_token_stop(
    admin_client: Client,
) -> None:
    officer = give(make_user("officer"), "ciso")
    their_session = Client()
    sign_in(their_session, officer)
    assert their_session.get("/").status_code == 200
    issued = tokens.issue("their service", ["accounts:read"], 30, officer)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert Client().get("/api/accounts/users", **bearer).status_code == 200

    answer = admin_client.post(f"/accounts/staff/{officer.pk}/deactivate/")
    assert answer.status_code == 302
    officer.refresh_from_db()
    assert not officer.is_active and User.objects.filter(pk=officer.pk).exists()
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert Client().get("/api/accounts/users", **bearer).status_code == 401
    assert their_session.get("/").status_code == 302
    refused = Client().post("/accounts/login/", {"username": "officer", "password": PASSWORD})
    assert refused.status_code == 400


def test_nobody_deactivates_themselves(admin_client: Client, admin_user: User) -> None:
    answer = admin_client.post(f"/accounts/staff/{admin_user.pk}/deactivate/", follow=True)
    assert "自分自身" in answer.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_person_without_manage_people_is_refused_the_set_up_pages_and_api(
    people: dict[str, User],
) -> None:
    ciso = people["ciso"]
    client = Client()
    sign_in(client, ciso)
    for url in ("/accounts/staff/", "/accounts/departments/", "/accounts/staff/import/"):
        assert client.get(url).status_code == 403, url
    answer = client.post(
        "/api/accounts/departments",
        {"code": "ops", "name_ja": "運用部", "name_en": "Operations"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert not Department.objects.filter(code="ops").exists()


def test_the_api_creates_departments_invites_people_and_asks_for_role_grants(
    admin_user: User,
) -> None:
    issued = tokens.issue("setup", ["accounts:write", "accounts:assign"], 1, admin_user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    made = api.post(
        "/api/accounts/departments",
        {"code": "systems", "name_ja": "システム部", "name_en": "Systems"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    loop = api.put(
        "/api/accounts/departments/systems",
        {"name_ja": "システム部", "name_en": "Systems", "parent": "systems"},
        content_type="application/json",
    )
    assert loop.status_code == 422
    assert "自身" in loop.json()["message"] or "itself" in loop.json()["message"]
    invited = api.post(
        "/api/accounts/people",
        {"username": "jiro", "email": "jiro@example.jp", "department": "systems"},
        content_type="application/json",
    )
    assert invited.status_code == 201
    assert len(invited.json()["invitation_code"]) == 23
    at_once = api.post(
        "/api/accounts/assignments",
        {"user": "jiro", "role": "developer", "department": "systems"},
        content_type="application/json",
    )
    assert at_once.status_code == 201 and at_once.json()["status"] == "granted"
    assert RoleAssignment.objects.filter(user__username="jiro", role__code="developer").exists()
    guarded = api.post(
        "/api/accounts/assignments",
        {"user": "jiro", "role": "ciso"},
        content_type="application/json",
    )
    assert guarded.status_code == 202, guarded.content
    assert ApprovalRequest.objects.filter(pk=guarded.json()["approval_request"]).exists()
    assert not RoleAssignment.objects.filter(user__username="jiro", role__code="ciso").exists()


def test_a_service_token_cannot_set_up_people_for_nobody_acts_through_it() -> None:
    issued = tokens.issue("svc", ["accounts:write"], 1, None)
    answer = Client().post(
        "/api/accounts/people",
        {"username": "ghost", "email": "ghost@example.jp"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.secret}",
    )
    assert answer.status_code == 403
    assert not User.objects.filter(username="ghost").exists()


def workbook(departments: list[list[str]], staff: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "departments"
    sheet.append(["code", "name_ja", "name_en", "parent"])
    for row in departments:
        sheet.append(row)
    more = book.create_sheet("people")
    more.append(["username", "display_name", "email", "department", "manager"])
    for row in staff:
        more.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_import_with_bad_rows_is_refused_whole_naming_each_line(
    admin_client: Client, tmp_path
) -> None:
    content = workbook(
        [
            ["systems", "システム部", "Systems", ""],
            ["Bad Code", "不正", "Bad", ""],
            ["ops", "運用部", "", "nowhere"],
        ],
        [
            ["yuki", "佐藤 由紀", "yuki@example.jp", "systems", ""],
            ["ken", "", "not-an-address", "systems", "nobody"],
            ["yuki", "", "yuki2@example.jp", "", ""],
        ],
    )
    upload = io.BytesIO(content)
    upload.name = "people.xlsx"
    answer = admin_client.post("/accounts/staff/import/", {"file": upload})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "何も取り込んでいません" in page
    path = tmp_path / "people.xlsx"
    path.write_bytes(content)
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("accounts", "import", str(path), "--as", "root-admin", stderr=errors)
    lines = errors.getvalue()
    for where in (
        "departments line 3",
        "departments line 4",
        "people line 3",
        "people line 4",
    ):
        assert where in lines, lines
    assert "departments line 2" not in lines and "people line 2:" not in lines
    assert not Department.objects.filter(code="systems").exists()
    assert not User.objects.filter(username="yuki").exists()


def test_a_good_import_creates_departments_and_invites_people_with_codes_shown_once(
    admin_user: User, tmp_path
) -> None:
    content = workbook(
        [["custody", "カストディ部", "Custody", "management"], ["management", "経営", "Mgmt", ""]],
        [
            ["aki", "", "aki@example.jp", "custody", "boss"],
            ["boss", "上司", "boss@example.jp", "management", ""],
        ],
    )
    path = tmp_path / "people.xlsx"
    path.write_bytes(content)
    out = io.StringIO()
    call_command("accounts", "import", str(path), "--as", admin_user.username, stdout=out)
    assert Department.objects.get(code="custody").parent.code == "management"  # type: ignore[union-attr]
    assert User.objects.get(username="aki").manager.username == "boss"  # type: ignore[union-attr]
    codes = re.findall(r"^\s+(aki|boss)\t(\S+)$", out.getvalue(), re.MULTILINE)
    assert sorted(name for name, _ in codes) == ["aki", "boss"]
    code = dict(codes)["aki"]
    assert first_sign_in(Client(), "aki", code).status_code == 302


def test_a_csv_of_people_naming_an_unknown_department_is_refused_with_its_line(
    admin_user: User, tmp_path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "username,display_name,email,department,manager\n"
        "mika,,mika@example.jp,,\n"
        "=cmd,,x@example.jp,nowhere,\n",
        encoding="utf-8",
    )
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("accounts", "import", str(path), "--as", admin_user.username, stderr=errors)
    assert "people line 3" in errors.getvalue()
    assert "nowhere" in errors.getvalue()
    assert not User.objects.filter(username="mika").exists()


def test_the_exported_people_workbook_writes_formula_like_names_as_text(
    admin_client: Client,
) -> None:
    from openpyxl import load_workbook

    Department.objects.create(code="ops", name_ja="=HYPERLINK(1)", name_en="Ops")
    answer = admin_client.get("/accounts/staff/export/")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book["departments"]["B2"].value == "'=HYPERLINK(1)"


def test_the_organisation_is_named_at_the_head_of_every_page_in_both_languages(
    admin_client: Client,
) -> None:
    assert (
        admin_client.post(
            "/accounts/organisation/", {"name_ja": "さくら取引所", "name_en": "Sakura Exchange"}
        ).status_code
        == 302
    )
    assert "さくら取引所" in Client().get("/accounts/login/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.cookies["django_language"] = "en"
    assert "Sakura Exchange" in english.get("/accounts/login/").content.decode()


def test_a_department_cannot_be_placed_under_its_own_child(admin_client: Client) -> None:
    top = Department.objects.create(code="top", name_ja="上", name_en="Top")
    Department.objects.create(code="child", name_ja="下", name_en="Child", parent=top)
    answer = admin_client.post(
        f"/accounts/departments/{top.pk}/", {"name_ja": "上", "name_en": "Top", "parent": "child"}
    )
    assert answer.status_code == 400
    top.refresh_from_db()
    assert top.parent is None


def test_the_command_line_creates_a_department_invites_and_deactivates_as_an_administrator(
    admin_user: User,
) -> None:
    out = io.StringIO()
    call_command(
        "accounts",
        "department",
        "ops",
        "--name-ja",
        "運用部",
        "--name-en",
        "Operations",
        "--as",
        admin_user.username,
        stdout=out,
    )
    call_command(
        "accounts",
        "invite",
        "mei",
        "--email",
        "mei@example.jp",
        "--department",
        "ops",
        "--as",
        admin_user.username,
        stdout=out,
    )
    code = printed_code(out.getvalue())
    assert first_sign_in(Client(), "mei", code).status_code == 302
    call_command("accounts", "deactivate", "mei", "--as", admin_user.username, stdout=out)
    assert not User.objects.get(username="mei").is_active
    with pytest.raises(CommandError, match="may manage people"):
        call_command("accounts", "deactivate", admin_user.username, "--as", "mei")


def test_the_people_page_links_role_assignments_and_for_an_administrator_the_set_up(
    admin_client: Client, people: dict[str, User]
) -> None:
    page = admin_client.get("/accounts/people/").content.decode().split("<main>")[1]
    assert "/accounts/roles/" in page and "/accounts/staff/" in page
    officer = Client()
    sign_in(officer, people["ciso"])
    seen = officer.get("/accounts/people/").content.decode().split("<main>")[1]
    assert "/accounts/roles/" in seen and "/accounts/staff/" not in seen


def test_the_installation_appoints_its_first_officers_then_grants_need_two_of_them(
    admin_user,
) -> None:
    """On an empty install nobody holds a role that approves grants: the administrator
    appoints the first officers on the command line, and only until there are enough."""
    sato, kato = make_user("sato"), make_user("kato")
    make_user("suzuki")

    def grant(*args: str) -> str:
        out = io.StringIO()
        call_command("accounts", "grant", *args, "--as", admin_user.username, stdout=out)
        return out.getvalue()

    with pytest.raises(CommandError, match="責任者ロールではありません"):
        grant("sato", "custody_operator", "--first-officer")
    with pytest.raises(CommandError, match="自分自身にロールを付与"):
        grant(admin_user.username, "ciso", "--first-officer")
    other_admin = make_user("admin-two", superuser=True)
    with pytest.raises(CommandError, match="責任者には任命されません"):
        grant(other_admin.username, "ciso", "--first-officer")
    assert "1 more needed" in grant("sato", "ciso", "--first-officer")
    assert "0 more needed" in grant("suzuki", "system_general_manager", "--first-officer")
    assert RoleAssignment.objects.get(user=sato, role__code="ciso").granted_by == admin_user
    with pytest.raises(CommandError, match="既に責任者を任命済み"):
        grant("kato", "ciso", "--first-officer")
    # from now on the same command asks for the two-person approval
    assert "needs approval: request #" in grant("kato", "ciso")
    # the officers leaving does not reopen the bootstrap (an administrator alone could
    # otherwise deactivate them and appoint people of their own)
    for officer in ("sato", "suzuki"):
        call_command("accounts", "deactivate", officer, "--as", admin_user.username)
    with pytest.raises(CommandError, match="既に責任者を任命済み"):
        grant("kato", "ciso", "--first-officer")
    assert not RoleAssignment.objects.filter(user=kato).exists()
    request = ApprovalRequest.objects.get(kind="accounts.role_grant")
    assert request.snapshot["user"] == "kato"


def test_only_an_administrator_may_grant_from_the_command_line(people) -> None:
    with pytest.raises(CommandError, match="not a person who may manage people"):
        call_command(
            "accounts", "grant", "sato", "ciso", "--first-officer", "--as", people["ciso"].username
        )


def test_createsuperuser_is_refused_and_points_to_setup(tmp_path) -> None:
    from tests.core.test_config import run_mamori

    result = run_mamori("createsuperuser", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "mamori setup" in result.stderr
