"""Licence plates as personal data: normalised, validated, masked for lists, digested for
lookups and encrypted for storage — never kept, logged or published in clear."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from kernel.sdk import BadUserInput

#: A mainland plate: province character, issuing-office letter, 5 characters (6 for new-energy
#: cars: 8 in all). Dots, spaces and the middle dot are dropped first.
PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}$")
_NOISE = re.compile(r"[\s·.\-]")


def normalize_plate(raw: Any) -> str | None:
    """The plate in canonical form (upper case, no separators), or None if it is not one."""
    if not isinstance(raw, str):
        return None
    plate = _NOISE.sub("", raw).upper()
    return plate if PLATE.match(plate) else None


def require_plate(raw: Any, field: str = "plate") -> str:
    """:func:`normalize_plate`, or BAD_USER_INPUT naming ``field``."""
    plate = normalize_plate(raw)
    if plate is None:
        raise BadUserInput(
            "a licence plate looks like 粤B12345 (or 粤BD12345 for a new-energy car)", field=field
        )
    return plate


def mask_plate(plate: str) -> str:
    """粤B***45: province and office letter, the last two characters (脱敏 in lists)."""
    return plate[:2] + "***" + plate[-2:]


@dataclass(frozen=True)
class SealedPlate:
    """What a table stores of a plate: digest (lookups), ciphertext, masked form."""

    digest: str
    enc: str
    masked: str


def plate_digest(vault: Any, tenant_id: uuid.UUID, plate: str) -> str:
    """The tenant-keyed digest of a plate: equal plates give equal digests, nothing readable."""
    return str(vault.keyed_digest(tenant_id, f"parking-plate:{plate}"))


def seal(vault: Any, tenant_id: uuid.UUID, plate: str) -> SealedPlate:
    return SealedPlate(
        plate_digest(vault, tenant_id, plate), vault.encrypt(tenant_id, plate), mask_plate(plate)
    )
