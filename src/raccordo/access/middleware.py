"""The signed-in user's own interface language wins over the browser's and the language cookie."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def preferred_language(user) -> str:
    """The language `user` chose in their profile, or "" (then the browser and the cookie decide)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    code = getattr(user, "language", "") or ""
    return code if code in dict(settings.LANGUAGES) else ""


class UserLanguageMiddleware:
    """Applies the user's preferred language after sign-in (it runs after AuthenticationMiddleware).

    LocaleMiddleware has already picked a language from the URL, the cookie or Accept-Language; a user who
    chose one in their profile gets theirs instead, on every page, whatever browser they sign in from.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = preferred_language(getattr(request, "user", None))
        if code and code != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
