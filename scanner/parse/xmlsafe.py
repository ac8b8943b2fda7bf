"""The one place camscan parses XML.

Every XML document camscan reads came off the network (SADP, WS-Discovery, SOAP, UPnP, ISAPI),
so it is parsed as hostile input:

- defusedxml's SAX reader with DTDs, entity declarations and external references forbidden
  (billion laughs, XXE): any of them -> ``DecodeError("XML entity refused")``;
- input capped at ``scanner.limits.XML_MAX`` bytes, nesting at ``DEPTH_MAX``, elements at
  ``ELEMENTS_MAX``;
- invalid UTF-8 (or the declared charset) decoded with replacement characters, never refused.

Namespace processing is off on purpose: devices send fragments whose prefixes are never
declared (``<d:ProbeMatch>`` cut out of its envelope), and the same element arrives under
WS-Discovery 2005/04 or 2009/01 URIs. Parsers therefore match elements by *local name*; the
URI a prefix resolves to is still recorded (``Element.namespace``) where it is declared.

A document cut short (a truncated datagram, a pasted excerpt) still yields the elements read
before the break, with ``XmlDocument.complete`` False; each parser decides what it can use.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl

from defusedxml.common import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from scanner.errors import DecodeError
from scanner.limits import XML_MAX
from scanner.parse.charset import decode_declared
from scanner.parse.kv import TOO_LARGE, add_value, decode_text, first_value

DEPTH_MAX = 32
"""Deepest element nesting accepted (real answers nest 6 levels at most)."""
ELEMENTS_MAX = 4096
"""Most elements kept from one document."""

ENTITY_REFUSED = "XML entity refused"

_DECLARATION = re.compile(r"\A\s*<\?xml[^>]{0,200}?\?>")
_ENCODING = re.compile(rb"\A\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']")
# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF): a stray one in a
# device's answer must not void the whole document.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def local_name(qname: str) -> str:
    """'d:ProbeMatch' -> 'ProbeMatch'; a name without prefix is returned unchanged."""
    return qname.rpartition(":")[2]


@dataclass(frozen=True, slots=True)
class Element:
    """One XML element as the device sent it."""

    qname: str
    """The tag as written, prefix included ('d:ProbeMatch')."""
    namespace: str
    """URI the tag's prefix (or the default namespace) resolves to; '' if none is declared."""
    attrs: tuple[tuple[str, str], ...]
    text: str
    """The element's own character data, surrounding whitespace stripped."""
    children: tuple[Element, ...] = ()

    @property
    def tag(self) -> str:
        """The local name: 'ProbeMatch' for 'd:ProbeMatch'."""
        return local_name(self.qname)

    def attr(self, name: str) -> str | None:
        """Value of the attribute written `name` (qualified name, as in the document)."""
        return first_value(self.attrs, name)

    def child(self, tag: str) -> Element | None:
        """First direct child whose local name is `tag`."""
        return next((c for c in self.children if c.tag == tag), None)

    def child_text(self, tag: str) -> str | None:
        """Text of the first direct child named `tag`, None if there is no such child."""
        found = self.child(tag)
        return None if found is None else found.text

    def iter(self) -> Iterator[Element]:
        """This element and all below it, in document order (iterative: no recursion limit)."""
        stack: list[Element] = [self]
        while stack:
            element = stack.pop()
            yield element
            stack.extend(reversed(element.children))

    def find(self, tag: str) -> Element | None:
        """First element named `tag` at or below this one, in document order."""
        return next((e for e in self.iter() if e.tag == tag), None)

    def find_all(self, tag: str) -> list[Element]:
        """Every element named `tag` at or below this one, in document order."""
        return [e for e in self.iter() if e.tag == tag]


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed document: its root element and whether the parser reached its end."""

    root: Element
    complete: bool
    """False when the document broke off (truncated or malformed) after the root began."""


def parse_xml(data: bytes | str) -> XmlDocument:
    """Parse a device's XML answer; raise DecodeError if it is too large, hostile or not XML."""
    text = _sanitised_text(data)
    handler = _TreeBuilder()
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    complete = True
    try:
        parser.feed(text)
        parser.close()
    except DefusedXmlException as exc:
        raise DecodeError(ENTITY_REFUSED) from exc
    except _Refused as exc:
        raise DecodeError(str(exc)) from exc
    except SAXException as exc:
        if handler.root is None and not handler.stack:
            raise DecodeError(f"not XML: {_reason(exc)}") from exc
        complete = handler.root is not None  # junk after a closed root loses nothing
    root = handler.finish()
    if root is None:
        raise DecodeError("not XML: no element")
    return XmlDocument(root, complete)


def flat_children(element: Element, *, depth: int = 3) -> dict[str, str]:
    """Child elements as local-name -> text; nested children as 'Parent.Child' (to `depth`).

    A name that occurs more than once keeps each distinct value, joined by a single space.
    """
    table: dict[str, str] = {}
    pending: list[tuple[str, Element, int]] = [("", c, 1) for c in reversed(element.children)]
    while pending:
        prefix, node, level = pending.pop()
        key = f"{prefix}{node.tag}"
        if node.children and level < depth:
            pending.extend((f"{key}.", c, level + 1) for c in reversed(node.children))
        elif node.children:
            continue
        else:
            add_value(table, key, node.text)
    return table


def flat_root(
    data: bytes | str, tag: str, name: str, article: str = "a"
) -> tuple[XmlDocument, dict[str, str]]:
    """A flat document (SADP, ISAPI): the document and its root's flat_children. DecodeError
    ``not <article> <name> (root element 'x')`` when the root is not `tag`, ``<name> is
    empty`` when it has no children."""
    document = parse_xml(data)
    if document.root.tag != tag:
        raise DecodeError(f"not {article} {name} (root element {document.root.tag!r})")
    fields = flat_children(document.root)
    if not fields:
        raise DecodeError(f"{name} is empty")
    return document, fields


def _sanitised_text(data: bytes | str) -> str:
    if isinstance(data, str):
        text = decode_text(data, limit=XML_MAX)
    elif len(data) > XML_MAX:
        raise DecodeError(TOO_LARGE)
    else:
        text = _decode(bytes(data))
    text = _DECLARATION.sub("", text.lstrip("\ufeff").rstrip("\x00"), count=1)
    return _NOT_XML_CHAR.sub("\ufffd", text)


def _decode(data: bytes) -> str:
    """Bytes -> text, honouring a BOM or an ASCII-compatible declared charset (GB2312...)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    declared = _ENCODING.match(data)
    if declared:
        # Only an ASCII-compatible text charset: the declaration itself was read as ASCII.
        text = decode_declared(data, declared.group(1).decode("ascii"))
        if text is not None:
            return text
    return data.decode("utf-8", "replace")


def _reason(exc: SAXException) -> str:
    return str(exc.getMessage() if hasattr(exc, "getMessage") else exc)


class _Refused(Exception):
    """Raised inside the SAX callbacks to stop a document that breaks a bound."""


@dataclass(slots=True)
class _Open:
    """An element whose end tag has not been read yet."""

    qname: str
    namespaces: dict[str, str]
    attrs: tuple[tuple[str, str], ...]
    text: list[str] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)

    def close(self) -> Element:
        prefix = self.qname.rpartition(":")[0]
        return Element(
            self.qname,
            self.namespaces.get(prefix, ""),
            self.attrs,
            "".join(self.text).strip(),
            tuple(self.children),
        )


class _TreeBuilder(ContentHandler):
    """SAX callbacks -> a tree of frozen Elements, bounded in depth and count."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Open] = []
        self.root: Element | None = None
        self.count = 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # SAX API names
        self.count += 1
        if self.count > ELEMENTS_MAX:
            raise _Refused(f"XML has more than {ELEMENTS_MAX} elements")
        if len(self.stack) >= DEPTH_MAX:
            raise _Refused(f"XML nested deeper than {DEPTH_MAX} levels")
        if self.root is not None:
            raise _Refused("XML has more than one root element")
        pairs = tuple((str(k), str(v)) for k, v in attrs.items())
        inherited = self.stack[-1].namespaces if self.stack else {}
        declared = {
            k.partition(":")[2] if k.startswith("xmlns:") else "": v
            for k, v in pairs
            if k == "xmlns" or k.startswith("xmlns:")
        }
        namespaces = {**inherited, **declared} if declared else inherited
        self.stack.append(_Open(name, namespaces, pairs))

    def endElement(self, name: str) -> None:  # SAX API names
        element = self.stack.pop().close()
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text.append(content)

    def finish(self) -> Element | None:
        """Close whatever is still open (a truncated document) and return the root.

        The innermost open leaf is dropped: its text was cut mid-value ('DS-2CD23'), and a
        cut value is worse than none.
        """
        if len(self.stack) > 1 and not self.stack[-1].children:
            self.stack.pop()
        while self.stack:
            self.endElement(self.stack[-1].qname)
        return self.root
