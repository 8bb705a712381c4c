"""The import set-up (tenant, real sftp server, campaign) for the hostile-input tests."""

from tests.imports.conftest import setup

__all__ = ["setup"]
