"""A small state machine: the states of one kind of thing, the moves allowed between them, and
what each state is called.

Every lifecycle of the service (an import task, and the dispatch half's number leases and result
deliveries) declares one ``Lifecycle``. Storage applies a move with a guarded UPDATE whose WHERE
clause is ``status IN lifecycle.sources(target)``, so a move that the table does not allow can never
be written, whichever code path asks for it, and two processes racing for the same row cannot both
win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=IntEnum)


class IllegalTransition(Exception):
    """A move the lifecycle does not allow (a programming error, never a client's)."""


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """States, allowed moves and texts of one kind of thing."""

    name: str
    moves: Mapping[S, frozenset[S]]
    texts: Mapping[S, str]
    terminal: frozenset[S] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        states = set(self.moves)
        if set(self.texts) != states:
            raise ValueError(f"{self.name}: every state needs a text, and only states have one")
        for source, targets in self.moves.items():
            if not targets <= states:
                raise ValueError(f"{self.name}: {source!r} moves to an unknown state")
            if source in self.terminal and targets:
                raise ValueError(f"{self.name}: terminal state {source!r} cannot move on")

    def allows(self, source: S, target: S) -> bool:
        """Whether ``source`` may move to ``target``."""
        return target in self.moves[source]

    def check(self, source: S, target: S) -> None:
        """Raise ``IllegalTransition`` unless ``source`` may move to ``target``."""
        if not self.allows(source, target):
            raise IllegalTransition(
                f"{self.name}: cannot move from {self.text(source)} to {self.text(target)}"
            )

    def sources(self, target: S) -> frozenset[S]:
        """The states a row may be in for a move to ``target`` to apply (the UPDATE's guard)."""
        found = frozenset(source for source, targets in self.moves.items() if target in targets)
        if not found:
            raise IllegalTransition(f"{self.name}: no state moves to {self.text(target)}")
        return found

    def text(self, state: S) -> str:
        """What the state is called for people (logs, console)."""
        return self.texts[state]

    def is_terminal(self, state: S) -> bool:
        """Whether nothing follows ``state``."""
        return state in self.terminal
