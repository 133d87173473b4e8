"""The sign-in forms (web and Django admin) with the shared sign-in limit, and the password forms."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from . import throttle


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


class PasswordResetByAdminForm(SetPasswordForm):
    """An administrator sets a new password for a user (Django's validators apply)."""
