from django.urls import path

from .views import activities, catalog, dashboard, parties, sales

app_name = "web"
urlpatterns = [
    path("", dashboard.dashboard_view, name="dashboard"),
    path("search/", dashboard.search_view, name="search"),
    # Counterparties and contacts
    path("counterparties/", parties.counterparty_list_view, name="counterparty_list"),
    path("counterparties/new/", parties.counterparty_create_view, name="counterparty_create"),
    path("counterparties/<uuid:pk>/", parties.counterparty_detail_view, name="counterparty_detail"),
    path("counterparties/<uuid:pk>/edit/", parties.counterparty_edit_view, name="counterparty_edit"),
    path("counterparties/<uuid:pk>/contacts/add/", parties.counterparty_contact_add_view,
         name="counterparty_contact_add"),
    path("counterparties/<uuid:pk>/log/", parties.counterparty_log_view, name="counterparty_log"),
    path("contacts/", parties.contact_list_view, name="contact_list"),
    path("contacts/new/", parties.contact_create_view, name="contact_create"),
    path("contacts/<uuid:pk>/", parties.contact_detail_view, name="contact_detail"),
    path("contacts/<uuid:pk>/edit/", parties.contact_edit_view, name="contact_edit"),
    # Deals and invoices
    path("deals/", sales.deal_list_view, name="deal_list"),
    path("deals/new/", sales.deal_create_view, name="deal_create"),
    path("deals/<uuid:pk>/", sales.deal_detail_view, name="deal_detail"),
    path("deals/<uuid:pk>/edit/", sales.deal_edit_view, name="deal_edit"),
    path("deals/<uuid:pk>/move/", sales.deal_move_view, name="deal_move"),
    path("deals/<uuid:pk>/invoice/", sales.deal_invoice_view, name="deal_invoice"),
    path("invoices/", sales.invoice_list_view, name="invoice_list"),
    path("invoices/new/", sales.invoice_create_view, name="invoice_create"),
    path("invoices/<uuid:pk>/", sales.invoice_detail_view, name="invoice_detail"),
    path("invoices/<uuid:pk>/edit/", sales.invoice_edit_view, name="invoice_edit"),
    path("invoices/<uuid:pk>/issue/", sales.invoice_issue_view, name="invoice_issue"),
    path("invoices/<uuid:pk>/payment/", sales.invoice_payment_view, name="invoice_payment"),
    # Catalog
    path("products/", catalog.product_list_view, name="product_list"),
    path("products/new/", catalog.product_create_view, name="product_create"),
    path("products/<uuid:pk>/", catalog.product_detail_view, name="product_detail"),
    path("products/<uuid:pk>/edit/", catalog.product_edit_view, name="product_edit"),
    # Tasks
    path("tasks/", activities.task_list_view, name="task_list"),
    path("tasks/new/", activities.task_create_view, name="task_create"),
    path("tasks/<uuid:pk>/", activities.task_detail_view, name="task_detail"),
    path("tasks/<uuid:pk>/edit/", activities.task_edit_view, name="task_edit"),
    path("tasks/<uuid:pk>/status/", activities.task_status_view, name="task_status"),
]
