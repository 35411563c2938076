"""Per-tenant data keys: versions, rotation and the re-encryption job.

A tenant's data keys live in ``tenant_data_keys``, one row per version: the cipher, the key wrapped
by the master key (:meth:`kernel.crypto.Vault.wrap`) and a state:

``pending``
    created by a rotation; every process may decrypt with it, none encrypts with it yet. It waits
    ``LINLI_KEY_RING_TTL_SECONDS`` so that every process has loaded it before the first ciphertext
    under it exists.
``active``
    new ciphertexts of the tenant are made with it (exactly one; none: the implicit version 0).
``retiring``
    the previous active version: still decrypts, while the job re-encrypts every value under it.
``retired``
    no value of a live row is under it any more (a whole pass over every encrypted column found
    none, starting a TTL after the new key became active). The wrapped key is kept: backups taken
    before the rotation stay readable.

Version 0 is the key derived from the master key that every tenant had before versions existed;
the first rotation records it as a row (no wrapped key) so it can be retired like any other.

The re-encryption job walks every column the data catalogue declares ``encrypted=True``
(:func:`kernel.db.catalogue.is_encrypted`) in every tenant table, in primary-key order, in batches.
Each batch re-encrypts its rows and moves the checkpoint (``checkpoint`` on the new version's row)
in one transaction: a run stopped anywhere resumes at the last committed batch, and since the old
version decrypts until it is retired, every row is readable throughout. ``linli tenant rotate-key``
runs it in the foreground; the scheduled job ``keys.rotation`` resumes any rotation left under way.

Each process keeps a tenant's key ring (:class:`kernel.crypto.KeyRing`) in its vault and reloads it
when a session of the tenant begins a transaction and the ring is older than the TTL.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, String, Text, and_, event, func, or_, select, tuple_, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, lazyload, mapped_column
from sqlalchemy.orm.attributes import flag_modified

import kernel.db.scope  # noqa: F401  (its after_begin, which sets the RLS tenant, must run before ours)
from kernel.crypto import LABELS, CryptoError, Vault, cipher_id, parse
from kernel.db.base import Base, TenantScoped, utcnow
from kernel.db.catalogue import is_encrypted, secret
from kernel.db.scope import TENANT_KEY
from kernel.errors import Conflict

log = structlog.get_logger("linli.keys")

PENDING, ACTIVE, RETIRING, RETIRED = "pending", "active", "retiring", "retired"
#: How often the scheduled job looks for rotations left under way (one query per firm), and how long
#: it works on one per run.
JOB_INTERVAL_SECONDS = 300.0
JOB_BUDGET_SECONDS = 60.0


class TenantDataKey(TenantScoped, Base):
    __tablename__ = "tenant_data_keys"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: ``ag`` (AES-256-GCM), ``sg`` (SM4-GCM) or ``sc`` (SM4-CBC + HMAC-SM3); see kernel.crypto.
    cipher: Mapped[str] = mapped_column(String(8))
    #: The key wrapped by the master key; ``None`` for version 0 (derived from the master key).
    wrapped_key: Mapped[str | None] = mapped_column(Text, default=None, info=secret("data key, wrapped by the master key"))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(default=None)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The re-encryption checkpoint of the rotation to this version: ``{"table", "after", "pass_rows",
    #: "pass_started"}``; ``None`` before it starts and once it is done.
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: Values re-encrypted to this version so far.
    reencrypted: Mapped[int] = mapped_column(default=0)


# -- key rings, loaded as tenant sessions begin ------------------------------------------------------

_VAULTS: weakref.WeakKeyDictionary[Engine, Vault] = weakref.WeakKeyDictionary()


def attach(db: Any, vault: Vault) -> None:
    """Load ``vault``'s key rings from ``db`` as its tenant sessions begin (the runtime calls this)."""
    _VAULTS[db.engine.sync_engine] = vault


def _ring_rows(connection: Connection, tenant_id: uuid.UUID) -> list[tuple[int, str, str, str | None]]:
    t = TenantDataKey.__table__.c
    stmt = select(t.version, t.cipher, t.state, t.wrapped_key).where(t.tenant_id == tenant_id)
    return [(int(r.version), str(r.cipher), str(r.state), r.wrapped_key) for r in connection.execute(stmt)]


@event.listens_for(Session, "after_begin")
def _load_ring(session: Session, transaction: Any, connection: Connection) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        return
    vault = _VAULTS.get(connection.engine)
    if vault is None or vault.ring_fresh(tenant_id):
        return
    if connection.dialect.name == "postgresql":
        # a savepoint: a database not migrated yet must not abort the caller's transaction
        try:
            with connection.begin_nested():
                rows = _ring_rows(connection, tenant_id)
        except Exception:
            log.warning("data_key_ring_unavailable", tenant=str(tenant_id))
            return
    else:
        try:
            rows = _ring_rows(connection, tenant_id)
        except Exception:
            log.warning("data_key_ring_unavailable", tenant=str(tenant_id))
            return
    vault.install_ring(tenant_id, rows)


# -- the catalogue's encrypted columns ------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedTable:
    model: type
    name: str
    columns: tuple[str, ...]
    #: Primary-key attributes other than ``tenant_id``, in order (the keyset of the batches).
    keys: tuple[str, ...]


def encrypted_tables(runtime: Any = None) -> list[EncryptedTable]:
    """Every tenant table with a column declared ``encrypted=True``, by table name. With ``runtime``
    its plugins' models are mapped first."""
    if runtime is not None:
        _load_models(runtime)
    found: list[EncryptedTable] = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, TenantScoped) or mapper.local_table is None:
            continue
        columns = tuple(
            attr.key for attr in mapper.column_attrs if any(is_encrypted(c) for c in attr.columns)
        )
        if not columns:
            continue
        keys = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key if c.name != "tenant_id")
        found.append(EncryptedTable(cls, str(getattr(mapper.local_table, "name", "")), columns, keys))
    return sorted(found, key=lambda t: t.name)


_models_loaded: set[int] = set()


def _load_models(runtime: Any) -> None:
    if id(runtime.host) not in _models_loaded:
        runtime.host.models()  # maps every plugin's models (register_models)
        _models_loaded.add(id(runtime.host))


# -- rotation ---------------------------------------------------------------------------------------------


@dataclass
class Rotation:
    """Where a tenant's key rotation stands (what ``linli tenant rotate-key`` shows)."""

    active: int
    cipher: str
    #: ``idle`` (nothing under way), ``waiting`` (for every process to load the ring; see
    #: ``waiting_until``), ``reencrypting`` (a pass is under way) or ``done`` (this step retired the old versions).
    phase: str
    pending: int | None = None
    retiring: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)
    table: str | None = None
    reencrypted: int = 0
    batch_rows: int = 0
    unreadable: int = 0
    waiting_until: datetime | None = None

    @property
    def under_way(self) -> bool:
        return self.phase in ("waiting", "reencrypting")

    @property
    def cipher_label(self) -> str:
        return LABELS.get(self.cipher, self.cipher)


async def _locked_keys(session: AsyncSession, tenant_id: uuid.UUID) -> list[TenantDataKey]:
    """The tenant's key rows, locked against another rotation step until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(TenantDataKey).order_by(TenantDataKey.version).with_for_update()
        return list((await session.scalars(stmt)).all())
    # SQLite: take the write lock first, so the rows read next are the newest (see kernel.audit)
    await session.execute(
        update(TenantDataKey).where(TenantDataKey.tenant_id == tenant_id)
        .values(version=TenantDataKey.version).execution_options(synchronize_session=False)
    )
    return list((await session.scalars(select(TenantDataKey).order_by(TenantDataKey.version))).all())


def _status(rows: list[TenantDataKey], vault: Vault, phase: str | None = None, **extra: Any) -> Rotation:
    active = next((r for r in rows if r.state == ACTIVE), None)
    pending = next((r.version for r in rows if r.state == PENDING), None)
    retiring = [r.version for r in rows if r.state == RETIRING]
    if phase is None:
        phase = "waiting" if pending is not None else "reencrypting" if retiring else "idle"
    return Rotation(
        active=active.version if active else 0,
        cipher=active.cipher if active else vault.default_cipher,
        phase=phase,
        pending=pending,
        retiring=retiring,
        retired=[r.version for r in rows if r.state == RETIRED],
        reencrypted=active.reencrypted if active else 0,
        table=(active.checkpoint or {}).get("table") if active else None,
        **extra,
    )


def _install(vault: Vault, tenant_id: uuid.UUID, rows: list[TenantDataKey]) -> None:
    vault.install_ring(tenant_id, [(r.version, r.cipher, r.state, r.wrapped_key) for r in rows])


async def status(runtime: Any, tenant_id: uuid.UUID) -> Rotation:
    async with runtime.db.tenant(tenant_id) as session:
        rows = list((await session.scalars(select(TenantDataKey).order_by(TenantDataKey.version))).all())
        return _status(rows, runtime.vault)


async def start_rotation(runtime: Any, tenant_id: uuid.UUID, *, cipher: str | None = None, actor: str = "system") -> Rotation:
    """Create the tenant's next key version (``pending``) under ``cipher`` (default
    ``LINLI_PERSONAL_DATA_CIPHER``). CONFLICT if a rotation is already under way (resume it instead)."""
    from kernel import audit

    vault: Vault = runtime.vault
    try:
        alg = cipher_id(cipher or runtime.settings.personal_data_cipher)
    except ValueError as exc:
        from kernel.errors import BadUserInput

        raise BadUserInput(str(exc)) from exc
    async with runtime.db.tenant(tenant_id) as session:
        rows = await _locked_keys(session, tenant_id)
        if any(r.state in (PENDING, RETIRING) for r in rows):
            raise Conflict("a key rotation of this tenant is under way; resume it (`linli tenant rotate-key SLUG --resume`)")
        now = utcnow()
        if not rows:  # the implicit version 0 becomes a row, so it can be retired like any other
            first = TenantDataKey(version=0, cipher=vault.default_cipher, state=ACTIVE, created_at=now, activated_at=now)
            session.add(first)
            rows.append(first)
        version = max(r.version for r in rows) + 1
        key = TenantDataKey(
            version=version, cipher=alg, wrapped_key=vault.wrap(tenant_id, version, alg, os.urandom(32)), state=PENDING, created_at=now
        )
        session.add(key)
        rows.append(key)
        try:
            await session.flush()
        except IntegrityError as exc:  # another rotation of this firm started at the same moment
            raise Conflict("a key rotation of this tenant is under way; resume it (`linli tenant rotate-key SLUG --resume`)") from exc
        await audit.record(
            session, tenant_id=tenant_id, actor=actor, action="tenant.key_rotation_started",
            target=f"data-key:{version}", detail={"version": version, "cipher": LABELS[alg]},
        )
        await session.flush()
        _install(vault, tenant_id, rows)
        return _status(rows, vault)


def _pk_values(table: EncryptedTable, row: Any) -> list[Any]:
    values = []
    for k in table.keys:
        v = getattr(row, k)
        values.append(v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v)
    return values


def _pk_typed(table: EncryptedTable, values: list[Any]) -> list[Any]:
    out = []
    for k, v in zip(table.keys, values, strict=True):
        py = getattr(table.model, k).type.python_type
        out.append(uuid.UUID(v) if py is uuid.UUID else datetime.fromisoformat(v) if py is datetime else v)
    return out


def _needs_work(table: EncryptedTable, active: int) -> Any:
    prefix = f"v2:{active}:%"
    return or_(*(and_(getattr(table.model, c).is_not(None), getattr(table.model, c).not_like(prefix)) for c in table.columns))


async def remaining(runtime: Any, tenant_id: uuid.UUID) -> int:
    """Rows with a value not (yet) under the active key version: the work left (an upper bound)."""
    tables = encrypted_tables(runtime)
    async with runtime.db.tenant(tenant_id) as session:
        active = (await session.scalar(select(TenantDataKey.version).where(TenantDataKey.state == ACTIVE))) or 0
        total = 0
        for t in tables:
            total += int(await session.scalar(select(func.count()).select_from(t.model).where(_needs_work(t, active))) or 0)
        return total


async def step(runtime: Any, tenant_id: uuid.UUID, *, batch_size: int | None = None, now: datetime | None = None) -> Rotation:
    """One unit of a rotation, in one transaction: promote the pending key once every process has
    loaded it, or re-encrypt one batch and move the checkpoint, or retire the old versions after a
    clean pass. Idempotent and safe to interrupt anywhere."""
    from kernel import audit

    vault: Vault = runtime.vault
    ttl = timedelta(seconds=runtime.settings.key_ring_ttl_seconds)
    batch = batch_size or runtime.settings.key_rotation_batch_size
    tables = encrypted_tables(runtime)
    async with runtime.db.tenant(tenant_id) as session:
        rows = await _locked_keys(session, tenant_id)
        now = now or utcnow()
        _install(vault, tenant_id, rows)
        pending = next((r for r in rows if r.state == PENDING), None)
        active = next((r for r in rows if r.state == ACTIVE), None)
        if pending is not None:
            if now < pending.created_at + ttl:
                return _status(rows, vault, waiting_until=pending.created_at + ttl)
            for r in rows:
                if r.state == ACTIVE:
                    r.state = RETIRING
            pending.state, pending.activated_at = ACTIVE, now
            pending.checkpoint = _new_pass(tables, now)
            await session.flush()
            _install(vault, tenant_id, rows)
            return _status(rows, vault, phase="reencrypting")
        if active is None or not any(r.state == RETIRING for r in rows):
            return _status(rows, vault)
        cp = dict(active.checkpoint or _new_pass(tables, now))
        names = [t.name for t in tables]
        if cp.get("table") is None or cp["table"] not in names:
            # a pass ended: retire the old versions when it found nothing left and started after every
            # process had stopped encrypting with them (a TTL after the new key became active)
            settled = active.activated_at is None or datetime.fromisoformat(cp["pass_started"]) >= active.activated_at + ttl
            if cp.get("pass_rows", 0) == 0 and settled:
                retired = [r.version for r in rows if r.state == RETIRING]
                for r in rows:
                    if r.state == RETIRING:
                        r.state, r.retired_at = RETIRED, now
                active.checkpoint = None
                await audit.record(
                    session, tenant_id=tenant_id, actor="system:keys", action="tenant.key_rotation_finished",
                    target=f"data-key:{active.version}",
                    detail={"version": active.version, "retired": retired, "reencrypted": active.reencrypted},
                )
                await session.flush()
                _install(vault, tenant_id, rows)
                return _status(rows, vault, phase="done")
            if cp.get("pass_rows", 0) == 0 and active.activated_at is not None and now < active.activated_at + ttl:
                return _status(rows, vault, phase="waiting", waiting_until=active.activated_at + ttl)
            active.checkpoint = _new_pass(tables, now)
            await session.flush()
            return _status(rows, vault, phase="reencrypting")
        found: list[Any] = []
        while cp.get("table") in names:  # empty tables cost one query each: go on to the first with work
            table = tables[names.index(cp["table"])]
            stmt: Any = select(table.model).where(_needs_work(table, active.version))
            pk = [getattr(table.model, k) for k in table.keys]
            if cp.get("after") is not None and pk:
                after = _pk_typed(table, cp["after"])
                stmt = stmt.where(pk[0] > after[0] if len(pk) == 1 else tuple_(*pk) > tuple_(*after))
            stmt = stmt.order_by(*pk).limit(batch).options(lazyload("*"))
            if session.get_bind().dialect.name == "postgresql":
                # a request changing one of these rows meanwhile waits for this batch, and is not
                # overwritten by the old value re-encrypted (SQLite: the write lock is already ours)
                stmt = stmt.with_for_update(of=table.model)
            found = list((await session.scalars(stmt)).all())
            if found:
                break
            nxt = names.index(table.name) + 1
            cp["table"], cp["after"] = (names[nxt] if nxt < len(names) else None), None
        changed = unreadable = 0
        for row in found:
            touched = False
            for column in table.columns:
                value = getattr(row, column)
                if not isinstance(value, str):
                    continue
                try:
                    token = parse(value)
                except CryptoError:
                    continue  # not a ciphertext (a pseudonymised value): nothing to re-encrypt
                if token.version == active.version:
                    continue
                try:
                    plain = vault.decrypt(tenant_id, value)
                except CryptoError:
                    unreadable += 1
                    continue
                setattr(row, column, vault.encrypt_with(tenant_id, plain, active.version, active.cipher))
                touched = True
            if touched:
                changed += 1
                if "updated_at" in row.__mapper__.attrs:
                    flag_modified(row, "updated_at")  # re-encryption is no change: keep updated_at as it was
        if unreadable:
            log.warning("data_key_rotation_unreadable", tenant=str(tenant_id), table=table.name, values=unreadable)
        if found and (len(found) < batch or not table.keys):  # no key but the tenant: one row per firm
            nxt = names.index(table.name) + 1
            cp["table"], cp["after"] = (names[nxt] if nxt < len(names) else None), None
        elif found:
            cp["after"] = _pk_values(table, found[-1])
        cp["pass_rows"] = int(cp.get("pass_rows", 0)) + changed
        active.checkpoint = cp
        active.reencrypted += changed
        await session.flush()
        return _status(rows, vault, phase="reencrypting", batch_rows=changed, unreadable=unreadable)


def _new_pass(tables: list[EncryptedTable], now: datetime) -> dict[str, Any]:
    return {"table": tables[0].name if tables else None, "after": None, "pass_rows": 0, "pass_started": now.isoformat()}


async def run(
    runtime: Any,
    tenant_id: uuid.UUID,
    *,
    batch_size: int | None = None,
    progress: Callable[[Rotation], None] | None = None,
    budget_seconds: float | None = None,
    wait: bool = True,
) -> Rotation:
    """Step the tenant's rotation until it is done (or ``budget_seconds`` have passed; or, with
    ``wait=False``, until it has to wait for other processes)."""
    started = time.monotonic()
    while True:
        state = await step(runtime, tenant_id, batch_size=batch_size)
        if progress is not None:
            progress(state)
        if state.phase in ("done", "idle"):
            runtime.vault.forget(tenant_id)
            return state
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return state
        if state.phase == "waiting":
            if not wait:
                return state
            delay = (state.waiting_until - utcnow()).total_seconds() if state.waiting_until else 1.0
            await asyncio.sleep(min(max(delay, 0.05), 5.0))


async def resume_all(runtime: Any) -> int:
    """The scheduled job: continue every rotation left under way (a stopped ``rotate-key``), each
    tenant for a bounded time per run; the number of tenants worked on."""
    from kernel.tenancy import all_tenants

    worked = 0
    for tenant in await all_tenants(runtime):
        try:
            if (await status(runtime, tenant.id)).under_way:
                await run(runtime, tenant.id, budget_seconds=JOB_BUDGET_SECONDS, wait=False)
                worked += 1
        except Exception:
            log.exception("data_key_rotation_failed", tenant=str(tenant.id))
    return worked


def kernel_key_jobs() -> list[Any]:
    from kernel.plugins.contributions import ScheduledJob

    return [ScheduledJob("keys.rotation", JOB_INTERVAL_SECONDS, resume_all)]


__all__ = [
    "EncryptedTable",
    "Rotation",
    "TenantDataKey",
    "attach",
    "encrypted_tables",
    "remaining",
    "resume_all",
    "run",
    "start_rotation",
    "status",
    "step",
]
