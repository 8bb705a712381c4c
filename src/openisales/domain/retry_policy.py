"""A campaign's retry policy: when a failed number is called again.

The V2 campaign body carries it as published (cec_07_0722, cec_07_0730/4010)::

    "retryPolicy": {"policyType": 1,
                    "policyJson": "[{'dataType':'SI','type':1,
                                     'policy':[{'result':4,'retryNumber':3,'callInterval':600}]}]"}

``policyType`` 0 is one policy for every number, 1 matches the number's ``type`` against each
item's ``dataType``. An item of ``type`` 1 (result policy) lists rules: a failure of result type
``result`` is retried ``retryNumber`` times, ``callInterval`` seconds apart. An item of ``type`` 0
(common policy) retries every failure ``retryTimes`` times a day for ``retryDay`` days, evenly
spread over the day. ``noRetryPolicy`` lists failCodes that are never retried.

Where the publication is silent (openisales' choices): ``result`` is one of ``RESULT_TYPES``
below, or a failCode itself (a string such as ``"00537"``, which wins over a type); ``policyJson``
may be the JSON text (strict or single-quoted, as in the example) or the list itself.

``parse`` checks the body and returns the normalised form stored with the campaign; ``retry_in``
answers, for one failure, in how many seconds the number is tried again (None: not retried).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openisales.domain.called import decode_lenient_json

DAY_SECONDS = 86_400
MAX_ITEMS = 20
MAX_RULES = 20
MAX_CODES = 100
RETRY_NUMBER_MAX = 10
CALL_INTERVAL_MAX = DAY_SECONDS
RETRY_DAY_MAX = 30
RETRY_TIMES_MAX = 24
FAIL_CODE_MAX = 16

RESULT_TYPES: dict[int, tuple[str, frozenset[str]]] = {
    1: ("busy", frozenset({"00537"})),
    2: ("no answer", frozenset({"00603", "01040"})),
    3: ("rejected", frozenset({"00604"})),
    4: ("switched off or out of area", frozenset({"00548", "00549"})),
    5: ("empty or wrong number", frozenset({"00538", "34605"})),
    6: ("any other failure", frozenset()),
}
OTHER = 6


class PolicyError(ValueError):
    """A retry policy that breaks a rule; ``kind`` is "empty", "type" or "value"."""

    def __init__(self, message: str, kind: str = "value") -> None:
        super().__init__(message)
        self.kind = kind


def result_type(fail_code: str) -> int:
    """The result type of a failCode (6, "any other failure", for codes not listed)."""
    for number, (_name, codes) in RESULT_TYPES.items():
        if fail_code in codes:
            return number
    return OTHER


def _int(value: Any, where: str, low: int, high: int) -> int:
    if value is None:
        raise PolicyError(f"retryPolicy.{where}: is required", "empty")
    if type(value) is str and value.strip().isdigit():
        value = int(value)
    if type(value) is not int:
        raise PolicyError(f"retryPolicy.{where}: must be an integer, got {value!r}"[:160], "type")
    if not low <= value <= high:
        raise PolicyError(f"retryPolicy.{where}: must be between {low} and {high}, got {value}")
    return value


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if isinstance(value, str):
        try:
            value = decode_lenient_json(value)
        except ValueError:
            raise PolicyError(f"retryPolicy.{where}: is not valid JSON", "type") from None
    if not isinstance(value, list):
        raise PolicyError(f"retryPolicy.{where}: must be a list", "type")
    if len(value) > limit:
        raise PolicyError(f"retryPolicy.{where}: at most {limit} entries, got {len(value)}")
    return value


def _codes(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    codes = _list(value, where, MAX_CODES)
    for index, code in enumerate(codes):
        if not (type(code) is str and code.isdigit() and len(code) <= FAIL_CODE_MAX):
            raise PolicyError(
                f"retryPolicy.{where}[{index}]: must be a failCode of digits, got {code!r}"[:160],
                "type",
            )
    return [str(code) for code in codes]


def _rule(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"retryPolicy.{where}: must be an object", "type")
    result = value.get("result")
    if result is None:
        raise PolicyError(f"retryPolicy.{where}.result: is required", "empty")
    if type(result) is str and not result.isdigit():
        raise PolicyError(f"retryPolicy.{where}.result: must be a result type or a failCode")
    if type(result) is str and len(result) > 1:
        rule: dict[str, Any] = {"failCode": result}
    else:
        rule = {"result": _int(result, f"{where}.result", 1, max(RESULT_TYPES))}
    rule["retries"] = _int(value.get("retryNumber"), f"{where}.retryNumber", 0, RETRY_NUMBER_MAX)
    rule["interval"] = _int(
        value.get("callInterval", 0), f"{where}.callInterval", 0, CALL_INTERVAL_MAX
    )
    return rule


def _item(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"retryPolicy.{where}: must be an object", "type")
    data_type = value.get("dataType")
    if data_type is not None and not isinstance(data_type, str):
        raise PolicyError(f"retryPolicy.{where}.dataType: must be a string", "type")
    kind = _int(value.get("type", 1), f"{where}.type", 0, 1)
    item: dict[str, Any] = {
        "dataType": data_type or None,
        "noRetry": _codes(value.get("noRetryPolicy"), f"{where}.noRetryPolicy"),
    }
    if kind == 0:
        item["days"] = _int(value.get("retryDay"), f"{where}.retryDay", 1, RETRY_DAY_MAX)
        item["perDay"] = _int(value.get("retryTimes"), f"{where}.retryTimes", 1, RETRY_TIMES_MAX)
        return item
    rules = _list(value.get("policy"), f"{where}.policy", MAX_RULES)
    item["rules"] = [_rule(rule, f"{where}.policy[{i}]") for i, rule in enumerate(rules)]
    return item


def parse(body: Any) -> dict[str, Any]:
    """The normalised policy of a V2 ``retryPolicy`` object; PolicyError naming the fault."""
    if not isinstance(body, dict):
        raise PolicyError("retryPolicy: must be an object", "type")
    policy_type = _int(body.get("policyType", 0), "policyType", 0, 1)
    if body.get("policyJson") is None:
        raise PolicyError("retryPolicy.policyJson: is required", "empty")
    raw_items = _list(body["policyJson"], "policyJson", MAX_ITEMS)
    if not raw_items:
        raise PolicyError("retryPolicy.policyJson: must hold at least one policy", "empty")
    items = [_item(item, f"policyJson[{i}]") for i, item in enumerate(raw_items)]
    shared = _codes(body.get("noRetryPolicy"), "noRetryPolicy")
    if policy_type == 1 and shared:
        raise PolicyError("retryPolicy.noRetryPolicy: cannot be set when policyType is 1")
    return {"policyType": policy_type, "items": items, "noRetry": shared}


def max_attempts(policy: Mapping[str, Any]) -> int:
    """The most calls the policy makes to one number: the first call and all its retries."""
    most = 1
    for item in policy.get("items", []):
        if "rules" in item:
            retries = max((int(rule["retries"]) for rule in item["rules"]), default=0)
            most = max(most, 1 + retries)
        else:
            most = max(most, int(item["days"]) * int(item["perDay"]))
    return most


def _item_for(policy: Mapping[str, Any], number_type: str | None) -> Mapping[str, Any] | None:
    items: list[Mapping[str, Any]] = policy.get("items", [])
    if policy.get("policyType") == 1:
        return next((item for item in items if item.get("dataType") == number_type), None)
    return items[0] if items else None


def retry_in(
    policy: Mapping[str, Any] | None, number_type: str | None, fail_code: str, failures: int
) -> int | None:
    """Seconds until a failed number is tried again, or None when it is not.

    ``failures`` counts the number's failed results before this one.
    """
    item = None if policy is None else _item_for(policy, number_type)
    if item is None or policy is None:
        return None
    if fail_code in item.get("noRetry", ()) or fail_code in policy.get("noRetry", ()):
        return None
    if "rules" not in item:  # common policy: perDay tries a day, for days days
        per_day = int(item["perDay"])
        return DAY_SECONDS // per_day if failures + 1 < int(item["days"]) * per_day else None
    rules: list[Mapping[str, Any]] = item["rules"]
    kind = result_type(fail_code)
    rule = next((r for r in rules if r.get("failCode") == fail_code), None) or next(
        (r for r in rules if r.get("result") == kind), None
    )
    if rule is None or failures >= int(rule["retries"]):
        return None
    return int(rule["interval"])
