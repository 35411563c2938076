"""Small helpers shared by the property-operations plugin tests."""

from __future__ import annotations

import uuid
from typing import Any


def gid(type_name: str, value: uuid.UUID | str) -> str:
    from strawberry import relay

    return str(relay.GlobalID(type_name, str(value)))


def code_of(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None
