"""Every ``openisales`` command shown in the docs exists, with every option it is shown with."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openisales.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^[ \t]*```sh\n(.*?)^[ \t]*```\n", re.MULTILINE | re.DOTALL)


def shown_commands() -> list[tuple[str, list[str]]]:
    """(document, argv after ``openisales``) for each command in a document's ``sh`` blocks."""
    found = []
    for doc in DOCS:
        for block in BLOCK.findall(doc.read_text(encoding="utf-8")):
            text = block.replace("\\\n", " ")
            for match in re.finditer(r"(?:^|[\s(=;&|])openisales\s+(.*)", text):
                words = re.sub(r"\s#.*", "", match.group(1)).split()
                if words and words[0] in (
                    "serve",
                    "worker",
                    "db",
                    "tenant",
                    "results",
                    "client",
                    "dialer",
                ):
                    found.append((doc.name, words))
    return found


@cache
def help_text(command: tuple[str, ...]) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"}, color=False)
    return result.exit_code, result.output


def _split(words: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The (sub)command path and the options used with it."""
    path: list[str] = []
    for word in words:
        if word.startswith("-"):
            break
        exit_code, _ = help_text((*path, word))
        if exit_code != 0:
            break
        path.append(word)
    options = [word.split("=", 1)[0] for word in words if re.match(r"--[a-z]", word)]
    return tuple(path), options


def test_the_docs_show_commands() -> None:
    assert len(shown_commands()) >= 15


SHOWN = shown_commands()


@pytest.mark.parametrize(
    ("doc", "words"), SHOWN, ids=[f"{doc}:{' '.join(words[:2])}" for doc, words in SHOWN]
)
def test_shown_command_exists(doc: str, words: list[str]) -> None:
    path, options = _split(words)
    exit_code, text = help_text(path)
    assert exit_code == 0 and path, f"{doc}: `openisales {' '.join(words)}` is not a command"
    assert len(path) > 1 or path[0] in ("serve", "worker"), f"{doc}: incomplete command {words}"
    for option in options:
        assert option in text, f"{doc}: `openisales {' '.join(path)}` has no option {option}"
