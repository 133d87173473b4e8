"""The sign-in forms (web and Django admin) with the shared sign-in limit, and the password forms."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .services import user_password_set


class _Limited:
    """Counts the attempt before the password is checked (access.throttle), refusing it beyond the limit."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()   # nothing is checked, so nothing to count
        try:
            with throttle.attempt(kind=throttle.USER, login=username, ip=throttle.client_ip(self.request)):
                return super().clean()
        except throttle.SignInLocked:
            raise forms.ValidationError(self.error_messages["locked"], code="locked") from None


class ThrottledAuthenticationForm(_Limited, AuthenticationForm):
    """Django's sign-in form under the shared sign-in limit (web login at /login/)."""

    error_messages = {**AuthenticationForm.error_messages, "locked": throttle.LOCKED_MESSAGE}


class ThrottledAdminAuthenticationForm(_Limited, AdminAuthenticationForm):
    """The Django admin's sign-in form under the same limit: /admin/login/ counts with /login/ (finding M4)."""

    error_messages = {**AdminAuthenticationForm.error_messages, "locked": throttle.LOCKED_MESSAGE}


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's change-your-password form (old password, new one twice), saved through the access service."""

    def save(self, commit: bool = True):

        # request.user is a lazy wrapper the journal cannot name; the view keeps the session with form.user.
        me = get_user_model()._default_manager.get(pk=self.user.pk)
        self.user = user_password_set(user=me, target=me, password=self.cleaned_data["new_password1"])
        return self.user


class UserPasswordSetForm(forms.Form):
    """An administrator picks a colleague and gives them a new password (twice, validated)."""

    target = forms.ModelChoiceField(label=_("User"), queryset=None)
    new_password1 = forms.CharField(label=_("New password"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=password_validation.password_validators_help_text_html())
    new_password2 = forms.CharField(label=_("New password confirmation"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = get_user_model().objects.exclude(pk=user.pk).order_by(
            "last_name", "first_name", "username")

    def clean(self):
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            raise forms.ValidationError(_("The two password fields didn’t match."), code="password_mismatch")
        if one and data.get("target"):
            try:
                password_validation.validate_password(one, data["target"])
            except forms.ValidationError as exc:
                self.add_error("new_password2", exc)
        return data
