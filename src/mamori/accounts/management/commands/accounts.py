"""``mamori accounts import|export|department|invite|deactivate|grant``: departments and people from
the shell (SRM 5–7, ISM 7–9, ISM 23-1-1).

``import`` is all or nothing and exits 1 naming every bad line; invitation codes are printed
once. Changes are recorded in the audit log as made by ``--as USER`` (an administrator).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Set up departments and people."""

    help = "Import, export and set up departments and people; invite or deactivate a person."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import departments and people (.xlsx or .csv)")
        imp.add_argument("path", type=Path)
        imp.add_argument("--as", dest="username", required=True, help="who imports")
        export = sub.add_parser("export", help="write departments and people as .xlsx")
        export.add_argument("--output", type=Path, required=True)
        department = sub.add_parser("department", help="create or change a department")
        department.add_argument("code")
        department.add_argument("--name-ja", required=True)
        department.add_argument("--name-en", required=True)
        department.add_argument("--parent", default="")
        department.add_argument("--as", dest="username", required=True)
        invite = sub.add_parser("invite", help="invite a person (prints a one-time code)")
        invite.add_argument("new_username")
        invite.add_argument("--email", required=True)
        invite.add_argument("--display-name", default="")
        invite.add_argument("--department", default="")
        invite.add_argument("--manager", default="")
        invite.add_argument("--as", dest="username", required=True)
        deactivate = sub.add_parser("deactivate", help="deactivate a person (never deleted)")
        deactivate.add_argument("person")
        deactivate.add_argument("--as", dest="username", required=True)
        grant = sub.add_parser(
            "grant",
            help="grant a role (through its approval if it needs one); --first-officer "
            "appoints an officer at once while the installation has too few to approve",
        )
        grant.add_argument("person")
        grant.add_argument("role")
        grant.add_argument("--department", default="")
        grant.add_argument("--first-officer", action="store_true")
        grant.add_argument("--as", dest="username", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the chosen sub-command."""
        from mamori.accounts.services.people import PeopleRefused
        from mamori.auditlog.context import acting

        try:
            with acting("system:cli"):
                getattr(self, "_" + options["action"])(options)
        except PeopleRefused as refused:
            raise CommandError(refused.message) from None

    def _actor(self, options: dict[str, Any]) -> Any:
        from mamori.accounts.models import User
        from mamori.accounts.services.roles import has_permission
        from mamori.auditlog.context import set_actor

        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None or not has_permission(user, "accounts.manage_people"):
            raise CommandError(f"{options['username']} is not a person who may manage people")
        set_actor(f"user:{user.username}")
        return user

    def _print_codes(self, invited: list[Any]) -> None:
        from mamori.accounts.services.people import INVITATION_DAYS

        if invited:
            self.stdout.write(
                f"one-time invitation codes (shown once, valid {INVITATION_DAYS} days; "
                "used at /accounts/welcome/):"
            )
        for item in invited:
            self.stdout.write(f"  {item.user.username}\t{item.code}")

    def _import(self, options: dict[str, Any]) -> None:
        from mamori.accounts.services import roster

        by = self._actor(options)
        path: Path = options["path"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        try:
            done = roster.import_file(content, path.name, by)
        except roster.ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(f"{problem.sheet} line {problem.row}: {problem.reason}")
            raise CommandError(refused.message) from None
        self.stdout.write(
            f"departments: {done.departments_created} created, {done.departments_updated} "
            f"updated; people: {done.people_updated} updated, {len(done.invited)} invited"
        )
        self._print_codes(done.invited)

    def _export(self, options: dict[str, Any]) -> None:
        import hashlib

        from mamori.accounts.services import roster
        from mamori.auditlog.services import record_export

        body = roster.export()
        options["output"].write_bytes(body)
        record_export(
            "accounts.roster", hashlib.sha256(body).hexdigest(), {"format": "xlsx", "via": "cli"}
        )
        self.stdout.write(f"wrote {options['output']} ({len(body)} bytes)")

    def _department(self, options: dict[str, Any]) -> None:
        from mamori.accounts.models import Department
        from mamori.accounts.services import people

        self._actor(options)
        existing = Department.objects.filter(code=options["code"]).first()
        saved = people.save_department(
            people.DepartmentInput(
                options["code"], options["name_ja"], options["name_en"], options["parent"]
            ),
            existing,
        )
        self.stdout.write(f"department {saved.code} {'changed' if existing else 'created'}")

    def _invite(self, options: dict[str, Any]) -> None:
        from mamori.accounts.services import people

        by = self._actor(options)
        invited = people.invite(
            people.PersonInput(
                options["new_username"],
                options["display_name"],
                options["email"],
                options["department"],
                options["manager"],
            ),
            by,
        )
        self.stdout.write(f"{invited.user.username} invited")
        self._print_codes([invited])

    def _deactivate(self, options: dict[str, Any]) -> None:
        from mamori.accounts.models import User
        from mamori.accounts.services import people

        by = self._actor(options)
        person = User.objects.filter(username=options["person"]).first()
        if person is None:
            raise CommandError(f"there is no person {options['person']}")
        counts = people.deactivate(person, by)
        self.stdout.write(
            f"{person.username} deactivated: {counts['sessions']} session(s) ended, "
            f"{counts['tokens']} token(s) revoked"
        )

    def _grant(self, options: dict[str, Any]) -> None:
        from mamori.accounts.models import Department, Role, RoleAssignment, User
        from mamori.accounts.services import roles
        from mamori.core.errors import Refused

        by = self._actor(options)
        if not roles.has_permission(by, "accounts.assign_roles"):
            raise CommandError(f"{by.username} may not assign roles")
        person = User.objects.filter(username=options["person"], is_active=True).first()
        role = Role.objects.filter(code=options["role"]).first()
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(f"there is no department {options['department']}")
        if person is None:
            raise CommandError(f"there is no active person {options['person']}")
        if role is None:
            raise CommandError(f"there is no role {options['role']}")
        try:
            if options["first_officer"]:
                roles.appoint_first_officer(person, role, department, by)
                self.stdout.write(
                    f"{person.username} appointed {role.code} (first officer); "
                    f"{max(roles.officers_needed(), 0)} more needed before grants are approved"
                )
                return
            result = roles.assign(person, role, department, by)
        except Refused as refused:  # RoleRefused, SegregationRefused, ApprovalRefused
            raise CommandError(refused.shown()) from None
        if isinstance(result, RoleAssignment):
            self.stdout.write(f"{person.username} granted {role.code}")
        else:
            self.stdout.write(
                f"granting {role.code} to {person.username} needs approval: request #{result.pk}"
            )
