"""Message templates: variables filled in the client's language, unknown ones refused on save, opt-outs honoured."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from raccordo.activities.models import Interaction
from raccordo.comms import channels, services
from raccordo.comms.models import Channel, MessageTemplate
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Email, Phone
from tests.factories import ContactPersonFactory, CounterpartyFactory


@pytest.fixture
def client_ru(manager):
    cp = CounterpartyFactory(name="Ромашка", country="RU", responsible=manager)
    Email.objects.create(counterparty=cp, address="office@romashka.ru", is_primary=True)
    return cp


def test_the_shipped_templates_exist_in_three_languages(db):
    keys = set(MessageTemplate.objects.values_list("key", "channel", "language"))
    for key in ("order_shipped", "invoice_reminder"):
        for channel in ("email", "sms"):
            assert {(key, channel, "ru"), (key, channel, "it"), (key, channel, "")} <= keys


def test_a_template_with_an_unknown_variable_is_refused_with_its_name(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.template_create(user=admin_user, data={
            "name": "Offer", "channel": "email", "subject": "Hi {{ client.name }}", "body": "INN {{ client.innn }}"})
    text = " ".join(caught.value.message_dict["body"])
    assert "client.innn" in text
    assert not MessageTemplate.objects.filter(name="Offer").exists()


def test_a_broken_tag_is_refused_with_the_tag(admin_user):
    with pytest.raises(ValidationError) as caught:
        services.template_create(user=admin_user, data={
            "name": "Broken", "channel": "email", "subject": "x", "body": "{% if client.name %}no end"})
    assert "endif" in " ".join(caught.value.message_dict["body"])


def test_a_manager_may_not_write_templates(manager):
    from raccordo.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.template_create(user=manager, data={"name": "Mine", "channel": "sms", "body": "Hi"})


def test_a_template_reaches_only_the_values_it_is_given(admin_user, client_ru, manager):
    manager.set_password("secret-pass-1")
    manager.save()
    body = "{{ manager.name }}|{{ client.responsible.password }}|{{ manager.password }}"
    with pytest.raises(ValidationError):
        services.template_create(user=admin_user, data={"name": "Probe", "channel": "email", "body": body})
    # Even a template that got past the check (written to the database directly) reaches no model field.
    template = MessageTemplate.objects.create(name="Probe", channel="email", subject="{{ client.name }}", body=body)
    ctx = channels.template_context(counterparty=client_ru)
    rendered = channels.render(template, ctx)
    assert "pbkdf2" not in rendered.body and "secret" not in rendered.body and "md5" not in rendered.body


def test_send_from_template_fills_the_client_language_and_logs_it(client_ru, manager, mailoutbox):
    contact = ContactPersonFactory(counterparty=client_ru, first_name="Иван", last_name="Петров")
    template = channels.template_for("order_shipped", Channel.EMAIL, client_ru)
    assert template.language == "ru"
    channels.send_from_template(user=manager, template=template, counterparty=client_ru, contact=contact)
    [message] = mailoutbox
    assert message.to == ["office@romashka.ru"]
    assert "Иван" in message.body and "отгружен" in message.body
    logged = Interaction.objects.get(counterparty=client_ru)
    assert logged.kind == "email" and logged.direction == "out"


def test_an_opted_out_address_gets_no_marketing_but_a_personal_message(client_ru, manager, mailoutbox):
    services.opt_out(user=manager, channel="email", address="Office@Romashka.ru", counterparty=client_ru)
    services.opt_out(user=manager, channel="email", address="office@romashka.ru")  # idempotent
    template = channels.template_for("order_shipped", Channel.EMAIL, client_ru)
    with pytest.raises(ApplicationError) as caught:
        channels.send_from_template(user=manager, template=template, counterparty=client_ru, marketing=True)
    assert caught.value.code == "comms.opted_out"
    assert mailoutbox == []
    channels.send_from_template(user=manager, template=template, counterparty=client_ru)
    assert len(mailoutbox) == 1
    services.opt_in(user=manager, channel="email", address="office@romashka.ru")
    channels.send_from_template(user=manager, template=template, counterparty=client_ru, marketing=True)
    assert len(mail.outbox) == 2


def test_sms_goes_to_the_mobile_and_a_card_without_one_says_so(client_ru, manager):
    template = channels.template_for("invoice_reminder", Channel.SMS, client_ru)
    with pytest.raises(ApplicationError) as caught:
        channels.send_from_template(user=manager, template=template, counterparty=client_ru)
    assert caught.value.code in ("comms.no_address", "comms.no_channel")
    Phone.objects.create(counterparty=client_ru, number="+74951234567", kind="work", is_primary=True)
    Phone.objects.create(counterparty=client_ru, number="+79161234567", kind="mobile")
    assert channels.recipient_address("sms", client_ru) == "+79161234567"


def test_amounts_and_dates_are_written_for_the_client(client_ru):
    ctx = channels.template_context(counterparty=client_ru, language="ru")
    assert ctx["client"]["name"] == "Ромашка"
    assert ctx["invoice"]["number"] == ""  # no invoice: empty, not an error
