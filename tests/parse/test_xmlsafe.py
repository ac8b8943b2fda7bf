"""The hardened XML layer every structured parser goes through."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.limits import XML_MAX
from scanner.parse.xmlsafe import DEPTH_MAX, ELEMENTS_MAX, flat_children, local_name, parse_xml

from .structured_captures import HOSTILE_XML, capture


@pytest.mark.parametrize("document", HOSTILE_XML, ids=["billion-laughs", "xxe", "external-dtd"])
def test_entities_and_dtds_are_refused(document: bytes) -> None:
    """Billion laughs, an external entity and an external DTD all raise 'XML entity refused'."""
    with pytest.raises(DecodeError, match="XML entity refused"):
        parse_xml(document)


def test_external_entity_is_refused_even_as_text() -> None:
    """The XXE document given as str (camscan identify) is refused the same way."""
    with pytest.raises(DecodeError, match="XML entity refused"):
        parse_xml(HOSTILE_XML[1].decode())


def test_oversized_answer_is_refused() -> None:
    """A document one byte over XML_MAX is refused before parsing, bytes or str."""
    data = b"<a>" + b"x" * (XML_MAX - 6) + b"</a>"
    with pytest.raises(DecodeError, match="answer larger than 64 KiB"):
        parse_xml(data)
    with pytest.raises(DecodeError, match="answer larger than 64 KiB"):
        parse_xml(data.decode())


def test_a_document_of_exactly_xml_max_is_read() -> None:
    """The cap is inclusive: XML_MAX bytes still parse."""
    data = b"<a>" + b"x" * (XML_MAX - 7) + b"</a>"
    assert len(data) == XML_MAX
    assert parse_xml(data).root.tag == "a"


def test_multibyte_text_counts_in_bytes() -> None:
    """A str under XML_MAX characters but over XML_MAX UTF-8 bytes is refused."""
    with pytest.raises(DecodeError, match="64 KiB"):
        parse_xml("<a>" + "\u4e2d" * (XML_MAX // 2) + "</a>")


def test_invalid_utf8_is_replaced_not_refused() -> None:
    """Broken UTF-8 inside a value becomes U+FFFD and the rest of the document survives."""
    document = parse_xml(b"<a><b>\xff\xfeok</b><c>next</c></a>")
    assert document.complete
    assert flat_children(document.root) == {"b": "\ufffd\ufffdok", "c": "next"}


def test_declared_charset_is_honoured() -> None:
    """A GB2312 answer (common on Chinese firmware) decodes its text correctly."""
    data = '<?xml version="1.0" encoding="GB2312"?><a>\u4e2d\u6587</a>'.encode("gb2312")
    assert parse_xml(data).root.text == "\u4e2d\u6587"


@pytest.mark.parametrize(
    "encoding", ["undefined", "idna", "punycode", "unicode_escape", "utf-7", "rot13", "no-such"]
)
def test_hostile_declared_encodings_fall_back_to_utf8(encoding: str) -> None:
    """A declared codec that refuses 'replace', rewrites markup or does not exist is ignored."""
    data = b'<?xml version="1.0" encoding="%s"?><a>\xff\\x3c</a>' % encoding.encode()
    assert parse_xml(data).root.text == "\ufffd\\x3c"


def test_control_characters_and_trailing_nul_are_tolerated() -> None:
    """A stray C0 control byte and the C-string NUL some firmware appends do not void it."""
    document = parse_xml(b"<a><b>x\x01y</b></a>\x00")
    assert document.complete and document.root.child_text("b") == "x\ufffdy"


def test_undeclared_prefixes_parse_by_local_name() -> None:
    """A body fragment whose prefixes were never declared still parses (real captures do this)."""
    root = parse_xml(capture("hikvision-ds-2cd2385g1-i-v5.6.2.wsd.xml")).root
    assert root.qname == "env:Body"
    match = root.find("ProbeMatch")
    assert match is not None and match.qname == "d:ProbeMatch"
    assert match.child_text("MetadataVersion") == "10"


def test_declared_namespaces_are_resolved() -> None:
    """A declared prefix or default namespace resolves to its URI."""
    root = parse_xml(capture("unknown-unknown-unknown.onvif-fault.xml")).root
    assert root.namespace == "http://www.w3.org/2003/05/soap-envelope"
    isapi = parse_xml(capture("hikvision-ds-2cd2386g2-iu-v5.7.18.isapi.xml")).root
    assert isapi.namespace == "http://www.hikvision.com/ver20/XMLSchema"


def test_truncated_document_keeps_closed_elements_only() -> None:
    """A real truncated capture yields the elements closed before the cut, not the cut value."""
    document = parse_xml(capture("unknown-acr4-40-unknown.isapi.xml"))
    assert not document.complete
    table = flat_children(document.root)
    assert table["model"] == "ACR4-40"
    assert "macAddress" not in table


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml", b"<?xml version='1.0'?>", b"{}"])
def test_no_element_is_an_error(data: bytes) -> None:
    """Input without any element is a DecodeError, not an empty record."""
    with pytest.raises(DecodeError, match="not XML"):
        parse_xml(data)


def test_depth_and_element_count_are_bounded() -> None:
    """Deep nesting and element floods are refused with a message naming the bound."""
    with pytest.raises(DecodeError, match="nested deeper"):
        parse_xml(b"<a>" * (DEPTH_MAX + 1))
    with pytest.raises(DecodeError, match="more than"):
        parse_xml(b"<a>" + b"<b/>" * ELEMENTS_MAX + b"</a>")


def test_local_name() -> None:
    """Prefixes are stripped; unprefixed names are unchanged."""
    assert local_name("wsdd:ProbeMatch") == "ProbeMatch"
    assert local_name("ProbeMatch") == "ProbeMatch"


def test_flat_children_joins_repeats_and_dots_nesting() -> None:
    """Repeated tags keep each distinct value; nested elements get dotted keys."""
    root = parse_xml(b"<r><a>1</a><a>2</a><a>1</a><n><x>y</x></n></r>").root
    assert flat_children(root) == {"a": "1 2", "n.x": "y"}
