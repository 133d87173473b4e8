from django.urls import path

from . import views, webhooks

app_name = "telephony"
urlpatterns = [
    # Machine doors (signed): the generic contract and Mango Office, which appends /events/<kind> itself.
    path("events/", webhooks.events_view, name="events"),
    path("mango/", webhooks.mango_view, {"kind": "ping"}, name="mango_base"),
    path("mango/events/<slug:kind>", webhooks.mango_view, name="mango"),
    path("mango/events/<slug:kind>/", webhooks.mango_view, name="mango_slash"),
    # People
    path("popup/", views.popup_view, name="popup"),
    path("popup/<uuid:pk>/dismiss/", views.popup_dismiss_view, name="popup_dismiss"),
    path("phones/<uuid:pk>/call/", views.call_phone_view, name="call_phone"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/extensions/<uuid:user_pk>/", views.extension_view, name="extension"),
]
