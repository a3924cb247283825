"""URLs of the contingency plans, drills, post-incident reviews and the CSIRT (SRM 5-2, 9;
ISM 3, 30-3), included in the operations app's URLs."""

from django.urls import path

from mamori.operations import views_csirt, views_plans, views_reviews

urlpatterns = [
    path("plans/", views_plans.plans_view, name="plans"),
    path("plans/<slug:scenario>/", views_plans.plan_view, name="plan"),
    path("plans/versions/<int:pk>/submit/", views_plans.version_submit_view, name="plan_submit"),
    path("drills/", views_plans.drills_view, name="drills"),
    path("drills/<int:pk>/", views_plans.drill_view, name="drill"),
    path("drills/<int:pk>/<slug:what>/", views_plans.drill_act_view, name="drill_act"),
    path("reviews/actions/", views_reviews.actions_view, name="actions"),
    path("reviews/actions/<int:pk>/done/", views_reviews.action_done_view, name="action_done"),
    path("reviews/<str:reference>/", views_reviews.review_view, name="review"),
    path("reviews/<str:reference>/<slug:what>/", views_reviews.review_act_view, name="review_act"),
    path("csirt/", views_csirt.csirt_view, name="csirt"),
    path("csirt/members/<int:pk>/", views_csirt.member_view, name="csirt_member"),
    path("csirt/<slug:what>/", views_csirt.csirt_act_view, name="csirt_act"),
]
