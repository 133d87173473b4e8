from django.urls import path

from . import mailing_views, views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list_view, name="segment_list"),
    path("new/", views.segment_edit_view, name="segment_new"),
    path("<uuid:pk>/", views.segment_detail_view, name="segment_detail"),
    path("<uuid:pk>/edit/", views.segment_edit_view, name="segment_edit"),
    path("<uuid:pk>/delete/", views.segment_delete_view, name="segment_delete"),
    path("<uuid:pk>/export/", views.segment_export_view, name="segment_export"),
    path("<uuid:pk>/members/<uuid:member>/remove/", views.segment_member_remove_view, name="segment_member_remove"),
    path("<uuid:pk>/mail/", mailing_views.mailing_new_view, name="mailing_new"),
    path("mailings/", mailing_views.mailing_list_view, name="mailing_list"),
    path("mailings/<uuid:pk>/", mailing_views.mailing_detail_view, name="mailing_detail"),
    path("mailings/<uuid:pk>/cancel/", mailing_views.mailing_cancel_view, name="mailing_cancel"),
    path("unsubscribe/<str:token>/", mailing_views.unsubscribe_view, name="unsubscribe"),
]
