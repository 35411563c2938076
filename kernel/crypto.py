"""Field encryption for sensitive personal data, with per-tenant, versioned data keys.

A tenant's data keys are versioned (``tenant_data_keys``, :mod:`kernel.keys`): each version is a
random 32-byte key wrapped by the master key (``LINLI_MASTER_KEY``, the key-encryption key) and
has its cipher. Version 0 is implicit: the key every tenant had before rotation existed, derived
from the master key with HKDF-SHA256 (info = tenant id); it can always be derived again.

A ciphertext names its key version and cipher, so old and new coexist while a rotation
re-encrypts (``linli tenant rotate-key``)::

    v1:<base64(nonce | ciphertext | tag)>              version 0, AES-256-GCM (before key versions)
    v2:<version>:<cipher>:<base64(payload)>            any version, any cipher

Ciphers (``LINLI_PERSONAL_DATA_CIPHER``, per tenant with ``rotate-key --cipher``):

* ``ag`` — AES-256-GCM under the data key (12-byte nonce, 16-byte tag).
* ``sg`` — SM4-GCM (GB/T 32907 block cipher in GCM) under a 16-byte key derived from the data key
  with HKDF-SM3; used for ``sm4`` when the OpenSSL build behind ``cryptography`` offers SM4-GCM.
* ``sc`` — SM4-CBC + HMAC-SM3, encrypt-then-MAC, when it does not: encryption and MAC keys derived
  with HKDF-SM3 (16 + 32 bytes), random 16-byte IV, PKCS#7 padding, a 16-byte tag (HMAC-SM3 over
  ``len(aad) | aad | iv | ciphertext``, truncated to its first half as RFC 7518 does for
  AES-CBC-HMAC-SHA-256, which keeps the ciphertexts as short as GCM's) checked in constant time
  before anything is decrypted.

The associated data binds the tenant id (a ciphertext of one tenant cannot be opened with
another's key) and, for ``v2``, the header (version and cipher cannot be swapped).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
PREFIX_V2 = "v2:"

AES_GCM = "ag"
SM4_GCM = "sg"
SM4_CBC_HMAC = "sc"
CIPHERS = (AES_GCM, SM4_GCM, SM4_CBC_HMAC)
#: ``LINLI_PERSONAL_DATA_CIPHER`` values and what they name.
CIPHER_NAMES = {
    "aes-256-gcm": AES_GCM,
    "sm4": None,  # SM4-GCM where the OpenSSL build offers it, else SM4-CBC + HMAC-SM3
    "sm4-gcm": SM4_GCM,
    "sm4-cbc-hmac-sm3": SM4_CBC_HMAC,
}
#: Bytes of the HMAC-SM3 tag kept by SM4-CBC + HMAC-SM3 (128 bits, as GCM's tag).
TAG_BYTES = 16
LABELS = {AES_GCM: "AES-256-GCM", SM4_GCM: "SM4-GCM", SM4_CBC_HMAC: "SM4-CBC + HMAC-SM3"}


class CryptoError(ValueError):
    """A ciphertext that cannot be opened: unknown format, unknown key version, wrong tenant, altered."""


@lru_cache(maxsize=1)
def sm4_gcm_available() -> bool:
    """Whether this OpenSSL build offers SM4 in GCM mode (tested once, at first use)."""
    try:
        enc = Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
        enc.update(b"probe")
        enc.finalize()
        return True
    except Exception:  # UnsupportedAlgorithm, or an OpenSSL without SM4
        return False


def cipher_id(name: str) -> str:
    """The cipher id (``ag``/``sg``/``sc``) for a setting value or an id; ValueError otherwise."""
    key = name.strip().lower()
    if key in CIPHERS:
        return key
    if key not in CIPHER_NAMES:
        raise ValueError(f"unknown cipher {name!r}; one of {', '.join(CIPHER_NAMES)}")
    found = CIPHER_NAMES[key]
    if found is None:
        return SM4_GCM if sm4_gcm_available() else SM4_CBC_HMAC
    if found == SM4_GCM and not sm4_gcm_available():
        raise ValueError("this OpenSSL build has no SM4-GCM; choose sm4 (SM4-CBC + HMAC-SM3 then)")
    return found


def _sm3_subkeys(key: bytes, alg: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=b"linli-sm4", info=alg.encode()).derive(key)


class _Sealer:
    """One data key under one cipher: ``seal``/``open`` bytes with associated data."""

    def __init__(self, alg: str, key: bytes) -> None:
        self.alg = alg
        if alg == AES_GCM:
            self._aes = AESGCM(key)
        elif alg == SM4_GCM:
            self._enc = _sm3_subkeys(key, alg, 16)
        elif alg == SM4_CBC_HMAC:
            sub = _sm3_subkeys(key, alg, 48)
            self._enc, self._mac = sub[:16], sub[16:]
        else:
            raise CryptoError(f"unknown cipher {alg!r}")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        if self.alg == AES_GCM:
            nonce = os.urandom(12)
            return nonce + self._aes.encrypt(nonce, plaintext, aad)
        if self.alg == SM4_GCM:
            nonce = os.urandom(12)
            enc = Cipher(algorithms.SM4(self._enc), modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(aad)
            ct = enc.update(plaintext) + enc.finalize()
            return nonce + ct + enc.tag
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        padded = padder.update(plaintext) + padder.finalize()
        cbc = Cipher(algorithms.SM4(self._enc), modes.CBC(iv)).encryptor()
        ct = cbc.update(padded) + cbc.finalize()
        return iv + ct + self._tag(aad, iv + ct)

    def _tag(self, aad: bytes, body: bytes) -> bytes:
        mac = crypto_hmac.HMAC(self._mac, hashes.SM3())
        mac.update(len(aad).to_bytes(8, "big") + aad + body)
        return mac.finalize()[:TAG_BYTES]

    def open(self, raw: bytes, aad: bytes) -> bytes:
        try:
            if self.alg == AES_GCM:
                return self._aes.decrypt(raw[:12], raw[12:], aad)
            if self.alg == SM4_GCM:
                if len(raw) < 28:
                    raise CryptoError("ciphertext too short")
                dec = Cipher(algorithms.SM4(self._enc), modes.GCM(raw[:12], raw[-16:])).decryptor()
                dec.authenticate_additional_data(aad)
                return dec.update(raw[12:-16]) + dec.finalize()
            if len(raw) < 16 + 16 + TAG_BYTES:
                raise CryptoError("ciphertext too short")
            body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
            if not hmac.compare_digest(self._tag(aad, body), tag):
                raise CryptoError("ciphertext altered or of another tenant or key")
            cbc = Cipher(algorithms.SM4(self._enc), modes.CBC(body[:16])).decryptor()
            padded = cbc.update(body[16:]) + cbc.finalize()
            unpadder = padding.PKCS7(128).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        except InvalidTag as exc:
            raise CryptoError("ciphertext altered or of another tenant or key") from exc


@dataclass(frozen=True)
class Token:
    """What a ciphertext's header says: key version and cipher."""

    version: int
    cipher: str
    header: str
    payload: str


def parse(token: str) -> Token:
    """The key version and cipher of a vault ciphertext; :class:`CryptoError` if it is none."""
    if token.startswith(PREFIX):
        return Token(0, AES_GCM, PREFIX, token[len(PREFIX):])
    if token.startswith(PREFIX_V2):
        parts = token.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit() and parts[2] in CIPHERS:
            return Token(int(parts[1]), parts[2], f"{parts[0]}:{parts[1]}:{parts[2]}:", parts[3])
    raise CryptoError("unknown ciphertext version")


def is_token(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except CryptoError:
        return False
    return True


@dataclass
class KeyRing:
    """A tenant's data keys as loaded from ``tenant_data_keys``: version → (cipher, key bytes)."""

    active: int
    cipher: str
    keys: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)

    @property
    def rotating(self) -> bool:
        return any(s in ("pending", "retiring") for s in self.states.values())


class Vault:
    """Encrypts and decrypts a tenant's fields under its data keys (see the module docstring).

    The tenant's key ring is loaded into this cache when a session of that tenant begins a
    transaction (:mod:`kernel.keys`), and again once it is older than ``ring_ttl`` seconds; with
    no ring loaded (a tenant that never rotated, a platform session) version 0 is used."""

    def __init__(
        self, master_key_b64: str, *, cache_size: int = 1_000, cipher: str = "aes-256-gcm", ring_ttl: float = 30.0
    ) -> None:
        from kernel.caches import BoundedCache

        self._master = base64.b64decode(master_key_b64)
        if len(self._master) < 32:
            raise ValueError("LINLI_MASTER_KEY must be 32 bytes, base64-encoded")
        #: The cipher of version 0 and of new key versions unless a rotation names another.
        self.default_cipher = cipher_id(cipher)
        self.ring_ttl = ring_ttl
        kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli-kek", info=b"wrap data keys").derive(self._master)
        self._kek = kek
        #: Per-tenant key rings and sealers, least recently used out past ``cache_size`` tenants.
        self._rings: BoundedCache[uuid.UUID, KeyRing] = BoundedCache("data_key_rings", cache_size)
        self._keys: BoundedCache[tuple[uuid.UUID, int, str], _Sealer] = BoundedCache("data_keys", cache_size)

    # -- key rings -------------------------------------------------------------------------------

    def ring(self, tenant_id: uuid.UUID) -> KeyRing | None:
        return self._rings.get(tenant_id)

    def ring_fresh(self, tenant_id: uuid.UUID) -> bool:
        ring = self._rings.get(tenant_id)
        return ring is not None and time.monotonic() - ring.loaded_at < self.ring_ttl

    def install_ring(self, tenant_id: uuid.UUID, rows: list[tuple[int, str, str, str | None]]) -> KeyRing:
        """Load a ring from ``(version, cipher, state, wrapped_key)`` rows (none: version 0 only)."""
        active, cipher = 0, self.default_cipher
        keys: dict[int, tuple[str, bytes]] = {}
        states: dict[int, str] = {}
        for version, alg, state, wrapped in rows:
            states[version] = state
            if version > 0 and wrapped:
                keys[version] = (alg, self.unwrap(tenant_id, version, wrapped))
            if state == "active":
                active, cipher = version, alg
        ring = KeyRing(active=active, cipher=cipher, keys=keys, states=states)
        self._rings.put(tenant_id, ring)
        return ring

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop the tenant's cached ring (after a rotation step in this process)."""
        self._rings.pop(tenant_id)

    def wrap(self, tenant_id: uuid.UUID, version: int, cipher: str, key: bytes) -> str:
        """A data key wrapped by the master key (under ``cipher``), bound to tenant and version."""
        sealed = _Sealer(cipher, self._kek).seal(key, self._wrap_aad(tenant_id, version))
        return f"{cipher}:{base64.b64encode(sealed).decode()}"

    def unwrap(self, tenant_id: uuid.UUID, version: int, wrapped: str) -> bytes:
        cipher, _, body = wrapped.partition(":")
        return _Sealer(cipher, self._kek).open(base64.b64decode(body), self._wrap_aad(tenant_id, version))

    @staticmethod
    def _wrap_aad(tenant_id: uuid.UUID, version: int) -> bytes:
        return b"linli-data-key|" + tenant_id.bytes + version.to_bytes(4, "big")

    def _sealer(self, tenant_id: uuid.UUID, version: int, cipher: str) -> _Sealer:
        found = self._keys.get((tenant_id, version, cipher))
        if found is not None:
            return found
        if version == 0:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linli-data-key", info=tenant_id.bytes).derive(self._master)
        else:
            ring = self._rings.get(tenant_id)
            entry = ring.keys.get(version) if ring is not None else None
            if entry is None:
                raise CryptoError(f"data key version {version} of this tenant is not loaded")
            if entry[0] != cipher:
                raise CryptoError(f"data key version {version} is not a {LABELS.get(cipher, cipher)} key")
            key = entry[1]
        found = _Sealer(cipher, key)
        self._keys.put((tenant_id, version, cipher), found)
        return found

    # -- fields ----------------------------------------------------------------------------------

    def current(self, tenant_id: uuid.UUID) -> tuple[int, str]:
        """The key version and cipher new ciphertexts of this tenant get."""
        ring = self._rings.get(tenant_id)
        return (ring.active, ring.cipher) if ring is not None else (0, self.default_cipher)

    def encrypt(self, tenant_id: uuid.UUID, plaintext: str) -> str:
        version, cipher = self.current(tenant_id)
        return self.encrypt_with(tenant_id, plaintext, version, cipher)

    def encrypt_with(self, tenant_id: uuid.UUID, plaintext: str, version: int, cipher: str) -> str:
        sealer = self._sealer(tenant_id, version, cipher)
        if version == 0 and cipher == AES_GCM:  # the format from before key versions, byte for byte
            return PREFIX + base64.b64encode(sealer.seal(plaintext.encode(), tenant_id.bytes)).decode()
        header = f"{PREFIX_V2}{version}:{cipher}:"
        return header + base64.b64encode(sealer.seal(plaintext.encode(), tenant_id.bytes + header.encode())).decode()

    def decrypt(self, tenant_id: uuid.UUID, token: str) -> str:
        t = parse(token)
        aad = tenant_id.bytes if t.header == PREFIX else tenant_id.bytes + t.header.encode()
        try:
            raw = base64.b64decode(t.payload, validate=True)
        except ValueError as exc:
            raise CryptoError("ciphertext is not base64") from exc
        return self._sealer(tenant_id, t.version, t.cipher).open(raw, aad).decode()

    def keyed_digest(self, tenant_id: uuid.UUID, value: str) -> str:
        """HMAC-SHA256 under a key of the master key and the tenant: finds equal values without storing
        them in clear. Not rotated with the data keys (lookups by digest keep working)."""
        return hmac.new(self._master + tenant_id.bytes, value.encode(), hashlib.sha256).hexdigest()


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
