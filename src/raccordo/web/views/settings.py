"""The Settings section: administrators keep users, roles, funnels, companies and reference data here, in the
app's own pages (the Django admin is not needed for daily work); everyone keeps their own profile and language.

Who reaches a settings page is access.policy.may_configure; everyone else gets a 404, as for the audit log.
Every write goes through the section's service (web.settings_sections), so it is validated and journaled.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from raccordo.access import services as access_services
from raccordo.access.policy import may_configure
from raccordo.comms.models import MessageTemplate
from raccordo.comms.rendering import VARIABLES
from raccordo.core.errors import ApplicationError
from raccordo.core.outgoing_mail import mail_state
from raccordo.parties import services as parties_services
from raccordo.parties.models import BankAccount

from ..forms_settings import BankAccountForm, ProfileForm
from ..settings_sections import SECTIONS, Section
from .base import apply_errors, safe_next


def _require_configure(request) -> None:
    if not may_configure(request.user):
        raise Http404


def _section(key: str) -> Section:
    section = SECTIONS.get(key)
    if section is None:
        raise Http404
    return section


@login_required
def settings_index_view(request):
    """The settings overview: one card per section, e-mail and the profile."""
    _require_configure(request)
    return render(request, "web/settings/index.html", {"sections": SECTIONS.values(), "mail": mail_state()})


@login_required
def settings_list_view(request, key: str):
    """The records of one section, each linking to its form."""
    _require_configure(request)
    section = _section(key)
    rows = [(obj, [fn(obj) for _label, fn in section.columns]) for obj in section.queryset(request.user)]
    return render(request, "web/settings/list.html", {
        "section": section, "rows": rows, "headers": [label for label, _fn in section.columns]})


def _form_initial(request, section: Section) -> dict:
    """Initial values from the query string for a new record (a stage for ?funnel=...)."""
    return {name: request.GET[name] for name in ("funnel",) if name in request.GET and name in section.form.base_fields}


@login_required
def settings_form_view(request, key: str, pk=None):
    """Create (no pk) or edit one record of a section through its services; errors next to the fields."""
    _require_configure(request)
    section = _section(key)
    obj = None
    if pk is not None:
        obj = section.queryset(request.user).filter(pk=pk).first()
        if obj is None:
            raise Http404
    form = section.form(request.POST or None, instance=obj or section.model(),
                        initial=None if obj else _form_initial(request, section))
    if request.method == "POST" and form.is_valid():
        try:
            if obj is None:
                saved = section.create(user=request.user, data=form.service_data(), form=form)
            else:
                saved = section.update(user=request.user, obj=obj, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved})
            return redirect(safe_next(request, reverse(f"web:settings_{section.key}")))
    return render(request, "web/settings/form.html", {
        "section": section, "form": form, "object": obj, "next": safe_next(request),
        "template_variables": VARIABLES if section.model is MessageTemplate else None})


# --- An own company's bank accounts ----------------------------------------------------------------------------

@login_required
def company_account_view(request, company_pk, pk=None):
    """Add or change a bank account of one of our own companies."""
    _require_configure(request)
    company = _section("companies").queryset(request.user).filter(pk=company_pk).first()
    account = BankAccount.objects.filter(own_company=company, pk=pk).first() if pk and company else None
    if company is None or (pk is not None and account is None):
        raise Http404
    form = BankAccountForm(request.POST or None, instance=account or BankAccount())
    if request.method == "POST" and form.is_valid():
        try:
            if account is None:
                parties_services.bank_account_add(user=request.user, data={**form.service_data(),
                                                                           "own_company": company})
            else:
                parties_services.bank_account_update(user=request.user, account=account, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Bank account saved."))
            return redirect("web:settings_companies_edit", pk=company.pk)
    return render(request, "web/settings/bank_account.html", {"form": form, "company": company, "account": account})


@login_required
@require_POST
def company_account_delete_view(request, company_pk, pk):
    _require_configure(request)
    account = BankAccount.objects.filter(own_company_id=company_pk, pk=pk).first()
    if account is None:
        raise Http404
    parties_services.bank_account_delete(user=request.user, account=account)
    messages.success(request, _("Bank account removed."))
    return redirect("web:settings_companies_edit", pk=company_pk)


# --- E-mail ----------------------------------------------------------------------------------------------------

@login_required
def settings_email_view(request):
    """What outgoing e-mail is set up to do (never the password) and how to set it."""
    _require_configure(request)
    return render(request, "web/settings/email.html", {"mail": mail_state()})


# --- Everyone's own profile and language -----------------------------------------------------------------------

def _remember_language(response, code: str):
    """The cookie follows the profile, so the sign-in page speaks the same language next time."""
    response.set_cookie(django_settings.LANGUAGE_COOKIE_NAME, code or "", max_age=365 * 24 * 3600,
                        samesite="Lax", secure=django_settings.LANGUAGE_COOKIE_SECURE)
    return response


@login_required
def profile_view(request):
    """A user's own name, contacts and interface language (the one they then get on every page)."""
    me = get_user_model().objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=me)
    if request.method == "POST" and form.is_valid():
        try:
            me = access_services.user_update(user=me, target=me, data=form.service_data())
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            if me.language:
                translation.activate(me.language)
            messages.success(request, _("Your profile is saved."))
            return _remember_language(redirect("web:profile"), me.language)
    return render(request, "web/settings/profile.html", {"form": form})


@require_POST
def language_view(request):
    """The top bar's language switch: for a signed-in user it is their preference, kept in the profile;
    for anyone else (an error page's top bar) the cookie alone, as Django's set_language does."""
    code = request.POST.get("language", "")
    if code not in dict(django_settings.LANGUAGES):
        code = ""
    if request.user.is_authenticated:
        me = get_user_model().objects.get(pk=request.user.pk)
        if code != me.language:
            access_services.user_update(user=me, target=me, data={"language": code})
    return _remember_language(HttpResponseRedirect(safe_next(request, "web:dashboard")), code)
