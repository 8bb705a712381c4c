"""The one rule for characters no text field may hold: control characters (02000002).

Refused everywhere: C0 controls (U+0000-U+001F), DEL (U+007F), C1 controls (U+0080-U+009F) and
unpaired surrogates (U+D800-U+DFFF, which no database can store as UTF-8). PostgreSQL cannot
store a NUL at all, and none of these has a meaning in a name, an id, a number or a path.

Free-text fields (a campaign's ``description``, a record's ``callData``) may also hold line
breaks and tabs (LF, CR, TAB): a description typed in a text box or pretty-printed JSON does.

The API's request models, its query and path parameters, the console's forms
(:func:`find_control_in`, for any JSON value) and the file import's row validation
(:func:`find_control`) all apply it; what is already stored is shown through :func:`visible`.
"""

from __future__ import annotations

import re
from typing import Any

# Characters whose presence makes a text field invalid (with and without line breaks allowed).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
REPLACEMENT = "\ufffd"
RULE = "must not contain control characters"


def find_control(text: str, *, line_breaks: bool = False) -> int | None:
    """The index of the first refused character of ``text``, or None when it has none."""
    if text.isprintable():  # the common case, checked in C without the regular expression
        return None
    found = (_CONTROL if line_breaks else _CONTROL_OR_BREAK).search(text)
    return None if found is None else found.start()


def describe(text: str, index: int) -> str:
    """Which character was refused and where, without the character itself."""
    return f"{RULE}: U+{ord(text[index]):04X} at character {index + 1}"


def visible(text: str) -> str:
    """``text`` with every refused character (line breaks and tabs kept) shown as U+FFFD."""
    if text.isprintable():
        return text
    return _CONTROL.sub(REPLACEMENT, text)


def find_control_in(value: Any, *, line_breaks: bool = False) -> str | None:
    """Where ``value`` holds a control character, as a sentence; None when nowhere."""
    # Iterative, so a deeply nested body cannot exhaust the stack.
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            index = find_control(item, line_breaks=line_breaks)
            if index is not None:
                return describe(item, index) + (f" of {where}" if where else "")
        elif isinstance(item, list):
            children = [(element, _step(where, str(i))) for i, element in enumerate(item)]
            pending.extend(reversed(children))  # popped in document order
        elif isinstance(item, dict):
            for key in item:
                index = find_control(key) if isinstance(key, str) else None
                if index is not None:
                    inside = f" in {where}" if where else ""
                    return f"{describe(key, index)} of the name {key!r}{inside}"
            pending.extend(reversed([(v, _step(where, str(k))) for k, v in item.items()]))
    return None


def _step(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
