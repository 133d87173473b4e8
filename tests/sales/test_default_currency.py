"""settings.DEFAULT_CURRENCY is the currency of new documents everywhere, not a hard-coded "RUB"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.catalog.models import PriceType
from raccordo.parties.models import OwnCompany
from raccordo.sales.models import Payment
from raccordo.sales.services import LineInput, deal_create, invoice_create
from raccordo.web.templatetags.raccordo_ui import money
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def euro(settings):
    settings.DEFAULT_CURRENCY = "EUR"


def test_an_eur_installation_gets_eur_deals_and_invoices(euro, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    invoice = invoice_create(user=manager, data={"own_company": reference_data["own_company"], "counterparty": cp,
                                                 "date": dt.date(2026, 11, 1)},
                             lines=[LineInput(description="Service", quantity=Decimal("1"), price=Decimal("10"))])
    assert (deal.currency, invoice.currency) == ("EUR", "EUR")


def test_an_eur_installation_defaults_every_money_field_to_eur(euro):
    assert OwnCompany().currency == PriceType().currency == Payment().currency == "EUR"


def test_an_eur_installation_suggests_eur_on_the_deal_form_and_in_money(euro, client, manager):
    client.force_login(manager)
    html = client.get(reverse("web:deal_create")).content.decode()
    assert 'value="EUR"' in html
    assert "EUR" in money("10") or "€" in money("10")


def test_the_default_installation_stays_in_roubles(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    assert deal_create(user=manager, data={"title": "Pumps", "counterparty": cp}).currency == "RUB"
