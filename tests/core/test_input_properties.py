"""Security finding L5, as properties: every form and serializer field of Raccordo either accepts a value it can
store or refuses it with a ValidationError. No input makes a field raise anything else (which would be a 500),
and what a field accepts stays within what the database and Python hold (finite decimals, years 1900-2999)."""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from raccordo.api.urls import router
from raccordo.core.inputs import DATE_MAX, DATE_MIN, SEARCH_TERM_MAX, search_term
from raccordo.sales.pricing import document_totals, line_totals
from tests import factories

pytestmark = pytest.mark.django_db

SPECIAL = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999999", "-1e999999", "1e-999999",
           "9" * 40, "0" * 40 + "1", "1" * 30 + ".5", "0001-01-01", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z",
           "9999-12-31T23:59:59", "9999-12-31T23:59:59-12:00", "10000-01-01", "2026-02-30", "a\x00b", "\x00",
           "", " ", "\u202e", "../../etc/passwd", "[]", "{}", "true", "null", "-0", "1,5", "1 000,50"]

VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=300),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10 ** 40), max_value=10 ** 40),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(dt.datetime.isoformat),
    st.dates().map(dt.date.isoformat),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=10), max_size=3),
)
PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_accepted(value) -> None:
    """What a field let through is storable: finite decimals, dates in range, no NUL in text."""
    if isinstance(value, Decimal):
        assert value.is_finite()
    if isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        assert DATE_MIN <= day <= DATE_MAX


# --- serializers: every writable field of every API endpoint ---------------------------------------------------

def serializer_fields(user):
    request = APIRequestFactory().post("/api/v1/")
    request.user = user
    found = []
    for _prefix, viewset, basename in router.registry:
        serializer = viewset.serializer_class(context={"request": request, "view": None})
        for name, field in serializer.fields.items():
            if not field.read_only:
                found.append((f"{basename}.{name}", field))
                child = getattr(field, "child", None)
                if isinstance(child, serializers.Serializer):
                    found += [(f"{basename}.{name}.{n}", f) for n, f in child.fields.items() if not f.read_only]
    return found


def test_L5_every_serializer_field_accepts_or_refuses_cleanly(admin_user, reference_data):
    fields = serializer_fields(admin_user)
    assert len({type(f) for _n, f in fields}) >= 8   # decimals, dates, date-times, choices, relations, text...

    @PROPERTY
    @given(value=VALUES)
    def run(value):
        for name, field in fields:
            try:
                accepted = field.run_validation(value)
            except (serializers.ValidationError, DjangoValidationError):
                continue
            except Exception as exc:   # noqa: BLE001 - the property: nothing else may escape
                raise AssertionError(f"{name} ({type(field).__name__}) raised {exc!r} for {value!r}") from exc
            check_accepted(accepted)

    run()


# --- forms: every field of every web form ------------------------------------------------------------------------

def form_instances(user, reference_data):
    from raccordo.exchange.views import UploadForm
    from raccordo.web import forms as web_forms
    from raccordo.web import forms_day
    from raccordo.web.views.access import ReassignForm, TokenForm

    counterparty = factories.CounterpartyFactory(responsible=user)
    made = [UploadForm(), TokenForm(), web_forms.PaymentForm(), web_forms.DealMoveForm(),
            forms_day.ComplaintStatusForm()]
    for cls in (web_forms.CounterpartyForm, web_forms.ContactForm, web_forms.DealForm, web_forms.InvoiceForm,
                web_forms.InvoiceLineForm, web_forms.InteractionForm, web_forms.TaskForm, web_forms.ProductForm,
                forms_day.ReminderForm, forms_day.ComplaintForm, ReassignForm):
        # Forms that offer records take the user whose records they offer; the others take nothing.
        needs_user = "user" in inspect.signature(cls.__init__).parameters
        made.append(cls(user=user) if needs_user else cls())
    assert counterparty.pk
    return made


def test_L5_every_form_field_accepts_or_refuses_cleanly(admin_user, reference_data):
    fields = [(f"{type(form).__name__}.{name}", field) for form in form_instances(admin_user, reference_data)
              for name, field in form.fields.items()]
    kinds = {type(f) for _n, f in fields}
    assert {forms.DecimalField, forms.DateTimeField, forms.DateField, forms.CharField} <= kinds | {
        k.__mro__[1] for k in kinds}

    @PROPERTY
    @given(value=VALUES)
    def run(value):
        for name, field in fields:
            if isinstance(field, forms.FileField):
                continue   # takes uploaded files, not typed values
            typed = value if isinstance(value, str) or value is None else str(value)
            try:
                accepted = field.clean(typed)
            except DjangoValidationError:
                continue
            except Exception as exc:   # noqa: BLE001 - the property: nothing else may escape
                raise AssertionError(f"{name} ({type(field).__name__}) raised {exc!r} for {typed!r}") from exc
            check_accepted(accepted)

    run()


# --- the shared guards themselves --------------------------------------------------------------------------------

@PROPERTY
@given(text=st.text())
def test_L5_search_terms_never_hold_nul_and_stay_short(text):
    term = search_term(text)
    assert "\x00" not in term and len(term) <= SEARCH_TERM_MAX


DECIMALS = st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.sampled_from(
    [Decimal("1e999999"), Decimal("99999999999999"), Decimal("-1e30"), Decimal("NaN")]))


@PROPERTY
@given(quantity=DECIMALS, price=DECIMALS, discount=DECIMALS, rate=st.one_of(st.none(), DECIMALS))
def test_L5_line_totals_are_storable_or_refused(quantity, price, discount, rate):
    try:
        totals = line_totals(quantity=quantity, price=price, discount_percent=discount, vat_rate=rate)
        document_totals([totals, totals])
    except DjangoValidationError as exc:
        assert exc.code == "money.out_of_range"
        return
    for amount in (totals.amount, totals.vat, totals.net, totals.gross):
        assert amount.is_finite() and abs(amount) < Decimal(10) ** 16 and amount == amount.quantize(Decimal("0.01"))
