"""Hardened XML parsing shared by the goAML, pacs.008 and UN list readers.

Reports come from outside the FIU and are untrusted. Every parse uses :data:`PARSER_OPTIONS`
(no entity expansion, no DTD loading, no network, no huge trees), and :func:`refuse_dtd`
rejects any document that declares a DTD with entities or elements, which is how
entity-expansion ("billion laughs") and external-entity attacks work; none of the formats we
read has one.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from fiu_analytics.errors import InputFormatError

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parser_options() -> dict[str, Any]:
    """A fresh copy of :data:`PARSER_OPTIONS` for one parse."""
    return dict(PARSER_OPTIONS)


_DTD_REFUSAL = (
    "the document declares a DOCTYPE (DTD with entities or elements); {what} has none, and "
    "entity declarations are how XML entity-expansion and external-entity attacks work: "
    "refused without expanding or fetching anything"
)


def syntax_error(exc: etree.XMLSyntaxError, path: str, what: str) -> InputFormatError:
    """The error to raise for a parse failure. libxml2 2.13 and later stop an entity bomb
    themselves, before :func:`refuse_dtd` sees the document: that failure is worded as the
    refusal it is, with libxml2's own message after it."""
    line, column = exc.position if exc.position else (exc.lineno, 0)
    where = f"line {line}, column {column}"
    msg = exc.msg or str(exc)
    low = msg.lower()
    # only expansion stopped by libxml2 ("entity amplification", "entity reference loop");
    # an undefined entity such as &nbsp; in a file without a DTD stays a syntax error
    if "amplification" in low or "entity reference loop" in low:
        return InputFormatError(path, f"{_DTD_REFUSAL.format(what=what)} (libxml2: {msg})", where)
    return InputFormatError(path, f"not well-formed XML: {msg}", where)


def refuse_dtd(root: etree._Element, path: str, what: str, any_doctype: bool = False) -> None:
    """Raise :class:`InputFormatError` if the document declares entities or elements (or,
    with ``any_doctype``, any DOCTYPE at all); ``what`` names the format in the message."""
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    declares = dtd is not None and (list(dtd.entities()) or list(dtd.elements()))
    if declares or (any_doctype and (info.doctype or dtd is not None)):
        raise InputFormatError(path, _DTD_REFUSAL.format(what=what), "line 1")
