"""Where a file may be read on a file server: the pure path rules of an import request.

``filePath`` is relative to the server's default path even when it starts with ``/`` (the
documentation's example is ``/isales/20220310``); nothing may resolve outside that path.
"""

from __future__ import annotations

import posixpath


class UnsafePathError(ValueError):
    """The requested path or name would leave the file server's default path, or is malformed."""


# -- paths -------------------------------------------------------------------------------------


def _check_characters(value: str, what: str) -> None:
    if "\x00" in value:
        raise UnsafePathError(f"{what} must not contain a NUL character: {value!r}")
    if "\\" in value:
        raise UnsafePathError(f"{what} must not contain a backslash: {value!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise UnsafePathError(f"{what} must not contain control characters: {value!r}")


def normalise_root(default_path: str) -> str:
    """The default path made canonical: absolute, no redundant slashes or '.' parts."""
    _check_characters(default_path, "the default path")
    if not default_path.startswith("/"):
        raise UnsafePathError(f"the default path must be absolute, got {default_path!r}")
    root = posixpath.normpath(default_path)
    root = "/" + root.lstrip("/")  # normpath keeps a leading '//'
    return root


def resolve_remote_path(default_path: str, file_path: str | None, file_name: str) -> str:
    """The absolute remote path of ``file_name`` in ``file_path`` under ``default_path``.

    ``file_path`` is always relative to ``default_path``, even when it starts with '/' (the
    OpenAPI example is ``/isales/20220310``); None or empty means the default path itself.
    Redundant slashes and '.' components are dropped. Raises ``UnsafePathError`` for any '..'
    component, NUL, backslash or control character, and for a ``file_name`` that is not a
    single plain name. Percent-encoding is not decoded: ``%2e%2e`` is a literal name.
    """
    root = normalise_root(default_path)

    _check_characters(file_name, "the file name")
    if file_name in ("", ".", "..") or "/" in file_name:
        raise UnsafePathError(f"the file name must be a plain file name, got {file_name!r}")

    parts: list[str] = []
    if file_path:
        _check_characters(file_path, "the file path")
        for part in file_path.split("/"):
            if part == "..":
                raise UnsafePathError(f"the file path must not contain '..', got {file_path!r}")
            if part not in ("", "."):
                parts.append(part)
    parts.append(file_name)

    result = posixpath.join(root, *parts)
    if posixpath.normpath(result) != result or not is_inside(result, root):
        raise UnsafePathError(f"{result!r} is not inside the default path {root!r}")
    return result


def is_inside(path: str, root: str) -> bool:
    """True when ``path`` is strictly below ``root`` (both normalised and absolute)."""
    prefix = root if root.endswith("/") else root + "/"
    return path.startswith(prefix) and len(path) > len(prefix)


# -- host keys ---------------------------------------------------------------------------------
