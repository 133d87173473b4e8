"""Contact persons (Справочник.КонтактныеЛица, 1.17 only): the format, both ways with the scripted 1C, identity."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raccordo.core.models import ChangeJournal
from raccordo.exchange.formats.enterprisedata import contacts as ct
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import Binding
from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.parties.services import contact_create, contact_update

from .conftest import needs_corpus
from .test_counterparties_format import _validate, digits, guid
from .test_exchange import ROMASHKA, _handshake, _romashka, _run

pytestmark = needs_corpus
PETROV = "5a1c1b8e-7a3d-11ee-b962-0242ac120050"
words = st.text(alphabet="АБВГДЕЖЗИКЛМНОПРСТабвгдежзиклмнопрст", min_size=1, max_size=12)


@st.composite
def contact_recs(draw):
    return ct.ContactRec(
        ref=draw(guid), name=" ".join(draw(st.lists(words, min_size=1, max_size=3))),
        position=draw(st.one_of(st.just(""), words)),
        phones=draw(st.lists(st.tuples(st.sampled_from(sorted(fmt.PHONE_KINDS)), digits(11).map(lambda d: "+" + d)),
                             max_size=2)),
        emails=draw(st.lists(digits(5).map(lambda d: f"p{d}@example.ru"), max_size=2)))


def test_written_contact_persons_validate_and_read_back_the_same(message_schema):
    schema = message_schema("1.17")
    owner = _romashka("1.17")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rec=contact_recs())
    def check(rec):
        objects = [ct.contact_element(rec, owner, "1.17"), fmt.deletion_element(ct.CONTACT_REF, rec.ref, "1.17")]
        _validate(schema, "1.17", objects)
        back = ct.read_contact(objects[0], "1.17")
        assert back.counterparty.ref == ROMASHKA
        back.counterparty, back.line = None, None
        assert back == rec
        assert fmt.read_object(objects[1], "1.17").object_type == ct.CONTACT_REF
    check()


@pytest.mark.parametrize("version", ["1.10", "1.16"])
def test_no_contact_persons_before_1_17(version):
    with pytest.raises(ValueError, match="has no Справочник.КонтактныеЛица"):
        ct.contact_element(ct.ContactRec(ref=PETROV, name="Петров Пётр"), _romashka(version), version)
    el = ct.contact_element(ct.ContactRec(ref=PETROV, name="Петров Пётр"), _romashka("1.17"), "1.17")
    assert ct.read_contact(el, version) is None


def _petrov(name="Петров Пётр Петрович", position="Главный бухгалтер", ref=PETROV):
    def build(version):
        return ct.contact_element(ct.ContactRec(ref=ref, name=name, position=position, phones=[("work", "+74957654321")],
                                                emails=["petrov@romashka.ru"]), _romashka(version), version)
    return build


def _start(node, peer, versions=("1.17",)):
    peer.versions = list(versions)
    header, _records = _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    assert _run(node).failed == 0
    peer.receive()
    return header


@pytest.mark.django_db
def test_contact_persons_come_from_1c_once_and_go_back_changed(node, peer, manager):
    header = _start(node, peer)
    listed = {o.name: (o.sending, o.receiving) for o in header.object_types}
    assert listed[ct.CONTACT] == ("1.17", "1.17")
    peer.send([_petrov()])
    run = _run(node)
    assert (run.created, run.failed) == (1, 0), list(run.items.values("message"))
    person = ContactPerson.objects.get()
    assert (person.last_name, person.first_name, person.middle_name, person.position) == (
        "Петров", "Пётр", "Петрович", "Главный бухгалтер")
    assert person.counterparty.inn == "7707083893"
    assert list(person.phones.values_list("number", flat=True)) == ["+74957654321"]
    assert list(person.emails.values_list("address", flat=True)) == ["petrov@romashka.ru"]
    _header, records = peer.receive()
    assert records == []                 # what came from 1C is not echoed back

    journal = ChangeJournal.objects.count()
    peer.send([_petrov()])
    run = _run(node)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 1)
    assert ChangeJournal.objects.count() == journal
    peer.receive()

    # Changed in Raccordo: it goes to 1C under 1C's GUID, in the version's schema (checked in receive()).
    contact_update(user=None, contact=person, data={"position": "Финансовый директор"})
    peer.send()
    _run(node)
    _header, records = peer.receive()
    [sent] = [r for r in records if isinstance(r, ct.ContactRec)]
    assert (sent.ref, sent.name, sent.position, sent.counterparty.ref) == (
        PETROV, "Петров Пётр Петрович", "Финансовый директор", ROMASHKA)

    # 1C's echo of it writes nothing; 1C's deletion makes the person inactive.
    journal = ChangeJournal.objects.count()
    peer.send([lambda v: ct.contact_element(sent, _romashka(v), v)])
    assert _run(node).unchanged == 1 and ChangeJournal.objects.count() == journal
    peer.receive()
    peer.send([lambda v: fmt.deletion_element(ct.CONTACT_REF, PETROV, v)])
    assert _run(node).failed == 0
    person.refresh_from_db()
    assert not person.is_active and ContactPerson.objects.count() == 1


@pytest.mark.django_db
def test_a_contact_made_in_raccordo_is_found_by_name_then_sent_under_our_id(node, peer, manager):
    _start(node, peer)
    cp = Counterparty.objects.get(pk=Binding.objects.get(external_id=ROMASHKA).object_id)
    ours = contact_create(user=None, counterparty=cp, data={"last_name": "Петров", "first_name": "Пётр",
                                                            "middle_name": "Петрович"})
    peer.send([_petrov(name="Петров  Пётр Петрович")])       # 1C has its own GUID for the same person
    run = _run(node)
    assert (run.created, run.failed) == (0, 0) and run.updated == 1
    assert ContactPerson.objects.get() == ours
    assert Binding.objects.get(object_type=ct.CONTACT).external_id == PETROV
    peer.receive()

    other = contact_create(user=None, counterparty=cp, data={"first_name": "Анна", "last_name": "Сидорова"})
    peer.send()
    _run(node)
    _header, records = peer.receive()
    assert [(r.ref, r.name) for r in records if isinstance(r, ct.ContactRec)] == [(str(other.pk), "Сидорова Анна")]


@pytest.mark.django_db
def test_in_1_16_contact_persons_are_neither_listed_nor_written(node, peer, manager):
    header = _start(node, peer, versions=("1.16",))
    assert not next(o for o in header.object_types if o.name == ct.CONTACT).sends("1.16")
    cp = Counterparty.objects.get(pk=Binding.objects.get(external_id=ROMASHKA).object_id)
    contact_create(user=None, counterparty=cp, data={"first_name": "Анна", "last_name": "Сидорова"})
    peer.send()
    _run(node)
    _header, records = peer.receive()
    assert not any(isinstance(r, ct.ContactRec) for r in records)
    assert not Binding.objects.filter(object_type=ct.CONTACT).exists()
