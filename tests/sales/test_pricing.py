"""Money rules of lines and documents, for all inputs (hypothesis)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from raccordo.sales.pricing import document_totals, line_totals
from raccordo.sales.services import combined_discount

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rates = st.sampled_from([None, Decimal("0"), Decimal("10"), Decimal("20"), Decimal("22"), Decimal("4")])
CENT = Decimal("0.01")


@given(quantities, prices, discounts, rates, st.booleans())
def test_line_parts_add_up_and_are_cents(quantity, price, discount, rate, included):
    t = line_totals(quantity=quantity, price=price, discount_percent=discount, vat_rate=rate, vat_included=included)
    assert t.net + t.vat == t.gross
    assert t.amount == (t.gross if included else t.net)
    for value in (t.amount, t.vat, t.net, t.gross):
        assert value == value.quantize(CENT)
        assert value >= 0
    # The discount never makes a line dearer than the undiscounted one.
    full = line_totals(quantity=quantity, price=price, vat_rate=rate, vat_included=included)
    assert t.amount <= full.amount


@given(st.lists(st.tuples(quantities, prices, discounts, rates), min_size=1, max_size=20), st.booleans())
def test_document_totals_equal_the_sum_of_rounded_lines(lines, included):
    computed = [line_totals(quantity=q, price=p, discount_percent=d, vat_rate=r, vat_included=included)
                for q, p, d, r in lines]
    doc = document_totals(computed)
    assert doc.total == sum(t.gross for t in computed)
    assert doc.vat == sum(t.vat for t in computed)
    assert doc.subtotal + doc.vat == doc.total


def test_known_values():
    # 3 x 33.33 with 20 % VAT included: 99.99, VAT 16.67 (99.99 * 20 / 120 = 16.665 -> 16.67).
    t = line_totals(quantity=Decimal("3"), price=Decimal("33.33"), vat_rate=Decimal("20"))
    assert (t.amount, t.vat, t.net) == (Decimal("99.99"), Decimal("16.67"), Decimal("83.32"))
    # VAT on top, Italian 22 %, 10 % discount: 2 x 50 = 100 -> 90 + 19.80.
    t = line_totals(quantity=Decimal("2"), price=Decimal("50"), discount_percent=Decimal("10"),
                    vat_rate=Decimal("22"), vat_included=False)
    assert (t.amount, t.vat, t.gross) == (Decimal("90.00"), Decimal("19.80"), Decimal("109.80"))
    # No VAT rate: no VAT.
    t = line_totals(quantity=Decimal("1"), price=Decimal("10.005"))
    assert (t.amount, t.vat) == (Decimal("10.01"), Decimal("0.00"))


# --- Discounts, VAT included/excluded, rounding per line and per document, currencies -------------------------


HALF_CENT = Decimal("0.005")


@given(discounts, discounts)
def test_combined_discount_stays_a_percentage_and_does_not_depend_on_order(line, document):
    both = combined_discount(line, document)
    assert Decimal("0") <= both <= Decimal("100")
    assert both == combined_discount(document, line)
    assert both >= max(line, document)


@given(quantities, prices, discounts, rates)
def test_vat_on_top_equals_vat_included_on_the_gross_price_within_a_cent(quantity, price, discount, rate):
    """A price without VAT p and the same goods priced with VAT p*(1+r) end at the same gross within rounding."""
    on_top = line_totals(quantity=quantity, price=price, discount_percent=discount, vat_rate=rate, vat_included=False)
    r = (rate or Decimal("0")) / 100
    gross_price = price * (1 + r)
    included = line_totals(quantity=quantity, price=gross_price, discount_percent=discount, vat_rate=rate,
                           vat_included=True)
    assert abs(on_top.gross - included.gross) <= CENT * 2
    assert abs(on_top.net - included.net) <= CENT * 2


@given(st.lists(st.tuples(quantities, prices, discounts, rates), min_size=1, max_size=30), st.booleans())
def test_rounding_per_line_differs_from_rounding_the_document_by_at_most_half_a_cent_per_line(lines, included):
    from raccordo.core.money import round_money

    computed = [line_totals(quantity=q, price=p, discount_percent=d, vat_rate=r, vat_included=included)
                for q, p, d, r in lines]
    exact = sum((q * p * (100 - d) / 100 for q, p, d, _r in lines), Decimal("0"))
    amounts = sum((t.amount for t in computed), Decimal("0"))
    assert abs(amounts - round_money(exact)) <= HALF_CENT * len(lines) + CENT


def test_discount_examples():
    # 10 % off the line, then 5 % off the document: 14.5 % in all. 3 x 99.99 = 299.97 -> 256.47435 -> 256.47.
    t = line_totals(quantity=Decimal("3"), price=Decimal("99.99"),
                    discount_percent=combined_discount(Decimal("10"), Decimal("5")), vat_rate=Decimal("20"))
    assert (t.amount, t.vat, t.net) == (Decimal("256.47"), Decimal("42.75"), Decimal("213.72"))
    # 100 % discount: a free line, no VAT.
    t = line_totals(quantity=Decimal("5"), price=Decimal("10"), discount_percent=Decimal("100"), vat_rate=Decimal("22"))
    assert (t.amount, t.vat) == (Decimal("0.00"), Decimal("0.00"))


def test_rounding_per_line_is_what_the_document_adds_up():
    # Three lines of 0.005 VAT each: each rounds up to 0.01, the document's VAT is 0.03 (not round(0.015) = 0.02).
    lines = [line_totals(quantity=Decimal("1"), price=Decimal("0.03"), vat_rate=Decimal("20"), vat_included=False)
             for _ in range(3)]
    assert all(t.vat == Decimal("0.01") for t in lines)
    doc = document_totals(lines)
    assert (doc.subtotal, doc.vat, doc.total) == (Decimal("0.09"), Decimal("0.03"), Decimal("0.12"))


def test_document_discount_reprices_every_line_and_totals_follow(db):
    from raccordo.sales.services import LineInput, invoice_create
    from tests.factories import CounterpartyFactory, UserFactory, reference_data

    ref = reference_data()
    user = UserFactory(username="anna", role="manager")
    client = CounterpartyFactory(responsible=user)
    invoice = invoice_create(user=user, data={"own_company": ref["own_company"], "counterparty": client,
                                              "currency": "EUR", "vat_included": False,
                                              "discount_percent": Decimal("5")},
                             lines=[LineInput(description="A", quantity=Decimal("2"), price=Decimal("50"),
                                              discount_percent=Decimal("10"), vat_rate=Decimal("22")),
                                    LineInput(description="B", quantity=Decimal("1"), price=Decimal("19.99"),
                                              vat_rate=Decimal("4"))])
    # A: 100 -> 85.50 + 18.81; B: 19.99 -> 18.99 (18.9905) + 0.76.
    assert [(ln.amount, ln.vat_amount) for ln in invoice.lines.order_by("position")] == [
        (Decimal("85.50"), Decimal("18.81")), (Decimal("18.99"), Decimal("0.76"))]
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (
        Decimal("104.49"), Decimal("19.57"), Decimal("124.06"))


def test_receivables_never_add_up_different_currencies(db):
    from django.utils import timezone

    from raccordo.sales.selectors import receivable_total, receivables_ageing
    from raccordo.sales.services import LineInput, invoice_create, invoice_issue
    from tests.factories import CounterpartyFactory, UserFactory, reference_data

    ref = reference_data()
    user = UserFactory(username="anna", role="manager")
    client = CounterpartyFactory(responsible=user)
    for currency, price in (("RUB", "1000"), ("EUR", "12.50"), ("EUR", "7.50")):
        invoice_issue(user=user, invoice=invoice_create(user=user, data={
            "own_company": ref["own_company"], "counterparty": client, "currency": currency,
            "due_date": timezone.localdate()}, lines=[LineInput(description="x", quantity=Decimal("1"),
                                                                price=Decimal(price))]))
    assert receivable_total(user=user) == {"EUR": Decimal("20.00"), "RUB": Decimal("1000.00")}
    rows, totals = receivables_ageing(user=user)
    assert sorted((r["currency"], r["owed"]) for r in rows) == [("EUR", Decimal("20.00")), ("RUB", Decimal("1000.00"))]
    assert set(totals) == {"EUR", "RUB"}
