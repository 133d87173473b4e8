"""Exchange pages: runs with their counters and errors (administrators and accountants; others get a 404)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from raccordo.access.policy import allows
from raccordo.core.errors import ApplicationError
from raccordo.core.models import ChangeJournal
from raccordo.web import exports
from raccordo.web.views.base import ListPage, get_or_404, is_htmx

from . import runs, selectors, tabular
from .models import RunStatus

# Where a journaled record of the exchange opens in the web interface.
RECORD_PAGES = {
    "catalog.product": "web:product_detail",
    "sales.invoice": "web:invoice_detail",
    "parties.counterparty": "web:counterparty_detail",
    "parties.contactperson": "web:contact_detail",
}
TABULAR_RECORDS = selectors.TABULAR_RECORDS


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


def _run_filters(request) -> tuple[dict, list]:
    """The run list's filters from the query string (node code, status), and the nodes to choose among."""
    nodes = list(selectors.node_list(user=request.user).order_by("code"))
    filters = {}
    code = request.GET.get("node", "")
    node = next((n for n in nodes if n.code == code), None)
    if node is not None:
        filters["node"] = node
    status = request.GET.get("status", "")
    if status in RunStatus.values:
        filters["status"] = status
    return filters, nodes


def _filtered_runs(request, listing: ListPage, *, action: str = "view"):
    filters, nodes = _run_filters(request)
    qs = selectors.run_list(user=request.user, node=filters.get("node"), action=action)
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if listing.q:
        qs = qs.filter(files__icontains=listing.q)
    return qs, filters, nodes


RUN_SORTS = {"started": "started_at", "status": "status", "node": "node__code"}


@login_required
def run_list(request):
    _admin_only(request)
    listing = ListPage(request, sorts=RUN_SORTS, default_sort="-started")
    qs, filters, nodes = _filtered_runs(request, listing)
    return listing.render(qs, template="exchange/run_list.html", partial="exchange/_run_table.html", context={
        "nodes": nodes, "node": filters.get("node"), "statuses": RunStatus.choices,
        "can_export": allows(request.user, "export", "exchange")})


@login_required
def run_list_export(request):
    """The run list as filtered on screen, as CSV or XLSX: the runs the user may export."""
    _admin_only(request)
    listing = ListPage(request, sorts=RUN_SORTS, default_sort="-started")
    qs, _filters, _nodes = _filtered_runs(request, listing, action="export")
    columns = [
        (_("Started"), lambda r: r.started_at), (_("Finished"), lambda r: r.finished_at),
        (_("Node"), lambda r: r.node.code if r.node else ""), (_("Kind"), lambda r: r.kind),
        (_("Status"), lambda r: r.get_status_display()), (_("Files"), lambda r: ", ".join(r.files)),
        (pgettext_lazy("number of records", "Created"), lambda r: r.created),
        (pgettext_lazy("number of records", "Updated"), lambda r: r.updated),
        (_("Unchanged"), lambda r: r.unchanged), (_("Skipped"), lambda r: r.skipped),
        (pgettext_lazy("number of records", "Failed"), lambda r: r.failed), (_("Deactivated"), lambda r: r.deactivated),
        (_("Outcome"), lambda r: r.message), (_("Retry of"), lambda r: r.retry_of_id or ""),
        (_("Run"), lambda r: r.pk)]
    return exports.table_response(listing.order(qs).iterator(chunk_size=1000), columns, basename="exchange-runs",
                                  fmt=exports.export_format(request))


def _run_for(request, pk):
    """The run `pk` as the person may see it: any run for those who see the exchange, else their own import."""
    if allows(request.user, "view", "exchange"):
        return get_or_404(selectors.run_get, user=request.user, pk=pk)
    # Whoever imported a file sees the report of their own import, and nothing else of the exchange.
    return get_or_404(selectors.run_get_own, user=request.user, pk=pk)


def item_url(object_type: str, object_id) -> str | None:
    """The page of the record a run item names (a tabular row's record, or a record of a peer)."""
    if not object_id:
        return None
    return record_url(TABULAR_RECORDS.get(object_type, object_type), object_id)


RECORDS_PER_PAGE = 50


def _records_page(request, run):
    """The outcome chosen (tab), the tabs with their counts, and one page of the run's records of that outcome."""
    counts = {"error": run.failed, "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
              "skipped": run.skipped, "conflict": run.items.filter(outcome="conflict").count(),
              "deactivated": run.deactivated}
    outcome = request.GET.get("outcome", "")
    if outcome not in runs.OUTCOMES:
        outcome = next((o for o in ("error", "conflict", "created", "updated", "skipped") if counts[o]), "error")
    from_journal = outcome in ("created", "updated") and not runs.items_list_writes(run)
    if from_journal:
        operation = "create" if outcome == "created" else "update"
        everything = ChangeJournal.objects.filter(request_id=f"run-{run.pk}", operation=operation)
        qs = selectors.run_journal(user=request.user, run=run).filter(operation=operation)
        make = runs.journal_row
    else:
        everything = run.items.filter(outcome__in=runs.ITEM_OUTCOMES[outcome])
        qs = selectors.run_items(user=request.user, run=run, qs=everything).order_by("id")  # type: ignore[assignment]  # run items or journal entries, shown through `make`
        make = runs.item_row  # type: ignore[assignment]
    # The counters stay the run's; the records the reader may not see are counted, not named (M1).
    hidden = everything.count() - qs.count()
    page = Paginator(qs, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for obj in page.object_list:
        row = make(obj)
        # What a dry run created was rolled back: nothing to open (an existing record it names is there).
        url = item_url(row.object_type, row.object_id) if run.kind != "dry-run" or row.outcome != "created" else None
        rows.append({"row": row, "url": url})
    listed = outcome != "unchanged" or runs.items_list_writes(run)
    # Deactivation happens to catalogs sent whole: the tab is there when the run deactivated something.
    tabs = [(key, label, counts[key]) for key, label in OUTCOME_LABELS.items()
            if key != "deactivated" or counts[key] or outcome == key]
    return {"outcome": outcome, "tabs": tabs, "page": page, "rows": rows, "listed": listed,
            "outcome_label": OUTCOME_LABELS[outcome], "hidden": hidden}


OUTCOME_LABELS = {"error": _("Errors"), "conflict": _("Conflicts"), "created": pgettext_lazy("records", "Created"),
                  "updated": pgettext_lazy("records", "Updated"), "unchanged": _("Unchanged"),
                  "skipped": _("Skipped and duplicates"), "deactivated": _("Deactivated")}


def _progress_context(run) -> dict:
    queued = runs.is_queued(run)
    return {"run": run, "running": run.status == RunStatus.RUNNING, "queued": queued,
            "stalled": runs.queued_too_long(run), "stall_minutes": max(runs.queue_stall() // 60, 1),
            "in_rows": (run.params or {}).get("action") == "tabular"}


@login_required
def run_detail(request, pk):
    run = _run_for(request, pk)
    records = _records_page(request, run)
    if is_htmx(request):
        return render(request, "exchange/_run_records.html", {"run": run, **records})
    plan = runs.retry_plan(run) if run.status != RunStatus.RUNNING and run.failed else None
    context = {**_progress_context(run), **records, "plan": plan,
               "can_retry": plan is not None and runs.may_retry(request.user, run),
               "retries": list(run.retries.order_by("-started_at")[:20]),
               "sees_exchange": allows(request.user, "view", "exchange")}
    return render(request, "exchange/run_detail.html", context)


@login_required
def run_progress(request, pk):
    """The run's counters and progress bar, polled every second by its page while it runs."""
    run = _run_for(request, pk)
    response = render(request, "exchange/_run_progress.html", _progress_context(run))
    if run.status != RunStatus.RUNNING and is_htmx(request):
        # Polled by a page that showed it running: reload it, so its lists show what the run did.
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_report(request, pk):
    """The run's report as CSV or XLSX: its counters, then every record (errors, duplicates, conflicts,
    outcomes of rows, and the records it wrote)."""
    run = _run_for(request, pk)
    summary = [
        (_("Run"), str(run.pk)), (_("Kind"), run.kind), (_("Status"), run.get_status_display()),
        (_("Node"), run.node.code if run.node else ""), (_("Files"), ", ".join(run.files)),
        (_("Started"), run.started_at), (_("Finished"), run.finished_at), (_("Started by"), str(run.user or "")),
        (_("Retry of"), str(run.retry_of_id or "")),
        *[(label, getattr(run, name)) for name, label in RUN_COUNTERS],
        (_("Progress"), f"{run.progress_done} / {run.progress_total}"), (_("Outcome"), run.message),
        (_("Records you cannot see"), runs.report_hidden(run, user=request.user)),
    ]

    def link(row) -> str:
        if run.kind == "dry-run" and row.outcome == "created":
            return ""
        url = item_url(row.object_type, row.object_id)
        return request.build_absolute_uri(url) if url else ""

    columns = [
        (_("Outcome"), lambda r: r.outcome), (_("Object type"), lambda r: r.object_type),
        (_("Id in accounting"), lambda r: r.external_id), (_("Record"), lambda r: r.record),
        (_("Link"), link), (_("File"), lambda r: r.file), (_("Line"), lambda r: r.line),
        (_("Column or element"), lambda r: r.path), (_("Code"), lambda r: r.code), (_("Message"), lambda r: r.message),
        (_("Changes"), lambda r: json.dumps(r.changes, ensure_ascii=False, default=str) if r.changes else ""),
    ]
    return exports.table_response(runs.report_rows(run, user=request.user), columns, basename=f"run-{str(run.pk)[:8]}",
                                  fmt=exports.export_format(request), summary=summary)


RUN_COUNTERS = [("created", pgettext_lazy("number of records", "Created")),
                ("updated", pgettext_lazy("number of records", "Updated")), ("unchanged", _("Unchanged")),
                ("skipped", _("Skipped")), ("failed", pgettext_lazy("number of records", "Failed")),
                ("deactivated", _("Deactivated"))]


@login_required
@require_POST
def run_retry(request, pk):
    """Start a run that processes again the records that failed in this one (in the background worker)."""
    run = _run_for(request, pk)
    try:
        retry = runs.run_retry(user=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("exchange:run_detail", pk=run.pk)
    messages.success(request, _("Retrying the failed records in the background."))
    return redirect("exchange:run_detail", pk=retry.pk)


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


def _tabular_node(request):
    """The CSV/XLSX node an import is made for (`?node=CODE` from the node page), so its runs are the node's."""
    code = request.POST.get("node") or request.GET.get("node") or ""
    if not code:
        return None
    node = selectors.node_list(user=request.user).filter(code=code).first()
    if node is None:   # a node the user may not see is a node that does not exist
        raise Http404
    return node


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
    return render(request, "exchange/tabular_upload.html", {"form": form, "node": _tabular_node(request)})


def _tabular_mapping(request, kind: str, token: str, fresh: bool = False):
    if not tabular.may_import(request.user, kind):
        raise PermissionDenied
    try:
        path = tabular.upload_get(user=request.user, token=token)
        shown = tabular.preview(path, kind)
    except tabular.TabularError as exc:
        # An unknown or expired token (a double submit, a stale tab): ask for the file again, next to its field.
        # The form is bound (to the kind alone) so it can carry the error; an unbound form cannot.
        upload = UploadForm(data={"kind": kind})
        upload.is_valid()
        upload.errors["file"] = upload.error_class([exc.message])
        return render(request, "exchange/tabular_upload.html", {"form": upload, "node": _tabular_node(request)})
    form = MappingForm(None if fresh else request.POST, kind=kind, headers=shown["headers"], mapping=shown["mapping"])
    if not fresh and form.is_valid():
        # The import runs in the background worker; the run page shows its progress at once.
        run = runs.tabular_start(user=request.user, path=path, kind=kind, mapping=form.mapping(),
                                 on_duplicate=form.cleaned_data["on_duplicate"], dry_run=form.cleaned_data["dry_run"],
                                 file_name=request.session.get(f"tabular-{token}", path.name),
                                 node=_tabular_node(request))
        return redirect("exchange:run_detail", pk=run.pk)
    rows = [[row.values.get(h) for h in shown["headers"]] for row in shown["rows"]]
    return render(request, "exchange/tabular_mapping.html", {
        "form": form, "kind": kind, "kind_label": tabular.KIND_LABELS[kind], "token": token,
        "headers": shown["headers"], "rows": rows, "lines": [row.line for row in shown["rows"]],
        "file_name": request.session.get(f"tabular-{token}", ""), "node": _tabular_node(request)})
