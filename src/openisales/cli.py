"""The ``openisales`` command: the composition root that wires settings, storage, API and worker."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from openisales import logs
from openisales.client.cli import client_app, dialer_app
from openisales.errors import ISalesError
from openisales.services import tenants
from openisales.services.runtime import Runtime
from openisales.settings import Settings
from openisales.storage import migrate
from openisales.worker.loop import Worker

app = typer.Typer(
    help="openisales: the CC-iSales outbound-campaign OpenAPI, self-hosted.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (VDNs) and their access keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(client_app, name="client")
app.add_typer(dialer_app, name="dialer")
log = logging.getLogger("openisales")


def _runtime() -> Runtime:
    return Runtime.from_settings(Settings())


def _die(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _configure_logging() -> None:
    logs.configure(Settings().log_format)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the current version."""
    rt = _runtime()
    try:
        migrate.upgrade(rt.db.engine)
    finally:
        rt.close()
    typer.echo("database schema is up to date")


def _print_credentials(creds: tenants.Credentials) -> None:
    """Exactly one JSON object on stdout: scripts read the keys from it."""
    keys = {"vdnId": creds.vdn_id, "accessKey": creds.access_key, "secretKey": creds.secret_key}
    typer.echo(json.dumps(keys))


@tenant_app.command("create")
def tenant_create(
    vdn_id: Annotated[int, typer.Option("--vdn-id", help="VDN id, 1-9999.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA zone for schedules.")] = "UTC",
) -> None:
    """Create a tenant and print its keys as one JSON object (the secret is shown only once)."""
    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            creds = tenants.create(session, rt.box, vdn_id, time_zone, rt.clock())
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    _print_credentials(creds)


@tenant_app.command("rotate-key")
def tenant_rotate_key(vdn_id: Annotated[int, typer.Option("--vdn-id")]) -> None:
    """Give the tenant a new key pair; the old one stops working at once."""
    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            creds = tenants.rotate_key(session, rt.box, vdn_id)
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    _print_credentials(creds)


@tenant_app.command("list")
def tenant_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tenants (never their secret keys)."""
    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            rows = [
                (t.vdn_id, t.access_key, t.time_zone, t.created_at.isoformat())
                for t in tenants.list_all(session)
            ]
    finally:
        rt.close()
    if as_json:
        keys = ("vdnId", "accessKey", "timeZone", "createdAt")
        typer.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table("vdnId", "accessKey", "timeZone", "created")
    for row in rows:
        table.add_row(*(str(value) for value in row))
    Console().print(table)


def _ensure_schema(rt: Runtime) -> None:
    """The embedded SQLite database upgrades itself; PostgreSQL is upgraded on purpose."""
    if rt.db.is_sqlite:
        migrate.upgrade(rt.db.engine)


def _worker_lifespan(rt: Runtime) -> object:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=Worker(rt).run, args=(stop,), name="worker", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            rt.work_available.set()  # wake it if idle
            thread.join(timeout=10)

    return lifespan


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Listen address (default OPENISALES_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default OPENISALES_PORT).")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Serve the API only.")] = False,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate for HTTPS (default OPENISALES_TLS_CERT).")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="PEM private key for HTTPS (default OPENISALES_TLS_KEY).")
    ] = None,
    insecure_http: Annotated[
        bool,
        typer.Option("--insecure-http", help="Allow plain HTTP on a non-loopback address."),
    ] = False,
) -> None:
    """Serve the API, with an import worker in the same process unless --no-worker."""
    settings = Settings()
    listen = _checked_listen(settings, host, tls_cert, tls_key, insecure_http=insecure_http)
    _configure_logging()
    rt = Runtime.from_settings(settings)
    _ensure_schema(rt)
    _run_server(_api(rt, with_worker=not no_worker), settings, listen, port or settings.port)
    rt.close()


@dataclass(frozen=True)
class _Listen:
    host: str
    cert: Path | None
    key: Path | None
    tls: bool


def _checked_listen(
    settings: Settings,
    host: str | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    *,
    insecure_http: bool,
) -> _Listen:
    """Options over settings; exits with a one-line error when TLS or the address cannot serve."""
    from openisales import transport

    listen_host = host or settings.host
    cert, key = tls_cert or settings.tls_cert, tls_key or settings.tls_key
    try:
        tls = transport.check_tls_files(cert, key)
        transport.check_listen(
            listen_host, tls=tls, insecure_http=insecure_http or settings.insecure_http
        )
    except transport.TransportConfigError as exc:
        _die(str(exc))
    return _Listen(listen_host, cert, key, tls)


def _api(rt: Runtime, *, with_worker: bool) -> FastAPI:
    from openisales.api.app import create_app

    background = _worker_lifespan(rt) if with_worker else None
    if with_worker:
        # The embedded worker's import loops hold the GIL for long stretches; a short switch
        # interval keeps the API's answers quick meanwhile (queryDataImportTask p99).
        sys.setswitchinterval(0.001)
    return create_app(rt, background=background)  # type: ignore[arg-type]


def _run_server(api: FastAPI, settings: Settings, listen: _Listen, port: int) -> None:
    import uvicorn

    from openisales import transport

    uvicorn.run(
        api,
        host=listen.host,
        port=port,
        log_level="info",
        log_config=None,  # keep the handlers of _configure_logging (JSON lines)
        http=transport.http_protocol(settings.request_read_timeout_seconds),
        timeout_keep_alive=settings.keep_alive_timeout_seconds,
        ssl_certfile=listen.cert if listen.tls else None,
        ssl_keyfile=listen.key if listen.tls else None,
        ssl_context_factory=transport.tls_1_2_minimum if listen.tls else None,
    )


@app.command()
def worker() -> None:
    """Run an import worker until SIGTERM or SIGINT (many may run against one PostgreSQL)."""
    _configure_logging()
    rt = _runtime()
    _ensure_schema(rt)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        Worker(rt).run(stop)
    finally:
        rt.close()


def main() -> None:
    """The console-script entry point: runs the command line, exit status 130 on Ctrl-C."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
