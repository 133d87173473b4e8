"""The EnterpriseData node's own forms on its page (administrators only, as every node page): the peer's codes,
prefix and versions, and the upload of the settings file 1C saves for "another program". Thin: the services
in `setup` decide; these redirect back to the node page with what happened."""

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

from . import setup
from .connection_settings import MAX_SIZE


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
        labels = {name: str(field.label) for name, field in PeerForm.base_fields.items()}
        for field, msgs in exc.extra["errors"].items():
            for msg in msgs:
                messages.error(request, f"{labels.get(field, field)}: {msg}")
    else:
        messages.success(request, _("The EnterpriseData settings are saved."))
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
        if settings.folder and settings.folder != node.path:
            messages.info(request, _("1C's folder is %(theirs)s; Raccordo reads %(ours)s. They must be the same "
                                     "folder (a share may have two names).") % {"theirs": settings.folder,
                                                                                "ours": node.path})
    return redirect(_back(node))
