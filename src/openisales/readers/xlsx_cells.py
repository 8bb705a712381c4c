"""The cells of a worksheet's ``<sheetData>``, read a block of XML at a time by polars.

A block (about 4 MiB of inflated XML cut after a ``</row>``) is split at every ``<c r="`` into
one text per cell, and each text must match, in full, the regular expression of the cells this
reader knows (``_STRICT``, the form every writer uses, else ``_LENIENT``, which also allows
formulas and whitespace between tags). That check is what makes the reader exact: the row tags
between cells are all it lets through (and those must open and close in turn, with a valid
``r``), and a cell of any other form (a boolean, an error, a rich inline string, one without
``r``, a namespace prefix, a comment...) is ``NotColumnar``.

What calamine makes of a cell, by its type (``t``) and content, all verified against it:

* number (no ``t`` or ``t="n"``): ``<v>`` parsed as a float; its style must not be a date format;
* ``t="s"``: the shared string ``<v>`` indexes (an empty one still counts as a cell);
* ``t="str"``: the text of ``<v>``, even empty;
* ``t="inlineStr"``: the text of ``<is><t>`` (``<t/>`` or no ``<t>`` is the empty string);
* no value (``<c .../>``, ``<v></v>``, a formula alone, a ``<v>`` in an inline string): an empty
  cell, which does not count for calamine's used range.

Only cells with ``r`` are read, so where ``<row>`` tags are (and their ``r``) changes nothing.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Generator
from functools import cache

import polars as pl

from openisales.readers.xlsx_book import blocks, skip_crc, utf8_pieces
from openisales.readers.xlsx_xml import (
    NotColumnar,
    balanced,
    decode_texts,
    events,
    not_blank,
    xml_declaration_end,
)

_CELL_START = '<c r="'
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384
_KEY = MAX_COLUMN  # row * _KEY + column orders cells as the sheet does

_WS = r"[ \t\r\n]*"
_REF = r'[A-Z]{1,3}[0-9]{1,7}"'
_ATTRS = r'(?: [st]="[0-9A-Za-z]{1,9}"){0,2}'  # each distinct one is checked by _attributes
_TAIL = r"(?:[ \t\r\n]|</row>|<row(?:\s[^<>]*)?>)*"  # row tags and whitespace between cells
_STRICT = (
    rf"^{_REF}{_ATTRS}(?: ?/>|>(?:<v>[^<]*</v>|<is><t(?: xml:space=\"preserve\")?>[^<]*</t></is>"
    rf"|<is><t/></is>|<is></is>|)</c>){_TAIL}$"
)
_REFERENCE = r"&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});"
_FORMULA = rf"(?:<f(?:\s[^<>]*)?/>|<f(?:\s[^<>]*)?>(?:[^<&]|{_REFERENCE})*</f>)"
_INLINE = rf'<is>{_WS}(?:<t(?: xml:space="preserve")?>[^<]*</t>|<t/>)?{_WS}</is>'
_LENIENT = (
    rf"^{_REF}{_ATTRS}(?: ?/>|>{_WS}(?:(?:{_FORMULA}{_WS})?(?:<v>[^<]*</v>{_WS})?|{_INLINE}{_WS})"
    rf"</c>){_TAIL}$"
)
_LENIENT_PARTS = (
    rf"^[A-Z]+[0-9]+\"[^>]*>{_WS}(?:{_FORMULA}{_WS})?"
    rf'(?:<v>([^<]*)</v>|(<is>){_WS}(?:<t( xml:space="preserve")?>([^<]*)</t>)?)?'
)
_BETWEEN_ROWS = re.compile(_TAIL)
_ROW_TAG = r"</row>|<row(?:\s[^<>]*)?>"
_ROW_START = r"""^<row(?:\s+[A-Za-z_][\w.:-]*=(?:"[^"<&]*"|'[^'<&]*'))*\s*/?>$"""
_ROW_NUMBER = r"""\sr=["']([^"']*)["']"""
_ROW_ATTRIBUTE_NAME = r"[A-Za-z_][\w.:-]*="
_INDEX = "^[0-9]{1,10}$"
_NUMBER = r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_ATTRIBUTES = re.compile(
    r'(?: s="([0-9]{1,9})"(?: t="(s|n|str|inlineStr)")?| t="(s|n|str|inlineStr)"'
    r'(?: s="([0-9]{1,9})")?)?(?: ?/)?'
)

# Cell types, and the forms of a cell's content.
NUMBER, SHARED, FORMULA_TEXT, INLINE = 0, 1, 2, 3
_TYPES = {None: NUMBER, "n": NUMBER, "s": SHARED, "str": FORMULA_TEXT, "inlineStr": INLINE}
NO_VALUE, VALUE, INLINE_STRING = 0, 1, 2

MAX_BLOCK_TEXT_BYTES = 256 << 20
"""The text one block's shared-string cells may expand to."""

CELL_SCHEMA = {
    "row": pl.Int64,
    "column": pl.Int64,
    "text": pl.Utf8,
    "chars": pl.UInt32,  # the text's length, blank or not (the size limit names either)
    "number": pl.Float64,
}


def sheet_blocks(archive: zipfile.ZipFile, part: str) -> Generator[bytes, None, None]:
    """The content of the worksheet's ``<sheetData>`` in blocks that end after a ``</row>``.

    What comes before ``<sheetData>`` must be tags (calamine reads only ``<dimension>`` there);
    what follows ``</sheetData>`` is not read, by calamine either. Only the last block is
    searched for ``</sheetData>``: in any other, the row tags between cells would have to hold
    it, and the cell checks refuse that.
    """
    started = False
    with archive.open(part) as stream:
        skip_crc(stream)
        for block, last in blocks(stream, b"</row>"):
            if not started:
                data = _after_sheet_data_start(block)
                if data is None:
                    return
                block, started = data, True
            if last:
                end = block.find(b"</sheetData>")
                if end < 0:
                    raise NotColumnar("the worksheet has no </sheetData>")
                block = block[:end]
            yield block


_PREFIX = re.compile(r"(?:[^<&]|<[A-Za-z_][^<>]*>|</[A-Za-z_][^<>]*>)*")
_DIMENSION = re.compile(r"<dimension(?:\s[^<>]*)?>")
_DIMENSION_REF = re.compile(r'<dimension ref="[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?"\s*/>')


def _after_sheet_data_start(block: bytes) -> bytes | None:
    """The block after ``<sheetData>``; None for an empty ``<sheetData/>``."""
    start = block.find(b"<sheetData")
    if start < 0:
        raise NotColumnar("no <sheetData> in the first block of the worksheet")
    try:
        prefix = block[:start].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotColumnar("a worksheet that is not UTF-8") from exc
    prefix = prefix[xml_declaration_end(prefix) :]
    if not _PREFIX.fullmatch(prefix) or ":sheetData" in prefix or ":dimension" in prefix:
        raise NotColumnar("unexpected XML before <sheetData>")
    for _ in balanced(events(prefix), left_open=True):
        pass
    for dimension in _DIMENSION.findall(prefix):
        if not _DIMENSION_REF.fullmatch(dimension):
            raise NotColumnar(f"a dimension calamine may not read: {dimension}")
    if block.startswith(b"<sheetData/>", start):
        return None
    if not block.startswith(b"<sheetData>", start):
        raise NotColumnar("a <sheetData> tag with attributes")
    return block[start + len(b"<sheetData>") :]


class SheetCells:
    """Turns blocks of ``<sheetData>`` into the frames of their non-empty cells, in order."""

    def __init__(self, shared: pl.Series, date_styles: frozenset[int]) -> None:
        self.shared = shared
        self.shared_bytes = shared.str.len_bytes().fill_null(0).cast(pl.Int64)
        self.date_styles = date_styles
        self.last_key = -1  # the position of the last cell read, to check the order
        self.row_depth = 0  # rows open (nested rows are well-formed XML, and calamine's)

    def read(self, block: bytes) -> pl.DataFrame:
        """``row``, ``column`` (0-based), ``text`` (null when blank), ``chars`` and ``number``
        of the block's non-empty cells, in sheet order."""
        pieces = utf8_pieces(block, _CELL_START)
        if not _BETWEEN_ROWS.fullmatch(pieces[0]):
            raise NotColumnar(f"unexpected XML between rows: {pieces[0][:60]!r}")
        self._check_rows(pieces)
        cells = pieces.slice(1)
        if cells.is_empty():
            return pl.DataFrame(schema=CELL_SCHEMA)
        parts = _parts(cells)
        return self._values(parts)

    def _check_rows(self, pieces: pl.Series) -> None:
        """The row tags between the cells (the cells' checks let nothing else through) must
        open and close in turn, as XML's do: calamine refuses a file where they do not."""
        tagged = pieces.filter(pieces.str.contains("row", literal=True))
        if tagged.is_empty():
            return
        tags = tagged.str.extract_all(_ROW_TAG).explode().drop_nulls()
        _check_row_attributes(tags.filter(~tags.str.starts_with("</")))
        steps = pl.select(
            pl.when(pl.lit(tags).str.starts_with("</"))
            .then(-1)
            .when(pl.lit(tags).str.ends_with("/>"))
            .then(0)
            .otherwise(1)
        ).to_series()
        depths = steps.cum_sum() + self.row_depth
        if scalar_int(depths.min()) < 0:
            raise NotColumnar("a </row> that closes no row")
        self.row_depth = int(depths[-1])

    def finish(self) -> None:
        """At ``</sheetData>``: every row must be closed."""
        if self.row_depth:
            raise NotColumnar("a <row> not closed before </sheetData>")

    def _values(self, parts: pl.DataFrame) -> pl.DataFrame:
        parts = parts.with_columns(
            row=pl.col("row").cast(pl.Int64), **_attribute_columns(parts["attributes"])
        )
        if scalar_int(parts["row"].min()) < 1:
            raise NotColumnar("a cell in row 0")  # calamine refuses it, even an empty one
        form, kind, value = pl.col("form"), pl.col("type"), pl.col("value")
        checks = parts.select(
            inline_elsewhere=((form == INLINE_STRING) & (kind != INLINE)).any(),
            keep=pl.when(kind == INLINE)
            .then(form == INLINE_STRING)
            .when(kind == FORMULA_TEXT)
            .then(form == VALUE)
            .otherwise((form == VALUE) & (value != "")),
        )
        if checks["inline_elsewhere"][0]:
            raise NotColumnar("an inline string in a cell not of type inlineStr")
        keep = checks["keep"]
        cells = parts if keep.all() else parts.filter(keep)  # calamine skips empty cells
        if cells.is_empty():
            return pl.DataFrame(schema=CELL_SCHEMA)
        cells = cells.with_columns(column=_column_indexes(cells["letters"]))
        self._check_order(cells)
        kinds = cells["type"]
        values = cells["value"]
        numbers = kinds == NUMBER
        if numbers.any():
            self._check_numbers(values.filter(numbers), cells["style"].filter(numbers))
        # Numbers and shared string indexes are digits: decoding leaves them as they are.
        texts = decode_texts(values, cells["trim"])
        shared = kinds == SHARED
        if shared.any():
            texts = texts.scatter(shared.arg_true(), self._shared(values.filter(shared)))
        is_text = pl.col("type") != NUMBER
        texts_column = pl.col("texts")
        return (
            cells.with_columns(texts=texts)
            .select(  # one pass of polars for the three columns
                "row",
                "column",
                text=pl.when(is_text & not_blank(texts_column)).then(texts_column),
                chars=pl.when(is_text).then(texts_column.str.len_chars()),
                number=pl.when(~is_text).then(pl.col("value").cast(pl.Float64, strict=False)),
            )
            .cast(CELL_SCHEMA)  # type: ignore[arg-type]
        )

    def _check_numbers(self, values: pl.Series, styles: pl.Series) -> None:
        if not values.str.contains(_NUMBER).all():
            raise NotColumnar("a number cell whose value calamine reads otherwise")
        if self.date_styles and styles.is_in(list(self.date_styles)).any():
            raise NotColumnar("a number cell with a date or time format")

    def _shared(self, values: pl.Series) -> pl.Series:
        if not values.str.contains(_INDEX).all():
            raise NotColumnar("a shared string index calamine reads otherwise")
        indexes = values.cast(pl.Int64)
        if scalar_int(indexes.max()) >= self.shared.len():
            raise NotColumnar("a shared string index beyond the table")
        if scalar_int(self.shared_bytes.gather(indexes).sum()) > MAX_BLOCK_TEXT_BYTES:
            # A few long strings copied into many cells: that is for the per-row reader and
            # its memory limit, not for frames that would hold every copy.
            raise NotColumnar("shared strings that expand to too much text")
        return self.shared.gather(indexes)

    def _check_order(self, parts: pl.DataFrame) -> None:
        rows, columns = parts["row"], parts["column"]
        if scalar_int(rows.min()) < 1 or scalar_int(rows.max()) > MAX_ROW:
            raise NotColumnar("a cell row beyond 1..1048576")
        if scalar_int(columns.max()) >= MAX_COLUMN:
            raise NotColumnar("a cell column beyond XFD")
        keys = rows * _KEY + columns
        if int(keys[0]) <= self.last_key or not (keys.diff().drop_nulls() > 0).all():
            raise NotColumnar("cells out of order, or twice at one position")
        self.last_key = int(keys[-1])


def _check_row_attributes(starts: pl.Series) -> None:
    """calamine reads a row's ``r`` (it must be a row number) and refuses attributes that are
    not well-formed or come twice before it: refuse all such row tags."""
    if starts.is_empty():
        return
    if not starts.str.contains(_ROW_START).all():
        raise NotColumnar("a <row> tag whose attributes calamine may refuse")
    first = starts.str.starts_with('<row r="')  # as every writer puts it: nothing before r
    numbers = starts.filter(first).str.extract('^<row r="([^"]*)"', 1)
    others = starts.filter(~first)
    if not others.is_empty():
        numbers = pl.concat([numbers, others.str.extract(_ROW_NUMBER, 1).drop_nulls()])
        names = others.str.extract_all(_ROW_ATTRIBUTE_NAME)
        if not (names.list.n_unique() == names.list.len()).all():
            raise NotColumnar("a <row> with an attribute twice")
    if not numbers.str.contains("^[0-9]{1,7}$").all() or (
        numbers.len() and scalar_int(numbers.cast(pl.Int64).min()) < 1
    ):
        raise NotColumnar("a <row> whose r is not a row number")


def _parts(cells: pl.Series) -> pl.DataFrame:
    """Per cell text: column letters, row digits, the attributes after ``r``, the content's
    form, its value (raw XML text) and whether that is a ``<t>`` to trim."""
    try:
        parts = _strict_parts(cells)
    except pl.exceptions.PolarsError:  # a byte slice in the middle of a character
        parts = None
    if parts is not None and parts["strict"].all():
        return parts.drop("strict")
    fits = cells.str.contains(_LENIENT)
    if not fits.all():
        raise NotColumnar(f"a cell this reader does not read: {cells.filter(~fits)[0][:80]!r}")
    return _lenient_parts(cells)


def _head(cells: pl.Expr) -> pl.Expr:
    return cells.str.extract_groups(r'^([A-Z]+)([0-9]+)"([^>]*)>').struct.rename_fields(
        ["letters", "row", "attributes"]
    )


def _strict_parts(cells: pl.Series) -> pl.DataFrame:
    # When every cell has one of a few exact forms (``strict``), positions say it all: the
    # content starts after the first ">" and a value ends at the first "</" (str.find gives
    # byte offsets). One step per with_columns, so that each expression is computed once.
    piece = pl.col("piece")
    frame = pl.DataFrame({"piece": cells}).with_columns(
        gt=piece.str.find(">", literal=True), end=piece.str.find("</", literal=True)
    )
    frame = frame.with_columns(probe=piece.str.slice(pl.col("gt") + 1, 7))
    probe = pl.col("probe")
    frame = frame.with_columns(v=probe.str.starts_with("<v>"), i=probe.str.starts_with("<is>"))
    frame = frame.with_columns(
        offset=pl.when("v")
        .then(4)
        .when(probe == "<is><t>")
        .then(8)
        .when(probe == "<is><t ")
        .then(29)
    )
    gt, offset = pl.col("gt"), pl.col("offset")
    return frame.select(  # the check runs beside the extraction (another thread)
        strict=piece.str.contains(_STRICT),
        head=_head(piece),
        form=pl.when("v").then(VALUE).when("i").then(INLINE_STRING).otherwise(NO_VALUE),
        trim=probe == "<is><t>",  # no xml:space="preserve"
        value=pl.when(offset.is_not_null())
        .then(_byte_slice(piece, gt + offset, pl.col("end") - gt - offset))
        .when("i")
        .then(pl.lit("")),
    ).unnest("head")


def _byte_slice(texts: pl.Expr, start: pl.Expr, length: pl.Expr) -> pl.Expr:
    """The bytes ``start`` to ``start + length`` of each text, cut between characters."""
    return texts.cast(pl.Binary).bin.slice(start, length).cast(pl.Utf8)


def _lenient_parts(cells: pl.Series) -> pl.DataFrame:
    piece = pl.col("piece")
    groups = piece.str.extract_groups(_LENIENT_PARTS).struct
    return (
        pl.DataFrame({"piece": cells})
        .select(
            _head(piece).alias("head"),
            form=pl.when(groups.field("1").is_not_null())
            .then(VALUE)
            .when(groups.field("2").is_not_null())
            .then(INLINE_STRING)
            .otherwise(NO_VALUE),
            value=pl.coalesce(
                groups.field("1"),
                pl.when(groups.field("2").is_not_null()).then(
                    groups.field("4").fill_null(pl.lit(""))
                ),
            ),
            trim=groups.field("2").is_not_null() & groups.field("3").is_null(),
        )
        .unnest("head")
    )


def scalar_int(value: object) -> int:
    """An integer aggregate of a polars column (0 for the null of an empty one)."""
    if value is None:
        return 0
    assert isinstance(value, int)
    return value


def _column_indexes(letters: pl.Series) -> pl.Series:
    mapping = {text: _column_index(text) for text in letters.unique().to_list()}
    return letters.replace_strict(mapping, return_dtype=pl.Int64)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _attribute_columns(attributes: pl.Series) -> dict[str, pl.Series]:
    """``type`` (NUMBER, SHARED, FORMULA_TEXT, INLINE) and ``style`` (-1: none) per cell."""
    kinds, styles = {}, {}
    for text in attributes.unique().to_list():
        kinds[text], styles[text] = _attributes(text)
    return {
        "type": attributes.replace_strict(kinds, return_dtype=pl.Int8),
        "style": attributes.replace_strict(styles, return_dtype=pl.Int64),
    }


@cache
def _attributes(text: str) -> tuple[int, int]:
    match = _ATTRIBUTES.fullmatch(text)
    if match is None:
        raise NotColumnar(f"cell attributes this reader does not read: {text!r}")
    style_first, type_second, type_first, style_second = match.groups()
    style = style_first or style_second
    return _TYPES[type_second or type_first], int(style) if style else -1
