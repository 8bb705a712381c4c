"""The lifecycle table and the import task's moves."""

from __future__ import annotations

from enum import IntEnum

import pytest

from openisales.domain.import_task import IMPORT_TASK, ImportStatus
from openisales.domain.lifecycle import IllegalTransition, Lifecycle


class Light(IntEnum):
    RED = 0
    GREEN = 1
    OFF = 2


def test_a_terminal_state_cannot_move_on() -> None:
    with pytest.raises(ValueError, match="terminal"):
        Lifecycle(
            name="light",
            moves={
                Light.RED: frozenset({Light.GREEN}),
                Light.GREEN: frozenset(),
                Light.OFF: frozenset({Light.RED}),
            },
            texts={Light.RED: "red", Light.GREEN: "green", Light.OFF: "off"},
            terminal=frozenset({Light.OFF}),
        )


def test_every_state_needs_a_text() -> None:
    with pytest.raises(ValueError, match="text"):
        Lifecycle(
            name="light",
            moves={Light.RED: frozenset(), Light.GREEN: frozenset(), Light.OFF: frozenset()},
            texts={Light.RED: "red"},
        )


def test_moves_to_unknown_states_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        Lifecycle(
            name="light",
            moves={Light.RED: frozenset({Light.OFF}), Light.GREEN: frozenset()},
            texts={Light.RED: "red", Light.GREEN: "green"},
        )


def test_the_documented_statuses_and_texts() -> None:
    assert [int(s) for s in ImportStatus] == [0, 1, 2, 3]
    assert [IMPORT_TASK.text(s) for s in ImportStatus] == [
        "preparing",
        "running",
        "completed",
        "failed",
    ]


@pytest.mark.parametrize("ended", [ImportStatus.COMPLETED, ImportStatus.FAILED])
def test_an_ended_task_never_moves_again(ended: ImportStatus) -> None:
    assert IMPORT_TASK.is_terminal(ended)
    for target in ImportStatus:
        assert not IMPORT_TASK.allows(ended, target)
        with pytest.raises(IllegalTransition):
            IMPORT_TASK.check(ended, target)


def test_a_task_completes_only_from_running() -> None:
    assert IMPORT_TASK.sources(ImportStatus.COMPLETED) == {ImportStatus.RUNNING}
    assert IMPORT_TASK.sources(ImportStatus.FAILED) == {
        ImportStatus.PREPARING,
        ImportStatus.RUNNING,
    }
    assert IMPORT_TASK.sources(ImportStatus.PREPARING) == {ImportStatus.RUNNING}
