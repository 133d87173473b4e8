from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("kpi/", views.kpi_view, name="kpi"),
    path("kpi/export/", views.kpi_export_view, name="kpi_export"),
    path("refresh/", views.refresh_view, name="refresh"),
]
