"""The import set-up fixture of the import tests, for the fault tests."""

from tests.imports.conftest import setup

__all__ = ["setup"]
