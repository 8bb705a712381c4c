"""A dialer process for the concurrency test: lease until nothing is left, print the dataIds.

``python -m tests.dispatch.lease_worker URL VDN CAMPAIGN NOW DIALER START_AT``: waits until the
wall clock reaches START_AT (so the processes start together), then leases 20 at a time, each
lease its own transaction, at the fixed instant NOW, and prints a JSON list of the dataIds.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from openisales.services import dispatch
from openisales.services.dispatch import LeaseRequest
from openisales.storage.db import Database


def main(url: str, vdn: str, campaign: str, now_text: str, dialer: str, start_at: str) -> None:
    """Lease every number this process can get and print their dataIds."""
    db = Database(url)
    now = datetime.fromisoformat(now_text)
    request = LeaseRequest(dialer, 20, 600)
    got: list[int] = []
    with db.transaction() as session:  # connect before the start, not after
        session.connection()
    time.sleep(max(0.0, float(start_at) - time.time()))
    while True:
        with db.transaction() as session:
            records = dispatch.lease(session, int(vdn), int(campaign), request, now)
        if not records:
            break
        got.extend(int(record["dataId"]) for record in records)
    db.dispose()
    print(json.dumps(got))


if __name__ == "__main__":
    main(*sys.argv[1:7])
