"""Moving an imported file on the file server into ``done/`` or ``failed/`` beside it.

A CRM that drops a file a day wants to see which ones were taken: after the run, the file is
renamed into a folder next to it (created when missing), with its ``.done`` marker if it has
one. The folder must stay inside the server's default path on the server too (after the server
resolves symlinks), as the file itself must. A file of the same name already there is never
replaced: the moved file then gets the task's id before its extension
(``calls.xlsx`` -> ``calls.<taskId>.xlsx``). Every failure is a ``FetchError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
from dataclasses import dataclass

import asyncssh

from openisales.networks import ServerNetworks
from openisales.sftp.connection import SftpTarget, connect
from openisales.sftp.errors import FetchError, FetchErrorKind
from openisales.sftp.hostkeys import parse_pinned_key
from openisales.sftp.paths import is_inside, normalise_root, resolve_remote_path
from openisales.sftp.transfer import Session, marker_path

__all__ = ["DONE", "FAILED", "MoveRequest", "move_file"]

DONE, FAILED = "done", "failed"


@dataclass(frozen=True)
class MoveRequest:
    """Which file to move into which sibling folder, and the suffix for a name already taken."""

    file_path: str | None
    file_name: str
    folder: str  # DONE or FAILED
    unique_suffix: str  # the task id: makes the name unique when the plain one is taken

    def __post_init__(self) -> None:
        if self.folder not in (DONE, FAILED):
            raise ValueError(f"files are moved into {DONE}/ or {FAILED}/, not {self.folder}/")


async def move_file(
    target: SftpTarget,
    request: MoveRequest,
    *,
    connect_timeout: float = 10,
    read_timeout: float = 30,
    allowed_networks: ServerNetworks | None = None,
) -> str:
    """Move the file (and its ``.done`` marker, if any); returns its new path relative to the
    default path, e.g. ``isales/upload/done/calls.xlsx``."""
    root = normalise_root(target.default_path)
    remote_path = resolve_remote_path(target.default_path, request.file_path, request.file_name)
    pinned = parse_pinned_key(target.pinned_host_key) if target.pinned_host_key else None
    conn = await connect(target, pinned, connect_timeout, allowed_networks)
    try:
        session = Session(conn, target.where, read_timeout)
        sftp = await session.request(conn.start_sftp_client(), "starting the SFTP session")
        moved = await _Mover(session, sftp, root, request).move(remote_path)
        sftp.exit()
    except BaseException:
        conn.abort()
        raise
    conn.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.wait_closed(), timeout=min(read_timeout, 5))
    return posixpath.relpath(moved, root)


class _Mover:
    def __init__(
        self, session: Session, sftp: asyncssh.SFTPClient, root: str, request: MoveRequest
    ) -> None:
        self._session = session
        self._sftp = sftp
        self._root = root
        self._request = request

    async def move(self, remote_path: str) -> str:
        folder = await self._folder(
            posixpath.join(posixpath.dirname(remote_path), self._request.folder)
        )
        destination = await self._free_name(folder)
        await self._rename(remote_path, destination)
        marker = marker_path(remote_path)
        if await self._exists(marker):
            await self._rename(marker, marker_path(destination))
        return destination

    async def _folder(self, folder: str) -> str:
        """``folder``, created when missing, checked to be a directory inside the root."""
        if not await self._exists(folder):
            with contextlib.suppress(FetchError):  # another run may create it at the same time
                await self._session.request(self._sftp.mkdir(folder), "creating", folder)
        real_root = await self._session.request(
            self._sftp.realpath(self._root), "resolving the default path", self._root
        )
        real_folder = await self._session.request(self._sftp.realpath(folder), "resolving", folder)
        if not is_inside(real_folder, real_root):
            raise FetchError(
                FetchErrorKind.PATH_OUTSIDE_ROOT,
                f"{folder} resolves to {real_folder}, which is outside the default path "
                f"{real_root}",
            )
        if not await self._session.request(self._sftp.isdir(folder), "looking at", folder):
            raise FetchError(FetchErrorKind.NOT_A_FILE, f"{folder} is not a folder")
        return folder

    async def _free_name(self, folder: str) -> str:
        """The plain name in ``folder``, or the name with the suffix when that is taken."""
        name = self._request.file_name
        plain = posixpath.join(folder, name)
        if not await self._exists(plain):
            return plain
        stem, extension = posixpath.splitext(name)
        unique = posixpath.join(folder, f"{stem}.{self._request.unique_suffix}{extension}")
        if await self._exists(unique):
            raise FetchError(FetchErrorKind.SERVER_ERROR, f"{plain} and {unique} both exist")
        return unique

    async def _exists(self, path: str) -> bool:
        return bool(await self._session.request(self._sftp.exists(path), "looking for", path))

    async def _rename(self, source: str, destination: str) -> None:
        # SFTP version 3 rename never replaces an existing file; _free_name chose a free name.
        await self._session.request(self._sftp.rename(source, destination), "moving", source)
