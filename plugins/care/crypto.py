"""Sealing the plugin's sensitive fields with the tenant's key (the runtime's vault)."""

from __future__ import annotations

import uuid
from typing import Any


def seal(vault: Any, tenant_id: uuid.UUID, text: str | None) -> str | None:
    """The encrypted form of ``text`` (``None`` or empty stays ``None``)."""
    return vault.encrypt(tenant_id, text) if text else None


def unseal(vault: Any, tenant_id: uuid.UUID, token: str | None) -> str | None:
    return vault.decrypt(tenant_id, token) if token else None
