"""Every kind of import task the worker runs, by the ``kind`` stored on the task."""

from __future__ import annotations

from openisales.services.blocklist_import import import_blocklist_file
from openisales.services.calldata_import import import_calldata_file
from openisales.services.import_run import Importer

IMPORTERS: dict[str, Importer] = {
    "calldata": import_calldata_file,
    "blocklist": import_blocklist_file,
}
