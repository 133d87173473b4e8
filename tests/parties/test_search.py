"""Search of counterparties and contact persons: every field, phones in any format, the index kept in step by
the services, by plain ORM writes and by the bulk paths, and results that never cross the access policy."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from raccordo.demo.bulk import seed_scale
from raccordo.demo.reference import ensure_reference
from raccordo.parties import search
from raccordo.parties.models import ContactPerson, Counterparty, Email, Phone, SearchDocument
from raccordo.parties.selectors import contact_list, counterparty_list
from raccordo.parties.services import (
    contact_create,
    contact_delete,
    contact_point_delete,
    contact_update,
    counterparty_create,
    counterparty_delete,
    counterparty_update,
    email_add,
    phone_add,
)
from tests.factories import ContactPersonFactory, CounterpartyFactory, inn10, inn12

pytestmark = pytest.mark.django_db


def found(user, term) -> set[str]:
    return {cp.name for cp in counterparty_list(user=user, search=term)}


def found_contacts(user, term) -> set[str]:
    return {c.last_name for c in contact_list(user=user, search=term)}


def assert_index_in_step() -> None:
    """The documents are exactly what the records say now, and the database's index agrees with them."""
    stored = sorted((str(c), str(p), t) for c, p, t in SearchDocument.objects.values_list("counterparty_id",
                                                                                         "contact_id", "text"))
    expected = sorted((str(c), str(p), t) for c, p, t in
                      search.build_documents(Counterparty.objects.values_list("pk", flat=True)))
    assert stored == expected
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for fts in (search.FTS_TRIGRAM, search.FTS_WORDS):
                cursor.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def romashka(manager):
    cp = counterparty_create(user=manager, data={
        "kind": "legal", "name": "Ромашка-Трейд", "full_name": "ООО «Ромашка-Трейд»", "inn": "7707083893",
        "ogrn": "1027700132195"}, phones=["+7 916 100-20-30"], emails=["Sales@Romashka.example"])
    contact_create(user=manager, counterparty=cp, data={"last_name": "Алёшина", "first_name": "Мария",
                                                        "position": "Главный бухгалтер"},
                   phones=["+7 495 765-43-21"], emails=["maria@romashka.example"])
    return cp


@pytest.mark.parametrize("term", [
    "Ромашка-Трейд", "ромашка", "РОМАШКА", "шка-тр", "ООО «Ромашка",      # name and full name, any case
    "Ромашка Трейд", "трейд ромашка",                                    # every word, in any order
    "7707083893", "77070838", "1027700132195",                            # INN (whole or its start), OGRN
    "+7 916 100-20-30", "8 (916) 100-20-30", "89161002030", "9161002030",  # a phone in any format
    "916 100 20 30", "100-20-30", "+79161002030",
    "sales@romashka.example", "SALES@ROMASHKA.EXAMPLE", "romashka.example",  # e-mail, whole or part
    "+7 495 765-43-21", "maria@romashka.example",                        # the contact's phone and e-mail
])
def test_finds_a_counterparty_by_every_field(manager, romashka, term):
    assert found(manager, term) == {"Ромашка-Трейд"}, term


@pytest.mark.parametrize("term", ["Ромашка-Трейд!", "7707083894", "+7 916 100-20-31", "other@romashka.example",
                                  "Ромашка Лютик", "--"])
def test_finds_nothing_for_what_is_not_there(manager, romashka, term):
    assert found(manager, term) == set()


@pytest.mark.parametrize("term", ["Алёшина", "алешина", "Мария", "бухгалтер", "Ромашка", "+7 495 765-43-21",
                                  "8 495 7654321", "maria@romashka.example", "Алешина Мария"])
def test_finds_a_contact_by_name_position_company_phone_and_email(manager, romashka, term):
    assert found_contacts(manager, term) == {"Алёшина"}, term


def test_contact_is_not_found_by_the_companys_other_phones(manager, romashka):
    assert found_contacts(manager, "+7 916 100-20-30") == set()


def test_one_or_two_letters_match_the_start_of_a_word(manager):
    for name in ("ИП Иванов А.А.", "Липа", "Ивушка"):
        counterparty_create(user=manager, data={"name": name})
    assert found(manager, "ип") == {"ИП Иванов А.А."}
    assert found(manager, "ив") == {"ИП Иванов А.А.", "Ивушка"}
    assert found(manager, "ип ив") == {"ИП Иванов А.А."}
    # A longer word is matched anywhere, a short one beside it as a word start.
    assert found(manager, "ванов ип") == {"ИП Иванов А.А."}


def test_latin_names_vat_numbers_and_tax_codes(manager):
    counterparty_create(user=manager, data={"name": "Idrotermica Lombarda", "country": "IT",
                                            "vat_number": "IT00743110157"})
    assert found(manager, "idroterm") == {"Idrotermica Lombarda"}
    assert found(manager, "lombarda idro") == {"Idrotermica Lombarda"}
    assert found(manager, "00743110157") == {"Idrotermica Lombarda"}
    assert found(manager, "IT00743110157") == {"Idrotermica Lombarda"}


def test_search_never_crosses_the_access_policy(manager, other_manager, romashka):
    counterparty_create(user=other_manager, data={"name": "Ромашка-Юг", "inn": inn10(77)},
                        phones=["+7 916 100-20-30"], emails=["sales@romashka.example"])
    for term in ("Ромашка", "+7 916 100-20-30", "sales@romashka.example"):
        assert found(manager, term) == {"Ромашка-Трейд"}, term
        assert found(other_manager, term) == {"Ромашка-Юг"}, term
    api = APIClient()
    api.force_authenticate(manager)
    names = {row["name"] for row in api.get("/api/v1/counterparties/", {"search": "8 916 100 20 30"}).json()["results"]}
    assert names == {"Ромашка-Трейд"}
    contacts = api.get("/api/v1/contacts/", {"search": "бухгалтер"}).json()["results"]
    assert [c["last_name"] for c in contacts] == ["Алёшина"]


def test_few_and_many_matches_give_the_same_results(manager, other_manager, monkeypatch):
    """Up to LITERAL_IDS matches go to the list as literal ids, more as a subquery: the same rows either way,
    still narrowed by the access policy."""
    for i in range(6):
        counterparty_create(user=manager, data={"name": f"Стройпром {i}", "inn": inn10(300 + i)})
        ContactPersonFactory(counterparty=Counterparty.objects.get(name=f"Стройпром {i}"), last_name=f"Стройков{i}")
    counterparty_create(user=other_manager, data={"name": "Стройпром чужой", "inn": inn10(399)})
    expected = {f"Стройпром {i}" for i in range(6)}
    contacts = {f"Стройков{i}" for i in range(6)}
    assert found(manager, "стройпром") == expected and found_contacts(manager, "стройков") == contacts
    monkeypatch.setattr(search, "LITERAL_IDS", 3)       # 7 matches: now the subquery path
    assert found(manager, "стройпром") == expected and found_contacts(manager, "стройков") == contacts
    assert found(other_manager, "стройпром") == {"Стройпром чужой"}


def test_list_and_global_search_pages_use_it(client, manager, other_manager, romashka):
    counterparty_create(user=other_manager, data={"name": "Ромашка-Юг"})
    client.force_login(manager)
    page = client.get(reverse("web:counterparty_list"), {"q": "8 (916) 100-20-30"})
    assert [cp.name for cp in page.context["rows"]] == ["Ромашка-Трейд"]
    page = client.get(reverse("web:contact_list"), {"q": "алешина"})
    assert [c.last_name for c in page.context["rows"]] == ["Алёшина"]
    page = client.get(reverse("web:search"), {"q": "ромашка"})
    assert [cp.name for cp in page.context["groups"]["counterparties"]] == ["Ромашка-Трейд"]
    assert [c.last_name for c in page.context["groups"]["contacts"]] == ["Алёшина"]


def test_services_keep_the_index_in_step(manager, romashka):
    counterparty_update(user=manager, counterparty=romashka, data={"name": "Василёк", "inn": "7736207543"})
    assert found(manager, "Ромашка-Трейд") == {"Василёк"}          # still in its full name
    assert found(manager, "василек") == {"Василёк"}
    assert found(manager, "7707083893") == set()
    assert found(manager, "7736207543") == {"Василёк"}
    assert found_contacts(manager, "Василёк") == {"Алёшина"}       # the contact carries the company's name
    phone = phone_add(user=manager, counterparty=romashka, number="8 812 300-40-50")
    email = email_add(user=manager, counterparty=romashka, address="new@vasilek.example")
    assert found(manager, "8123004050") == {"Василёк"}
    assert found(manager, "new@vasilek") == {"Василёк"}
    contact_point_delete(user=manager, point=phone)
    contact_point_delete(user=manager, point=email)
    assert found(manager, "8123004050") == set()
    assert found(manager, "new@vasilek") == set()
    contact = ContactPerson.objects.get(counterparty=romashka)
    contact_update(user=manager, contact=contact, data={"last_name": "Петрова"})
    assert found_contacts(manager, "Алёшина") == set()
    assert found_contacts(manager, "Петрова") == {"Петрова"}
    assert_index_in_step()
    contact_delete(user=manager, contact=contact)
    assert found_contacts(manager, "Петрова") == set()
    assert found(manager, "+7 495 765-43-21") == set()            # the contact's phone went with them
    assert_index_in_step()
    counterparty_delete(user=manager, counterparty=romashka)
    assert found(manager, "Василёк") == set()
    assert not SearchDocument.objects.exists()
    assert_index_in_step()


def test_plain_orm_writes_keep_the_index_in_step(manager):
    cp = CounterpartyFactory(responsible=manager, name="Alpha Trade", full_name="")
    person = ContactPersonFactory(counterparty=cp, last_name="Bianchi")
    Phone.objects.create(counterparty=cp, contact=person, number="+390212345678")
    Email.objects.create(counterparty=cp, address="info@firm.example")
    assert found(manager, "02 1234 5678") == {"Alpha Trade"}
    assert found(manager, "info@firm") == {"Alpha Trade"}
    assert found_contacts(manager, "0212345678") == {"Bianchi"}
    cp.name = "Beta Trade"
    cp.save()
    assert found(manager, "alpha") == set()
    assert found_contacts(manager, "beta trade") == {"Bianchi"}
    assert_index_in_step()
    cp.delete()
    assert not SearchDocument.objects.exists()
    assert_index_in_step()


def test_a_failed_service_leaves_the_index_as_it_was(manager, romashka):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        counterparty_create(user=manager, data={"name": "Half done"}, phones=["+7 916 555-66-77"],
                            emails=["not an e-mail"])
    assert found(manager, "Half done") == set()
    assert_index_in_step()


def test_bulk_demo_data_is_searchable(manager):
    ref = ensure_reference(rnd=random.Random(1), password="demo-pass-1234")
    result = seed_scale(n=300, ref=ref, rnd=random.Random(2), batch=250)
    assert result.counts["counterparty"] == 300
    assert SearchDocument.objects.count() == 300 + ContactPerson.objects.count()
    assert_index_in_step()
    cp = Counterparty.objects.exclude(inn="").order_by("pk")[123]
    phone = cp.phones.get().number
    anna = ref.managers[0].__class__.objects.get(pk=cp.responsible_id)
    assert cp.name in found(anna, cp.inn)
    assert cp.name in found(anna, "8" + phone[2:] if phone.startswith("+7") else phone)
    assert cp.name in found(anna, cp.emails.get().address)


def test_the_exchange_engine_tells_the_index_about_bulk_writes(manager):
    """BindingUpsert writes with bulk_create / bulk_update (no signals); index_written is how it reports."""
    people = [Counterparty(name=f"Bulk {i}", inn=inn12(500 + i), kind="sole_trader", responsible=manager)
              for i in range(3)]
    Counterparty.objects.bulk_create(people)
    assert found(manager, "Bulk") == set()
    search.index_written(Counterparty, [p.pk for p in people])
    assert found(manager, "Bulk") == {"Bulk 0", "Bulk 1", "Bulk 2"}
    Phone.objects.bulk_create([Phone(counterparty=people[0], number="+74957001122")])
    search.index_written(Phone, list(Phone.objects.values_list("pk", flat=True)))
    assert found(manager, "495 700-11-22") == {"Bulk 0"}
    assert_index_in_step()


def test_engine_upserts_reach_the_index(manager):
    from raccordo.exchange.engine import RunRecorder, Source
    from raccordo.exchange.models import ExchangeNode, Run
    from raccordo.exchange.upsert import BindingUpsert, Incoming

    node = ExchangeNode.objects.create(code="test-node", name="Test")
    recorder = RunRecorder(Run.objects.create(node=node))
    upsert = BindingUpsert(node=node, model=Counterparty, object_type="parties.counterparty", recorder=recorder)

    def incoming(ext, name):
        return Incoming(external_id=ext, fields={"name": name, "kind": "legal", "responsible": manager},
                        source=Source())

    upsert.apply([incoming("ext-0", "Imported 0"), incoming("ext-1", "Imported 1")])
    assert found(manager, "Imported") == {"Imported 0", "Imported 1"}
    upsert.apply([incoming("ext-0", "Renamed 0")])
    assert found(manager, "Imported") == {"Imported 1"}
    assert found(manager, "renamed") == {"Renamed 0"}
    assert_index_in_step()


def test_rebuild_writes_every_document_again(manager, romashka):
    CounterpartyFactory(responsible=manager, name="Gamma")
    SearchDocument.objects.all().delete()
    assert found(manager, "Gamma") == set()
    result = search.index_rebuild(batch=1)
    assert result.counterparties == 2 and result.documents == 3
    assert found(manager, "Gamma") == {"Gamma"}
    assert found(manager, "8 916 100 20 30") == {"Ромашка-Трейд"}
    assert_index_in_step()


def test_bulk_refresh_keeps_sqlite_triggers_and_index(manager, monkeypatch):
    monkeypatch.setattr(search, "BULK_REFRESH", 2)
    cps = [CounterpartyFactory(responsible=manager, name=f"Delta {i}") for i in range(4)]
    search.index_refresh(counterparty_ids=[cp.pk for cp in cps])
    assert_index_in_step()
    # The per-row triggers are back: a plain write after a bulk refresh still reaches the index.
    CounterpartyFactory(responsible=manager, name="Epsilon")
    assert found(manager, "epsilon") == {"Epsilon"}
    assert_index_in_step()


def test_search_command(manager, romashka, capsys):
    from django.core.management import call_command

    call_command("search", "find", "ромашка", "--user", manager.username)
    out = capsys.readouterr().out
    assert "Ромашка-Трейд" in out and "Алёшина" in out
    call_command("search", "rebuild")
    assert "Search index rebuilt: 1 counterparties, 2 documents" in capsys.readouterr().out
    assert_index_in_step()


def test_tabular_import_reaches_the_index(manager, tmp_path):
    """The CSV importer writes through the services, a batch at a time: its rows are searchable after."""
    import csv

    from raccordo.exchange import tabular

    path = tmp_path / "cp.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Name", "INN", "Phone", "E-mail"])
        for i in range(250):   # more than one bulk refresh's worth in a batch
            writer.writerow([f"Imported {i:03d}", inn10(300_000 + i), f"+7916{4000000 + i}", f"i{i}@import.example"])
    run = tabular.tabular_import(path=path, kind="counterparties")
    assert run.created == 250
    Counterparty.objects.update(responsible=manager)   # imported with no one responsible: give them to anna
    assert "Imported 123" in found(manager, "Imported 123")   # "123" also occurs in other INNs and phones
    assert found(manager, "8 916 400 01 23") == {"Imported 123"}
    assert found(manager, "i123@import.example") == {"Imported 123"}
    assert_index_in_step()


@pytest.mark.parametrize("term", ["Волгатерм", "волга-терм", "Волга Терм", "ВОЛГАТЕРМ", "волга.терм"])
def test_hyphens_spaces_and_dots_inside_a_name_do_not_matter(manager, term):
    # Issue #17: "Волгатерм" did not find "Волга-Терм".
    counterparty_create(user=manager, data={"name": "Волга-Терм"})
    counterparty_create(user=manager, data={"name": "Волгатерм Сервис"})
    counterparty_create(user=manager, data={"name": "Волга Терм Юг", "full_name": "ООО «Волга Терм Юг»"})
    counterparty_create(user=manager, data={"name": "Волгоград"})
    assert found(manager, term) == {"Волга-Терм", "Волгатерм Сервис", "Волга Терм Юг"}


def test_a_joined_up_name_is_found_for_a_contact_too(manager):
    cp = counterparty_create(user=manager, data={"name": "Aqua-Term"})
    contact_create(user=manager, counterparty=cp, data={"last_name": "Rossi", "first_name": "Paolo"})
    assert found_contacts(manager, "aquaterm") == {"Rossi"}


def test_a_joined_up_term_is_still_answered_by_the_index(manager):
    counterparty_create(user=manager, data={"name": "Волга-Терм"})
    sql = str(search.matching_documents("волга-терм").query)
    if connection.vendor == "sqlite":
        assert search.FTS_TRIGRAM in sql and "MATCH" in sql
    else:
        assert "LIKE" in sql.upper()   # the pg_trgm GIN index answers LIKE '%...%'
    assert search.parse("волга-терм") == [("волга-терм", "волгатерм")]


def test_pasting_searches_too(client, manager):
    # Issue #17: the search fields listened to keyup only, so text pasted with the mouse searched nothing.
    client.force_login(manager)
    page = client.get(reverse("web:counterparty_list")).content.decode()
    assert 'hx-trigger="input changed delay:300ms, search"' in page          # the top bar
    assert "input changed delay:300ms from:#list-q" in page                  # the list's own field
    assert "keyup" not in page
