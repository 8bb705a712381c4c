"""Hostile file names and paths over the signed API, end to end with the real sftp server."""

from __future__ import annotations

import pytest

from tests.imports.conftest import ImportSetup


@pytest.mark.parametrize(
    ("file_path", "file_name"),
    [
        ("/isales/upload", "a\x00.xlsx"),  # NUL would cut the name short in C
        ("/isales/upload\x00/../..", "a.xlsx"),
        ("/isales/../../etc", "passwd"),
    ],
)
def test_nul_and_dot_dot_are_refused_at_submit(
    setup: ImportSetup, file_path: str, file_name: str
) -> None:
    answer = setup.isales.call(
        "POST",
        f"/calldatafile/uploadFileServer/{setup.campaign_id}",
        json={"serverId": setup.server_id, "filePath": file_path, "fileName": file_name},
    )
    assert answer["resultCode"] != "0200000", answer
    assert answer["resultDesc"], answer


def test_encoded_dots_are_a_literal_folder_name(setup: ImportSetup) -> None:
    """``%2e%2e`` is never decoded: the import looks for a folder of that name and fails."""
    setup.put("calls.csv", b"called\n13800001234\n", folder="")  # at the default path's top
    answer = setup.isales.upload_file_server(
        setup.campaign_id, setup.server_id, "calls.csv", file_path="/isales/%2e%2e/%2e%2e"
    )
    if answer["resultCode"] != "0200000":
        return  # refused at submit is fine too
    setup.run_worker()
    result = setup.task(str(answer["importTaskId"]))
    assert result["status"] == "3", result
    assert "%2e%2e" in result["errMsg"], result
    assert result["succNum"] == 0, result
