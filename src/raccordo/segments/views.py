"""The segment pages: the list, the editor with its live count (htmx), the members, and their export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import allows, can_edit_segment, may_mass_email, may_use_segments
from raccordo.core.errors import ApplicationError
from raccordo.web.views.base import apply_errors, get_or_404

from . import services
from .forms import SegmentForm
from .models import Segment, SegmentKind, SegmentTarget
from .selectors import mailing_list, segment_get, segment_list, segment_members

SERVICE_ERRORS = (ValidationError, ApplicationError)
MEMBER_ROWS = 200


def _require_segments(request):
    if not may_use_segments(request.user):
        raise PermissionDenied


@login_required
@require_GET
def segment_list_view(request):
    """The segments the user may see, each with its live count over the clients they see."""
    _require_segments(request)
    rows = [(s, segment_members(user=request.user, segment=s).count()) for s in segment_list(user=request.user)[:100]]
    return render(request, "segments/segment_list.html", {"rows": rows})


def _preview_count(request, form: SegmentForm):
    """The count of what is typed in the editor, or the error that stops it (shown under the count)."""
    draft = Segment(kind=SegmentKind.DYNAMIC, target=request.POST.get("target") or SegmentTarget.COUNTERPARTIES)
    try:
        return segment_members(user=request.user, segment=draft, filters=form.filters()).count(), ""
    except ValidationError as exc:
        return None, " ".join(exc.messages)


@login_required
def segment_edit_view(request, pk=None):
    """A new segment or a change to one; the count beside the filters follows every change (htmx)."""
    _require_segments(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk) if pk else None
    if segment is not None and not can_edit_segment(request.user, segment):
        raise PermissionDenied
    initial = SegmentForm.initial_from(segment) if segment else {}
    form = SegmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.headers.get("HX-Request"):
        count, error = _preview_count(request, form)
        return render(request, "segments/_count.html", {"count": count, "error": error})
    if request.method == "POST" and form.is_valid():
        data = {"name": form.cleaned_data["name"], "kind": form.cleaned_data["kind"],
                "target": form.cleaned_data["target"], "filters": form.filters()}
        try:
            if segment is None:
                segment = services.segment_create(user=request.user, data=data)
            else:
                services.segment_update(user=request.user, segment=segment, data=data)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc, field_map={"kind": "counterparty_kind", "filters": "__all__"})
        else:
            messages.success(request, _("Segment saved."))
            return redirect("segments:segment_detail", pk=segment.pk)
    if segment is not None and not form.is_bound:
        count = segment_members(user=request.user, segment=segment).count()
    else:
        count = _preview_count(request, form)[0] if form.is_bound else None
    return render(request, "segments/segment_edit.html", {"form": form, "segment": segment, "count": count})


@login_required
@require_GET
def segment_detail_view(request, pk):
    """A segment's members as the user sees them (the first ones of a big one), and its mailings."""
    _require_segments(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk)
    members = segment_members(user=request.user, segment=segment)
    return render(request, "segments/segment_detail.html", {
        "segment": segment, "count": members.count(), "members": members[:MEMBER_ROWS],
        "contacts": segment.target == SegmentTarget.CONTACTS, "static": segment.kind == SegmentKind.STATIC,
        "can_edit": can_edit_segment(request.user, segment), "can_mail": may_mass_email(request.user),
        "mailings": mailing_list(user=request.user, segment=segment)[:20],
        "described": SegmentForm().describe(segment.filters)})


@login_required
@require_POST
def segment_member_remove_view(request, pk, member):
    """Take one member out of a static segment."""
    _require_segments(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk)
    try:
        services.segment_set_members(user=request.user, segment=segment, ids=[member], add=False)
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("segments:segment_detail", pk=segment.pk)


@login_required
@require_POST
def segment_delete_view(request, pk):
    _require_segments(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk)
    try:
        services.segment_delete(user=request.user, segment=segment)
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("segments:segment_detail", pk=segment.pk)
    messages.success(request, _("Segment deleted."))
    return redirect("segments:segment_list")


@login_required
@require_GET
def segment_export_view(request, pk):
    """The members as CSV (as the user sees them; an export needs the export right on counterparties)."""
    _require_segments(request)
    segment = get_or_404(segment_get, user=request.user, pk=pk)
    if not allows(request.user, "export", "counterparties"):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="segment.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV right only with the byte-order mark
    writer = csv.writer(response)
    contacts = segment.target == SegmentTarget.CONTACTS
    writer.writerow([_("Contact person"), _("Counterparty")] if contacts else [_("Counterparty"), _("INN"),
                                                                               _("Responsible manager")])
    for m in segment_members(user=request.user, segment=segment).iterator(chunk_size=2000):
        writer.writerow([str(m), str(m.counterparty)] if contacts else [m.name, m.inn, str(m.responsible or "")])
    return response
