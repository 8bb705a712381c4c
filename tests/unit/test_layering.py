"""Layout rules of docs/architecture.md that an import can break, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import openisales

PACKAGE = Path(openisales.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as ``a.b`` and ``a.b.c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_api_and_console_reach_storage_only_through_services() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for folder in ("api", "console")
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for name in sorted(_imports(path))
        if name == "openisales.storage" or name.startswith("openisales.storage.")
    ]
    assert offenders == []
