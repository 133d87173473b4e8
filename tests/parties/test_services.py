import pytest
from django.core.exceptions import ValidationError

from raccordo.core.context import change_context
from raccordo.core.errors import PermissionDenied
from raccordo.core.journal import history_for
from raccordo.core.models import ChangeJournal
from raccordo.parties.models import ContactPerson, Counterparty, CounterpartyKind, Phone
from raccordo.parties.services import contact_create, counterparty_create, counterparty_update
from tests.factories import inn12, partita_iva

pytestmark = pytest.mark.django_db


def test_create_counterparty_normalises_and_journals(manager):
    with change_context(origin="ui"):
        cp = counterparty_create(user=manager, data={"name": "Romashka", "inn": " 7707083893 ", "kpp": "773601001"},
                                 phones=["8 (495) 123-45-67"], emails=["Sales@Romashka.RU"])
    assert cp.inn == "7707083893"
    assert cp.responsible == manager
    assert cp.phones.get().number == "+74951234567"
    assert cp.emails.get().address == "sales@romashka.ru"
    entry = history_for(cp).get()
    assert entry.operation == "create" and entry.origin == "ui" and entry.user == manager
    assert entry.changes["inn"] == [None, "7707083893"]


@pytest.mark.parametrize("field,value,code_fragment", [
    ("inn", "7707083894", "INN"),           # wrong check digit
    ("inn", "77070838", "INN"),             # wrong length
    ("kpp", "77360100", "KPP"),
    ("ogrn", "1027700132196", "OGRN"),      # wrong check digit (valid is ...195)
    ("vat_number", "IT00743110158", "VAT"),
    ("tax_code", "RSSMRA85T10A562X", "fiscale"),
])
def test_invalid_tax_id_is_refused_next_to_its_field(manager, field, value, code_fragment):
    with pytest.raises(ValidationError) as exc:
        counterparty_create(user=manager, data={"name": "Bad", field: value})
    assert field in exc.value.message_dict
    assert code_fragment in " ".join(exc.value.message_dict[field])
    assert not Counterparty.objects.exists()
    assert not ChangeJournal.objects.exists()


def test_valid_italian_and_person_ids_are_accepted(manager):
    piva = partita_iva(7)
    it = counterparty_create(user=manager, data={"name": "Rossi S.r.l.", "country": "it", "vat_number": piva,
                                                 "tax_code": "RSSMRA85T10A562S"})
    assert it.vat_number == piva and it.country == "IT"
    eu = counterparty_create(user=manager, data={"name": "Muster GmbH", "country": "DE", "vat_number": "DE 136695976"})
    assert eu.vat_number == "DE136695976"
    person = counterparty_create(user=manager, data={"name": "Petrov", "kind": CounterpartyKind.SOLE_TRADER,
                                                     "inn": inn12(3), "ogrn": "304500116000157"})
    assert len(person.inn) == 12


def test_kind_and_inn_length_must_agree(manager):
    with pytest.raises(ValidationError) as exc:
        counterparty_create(user=manager, data={"name": "Ivanov", "kind": CounterpartyKind.INDIVIDUAL,
                                                "inn": "7707083893", "kpp": "773601001"})
    assert set(exc.value.message_dict) == {"inn", "kpp"}


def test_malformed_phone_rolls_back_the_whole_create(manager):
    with pytest.raises(ValidationError) as exc:
        counterparty_create(user=manager, data={"name": "Romashka"}, phones=["12-ab"])
    assert "number" in exc.value.message_dict
    assert not Counterparty.objects.exists() and not Phone.objects.exists()
    assert not ChangeJournal.objects.exists()


def test_update_journals_only_what_changed(manager):
    cp = counterparty_create(user=manager, data={"name": "A"})
    counterparty_update(user=manager, counterparty=cp, data={"name": "A"})
    assert history_for(cp).count() == 1
    counterparty_update(user=manager, counterparty=cp, data={"name": "B", "is_vip": True})
    last = history_for(cp).first()
    assert last.operation == "update"
    assert last.changes == {"name": ["A", "B"], "is_vip": [False, True]}


def test_manager_cannot_touch_or_take_another_managers_client(manager, other_manager):
    cp = counterparty_create(user=other_manager, data={"name": "Theirs"})
    with pytest.raises(PermissionDenied):
        counterparty_update(user=manager, counterparty=cp, data={"name": "Mine now"})
    with pytest.raises(PermissionDenied):
        contact_create(user=manager, counterparty=cp, data={"first_name": "Spy"})
    mine = counterparty_create(user=manager, data={"name": "Mine"})
    with pytest.raises(PermissionDenied):
        # Handing a client to someone else takes it out of my reach: only a head or admin may do that.
        counterparty_update(user=manager, counterparty=mine, data={"responsible": other_manager})
    cp.refresh_from_db()
    mine.refresh_from_db()
    assert cp.name == "Theirs" and mine.responsible == manager
    assert not ContactPerson.objects.exists()


def test_journal_is_append_only(manager):
    cp = counterparty_create(user=manager, data={"name": "A"})
    entry = history_for(cp).get()
    entry.object_repr = "tampered"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
