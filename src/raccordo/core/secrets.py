"""Secrets kept encrypted at rest: mailbox passwords, PBX and SMS provider keys, webhook secrets.

Raccordo must send these to the other side (an IMAP server, a PBX, an SMS gateway), so it cannot keep only a
hash as it does for the 1C exchange password: it keeps them encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from `cryptography`). The key is RACCORDO_SECRETS_KEY when set (a Fernet key: 32 url-safe base64 bytes; give
several, comma-separated, newest first, to rotate), otherwise derived from SECRET_KEY with HKDF, so a stolen
database dump alone does not reveal a password. Losing the key loses the secrets, not the records: a value
that no longer decrypts reads as empty, and the settings page says the secret must be entered again.

    EncryptedTextField()  - a model field: Python sees the plain text, the database the token
    encrypt(text) / decrypt(token)
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _cipher(secret_key: str, explicit: str) -> MultiFernet:
    keys = [k.strip() for k in explicit.split(",") if k.strip()]
    fernets = [Fernet(k.encode()) for k in keys]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"raccordo-secrets",
                   info=b"encrypted fields").derive(secret_key.encode())
    # The derived key stays last so that values written before RACCORDO_SECRETS_KEY was set still decrypt.
    fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def cipher() -> MultiFernet:
    """The cipher for the configured keys (cached per key set)."""
    return _cipher(settings.SECRET_KEY, getattr(settings, "RACCORDO_SECRETS_KEY", "") or "")


def encrypt(text: str) -> str:
    """`text` as a token to store; empty stays empty."""
    if not text:
        return ""
    return PREFIX + cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text of a stored token; empty for empty, for a value no configured key opens, and for garbage."""
    if not token:
        return ""
    if not token.startswith(PREFIX):
        return ""
    try:
        return cipher().decrypt(token[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError):
        return ""


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; reading gives the plain text back (empty when no key opens it).

    Not searchable or comparable in the database, by design. Never shown back in forms: pages say whether a
    secret is set, and an empty input keeps the stored one.
    """

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else ""

    def to_python(self, value):
        if value is None:
            return ""
        if isinstance(value, str) and value.startswith(PREFIX):
            return decrypt(value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""
