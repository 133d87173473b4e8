from django.urls import path

from . import conflict_views, task_views, views

app_name = "exchange"
urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/export/", views.run_list_export, name="run_list_export"),
    path("runs/<uuid:pk>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<uuid:pk>/report/", views.run_report, name="run_report"),
    path("runs/<uuid:pk>/retry/", views.run_retry, name="run_retry"),
    path("runs/<uuid:pk>/conflicts/<int:item>/", conflict_views.conflict_resolve_view, name="conflict_resolve"),
    path("import/", views.tabular_upload, name="tabular_upload"),
    path("tasks/", task_views.task_list, name="task_list"),
    path("tasks/cron-preview/", task_views.task_cron_preview, name="task_cron_preview"),
    path("tasks/<uuid:pk>/edit/", task_views.task_edit, name="task_edit"),
    path("tasks/<uuid:pk>/delete/", task_views.task_delete, name="task_delete"),
    path("tasks/<uuid:pk>/run/", task_views.task_run, name="task_run"),
    path("nodes/<uuid:node_pk>/tasks/new/", task_views.task_create, name="task_create"),
]
