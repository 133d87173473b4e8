from django.urls import path

from . import form_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list_view, name="list"),
    path("new/", views.campaign_edit_view, name="new"),
    path("roi/", views.roi_view, name="roi"),
    path("<uuid:pk>/", views.campaign_detail_view, name="detail"),
    path("<uuid:pk>/edit/", views.campaign_edit_view, name="edit"),
    path("<uuid:pk>/events/new/", views.event_edit_view, name="event_new"),
    path("<uuid:pk>/events/<uuid:event_pk>/", views.event_edit_view, name="event_edit"),
    path("<uuid:pk>/events/<uuid:event_pk>/move/", views.event_move_view, name="event_move"),
    path("forms/", form_views.web_form_list_view, name="web_forms"),
    path("forms/new/", form_views.web_form_edit_view, name="web_form_new"),
    path("forms/<uuid:pk>/", form_views.web_form_edit_view, name="web_form_edit"),
    # The public endpoint the company's site posts to: no session, no CSRF token (origin allow-list instead).
    path("forms/<uuid:pk>/submit/", form_views.web_form_submit_view, name="web_form_submit"),
]
