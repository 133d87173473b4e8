"""Hostile and broken input: the reader must refuse it cleanly and with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from raccordo.exchange.formats.commerceml import CommerceMLError, ErrorRec, ProductRec, read

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT_OPEN = '<КоммерческаяИнформация ВерсияСхемы="2.05">'
ROOT_CLOSE = "</КоммерческаяИнформация>"


def cml(body: str, head: str = HEAD) -> bytes:
    return (head + ROOT_OPEN + body + ROOT_CLOSE).encode("utf-8")


def error_of(data: bytes | Path) -> CommerceMLError:
    with pytest.raises(CommerceMLError) as info:
        list(read(data))
    return info.value


# --------------------------------------------------------------------------- DOCTYPE family


def test_xxe_external_entity_is_refused():
    data = (
        HEAD
        + '<!DOCTYPE КоммерческаяИнформация [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + ROOT_OPEN
        + "<Каталог><Ид>&xxe;</Ид></Каталог>"
        + ROOT_CLOSE
    ).encode()
    err = error_of(data)
    assert err.code == "exchange.xml.doctype"
    assert err.line == 2
    assert "root:" not in str(err)


def test_billion_laughs_is_refused():
    ents = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    data = (
        HEAD
        + "<!DOCTYPE lolz ["
        + "".join(ents).replace("&lol0;", "&lol;")
        + "]>"
        + ROOT_OPEN
        + "<Каталог><Наименование>&lol9;</Наименование></Каталог>"
        + ROOT_CLOSE
    ).encode()
    assert error_of(data).code == "exchange.xml.doctype"


def test_external_dtd_is_refused():
    data = (
        HEAD
        + '<!DOCTYPE КоммерческаяИнформация SYSTEM "http://evil.example/cml.dtd">'
        + ROOT_OPEN
        + ROOT_CLOSE
    ).encode()
    assert error_of(data).code == "exchange.xml.doctype"


@pytest.mark.parametrize(
    "prefix",
    [
        b"\xef\xbb\xbf",  # UTF-8 BOM
        b"<!-- a comment first -->\n",
        b"<?some-pi data?>\n",
    ],
)
def test_doctype_behind_bom_comment_or_pi_is_refused(prefix: bytes):
    body = b'<!DOCTYPE x [<!ENTITY e "e">]>' + ROOT_OPEN.encode() + ROOT_CLOSE.encode()
    if prefix.startswith(b"\xef"):
        data = prefix + HEAD.encode() + body
    else:
        data = HEAD.encode() + prefix + body
    assert error_of(data).code == "exchange.xml.doctype"


def test_doctype_in_utf16_is_refused():
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]>' + ROOT_OPEN + ROOT_CLOSE
    assert error_of(text.encode("utf-16")).code == "exchange.xml.doctype"


def test_undeclared_entity_is_malformed():
    err = error_of(cml("<Каталог><Ид>&xxe;</Ид></Каталог>"))
    assert err.code == "exchange.xml.malformed"


# --------------------------------------------------------------------------- size limits


def test_text_over_the_cap_is_refused():
    big = "я" * 1_200_000
    err = error_of(
        cml(f"<Каталог><Товары><Товар><Ид>1</Ид><Описание>{big}</Описание></Товар></Товары></Каталог>")
    )
    assert err.code == "exchange.xml.text_too_long"
    assert err.line == 2
    # the record is indexed; elements inside it are named only
    assert err.path == "/КоммерческаяИнформация/Каталог/Товары/Товар[1]/Описание"


def test_cap_is_configurable():
    data = cml("<Каталог><Наименование>" + "x" * 500 + "</Наименование></Каталог>")
    assert error_of_kw(data, max_text=100).code == "exchange.xml.text_too_long"
    assert list(read(data))  # default cap lets it through


def error_of_kw(data: bytes, **kw) -> CommerceMLError:
    with pytest.raises(CommerceMLError) as info:
        list(read(data, **kw))
    return info.value


def test_attribute_over_the_cap_is_refused():
    err = error_of(cml(f'<Каталог СодержитТолькоИзменения="{"x" * 1_100_000}"></Каталог>'))
    assert err.code == "exchange.xml.text_too_long"


def test_tail_text_over_the_cap_is_refused():
    err = error_of(cml("<Каталог><Ид>1</Ид>" + "x" * 1_100_000 + "<Наименование/></Каталог>"))
    assert err.code == "exchange.xml.text_too_long"


_RSS_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from raccordo.exchange.formats.commerceml import CommerceMLError, read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = None
    count = 0
    try:
        for _ in read(sys.argv[1]):
            count += 1
    except CommerceMLError as exc:
        code = exc.code
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"code": code, "count": count, "rss_growth_kb": after - before}))
    """
)


def _probe(path: Path) -> dict:
    src = Path(__file__).resolve().parents[3] / "src"
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_20mb_text_node_is_refused_with_bounded_memory(tmp_path: Path):
    path = tmp_path / "huge-text.xml"
    with path.open("wb") as fh:
        fh.write((HEAD + ROOT_OPEN + "<Каталог><Товары><Товар><Ид>1</Ид><Описание>").encode())
        chunk = b"A" * (1 << 20)
        for _ in range(20):
            fh.write(chunk)
        fh.write(("</Описание></Товар></Товары></Каталог>" + ROOT_CLOSE).encode())
    assert path.stat().st_size > 20_000_000
    # in-process: Python-side allocations stay small
    tracemalloc.start()
    try:
        err = error_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.code == "exchange.xml.text_too_long"
    assert err.file == str(path)
    assert peak < 50_000_000
    # in a fresh process: the whole process (libxml2 included) grows by well under 100 MB
    result = _probe(path)
    assert result["code"] == "exchange.xml.text_too_long"
    assert result["rss_growth_kb"] < 100 * 1024, result


def test_oversized_record_is_skipped_not_kept():
    many = "".join(
        f"<ЗначениеРеквизита><Наименование>n{i}</Наименование><Значение>v</Значение></ЗначениеРеквизита>"
        for i in range(400)
    )
    body = (
        "<Каталог><Ид>c</Ид><Товары>"
        f"<Товар><Ид>big</Ид><ЗначенияРеквизитов>{many}</ЗначенияРеквизитов></Товар>"
        "<Товар><Ид>small</Ид><Наименование>ok</Наименование></Товар>"
        "</Товары></Каталог>"
    )
    records = list(read(cml(body), max_record_nodes=100))
    errors = [r for r in records if isinstance(r, ErrorRec)]
    assert [(e.code, e.element_id, e.element) for e in errors] == [
        ("exchange.cml.record_too_large", "big", "Товар")
    ]
    assert [p.id for p in records if isinstance(p, ProductRec)] == ["small"]


def test_excessive_nesting_is_refused():
    body = "<a>" * 3000 + "</a>" * 3000
    err = error_of(cml(body))
    assert err.code == "exchange.xml.too_deep"


# --------------------------------------------------------------------------- broken files


def test_invalid_utf8_bytes_give_the_line():
    data = cml("<Каталог>\n<Ид>1</Ид>\n<Наименование>\xff</Наименование></Каталог>").replace(
        "\xff".encode(), b"\xff\xfe"
    )
    err = error_of(data)
    assert err.code == "exchange.xml.malformed"
    assert err.line == 4


def test_truncated_file_gives_the_line():
    full = cml("<Каталог>\n<Товары>\n<Товар><Ид>1</Ид></Товар>\n<Товар><Ид>2</Ид>")
    truncated = full[: full.index(ROOT_CLOSE.encode())]
    seen = []
    with pytest.raises(CommerceMLError) as info:
        for rec in read(truncated):
            seen.append(rec)
    assert info.value.code == "exchange.xml.malformed"
    assert info.value.line == 5
    # what came before the damage was still delivered
    assert [r.id for r in seen if isinstance(r, ProductRec)] == ["1"]


def test_mismatched_tags_are_malformed():
    err = error_of(cml("<Каталог>\n<Ид>1</Наименование></Каталог>"))
    assert err.code == "exchange.xml.malformed" and err.line == 3


def test_empty_and_garbage_input():
    assert error_of(b"").code == "exchange.xml.malformed"
    assert error_of(b"PK\x03\x04 this is a zip").code == "exchange.xml.malformed"


def test_non_commerceml_root():
    err = error_of(b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>')
    assert err.code == "exchange.cml.not_commerceml"
    assert err.line == 2


def test_error_carries_file_name(tmp_path: Path):
    path = tmp_path / "bad.xml"
    path.write_bytes(b"<html><body/></html>")
    err = error_of(path)
    assert err.file == str(path)
    assert str(path) in str(err)


# --------------------------------------------------------------------------- the pre-check


@pytest.mark.parametrize("data", [
    cml("<a>" * 3000 + "</a>" * 3000),                                  # deeper than libxml2's 256
    cml("<Каталог>\n<Ид>1</Наименование></Каталог>"),                    # mismatched tags
    cml("<Каталог>\n<Товары>\n<Товар><Ид>2</Ид>")[:-len(ROOT_CLOSE)],    # truncated
    b"",
    b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>',      # not CommerceML
    b"<rss>" + b"<item>x</item>" * 200_000 + b"</rs>",                  # not CommerceML, broken past 1 MB
], ids=["deep", "mismatched", "truncated", "empty", "rss", "big-rss"])
def test_check_refuses_what_read_refuses(data: bytes):
    """reader.check() (the pre-scan before an import writes anything) raises what a full read raises."""
    from raccordo.exchange.formats.commerceml.reader import check

    with pytest.raises(CommerceMLError) as info:
        check(data)
    assert info.value.code == error_of(data).code


_CHECK_RSS_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from raccordo.exchange.formats.commerceml.reader import check
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    check(sys.argv[1])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_growth_kb": after - before}))
    """
)


def test_check_passes_a_long_file_with_flat_memory(tmp_path: Path):
    """The pre-check drops what libxml2 has parsed as it goes: 30 MB of small records (a tree of several
    hundred MB if kept) cost it a few MB."""
    path = tmp_path / "long.xml"
    item = "<Товар><Ид>p</Ид><Наименование>Насос</Наименование></Товар>\n".encode()
    with path.open("wb") as fh:
        fh.write((HEAD + ROOT_OPEN + "<Каталог><Товары>").encode())
        block = item * 10_000
        while fh.tell() < 30_000_000:
            fh.write(block)
        fh.write(("</Товары></Каталог>" + ROOT_CLOSE).encode())
    src = Path(__file__).resolve().parents[3] / "src"
    out = subprocess.run([sys.executable, "-c", _CHECK_RSS_PROBE, str(path)], capture_output=True, text=True,
                         timeout=300, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rss_growth_kb"] < 30 * 1024, result
