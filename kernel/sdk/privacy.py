"""Masking of personal data for lists and logs (full values stay in the tenant's vault)."""

from __future__ import annotations

from kernel.crypto import mask_id_number, mask_name, mask_phone

__all__ = ["mask_id_number", "mask_name", "mask_phone"]
