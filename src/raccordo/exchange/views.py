"""Exchange pages: runs with their counters and errors (administrators and accountants; others get a 404)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import allows
from raccordo.core.models import ChangeJournal
from raccordo.web.views.base import ListPage, get_or_404

from . import selectors, tabular

# Where a journaled record of the exchange opens in the web interface.
RECORD_PAGES = {
    "catalog.product": "web:product_detail",
    "sales.invoice": "web:invoice_detail",
    "parties.counterparty": "web:counterparty_detail",
}


def _admin_only(request) -> None:
    # The exchange is invisible, not forbidden, to people outside it (as everywhere else).
    if not allows(request.user, "view", "exchange"):
        raise Http404


def record_url(label: str, object_id) -> str | None:
    name = RECORD_PAGES.get(label)
    if not name:
        return None
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return None


@login_required
def run_list(request):
    _admin_only(request)
    listing = ListPage(request, sorts={"started": "started_at", "status": "status"}, default_sort="-started")
    qs = selectors.run_list(user=request.user)
    if listing.q:
        qs = qs.filter(files__icontains=listing.q)
    return listing.render(qs, template="exchange/run_list.html", partial="exchange/_run_table.html")


@login_required
def run_detail(request, pk):
    if allows(request.user, "view", "exchange"):
        run = get_or_404(selectors.run_get, user=request.user, pk=pk)
    else:
        # Whoever imported a file sees the report of their own import, and nothing else of the exchange.
        run = get_or_404(selectors.run_get_own, user=request.user, pk=pk)
    errors = list(selectors.run_errors(run=run)[:500])
    outcomes = list(selectors.run_outcomes(run=run)[:500])
    changes = (ChangeJournal.objects.filter(request_id=f"run-{run.pk}").select_related("content_type")
               .order_by("seq")[:200])
    touched = [{"entry": e, "url": record_url(f"{e.content_type.app_label}.{e.content_type.model}", e.object_id)}
               for e in changes]
    context = {"run": run, "errors": errors, "error_total": selectors.run_errors(run=run).count(),
               "outcomes": outcomes, "outcome_total": selectors.run_outcomes(run=run).count(),
               "touched": touched, "running": run.status == "running"}
    template = "exchange/_run_progress.html" if request.headers.get("HX-Request") == "true" else "exchange/run_detail.html"
    return render(request, template, context)


# --- tabular import: upload, column mapping with a preview, then the run -------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=list(tabular.KIND_LABELS.items()))
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("The first row holds the column names; at most 50 MB."))


class MappingForm(forms.Form):
    on_duplicate = forms.ChoiceField(label=_("A row that duplicates a record"), choices=[
        (tabular.OnDuplicate.SKIP, _("Skip it")), (tabular.OnDuplicate.MERGE, _("Merge it into that record")),
        (tabular.OnDuplicate.CREATE, _("Create it anyway"))])
    dry_run = forms.BooleanField(label=_("Dry run: write nothing, show what would happen"), required=False)

    def __init__(self, *args, kind: str, headers: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.headers = kind, headers
        choices = [("", _("— do not import —"))] + [(name, name.replace("_", " ")) for name in tabular.FIELDS[kind]]
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(label=header, choices=choices, required=False,
                                                        initial=mapping.get(header, ""))

    def column_fields(self):
        return [self[f"col_{i}"] for i in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data[f"col_{i}"] for i, h in enumerate(self.headers) if self.cleaned_data[f"col_{i}"]}

    def clean(self):
        data = super().clean()
        if not self.errors:
            for problem in tabular.check_mapping(self.mapping(), self.kind, self.headers):
                self.add_error(None, problem)
        return data


@login_required
def tabular_upload(request):
    kind = request.POST.get("kind") or request.GET.get("kind") or tabular.COUNTERPARTIES
    if kind not in tabular.KINDS:
        raise Http404
    if not tabular.may_import(request.user, kind):
        raise PermissionDenied
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        return _tabular_mapping(request, kind, token)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        try:
            token, _path = tabular.upload_store(user=request.user, uploaded=form.cleaned_data["file"])
        except tabular.TabularError as exc:
            form.add_error("file", exc.message)
        else:
            request.session[f"tabular-{token}"] = form.cleaned_data["file"].name[:200]
            return _tabular_mapping(request, form.cleaned_data["kind"], token, fresh=True)
    return render(request, "exchange/tabular_upload.html", {"form": form})


def _tabular_mapping(request, kind: str, token: str, fresh: bool = False):
    if not tabular.may_import(request.user, kind):
        raise PermissionDenied
    upload = UploadForm(initial={"kind": kind})
    try:
        path = tabular.upload_get(user=request.user, token=token)
        shown = tabular.preview(path, kind)
    except tabular.TabularError as exc:
        upload.add_error(None, exc.message)
        return render(request, "exchange/tabular_upload.html", {"form": upload})
    form = MappingForm(None if fresh else request.POST, kind=kind, headers=shown["headers"], mapping=shown["mapping"])
    if not fresh and form.is_valid():
        run = tabular.tabular_import(path=path, kind=kind, user=request.user, mapping=form.mapping(),
                                     on_duplicate=form.cleaned_data["on_duplicate"],
                                     dry_run=form.cleaned_data["dry_run"],
                                     file_name=request.session.get(f"tabular-{token}", path.name))
        if not form.cleaned_data["dry_run"]:
            path.unlink(missing_ok=True)
        return redirect("exchange:run_detail", pk=run.pk)
    rows = [[row.values.get(h) for h in shown["headers"]] for row in shown["rows"]]
    return render(request, "exchange/tabular_mapping.html", {
        "form": form, "kind": kind, "kind_label": tabular.KIND_LABELS[kind], "token": token,
        "headers": shown["headers"], "rows": rows, "lines": [row.line for row in shown["rows"]],
        "file_name": request.session.get(f"tabular-{token}", "")})
