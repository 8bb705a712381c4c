"""Every kind of import task the worker runs; importing this module registers them all."""

from __future__ import annotations

from openisales.services import blocklist_import, calldata_import
from openisales.services.import_run import IMPORTERS, run_task

__all__ = ["IMPORTERS", "blocklist_import", "calldata_import", "run_task"]
