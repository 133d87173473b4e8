"""What Raccordo needs of an SMS provider, whoever it is: send one message and get its id, read the balance, and
read (and check) the delivery reports it posts back. An adapter speaks one provider's documented HTTP API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class ProviderConfig:
    """What an adapter is given: the key, the sender name, where the API is (configurable so tests point it at a
    fake provider on loopback) and how long to wait for it."""

    api_token: str
    sender: str = ""
    base_url: str = ""
    timeout: float = 15.0


@dataclass(frozen=True)
class StatusReport:
    """One delivery report: the provider's message id, our status for it, and the provider's own words."""

    provider_id: str
    status: str          # a raccordo.sms.models.SmsStatus value
    detail: str = ""
    at: dt.datetime | None = None


class ProviderError(Exception):
    """The provider answered and refused the message (bad number, no money, sender not approved...)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something that is not its API (the message may be retried)."""


class SmsProvider(Protocol):
    """An SMS provider's adapter."""

    def send(self, *, to: str, text: str) -> str:
        """Send `text` to `to` (E.164); the provider's message id. Raises ProviderError or ProviderUnavailable."""

    def balance(self) -> Decimal | None:
        """The account's balance, None when the provider does not say."""

    def callback_authentic(self, data) -> bool:
        """Whether a posted delivery report (a QueryDict-like mapping) really comes from the provider."""

    def parse_callback(self, data) -> list[StatusReport]:
        """The delivery reports in a posted callback (entries of other kinds are skipped)."""

    def callback_answer(self) -> str:
        """The body the provider expects back when a report was taken."""
