"""The API description served in the OpenAPI document at ``/docs``: every result code listed.

The code table is built from ``ResultCode`` alone. The same table stands in docs/api.md and
docs/architecture.md between the ``result-codes`` markers; rewrite it there with
``python -m openisales.api.reference docs/api.md docs/architecture.md``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from openisales.errors import ResultCode

INTRODUCTION = """\
Open implementation of the CC-iSales outbound-campaign OpenAPI.

Every request is signed with the tenant's access key and secret key (`Authorization:
auth-v2/{AK}/{timestamp}/{SignedHeaders}/{signature}`), and every answer is the iSales envelope:
`resultCode`, `resultDesc`, `returnCode`, `returnDesc`, beside the interface's own fields.
`0200000` is success. A handled refusal comes with HTTP 200 and its code, except those listed
with another HTTP status below.
"""

BEGIN = "<!-- result-codes:begin (generated from openisales.errors.ResultCode: do not edit) -->"
END = "<!-- result-codes:end -->"
_MARKED = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.DOTALL)


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


def api_description() -> str:
    """The ``description`` of the OpenAPI document: the envelope, then the result codes."""
    return f"{INTRODUCTION}\n## Result codes\n\n{result_code_table()}\n"


def with_table(text: str) -> str:
    """``text`` with the code table between its ``result-codes`` markers made current."""
    if _MARKED.search(text) is None:
        raise ValueError(f"no {BEGIN} ... {END} section")
    return _MARKED.sub(lambda _: f"{BEGIN}\n{result_code_table()}\n{END}", text)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
