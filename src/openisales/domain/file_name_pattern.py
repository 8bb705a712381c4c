"""Date patterns in an import's ``fileName``: ``calls_$(yyyyMMdd).xlsx`` names today's file.

A CRM that drops a file every day names it after the day; a daily scheduled import names the
file by a pattern that each run expands with its own time, on the tenant's wall clock. Inside
``$(`` and ``)`` stand date tokens and the separators ``-``, ``_`` and ``.``; outside, the name is
taken literally (a ``$`` not followed by ``(`` included). The tokens, as in Java's
``SimpleDateFormat`` that iSales integrators know:

=====  =====================  =====
token  meaning                 e.g.
=====  =====================  =====
yyyy   year                    2026
yy     year, two digits        26
MM     month                   03
dd     day of the month        09
HH     hour (00-23)            07
mm     minute                  05
=====  =====================  =====

Anything else inside ``$( )`` is refused, so that a typo (``DD``, ``YYYY``, ``M``) is reported
when the import is submitted rather than failing every day with "file not found". Pure: the
caller gives the moment and the zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["TOKENS", "FileNamePattern", "PatternError", "expand", "has_pattern", "parse"]

#: Each token and the strftime directive that renders it (always zero-padded).
TOKENS: dict[str, str] = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
}
SEPARATORS = frozenset("-_.")
OPEN, CLOSE = "$(", ")"
# A run of one letter repeated: "yyyyMMdd" is the runs yyyy, MM, dd.
_LETTER_RUN = re.compile(r"([A-Za-z])\1*")


class PatternError(ValueError):
    """The ``fileName`` holds a ``$(...)`` that is not a date pattern this service knows."""


@dataclass(frozen=True)
class FileNamePattern:
    """A parsed name: literal text, and the strftime format of each ``$( )`` in between."""

    parts: tuple[tuple[str, bool], ...]  # (text, is_date_format)

    def render(self, local: datetime) -> str:
        """The name for the wall-clock moment ``local``."""
        return "".join(local.strftime(text) if is_date else text for text, is_date in self.parts)


def has_pattern(name: str) -> bool:
    """True when ``name`` holds a ``$(`` (a date pattern, or a malformed one)."""
    return OPEN in name


def parse(name: str) -> FileNamePattern:
    """The pattern of ``name``; raises ``PatternError`` naming the first unknown token."""
    parts: list[tuple[str, bool]] = []
    rest = name
    while (start := rest.find(OPEN)) >= 0:
        end = rest.find(CLOSE, start + len(OPEN))
        if end < 0:
            raise PatternError(f"'$(' at position {len(name) - len(rest) + start} is not closed")
        if start:
            parts.append((rest[:start], False))
        parts.append((_format_of(rest[start + len(OPEN) : end]), True))
        rest = rest[end + len(CLOSE) :]
    if rest:
        parts.append((rest, False))
    return FileNamePattern(tuple(parts))


def expand(name: str, moment: datetime, time_zone: str) -> str:
    """``name`` with each date pattern rendered at ``moment`` on ``time_zone``'s wall clock.

    A name without a pattern comes back unchanged. ``moment`` must be timezone-aware.
    """
    if not has_pattern(name):
        return name
    return parse(name).render(moment.astimezone(ZoneInfo(time_zone)))


def _format_of(inner: str) -> str:
    """The strftime format of the text between ``$(`` and ``)``."""
    if not inner:
        raise PatternError("'$()' is empty; put date tokens in it, such as $(yyyyMMdd)")
    pieces: list[str] = []
    position = 0
    while position < len(inner):
        char = inner[position]
        if char in SEPARATORS:
            pieces.append(char)
            position += 1
            continue
        run = _LETTER_RUN.match(inner, position)
        token = run.group(0) if run else char
        if token not in TOKENS:
            known = ", ".join(TOKENS)
            raise PatternError(f"unknown date token {token!r} in $({inner}); known: {known}")
        pieces.append(TOKENS[token])
        position += len(token)
    return "".join(pieces)
