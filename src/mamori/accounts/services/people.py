"""Set-up of the organisation, its departments and its people (SRM 5–7, ISM 7–9, ISM 23-1-1).

A person is *invited*: the account is made without a usable password and a one-time code is
returned once (only its keyed digest is kept). With the code the person sets a password
(Django's validators) and enrols an authenticator at first sign-in. People are *deactivated*,
never deleted: their sessions end, their API tokens and open invitations are revoked.
Every change is a model save, so the audit log records it; the named events are recorded too.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApiToken, Department, Invitation, Organisation, User
from mamori.core import crypto
from mamori.core.errors import Refused

__all__ = [
    "INVITATION_DAYS",
    "DepartmentInput",
    "Invited",
    "PeopleRefused",
    "PersonInput",
    "accept_invitation",
    "deactivate",
    "department_problems",
    "find_invitation",
    "first_administrator",
    "invite",
    "person_problems",
    "reinvite",
    "save_department",
    "set_organisation",
    "update_person",
]

#: How long an invitation code may be used.
INVITATION_DAYS = 7
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


class PeopleRefused(Refused):
    """A set-up change is refused; ``code`` is stable for machines, the message says why."""


@dataclass(frozen=True)
class Invited:
    """A person invited: ``code`` is shown once and never again."""

    user: User
    code: str


@dataclass(frozen=True)
class DepartmentInput:
    """A department as typed or imported; ``parent`` is a department code or empty."""

    code: str
    name_ja: str
    name_en: str
    parent: str = ""


@dataclass(frozen=True)
class PersonInput:
    """A person as typed or imported; ``department`` and ``manager`` are codes or empty."""

    username: str
    display_name: str
    email: str
    department: str = ""
    manager: str = ""
    language: str = ""


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def _digest(code: str) -> str:
    return crypto.keyed_digest(code.strip().lower().replace("-", "").replace(" ", ""), "invitation")


def _issue(user: User, by: User | None) -> Invited:
    code = _new_code()
    Invitation.objects.create(
        user=user,
        digest=_digest(code),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    return Invited(user=user, code=code)


def _record(action: str, user: User, details: dict[str, Any] | None = None) -> None:
    from mamori.auditlog.services import record

    record(action, "accounts.user", str(user.pk), details or {"username": user.username})


def set_organisation(name_ja: str, name_en: str) -> Organisation:
    """Name the organisation (create it the first time)."""
    name_ja, name_en = name_ja.strip(), name_en.strip()
    if not name_ja or not name_en or "\x00" in name_ja + name_en:
        raise PeopleRefused("invalid", _("The organisation needs a name in Japanese and English."))
    organisation = Organisation.current() or Organisation()
    organisation.name_ja = name_ja[:200]
    organisation.name_en = name_en[:200]
    organisation.save()
    return organisation


def person_problems(
    draft: PersonInput,
    departments: set[str],
    managers: set[str],
    existing: User | None = None,
) -> list[str]:
    """Return what is wrong with ``draft``: ``departments`` and ``managers`` are the codes and
    user names it may name; ``existing`` is the person being changed (None: a new one)."""
    problems = []
    if any("\x00" in value for value in draft.__dict__.values()):
        return [_("A value holds a NUL character.")]
    if existing is None:
        if not draft.username or len(draft.username) > 150:
            problems.append(_("A user name of 1 to 150 characters is needed."))
        else:
            try:
                UnicodeUsernameValidator()(draft.username)
            except ValidationError:
                problems.append(
                    _("The user name %(name)s may hold only letters, digits and @ . + - _.")
                    % {"name": draft.username}
                )
            if User.objects.filter(username__iexact=draft.username).exists():
                problems.append(
                    _("The user name %(name)s is already taken.") % {"name": draft.username}
                )
    if len(draft.display_name) > 150:
        problems.append(_("The display name is longer than 150 characters."))
    if not draft.email:
        problems.append(_("An e-mail address is needed."))
    else:
        try:
            validate_email(draft.email)
        except ValidationError:
            problems.append(_("%(email)s is not an e-mail address.") % {"email": draft.email})
    if draft.department and draft.department not in departments:
        problems.append(_("There is no department %(code)s.") % {"code": draft.department})
    if draft.manager:
        if draft.manager == (existing.username if existing else draft.username):
            problems.append(_("Nobody is their own manager."))
        elif draft.manager not in managers:
            problems.append(_("There is no active person %(name)s.") % {"name": draft.manager})
    if draft.language not in ("", "ja", "en"):
        problems.append(_("The language is ja, en or empty."))
    return problems


def department_problems(
    draft: DepartmentInput, parents: dict[str, str], existing: Department | None = None
) -> list[str]:
    """Return what is wrong with ``draft``; ``parents`` maps every department code known
    (including ``draft``'s own, as it would be) to its parent code ("" for none)."""
    problems = []
    if any("\x00" in value for value in draft.__dict__.values()):
        return [_("A value holds a NUL character.")]
    if existing is None and not _SLUG.match(draft.code):
        problems.append(
            _(
                "The code %(code)s is not valid: lower-case letters, digits, - and _, "
                "at most 50, starting with a letter or digit."
            )
            % {"code": draft.code}
        )
    elif existing is None and Department.objects.filter(code=draft.code).exists():
        problems.append(_("The department %(code)s already exists.") % {"code": draft.code})
    if not draft.name_ja or not draft.name_en:
        problems.append(_("A department needs a name in Japanese and English."))
    if len(draft.name_ja) > 200 or len(draft.name_en) > 200:
        problems.append(_("A name is longer than 200 characters."))
    if draft.parent:
        if draft.parent not in parents:
            problems.append(_("There is no department %(code)s.") % {"code": draft.parent})
        else:
            seen = {draft.code}
            at = draft.parent
            while at:
                if at in seen:
                    problems.append(
                        _("A department cannot be placed under itself (through %(code)s).")
                        % {"code": draft.parent}
                    )
                    break
                seen.add(at)
                at = parents.get(at, "")
    return problems


def _parents() -> dict[str, str]:
    return {
        code: parent or ""
        for code, parent in Department.objects.values_list("code", "parent__code")
    }


def save_department(draft: DepartmentInput, existing: Department | None = None) -> Department:
    """Create a department, or change ``existing`` (its code stays)."""
    draft = DepartmentInput(
        code=existing.code if existing else draft.code.strip(),
        name_ja=draft.name_ja.strip(),
        name_en=draft.name_en.strip(),
        parent=draft.parent.strip(),
    )
    parents = {**_parents(), draft.code: draft.parent}
    problems = department_problems(draft, parents, existing)
    if problems:
        raise PeopleRefused("invalid", " ".join(problems))
    department = existing or Department(code=draft.code)
    department.name_ja = draft.name_ja
    department.name_en = draft.name_en
    department.parent = Department.objects.get(code=draft.parent) if draft.parent else None
    department.save()
    return department


def _clean(draft: PersonInput) -> PersonInput:
    return PersonInput(
        username=draft.username.strip(),
        display_name=draft.display_name.strip(),
        email=draft.email.strip(),
        department=draft.department.strip(),
        manager=draft.manager.strip(),
        language=draft.language.strip(),
    )


def _known() -> tuple[set[str], set[str]]:
    departments = set(Department.objects.values_list("code", flat=True))
    managers = set(User.objects.filter(is_active=True).values_list("username", flat=True))
    return departments, managers


def invite(draft: PersonInput, by: User | None) -> Invited:
    """Create the account of a new person without a usable password; return the one-time
    code with which they set one and enrol their authenticator."""
    draft = _clean(draft)
    problems = person_problems(draft, *_known())
    if problems:
        raise PeopleRefused("invalid", " ".join(problems))
    with transaction.atomic():
        user = User(
            username=draft.username,
            display_name=draft.display_name,
            email=draft.email,
            language=draft.language,
            department=Department.objects.filter(code=draft.department).first(),
            manager=User.objects.filter(username=draft.manager).first(),
        )
        user.set_unusable_password()
        user.save()
        invited = _issue(user, by)
        _record("account.invite", user)
    return invited


def update_person(user: User, draft: PersonInput) -> User:
    """Change a person's display name, e-mail, department, manager and language."""
    draft = _clean(PersonInput(**{**draft.__dict__, "username": user.username}))
    departments, managers = _known()
    problems = person_problems(draft, departments, managers, existing=user)
    if problems:
        raise PeopleRefused("invalid", " ".join(problems))
    user.display_name = draft.display_name
    user.email = draft.email
    user.language = draft.language
    user.department = Department.objects.filter(code=draft.department).first()
    user.manager = User.objects.filter(username=draft.manager).first()
    user.save()
    return user


def reinvite(user: User, by: User | None) -> Invited:
    """Issue a new code to a person who has not finished enrolling (the old code stops)."""
    if not user.is_active:
        raise PeopleRefused("inactive", _("%(name)s is deactivated.") % {"name": user.username})
    if user.has_usable_password() and user.has_confirmed_totp:
        raise PeopleRefused(
            "enrolled",
            _("%(name)s has already set a password and enrolled an authenticator.")
            % {"name": user.username},
        )
    with transaction.atomic():
        Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        invited = _issue(user, by)
        _record("account.reinvite", user)
    return invited


def find_invitation(username: str, code: str) -> Invitation | None:
    """Return the usable invitation of the active person ``username`` whose code is ``code``."""
    found = (
        Invitation.objects.select_related("user")
        .filter(
            user__username=username.strip(),
            user__is_active=True,
            digest=_digest(code),
            used_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )
    if found is None or not found.is_usable:
        return None
    return found


def accept_invitation(invitation: Invitation, password: str) -> User:
    """Use the invitation once: set the person's (already validated) password."""
    with transaction.atomic():
        used = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=timezone.now())
        if not used:
            raise PeopleRefused("used", _("This invitation code was already used."))
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        _record("account.invitation_accepted", user)
    return user


def first_administrator(
    username: str, email: str, organisation_ja: str, organisation_en: str
) -> Invited:
    """Create the first administrator and name the organisation, on an empty installation
    only; the returned code lets the administrator set a password and enrol."""
    if User.objects.exists():
        raise PeopleRefused(
            "already_set_up",
            _(
                "This installation is already set up (it has people): an administrator "
                "invites further people on the People page or with `mamori accounts invite`."
            ),
        )
    with transaction.atomic():
        set_organisation(organisation_ja, organisation_en)
        invited = invite(PersonInput(username=username, display_name="", email=email), None)
        user = invited.user
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
        _record("account.first_administrator", user)
    return invited


def _end_sessions(user: User) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def deactivate(user: User, by: User | None) -> dict[str, int]:
    """Deactivate ``user`` (never delete): sessions end, tokens and invitations are revoked."""
    if by is not None and by.pk == user.pk:
        raise PeopleRefused(
            "self", _("Nobody deactivates themselves: ask another administrator."), status=409
        )
    if not user.is_active:
        raise PeopleRefused("inactive", _("%(name)s is deactivated.") % {"name": user.username})
    now = timezone.now()
    with transaction.atomic():
        user.is_active = False
        user.set_unusable_password()  # a session still open no longer matches its hash
        user.save(update_fields=["is_active", "password"])
        tokens = ApiToken.objects.filter(created_by=user, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        sessions = _end_sessions(user)
        counts = {"tokens": tokens, "sessions": sessions}
        _record("account.deactivate", user, {"username": user.username, **counts})
    return counts
