from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("deals/<uuid:pk>/generate/", views.deal_generate_view, name="deal_generate"),
    path("invoices/<uuid:pk>/generate/", views.invoice_generate_view, name="invoice_generate"),
    path("invoices/<uuid:pk>/fatturapa/", views.invoice_fatturapa_view, name="invoice_fatturapa"),
    path("<uuid:pk>/file/", views.document_download_view, name="download"),
    path("<uuid:pk>/send/", views.document_send_view, name="send"),
    path("templates/", views.templates_view, name="templates"),
    path("templates/shipped/<str:name>/", views.shipped_template_view, name="shipped_template"),
    path("templates/<uuid:pk>/toggle/", views.template_toggle_view, name="template_toggle"),
    path("templates/<uuid:pk>/delete/", views.template_delete_view, name="template_delete"),
    path("companies/<uuid:pk>/pictures/", views.company_pictures_view, name="company_pictures"),
]
