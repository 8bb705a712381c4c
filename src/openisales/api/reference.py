"""The API description served in the OpenAPI document at ``/docs``, and the generated docs tables.

Two tables are built from the code alone: the result codes from ``ResultCode``, and the
conformance table (interface by interface: documented, implemented, extension) from
``openisales.api.interfaces.INTERFACES``. Both stand in the OpenAPI description; in the docs
they stand between their markers (``result-codes`` in docs/api.md and docs/architecture.md,
``interfaces`` in docs/api.md). Rewrite them there with
``python -m openisales.api.reference docs/api.md docs/architecture.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openisales.api import interfaces
from openisales.errors import ResultCode

INTRODUCTION = """\
Open implementation of the CC-iSales outbound-campaign OpenAPI.

Every request is signed with the tenant's access key and secret key (`Authorization:
auth-v2/{AK}/{timestamp}/{SignedHeaders}/{signature}`), and every answer is the iSales envelope:
`resultCode`, `resultDesc`, `returnCode`, `returnDesc`, beside the interface's own fields.
`0200000` is success. A handled refusal comes with HTTP 200 and its code, except those listed
with another HTTP status below.
"""

INTERFACES_INTRODUCTION = """\
Every interface openisales serves, and every CC-iSales interface it does not, with the page of
Huawei's documentation that describes it (`cec_07_07xx`: 2025-11 edition, `cec_07_40xx`:
2023-09 edition). Each operation below names its source in its description and in
`x-isales-source`.
"""


def result_code_table() -> str:
    """A Markdown table of every result code: code, name, HTTP status, texts and origin."""
    lines = [
        "| resultCode | name | HTTP status | resultDesc (en_US) | resultDesc (zh_CN) | from |",
        "|---|---|---|---|---|---|",
    ]
    for code in ResultCode:
        origin = "iSales" if code.documented else "openisales"
        lines.append(
            f"| `{code}` | {code.name} | {code.http_status} | {code.en} | {code.zh} | {origin} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Section:
    """A generated table in the docs: its marker name, what it is built from, and the builder."""

    name: str
    origin: str
    render: Callable[[], str]

    @property
    def begin(self) -> str:
        return f"<!-- {self.name}:begin (generated from {self.origin}: do not edit) -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.name}:end -->"

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.begin) + r"\n.*?" + re.escape(self.end), re.DOTALL)

    def block(self) -> str:
        return f"{self.begin}\n{self.render()}\n{self.end}"


RESULT_CODES = Section("result-codes", "openisales.errors.ResultCode", result_code_table)
INTERFACES = Section("interfaces", "openisales.api.interfaces.INTERFACES", interfaces.table)
SECTIONS = (RESULT_CODES, INTERFACES)
BEGIN = RESULT_CODES.begin
END = RESULT_CODES.end


def api_description() -> str:
    """The ``description`` of the OpenAPI document: the envelope, result codes, interfaces."""
    return (
        f"{INTRODUCTION}\n## Result codes\n\n{result_code_table()}\n\n"
        f"## Interfaces\n\n{INTERFACES_INTRODUCTION}\n{interfaces.table()}\n"
    )


def with_table(text: str) -> str:
    """``text`` with every generated table it has (between its markers) made current."""
    present = [section for section in SECTIONS if section.pattern.search(text)]
    if not present:
        names = ", ".join(f"{s.begin} ... {s.end}" for s in SECTIONS)
        raise ValueError(f"no generated section: none of {names}")
    for section in present:
        text = _rewritten(text, section)
    return text


def _rewritten(text: str, section: Section) -> str:
    block = section.block()
    return section.pattern.sub(lambda _: block, text)  # a function: the table holds backslashes


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
