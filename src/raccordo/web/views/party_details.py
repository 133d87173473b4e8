"""Addresses and bank accounts on a counterparty's card: added, corrected and removed by whoever may change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import can
from raccordo.core.errors import ApplicationError
from raccordo.parties import services
from raccordo.parties.models import Address, BankAccount
from raccordo.parties.selectors import counterparty_get

from ..forms_settings import AddressForm, BankAccountForm
from .base import apply_errors, get_or_404


def _changeable(request, pk):
    """The counterparty, if the user sees it (else 404) and may change it (else 403)."""
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    if not can(request.user, "change", counterparty):
        raise PermissionDenied
    return counterparty


def _card(counterparty) -> str:
    # Addresses and bank accounts are on the card's Overview tab (the card opens on its activity feed).
    return reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=overview#addresses"


@login_required
def counterparty_address_view(request, pk, address_pk=None):
    """Add an address to the card (no address_pk) or correct one."""
    counterparty = _changeable(request, pk)
    address = None
    if address_pk is not None:
        address = counterparty.addresses.filter(pk=address_pk).first()
        if address is None:
            raise Http404
    form = AddressForm(request.POST or None, instance=address or Address(country=counterparty.country or "RU"))
    if request.method == "POST" and form.is_valid():
        try:
            if address is None:
                services.address_add(user=request.user, counterparty=counterparty, data=form.service_data())
            else:
                services.address_update(user=request.user, address=address, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Address saved."))
            return redirect(_card(counterparty))
    return render(request, "web/counterparties/address_form.html",
                  {"form": form, "object": counterparty, "address": address})


@login_required
def counterparty_bank_account_view(request, pk, account_pk=None):
    """Add a bank account to the card (no account_pk) or change one."""
    counterparty = _changeable(request, pk)
    account = None
    if account_pk is not None:
        account = counterparty.bank_accounts.filter(pk=account_pk).first()
        if account is None:
            raise Http404
    form = BankAccountForm(request.POST or None, instance=account or BankAccount())
    if request.method == "POST" and form.is_valid():
        try:
            if account is None:
                services.bank_account_add(user=request.user, data={**form.service_data(), "counterparty": counterparty})
            else:
                services.bank_account_update(user=request.user, account=account, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Bank account saved."))
            return redirect(_card(counterparty))
    return render(request, "web/settings/bank_account.html", {
        "form": form, "account": account, "owner": counterparty, "back": _card(counterparty)})


@login_required
@require_POST
def counterparty_address_delete_view(request, pk, address_pk):
    return _detail_delete(request, pk, "addresses", address_pk,
                          lambda address: services.address_delete(user=request.user, address=address),
                          _("Address removed."))


@login_required
@require_POST
def counterparty_bank_account_delete_view(request, pk, account_pk):
    return _detail_delete(request, pk, "bank_accounts", account_pk,
                          lambda account: services.bank_account_delete(user=request.user, account=account),
                          _("Bank account removed."))


def _detail_delete(request, pk, related: str, detail_pk, delete, done: str):
    """Remove one of a counterparty's addresses or bank accounts (`related`), for whoever may change it."""
    counterparty = _changeable(request, pk)
    detail = getattr(counterparty, related).filter(pk=detail_pk).first()
    if detail is None:
        raise Http404
    delete(detail)
    messages.success(request, done)
    return redirect(_card(counterparty))
