"""Pages of the configuration register: items, relations, the graph per system and per
department, the evaluation and its yearly review (SRM 7-2, 12-2..5)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.models import Department
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations import graph_cmdb
from mamori.operations.forms_cmdb import ItemForm, RelationForm, ReviewForm
from mamori.operations.lists_cmdb import ItemTable
from mamori.operations.models import CmdbReview, ConfigurationItem, Relation, System
from mamori.operations.services import cmdb_register

VIEW = "cmdb.view"
MANAGE = "cmdb.manage"


@permission_required(VIEW)
def items_view(request: HttpRequest) -> HttpResponse:
    """The configuration items: filter, sort, download."""
    found = listing(
        request,
        ConfigurationItem.objects.select_related("system", "department", "system_manager"),
        ItemTable,
    )
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/cmdb/items.html",
        {"items": found, "can_manage": has_permission(request.user, MANAGE)},
    )


@permission_required(VIEW)
def item_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An item: its facts, relations out and in, the monitored services using it."""
    item = get_object_or_404(
        ConfigurationItem.objects.select_related("system", "department", "system_manager"),
        pk=pk,
    )
    can_manage = has_permission(request.user, MANAGE)
    return render(
        request,
        "operations/cmdb/item.html",
        {
            "item": item,
            "out": item.relations_out.select_related("target_item").order_by("kind"),
            "in": item.relations_in.select_related("source_item").order_by("kind"),
            "services": item.monitored_services.order_by("code"),
            "can_manage": can_manage,
            "can_edit": can_manage and item.source == cmdb_register.MANUAL,
            "relation_form": RelationForm(item=item) if can_manage else None,
        },
    )


def _save(form: ItemForm) -> ConfigurationItem:
    item: ConfigurationItem = form.save(commit=False)
    now = timezone.now()
    if item.pk is None:
        item.source = cmdb_register.MANUAL
        item.first_seen_at = now
    item.last_seen_at = now
    item.save()
    return item


@permission_required(MANAGE)
def item_add_view(request: HttpRequest) -> HttpResponse:
    """Record an item by hand (source manual)."""
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = _save(form)
        messages.success(request, _("Item %(name)s added.") % {"name": item.name})
        return redirect("operations:cmdb_item", pk=item.pk)
    return render(request, "operations/cmdb/item_form.html", {"form": form, "item": None})


@permission_required(MANAGE)
def item_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an item recorded by hand; imported items are kept by their source."""
    item = get_object_or_404(ConfigurationItem, pk=pk)
    if item.source != cmdb_register.MANUAL:
        messages.error(
            request,
            _("This item comes from %(source)s; change it there and import again.")
            % {"source": item.source},
        )
        return redirect("operations:cmdb_item", pk=item.pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        _save(form)
        messages.success(request, _("Item %(name)s saved.") % {"name": item.name})
        return redirect("operations:cmdb_item", pk=item.pk)
    return render(request, "operations/cmdb/item_form.html", {"form": form, "item": item})


@require_POST
@permission_required(MANAGE)
def relation_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a relation from this item to another."""
    item = get_object_or_404(ConfigurationItem, pk=pk)
    form = RelationForm(request.POST, item=item)
    if not form.is_valid():
        messages.error(request, _("Choose the relation and the other item."))
        return redirect("operations:cmdb_item", pk=item.pk)
    data = form.cleaned_data
    try:
        cmdb_register.add_relation(item, data["target"], data["kind"], data["data_kind"])
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Relation recorded."))
    return redirect("operations:cmdb_item", pk=item.pk)


@require_POST
@permission_required(MANAGE)
def relation_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a relation recorded by hand (one from a source is flagged gone)."""
    relation = get_object_or_404(Relation.objects.select_related("source_item"), pk=pk)
    back = relation.source_item_id
    cmdb_register.remove_relation(relation)
    messages.success(request, _("Relation removed."))
    return redirect("operations:cmdb_item", pk=back)


def _graph_page(
    request: HttpRequest, title: str, items: list[ConfigurationItem], back: str
) -> HttpResponse:
    ids = [i.pk for i in items]
    relations = list(
        Relation.objects.filter(Q(source_item_id__in=ids) | Q(target_item_id__in=ids))
        .select_related("source_item", "target_item")
        .order_by("pk")
    )
    near = {r.source_item for r in relations} | {r.target_item for r in relations}
    drawing = graph_cmdb.draw({*items, *near}, relations)
    flows = [r for r in relations if r.kind == Relation.Kind.HOLDS_DATA]
    legend = [(k, graph_cmdb.COLOURS.get(k, "#adb5bd")) for k in drawing.kinds]
    kinds = dict(ConfigurationItem.Kind.choices)
    return render(
        request,
        "operations/cmdb/graph.html",
        {
            "title": title,
            "drawing": drawing,
            "flows": flows,
            "legend": [(kinds.get(k, k), colour) for k, colour in legend],
            "back": back,
        },
    )


@permission_required(VIEW)
def system_graph_view(request: HttpRequest, code: str) -> HttpResponse:
    """The equipment and information flows of one system (SRM 7-2)."""
    system = get_object_or_404(System, code=code)
    items = list(ConfigurationItem.objects.filter(system=system))
    return _graph_page(
        request, system.code, items, reverse("operations:system", args=[system.code])
    )


@permission_required(VIEW)
def department_graph_view(request: HttpRequest, code: str) -> HttpResponse:
    """The equipment and information flows of one department's systems (SRM 7-2)."""
    department = get_object_or_404(Department, code=code)
    items = list(
        ConfigurationItem.objects.filter(
            Q(department=department) | Q(system__department=department)
        )
    )
    return _graph_page(request, str(department), items, reverse("operations:cmdb_items"))


@permission_required(VIEW)
def evaluation_view(request: HttpRequest) -> HttpResponse:
    """The measured figures of configuration management and the yearly reviews (SRM 12-5);
    the system general manager signs this year's review here."""
    form = ReviewForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        if not cmdb_register.is_general_manager(request.user):
            raise PermissionDenied(cmdb_register.REVIEWER_ROLE)
        if form.is_valid():
            try:
                review = cmdb_register.sign_review(
                    request.user,  # type: ignore[arg-type]
                    form.cleaned_data["year"],
                    form.cleaned_data["conclusion"],
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(request, _("Review of %(year)s signed.") % {"year": review.year})
                return redirect("operations:cmdb_evaluation")
    user = request.user
    can_sign = cmdb_register.is_general_manager(user)
    return render(
        request,
        "operations/cmdb/evaluation.html",
        {
            "figures": cmdb_register.evaluate(),
            "reviews": CmdbReview.objects.select_related("signed_by").order_by("-year"),
            "form": form if can_sign else None,
            "departments": Department.objects.order_by("code"),
        },
    )
