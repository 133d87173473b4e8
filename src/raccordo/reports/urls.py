from django.urls import path

from . import plan_views, schedule_views, views
from .analytics import funnel_views
from .analytics import views as analytics_views

app_name = "reports"
urlpatterns = [
    path("kpi/", views.kpi_view, name="kpi"),
    path("kpi/export/", views.kpi_export_view, name="kpi_export"),
    path("refresh/", views.refresh_view, name="refresh"),
    path("analytics/forecast/", analytics_views.forecast_view, name="forecast"),
    path("analytics/forecast/export/", analytics_views.forecast_export_view, name="forecast_export"),
    path("analytics/cohorts/", analytics_views.cohorts_view, name="cohorts"),
    path("analytics/cohorts/export/", analytics_views.cohorts_export_view, name="cohorts_export"),
    path("analytics/funnel/", funnel_views.funnel_view, name="funnel"),
    path("analytics/funnel/export/", funnel_views.funnel_export_view, name="funnel_export"),
    path("analytics/funnel/refresh/", funnel_views.funnel_refresh_view, name="funnel_refresh"),
    path("analytics/abc/<str:subject>/", analytics_views.abc_view, name="abc"),
    path("analytics/abc/<str:subject>/export/", analytics_views.abc_export_view, name="abc_export"),
    path("analytics/abc/<str:subject>/<str:cell>/", analytics_views.abc_cell_view, name="abc_cell"),
    path("plans/", plan_views.plans_view, name="plans"),
    path("plans/set/", plan_views.plan_set_view, name="plan_set"),
    path("plans/<uuid:pk>/delete/", plan_views.plan_delete_view, name="plan_delete"),
    path("scheduled/", schedule_views.scheduled_list_view, name="scheduled_list"),
    path("scheduled/new/", schedule_views.scheduled_create_view, name="scheduled_new"),
    path("scheduled/<uuid:pk>/", schedule_views.scheduled_detail_view, name="scheduled_detail"),
    path("scheduled/<uuid:pk>/edit/", schedule_views.scheduled_edit_view, name="scheduled_edit"),
    path("scheduled/<uuid:pk>/send/", schedule_views.scheduled_send_view, name="scheduled_send"),
    path("scheduled/<uuid:pk>/preview/", schedule_views.scheduled_preview_view, name="scheduled_preview"),
    path("scheduled/<uuid:pk>/delete/", schedule_views.scheduled_delete_view, name="scheduled_delete"),
]
