"""The library client stays light: ``import openisales.client`` needs neither typer nor rich."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# httpx itself loads rich when it is installed (for its own command line) and falls back when an
# import fails, so "rich not in sys.modules" is checked with typer and rich made unimportable.
WITHOUT_CLI_LIBRARIES = textwrap.dedent(
    """
    import sys

    class Unimportable:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("typer", "rich"):
                raise ImportError(f"{name} is not installed")
            return None

    sys.meta_path.insert(0, Unimportable())
    import openisales.client
    from openisales.client import AuthV2, ISalesClient, ISalesClientError, ISalesHTTPError
    from openisales.client.api import ISalesResponseError
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "rich"))
    assert not loaded, loaded
    """
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_library_client_imports_without_typer_or_rich() -> None:
    result = _python(WITHOUT_CLI_LIBRARIES)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", ["openisales.client", "openisales.client.api"])
def test_importing_the_library_client_loads_none_of_the_command_line(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in sys.modules\n"
        "    if m.startswith('openisales.client.cli') or m.split('.')[0] == 'typer')\n"
        "assert not loaded, loaded\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
