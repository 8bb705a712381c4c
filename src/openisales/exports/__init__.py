"""Exports: files made for people, such as the failed-rows report of an import."""

from openisales.exports.failure_report import (
    FAILURE_COLUMNS,
    Failure,
    neutralise,
    write_failure_report,
)

__all__ = ["FAILURE_COLUMNS", "Failure", "neutralise", "write_failure_report"]
