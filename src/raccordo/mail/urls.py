from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("", views.mail_home_view, name="mail_home"),
    path("threads/<uuid:pk>/", views.mail_thread_view, name="mail_thread"),
    path("messages/<uuid:pk>/", views.mail_message_view, name="mail_message"),
    path("attachments/<uuid:pk>/", views.mail_attachment_view, name="mail_attachment"),
    path("mailboxes/", views.mail_mailboxes_view, name="mail_mailboxes"),
    path("mailboxes/new/", views.mail_mailbox_create_view, name="mail_mailbox_create"),
    path("mailboxes/<uuid:pk>/edit/", views.mail_mailbox_edit_view, name="mail_mailbox_edit"),
    path("mailboxes/<uuid:pk>/test/", views.mail_mailbox_test_view, name="mail_mailbox_test"),
    path("mailboxes/<uuid:pk>/sync/", views.mail_mailbox_sync_view, name="mail_mailbox_sync"),
    path("folders/<uuid:pk>/toggle/", views.mail_folder_toggle_view, name="mail_folder_toggle"),
]
