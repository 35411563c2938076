"""The codes a reader is shown or told: rotating QR codes of residents and staff, visitor pass
codes, and the keyed digests card numbers and face references are looked up by.

A resident's QR code is ``LQ1.<account>.<step>.<nonce>.<mac>``: the account id (32 hex digits),
the number of the time step it was issued in (``unix time // step seconds``), a random nonce (8
hex digits: every fetch is a new code, so a person passing the same reader twice in one step
shows two codes) and the first 20 hex digits (80 bits) of an HMAC-SHA256 under the tenant's key
(the vault's keyed digest, so a code of one firm never verifies in another) over the key version,
account, step and nonce. It verifies during its own step and the next one (a phone's clock and
the reader's may straddle a boundary); after that it is expired. Nothing is stored to issue one;
a used code is remembered per point (:class:`~plugins.access.models.UsedCode`) so that shown
twice at the same reader — a screenshot passed on — it is a replay.

A visitor pass code is 10 characters of an alphabet without look-alikes (31 symbols: ~49 bits),
stored only as a keyed digest (look-up) and encrypted (shown again to its host).
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

QR_PREFIX = "LQ1"
PASS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet, not a secret
PASS_CODE_LENGTH = 10
MAC_HEX = 20
_QR = re.compile(r"^LQ1\.([0-9a-f]{32})\.(\d{1,12})\.([0-9a-f]{8})\.([0-9a-f]{20})$")


def _mac(
    vault: Any, tenant_id: uuid.UUID, key_version: int, account_id: uuid.UUID, step: int, nonce: str
) -> str:
    message = f"access-qr|{key_version}|{account_id.hex}|{step}|{nonce}"
    return str(vault.keyed_digest(tenant_id, message))[:MAC_HEX]


def issue_qr(
    vault: Any,
    tenant_id: uuid.UUID,
    key_version: int,
    account_id: uuid.UUID,
    step: int,
    nonce: str | None = None,
) -> str:
    """A code of the account for time step ``step`` (a fresh random nonce unless given)."""
    nonce = nonce or secrets.token_hex(4)
    mac = _mac(vault, tenant_id, key_version, account_id, step, nonce)
    return f"{QR_PREFIX}.{account_id.hex}.{step}.{nonce}.{mac}"


@dataclass(frozen=True)
class QrCheck:
    """The outcome of checking a QR code: the account when valid, else the reason it is not."""

    account_id: uuid.UUID | None
    reason: str  # ok | code_invalid | code_expired


def check_qr(
    vault: Any, tenant_id: uuid.UUID, key_version: int, code: str, now_step: int
) -> QrCheck:
    """Verify a code against the tenant's key at time step ``now_step``. A malformed code, a
    wrong MAC (forged, or a code of another firm) and a code from a future step are all
    ``code_invalid`` — the answer does not tell which; an old but genuine one is ``code_expired``."""
    m = _QR.match(code.strip())
    if m is None:
        return QrCheck(None, "code_invalid")
    account_id, step, nonce = uuid.UUID(m.group(1)), int(m.group(2)), m.group(3)
    expected = _mac(vault, tenant_id, key_version, account_id, step, nonce)
    if not hmac.compare_digest(m.group(4), expected):
        return QrCheck(None, "code_invalid")
    if step > now_step:
        return QrCheck(None, "code_invalid")
    if step < now_step - 1:
        return QrCheck(account_id, "code_expired")
    return QrCheck(account_id, "ok")


def new_pass_code() -> str:
    return "".join(secrets.choice(PASS_ALPHABET) for _ in range(PASS_CODE_LENGTH))


def normalise_pass_code(code: str) -> str:
    """What a visitor types or a reader scans: case, spaces and dashes do not matter; the QR form
    ``LP1.<code>`` is the same code."""
    text = code.strip().upper().removeprefix("LP1.")
    return re.sub(r"[\s\-]", "", text)


def digest(vault: Any, tenant_id: uuid.UUID, kind: str, value: str) -> str:
    """The keyed digest of a card number, face reference, pass code or QR code (``kind`` keeps
    the spaces apart)."""
    return str(vault.keyed_digest(tenant_id, f"access-{kind}:{value}"))


def normalise_card(number: str) -> str:
    return re.sub(r"[\s\-:]", "", number.strip()).upper()
