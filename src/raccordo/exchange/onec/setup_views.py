"""Setting up a node (administrators only): the wizard, what to type into 1C, waiting for 1C's first checkauth,
a new exchange password, and the check of a folder node's folder. Thin: the services decide, these render."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from raccordo.access.policy import is_admin, visible
from raccordo.exchange import nodes, scheduling
from raccordo.exchange.enterprisedata import setup as ed_setup
from raccordo.exchange.enterprisedata.views import PeerForm, TransportForm, transport_form
from raccordo.exchange.models import HTTP_KINDS, ExchangeNode, NodeKind

from . import selectors

BITRIX_ALIAS = "/bitrix/admin/1c_exchange.php"

# What each kind of peer is, for the wizard's first step.
KIND_CARDS = [
    {"kind": NodeKind.ONEC_HTTP, "icon": "bi-hdd-network", "title": gettext_lazy("1C via site exchange"),
     "text": gettext_lazy("1C:Trade Management, Accounting, UNF… send the catalog and take orders over HTTP "
                          "(“Exchange with a website”). Raccordo gives you the address, login and password.")},
    {"kind": NodeKind.FOLDER, "icon": "bi-folder2-open", "title": gettext_lazy("A folder of files"),
     "text": gettext_lazy("CommerceML files 1C (or another system) leaves in a folder on this server; orders are "
                          "written back to it.")},
    {"kind": NodeKind.TABULAR, "icon": "bi-file-earmark-spreadsheet", "title": gettext_lazy("CSV / XLSX files"),
     "text": gettext_lazy("Counterparties, contact persons and products from spreadsheets, with a column "
                          "mapping and duplicate detection.")},
    {"kind": NodeKind.ZUP_HR, "icon": "bi-people", "title": gettext_lazy("1C:ZUP staff (HR)"),
     "text": gettext_lazy("1C:Salary and HR Management sends departments, employees, absences and vacancies, "
                          "as it does to a Bitrix24 portal. Raccordo gives you the addresses, login and password.")},
    {"kind": NodeKind.ENTERPRISEDATA, "icon": "bi-journal-arrow-up", "title": gettext_lazy("1C accounting (EnterpriseData)"),
     "text": gettext_lazy("1C:Accounting 3.0, Trade Management 11, UNF… exchange counterparties, contracts, invoices, "
                          "sales and payments in 1C's universal format through a shared folder.")},
]


def _admin_only(request) -> None:
    if not is_admin(request.user):
        raise Http404


def _node(request, pk) -> ExchangeNode:
    _admin_only(request)
    return get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)


class NodeForm(forms.Form):
    """The wizard's second step; the service checks everything, the form only carries it."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=150, required=False,
                           help_text=gettext_lazy("Such as the 1C base it stands for: “Trade 11, Moscow”."))
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64, required=False,
                           help_text=gettext_lazy("Latin letters, digits and hyphens; suggested from the name, "
                                                  "used in file names and on the command line."))
    path = forms.CharField(label=gettext_lazy("Folder on the server"), max_length=500, required=False,
                           help_text=gettext_lazy("The full path; the server process must be able to read and "
                                                  "write it."))


class EnterpriseDataNodeForm(NodeForm, PeerForm, TransportForm):
    """The wizard's second step for an EnterpriseData node: name, folder, both sides' codes, the transport."""


def _password_key(node) -> str:
    return f"onec-password-{node.pk}"


def _since_key(node) -> str:
    return f"onec-since-{node.pk}"


PASSWORD_COOKIE_SECONDS = 600


def _password_cookie(node) -> str:
    return f"onec_pw_{node.pk.hex if hasattr(node.pk, 'hex') else node.pk}"


def _hand_over_password(request, response, node, password: str):
    """Carry a new password to the connection page, which shows it once; the database holds only its hash.

    Split in two halves that each say nothing alone: a random pad in the session (the database) and the
    password XOR the pad in a short-lived HttpOnly cookie (the administrator's browser). Neither a copy of
    the sessions table nor the cookie gives the password away (security finding L6).
    """
    raw = password.encode()
    pad = secrets.token_bytes(len(raw))
    request.session[_password_key(node)] = base64.b64encode(pad).decode()
    request.session[_since_key(node)] = timezone.now().timestamp()
    sealed = base64.urlsafe_b64encode(bytes(a ^ b for a, b in zip(raw, pad, strict=True))).decode()
    response.set_signed_cookie(_password_cookie(node), sealed, salt="onec-password", max_age=PASSWORD_COOKIE_SECONDS,
                               httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Strict",
                               path=reverse("onec:node_connect", args=[node.pk]))
    return response


def _take_password(request, node) -> str | None:
    """The password handed over for this node, once: both halves are gone afterwards."""
    pad = request.session.pop(_password_key(node), None)
    sealed = request.get_signed_cookie(_password_cookie(node), default=None, salt="onec-password",
                                       max_age=PASSWORD_COOKIE_SECONDS)
    if not pad or not sealed:
        return None
    try:
        pad_bytes, sealed_bytes = base64.b64decode(pad), base64.urlsafe_b64decode(sealed)
    except (ValueError, TypeError):
        return None
    if len(pad_bytes) != len(sealed_bytes):
        return None
    return bytes(a ^ b for a, b in zip(sealed_bytes, pad_bytes, strict=True)).decode("utf-8", "replace")


@login_required
def node_create(request):
    """The node wizard: choose the peer, then name it (and its folder); a 1C node goes on to its connection page."""
    _admin_only(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    if kind not in NodeKind.values:
        return render(request, "onec/node_wizard.html", {"step": 1, "cards": KIND_CARDS})
    card = next(c for c in KIND_CARDS if c["kind"] == kind)
    form = (EnterpriseDataNodeForm if kind == NodeKind.ENTERPRISEDATA else NodeForm)(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            node, password = _node_save(request, kind, form.cleaned_data)
        except nodes.NodeInvalid as exc:
            if not form.cleaned_data["code"].strip() and form.cleaned_data["name"].strip() and "code" not in \
                    exc.extra["errors"]:
                # Left empty: show the code it would get, so the person sees it before saving again.
                form.data = form.data.copy()  # type: ignore[attr-defined]  # a bound form's data is a QueryDict
                form.data["code"] = nodes.node_code_suggest(form.cleaned_data["name"])  # type: ignore[index]
            for field, msgs in exc.extra["errors"].items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
            status = 422
        else:
            if kind in HTTP_KINDS:
                return _hand_over_password(request, redirect("onec:node_connect", pk=node.pk), node, password)
            if kind == NodeKind.ENTERPRISEDATA:
                messages.success(request, _("The node %(node)s is ready: now set up the synchronisation in 1C as "
                                            "this page says.") % {"node": node.code})
                return redirect(reverse("onec:node_detail", args=[node.pk]) + "#enterprisedata")
            if kind == NodeKind.FOLDER:
                messages.success(request, _("The node %(node)s is ready: the server can read and write its folder.")
                                 % {"node": node.code})
            else:
                messages.success(request, _("The node %(node)s is ready: import a file into it.") % {"node": node.code})
            return redirect("onec:node_detail", pk=node.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "onec/node_wizard.html", {"step": 2, "kind": kind, "card": card, "form": form,
                                                     "suggest_url": reverse("onec:node_code_suggest")},
                  status=status)


def _node_save(request, kind: str, data: dict) -> tuple[ExchangeNode, str]:
    """The wizard's save through the service of the kind (an EnterpriseData node also gets its codes)."""
    if kind == NodeKind.ENTERPRISEDATA:
        transport = {k: v for k, v in data.items() if k in TransportForm.base_fields}
        rest = {k: v for k, v in data.items() if k not in TransportForm.base_fields}
        return ed_setup.enterprisedata_node_setup(user=request.user, transport=transport, **rest), ""
    return nodes.node_setup(user=request.user, kind=kind, **data)


@login_required
def node_code_suggest(request):
    """A free code for the name being typed (the wizard fills the code field with it)."""
    _admin_only(request)
    name = request.GET.get("name", "")[:150]
    return JsonResponse({"code": nodes.node_code_suggest(name) if name.strip() else ""})


def _since(request, node) -> dt.datetime | None:
    raw = request.GET.get("since") or request.session.get(_since_key(node))
    try:
        return dt.datetime.fromtimestamp(float(raw), tz=dt.UTC) if raw else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _status_context(request, node, since) -> dict:
    poll = reverse("onec:node_checkauth", args=[node.pk])
    if since is not None:
        poll += f"?since={since.timestamp():.6f}"
    return {"node": node, "status": selectors.checkauth_status(user=request.user, node=node, since=since),
            "poll_url": poll}


@never_cache   # the page carries the password once: no copy of it in a cache
@login_required
def node_connect(request, pk):
    """What to type into 1C: the exchange address, login and password (shown once), and 1C's first checkauth."""
    node = _node(request, pk)
    if node.kind not in HTTP_KINDS:
        return redirect("onec:node_detail", pk=node.pk)
    password = _take_password(request, node)
    context = {"node": node, "password": password,
               "endpoint_url": request.build_absolute_uri(reverse("onec:endpoint")),
               "alias_url": request.build_absolute_uri(BITRIX_ALIAS),
               "hr_urls": _hr_urls(request) if node.kind == NodeKind.ZUP_HR else None,
               **_status_context(request, node, _since(request, node))}
    response = render(request, "onec/node_connect.html", context)
    response.delete_cookie(_password_cookie(node), path=reverse("onec:node_connect", args=[node.pk]))
    return response


def _hr_urls(request) -> dict[str, str]:
    """The addresses a 1C:ZUP base is given: Bitrix's two (HR-XML, company.xml) and Raccordo's own beside them."""
    return {name: request.build_absolute_uri(reverse(f"staff_{name}"))
            for name in ("hrxml_bitrix", "hrxml", "company_bitrix", "company")}


@login_required
def node_checkauth(request, pk):
    """The status panel the connection page polls: waiting, refused (with the reason) or connected."""
    node = _node(request, pk)
    return render(request, "onec/_checkauth_status.html", _status_context(request, node, _since(request, node)))


@login_required
@require_POST
def node_password(request, pk):
    """Generate a new exchange password and show it once on the connection page."""
    node = _node(request, pk)
    try:
        password = nodes.node_password_reset(user=request.user, node=node)
    except nodes.NodeInvalid as exc:
        messages.error(request, exc.message)
        return redirect("onec:node_detail", pk=node.pk)
    node.refresh_from_db()
    messages.success(request, _("A new exchange password is generated: type it into 1C; the old one no longer "
                                "works."))
    return _hand_over_password(request, redirect("onec:node_connect", pk=node.pk), node, password)


@login_required
@require_POST
def node_folder_check(request, pk):
    """Check a folder node's folder again (and move the node to another folder when a new path is given)."""
    node = _node(request, pk)
    path = request.POST.get("path", node.path)
    try:
        node = nodes.node_folder_set(user=request.user, node=node, path=path)
    except nodes.NodeInvalid as exc:
        for msg in exc.extra.get("errors", {}).get("path", [exc.message]):
            messages.error(request, msg)
    else:
        messages.success(request, _("The server can read and write the folder %(path)s.") % {"path": node.path})
    return redirect(reverse("onec:node_detail", args=[node.pk]) + "#connection")


def node_page_context(request, node) -> dict:
    """What the node page's connection and task sections show beyond the node itself."""
    context: dict[str, Any] = {
        "folder_problems": (nodes.folder_problems(node.path)
                            if node.kind in (NodeKind.FOLDER, NodeKind.ENTERPRISEDATA) else []),
        "uses_folder": node.kind in (NodeKind.FOLDER, NodeKind.ENTERPRISEDATA),
        "checkauth": (selectors.checkauth_status(user=request.user, node=node)
                      if node.kind == NodeKind.ONEC_HTTP else None),
        "tabular_url": (reverse("exchange:tabular_upload") + f"?node={node.code}"
                        if node.kind == NodeKind.TABULAR else "")}
    if node.kind == NodeKind.ENTERPRISEDATA:
        overview = ed_setup.peer_overview(node)
        peer = overview["peer"]
        context["ed"] = overview
        context["ed_form"] = PeerForm(initial={"our_code": peer.our_code, "peer_code": peer.peer_code,
                                               "prefix": peer.prefix, "versions": peer.versions} if peer else None)
        context["ed_transport_form"] = transport_form(peer)
        # An EnterpriseData node over FTP or the web service has no folder to check.
        context["uses_folder"] = peer is None or peer.transport == "folder"
    lock = scheduling.node_busy(node)
    now = timezone.now()
    rows = []
    for task in node.tasks.all().prefetch_related("allowed_users"):
        try:
            upcoming = scheduling.cron_next(task.cron, after=now, count=1) if task.cron else []
        except ValueError:
            upcoming = []
        rows.append({"task": task, "next": upcoming[0] if upcoming else None,
                     "steps": scheduling.step_labels(task.steps),
                     "last": task.runs.order_by("-started_at").first(),
                     "running": lock is not None and lock.task_id == task.pk})
    context.update({"task_rows": rows, "node_lock": lock})
    return context
