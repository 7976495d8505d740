"""Safe XML reading for GENIUS files, with the repairs real-world files need.

Parsing goes through :mod:`defusedxml`, so entity declarations (the "billion laughs" bomb) and
external references are refused. Before parsing, known quirks of hand-edited GENIUS files are
repaired, each with a :class:`~detente.errors.RepairWarning` naming the file:

- text before the XML declaration (or before the first tag) is dropped;
- bytes that are not UTF-8 and come with no declared encoding are read as Windows-1252;
- a bare ``&`` that starts no entity reference is escaped as ``&amp;``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from detente.errors import FormatError, RepairWarning

__all__ = ["parse_xml"]

_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z_][\w.-]*|#\d+|#x[0-9A-Fa-f]+);)")


def parse_xml(data: bytes, source: str | Path) -> Element:
    """Parse ``data`` (the bytes of ``source``) into an element tree, repairing known quirks.

    Raises:
        FormatError: the XML is malformed (with the line the parser reports) or unsafe.
    """
    text = _decode(_strip_leading_text(data, source), source)
    if "<!DOCTYPE" not in text and _BARE_AMPERSAND.search(text):
        text = _BARE_AMPERSAND.sub("&amp;", text)
        _repair(source, "unescaped '&' escaped as '&amp;'")
    try:
        root: Element = SafeET.fromstring(text)
    except defusedxml.DefusedXmlException as exc:
        raise FormatError(
            f"unsafe XML refused ({type(exc).__name__}: entity declarations, DTDs with "
            "entities and external references are not allowed)",
            source=source,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        message = str(exc).split(":", 1)[0]
        raise FormatError(f"malformed XML: {message}", source=source, line=line) from None
    return root


def _repair(source: str | Path, what: str) -> None:
    warnings.warn(f"{source}: repaired: {what}", RepairWarning, stacklevel=3)


def _strip_leading_text(data: bytes, source: str | Path) -> bytes:
    body = data.removeprefix(b"\xef\xbb\xbf")
    declaration = _DECLARATION.search(body)
    start = declaration.start() if declaration else body.find(b"<")
    if start < 0:
        raise FormatError("not an XML file (no tag found)", source=source)
    if body[:start].strip():
        _repair(source, f"{start} byte(s) of text before the XML declaration removed")
    return body[start:]


def _decode(data: bytes, source: str | Path) -> str:
    declaration = _DECLARATION.match(data)
    encoding = None
    if declaration:
        found = _ENCODING.search(declaration.group(0))
        encoding = found.group(1).decode("ascii") if found else None
        data = data[declaration.end() :]
    if encoding is not None:
        try:
            return data.decode(encoding)
        except LookupError:
            raise FormatError(f"unknown declared encoding {encoding!r}", source=source) from None
        except UnicodeDecodeError as exc:
            if encoding.lower().replace("_", "-") not in {"utf-8", "utf8"}:
                raise FormatError(
                    f"bytes not valid in the declared encoding {encoding} (byte {exc.start})",
                    source=source,
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _repair(source, f"non-UTF-8 byte at offset {exc.start} read as Windows-1252 (cp1252)")
        return data.decode("cp1252", errors="replace")
