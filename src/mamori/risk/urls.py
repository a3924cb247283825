"""URLs of the risk pages."""

from django.urls import path

from mamori.risk.views import inventory, plans, register, scenarios

app_name = "risk"

urlpatterns = [
    path("", register.register_view, name="register"),
    path("assessments/new/", register.assessment_new_view, name="assessment_new"),
    path("assessments/<int:pk>/scenarios/new/", register.scenario_new_view, name="scenario_new"),
    path("assessments/<int:pk>/export.xlsx", register.export_view, name="export"),
    path("assessments/<int:pk>/import/", register.import_view, name="import"),
    path("assessments/<int:pk>/plan/", plans.plan_submit_view, name="plan_submit"),
    path("scenarios/<int:pk>/", scenarios.scenario_view, name="scenario"),
    path("scenarios/<int:pk>/<slug:action>/", scenarios.scenario_action_view, name="act"),
    path("assets/", inventory.assets_view, name="assets"),
    path("assets/<int:pk>/", inventory.asset_view, name="asset"),
    path("criteria/", inventory.criteria_view, name="criteria"),
    path("criteria/<int:pk>/<slug:how>/", inventory.matrix_save_view, name="matrix_save"),
    path("catalogue/<slug:kind>/", inventory.catalogue_add_view, name="catalogue_add"),
    path("assessments/<int:pk>/complete/", register.assessment_complete_view, name="complete"),
    path("plans/", plans.plans_view, name="plans"),
    path("plans/<int:pk>/plan.pdf", plans.plan_pdf_view, name="plan_pdf"),
    path("signoff/", plans.signoff_view, name="signoff"),
]
