"""URLs of the rulebook's staff pages (public policy pages are in :mod:`mamori.urls`)."""

from django.urls import path

from mamori.rulebook.views import compliance, controls, exports, policies

app_name = "rulebook"

urlpatterns = [
    path("", compliance.dashboard_view, name="dashboard"),
    path("node/<str:urn>/", compliance.node_view, name="node"),
    path("node/<str:urn>/decision/", compliance.decision_view, name="decision"),
    path("node/<str:urn>/reviewed/", compliance.reviewed_view, name="reviewed"),
    path("versions/", compliance.versions_view, name="versions"),
    path("controls/", controls.controls_view, name="controls"),
    path("controls/<str:code>/", controls.control_view, name="control"),
    path("controls/<str:code>/run/", controls.run_view, name="control_run"),
    path("controls/<str:code>/review/", controls.review_view, name="control_review"),
    path("controls/<str:code>/evidence/", controls.upload_view, name="control_upload"),
    path("evidence/<int:pk>/", controls.evidence_download_view, name="evidence"),
    path("evidence/<int:pk>/accept/", controls.evidence_accept_view, name="evidence_accept"),
    path("evidence/<int:pk>/reject/", controls.evidence_reject_view, name="evidence_reject"),
    path("policies/", policies.policies_view, name="policies"),
    path("policies/<slug:code>/edit/", policies.policy_edit_view, name="policy_edit"),
    path(
        "policies/<slug:code>/v/<int:number>/", policies.policy_version_view, name="policy_version"
    ),
    path(
        "policies/<slug:code>/v/<int:number>/submit/",
        policies.policy_submit_view,
        name="policy_submit",
    ),
    path("export/statement.pdf", exports.statement_pdf_view, name="statement_pdf"),
    path("export/statement.xlsx", exports.statement_xlsx_view, name="statement_xlsx"),
    path("export/evidence-pack.zip", exports.evidence_pack_view, name="evidence_pack"),
]
