"""Set-up pages: the organisation, departments, people, invitations, deactivation, import
(SRM 5–7, ISM 7–9, ISM 23-1-1). Every change is audited by the model signals."""

from __future__ import annotations

import hashlib
import time

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts.forms_setup import (
    DepartmentForm,
    ImportForm,
    InvitationCodeForm,
    OrganisationForm,
    PersonForm,
)
from mamori.accounts.models import Department, Invitation, Organisation, User
from mamori.accounts.services import people, roster, signin
from mamori.accounts.services.people import DepartmentInput, PeopleRefused, PersonInput
from mamori.accounts.views.access import permission_required, public

__all__ = [
    "department_view",
    "departments_view",
    "export_view",
    "import_view",
    "organisation_view",
    "person_deactivate_view",
    "person_reinvite_view",
    "person_view",
    "staff_view",
    "welcome_view",
]

MANAGE = "accounts.manage_people"


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def organisation_view(request: HttpRequest) -> HttpResponse:
    """Name the organisation (shown at the head of every page)."""
    current = Organisation.current()
    initial = {"name_ja": current.name_ja, "name_en": current.name_en} if current else {}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            people.set_organisation(form.cleaned_data["name_ja"], form.cleaned_data["name_en"])
        except PeopleRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("The organisation's name was saved."))
            return redirect("accounts:organisation")
    return render(
        request,
        "accounts/setup_organisation.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _department_input(form: DepartmentForm, code: str) -> DepartmentInput:
    parent = form.cleaned_data["parent"]
    return DepartmentInput(
        code=code,
        name_ja=form.cleaned_data["name_ja"],
        name_en=form.cleaned_data["name_en"],
        parent=parent.code if parent else "",
    )


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def departments_view(request: HttpRequest) -> HttpResponse:
    """List the departments and create one."""
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.save_department(_department_input(form, form.cleaned_data["code"]))
        except PeopleRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Department created."))
            return redirect("accounts:departments")
    return render(
        request,
        "accounts/setup_departments.html",
        {
            "form": form,
            "departments": Department.objects.select_related("parent").order_by("code"),
        },
        status=400 if form.errors else 200,
    )


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def department_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a department's names or parent (its code stays)."""
    department = get_object_or_404(Department, pk=pk)
    initial = {
        "code": department.code,
        "name_ja": department.name_ja,
        "name_en": department.name_en,
        "parent": department.parent.code if department.parent else None,
    }
    form = DepartmentForm(request.POST or None, initial=initial, editing=department)
    if request.method == "POST" and form.is_valid():
        try:
            people.save_department(_department_input(form, department.code), department)
        except PeopleRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Department saved."))
            return redirect("accounts:departments")
    return render(
        request,
        "accounts/setup_department.html",
        {"form": form, "department": department},
        status=400 if form.errors else 200,
    )


def _person_input(form: PersonForm, username: str) -> PersonInput:
    department = form.cleaned_data["department"]
    manager = form.cleaned_data["manager"]
    return PersonInput(
        username=username,
        display_name=form.cleaned_data["display_name"],
        email=form.cleaned_data["email"],
        department=department.code if department else "",
        manager=manager.username if manager else "",
        language=form.cleaned_data["language"],
    )


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def staff_view(request: HttpRequest) -> HttpResponse:
    """List everyone (deactivated too) and invite a person; the code is shown once."""
    form = PersonForm(request.POST or None)
    invited = None
    if request.method == "POST" and form.is_valid():
        try:
            invited = people.invite(
                _person_input(form, form.cleaned_data["username"]), _actor(request)
            )
        except PeopleRefused as refused:
            form.add_error(None, refused.message)
        else:
            form = PersonForm()
    return render(
        request,
        "accounts/setup_people.html",
        {
            "form": form,
            "invited": [invited] if invited else [],
            "staff": User.objects.select_related("department", "manager").order_by(
                "-is_active", "username"
            ),
        },
        status=400 if form.errors else 200,
    )


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def person_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a person's details; deactivate them or issue a new invitation code."""
    person = get_object_or_404(User.objects.select_related("department", "manager"), pk=pk)
    initial = {
        "username": person.username,
        "display_name": person.display_name,
        "email": person.email,
        "department": person.department.code if person.department else None,
        "manager": person.manager.username if person.manager else None,
        "language": person.language,
    }
    form = PersonForm(request.POST or None, initial=initial, editing=person)
    if request.method == "POST" and form.is_valid():
        try:
            people.update_person(person, _person_input(form, person.username))
        except PeopleRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:person", pk=person.pk)
    pending = Invitation.objects.filter(
        user=person, used_at__isnull=True, revoked_at__isnull=True
    ).first()
    return render(
        request,
        "accounts/setup_person.html",
        {
            "form": form,
            "person": person,
            "pending": pending if pending and pending.is_usable else None,
            "enrolled": person.has_usable_password() and person.has_confirmed_totp,
            "is_self": person.pk == request.user.pk,
        },
        status=400 if form.errors else 200,
    )


@permission_required(MANAGE)
@require_POST
def person_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a person: sessions end, tokens and invitations are revoked."""
    person = get_object_or_404(User, pk=pk)
    try:
        counts = people.deactivate(person, _actor(request))
    except PeopleRefused as refused:
        messages.error(request, refused.message)
        return redirect("accounts:person", pk=person.pk)
    messages.success(
        request,
        _("%(name)s was deactivated: %(sessions)d session(s) ended, %(tokens)d token(s) revoked.")
        % {"name": person.username, **counts},
    )
    return redirect("accounts:staff")


@permission_required(MANAGE)
@require_POST
def person_reinvite_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a new invitation code (the old one stops working); shown once."""
    person = get_object_or_404(User, pk=pk)
    try:
        invited = people.reinvite(person, _actor(request))
    except PeopleRefused as refused:
        messages.error(request, refused.message)
        return redirect("accounts:person", pk=person.pk)
    return render(request, "accounts/setup_invited.html", {"invited": [invited]})


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Import departments and people from Excel or CSV, all or nothing."""
    form = ImportForm(request.POST or None, request.FILES or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            done = roster.import_file(upload.read(), upload.name, _actor(request))
        except roster.ImportRefused as error:
            refused = error
        else:
            messages.success(
                request,
                _(
                    "Imported: %(created)d department(s) created, %(updated)d updated, "
                    "%(people)d person(s) updated, %(invited)d invited."
                )
                % {
                    "created": done.departments_created,
                    "updated": done.departments_updated,
                    "people": done.people_updated,
                    "invited": len(done.invited),
                },
            )
            return render(request, "accounts/setup_invited.html", {"invited": done.invited})
    return render(
        request,
        "accounts/setup_import.html",
        {"form": form, "refused": refused},
        status=400 if refused or form.errors else 200,
    )


@permission_required(MANAGE)
def export_view(request: HttpRequest) -> HttpResponse:
    """Download the departments and people as a workbook to edit and import again."""
    from mamori.auditlog.services import record_export

    body = roster.export()
    record_export("accounts.roster", hashlib.sha256(body).hexdigest(), {"format": "xlsx"})
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="mamori-people.xlsx"'
    return response


@public
@never_cache
@require_http_methods(["GET", "POST"])
def welcome_view(request: HttpRequest) -> HttpResponse:
    """First sign-in of an invited person: the code, a new password, then the authenticator."""
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = InvitationCodeForm(request.POST or None, initial={"username": request.GET.get("user")})
    password_form: SetPasswordForm = SetPasswordForm(User(), None)  # type: ignore[type-arg]
    error = ""
    if request.method == "POST" and form.is_valid():
        invitation, error = signin.invitation_step(
            request, form.cleaned_data["username"], form.cleaned_data["code"]
        )
        if isinstance(invitation, Invitation):
            password_form = SetPasswordForm(invitation.user, request.POST)
            if password_form.is_valid():
                try:
                    user = people.accept_invitation(
                        invitation, password_form.cleaned_data["new_password1"]
                    )
                except PeopleRefused as refused:
                    error = refused.message
                else:
                    request.session.cycle_key()
                    request.session["pending_user_id"] = user.pk
                    request.session["pending_at"] = time.time()
                    request.session["pending_next"] = ""
                    return redirect("accounts:enrol")
    failed = request.method == "POST"
    return render(
        request,
        "accounts/welcome.html",
        {"form": form, "password_form": password_form, "error": error},
        status=400 if failed else 200,
    )
