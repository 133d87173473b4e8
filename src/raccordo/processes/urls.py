from django.urls import path

from . import views

app_name = "processes"
urlpatterns = [
    path("templates/", views.template_list_view, name="template_list"),
    path("templates/new/", views.template_edit_view, name="template_new"),
    path("templates/<uuid:pk>/", views.template_edit_view, name="template_edit"),
    path("holidays/", views.holidays_view, name="holidays"),
    path("rules/", views.rule_list_view, name="rule_list"),
    path("rules/new/", views.rule_edit_view, name="rule_new"),
    path("rules/<uuid:pk>/", views.rule_edit_view, name="rule_edit"),
    path("rules/<uuid:pk>/switch/", views.rule_switch_view, name="rule_switch"),
    path("<uuid:pk>/", views.instance_detail_view, name="instance_detail"),
    path("<uuid:pk>/cancel/", views.process_cancel_view, name="instance_cancel"),
    path("start/<str:kind>/<uuid:pk>/", views.process_start_view, name="start"),
]
