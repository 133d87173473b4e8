"""Pages of the sales day: board, line editor endpoints, PDF and e-mail, receivables, reminders, complaints, calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.activities.models import Complaint, Interaction, Reminder
from raccordo.activities.services import complaint_register
from raccordo.core.models import ChangeJournal
from raccordo.parties.models import Email
from raccordo.sales.models import Deal, InvoiceStatus
from raccordo.sales.services import payment_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["web:board", "web:receivables", "web:calendar", "web:complaint_list",
                                  "web:complaint_create", "web:reminder_create"])
def test_pages_render(manager_client, world, name):
    assert manager_client.get(reverse(name)).status_code == 200


def test_calendar_week_view(manager_client, world):
    assert manager_client.get(reverse("web:calendar") + "?view=week&date=2026-03-04").status_code == 200


def test_board_shows_only_visible_deals_with_stage_totals(manager_client, world):
    html = manager_client.get(reverse("web:board")).content.decode()
    assert "Romashka supply" in html and "Vasilek supply" not in html
    assert 'data-testid="stage-count">1<' in html


def test_board_filters(manager_client, world, other_manager):
    url = reverse("web:board")
    assert "Romashka supply" not in manager_client.get(url + f"?manager={other_manager.pk}").content.decode()
    assert "Romashka supply" in manager_client.get(url + "?manager=me").content.decode()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert "Romashka supply" not in manager_client.get(url + f"?from={future}").content.decode()


def test_board_column_shows_the_newest_cards_and_the_rest_on_show_more(manager_client, world, monkeypatch):
    """A column draws CARDS_PER_STAGE cards, newest first; "Show more" pages through the rest of that stage, under
    the board's filters and the access policy, and stops when the stage has no more."""
    import re

    from raccordo.web.views import board
    from tests import factories

    monkeypatch.setattr(board, "CARDS_PER_STAGE", 2)
    mine, theirs = world["mine"]["counterparty"], world["theirs"]["counterparty"]
    for i in range(4):
        factories.deal_for(mine, world["ref"], title=f"Extra deal {i}", amount=Decimal("10"))
    factories.deal_for(theirs, world["ref"], title="Foreign deal", amount=Decimal("10"))
    url = reverse("web:board")
    html = manager_client.get(url).content.decode()
    new_stage = world["ref"]["stages"]["New"]
    column = html.split(f'id="cards-{new_stage.pk}"')[1].split('id="more-')[0]
    assert re.findall(r'class="rc-card-title">([^<]+)<', column) == ["Extra deal 3", "Extra deal 2"]
    assert 'data-testid="stage-count">5<' in html     # 4 extra + Romashka; the other manager's deal is not counted
    shown = ["Extra deal 3", "Extra deal 2"]
    after = re.search(r'"after": "([^"]+)"', html.split(f'id="more-{new_stage.pk}"')[1]).group(1)
    while after:
        page = manager_client.get(url, {"stage": str(new_stage.pk), "after": after}, HTTP_HX_REQUEST="true")
        fragment = page.content.decode()
        shown += re.findall(r'class="rc-card-title">([^<]+)<', fragment)
        assert 'hx-swap-oob="outerHTML"' in fragment
        found = re.search(r'"after": "([^"]+)"', fragment)
        after = found.group(1) if found else ""
    assert shown == ["Extra deal 3", "Extra deal 2", "Extra deal 1", "Extra deal 0", "Romashka supply"]
    # The same filters as the board: with another manager chosen, the stage has nothing more to show.
    first = re.search(r'"after": "([^"]+)"', html.split(f'id="more-{new_stage.pk}"')[1]).group(1)
    page = manager_client.get(url, {"stage": str(new_stage.pk), "after": first, "manager": "me"},
                              HTTP_HX_REQUEST="true").content.decode()
    assert "Extra deal 1" in page and "Foreign deal" not in page
    # A cursor that does not decode shows nothing rather than failing.
    bad = manager_client.get(url, {"stage": str(new_stage.pk), "after": "%%%"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "rc-card-title" not in bad.content.decode()


def test_board_move_goes_through_deal_move_and_lost_needs_a_reason(manager_client, world):
    ref, deal = world["ref"], world["mine"]["deal"]
    url = reverse("web:board_move", args=[deal.pk])
    response = manager_client.post(url, {"stage": ref["stages"]["Proposal"].pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == ref["stages"]["Proposal"]
    entry = ChangeJournal.objects.filter(object_id=deal.pk, operation="update").latest("seq")
    assert "stage" in entry.changes and entry.user == deal.manager and entry.origin == "ui"
    manager_client.post(url, {"stage": ref["stages"]["Lost"].pk})
    deal.refresh_from_db()
    assert deal.stage == ref["stages"]["Proposal"]
    manager_client.post(url, {"stage": ref["stages"]["Lost"].pk, "lost_reason": "Price too high"})
    deal.refresh_from_db()
    assert deal.stage == ref["stages"]["Lost"] and deal.lost_reason == "Price too high" and deal.closed_at


def test_board_move_of_another_managers_deal_is_404(manager_client, world):
    deal = world["theirs"]["deal"]
    response = manager_client.post(reverse("web:board_move", args=[deal.pk]),
                                   {"stage": world["ref"]["stages"]["Proposal"].pk})
    assert response.status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage == world["ref"]["stages"]["New"]


def test_product_autocomplete_and_info(manager_client, world):
    product = world["product"]
    html = manager_client.get(reverse("web:line_products") + "?q=steel").content.decode()
    assert "Steel pipe" in html and str(product.pk) in html
    assert "Steel pipe" in manager_client.get(reverse("web:line_products") + f"?q={product.article}").content.decode()
    info = manager_client.get(reverse("web:line_product_info") + f"?product={product.pk}"
                              f"&counterparty={world['mine']['counterparty'].pk}").json()
    assert info["price"] == "100.00" and info["vat_rate"] == "20.00" and info["available"] == "10.000"
    assert info["stock"] == [{"warehouse": "Main warehouse", "available": "10.000"}]


def test_line_totals_are_computed_on_the_server(manager_client, world):
    product = world["product"]
    data = {"line_prefix": "lines", "lines-TOTAL_FORMS": "2", "vat_included": "on", "currency": "RUB",
            "lines-0-product": str(product.pk), "lines-0-quantity": "12", "lines-0-price": "100",
            "lines-0-discount_percent": "10", "lines-0-vat_rate": "20",
            "lines-1-description": "Delivery", "lines-1-quantity": "1", "lines-1-price": "abc"}
    html = manager_client.post(reverse("web:line_totals"), data).content.decode()
    # 12 x 100 - 10 % = 1080, VAT included 180; the second line's price is not a number.
    assert "1,080.00" in html and "180.00" in html
    assert 'id="line-amount-lines-1"' in html and "text-danger" in html
    assert "10 available" in html   # 12 wanted: shown as short


def test_deal_lines_editor_saves_through_deal_set_lines(manager_client, world):
    deal, product = world["mine"]["deal"], world["product"]
    url = reverse("web:deal_lines", args=[deal.pk])
    assert manager_client.get(url).status_code == 200
    response = manager_client.post(url, {
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000", "lines-0-product": str(product.pk), "lines-0-description": "",
        "lines-0-quantity": "3", "lines-0-price": "", "lines-0-discount_percent": "", "lines-0-vat_rate": ""})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("300.00") and deal.lines.get().product == product


def test_invoice_pdf_and_send(manager_client, world, smtp_server):
    invoice = world["mine"]["invoice"]
    response = manager_client.get(reverse("web:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and "attachment" in response["Content-Disposition"]
    assert manager_client.get(reverse("web:invoice_pdf", args=[world["theirs"]["invoice"].pk])).status_code == 404
    for address in ("buyer@example.com", "boss@example.com"):
        Email.objects.create(counterparty=invoice.counterparty, address=address)
    response = manager_client.post(reverse("web:invoice_send", args=[invoice.pk]),
                                   {"to": "buyer@example.com, boss@example.com", "body": "Please pay"})
    assert response.status_code == 302
    (message,) = smtp_server.messages
    assert message["To"] == "buyer@example.com, boss@example.com"
    assert Interaction.objects.filter(kind="email", counterparty=invoice.counterparty).exists()


def test_invoice_card_shows_send_form_pdf_and_reminders(manager_client, world):
    html = manager_client.get(reverse("web:invoice_detail", args=[world["mine"]["invoice"].pk])).content.decode()
    assert reverse("web:invoice_pdf", args=[world["mine"]["invoice"].pk]) in html
    assert 'id="send"' in html and 'id="reminders"' in html and "romashka@example.com" in html


def test_issue_warns_when_stock_is_short(manager_client, world, settings):
    from raccordo.sales.services import LineInput, invoice_create

    settings.STOCK_CHECK = "warn"
    ref, cp = world["ref"], world["mine"]["counterparty"]
    invoice = invoice_create(user=world["mine"]["deal"].manager or cp.responsible, data={
        "own_company": ref["own_company"], "counterparty": cp},
        lines=[LineInput(product=world["product"], quantity=Decimal("50"), price=Decimal("1"))])
    response = manager_client.post(reverse("web:invoice_issue", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    assert "Not enough stock of Steel pipe" in response.content.decode()


def test_receivables_page_and_counterparty_overpayment(manager_client, world, manager):
    html = manager_client.get(reverse("web:receivables")).content.decode()
    assert "Romashka" in html and "Vasilek" not in html and 'data-testid="ageing-row"' in html
    cp = world["mine"]["counterparty"]
    payment_record(user=manager, data={"counterparty": cp, "date": timezone.localdate(), "amount": Decimal("1500"),
                                       "currency": "RUB"})
    card = manager_client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert 'data-testid="overpayment"' in card and "500.00" in card


def test_reminder_on_an_invoice_from_its_card_and_done(manager_client, world, manager):
    invoice = world["mine"]["invoice"]
    start = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = manager_client.post(reverse("web:reminder_create"), {
        "target": f"invoice:{invoice.pk}", "subject": "Call about payment", "start_at": start,
        "importance": "high", "periodicity": "once", "next": reverse("web:invoice_detail", args=[invoice.pk])})
    assert response.status_code == 302
    reminder = Reminder.objects.get(subject="Call about payment")
    assert reminder.target == invoice and reminder.user == manager and reminder.counterparty == invoice.counterparty
    manager_client.post(reverse("web:reminder_done", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert reminder.is_done
    other = world["theirs"]["invoice"]
    assert manager_client.get(reverse("web:reminder_create") + f"?target=invoice:{other.pk}").status_code == 404


def test_complaint_from_the_card_through_its_statuses(manager_client, world, manager):
    cp = world["mine"]["counterparty"]
    assert reverse("web:complaint_create") in manager_client.get(
        reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    response = manager_client.post(reverse("web:complaint_create"), {
        "counterparty": cp.pk, "subject": "Late delivery", "description": "Two weeks late",
        "deadline": (timezone.localdate() + dt.timedelta(days=3)).isoformat()})
    complaint = Complaint.objects.get(subject="Late delivery")
    assert response.status_code == 302 and complaint.responsible == manager
    url = reverse("web:complaint_status", args=[complaint.pk])
    manager_client.post(url, {"status": "in_progress"})
    response = manager_client.post(url, {"status": "resolved"})
    assert response.status_code == 200   # refused: no resolution, shown next to the field
    manager_client.post(url, {"status": "resolved", "resolution": "Discount 5 %"})
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.resolution == "Discount 5 %"


def test_overdue_complaints_on_the_heads_dashboard_only(client, manager_client, world, manager):
    from tests.factories import UserFactory

    complaint_register(user=manager, data={"counterparty": world["mine"]["counterparty"], "subject": "Broken seal",
                                           "deadline": timezone.localdate() - dt.timedelta(days=2)})
    assert "Broken seal" not in manager_client.get(reverse("web:dashboard")).content.decode()
    head = UserFactory(username="boss", role="head")
    client.force_login(head)
    html = client.get(reverse("web:dashboard")).content.decode()
    assert 'id="h-complaints"' in html
