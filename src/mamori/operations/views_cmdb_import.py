"""The page of configuration imports: the runs as a table and a form to upload a source file
(SRM 12-4)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.operations.lists_cmdb_import import ImportRunTable
from mamori.operations.models import ImportRun
from mamori.operations.services import cmdb_import

#: The largest file a page upload takes (the command line takes any size).
MAX_UPLOAD = 200 * 1024 * 1024


class ImportForm(forms.Form):
    """A source file and the kind of source it is."""

    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ImportRun.Source.choices)
    file = forms.FileField(label=gettext_lazy("File"))


@permission_required("changes.view")
def imports_view(request: HttpRequest) -> HttpResponse:
    """The imports: filter, sort, download; the upload form for those who may import."""
    found = listing(request, ImportRun.objects.select_related("by"), ImportRunTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/cmdb/imports.html",
        {
            "runs": found,
            "form": ImportForm(),
            "can_import": has_permission(request.user, "cmdb.import"),
        },
    )


@require_POST
@permission_required("cmdb.import")
def import_upload_view(request: HttpRequest) -> HttpResponse:
    """Import the uploaded file; say what changed, or every problem it was refused for."""
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a source and a file."))
        return redirect("operations:cmdb_imports")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        messages.error(request, _("The file is too large for the page: use the command line."))
        return redirect("operations:cmdb_imports")
    try:
        run = cmdb_import.import_file(
            form.cleaned_data["source"],
            upload.read(),
            upload.name,
            request.user,  # type: ignore[arg-type]
            "web",
        )
    except cmdb_import.CmdbImportRefused as refused:
        messages.error(request, refused.shown())
        return redirect("operations:cmdb_imports")
    messages.success(
        request,
        _(
            "Imported %(file)s: %(added)d added, %(changed)d changed, %(gone)d gone, "
            "%(unchanged)d unchanged."
        )
        % {
            "file": run.file_name,
            "added": run.added,
            "changed": run.changed,
            "gone": run.gone,
            "unchanged": run.unchanged,
        },
    )
    return redirect("operations:cmdb_imports")
