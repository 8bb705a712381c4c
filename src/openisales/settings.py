"""Service settings, read from ``OPENISALES_*`` environment variables."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Everything an operator can set; each field is ``OPENISALES_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="OPENISALES_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="Database, master key, downloads.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    tls_cert: Path | None = Field(default=None, description="PEM certificate (chain) for HTTPS.")
    tls_key: Path | None = Field(default=None, description="PEM private key for HTTPS.")
    insecure_http: bool = Field(
        default=False, description="Allow plain HTTP on a non-loopback address."
    )
    request_read_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Time a client has for its request headers, and for its body: else 408.",
    )
    keep_alive_timeout_seconds: int = Field(
        default=5, ge=1, description="An idle keep-alive connection is closed after this."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="Log lines: json (one object per line), text, or auto (text on a terminal).",
    )
    signature_skew_seconds: int = Field(
        default=15 * 60, ge=1, description="Allowed clock difference of a signed request."
    )
    max_body_bytes: int = Field(default=1 * MIB, ge=1024)
    master_key: str | None = Field(
        default=None,
        description="Fernet key for secrets at rest; default: generated into data_dir/master.key.",
    )
    max_file_bytes: int = Field(default=200 * MIB, ge=1, description="Cap on a downloaded file.")
    max_import_rows: int = Field(default=500_000, ge=1)
    max_campaigns_per_kind: int = Field(
        default=20,
        ge=1,
        description="Campaigns not completed a tenant may hold of one kind: IVR (device types "
        "1, 3) or skill queue (2, 5, 6).",
    )
    max_liveliest_task_count: int = Field(
        default=20,
        ge=1,
        description="Started campaigns a tenant may hold of one device type "
        "(max.liveliest.taskCount).",
    )
    cc_id: int = Field(
        default=1,
        ge=0,
        description="The call center id (ccId) of every campaign; a list for another is empty.",
    )
    sftp_connect_timeout: float = Field(default=10.0, gt=0)
    sftp_read_timeout: float = Field(default=30.0, gt=0)
    fetch_stable_seconds: float = Field(
        default=1.0,
        ge=0,
        description="A file modified recently is looked at again this long after its fetch "
        "began; one that changed is fetched again later (0: only before and after the transfer).",
    )
    file_wait_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How long an import waits for its file to be complete (unchanged over "
        "the re-check, or its .done marker there) before the task fails; counted from the "
        "run's first look at the file.",
    )
    file_wait_poll_seconds: float = Field(
        default=60.0, gt=0, description="While an import waits for its file, how often it looks."
    )
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A task lease not renewed in time is taken up again."
    )
    import_max_attempts: int = Field(default=3, ge=1)
    reader_memory_limit_bytes: int = Field(
        default=2048 * MIB,
        ge=64 * MIB,
        description=(
            "Memory the child process that reads an import file may allocate beyond its"
            " loaded code (its data segment)."
        ),
    )
    max_unpacked_bytes: int = Field(
        default=512 * MIB,
        ge=1,
        description="Largest a workbook may unpack to (its zip members' sizes), or a CSV be.",
    )
    allowed_server_networks: str = Field(
        default="0.0.0.0/0,::/0",
        description="Comma-separated CIDRs every file-server address must lie in.",
    )
    allow_local_server_addresses: bool = Field(
        default=False,
        description=(
            "Allow file servers on loopback, unspecified, link-local, multicast and this "
            "host's own addresses (a local test server); refused by default."
        ),
    )

    result_callback_url: str = Field(
        default="",
        description="Where results of campaigns without a callBackUrl are pushed; "
        "';'-separated, the first URL is used (empty: such results wait as 'no receiver').",
    )
    result_push_batch: int = Field(
        default=100, ge=1, le=1000, description="Results in one push (one POST) at most."
    )
    result_push_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Time a receiver has to accept the connection, and then for each read and "
        "write of one push.",
    )
    result_push_claim_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A claimed push whose pusher does not settle it in this time is pushed "
        "again (longer than a push can take: at least 3 x the timeout).",
    )
    result_push_ca_file: Path | None = Field(
        default=None,
        description="PEM CA certificates trusted for HTTPS receivers, besides the public ones.",
    )

    @model_validator(mode="after")
    def _claim_outlasts_a_push(self) -> Settings:
        # connect + write + read: a claim shorter than that would be pushed twice while alive
        if self.result_push_claim_seconds < 3 * self.result_push_timeout_seconds:
            raise ValueError(
                "result_push_claim_seconds must be at least 3 x result_push_timeout_seconds"
            )
        return self

    @field_validator("allowed_server_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        _networks(value)
        return value

    @property
    def server_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The file-server address ranges in force."""
        return _networks(self.allowed_server_networks)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in force: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openisales.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.sqlalchemy_url.startswith("sqlite")


def _networks(text: str) -> tuple[IPv4Network | IPv6Network, ...]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError("list at least one network; 0.0.0.0/0,::/0 allows every address")
    return tuple(ip_network(item, strict=False) for item in items)
