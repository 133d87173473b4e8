"""The EnterpriseData node's own forms on its page (administrators only, as every node page): the peer's codes,
prefix and versions, where messages travel (folder, FTP, 1C's web service) with a connection test, and the upload
of the settings file 1C saves for "another program". Thin: the services in `setup` and `services` decide; these
redirect back to the node page with what happened."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from raccordo.access.policy import is_admin, visible
from raccordo.core.errors import ApplicationError
from raccordo.exchange.formats.enterprisedata.counterparties import VERSIONS
from raccordo.exchange.models import ExchangeNode, NodeKind
from raccordo.exchange.nodes import NodeInvalid

from . import services, setup
from .connection_settings import MAX_SIZE
from .models import Transport


class PeerForm(forms.Form):
    """The codes both sides go by, our prefix and the versions we accept (the wizard's and the node page's)."""

    our_code = forms.CharField(label=gettext_lazy("Our code (the code 1C gives Raccordo)"), max_length=64,
                               required=False, help_text=gettext_lazy(
                                   "1C writes it as the recipient of its messages: Message_<1C's code>_<our code>.xml."))
    peer_code = forms.CharField(label=gettext_lazy("1C's code"), max_length=64, required=False,
                                help_text=gettext_lazy("The code of 1C's own node: the sender of its messages."))
    prefix = forms.CharField(label=gettext_lazy("Prefix"), max_length=8, required=False, initial="RC",  # type: ignore[assignment]  # the metaclass takes fields out of the class: Form.prefix stays None
                             help_text=gettext_lazy("Raccordo's infobase prefix, two characters as in 1C."))
    versions = forms.MultipleChoiceField(label=gettext_lazy("Format versions"), required=False,
                                         choices=[(v, v) for v in VERSIONS], initial=list(VERSIONS),
                                         widget=forms.CheckboxSelectMultiple)


_PASSWORD_ENV_HELP = gettext_lazy("Passwords are not typed into pages: name an environment variable of the Raccordo "
                                   "server that holds it (as the command line's --ftp-password-env). Left empty: the "
                                   "stored password is kept.")


class TransportForm(forms.Form):
    """Where messages travel: the node's folder, an FTP directory or 1C's web service (the CLI's setup options)."""

    transport = forms.ChoiceField(label=gettext_lazy("Messages travel through"), choices=Transport.choices,
                                  required=False, initial=Transport.FOLDER)
    compress = forms.BooleanField(label=gettext_lazy("Zip our messages (1C's «Сжимать отправляемые данные в архив»)"),
                                  required=False)
    ftp_host = forms.CharField(label=gettext_lazy("FTP server"), max_length=255, required=False)
    ftp_port = forms.IntegerField(label=gettext_lazy("Port"), required=False, initial=21)
    ftp_user = forms.CharField(label=gettext_lazy("FTP user"), max_length=150, required=False)
    ftp_password_env = forms.CharField(label=gettext_lazy("Environment variable with the FTP password"),
                                       max_length=128, required=False, help_text=_PASSWORD_ENV_HELP)
    ftp_dir = forms.CharField(label=gettext_lazy("Directory on the server"), max_length=500, required=False)
    ftp_tls = forms.BooleanField(label=gettext_lazy("FTPS: explicit TLS (passive mode is always used)"),
                                 required=False)
    ws_url = forms.CharField(label=gettext_lazy("1C's web publication"), max_length=500, required=False,
                             help_text=gettext_lazy("E.g. https://1c.example.com/bp: the service's address "
                                                    "…/ws/EnterpriseDataExchange_1_0_1_1.1cws is added."))
    ws_user = forms.CharField(label=gettext_lazy("1C user"), max_length=150, required=False)
    ws_password_env = forms.CharField(label=gettext_lazy("Environment variable with the 1C user's password"),
                                      max_length=128, required=False, help_text=_PASSWORD_ENV_HELP)


def transport_form(peer) -> TransportForm:
    """The form as the node page shows it, filled from the peer (never with a password)."""
    if peer is None:
        return TransportForm()
    return TransportForm(initial={
        "transport": peer.transport, "compress": peer.compress, "ftp_host": peer.ftp_host, "ftp_port": peer.ftp_port,
        "ftp_user": peer.ftp_user, "ftp_dir": peer.ftp_dir, "ftp_tls": peer.ftp_tls, "ws_url": peer.ws_url,
        "ws_user": peer.ws_user})


def _node(request, pk) -> ExchangeNode:
    if not is_admin(request.user):
        raise Http404
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)
    if node.kind != NodeKind.ENTERPRISEDATA:
        raise Http404
    return node


def _back(node) -> str:
    return reverse("onec:node_detail", args=[node.pk]) + "#enterprisedata"


@login_required
@require_POST
def peer_save(request, pk):
    """Change the node's codes, prefix or versions; each problem is shown by its field on the node page."""
    node = _node(request, pk)
    form = PeerForm(request.POST)
    form.is_valid()   # every field is optional here: the service says what is missing
    data = {k: form.cleaned_data.get(k) or "" for k in ("our_code", "peer_code", "prefix")}
    try:
        setup.peer_change(user=request.user, node=node, versions=list(form.cleaned_data.get("versions") or []),
                          **data)
    except NodeInvalid as exc:
        _form_errors(request, PeerForm, exc)
    else:
        messages.success(request, _("The EnterpriseData settings are saved."))
    return redirect(_back(node))


def _form_errors(request, form_class, exc: NodeInvalid) -> None:
    labels = {name: str(field.label) for name, field in form_class.base_fields.items()}
    for field, msgs in exc.extra["errors"].items():
        for msg in msgs:
            messages.error(request, f"{labels.get(field, field)}: {msg}")


@login_required
@require_POST
def transport_save(request, pk):
    """Change where the node's messages travel; each problem is shown by its field's label on the node page."""
    node = _node(request, pk)
    form = TransportForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")
        return redirect(_back(node))
    try:
        setup.transport_change(user=request.user, node=node, data=form.cleaned_data)
    except NodeInvalid as exc:
        _form_errors(request, TransportForm, exc)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Messages now travel through %(where)s.") % {
            "where": services.transport_where(node, node.enterprisedata)})
    return redirect(_back(node))


@login_required
@require_POST
def transport_test(request, pk):
    """Open the node's transport and close it (an FTP login, 1C's Ping and TestConnection); nothing is exchanged."""
    node = _node(request, pk)
    try:
        where = services.transport_check(node=node)
    except ApplicationError as exc:
        messages.error(request, _("The connection does not work: %(problem)s") % {"problem": exc.message})
    else:
        messages.success(request, _("The connection works: %(where)s answers.") % {"where": where})
    return redirect(_back(node))


@login_required
@require_POST
def settings_upload(request, pk):
    """Read the file 1C saved with «Получить настройки синхронизации для другой программы» into the node."""
    node = _node(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the file 1C saved (Настройки подключения.xml or .json)."))
        return redirect(_back(node))
    if upload.size > MAX_SIZE:
        messages.error(request, _("%(file)s has %(size)d bytes; 1C's settings file is far below %(max)d.") % {
            "file": upload.name, "size": upload.size, "max": MAX_SIZE})
        return redirect(_back(node))
    try:
        peer, settings = setup.peer_settings_file_apply(user=request.user, node=node, data=upload.read(),
                                                        name=upload.name)
    except ApplicationError as exc:
        messages.error(request, _("Nothing was changed: %(problem)s") % {"problem": exc.message})
    else:
        messages.success(request, _("Read from %(file)s: our code %(ours)s, 1C's code %(theirs)s, prefix %(prefix)s, "
                                    "versions %(versions)s.") % {
            "file": upload.name, "ours": peer.our_code, "theirs": peer.peer_code, "prefix": peer.prefix or "—",
            "versions": ", ".join(peer.versions)})
        if settings.folder and peer.transport == Transport.FOLDER and settings.folder != node.path:
            messages.info(request, _("1C's folder is %(theirs)s; Raccordo reads %(ours)s. They must be the same "
                                     "folder (a share may have two names).") % {"theirs": settings.folder,
                                                                                "ours": node.path})
    return redirect(_back(node))
