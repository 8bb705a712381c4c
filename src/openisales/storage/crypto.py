"""Secrets at rest: tenant secret keys and file-server passwords, encrypted with a master key."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

MASTER_KEY_FILE = "master.key"


class SecretBox:
    """Encrypts and decrypts short secrets with the service's master key (Fernet)."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key.encode("ascii") if isinstance(key, str) else key

    def derive_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` (e.g. signing cookies), derived from the master key: one
        master key to back up, and no purpose's key reveals it or another's."""
        return hmac.new(
            self._key, b"openisales/" + purpose.encode("utf-8"), hashlib.sha256
        ).digest()

    def seal(self, plaintext: str) -> bytes:
        """Encrypt a secret (Fernet token) for storage."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def open(self, token: bytes) -> str:
        """Decrypt a sealed secret; RuntimeError when sealed under another master key."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise RuntimeError(
                "a stored secret cannot be decrypted: the master key is not the one it was sealed with"
            ) from exc


def load_or_create_master_key(data_dir: Path, configured: str | None) -> str:
    """The configured key, or the one in ``data_dir/master.key``, created (mode 0600) on first use."""
    if configured:
        return configured
    path = data_dir / MASTER_KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    # Write aside, then link into place: link fails if another process won the race, and a
    # reader never sees a half-written key.
    temp = data_dir / f".{MASTER_KEY_FILE}.{os.getpid()}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        os.link(temp, path)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        temp.unlink()
    return key
