"""Everyone's profile: the language a user chose is the one they get, whatever the browser asks for; reminders
are rendered in the reader's language; the audit log names fields in words and shows no secret."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone, translation

from raccordo.activities.models import Reminder
from raccordo.activities.tasks import reminders_email_task
from raccordo.activities.texts import invoice_due_text
from raccordo.core.journal import MASK, journal_record
from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.models import ExchangeNode
from raccordo.sales.services import invoice_issue
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_profile_language_wins_over_the_browser(client, manager):
    manager.language = "ru"
    manager.save()
    client.force_login(manager)
    response = client.get(reverse("web:dashboard"), headers={"accept-language": "en"})
    assert response["Content-Language"] == "ru"
    assert 'lang="ru"' in response.content.decode()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "it"
    assert client.get(reverse("web:dashboard"))["Content-Language"] == "ru"


def test_without_a_preference_the_browser_decides(client, manager):
    client.force_login(manager)
    assert client.get(reverse("web:dashboard"), headers={"accept-language": "it"})["Content-Language"] == "it"


def test_a_user_chooses_her_language_in_the_profile(client, manager):
    client.force_login(manager)
    page = client.get(reverse("web:profile")).content.decode()
    assert reverse("web:password_change") in page                 # changing the password is linked from here
    response = client.post(reverse("web:profile"), {"first_name": "Anna", "last_name": "Ivanova",
                                                    "email": "anna@example.com", "language": "it"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.language == "it"
    assert client.get(reverse("web:dashboard"), headers={"accept-language": "ru"})["Content-Language"] == "it"
    entry = ChangeJournal.objects.filter(object_id=manager.pk).last()
    assert entry.changes["language"] == ["", "it"] and entry.user == manager


def test_a_user_cannot_give_herself_a_role_through_the_profile(client, manager):
    client.force_login(manager)
    client.post(reverse("web:profile"), {"first_name": "A", "last_name": "B", "language": "", "role": "admin"})
    manager.refresh_from_db()
    assert manager.role == "manager"


def test_the_top_bar_switch_keeps_the_choice_in_the_profile(client, manager):
    client.force_login(manager)
    response = client.post(reverse("web:language"), {"language": "ru", "next": reverse("web:task_list")})
    assert response.status_code == 302 and response["Location"] == reverse("web:task_list")
    manager.refresh_from_db()
    assert manager.language == "ru"
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "ru"
    client.post(reverse("web:language"), {"language": "xx"})          # unknown: back to the browser's
    manager.refresh_from_db()
    assert manager.language == ""


# --- reminders in the reader's language ------------------------------------------------------------------------

def test_invoice_due_texts_use_plural_forms():
    with translation.override("en"):
        assert invoice_due_text(number="A-1", offset=-1) == "Invoice A-1 is due in 1 day"
        assert invoice_due_text(number="A-1", offset=3) == "Invoice A-1 is 3 days overdue"
    with translation.override("ru"):
        assert invoice_due_text(number="A-1", offset=-1) == "Счёт A-1: срок оплаты через 1 день"
        assert invoice_due_text(number="A-1", offset=-2) == "Счёт A-1: срок оплаты через 2 дня"
        assert invoice_due_text(number="A-1", offset=5) == "Счёт A-1 просрочен на 5 дней"
    with translation.override("it"):
        assert invoice_due_text(number="A-1", offset=-1) == "La fattura A-1 scade tra 1 giorno"
        assert invoice_due_text(number="A-1", offset=3) == "La fattura A-1 è scaduta da 3 giorni"


def _issued_invoice(manager, reference_data):
    from raccordo.sales.services import LineInput, invoice_create

    cp = factories.CounterpartyFactory(responsible=manager)
    invoice = invoice_create(user=manager, data={
        "own_company": reference_data["own_company"], "counterparty": cp, "currency": "RUB",
        "date": timezone.localdate(), "due_date": timezone.localdate() + dt.timedelta(days=5)},
        lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))])
    return invoice_issue(user=manager, invoice=invoice)


def test_a_reminder_made_in_english_reads_in_russian_for_a_russian_reader(client, manager, reference_data, settings):
    settings.INVOICE_REMINDER_DAYS = [-2]
    with translation.override("en"):
        invoice = _issued_invoice(manager, reference_data)
    reminder = Reminder.objects.get(target_id=invoice.pk)
    assert reminder.subject == f"Invoice {invoice.number} is due in 2 days"      # the writer's language, kept
    assert reminder.subject_params == {"kind": "invoice_due", "number": invoice.number, "offset": -2}
    manager.language = "ru"
    manager.save()
    Reminder.objects.filter(pk=reminder.pk).update(start_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(manager)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert f"Счёт {invoice.number}: срок оплаты через 2 дня" in page
    assert "day(s)" not in page


def test_the_reminder_digest_is_in_the_readers_language(manager, reference_data, settings, mailoutbox):
    settings.INVOICE_REMINDER_DAYS = [3]
    with translation.override("en"):
        invoice = _issued_invoice(manager, reference_data)
    Reminder.objects.filter(target_id=invoice.pk).update(start_at=timezone.now() - dt.timedelta(minutes=1))
    manager.language, manager.email = "it", "anna@example.com"
    manager.save()
    assert reminders_email_task.call_local() == 1
    assert mailoutbox[0].subject == "Raccordo: 1 promemoria in scadenza"
    assert f"La fattura {invoice.number} è scaduta da 3 giorni" in mailoutbox[0].body


def test_the_reminder_job_logs_one_line_when_the_mail_server_refuses(manager, reference_data, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.INVOICE_REMINDER_DAYS = [3]
    invoice = _issued_invoice(manager, reference_data)
    Reminder.objects.filter(target_id=invoice.pk).update(start_at=timezone.now() - dt.timedelta(minutes=1))
    manager.email = "anna@example.com"
    manager.save()
    with caplog.at_level(logging.INFO):
        assert reminders_email_task.call_local() == 0
    lines = [r for r in caplog.records if r.name == "raccordo.activities.tasks"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None
    assert "reminder e-mails not sent" in lines[0].getMessage() and "\n" not in lines[0].getMessage()
    assert Reminder.objects.get(target_id=invoice.pk).emailed_at is None       # they go out once it answers


# --- the audit log ---------------------------------------------------------------------------------------------

def test_the_journal_never_keeps_a_secret(admin_user):
    node = ExchangeNode(code="ut", name="UT")
    node.set_password("node-secret-1")
    node.save()
    entry = journal_record(obj=node, operation=Operation.CREATE,
                           changes={"password_hash": ["", node.password_hash], "name": ["", "UT"]}, user=admin_user)
    entry.refresh_from_db()
    assert entry.changes == {"password_hash": ["", MASK], "name": ["", "UT"]}


def test_the_audit_log_names_fields_in_words_and_shows_no_secret(client, admin_user):
    node = ExchangeNode.objects.create(code="ut", name="UT", login="ut-login")
    # An entry written before the journal masked secrets: the page still shows none.
    ChangeJournal.objects.create(content_type_id=_ct(ExchangeNode), object_id=node.pk, object_repr="UT",
                                 operation=Operation.CREATE, user=admin_user,
                                 changes={"password_hash": ["", "pbkdf2_sha256$1$salt$LEAKED"],
                                          "login": ["", "ut-login"], "cml_version": ["", "2.10"]})
    client.force_login(admin_user)
    page = client.get(reverse("web:audit")).content.decode()
    assert "LEAKED" not in page and "pbkdf2" not in page
    assert "exchange login" in page and "CommerceML version" in page
    assert "cml_version" not in page
    admin_user.language = "ru"
    admin_user.save()
    page = client.get(reverse("web:audit")).content.decode()
    assert "логин для обмена" in page and "LEAKED" not in page


def _ct(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def test_a_records_history_masks_old_secrets(admin_user):
    from raccordo.access.history import record_history

    node = ExchangeNode.objects.create(code="ut2", name="UT2")
    ChangeJournal.objects.create(content_type_id=_ct(ExchangeNode), object_id=node.pk, object_repr="UT2",
                                 operation=Operation.UPDATE, user=admin_user,
                                 changes={"password_hash": ["old-hash", "new-hash"]})
    change = record_history(user=admin_user, obj=node)[0].changes[0]
    assert (change.before, change.after) == (MASK, MASK)


def test_reminders_made_before_the_parameters_are_backfilled_from_their_rule(manager, reference_data, settings):
    import importlib

    from django.apps import apps

    settings.INVOICE_REMINDER_DAYS = [-1, 4]
    invoice = _issued_invoice(manager, reference_data)
    Reminder.objects.filter(target_id=invoice.pk).update(subject_params={})      # as rows made before 0004
    Reminder.objects.create(user=manager, subject="Call back", start_at=timezone.now())
    migration = importlib.import_module("raccordo.activities.migrations.0004_reminder_subject_params")
    migration.backfill(apps, None)
    params = {r.rule: r.subject_params for r in Reminder.objects.filter(target_id=invoice.pk)}
    assert params == {"invoice:-1": {"kind": "invoice_due", "number": invoice.number, "offset": -1},
                      "invoice:+4": {"kind": "invoice_due", "number": invoice.number, "offset": 4}}
    assert Reminder.objects.get(subject="Call back").subject_params == {}
    with translation.override("ru"):
        assert Reminder.objects.get(rule="invoice:+4").text == f"Счёт {invoice.number} просрочен на 4 дня"


def test_the_switch_works_signed_out_with_the_cookie_only(client):
    response = client.post(reverse("web:language"), {"language": "it", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "it"
