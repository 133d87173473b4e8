"""Mail pages: the mailbox (folders with their progress, conversations), a conversation, a message, and the
pages where a user connects their mailbox and an administrator the company's. Thin: selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import allows, can, is_admin
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.web.views.base import apply_errors

from . import selectors, services, tasks
from .forms import MailboxForm
from .models import MailAttachment
from .parsing import safe_html

SUBJECT = "activities"
PAGE = 50


def _require_mail(user) -> None:
    # A section the role does not open (its sidebar entry is hidden too): forbidden, not a missing record.
    if not allows(user, "view", SUBJECT):
        raise PermissionDenied


def _get(selector, **kwargs):
    try:
        return selector(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def mail_home_view(request):
    """The user's mailboxes with their folders (progress, errors) and the conversations of the chosen one."""
    _require_mail(request.user)
    boxes = list(selectors.mailbox_readable(user=request.user))
    chosen = next((b for b in boxes if str(b.pk) == request.GET.get("mailbox")), boxes[0] if boxes else None)
    search = request.GET.get("q", "").strip()[:200]
    threads = selectors.thread_list(user=request.user, mailbox=chosen, search=search) if chosen else []
    page = Paginator(threads, PAGE).get_page(request.GET.get("page")) if chosen else None
    folders = list(selectors.folder_list(user=request.user, mailbox=chosen)) if chosen else []
    return render(request, "mail/home.html", {"mailboxes": boxes, "chosen": chosen, "page": page, "q": search,
                                              "folders": folders})


@login_required
def mail_thread_view(request, pk):
    """A conversation: its messages, oldest first, as text."""
    _require_mail(request.user)
    thread = _get(selectors.thread_get, user=request.user, pk=pk)
    items = selectors.message_list(user=request.user, thread=thread).order_by("sent_at", "id")
    return render(request, "mail/thread.html", {"thread": thread, "items": items})


@login_required
def mail_message_view(request, pk):
    """One message: text by default; its HTML only sanitized (`?formatted=1`); opening it marks it read."""
    _require_mail(request.user)
    message = _get(selectors.message_get, user=request.user, pk=pk)
    if not message.seen and can(request.user, "change", message):
        services.message_mark(user=request.user, message=message, seen=True)
    formatted = request.GET.get("formatted") == "1" and bool(message.body_html)
    # safe_html leaves only harmless formatting (no scripts, styles, images, forms, handlers): safe to mark.
    html = mark_safe(safe_html(message.body_html)) if formatted else ""  # noqa: S308
    return render(request, "mail/message.html", {"message": message, "formatted": formatted, "html": html,
                                                 "attachments": message.attachments.all()})


@login_required
def mail_attachment_view(request, pk):
    """An attachment as a download (never shown inline: it came from outside)."""
    _require_mail(request.user)
    attachment = MailAttachment.objects.select_related("message").filter(pk=pk).first()
    if attachment is None or not attachment.file or not can(request.user, "view", attachment):
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type="application/octet-stream")


@login_required
def mail_mailboxes_view(request):
    """The user's own mailboxes and, for administrators, every mailbox (state only for others' personal ones)."""
    _require_mail(request.user)
    return render(request, "mail/mailboxes.html", {"mailboxes": selectors.mailbox_list(user=request.user),
                                                   "is_admin": is_admin(request.user)})


def _mailbox_form(request, mailbox=None, company=False):
    company = company if mailbox is None else mailbox.owner_id is None
    if company and not is_admin(request.user):
        raise Http404
    form = MailboxForm(request.POST or None, instance=mailbox, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if mailbox is None:
                mailbox = services.mailbox_create(user=request.user, data=data,
                                                  owner=None if company else request.user)
            else:
                services.mailbox_update(user=request.user, mailbox=mailbox, data=data)
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Mailbox saved. Check the connection, then sync it."))
            return redirect("mail:mail_mailboxes")
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox, "company": company})


@login_required
def mail_mailbox_create_view(request):
    _require_mail(request.user)
    return _mailbox_form(request, company=request.GET.get("company") == "1")


@login_required
def mail_mailbox_edit_view(request, pk):
    _require_mail(request.user)
    mailbox = _get(selectors.mailbox_get, user=request.user, pk=pk)
    if not can(request.user, "change", mailbox):
        raise Http404
    return _mailbox_form(request, mailbox)


@login_required
@require_POST
def mail_mailbox_test_view(request, pk):
    """Log in to the IMAP (and SMTP) server now and say what happened."""
    mailbox = _get(selectors.mailbox_get, user=request.user, pk=pk)
    try:
        names = services.mailbox_test(user=request.user, mailbox=mailbox)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Connected: %(count)s folders found.") % {"count": len(names)})
    return redirect("mail:mail_mailboxes")


@login_required
@require_POST
def mail_mailbox_sync_view(request, pk):
    """Queue a sync of the mailbox now (the worker also polls every few minutes)."""
    mailbox = _get(selectors.mailbox_get, user=request.user, pk=pk)
    tasks.mailbox_sync_task(mailbox.pk)
    messages.info(request, _("Sync started. Progress shows next to each folder."))
    return redirect(f"{_home()}?mailbox={mailbox.pk}")


@login_required
@require_POST
def mail_folder_toggle_view(request, pk):
    """Sync a folder or leave it out."""
    folder = selectors.folder_list(user=request.user).filter(pk=pk).first()
    if folder is None or not can(request.user, "change", folder):
        raise Http404
    services.folder_select(user=request.user, folder=folder, selected=not folder.is_selected)
    return redirect(f"{_home()}?mailbox={folder.mailbox_id}")


def _home() -> str:
    return reverse("mail:mail_home")
