"""The worker: claims due import tasks from the database, runs them, keeps their leases alive."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta

from openisales import logs
from openisales.services import schedules
from openisales.services.import_lifecycle import fail
from openisales.services.import_run import Importer, discard_download, run_task
from openisales.services.importers import IMPORTERS
from openisales.services.runtime import Runtime
from openisales.storage import import_tasks as task_rows

log = logging.getLogger("openisales.worker")
HOUSEKEEPING_EVERY_SECONDS = 60.0


def new_worker_id() -> str:
    """A worker id unique across hosts and restarts: host, pid and a random suffix."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Heartbeat:
    """Renews a task's lease in the background while the task runs."""

    def __init__(self, rt: Runtime, task_id: str, owner: str) -> None:
        self.rt, self.task_id, self.owner = rt, task_id, owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{task_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        interval = self.rt.settings.lease_seconds / 3
        while not self._stop.wait(interval):
            try:
                with self.rt.db.transaction() as session:
                    until = self.rt.clock() + timedelta(seconds=self.rt.settings.lease_seconds)
                    if not task_rows.renew_lease(session, self.task_id, self.owner, until):
                        return  # taken over: the run finds out when it next writes
            except Exception:  # a database hiccup: try again next beat, the lease has slack
                log.warning("heartbeat for task %s failed", self.task_id, exc_info=True)


class Worker:
    """Claims due tasks one at a time and runs them with the importer of their kind."""

    def __init__(
        self,
        rt: Runtime,
        worker_id: str | None = None,
        importers: Mapping[str, Importer] = IMPORTERS,
    ) -> None:
        self.rt = rt
        self.worker_id = worker_id or new_worker_id()
        self.importers = importers
        self._last_housekeeping = 0.0

    def run_once(self) -> bool:
        """Claim and run one due task; False when none is due."""
        now = self.rt.clock()
        lease_until = now + timedelta(seconds=self.rt.settings.lease_seconds)
        with self.rt.db.transaction() as session:
            schedules.fire_due(session, now)
        with self.rt.db.transaction() as session:
            task = task_rows.claim(session, self.worker_id, now, lease_until)
        if task is None:
            return False
        with logs.task_scope(task.task_id):  # every record of the run names the task
            log.info(
                "worker %s: running import task %s (attempt %d)",
                self.worker_id,
                task.task_id,
                task.attempts,
            )
            if task.attempts > self.rt.settings.import_max_attempts + 1:
                self._give_up(task.task_id, task.attempts)
                return True
            with Heartbeat(self.rt, task.task_id, self.worker_id):
                run_task(self.rt, task, self.worker_id, self.importers)
        # A task that ended may have queued its notice (notifyUrl): wake this process's pusher.
        self.rt.results_recorded.set()
        return True

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; idle polls wait ``worker_poll_seconds``."""
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                self._housekeeping()
                if not self.run_once():
                    self._idle()
            except Exception:
                log.exception("worker %s: error in the claim loop; retrying", self.worker_id)
                stop.wait(self.rt.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.worker_id)

    def _idle(self) -> None:
        """Wait for the next poll, or less when this process queues a task (or stops)."""
        if self.rt.work_available.wait(self.rt.settings.worker_poll_seconds):
            self.rt.work_available.clear()

    def _give_up(self, task_id: str, attempts: int) -> None:
        # A task whose workers keep dying (killed, out of memory) must not loop for ever.
        message = f"gave up after {attempts - 1} attempts: the worker stopped during each one"
        fail(self.rt, task_id, self.worker_id, message)
        # The runs that died left their download behind (their clean-up never ran).
        discard_download(self.rt, task_id)

    def _housekeeping(self) -> None:
        now = self.rt.clock()
        if now.timestamp() - self._last_housekeeping < HOUSEKEEPING_EVERY_SECONDS:
            return
        self._last_housekeeping = now.timestamp()
        self.rt.replay.forget_expired(now)
