"""The documents pages: make a document from a deal or an invoice, download and e-mail it, export FatturaPA,
and the administrators' templates page. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import may_manage_templates
from raccordo.core.downloads import set_download_name
from raccordo.core.errors import ApplicationError
from raccordo.parties.selectors import own_company_list
from raccordo.parties.services import own_company_update
from raccordo.sales.selectors import deal_get, invoice_get
from raccordo.web.views.base import apply_errors, error_text, get_or_404

from . import selectors, services
from .context import VARIABLES
from .forms import CompanyPicturesForm, GenerateForm, TemplateUploadForm
from .selectors import shipped_templates


def _generate(request, *, deal=None, invoice=None):
    source = invoice or deal
    back = redirect("web:invoice_detail", pk=source.pk) if invoice else redirect("web:deal_detail", pk=source.pk)
    form = GenerateForm(request.POST, source_is_invoice=invoice is not None,
                        templates=selectors.template_list(user=request.user))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    data = form.cleaned_data
    try:
        doc = services.document_generate(user=request.user, request=services.DocumentRequest(
            kind=data["kind"], deal=deal or getattr(invoice, "deal", None), invoice=invoice, format=data["format"],
            language=data["language"], template=data["template"]))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
        return back
    messages.success(request, _("%(document)s is ready.") % {"document": doc})
    return back


@login_required
@require_POST
def deal_generate_view(request, pk):
    """Make an offer or a contract from a deal."""
    return _generate(request, deal=get_or_404(deal_get, user=request.user, pk=pk))


@login_required
@require_POST
def invoice_generate_view(request, pk):
    """Make an invoice, an act or a shipping note from an invoice."""
    return _generate(request, invoice=get_or_404(invoice_get, user=request.user, pk=pk))


@login_required
def document_download_view(request, pk):
    """The stored file of a generated document (inline for a PDF with ?inline=1)."""
    doc = get_or_404(selectors.document_get, user=request.user, pk=pk)
    response = FileResponse(doc.file.open("rb"), content_type="application/pdf" if doc.format == "pdf" else
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    set_download_name(response, doc.filename, inline=request.GET.get("inline") == "1" and doc.format == "pdf")
    return response


@login_required
@require_POST
def document_send_view(request, pk):
    """E-mail a generated document to addresses on the client's card."""
    doc = get_or_404(selectors.document_get, user=request.user, pk=pk)
    to = [a for a in request.POST.get("to", "").replace(";", ",").split(",") if a.strip()]
    try:
        services.document_send(user=request.user, document=doc, to=to, body=request.POST.get("body", ""))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(document)s sent to %(to)s.") % {"document": doc, "to": ", ".join(to)})
    if doc.invoice_id:
        return redirect("web:invoice_detail", pk=doc.invoice_id)
    return redirect("web:deal_detail", pk=doc.deal_id) if doc.deal_id else redirect("web:dashboard")


@login_required
def invoice_fatturapa_view(request, pk):
    """The invoice as a FatturaPA XML file; what is missing is said on the invoice's page."""
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    try:
        name, xml = services.invoice_fatturapa(user=request.user, invoice=invoice)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:invoice_detail", pk=pk)
    response = HttpResponse(xml, content_type="application/xml")
    set_download_name(response, name)
    return response


def _require_templates(request) -> None:
    if not may_manage_templates(request.user):
        raise Http404


@login_required
def templates_view(request):
    """The templates page: the shipped ones to download, the uploaded ones, an upload form, the variables."""
    _require_templates(request)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("upload")
        if upload is None:
            form.add_error("upload", _("Choose a DOCX file."))
        else:
            try:
                services.template_upload(user=request.user, data={k: form.cleaned_data[k] for k in
                                                                  ("name", "kind", "language", "is_active")},
                                         content=upload.read(services.MAX_TEMPLATE_READ))
            except (ValidationError, ApplicationError) as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Template “%(name)s” checked and saved.") % {
                    "name": form.cleaned_data["name"]})
                return redirect("documents:templates")
    return render(request, "documents/templates.html", {
        "form": form, "templates": selectors.template_list(user=request.user), "shipped": shipped_templates(),
        "variables": VARIABLES, "variables_help": _(
            "Write a variable as {{ client.inn }}. Each tag must have one format throughout (Word splits a tag whose "
            "letters are formatted differently). The lines are a table row between {%tr for l in lines %} and "
            "{%tr endfor %}.")})


@login_required
def shipped_template_view(request, name: str):
    """Download a shipped template, a starting point for one's own."""
    _require_templates(request)
    match = next((t for t in shipped_templates() if t.name == name), None)
    if match is None:
        raise Http404
    response = FileResponse(match.path.open("rb"), content_type="application/octet-stream")
    set_download_name(response, f"{match.name}.docx")
    return response


@login_required
@require_POST
def template_toggle_view(request, pk):
    """Switch an uploaded template on or off."""
    _require_templates(request)
    template = get_or_404(selectors.template_get, user=request.user, pk=pk)
    services.template_update(user=request.user, template=template, data={"is_active": not template.is_active})
    return redirect("documents:templates")


@login_required
@require_POST
def template_delete_view(request, pk):
    _require_templates(request)
    template = get_or_404(selectors.template_get, user=request.user, pk=pk)
    services.template_delete(user=request.user, template=template)
    messages.success(request, _("Template removed."))
    return redirect("documents:templates")


@login_required
@require_POST
def company_pictures_view(request, pk):
    """Upload an own company's stamp and signature (the company settings page's form)."""
    _require_templates(request)
    company = own_company_list(user=request.user).filter(pk=pk).first()
    if company is None:
        raise Http404
    form = CompanyPicturesForm(request.POST, request.FILES)
    data = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    try:
        if data:
            own_company_update(user=request.user, company=company, data=data)
            messages.success(request, _("Stamp and signature saved."))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
    return redirect("web:settings_companies_edit", pk=pk)
