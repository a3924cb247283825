"""URLs of the reconciliation pages."""

from django.urls import path

from mamori.reconciliation import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("run/", views.run_now_view, name="run_now"),
    path("runs/<int:pk>/", views.run_view, name="run"),
    path("runs/<int:pk>/statement.<str:fmt>", views.statement_view, name="statement"),
    path("runs/<int:pk>/figures.csv", views.figures_view, name="figures"),
    path("books/", views.book_upload_view, name="book_upload"),
    path("books/<int:pk>/", views.book_view, name="book"),
    path("cases/<int:pk>/", views.case_view, name="case"),
    path("nodes/", views.nodes_view, name="nodes"),
]
