"""The tenant's append-only, hash-chained audit log: ``await audit(session, tenant_id=...,
actor=..., action=..., target=..., detail={...})`` in the transaction that made the change."""

from __future__ import annotations

from kernel.audit import record as audit

__all__ = ["audit"]
