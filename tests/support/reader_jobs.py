"""Generator functions for ``reader_process.run_in_child`` tests: the child imports them by name."""

from __future__ import annotations

from collections.abc import Iterator


def allocate(size: int) -> Iterator[int]:
    """Allocate ``size`` bytes at once, then yield how many were allocated."""
    yield len(bytearray(size))


def count_to(n: int) -> Iterator[int]:
    """0, 1, ... n - 1."""
    yield from range(n)
