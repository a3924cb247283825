"""Importing the book (ISM 34-1): files kept by hash, every bad row reported, nothing kept
from a refused book but the record of its refusal — which opens a case, tells the responsible
people, and keeps every run from an older book until a newer one is accepted."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.config import mask_url
from mamori.core import crypto
from mamori.core.errors import Refused
from mamori.custody.models import Asset, Wallet
from mamori.engines import reconcile
from mamori.reconciliation.models import BookImport, BookSource, Case

__all__ = [
    "MAX_ERRORS_KEPT",
    "BookRefused",
    "add_source",
    "current_book",
    "import_file",
    "import_query",
    "refusal_in_force",
    "registry",
    "totals_of",
]

MAX_ERRORS_KEPT = 1000


class BookRefused(Refused, ValueError):
    """A book refused; ``record`` is the stored refusal with its bad rows (each also in
    ``fields`` as ``line N``), ``case`` the *book refused* case it opened (or was noted on)."""

    def __init__(self, record: BookImport, case: Case | None = None) -> None:
        self.record = record
        self.case = case
        shown = "; ".join(f"line {e['line']}: {e['reason']}" for e in record.errors[:5])
        more = record.error_count - min(5, len(record.errors))
        suffix = _(" and %(n)s more") % {"n": more} if more > 0 else ""
        opened = _("; case %(id)s") % {"id": case.pk} if case is not None else ""
        super().__init__(
            "book_refused",
            _("book %(id)s refused, %(n)s bad row(s): %(rows)s")
            % {"id": record.pk, "n": record.error_count, "rows": shown}
            + suffix
            + opened,
            fields=[(f"line {e['line']}", str(e["reason"])) for e in record.errors],
        )


def registry() -> tuple[dict[str, str], list[str]]:
    """Return the registered wallets (name → asset code) and asset codes."""
    wallets = dict(Wallet.objects.values_list("name", "asset__code"))
    return wallets, list(Asset.objects.values_list("code", flat=True))


def _record(
    source: str,
    name: str,
    digest: str,
    result: reconcile.BookTotals | reconcile.BookRejected,
    user: User | None,
) -> BookImport:
    from mamori.reconciliation.services import cases

    if isinstance(result, reconcile.BookRejected):
        with transaction.atomic():
            record = BookImport.objects.create(
                source=source,
                file_name=name,
                sha256=digest,
                rows=result.rows,
                status=BookImport.Status.REFUSED,
                errors=[
                    {"line": e.line, "reason": e.reason} for e in result.errors[:MAX_ERRORS_KEPT]
                ],
                error_count=len(result.errors),
                imported_by=user,
                imported_at=timezone.now(),
            )
            case = cases.open_for_refused_book(record)
        raise BookRefused(record, case)
    with transaction.atomic():
        record = BookImport.objects.create(
            source=source,
            file_name=name,
            sha256=digest,
            rows=result.rows,
            status=BookImport.Status.ACCEPTED,
            totals=[[a, w, c, str(v)] for (a, w, c), v in sorted(result.totals.items())],
            imported_by=user,
            imported_at=timezone.now(),
        )
        cases.note_book_accepted(record)
    return record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    path: Path, source: str = "upload", user: User | None = None, name: str = ""
) -> BookImport:
    """Read a CSV or Parquet book; keep the file by its hash; raise :class:`BookRefused`."""
    digest = _sha256(path)
    name = name or path.name
    wallets, assets = registry()
    suffix = Path(name).suffix.lower()
    try:
        staged = path
        if path.suffix.lower() != suffix:  # an upload's temporary file has no suffix
            staged = path.with_name(path.name + suffix)
            shutil.copyfile(path, staged)
        result: Any = reconcile.read_book(staged, wallets, assets)
    except reconcile.BookRejected as rejected:
        result = rejected
    record = _record(source, name, digest, result, user)
    folder = settings.CONFIG.data_dir / "books"
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"{digest}{suffix}"
    if not kept.exists():
        shutil.copyfile(path, kept)
    return record


def add_source(name: str, url: str, query: str) -> BookSource:
    """Register the database query the book is read from at each run."""
    if urlsplit(url).scheme not in ("postgres", "postgresql", "sqlite"):
        raise ValueError(f"a book source is postgres:// or sqlite:// , got {mask_url(url)!r}")
    source, _ = BookSource.objects.update_or_create(
        name=name,
        defaults={
            "url_encrypted": crypto.encrypt(url),
            "url_shown": mask_url(url),
            "query": query,
            "active": True,
        },
    )
    return source


def _fetch(url: str, query: str) -> tuple[list[str], list[Any]]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        connection = sqlite3.connect(f"file:{parts.path}?mode=ro", uri=True)
        try:
            cursor = connection.execute(query)
            return [c[0] for c in cursor.description], cursor.fetchall()
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(url, autocommit=False) as pg:
        pg.read_only = True
        with pg.cursor() as pg_cursor:
            pg_cursor.execute(query.encode())  # the administrator's own query, read-only
            assert pg_cursor.description is not None
            return [c.name for c in pg_cursor.description], pg_cursor.fetchall()


def import_query(source: BookSource, user: User | None = None) -> BookImport:
    """Run ``source``'s query (read-only) and import its rows as the book."""
    url = crypto.decrypt(source.url_encrypted)
    try:
        columns, rows = _fetch(url, source.query)
    except Exception as exc:
        result: Any = reconcile.BookRejected(
            [reconcile.RowError(0, f"query on {source.url_shown} failed: {exc}")]
        )
    else:
        wallets, assets = registry()
        try:
            result = reconcile.read_rows(columns, rows, wallets, assets)
        except reconcile.BookRejected as rejected:
            result = rejected
    digest = hashlib.sha256(source.query.encode()).hexdigest()
    return _record(f"query:{source.name}", source.name, digest, result, user)


def refusal_in_force(than: BookImport | None = None) -> BookImport | None:
    """Return the latest refused book if it is newer than ``than`` (by default: than every
    accepted book) — a run must not reconcile against a book older than a refused one."""
    refused = BookImport.objects.filter(status=BookImport.Status.REFUSED).first()
    if refused is None:
        return None
    if than is None:
        than = BookImport.objects.filter(status=BookImport.Status.ACCEPTED).first()
    if than is not None and (than.imported_at, than.pk) > (refused.imported_at, refused.pk):
        return None
    return refused


def refusal_reason(refused: BookImport, older: BookImport | None) -> str:
    """Say why a run does not reconcile: the refused book, its bad rows, its case."""
    from mamori.reconciliation.services import cases

    case = (
        refused.cases.first()
        or Case.objects.filter(
            kind=Case.Kind.BOOK_REFUSED, status__in=[Case.Status.OPEN, Case.Status.AWAITING]
        ).first()
    )
    bad = "; ".join(f"line {e['line']}: {e['reason']}" for e in refused.errors[:3])
    not_used = f" {cases.describe_book(older)} is older and is not used" if older else ""
    return (
        f"{cases.describe_book(refused)} was refused ({refused.error_count} bad row(s): {bad})"
        f";{not_used or ' no book was accepted after it'}: import a corrected book"
        + (f" (case {case.pk})" if case is not None else "")
    )


def current_book() -> tuple[BookImport | None, str]:
    """Return the book a run should use and, when there is none, why.

    An active query source is read now; otherwise the latest accepted import, if younger than
    ``MAMORI_BOOK_MAX_AGE_HOURS`` and not older than the latest refused import.
    """
    source = BookSource.objects.filter(active=True).order_by("name").first()
    if source is not None:
        try:
            return import_query(source), ""
        except BookRefused as refused:
            return None, str(refused)
    latest = BookImport.objects.filter(status=BookImport.Status.ACCEPTED).first()
    refused_book = refusal_in_force(latest)
    if refused_book is not None:
        return None, refusal_reason(refused_book, latest)
    if latest is None:
        return None, "no book has been imported: import the exchange's book first"
    max_age = timedelta(hours=settings.CONFIG.book_max_age_hours)
    if timezone.now() - latest.imported_at > max_age:
        return None, (
            f"the latest book was imported at {latest.imported_at:%Y-%m-%d %H:%M} UTC, more than "
            f"{settings.CONFIG.book_max_age_hours} h ago: import today's book"
        )
    return latest, ""


def totals_of(record: BookImport) -> reconcile.BookTotals:
    """Return the aggregate an accepted import holds."""
    return reconcile.BookTotals(record.rows, {(a, w, c): int(v) for a, w, c, v in record.totals})
