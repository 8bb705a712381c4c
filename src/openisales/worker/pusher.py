"""The result pusher: a thread beside the import worker that pushes the outbox.

Each round pushes recorded call results (``services.result_push``) and the notices of ended
imports (``services.import_notices``): one outbox, one thread, the same retry rules.

The worker runs one import at a time, for minutes; results must not wait for it, so the pusher
has its own thread (started by ``openisales worker`` and by ``serve`` with its embedded worker).
Every process that runs one pushes: on PostgreSQL their claims never overlap (SKIP LOCKED).
"""

from __future__ import annotations

import logging
import threading

from openisales.receiver_client import ReceiverClient
from openisales.services.import_notices import notify_once
from openisales.services.result_push import push_once
from openisales.services.runtime import Runtime

log = logging.getLogger("openisales.push")


class Pusher:
    """Pushes due results round after round; idles ``worker_poll_seconds`` when none are due."""

    def __init__(self, rt: Runtime, client: ReceiverClient | None = None) -> None:
        self.rt = rt
        self.client = client or ReceiverClient(
            rt.server_networks,
            rt.settings.result_push_timeout_seconds,
            rt.settings.result_push_ca_file,
        )

    def run(self, stop: threading.Event) -> None:
        """Push until ``stop`` is set, then close the client's connections."""
        log.info("result pusher started")
        try:
            while not stop.is_set():
                try:
                    results = push_once(self.rt, self.client)
                    notices = notify_once(self.rt, self.client)
                except Exception:  # a database hiccup: the claims expire, nothing is lost
                    log.exception("result pusher: error in a round; retrying")
                    stop.wait(self.rt.settings.worker_poll_seconds)
                    continue
                full = self.rt.settings.result_push_batch
                if results.claimed < full and notices.claimed < full:
                    self._idle(stop)  # a full round means more may be due at once
        finally:
            self.client.close()
            log.info("result pusher stopped")

    def _idle(self, stop: threading.Event) -> None:
        """Wait for the next poll, or less when this process records results (or stops)."""
        if self.rt.results_recorded.wait(self.rt.settings.worker_poll_seconds):
            self.rt.results_recorded.clear()


def start(rt: Runtime, stop: threading.Event) -> threading.Thread:
    """Start a pusher thread that runs until ``stop`` is set (and ``results_recorded`` wakes it)."""
    thread = threading.Thread(target=Pusher(rt).run, args=(stop,), name="pusher", daemon=True)
    thread.start()
    return thread
