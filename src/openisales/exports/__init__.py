"""Exports: files made for people: the failed-rows report and the record mapping of an import."""

from openisales.exports.failure_report import (
    FAILURE_COLUMNS,
    Failure,
    neutralise,
    write_failure_report,
)
from openisales.exports.record_mapping import MAPPING_COLUMNS, MappingLine, write_mapping

__all__ = [
    "FAILURE_COLUMNS",
    "MAPPING_COLUMNS",
    "Failure",
    "MappingLine",
    "neutralise",
    "write_failure_report",
    "write_mapping",
]
