from django.urls import path

from . import pages

app_name = "staff"
urlpatterns = [
    path("", pages.overview, name="overview"),
    path("handover/<uuid:pk>/", pages.handover, name="handover"),
    path("nodes/<uuid:pk>/imports/", pages.node_imports, name="node_imports"),
]
