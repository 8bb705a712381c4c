"""The XML rules of the columnar xlsx reader: text as python-calamine decodes it, and tags.

Every rule here was measured against python-calamine (calamine 0.37, quick-xml 0.42), the
per-row reader the columnar one must match cell for cell:

* line ends: a raw ``\\r\\n`` or lone ``\\r`` in element text becomes ``\\n`` (XML 1.0
  normalisation; ``&#13;`` stays ``\\r``, U+0085 and U+2028 stay as they are);
* entities: ``&lt; &gt; &amp; &quot; &apos;`` and numeric references, in one left-to-right pass
  (``&amp;lt;`` is ``&lt;``); any other entity makes calamine refuse the file;
* spaces: a ``<t>`` without ``xml:space="preserve"`` loses the spaces, tabs and line ends at
  both ends (after the entities: ``&#32;a`` is "a");
* ``_xHHHH_``: after the entities, each ``_x00HH_`` (lower-case ``x``, four hex digits of a
  value up to 0xFF, either case) of one ``<t>`` or ``<v>`` becomes that character, left to right
  without overlap; ``_x0100_`` and above stay as written, and one split over two rich-text
  runs stays too;
* strings (``<si>``, ``<is>``): the texts of all their ``<t>`` joined, those of rich text runs
  (``<r>``) and plain ones alike, except in phonetic runs (``<rPh>``); a string without any
  ``<t>`` is the empty string.

``NotColumnar`` is raised for anything outside these rules: the caller then reads the file with
the per-row reader, which gives calamine's own answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl


class NotColumnar(Exception):
    """The file holds something the columnar reader does not read exactly as calamine does."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What Python's str.isspace() is true for (a test checks the list against every code point):
# a text of these alone is an empty cell to the per-row reader.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"

_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_NAMED_PATTERN = "&(?:lt|gt|amp|quot|apos);"
_BYTE_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")
_BYTE_ESCAPE_MARK = "_x00"


def not_blank(texts: pl.Expr) -> pl.Expr:
    """True for a text with a character that is not whitespace (null stays null)."""
    return texts.str.contains(_NOT_BLANK)


def _xml_char(code: int) -> bool:
    # calamine refuses &#0; and surrogates; the other rare code points are left to the per-row
    # reader rather than guessed.
    return 0 < code < 0xD800 or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _entity(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal, 10) if decimal else int(hexadecimal, 16)
    if not _xml_char(code):
        raise NotColumnar(f"a character reference to U+{code:04X}")
    return chr(code)


def decode_text(raw: str, *, trim: bool) -> str:
    """The text of one ``<t>`` or ``<v>`` element (no tags inside) as calamine gives it.

    ``trim``: a ``<t>`` without ``xml:space="preserve"`` loses the spaces, tabs and line ends
    at both ends, once its entities are decoded (``&#32;a`` is "a") and before its ``_x00HH_``
    are (``_x0020_a`` is " a").
    """
    text = _entities(raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw)
    return _bytes(text.strip(XML_SPACE) if trim else text)


XML_SPACE = " \t\r\n"


def _entities(text: str) -> str:
    if "&" not in text:
        return text
    decoded = _ENTITY.sub(_entity, text)
    if text.count("&") != len(_ENTITY.findall(text)):
        raise NotColumnar("an XML entity other than &lt; &gt; &amp; &quot; &apos; &#...;")
    return decoded


def _bytes(text: str) -> str:
    if _BYTE_ESCAPE_MARK not in text:
        return text
    return _BYTE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def decode_texts(raw: pl.Series, trim: pl.Series | None = None) -> pl.Series:
    """``decode_text`` for a column of element texts (``trim``: a column of flags, or none
    trimmed), with polars for the common cases.

    Only texts holding a line end, an ``&`` or an ``_x00`` are touched; of those, texts whose
    entities are all named are decoded by replacements (``&amp;`` last, so that ``&amp;lt;``
    stays ``&lt;``), the others one by one.
    """
    texts = raw
    if not texts.str.contains_any(["\r", "&", _BYTE_ESCAPE_MARK]).any():
        return _trimmed(texts, trim)  # the usual block: one pass finds nothing to decode
    if texts.str.contains("\r", literal=True).any():
        texts = texts.str.replace_all("\r\n", "\n", literal=True).str.replace_all(
            "\r", "\n", literal=True
        )
    amp = texts.str.contains("&", literal=True).fill_null(False)
    if amp.any():
        named_only = (
            texts.str.count_matches("&", literal=True) == texts.str.count_matches(_NAMED_PATTERN)
        ).fill_null(False)
        texts = _replace_where(texts, amp & named_only, _replace_named)
        texts = _replace_where(texts, amp & ~named_only, _entities_each)
    texts = _trimmed(texts, trim)
    escaped = texts.str.contains(_BYTE_ESCAPE_MARK, literal=True).fill_null(False)
    return _replace_where(texts, escaped, _bytes_each)


def _trimmed(texts: pl.Series, trim: pl.Series | None) -> pl.Series:
    if trim is None or not trim.any():
        return texts
    ends = texts.cast(pl.Binary)
    space = [ord(c) for c in XML_SPACE]
    edges = (
        ends.bin.get(0, null_on_oob=True).is_in(space)
        | ends.bin.get(-1, null_on_oob=True).is_in(space)
    ).fill_null(False)
    return _replace_where(texts, trim & edges, lambda some: some.str.strip_chars(XML_SPACE))


def _replace_named(texts: pl.Series) -> pl.Series:
    for entity in ("lt", "gt", "quot", "apos", "amp"):
        texts = texts.str.replace_all(f"&{entity};", _NAMED[entity], literal=True)
    return texts


def _entities_each(texts: pl.Series) -> pl.Series:
    # Texts with numeric references (or a stray "&", which raises): rare, so one by one.
    return pl.Series([_entities(text) for text in texts], dtype=pl.Utf8)


def _bytes_each(texts: pl.Series) -> pl.Series:
    return pl.Series([_bytes(text) for text in texts], dtype=pl.Utf8)


def _replace_where(
    texts: pl.Series, mask: pl.Series, change: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    if not mask.any():
        return texts
    indexes = mask.arg_true()
    return texts.clone().scatter(indexes, change(texts.gather(indexes)))


# --- tags ---------------------------------------------------------------------------------

# One token of well-formed XML as the reader expects it: a start, end or empty-element tag
# (attributes double- or single-quoted), or text. Comments, CDATA, processing instructions
# and doctype declarations are not tokens: a piece holding one is NotColumnar.
_TOKEN = re.compile(
    r"""<(/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(/?)>"""
    r"|([^<]+)"
)
_ATTRIBUTE = re.compile(r"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class Event:
    """A start tag, an end tag or a text, as quick-xml reports them to calamine.

    An empty-element tag ``<x/>`` is a start and an end (calamine's readers expand them).
    ``name`` is the qualified name; ``attributes`` hold the raw (undecoded) values.
    """

    kind: str  # "start", "end" or "text"
    name: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    text: str = ""

    @property
    def local(self) -> str:
        """The name without its namespace prefix (what calamine matches elements by)."""
        return self.name.rsplit(":", 1)[-1]

    def attribute(self, name: str) -> str | None:
        """The raw value of the attribute of that exact qualified name."""
        return next((value for key, value in self.attributes if key == name), None)


def events(xml: str) -> Iterator[Event]:
    """The tags and texts of ``xml``; NotColumnar for what is not a tag or a text."""
    position = 0
    for match in _TOKEN.finditer(xml):
        if match.start() != position:
            raise NotColumnar(f"unexpected XML markup: {xml[position : position + 40]!r}")
        position = match.end()
        closing, name, attributes, empty, text = match.groups()
        if text is not None:
            if text.count("&") != len(_ENTITY.findall(text)):  # quick-xml refuses a stray "&"
                raise NotColumnar("an & that starts no entity calamine knows")
            yield Event("text", text=text)
        elif closing:
            if attributes or empty:
                raise NotColumnar(f"a malformed end tag </{name}>")
            yield Event("end", name)
        else:
            parsed = tuple(
                (key, double if double is not None else single)
                for key, double, single in _ATTRIBUTE.findall(attributes)
            )
            if len({key for key, _ in parsed}) != len(parsed):
                raise NotColumnar(f"a duplicated attribute in <{name}>")
            yield Event("start", name, parsed)
            if empty:
                yield Event("end", name)
    if position != len(xml):
        raise NotColumnar(f"unexpected XML markup: {xml[position : position + 40]!r}")


def xml_declaration_end(xml: str) -> int:
    """Where the content starts after an optional BOM and ``<?xml ...?>`` (UTF-8 only)."""
    start = 1 if xml.startswith("\ufeff") else 0
    if not xml.startswith("<?xml", start):
        return start
    end = xml.find("?>", start)
    if end < 0:
        raise NotColumnar("an unterminated XML declaration")
    declaration = xml[start:end]
    encoding = re.search(r"""encoding\s*=\s*["']([^"']*)["']""", declaration)
    if encoding is not None and encoding.group(1).lower() not in ("utf-8", "utf8"):
        raise NotColumnar(f"an XML part in {encoding.group(1)}")
    return end + 2


def balanced(stream: Iterator[Event], *, left_open: bool = False) -> Iterator[Event]:
    """The events, refusing an end tag that does not close the element last opened (quick-xml
    refuses them, and so calamine the file), and elements left open unless ``left_open``."""
    opened: list[str] = []
    for event in stream:
        if event.kind == "start":
            opened.append(event.name)
        elif event.kind == "end" and (not opened or opened.pop() != event.name):
            raise NotColumnar(f"an end tag </{event.name}> that closes no such element")
        yield event
    if opened and not left_open:
        raise NotColumnar(f"<{opened[-1]}> is not closed")


def read_string(content: str) -> str:
    """The string of an ``<si>`` or ``<is>`` whose inner XML is ``content``, as calamine reads it:
    the texts of all its ``<t>`` outside phonetic runs (``<rPh>``), joined; rich text runs
    (``<r>``) and plain ``<t>`` alike, at any depth; no ``<t>`` is the empty string."""
    texts = []
    phonetic = 0
    stream = balanced(events(content))
    for event in stream:
        if event.local == "rPh":
            phonetic += 1 if event.kind == "start" else -1 if event.kind == "end" else 0
        elif event.kind == "start" and event.local == "t" and not phonetic:
            texts.append(_element_text(stream, event))
        elif event.kind == "start" and event.local in ("si", "is"):
            raise NotColumnar("a string element inside a string")
    return "".join(texts)


def _element_text(stream: Iterator[Event], start: Event) -> str:
    space = start.attribute("xml:space")
    if space is not None and "&" in space:
        raise NotColumnar("an xml:space attribute with an entity")
    parts = []
    for event in stream:
        if event.kind == "text":
            parts.append(event.text)
        elif event.kind == "end" and event.name == start.name:
            return decode_text("".join(parts), trim=space != "preserve")
        else:
            raise NotColumnar(f"markup inside <{start.name}>")
    raise NotColumnar(f"an unterminated <{start.name}>")
