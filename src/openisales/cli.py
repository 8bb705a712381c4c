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
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from openisales.client.cli import client_app, dialer_app
from openisales.domain.result_delivery import DEFAULT_MAX_PUSHES, REDELIVERABLE
from openisales.errors import ISalesError
from openisales.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from openisales.services import tenants
    from openisales.services.runtime import Runtime

# The storage, service, API and worker layers are imported inside the commands that use them:
# `openisales client ...` runs on every operator's shell prompt and in scripts, and should not
# pay for SQLAlchemy, FastAPI and asyncssh it never touches.

app = typer.Typer(
    help="openisales: the CC-iSales outbound-campaign OpenAPI, self-hosted.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (VDNs) and their access keys.", no_args_is_help=True)
results_app = typer.Typer(
    help="The result push: delivery counts, redelivery.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(results_app, name="results")
app.add_typer(client_app, name="client")
app.add_typer(dialer_app, name="dialer")
log = logging.getLogger("openisales")


def _runtime() -> Runtime:
    from openisales.services.runtime import Runtime

    return Runtime.from_settings(Settings())


def _die(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _configure_logging() -> None:
    from openisales import logs

    logs.configure(Settings().log_format)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the current version."""
    from openisales.storage import migrate

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


_PUSH_MAX = typer.Option(
    "--result-push-max",
    help="Pushes of each call result at most before it is undeliverable (1-6).",
)
PushMaxOption = Annotated[int, _PUSH_MAX]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--default-region",
        help="ISO country (CN, GB, US) numbers are read in with libphonenumber; '' for none.",
    ),
]


@tenant_app.command("create")
def tenant_create(
    vdn_id: Annotated[int, typer.Option("--vdn-id", help="VDN id, 1-9999.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA zone for schedules.")] = "UTC",
    result_push_max: PushMaxOption = DEFAULT_MAX_PUSHES,
    default_region: RegionOption = None,
) -> None:
    """Create a tenant and print its keys as one JSON object (the secret is shown only once)."""
    from openisales.services import tenants

    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            creds = tenants.create(
                session,
                rt.box,
                vdn_id,
                time_zone,
                rt.clock(),
                result_push_max=result_push_max,
                default_region=default_region,
            )
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    _print_credentials(creds)


@tenant_app.command("rotate-key")
def tenant_rotate_key(vdn_id: Annotated[int, typer.Option("--vdn-id")]) -> None:
    """Give the tenant a new key pair; the old one stops working at once."""
    from openisales.services import tenants

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


@tenant_app.command("set")
def tenant_set(
    vdn_id: Annotated[int, typer.Option("--vdn-id")],
    result_push_max: Annotated[int | None, _PUSH_MAX] = None,
    default_region: RegionOption = None,
) -> None:
    """Change a tenant's settings: pushes per result, the region its numbers are read in."""
    from openisales.services import tenants

    if result_push_max is None and default_region is None:
        _die("nothing to set: give --result-push-max and/or --default-region")
    said: list[str] = []
    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            if result_push_max is not None:
                tenants.set_result_push_max(session, vdn_id, result_push_max)
                said.append(f"each result is pushed at most {result_push_max} times")
            if default_region is not None:
                region = tenants.set_default_region(session, vdn_id, default_region)
                said.append(
                    f"numbers are read in region {region}" if region else "numbers are not parsed"
                )
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    typer.echo(f"tenant {vdn_id}: " + "; ".join(said))


@tenant_app.command("list")
def tenant_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tenants (never their secret keys)."""
    from openisales.services import tenants

    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            rows = [
                (
                    t.vdn_id,
                    t.access_key,
                    t.time_zone,
                    t.result_push_max,
                    t.default_region,
                    t.created_at.isoformat(),
                )
                for t in tenants.list_all(session)
            ]
    finally:
        rt.close()
    if as_json:
        keys = ("vdnId", "accessKey", "timeZone", "resultPushMax", "defaultRegion", "createdAt")
        typer.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("vdnId", "timeZone", "pushes", "region", "created")
    table.add_column("accessKey", no_wrap=True)  # whole, whatever the terminal's width
    for vdn_id, access_key, time_zone, pushes, region, created in rows:
        table.add_row(str(vdn_id), time_zone, str(pushes), region or "", created[:19], access_key)
    Console().print(table)


VdnOption = Annotated[int | None, typer.Option("--vdn", help="Only this tenant's results.")]
CampaignOption = Annotated[
    int | None, typer.Option("--campaign", help="Only this campaign's (an id of the --vdn tenant).")
]


@results_app.command("redeliver")
def results_redeliver(
    vdn: VdnOption = None,
    campaign: CampaignOption = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="undeliverable or no_receiver (repeatable; default: both).",
        ),
    ] = None,
    notices: Annotated[
        bool,
        typer.Option("--notices", help="Import notices (notifyUrl) instead of call results."),
    ] = False,
) -> None:
    """Push undeliverable and no-receiver results (or import notices) again, with all pushes."""
    from openisales.domain.result_delivery import DeliveryKind
    from openisales.services import result_deliveries

    kind = DeliveryKind.IMPORT_NOTICE if notices else DeliveryKind.RESULT

    names = state or sorted(REDELIVERABLE)
    unknown = [name for name in names if name not in REDELIVERABLE]
    if unknown:
        _die(f"--state must be one of {', '.join(sorted(REDELIVERABLE))}, got {unknown[0]!r}")
    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.transaction() as session:
            states = [REDELIVERABLE[name] for name in names]
            moved = result_deliveries.redeliver(
                session, states, rt.clock(), vdn_id=vdn, campaign_id=campaign, kind=kind
            )
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    what = "import notices" if notices else "results"
    typer.echo(f"{moved} {what} queued for delivery again")


@results_app.command("counts")
def results_counts(
    vdn: VdnOption = None,
    campaign: CampaignOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """How many call results are in each delivery state."""
    from openisales.services import result_deliveries

    rt = _runtime()
    try:
        _ensure_schema(rt)
        with rt.db.read() as session:
            found = result_deliveries.counts_of(session, vdn_id=vdn, campaign_id=campaign)
    except ISalesError as exc:
        _die(exc.message)
    finally:
        rt.close()
    named = {state.name.lower(): count for state, count in found.items()}
    if as_json:
        typer.echo(json.dumps(named))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("state", "results")
    for name, count in named.items():
        table.add_row(name, str(count))
    Console().print(table)


def _ensure_schema(rt: Runtime) -> None:
    """The embedded SQLite database upgrades itself; PostgreSQL is upgraded on purpose."""
    from openisales.storage import migrate

    if rt.db.is_sqlite:
        migrate.upgrade(rt.db.engine)


def _worker_lifespan(rt: Runtime) -> object:
    from openisales.worker import pusher
    from openisales.worker.loop import Worker

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=Worker(rt).run, args=(stop,), name="worker", daemon=True)
        thread.start()
        pusher_thread = pusher.start(rt, stop)
        try:
            yield
        finally:
            stop.set()
            rt.work_available.set()  # wake them if idle
            rt.results_recorded.set()
            thread.join(timeout=10)
            pusher_thread.join(timeout=10)

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
    """Serve the API, with an import worker and a result pusher in the same process unless --no-worker."""
    from openisales.services.runtime import Runtime

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
    """Run an import worker and a result pusher until SIGTERM or SIGINT (many may run against one PostgreSQL)."""
    from openisales.worker import pusher
    from openisales.worker.loop import Worker

    _configure_logging()
    rt = _runtime()
    _ensure_schema(rt)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pusher_thread = pusher.start(rt, stop)
    try:
        Worker(rt).run(stop)
    finally:
        rt.results_recorded.set()  # wake the pusher: it finishes its round and stops
        pusher_thread.join(timeout=30)
        rt.close()


def main() -> None:
    """The console-script entry point: runs the command line, exit status 130 on Ctrl-C."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
