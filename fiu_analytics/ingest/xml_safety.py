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


def refuse_dtd(root: etree._Element, path: str, what: str, any_doctype: bool = False) -> None:
    """Raise :class:`InputFormatError` if the document declares entities or elements (or,
    with ``any_doctype``, any DOCTYPE at all); ``what`` names the format in the message."""
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    declares = dtd is not None and (list(dtd.entities()) or list(dtd.elements()))
    if declares or (any_doctype and (info.doctype or dtd is not None)):
        raise InputFormatError(
            path,
            f"the document declares a DOCTYPE (DTD with entities or elements); {what} has "
            "none, and entity declarations are how XML entity-expansion and external-entity "
            "attacks work: refused without expanding or fetching anything",
            "line 1",
        )
