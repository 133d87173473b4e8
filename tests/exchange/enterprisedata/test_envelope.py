"""The EnterpriseData envelope: written and read back, negotiated, checked as 1C checks it; hostile files refused."""

from __future__ import annotations

import io

import pytest

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import envelope as env


def _written(header, objects=()):
    out = io.BytesIO()
    env.write_message(out, header, objects)
    return out.getvalue()


def test_header_reads_back_as_written():
    header = env.Header(format=env.format_uri("1.17"), sender="RC", recipient="BP", message_no=7, received_no=5,
                        versions=["1.16", "1.17"], prefix="RC", new_from="RC2",
                        object_types=[env.ObjectTypeSupport(fmt.COUNTERPARTY, "*", "1.16,1.17")])
    read = env.MessageReader(io.BytesIO(_written(header)), file="m.xml").header
    assert (read.version, read.sender, read.recipient, read.message_no, read.received_no) == ("1.17", "RC", "BP", 7, 5)
    assert read.versions == ["1.16", "1.17"] and read.prefix == "RC" and read.new_from == "RC2"
    assert read.exchange_plan == env.EXCHANGE_PLAN
    assert read.object_types[0].receives("1.16") and not read.object_types[0].receives("1.10")


def test_settings_only_message_has_no_body():
    data = _written(env.Header(format=env.format_uri(None), sender="RC", versions=["1.17"]))
    assert b"Body" not in data
    reader = env.MessageReader(io.BytesIO(data))
    assert reader.header.settings_only and list(reader.objects()) == []


@pytest.mark.parametrize("ours, theirs, agreed", [
    (["1.10", "1.16", "1.17"], ["1.3", "1.8", "1.10", "1.16", "1.17"], "1.17"),
    (["1.10", "1.16", "1.17"], ["1.8", "1.10", "1.11", "1.12", "1.16"], "1.16"),
    (["1.10", "1.16"], ["1.9", "1.10"], "1.10"),     # 1.10 > 1.9: numbers, not text
    (["1.17"], ["1.22", "1.10"], None),
])
def test_highest_common_version(ours, theirs, agreed):
    assert env.highest_common_version(ours, theirs) == agreed


def test_numbering_rules_of_1c():
    header = env.Header(format=env.format_uri("1.17"), sender="BP", recipient="RC", message_no=3)
    assert env.already_received(header, 3) and env.already_received(header, 4)
    assert not env.already_received(header, 2)
    header.message_no = 0     # numbering off: always taken
    assert not env.already_received(header, 10)


def test_a_message_for_someone_else_is_refused_as_1c_does():
    header = env.Header(format=env.format_uri("1.17"), sender="BP", recipient="SOMEONE", message_no=1)
    with pytest.raises(env.EnvelopeError) as exc:
        env.check_addressed(header, our_codes=["RC"], peer_codes=["BP"], file="m.xml")
    assert exc.value.code == "exchange.enterprisedata.not_addressed" and "178" in exc.value.message
    header.recipient = "RC"
    header.sender = "UT"
    with pytest.raises(env.EnvelopeError) as exc:
        env.check_addressed(header, our_codes=["RC"], peer_codes=["BP"])
    assert exc.value.code == "exchange.enterprisedata.unknown_sender"


def test_objects_stream_in_order():
    version = "1.16"
    recs = [fmt.CounterpartyRec(ref=f"00000000-0000-0000-0000-00000000000{i}", name=f"N{i}") for i in range(5)]
    data = _written(env.Header(format=env.format_uri(version), sender="BP", recipient="RC", message_no=1,
                               versions=[version]), [fmt.counterparty_element(r, version) for r in recs])
    reader = env.MessageReader(io.BytesIO(b"\xef\xbb\xbf" + data))    # 1C writes a BOM
    assert [fmt.read_object(el, version).name for el in reader.objects()] == [r.name for r in recs]


HOSTILE = [
    (b'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY a "aaaa">]>\n<Message/>', "exchange.xml.doctype", 2),
    (b'<?xml version="1.0"?>\n<Message>\n<msg:Header xmlns:msg="http://www.1c.ru/SSL/Exchange/Message">\n'
     b'<msg:Format>x</msg:Format>\n</Message>', "exchange.xml.malformed", 5),
    (b'<?xml version="1.0"?>\n<Other/>', "exchange.enterprisedata.protocol", 2),
    (b'<?xml version="1.0"?>\n<Message xmlns:msg="http://www.1c.ru/SSL/Exchange/Message">\n<msg:Header>'
     b'<msg:Format>http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.17</msg:Format></msg:Header></Message>',
     "exchange.enterprisedata.protocol", 3),      # no Confirmation: 1C's error 9
]


@pytest.mark.parametrize("data, code, line", HOSTILE)
def test_hostile_or_broken_files_are_refused_with_file_and_line(data, code, line):
    with pytest.raises(env.EnvelopeError) as exc:
        reader = env.MessageReader(io.BytesIO(data), file="Message_BP_RC.xml")
        list(reader.objects())
    assert exc.value.code == code
    assert exc.value.file == "Message_BP_RC.xml" and exc.value.line == line
    assert str(exc.value).startswith(f"Message_BP_RC.xml:{line}: ")


def test_text_over_the_limit_is_refused():
    rec = fmt.CounterpartyRec(ref="r", name="x" * 5000)
    data = _written(env.Header(format=env.format_uri("1.17"), sender="BP", recipient="RC", message_no=1,
                               versions=["1.17"]), [fmt.counterparty_element(rec, "1.17")])
    reader = env.MessageReader(io.BytesIO(data), max_text=1000)
    with pytest.raises(env.EnvelopeError) as exc:
        list(reader.objects())
    assert exc.value.code == "exchange.xml.text_too_long"


def test_body_in_another_version_than_the_header_is_refused():
    data = _written(env.Header(format=env.format_uri("1.17"), sender="BP", recipient="RC", message_no=1,
                               versions=["1.17"]), [fmt.counterparty_element(fmt.CounterpartyRec("r", "n"), "1.16")])
    data = data.replace(b'<Body xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.17">',
                        b'<Body xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.16">')
    with pytest.raises(env.EnvelopeError) as exc:
        list(env.MessageReader(io.BytesIO(data)).objects())
    assert exc.value.code == "exchange.enterprisedata.protocol" and "Body" in exc.value.message
