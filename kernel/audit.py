"""Append-only, hash-chained audit log, anchored on chain.

Each entry carries the hash of the previous entry of the same tenant:
``hash = sha256(prev_hash | seq | at | actor | action | target | canonical(detail))``, or with
``LINLI_AUDIT_HASH=sm3`` ``sm3(... | canonical(detail) | "sm3")`` (GB/T 32905; the algorithm is bound
into the hashed body). Each entry records its algorithm (``hash_alg``), so a chain whose deployment
switched algorithm verifies entry by entry; both digests are 32 bytes (64 hex digits), anchored alike.

The per-tenant head (``audit_heads``: last seq and hash) is not written by the application. Migration
k0008 puts a trigger on ``audit_entries`` that checks each new entry extends the head (``seq = head + 1``,
``prev_hash = head hash``) and advances it, in the inserting transaction. On PostgreSQL the trigger
function and ``audit_head_for_append()`` (create the head if missing and lock it, which serialises appends)
are SECURITY DEFINER functions owned by the migration owner; the application role may only INSERT and
SELECT ``audit_entries`` and only SELECT ``audit_heads``. So the application can neither roll the head
back nor rewrite a row.

A database owner still can (delete the newest rows and roll the head back, or rewrite a row and recompute
every later hash and the head). Against that the head hash is anchored on chain together with the entry
count (``AuditAnchor.anchor(head, entryCount)``, :mod:`kernel.chain.indexer`), and :func:`verify` checks the
recomputed chain against those anchors: ``linli audit verify`` reports the entry where it diverges, with
what was expected and what was found.

Queued entries (:func:`record_queued`, issue 17): a hot path that many requests of one tenant take at once
(an owner's vote) does not lock the head itself. It writes the entry as an outbox message (topic
``audit``) in its own transaction, so the entry commits or rolls back with the change it records; the
outbox worker then appends the queued entries of a tenant in batches (:func:`append_queued`): one head
lock per batch, held for a batch's inserts and its commit, instead of one per request held until the
request's commit. The chain, the trigger, the anchors and :func:`verify` are the same; the entry's ``at``
is the time of the change, and the batch fixes its place in the chain. :func:`verify` also counts entries
queued and not yet chained (``queued``) and those the worker gave up on (``dead``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db.base import Base, TenantScoped, utcnow
from kernel.db.memo import transaction_facts

GENESIS = "0" * 64


class AuditEntry(TenantScoped, Base):
    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: ``sha256`` or ``sm3``: how ``hash`` was computed (migration k0014; older rows are sha256).
    hash_alg: Mapped[str] = mapped_column(String(8), default="sha256", server_default="sha256")


class AuditHead(TenantScoped, Base):
    __tablename__ = "audit_heads"

    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


HASH_ALGORITHMS = ("sha256", "sm3")
_configured = {"hash": "sha256"}


def configure(hash_alg: str) -> None:
    """Set the hash of new entries (``LINLI_AUDIT_HASH``; the runtime calls this at build)."""
    if hash_alg not in HASH_ALGORITHMS:
        raise ValueError(f"unknown audit hash {hash_alg!r}; one of {', '.join(HASH_ALGORITHMS)}")
    _configured["hash"] = hash_alg


def hash_algorithm() -> str:
    """The hash new entries get."""
    return _configured["hash"]


def entry_hash(
    prev: str, seq: int, at: datetime, actor: str, action: str, target: str, detail: dict[str, Any], alg: str = "sha256"
) -> str:
    fields: list[Any] = [prev, seq, at.isoformat(timespec="microseconds"), actor, action, target, detail]
    if alg != "sha256":
        fields.append(alg)  # bound into the body: an entry cannot be re-labelled with another algorithm
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    if alg == "sha256":
        return hashlib.sha256(body).hexdigest()
    if alg == "sm3":
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hashes.SM3())
        digest.update(body)
        return digest.finalize().hex()
    raise ValueError(f"unknown audit hash {alg!r}")


_HEAD_MEMO = "audit.head"


async def _head_for_append(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[int, str]:
    """The tenant's head, locked until the transaction ends (PostgreSQL), or (0, genesis) for a new log."""
    if session.get_bind().dialect.name == "postgresql":
        locked = (await session.execute(text("SELECT seq, hash FROM audit_head_for_append()"))).one()
        return int(locked.seq), str(locked.hash)
    # SQLite has one writer at a time: take the write lock first (a no-op UPDATE of the head), so
    # the head read next is the newest and no other transaction advances it before this one ends —
    # two requests of a firm auditing at the same moment would otherwise both extend the same head
    await session.execute(
        update(AuditHead)
        .where(AuditHead.tenant_id == tenant_id)
        .values(seq=AuditHead.seq)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.tenant_id == tenant_id))).first()
    return (int(row.seq), str(row.hash)) if row is not None else (0, GENESIS)


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction. Never put personal data in ``detail``.

    The database trigger advances the head; an entry that does not extend it is refused. ``at`` is
    the time of the change (now unless given: a queued entry carries its own)."""
    return (await _append(session, tenant_id, [(actor, action, target, detail, at)]))[0]


async def _append(
    session: AsyncSession, tenant_id: uuid.UUID, items: Sequence[tuple[str, str, str, dict[str, Any] | None, datetime | None]]
) -> list[AuditEntry]:
    """Append ``items`` (actor, action, target, detail, at) in order: one head read, one flush."""
    memo = transaction_facts(session)
    # the head this transaction locked and moved itself (no one else can move it before the
    # transaction ends; a rollback of any part of it drops the memo, and the head is read again)
    head = memo.get(_HEAD_MEMO)
    if head is not None and head[0] == tenant_id:
        head_seq, head_hash = head[1], head[2]
    else:
        head_seq, head_hash = await _head_for_append(session, tenant_id)
    alg = hash_algorithm()
    entries: list[AuditEntry] = []
    for actor, action, target, raw, at in items:
        detail = json.loads(json.dumps(raw or {}, default=str))
        at = at or utcnow()
        head_seq += 1
        digest = entry_hash(head_hash, head_seq, at, actor, action, target, detail, alg)
        entries.append(AuditEntry(
            seq=head_seq, at=at, actor=actor, action=action, target=target, detail=detail, prev_hash=head_hash, hash=digest, hash_alg=alg
        ))
        head_hash = digest
    # one flush, rows in chain order: the trigger checks and advances the head row by row
    session.add_all(entries)
    await session.flush()
    memo[_HEAD_MEMO] = (tenant_id, head_seq, head_hash)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditHead):
            session.expire(obj)  # the trigger moved it
    return entries


#: The outbox topic of queued entries.
QUEUED_TOPIC = "audit"


async def record_queued(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Queue an entry in the caller's transaction without locking the tenant's head; the outbox
    worker chains it shortly after the commit (:func:`append_queued`). For hot paths that many
    requests of one tenant take at once; ``key`` (unique in the tenant) makes a repeat a no-op.
    Never put personal data in ``detail``."""
    from kernel.outbox import enqueue

    detail = json.loads(json.dumps(detail or {}, default=str))
    payload = {"actor": actor, "action": action, "target": target, "detail": detail, "at": utcnow().isoformat(timespec="microseconds")}
    await enqueue(session, QUEUED_TOPIC, f"audit:{key or uuid.uuid4()}", payload)


async def append_queued(session: AsyncSession, messages: Sequence[Any]) -> dict[uuid.UUID, str | None]:
    """The outbox's batch deliverer of topic ``audit``: chain the queued entries, oldest first, in
    the transaction that marks them delivered (one head lock for the batch). Every message is
    appended or, if the append fails, the whole batch is rolled back and retried."""
    if not messages:
        return {}
    ordered = sorted(messages, key=lambda m: (m.payload["at"], str(m.id)))
    items = [
        (m.payload["actor"], m.payload["action"], m.payload.get("target", ""), m.payload.get("detail") or {}, datetime.fromisoformat(m.payload["at"]))
        for m in ordered
    ]
    await _append(session, ordered[0].tenant_id, items)
    return {m.id: None for m in messages}


@dataclass(frozen=True)
class Anchor:
    """An on-chain anchor: the head hash (hex, no ``0x``) after ``entry_count`` entries."""

    entry_count: int
    head: str


@dataclass(frozen=True)
class Divergence:
    """Where the log stops matching: entry ``seq``, what was checked, what was expected and what was found."""

    seq: int
    check: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.check} expected {self.expected}, found {self.found}"


@dataclass
class VerifyResult:
    entries: int
    head: str
    divergence: Divergence | None = None
    anchored: int = 0  # entries covered by the newest anchor checked
    queued: int = 0  # entries queued (record_queued) and not chained yet
    dead: int = 0  # queued entries the outbox worker gave up on: never chained (an operator must look)

    @property
    def first_bad_seq(self) -> int | None:
        return self.divergence.seq if self.divergence else None

    @property
    def ok(self) -> bool:
        return self.divergence is None


async def verify(session: AsyncSession, anchors: Sequence[Anchor] = ()) -> VerifyResult:
    """Recompute the tenant's chain, compare it with its head and with the on-chain ``anchors``.

    Internal checks find a row altered in place; the anchors find what the database alone cannot show: the
    newest entries removed with the head rolled back (fewer entries than anchored) and a row rewritten with
    every later hash and the head recomputed (the hash at an anchored count differs)."""
    wanted = {a.entry_count for a in anchors}
    at_count: dict[int, str] = {}
    prev = GENESIS
    count = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq))
    async for e in result:
        count += 1
        if e.seq != count:
            return VerifyResult(count - 1, prev, Divergence(count, "sequence", f"entry {count}", f"entry {e.seq} next"))
        if e.prev_hash != prev:
            return VerifyResult(count - 1, prev, Divergence(e.seq, "previous hash", prev, e.prev_hash))
        alg = e.hash_alg or "sha256"
        if alg not in HASH_ALGORITHMS:
            return VerifyResult(count - 1, prev, Divergence(e.seq, "hash algorithm", " or ".join(HASH_ALGORITHMS), alg))
        expected = entry_hash(prev, e.seq, e.at, e.actor, e.action, e.target, e.detail, alg)
        if e.hash != expected:
            return VerifyResult(count - 1, prev, Divergence(e.seq, "hash", expected, e.hash))
        prev = e.hash
        if count in wanted:
            at_count[count] = prev
    head = await session.scalar(select(AuditHead))
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    if head_seq != count:
        return VerifyResult(count, prev, Divergence(head_seq, "head count", f"{count} entries", f"head at {head_seq}"))
    if head_hash != prev:
        return VerifyResult(count, prev, Divergence(head_seq, "head hash", prev, head_hash))
    anchored = 0
    queued, dead = await _queued(session)
    for a in sorted(anchors, key=lambda a: a.entry_count):
        if a.entry_count > count:
            return VerifyResult(count, prev, Divergence(
                a.entry_count, "anchored entry", f"{a.entry_count} entries, head {a.head}", f"{count} entries (truncated)"), anchored)
        if at_count[a.entry_count] != a.head:
            return VerifyResult(count, prev, Divergence(
                a.entry_count, f"anchored hash (altered after entry {anchored})", a.head, at_count[a.entry_count]), anchored)
        anchored = a.entry_count
    return VerifyResult(count, prev, None, anchored, queued, dead)


async def _queued(session: AsyncSession) -> tuple[int, int]:
    """The scoped tenant's queued entries not chained yet, and those given up on."""
    from sqlalchemy import func

    from kernel.outbox import OutboxMessage

    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.topic == QUEUED_TOPIC, OutboxMessage.status.in_(("pending", "dead")))
        .group_by(OutboxMessage.status)
    )
    counts = {status: n for status, n in rows.all()}
    return int(counts.get("pending", 0)), int(counts.get("dead", 0))
