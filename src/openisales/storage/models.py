"""Database tables. Every SQL statement lives in this package's repository modules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openisales.storage.types import UtcDateTime

# Stable constraint names, so migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Big integer keys on PostgreSQL, the rowid alias on SQLite (which only auto-increments INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Tenant(Base):
    """A VDN: the unit of isolation. Its AK/SK sign every request made for it."""

    __tablename__ = "tenants"

    vdn_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The last campaign id given out: ids are never reused, even after a delete.
    last_campaign_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Pushes of one call result to the receiver before it is undeliverable (1-6, reference: 2).
    result_push_max: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # ISO region (CN, GB...) numbers without a country code are read in; None: numbers unparsed.
    default_region: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SeenSignature(Base):
    """Signatures of mutating requests inside the clock window, with the first answer of each.

    An identical request sent again (a client's retry after a lost answer) gets the stored
    answer instead of being carried out twice; see ``storage.replay`` for the states.
    """

    __tablename__ = "seen_signatures"

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # storage.replay.ReplayState; rows from before answers were kept read as "not kept" (0).
    state: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # SHA-256 of method, path, query and body bytes: what "the same request" means.
    request_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    content_type: Mapped[str | None] = mapped_column(String(128), default=None)
    answer: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class ConsoleSession(Base):
    """A signed-in console browser. Sign-out deletes the row, which ends the session.

    Beside the replay guard (``storage.side``): no foreign key, as on SQLite the table lives in a
    file of its own. Only a hash of the session id is kept; the cookie holds the id itself.
    """

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vdn_id: Mapped[int] = mapped_column(Integer)
    access_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SignInFailures(Base):
    """Wrong console secrets counted per client address and per access key (both hashed)."""

    __tablename__ = "sign_in_failures"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # inside the current window
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # each one doubles the next delay
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FileServer(Base):
    """A customer's SFTP server; its password is stored encrypted with the master key."""

    __tablename__ = "file_servers"
    __table_args__ = (
        UniqueConstraint(
            "vdn_id", "ip", "port", "file_path", "user_name", name="uq_file_servers_address"
        ),
    )

    server_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vdn_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.vdn_id", ondelete="CASCADE"), index=True
    )
    ip: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    file_path: Mapped[str] = mapped_column(String(1024))
    user_name: Mapped[str] = mapped_column(String(64))
    password_enc: Mapped[bytes] = mapped_column(LargeBinary)
    host_key: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Imports wait for "<file>.done" beside the file before fetching it (migration 0010).
    require_done_marker: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class Campaign(Base):
    """An outbound campaign. ``campaign_id`` is the id the tenant sees, numbered per tenant."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("vdn_id", "campaign_id", name="uq_campaigns_vdn_campaign"),
        UniqueConstraint("vdn_id", "name", name="uq_campaigns_vdn_name"),
    )

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vdn_id: Mapped[int] = mapped_column(ForeignKey("tenants.vdn_id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    device_type: Mapped[int] = mapped_column(Integer)
    begin_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime] = mapped_column(UtcDateTime)
    caller_no: Mapped[str | None] = mapped_column(String(24))
    max_alerting_time: Mapped[int | None] = mapped_column(Integer)
    # The other documented fields (scheduleParam, ivrParam, skillParam, callBackUrl...), kept as given.
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # The V2 retryPolicy in normalised form (domain.retry_policy); None: numbers are not retried.
    retry_policy: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    # The highest dataId already entered into the dial queue (storage.dispatch).
    dial_watermark: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ImportTask(Base):
    """One import of one file: the queue row a worker claims, and the result a client queries."""

    __tablename__ = "import_tasks"
    __table_args__ = (
        Index("ix_import_tasks_claim", "status", "not_before"),
        Index("ix_import_tasks_campaign", "campaign_pk", "created_at"),
    )

    task_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vdn_id: Mapped[int] = mapped_column(ForeignKey("tenants.vdn_id", ondelete="CASCADE"))
    # None for blocklist imports, which belong to the tenant rather than a campaign.
    campaign_pk: Mapped[int | None] = mapped_column(ForeignKey("campaigns.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="calldata")  # calldata | blocklist
    schedule_id: Mapped[str | None] = mapped_column(String(32), index=True)
    server_id: Mapped[str] = mapped_column(String(32))
    file_path: Mapped[str | None] = mapped_column(String(1024))
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    begin_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    total_num: Mapped[int] = mapped_column(Integer, default=0)
    processed_num: Mapped[int] = mapped_column(Integer, default=0)
    succ_num: Mapped[int] = mapped_column(Integer, default=0)
    repeat_num: Mapped[int] = mapped_column(Integer, default=0)
    fail_num: Mapped[int] = mapped_column(Integer, default=0)
    black_num: Mapped[int] = mapped_column(Integer, default=0)
    err_msg: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    source_header: Mapped[list[str] | None] = mapped_column(JSON)
    # Seconds spent in each stage (fetch, read, validate, write...), for operators and benchmarks.
    timings: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # A dry run (validateOnly): validated and counted, nothing written (migration 0008).
    validate_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # After the run, move the file on the server into done/ or failed/ (migration 0010).
    move_after_import: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The name the run fetched: file_name with its date pattern expanded at the run's time.
    fetched_name: Mapped[str | None] = mapped_column(String(255))
    # Where the file was moved (relative to the server's default path), or why it was not.
    moved_to: Mapped[str | None] = mapped_column(String(1024))
    move_error: Mapped[str | None] = mapped_column(Text)
    # Where the task's record is POSTed once it ends (extension ``notifyUrl``, migration 0011).
    notify_url: Mapped[str | None] = mapped_column(String(1024), default=None)


class ImportFailure(Base):
    """A rejected row of an import task, with its original cells, for the failure report."""

    __tablename__ = "import_failures"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("import_tasks.task_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    row_number: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    cells: Mapped[list[str]] = mapped_column(JSON)


class CallData(Base):
    """An outbound call record of a campaign, from a file import or a JSON add.

    ``called_key`` is the sorted, de-duplicated set of its called numbers joined by ``,``: with
    ``session_id`` it makes the duplicate rule (ARCHITECTURE.md) one unique index.
    """

    __tablename__ = "call_data"
    __table_args__ = (
        UniqueConstraint("campaign_pk", "session_id", "called_key", name="uq_call_data_identity"),
        Index("ix_call_data_task", "import_task_id"),
        # A deleted record's dataId is never handed to a new one (SQLite reuses the top rowid).
        {"sqlite_autoincrement": True},
    )

    data_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.pk", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(32), default="")
    called_key: Mapped[str] = mapped_column(Text)
    called: Mapped[str] = mapped_column(Text)  # JSON array of {calledNo, delayTime, type}
    caller: Mapped[str | None] = mapped_column(String(24))
    custom_field: Mapped[str | None] = mapped_column(String(200))
    recycle_time: Mapped[datetime | None] = mapped_column(DateTime)
    call_data: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[str | None] = mapped_column(String(64))  # V2 JSON adds (add-batch interface)
    status: Mapped[int] = mapped_column(Integer, default=0)  # a domain.record_row.RecordStatus
    import_task_id: Mapped[str | None] = mapped_column(String(32))
    row_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BlocklistEntry(Base):
    """A number the tenant must never dial while the entry is active."""

    __tablename__ = "blocklist"
    __table_args__ = (UniqueConstraint("vdn_id", "number", name="uq_blocklist_vdn_number"),)

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vdn_id: Mapped[int] = mapped_column(ForeignKey("tenants.vdn_id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(24))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    restrict_times: Mapped[int | None] = mapped_column(Integer)
    restrict_period: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallDataHistory(Base):
    """Records deleted with ``archiveHistory=1``: moved here with their original ``dataId``."""

    __tablename__ = "call_data_history"

    data_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    campaign_pk: Mapped[int] = mapped_column(BigId, index=True)
    session_id: Mapped[str] = mapped_column(String(32), default="")
    called_key: Mapped[str] = mapped_column(Text)
    called: Mapped[str] = mapped_column(Text)
    caller: Mapped[str | None] = mapped_column(String(24))
    custom_field: Mapped[str | None] = mapped_column(String(200))
    recycle_time: Mapped[datetime | None] = mapped_column(DateTime)
    call_data: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer, default=0)
    import_task_id: Mapped[str | None] = mapped_column(String(32))
    row_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CampaignHistory(Base):
    """Campaigns deleted with ``archiveHistory=1``: kept here as they were, with their original
    key (``campaign_pk``), which their records in ``call_data_history`` still name."""

    __tablename__ = "campaign_history"
    __table_args__ = (Index("ix_campaign_history_vdn_campaign", "vdn_id", "campaign_id"),)

    campaign_pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    vdn_id: Mapped[int] = mapped_column(ForeignKey("tenants.vdn_id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)  # the visible status when it was deleted
    device_type: Mapped[int] = mapped_column(Integer)
    begin_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime] = mapped_column(UtcDateTime)
    caller_no: Mapped[str | None] = mapped_column(String(24))
    max_alerting_time: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    retry_policy: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ImportSchedule(Base):
    """A daily import at hh:mm in the tenant's time zone; each run is an import task of its own."""

    __tablename__ = "import_schedules"
    __table_args__ = (Index("ix_import_schedules_due", "status", "next_run_at"),)

    schedule_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vdn_id: Mapped[int] = mapped_column(ForeignKey("tenants.vdn_id", ondelete="CASCADE"))
    campaign_pk: Mapped[int | None] = mapped_column(ForeignKey("campaigns.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="calldata")
    server_id: Mapped[str] = mapped_column(String(32))
    file_path: Mapped[str | None] = mapped_column(String(1024))
    file_name: Mapped[str] = mapped_column(String(255))
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer, default=0)  # 0 active, 1 cancelled
    next_run_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_task_id: Mapped[str | None] = mapped_column(String(32))
    # SHA-256 of the file the last completed run imported: an identical file imports nothing.
    last_sha256: Mapped[str | None] = mapped_column(String(64))
    # Given to every run: each run's end is notified there (migration 0011).
    notify_url: Mapped[str | None] = mapped_column(String(1024), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Each run moves its file into done/ or failed/ afterwards (migration 0010).
    move_after_import: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DialEntry(Base):
    """A pending call record being dialled: its current number, when it may be called, its lease.

    Entered lazily by the first lease after the record was added (``storage.dispatch``);
    ``state`` moves through ``domain.dispatch.NUMBER_LEASE``.
    """

    __tablename__ = "dial_queue"
    __table_args__ = (
        # The selection: ascending priority_key (highest priority first), then the oldest record.
        Index("ix_dial_queue_next", "campaign_pk", "state", "priority_key", "data_id", "due_at"),
        Index("ix_dial_queue_expiry", "campaign_pk", "state", "lease_expires_at"),
    )

    data_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey("call_data.data_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    # No foreign key of its own: the record's (data_id) cascades, and one check per row is
    # what entering 500,000 records costs on PostgreSQL.
    campaign_pk: Mapped[int] = mapped_column(BigId)
    state: Mapped[int] = mapped_column(Integer, default=0)
    priority_key: Mapped[int] = mapped_column(Integer)  # 5 - priority (no priority counts as 3)
    position: Mapped[int] = mapped_column(Integer, default=0)  # index into the record's called
    called_no: Mapped[str] = mapped_column(String(24))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed results on this number
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    dialer_id: Mapped[str | None] = mapped_column(String(64))
    leased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[int | None] = mapped_column(Integer)  # domain.dispatch.Outcome once DONE
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallResult(Base):
    """The recorded outcome of one lease: every field of the documented result push, and more.

    ``lease_id`` is unique, so an outcome is stored once however often it is reported.
    """

    __tablename__ = "call_results"
    __table_args__ = (
        Index("ix_call_results_campaign", "campaign_pk", "recorded_at"),
        Index("ix_call_results_number", "vdn_id", "called", "recorded_at"),
    )

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lease_id: Mapped[str] = mapped_column(String(32), unique=True)
    vdn_id: Mapped[int] = mapped_column(Integer)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.pk", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(Integer)
    data_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: results outlive records
    position: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[str] = mapped_column(String(32))
    called: Mapped[str] = mapped_column(String(24))
    call_time_str: Mapped[str] = mapped_column(String(19))
    call_status: Mapped[int] = mapped_column(Integer)  # 5 failed, 6 success
    fail_code: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str] = mapped_column(String(64))
    custom_field: Mapped[str | None] = mapped_column(String(200))
    record_path: Mapped[str | None] = mapped_column(String(1024))
    dialer_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResultDelivery(Base):
    """An outbox entry: the push of one call result, or the notice of one ended import task.

    ``kind`` (``domain.result_delivery.DeliveryKind``) says which: a result entry names its
    ``result_pk``, written in the transaction that stores the result; an import notice names its
    ``task_id``, written in the transaction that ends the task. Each is unique, so nothing is
    queued twice. ``state`` moves through ``domain.result_delivery.RESULT_DELIVERY``. A pusher's
    claim is ``claim_token``, and it expires at ``next_attempt_at``: then the entry is due
    again, as a pending one is when its backoff has passed, so one index serves both.
    ``pushes`` counts claims (pushes begun).
    """

    __tablename__ = "result_deliveries"
    __table_args__ = (
        # The claim: entries of a kind due, pending or claimed and expired (next_attempt_at <= now).
        Index("ix_result_deliveries_due", "kind", "state", "next_attempt_at"),
        Index("ix_result_deliveries_campaign", "campaign_pk", "state"),
        Index("ix_result_deliveries_tenant", "vdn_id", "state"),
    )

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    result_pk: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("call_results.pk", ondelete="CASCADE"), unique=True
    )
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("import_tasks.task_id", ondelete="CASCADE"), unique=True
    )
    vdn_id: Mapped[int] = mapped_column(Integer)
    # The result's campaign (which cascades); a blocklist import's notice has none.
    campaign_pk: Mapped[int | None] = mapped_column(BigId)
    state: Mapped[int] = mapped_column(Integer, default=0)
    pushes: Mapped[int] = mapped_column(Integer, default=0)
    # Pending: when it is due; delivering: when the claim expires.
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    target_url: Mapped[str | None] = mapped_column(String(1024))  # of the last push
    last_status: Mapped[int | None] = mapped_column(Integer)  # its HTTP status, if it had one
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallBatch(Base):
    """An outbound call batch of a campaign (cec_07_0770); V2 call data names it by ``batchId``.

    ``status`` follows ``domain.call_batch.CALL_BATCH``. A live batch's name is unique in its
    campaign (a partial index: deleted batches keep their row, and free their name).
    """

    __tablename__ = "call_batches"
    __table_args__ = (
        Index(
            "uq_call_batches_live_name",
            "campaign_pk",
            "name",
            unique=True,
            sqlite_where=text("status != 3"),
            postgresql_where=text("status != 3"),
        ),
        Index("ix_call_batches_campaign_status", "campaign_pk", "status"),
    )

    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.pk", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
