"""Field encryption for sensitive personal data, with per-tenant keys.

Each tenant's data key is derived from the master key with HKDF-SHA256 (info = tenant id), so a
ciphertext of one tenant cannot be opened with another's key; the tenant id is also bound as
associated data. AES-256-GCM by default (SM4 can be added as another ``v`` prefix).
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"


class Vault:
    def __init__(self, master_key_b64: str, *, cache_size: int = 1_000) -> None:
        from kernel.caches import BoundedCache

        self._master = base64.b64decode(master_key_b64)
        if len(self._master) < 32:
            raise ValueError("LINLI_MASTER_KEY must be 32 bytes, base64-encoded")
        #: Derived per-tenant data keys, least recently used out past ``cache_size`` tenants.
        self._keys: BoundedCache[uuid.UUID, AESGCM] = BoundedCache("data_keys", cache_size)

    def _key(self, tenant_id: uuid.UUID) -> AESGCM:
        found = self._keys.get(tenant_id)
        if found is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli-data-key", info=tenant_id.bytes).derive(self._master)
            found = AESGCM(key)
            self._keys.put(tenant_id, found)
        return found

    def encrypt(self, tenant_id: uuid.UUID, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = self._key(tenant_id).encrypt(nonce, plaintext.encode(), tenant_id.bytes)
        return PREFIX + base64.b64encode(nonce + ct).decode()

    def keyed_digest(self, tenant_id: uuid.UUID, value: str) -> str:
        """HMAC-SHA256 under the tenant's key: finds equal values without storing them in clear."""
        import hashlib
        import hmac

        return hmac.new(self._master + tenant_id.bytes, value.encode(), hashlib.sha256).hexdigest()

    def decrypt(self, tenant_id: uuid.UUID, token: str) -> str:
        if not token.startswith(PREFIX):
            raise ValueError("unknown ciphertext version")
        raw = base64.b64decode(token[len(PREFIX):])
        return self._key(tenant_id).decrypt(raw[:12], raw[12:], tenant_id.bytes).decode()


def mask_phone(phone: str | None) -> str | None:
    """138****5678: lists and exports show phones masked (脱敏)."""
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str | None) -> str | None:
    """张*明 / 王*: keep the family name."""
    if not name:
        return name
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(idn: str | None) -> str | None:
    if not idn:
        return idn
    return idn[:3] + "*" * max(len(idn) - 7, 1) + idn[-4:]
