"""The ``mamori`` command: Django's management commands plus demo, serve and check.

Configuration is read and validated before Django starts, so a bad ``MAMORI_*`` value or an
unreachable database ends the command with one line naming the cause and a non-zero status.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["main"]

DATABASE_COMMANDS = {
    "demo",
    "serve",
    "worker",
    "jobs",
    "migrate",
    "createsuperuser",
    "unlock",
    "token",
    "demo_code",
    "log",
    "rulebook",
    "custody",
    "reconcile",
    "risk",
    "setup",
    "accounts",
    "backup",
    "change",
    "cmdb",
}
#: The commands that start processes beside themselves (the custody decider, web workers, the
#: demo's Ethereum node): SIGTERM ends them through their shutdown path, which stops those.
SERVING_COMMANDS = {"demo", "serve"}
#: The commands that set an installation up: only these create the data directory and the
#: secret key (importing the settings writes nothing).
PREPARING_COMMANDS = {"migrate", "serve", "demo", "demo_code", "setup"}
ALIASES = {"demo-code": "demo_code"}
#: The commands that run Django's system checks (the URL configuration, the models, whether
#: the engines are compiled, with ``--deploy`` the production settings) before they act: those
#: that bring an installation up or serve it. The others — an operator's one-shot commands —
#: skip them (``--skip-checks``): they ran when the installation was set up and when the server
#: started, and they cost every command about a second (every view and API schema imported).
CHECKED_COMMANDS = {"check", "migrate", "serve", "demo", "setup", "runserver"}


def _take_data_dir(argv: list[str]) -> list[str]:
    """Move ``--data-dir DIR`` from the arguments into ``MAMORI_DATA_DIR``."""
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--data-dir" and index + 1 < len(argv):
            os.environ["MAMORI_DATA_DIR"] = argv[index + 1]
            index += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["MAMORI_DATA_DIR"] = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        index += 1
    return rest


def _without_checks(args: list[str]) -> list[str]:
    """``args`` with ``--skip-checks`` after the command's name, unless the command is one of
    :data:`CHECKED_COMMANDS` or runs no checks anyway (then it would not know the option)."""
    if not args or args[0] in CHECKED_COMMANDS or args[0].startswith("-"):
        return args
    from django.core.management import get_commands, load_command_class

    app = get_commands().get(args[0])
    if app is None or "--skip-checks" in args:
        return args  # Django says the command is unknown, or the caller said it already
    if not load_command_class(app, args[0]).requires_system_checks:
        return args
    return [args[0], "--skip-checks", *args[1:]]


def _fail(message: str, status: int) -> int:
    print(f"mamori: {message}", file=sys.stderr)
    return status


def _check_database() -> str | None:
    """Return why the database cannot be reached, or None."""
    from django.conf import settings
    from django.db import DatabaseError, connection

    from mamori.config import mask_url

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        url = mask_url(settings.CONFIG.database_url)
        return f"cannot connect to the database MAMORI_DATABASE_URL={url}: {reason}"
    return None


def _is_demo_data_dir() -> bool:
    """Return whether the data directory was made by ``mamori demo`` (its keys are found the
    way the demo made them)."""
    data_dir = Path(os.environ.get("MAMORI_DATA_DIR") or ".mamori")
    return (data_dir / ".demo").is_file()


def main(argv: list[str] | None = None) -> int:
    """Run ``mamori`` with ``argv`` (default: the process arguments); return the exit status."""
    from mamori.core import children

    if os.environ.get(children.PARENT_ENV):  # started by a server (the custody decider)
        children.bind_to_parent()
    args = _take_data_dir(list(sys.argv[1:] if argv is None else argv))
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    command = args[0] if args else "help"
    if command in SERVING_COMMANDS and argv is None:  # a process of its own, not a caller's
        children.exit_on_signals()
    if command == "witness":  # runs elsewhere, without Django, configuration or database
        from mamori.witness.cli import main as witness

        return witness(args[1:])
    if command in ("demo", "demo_code") and not os.environ.get("MAMORI_DATA_DIR"):
        os.environ["MAMORI_DATA_DIR"] = ".mamori-demo"
    if command == "createsuperuser":
        return _fail(
            "createsuperuser is not available: the first administrator is made by "
            "`mamori setup`, everyone else is invited (`mamori accounts invite`)",
            2,
        )
    if command == "check" and "--deploy" in args and "--fail-level" not in args:
        args += ["--fail-level", "WARNING"]

    if command == "demo" or _is_demo_data_dir():
        from mamori.core.signing.demo import configure

        warning = configure(Path(os.environ.get("MAMORI_DATA_DIR") or ".mamori"), os.environ)
        if warning and command == "demo":
            print(f"mamori: warning: {warning}", file=sys.stderr)

    from mamori.config import ConfigError, load, prepare_data_dir

    try:
        config = load()
        if command in PREPARING_COMMANDS:
            prepare_data_dir(config)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    if (
        command in DATABASE_COMMANDS
        and not config.data_dir.is_dir()
        and config.database_url.startswith("sqlite")
    ):
        return _fail(
            f"there is no installation in {config.data_dir}: run `mamori migrate` first "
            "(or `mamori demo`)",
            1,
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")

    from mamori.core.i18n import compile_catalogues

    try:
        compile_catalogues()
    except OSError as exc:
        print(f"mamori: warning: translations not compiled: {exc}", file=sys.stderr)

    import django
    from django.core.management import execute_from_command_line

    try:
        django.setup()
        if command in DATABASE_COMMANDS:
            problem = _check_database()
            if problem:
                return _fail(problem, 1)
        execute_from_command_line(["mamori", *_without_checks(args)])
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
