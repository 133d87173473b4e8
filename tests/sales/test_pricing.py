"""Money rules of lines and documents, for all inputs (hypothesis)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from raccordo.sales.pricing import document_totals, line_totals

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
