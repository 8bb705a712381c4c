"""Logging set-up: one JSON object per line (or plain text), with the request and task ids.

The ids travel in context variables: the HTTP middleware sets ``request_id`` for the duration of
a request (sync routes run in a worker thread that inherits the context), the worker sets
``import_task_id`` while it runs a task. A filter copies both onto every record, so any logger
in the package carries them without passing them around.

``OPENISALES_LOG_FORMAT``: ``json``, ``text`` or ``auto`` (default: text when stderr is a
terminal, JSON otherwise — what a log shipper reads).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
import_task_id: ContextVar[str | None] = ContextVar("import_task_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s%(ids)s"


@contextmanager
def task_scope(task_id: str) -> Iterator[None]:
    """Log records inside carry ``import_task_id``."""
    token = import_task_id.set(task_id)
    try:
        yield
    finally:
        import_task_id.reset(token)


class ContextFilter(logging.Filter):
    """Put the context's ids on the record (``None`` when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Put the context ids and their ``ids`` text on the record; never drops one."""
        values = {"request_id": request_id.get(), "import_task_id": import_task_id.get()}
        for key, value in values.items():
            setattr(record, key, value)
        ids = [f"{key}={value}" for key, value in values.items() if value]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, import_task_id (and exc_info as text)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line; empty ids are left out."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "import_task_id"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(log_format: str = "auto", level: int = logging.INFO) -> None:
    """Send every log record (uvicorn's included) to stderr in the chosen format."""
    if log_format == "auto":
        log_format = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print a second, unstructured copy
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
