"""The outbound call data template: which sheet column holds which field.

Header names are read leniently (seed Table 1 writes them as ``called (Mandatory)``): case does
not matter, surrounding whitespace and a byte-order mark are ignored, and so is a trailing
``(Optional)``/``(Mandatory)`` (any case, ASCII or full-width parentheses, also the Chinese
可选/选填/必填/必选). Columns with other names are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from openisales.domain.cells import Cell, cell_text, column_letter

FIELDS: tuple[str, ...] = (
    "sessionId",
    "called",
    "caller",
    "callData",
    "customField",
    "recycleTime",
    "priority",
)
_BY_LOWER = {name.lower(): name for name in FIELDS}
_SUFFIX = re.compile(
    r"\s*[(（]\s*(?:optional|mandatory|可选|选填|必填|必选)\s*[)）]$",
    re.IGNORECASE,
)
_INVISIBLE = "\ufeff\u200b"
_SHOWN_COLUMNS = 12


class TemplateError(ValueError):
    """The header row does not fit the template; ``message`` says why, for an operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ColumnMap:
    """Where each template field sits in a row (0-based indexes), and the header as text."""

    indexes: Mapping[str, int]
    header: tuple[str, ...]
    session_id: int | None = field(init=False, repr=False, compare=False)
    called: int = field(init=False, repr=False, compare=False)
    caller: int | None = field(init=False, repr=False, compare=False)
    call_data: int | None = field(init=False, repr=False, compare=False)
    custom_field: int | None = field(init=False, repr=False, compare=False)
    recycle_time: int | None = field(init=False, repr=False, compare=False)
    priority: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validation reads these attributes once per row; a dict lookup per field would cost more.
        indexes = MappingProxyType(dict(self.indexes))
        if "called" not in indexes:
            raise TemplateError('The column map has no "called" column.')
        unknown = set(indexes) - set(FIELDS)
        if unknown:
            raise TemplateError(f"Unknown template fields: {', '.join(sorted(unknown))}.")
        set_ = object.__setattr__
        set_(self, "indexes", indexes)
        set_(self, "session_id", indexes.get("sessionId"))
        set_(self, "called", indexes["called"])
        set_(self, "caller", indexes.get("caller"))
        set_(self, "call_data", indexes.get("callData"))
        set_(self, "custom_field", indexes.get("customField"))
        set_(self, "recycle_time", indexes.get("recycleTime"))
        set_(self, "priority", indexes.get("priority"))


def field_for_header(cell: Cell) -> str | None:
    """The template field a header cell names, or None for a column the template does not know."""
    text = cell_text(cell).strip().strip(_INVISIBLE).strip()
    text = _SUFFIX.sub("", text)
    return _BY_LOWER.get(text.lower())


def locate_columns(
    header: Sequence[Cell], name_of: Callable[[Cell], str | None]
) -> tuple[dict[str, int], tuple[str, ...]]:
    """The column index of each field the header names, and the header as text.

    ``name_of`` maps a header cell to its field (None for a column the template ignores).
    A field named by two columns is a ``TemplateError``: which one is meant cannot be guessed.
    """
    texts = tuple(cell_text(cell) for cell in header)
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        name = name_of(cell)
        if name is not None:
            found.setdefault(name, []).append(index)
    duplicates = [
        f'"{name}" (columns {", ".join(column_letter(i) for i in where)})'
        for name, where in found.items()
        if len(where) > 1
    ]
    if duplicates:
        raise TemplateError(
            f"The header row names the same field more than once: {'; '.join(duplicates)}. "
            "Keep one column per field."
        )
    return {name: where[0] for name, where in found.items()}, texts


def map_header(header: Sequence[Cell]) -> ColumnMap:
    """Map a header row to template fields; raise ``TemplateError`` if it cannot be used."""
    indexes, texts = locate_columns(header, field_for_header)
    if "called" not in indexes:
        raise TemplateError(_no_called_message(texts))
    return ColumnMap(indexes, texts)


def _no_called_message(texts: tuple[str, ...]) -> str:
    names = [f'"{text.strip()}"' for text in texts if text.strip()]
    if not names:
        return (
            'The header row is empty; the first row must name the columns, with a "called" column.'
        )
    shown = ", ".join(names[:_SHOWN_COLUMNS])
    if len(names) > _SHOWN_COLUMNS:
        shown += f" and {len(names) - _SHOWN_COLUMNS} more"
    return (
        f'The header row has no "called" column (the mandatory customer numbers). '
        f"Columns found: {shown}. Expected the template's columns: {', '.join(FIELDS)}."
    )
