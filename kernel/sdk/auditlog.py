"""The tenant's append-only, hash-chained audit log: ``await audit(session, tenant_id=...,
actor=..., action=..., target=..., detail={...})`` in the transaction that made the change.

``audit_queued`` (same arguments, plus an optional ``key``) queues the entry in that transaction
without locking the tenant's chain head; the outbox worker chains it in a batch right after the
commit. For hot paths many requests of one tenant take at once (an owner's vote)."""

from __future__ import annotations

from kernel.audit import record as audit
from kernel.audit import record_queued as audit_queued

__all__ = ["audit", "audit_queued"]
