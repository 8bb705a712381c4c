"""docs/tutorial.md, run as written: its ``sh`` blocks, in order, in one bash in a fresh directory.

The directory stands in for a fresh, installed clone: it holds ``docs/examples`` and nothing
else, the repository's ``.venv/bin`` comes first on ``PATH`` (what ``. .venv/bin/activate``
does), ``HOME`` is empty, and no ``OPENISALES_*`` variable is inherited. The ``SFTP_*``
variables the tutorial asks the reader to export come from the test's own OpenSSH server, and
the service listens on a free port instead of 8080. Blocks preceded by a
``<!-- tutorial-test: skip ... -->`` line (installing, the two ways of naming an SFTP server,
and a daily schedule, which would only run at its time of day) are not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import SftpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
SKIP_MARKER = "<!-- tutorial-test: skip"
BLOCK = re.compile(r"^```sh\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
EXPECTED_COUNTS = "completed: totalNum 10, succNum 8, failNum 1, repeatNum 1, blackNum 0"

pytestmark = [pytest.mark.sftp]


def tutorial_blocks(text: str) -> list[tuple[str, bool]]:
    """Each ``sh`` block's text and whether it runs (no skip marker on the line before it)."""
    blocks = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        blocks.append((match.group(1), not before.startswith(SKIP_MARKER)))
    return blocks


def test_tutorial_blocks_are_found() -> None:
    blocks = tutorial_blocks(TUTORIAL.read_text(encoding="utf-8"))
    skipped = [body for body, runs in blocks if not runs]
    assert len(blocks) >= 10
    assert len(skipped) == 4  # make install, the two ways of exporting SFTP_*, a schedule
    assert any("make install" in body for body in skipped)
    assert any("--hour" in body for body in skipped)


def _script(port: int, receiver_port: int) -> str:
    runnable = [
        body for body, runs in tutorial_blocks(TUTORIAL.read_text(encoding="utf-8")) if runs
    ]
    script = "\n".join(runnable)
    assert "OPENISALES_PORT=8080" in script
    script = script.replace("OPENISALES_PORT=8080", f"OPENISALES_PORT={port}")
    assert "RECEIVER_PORT=8099" in script
    script = script.replace("RECEIVER_PORT=8099", f"RECEIVER_PORT={receiver_port}")
    prologue = (
        "set -euo pipefail\n"
        # Whatever happens, the background service and receiver do not outlive the script.
        "trap 'for p in serve.pid receiver.pid; do\n"
        '  [ -f $p ] && kill "$(cat $p)" 2>/dev/null || true\n'
        "done' EXIT\n"
    )
    return prologue + script


def _environment(workdir: Path, sftp: SftpServer) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")}
    home = workdir / "home"
    home.mkdir()
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        HOME=str(home),
        OPENISALES_DATA_DIR=str(workdir / "var"),
        OPENISALES_LOG_FORMAT="json",
        SFTP_HOST=sftp.host,
        SFTP_PORT=str(sftp.port),
        SFTP_USER=sftp.username,
        SFTP_PASSWORD=sftp.password,
        SFTP_DIR=str(sftp.home),
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def test_tutorial_runs_to_a_completed_import(tmp_path: Path, sftp: SftpServer) -> None:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    (tmp_path / "tutorial.sh").write_text(_script(free_port(), free_port()), encoding="utf-8")
    process = subprocess.Popen(
        ["bash", "tutorial.sh"],
        cwd=tmp_path,
        env=_environment(tmp_path, sftp),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the tutorial did not finish in 120 s:\n{output}")
    serve_log = tmp_path / "serve.log"
    log = serve_log.read_text(errors="replace")[-3000:] if serve_log.exists() else ""
    assert process.returncode == 0, (
        f"rc {process.returncode}\n{output}\n--- serve.log (end):\n{log}"
    )

    assert EXPECTED_COUNTS in (tmp_path / "import.txt").read_text()
    assert EXPECTED_COUNTS in TUTORIAL.read_text(encoding="utf-8")  # the text shows what happens
    report = (tmp_path / "failures.csv").read_text(encoding="utf-8-sig")
    assert "1380000ABCD" in report
    assert len([line for line in report.splitlines() if line.strip()]) == 2  # header + the row
    assert (
        tmp_path / "home" / ".config" / "openisales" / "profile.json"
    ).stat().st_mode & 0o077 == 0

    # Step 8: the simulated dialer's calls, each pushed once to the receiver, as the text shows.
    dialled = (tmp_path / "dialled.txt").read_text()
    calls = int(re.match(r"leased (\d+), reported \1, refused 0", dialled).group(1))  # type: ignore[union-attr]
    assert dialled.splitlines()[0].rsplit(" in ", 1)[0] in TUTORIAL.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    pushed = [item for item in lines if "callId" in item]
    assert len(pushed) == calls and len({item["callId"] for item in pushed}) == calls
    assert {item["sessionId"] for item in pushed} == {f"S000{i}" for i in range(1, 10)} - {"S0008"}

    # Step 7: the mapping's first lines, as the text shows them.
    mapping = (tmp_path / "mapping.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(mapping) == 1 + 8  # the header and the eight records
    assert "\n".join(mapping[:4]) in TUTORIAL.read_text(encoding="utf-8")

    # Step 9: the second import's notice, checked by the receiver, once, with its counts.
    again = (tmp_path / "again.txt").read_text().strip()
    (notice,) = [item for item in lines if item.get("id") == again]
    assert (notice["status"], notice["succNum"], notice["repeatNum"], notice["failNum"]) == (
        "2",
        0,
        9,
        1,
    )
    assert len(lines) == calls + 1
