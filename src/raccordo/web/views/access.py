"""The user's API tokens and password, the administrators' audit view of the change journal and password resets,
handing a leaver's clients over, the sign-in and password-reset pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.access import services
from raccordo.access.forms import OwnPasswordChangeForm, ThrottledAuthenticationForm, UserPasswordSetForm
from raccordo.access.history import journal_content_types, journal_list, name_now
from raccordo.access.models import TokenScope
from raccordo.access.policy import allows, assignable_users, is_admin
from raccordo.core.errors import ApplicationError
from raccordo.core.models import Origin

from .base import ListPage, error_text


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for."))
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires in"), coerce=int, initial=90,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))])


@login_required
def token_list_view(request):
    """The user's personal API tokens; a new token's value is shown once, right after it is made."""
    form = TokenForm(request.POST or None)
    plain = None
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = services.api_token_create(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Token “%(name)s” created. Copy it now: it is not shown again.")
                             % {"name": token.name})
            form = TokenForm()
    return render(request, "web/access/tokens.html", {
        "form": form, "plain_token": plain, "tokens": services.api_token_list(user=request.user)})


@login_required
@require_POST
def token_revoke_view(request, pk):
    token = services.api_token_list(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("web:token_list")


@login_required
def audit_view(request):
    """Every change to every record, with filters (administrators only; others get a 404)."""
    if not allows(request.user, "view", "audit"):
        raise Http404
    page = ListPage(request, sorts={"seq": "seq"}, default_sort="-seq")
    keys = ("user", "content_type", "origin", "date_from", "date_to")
    filters = {k: request.GET.get(k, "").strip() for k in keys}
    filters["q"] = page.q
    qs = journal_list(user=request.user, filters=filters)
    return page.render(qs, template="web/access/audit.html", partial="web/access/_audit_table.html",
                       prepare=name_now, context={
        "users": get_user_model().objects.order_by("last_name", "first_name", "username"),
        "content_types": journal_content_types(), "origins": Origin.choices, "filters": filters})


class ReassignForm(forms.Form):
    from_user = forms.ModelChoiceField(label=_("Clients of"), queryset=None,
                                       help_text=_("Usually the person who is leaving."))
    to_user = forms.ModelChoiceField(label=_("Hand over to"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        reach = assignable_users(user)
        self.fields["from_user"].queryset = get_user_model().objects.filter(pk__in=reach.values("pk")) \
            if not is_admin(user) else get_user_model().objects.all()
        self.fields["to_user"].queryset = reach

    def clean(self):
        data = super().clean()
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            raise forms.ValidationError(_("Choose two different people."))
        return data


@login_required
def reassign_view(request):
    """Hand all of one manager's clients, open deals and open tasks to another (administrators, heads)."""
    if not (is_admin(request.user) or assignable_users(request.user).exclude(pk=request.user.pk).exists()):
        raise Http404
    form = ReassignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            counts = services.clients_reassign(user=request.user, from_user=form.cleaned_data["from_user"],
                                               to_user=form.cleaned_data["to_user"])
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Handed over: %(counterparties)s counterparties, %(deals)s open deals, "
                                        "%(tasks)s open tasks.") % counts)
            return redirect("web:reassign")
    return render(request, "web/access/reassign.html", {"form": form})



# --- passwords (finding H1) ----------------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password here (user menu); they stay signed in afterwards."""

    form_class = OwnPasswordChangeForm
    template_name = "web/access/password_change.html"
    success_url = reverse_lazy("web:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def user_password_view(request):
    """An administrator gives a colleague a new password (journaled); others get a 404."""
    if not is_admin(request.user):
        raise Http404
    # ?target= comes from a user's settings page ("Set a password"): that colleague is preselected.
    form = UserPasswordSetForm(request.POST or None, user=request.user,
                               initial={"target": request.GET.get("target") or None})
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.user_password_set(user=request.user, target=target, password=form.cleaned_data["new_password1"])
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("%(user)s has a new password. Give it to them in person.") % {"user": target})
            return redirect("web:user_password")
    return render(request, "web/access/user_password.html", {"form": form})


def _reset_by_email_only(view):
    """The password reset pages exist only when outgoing e-mail is configured (EMAIL_HOST / EMAIL_BACKEND)."""
    def wrapped(request, *args, **kwargs):
        if not settings.EMAIL_CONFIGURED:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapped


password_reset_view = _reset_by_email_only(auth_views.PasswordResetView.as_view(
    template_name="web/access/password_reset_form.html", email_template_name="web/access/password_reset_email.txt",
    subject_template_name="web/access/password_reset_subject.txt", success_url=reverse_lazy("password_reset_done")))
password_reset_done_view = _reset_by_email_only(auth_views.PasswordResetDoneView.as_view(
    template_name="web/access/password_reset_done.html"))
password_reset_confirm_view = _reset_by_email_only(auth_views.PasswordResetConfirmView.as_view(
    template_name="web/access/password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete")))
password_reset_complete_view = _reset_by_email_only(auth_views.PasswordResetCompleteView.as_view(
    template_name="web/access/password_reset_complete.html"))


class LoginView(auth_views.LoginView):
    """The sign-in page; it offers the password reset only when e-mail is configured."""

    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "password_reset": settings.EMAIL_CONFIGURED}
