from django.urls import path

from raccordo.exchange.enterprisedata import views as enterprisedata_views

from . import setup_views, views

app_name = "onec"
urlpatterns = [
    path("1c/", views.endpoint, name="endpoint"),
    path("nodes/", views.node_list, name="node_list"),
    path("nodes/new/", setup_views.node_create, name="node_create"),
    path("nodes/code/", setup_views.node_code_suggest, name="node_code_suggest"),
    path("nodes/<uuid:pk>/connect/", setup_views.node_connect, name="node_connect"),
    path("nodes/<uuid:pk>/checkauth/", setup_views.node_checkauth, name="node_checkauth"),
    path("nodes/<uuid:pk>/password/", setup_views.node_password, name="node_password"),
    path("nodes/<uuid:pk>/folder/", setup_views.node_folder_check, name="node_folder_check"),
    path("nodes/<uuid:pk>/enterprisedata/", enterprisedata_views.peer_save, name="node_enterprisedata"),
    path("nodes/<uuid:pk>/enterprisedata/settings/", enterprisedata_views.settings_upload,
         name="node_enterprisedata_settings"),
    path("nodes/<uuid:pk>/enterprisedata/transport/", enterprisedata_views.transport_save,
         name="node_enterprisedata_transport"),
    path("nodes/<uuid:pk>/enterprisedata/transport/test/", enterprisedata_views.transport_test,
         name="node_enterprisedata_test"),
    path("nodes/<uuid:pk>/", views.node_detail, name="node_detail"),
    path("nodes/<uuid:pk>/mappings/<str:object_type>/", views.node_mapping, name="node_mapping"),
    path("nodes/<uuid:pk>/settings.json", views.node_settings_export, name="node_settings_export"),
    path("nodes/<uuid:pk>/settings/", views.node_settings_import, name="node_settings_import"),
    path("sessions/<uuid:pk>/", views.session_detail, name="session_detail"),
]
