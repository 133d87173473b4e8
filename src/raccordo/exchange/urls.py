from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/<uuid:pk>/", views.run_detail, name="run_detail"),
    path("import/", views.tabular_upload, name="tabular_upload"),
]
