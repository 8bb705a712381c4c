"""An import set-up: a tenant, a real sftp file server registered for it, and a campaign."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from openisales.client import ISalesClient
from openisales.worker.loop import Worker
from tests.conftest import Api
from tests.support.servers import SftpServer

UPLOAD_DIR = "isales/upload"


@dataclass
class ImportSetup:
    api: Api
    isales: ISalesClient
    sftp: SftpServer
    server_id: str
    campaign_id: int

    def put(self, name: str, data: bytes, folder: str = UPLOAD_DIR) -> None:
        self.sftp.put_file(f"{folder}/{name}" if folder else name, data)

    def submit(self, name: str, file_path: str | None = "/" + UPLOAD_DIR, **extra: Any) -> str:
        answer = self.isales.upload_file_server(
            self.campaign_id, self.server_id, name, file_path=file_path, **extra
        )
        assert answer["resultCode"] == "0200000", answer
        return str(answer["importTaskId"])

    def run_worker(self) -> int:
        """Run every due task to its end; returns how many runs happened."""
        worker = Worker(self.api.rt, worker_id="test-worker")
        runs = 0
        while worker.run_once():
            runs += 1
        return runs

    def task(self, task_id: str) -> dict[str, Any]:
        answer = self.isales.query_import_tasks(self.campaign_id, import_task_ids=[task_id])
        assert answer["resultCode"] == "0200000", answer
        assert answer["count"] == 1, answer
        result: dict[str, Any] = answer["result"][0]
        return result

    def import_file(self, name: str, data: bytes) -> dict[str, Any]:
        self.put(name, data)
        task_id = self.submit(name)
        self.run_worker()
        return self.task(task_id)


def create_campaign(isales: ISalesClient, name: str = "renewals", **fields: Any) -> int:
    answer = isales.create_campaign(
        name=name,
        deviceType=fields.pop("deviceType", 2),
        strBeginTime=fields.pop("strBeginTime", "2099-01-01 00:00:00"),
        strEndTime=fields.pop("strEndTime", "2099-12-31 23:59:59"),
        **fields,
    )
    assert answer["resultCode"] == "0200000", answer
    return int(answer["returnObject"]["id"])


@pytest.fixture
def setup(api: Api, isales: ISalesClient, sftp: SftpServer) -> Iterator[ImportSetup]:
    added = isales.add_server(sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home))
    assert added["resultCode"] == "0200000", added
    yield ImportSetup(api, isales, sftp, added["serverId"], create_campaign(isales))
