from django.urls import path

from . import campaign_views, views

app_name = "sms"
urlpatterns = [
    path("settings/", views.settings_view, name="settings"),
    path("settings/test/", views.settings_test_view, name="settings_test"),
    path("settings/balance/", views.settings_balance_view, name="settings_balance"),
    # The provider posts delivery reports here (no session: the secret in the address and its signature).
    path("callback/", views.callback_view, name="callback"),
    path("counterparties/<uuid:pk>/compose/", views.compose_view, name="compose"),
    path("counterparties/<uuid:pk>/send/", views.send_view, name="send"),
    path("counterparties/<uuid:pk>/opt-out/", views.opt_out_view, name="opt_out"),
    path("mass/", campaign_views.campaign_list_view, name="campaign_list"),
    path("mass/new/", campaign_views.campaign_new_view, name="campaign_new"),
    path("mass/<uuid:pk>/", campaign_views.campaign_detail_view, name="campaign_detail"),
    path("mass/<uuid:pk>/cancel/", campaign_views.campaign_cancel_view, name="campaign_cancel"),
]
