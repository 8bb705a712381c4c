"""Identifiers in the iSales style: 30 digits, a millisecond timestamp then randomness."""

from __future__ import annotations

import secrets
import time


def new_object_id() -> str:
    """A globally unique 30-digit id (13-digit epoch milliseconds + 17 random digits)."""
    return f"{time.time_ns() // 1_000_000:013d}{secrets.randbelow(10**17):017d}"
