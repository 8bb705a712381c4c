"""The API description served in the OpenAPI document at ``/docs``: every result code listed."""

from __future__ import annotations

from openisales.errors import DESCRIPTIONS, ResultCode

# Codes answered with an HTTP status other than 200; every other code comes with HTTP 200.
HTTP_STATUS: dict[str, int] = {
    ResultCode.UNAUTHORIZED: 401,
    ResultCode.FORBIDDEN: 403,
    ResultCode.PATH_NOT_FOUND: 404,
    ResultCode.METHOD_NOT_ALLOWED: 405,
    ResultCode.REQUEST_TIMEOUT: 408,
    ResultCode.BODY_TOO_LARGE: 413,
    ResultCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ResultCode.INTERNAL: 500,
}

INTRODUCTION = """\
Open implementation of the CC-iSales outbound-campaign OpenAPI.

Every request is signed with the tenant's access key and secret key (`Authorization:
auth-v2/{AK}/{timestamp}/{SignedHeaders}/{signature}`), and every answer is the iSales envelope:
`resultCode`, `resultDesc`, `returnCode`, `returnDesc`, beside the interface's own fields.
`0200000` is success. A handled refusal comes with HTTP 200 and its code, except those listed
with another HTTP status below.
"""


def result_codes() -> list[str]:
    """Every ``ResultCode`` constant, in the order of its definition (documented codes first)."""
    return [value for name, value in vars(ResultCode).items() if name.isupper()]


def result_code_table() -> str:
    """A Markdown table of every result code: code, meaning, and HTTP status where not 200."""
    lines = ["| resultCode | meaning | HTTP status |", "|---|---|---|"]
    for code in result_codes():
        status = HTTP_STATUS.get(code)
        lines.append(f"| `{code}` | {DESCRIPTIONS.get(code, '')} | {status or ''} |")
    return "\n".join(lines)


def api_description() -> str:
    """The ``description`` of the OpenAPI document: the envelope, then the result codes."""
    return f"{INTRODUCTION}\n## Result codes\n\n{result_code_table()}\n"
