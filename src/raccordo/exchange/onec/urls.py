from django.urls import path

from . import views

app_name = "onec"
urlpatterns = [
    path("1c/", views.endpoint, name="endpoint"),
    path("nodes/", views.node_list, name="node_list"),
    path("nodes/<uuid:pk>/", views.node_detail, name="node_detail"),
    path("sessions/<uuid:pk>/", views.session_detail, name="session_detail"),
]
