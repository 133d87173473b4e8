from django.urls import path

from . import views

app_name = "onec"
urlpatterns = [
    path("1c/", views.endpoint, name="endpoint"),
    path("nodes/", views.node_list, name="node_list"),
    path("nodes/<uuid:pk>/", views.node_detail, name="node_detail"),
    path("nodes/<uuid:pk>/mappings/<str:object_type>/", views.node_mapping, name="node_mapping"),
    path("nodes/<uuid:pk>/settings.json", views.node_settings_export, name="node_settings_export"),
    path("nodes/<uuid:pk>/settings/", views.node_settings_import, name="node_settings_import"),
    path("sessions/<uuid:pk>/", views.session_detail, name="session_detail"),
]
