"""The sign-in form with login throttling."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from . import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing a username+address pair after repeated failures (access.throttle)."""

    error_messages = {**AuthenticationForm.error_messages, "locked": throttle.LOCKED_MESSAGE}

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        if throttle.login_locked(username, ip):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.login_failed(username, ip)
            raise
        throttle.login_succeeded(username, ip)
        return cleaned
