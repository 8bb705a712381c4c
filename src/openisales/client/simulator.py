"""A simulated dialer's outcomes: a pure, seeded model of what happens when a number is called.

The outcome of a call depends only on the seed, the record (its ``sessionId``, else its
``dataId``), the number called and the attempt, so a run can be repeated exactly (also after
the same file is imported again: its records get new ``dataId``s but keep their ``sessionId``s),
and a retry of a number is a fresh draw. With
probability ``answer_rate`` the call succeeds (``callStatus`` 6, ``failCode`` 00000); otherwise
it fails (``callStatus`` 5) with one of the failCodes of the result push, weighted as in
``FAILURES``. Also the pacing of calls to a rate, as a pure calculation.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SUCCESS, FAILED = 6, 5
SUCCESS_CODE = "00000"
# failCode, meaning, weight among failures: busy and no answer are what a dialer meets most.
FAILURES: tuple[tuple[str, str, int], ...] = (
    ("00537", "busy", 30),
    ("00603", "no answer", 30),
    ("01040", "ringing timeout", 15),
    ("00548", "switched off", 10),
    ("00604", "rejected", 10),
    ("00538", "wrong number", 5),
)
FAILURE_WEIGHT = sum(weight for _code, _meaning, weight in FAILURES)
_SCALE = float(2**64)


@dataclass(frozen=True)
class Outcome:
    """What the dialer reports for one call."""

    call_status: int
    fail_code: str

    @property
    def answered(self) -> bool:
        """Whether the customer was reached."""
        return self.call_status == SUCCESS


@dataclass(frozen=True)
class OutcomeModel:
    """Seeded outcomes: ``outcome(record, attempt, called_no)`` is the same for the same inputs."""

    seed: int
    answer_rate: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.answer_rate <= 1.0:
            raise ValueError(f"answer rate must be between 0 and 1, got {self.answer_rate}")

    def _draws(self, record: str | int, attempt: int, called_no: str) -> tuple[float, float]:
        """Two independent uniform numbers in [0, 1) for this call."""
        key = f"{self.seed}:{record}:{called_no}:{attempt}".encode()
        digest = hashlib.blake2b(key, digest_size=16).digest()
        first, second = int.from_bytes(digest[:8]), int.from_bytes(digest[8:])
        return first / _SCALE, second / _SCALE

    def outcome(self, record: str | int, attempt: int, called_no: str = "") -> Outcome:
        """The outcome of calling ``called_no`` of ``record`` for the ``attempt``-th time."""
        answer, which = self._draws(record, attempt, called_no)
        if answer < self.answer_rate:
            return Outcome(SUCCESS, SUCCESS_CODE)
        point = which * FAILURE_WEIGHT
        for code, _meaning, weight in FAILURES:
            if point < weight:
                return Outcome(FAILED, code)
            point -= weight
        return Outcome(FAILED, FAILURES[-1][0])  # not reached: which < 1


_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h|hour))?\s*")
_PER = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}


def parse_rate(text: str) -> float:
    """Calls per second from ``20``, ``20/s``, ``600/min`` or ``3000/h``; ValueError otherwise."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"a rate is N, N/s, N/min or N/h, got {text!r}")
    per_second = float(match.group(1)) / _PER[match.group(2)]
    if per_second <= 0:
        raise ValueError(f"a rate must be above 0, got {text!r}")
    return per_second


@dataclass
class Pacer:
    """When each call may be placed so that calls run at ``rate`` per second at most.

    ``wait(now, calls)`` is how long to wait before placing ``calls`` more, given the time the
    pacer started and the calls placed so far; it never lets calls catch up on idle time.
    """

    rate: float
    started: float
    placed: int = 0

    def wait(self, now: float, calls: int) -> float:
        """Seconds to wait before ``calls`` more calls, then counted as placed."""
        if now - self.started > self.placed / self.rate:  # idle: no catching up later
            self.started = now - self.placed / self.rate
        self.placed += calls
        return max(0.0, self.started + self.placed / self.rate - now)
