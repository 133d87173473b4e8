"""E-mail not configured is a state, not a crash: a page says what is set and how to set it; a failed send
says why in words."""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.core.outgoing_mail import mail_failure_text, mail_state
from raccordo.parties.models import Email
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests import factories

pytestmark = pytest.mark.django_db


def _refusing_smtp(settings, configured: bool):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_CONFIGURED = configured


def test_the_email_page_says_what_is_set_and_never_the_password(client, admin_user, settings):
    _refusing_smtp(settings, configured=True)
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "crm@example.com", "smtp-secret-42"
    settings.DEFAULT_FROM_EMAIL = "sales@example.com"
    client.force_login(admin_user)
    page = client.get(reverse("web:settings_email")).content.decode()
    assert "smtp-secret-42" not in page
    assert "127.0.0.1:9" in page and "sales@example.com" in page and "crm@example.com" in page
    assert "EMAIL_HOST" in page and "set (not shown)" in page


def test_the_email_page_when_nothing_is_set(client, admin_user, settings):
    _refusing_smtp(settings, configured=False)
    client.force_login(admin_user)
    page = client.get(reverse("web:settings_email")).content.decode()
    assert "E-mail is not set up" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert "printed to the terminal" in client.get(reverse("web:settings_email")).content.decode()
    assert mail_state().kind == "console" and not mail_state().delivers


def test_failures_in_words():
    assert "login" in mail_failure_text(smtplib.SMTPAuthenticationError(535, b"no"))
    assert "x@example.com" in mail_failure_text(smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no")}))


@pytest.mark.parametrize("configured, expected", [(False, "E-mail is not set up"),
                                                  (True, "cannot be reached")])
def test_send_invoice_without_working_email_explains(client, manager, reference_data, settings, configured, expected):
    _refusing_smtp(settings, configured)
    cp = factories.CounterpartyFactory(responsible=manager)
    Email.objects.create(counterparty=cp, address="buyer@example.com")
    invoice = invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
        "own_company": reference_data["own_company"], "counterparty": cp, "currency": "RUB",
        "date": timezone.localdate(), "due_date": timezone.localdate() + dt.timedelta(days=5)},
        lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))
    client.force_login(manager)
    response = client.post(reverse("web:invoice_send", args=[invoice.pk]), {"to": "buyer@example.com"}, follow=True)
    page = response.content.decode()
    assert expected in page
    assert "Errno" not in page and "Connection refused" not in page
