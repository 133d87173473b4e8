"""Who is asking: the exchange login of a node, checked with throttling and the same cost for unknown logins."""

from __future__ import annotations

import base64
import binascii
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.utils.translation import gettext as _

from raccordo.access import throttle
from raccordo.exchange.models import ExchangeNode

from .protocol import ProtocolError


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(login, password) of an `Authorization: Basic ...` header; 1C encodes them as UTF-8 (old ones: cp1251)."""
    scheme, _sep, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251", errors="replace")
    login, sep, password = text.partition(":")
    return (login, password) if sep else None


_DUMMY_HASH: list[str] = []


def _dummy_check(password: str) -> None:
    """Hash the password against a throw-away hash, so an unknown login costs as long as a known one (M5)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(secrets.token_urlsafe(16)))
    check_password(password, _DUMMY_HASH[0])


def node_authenticate(*, login: str, password: str, remote_addr: str | None) -> ExchangeNode:
    """The node whose exchange credentials these are (one node = one 1C base), or ProtocolError.

    The attempt is counted before the password is checked, in the store all server processes share
    (access.throttle), so parallel guesses cannot get past the limit; unknown logins are hashed too.
    """
    try:
        with throttle.attempt(kind=throttle.ONEC, login=login[:150], ip=remote_addr or ""):
            node = ExchangeNode.objects.filter(login=login, is_active=True).first() if login else None
            if node is None or not node.password_hash:
                _dummy_check(password)
                raise ProtocolError(_("Wrong login or password."), auth_failed=True)
            if not node.check_password(password):
                raise ProtocolError(_("Wrong login or password."), auth_failed=True)
    except throttle.SignInLocked:
        raise ProtocolError(_("Too many wrong passwords from this address: try again in a few minutes."),
                            auth_failed=True) from None
    return node
