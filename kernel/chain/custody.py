"""Key custody for voters: one chain account per voting person, custodial by default.

A *holder key* names who votes for a unit under the Art. 278 counting rules (``tenants.estate.voting``): a
person id, the co-owners of a unit (``a+b``, voting through one representative), or ``developer`` for all the
developer's unsold units together. Each holder key gets one address. Custodial private keys are encrypted
at rest with the tenant's vault key (AES-GCM, ``runtime.vault``) and decrypted only to sign a ballot; an
owner may instead register their own address (self custody) and sign ballots in the voting client.
Private keys are never logged nor returned by any API.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ChainKey

__all__ = ["holder_account", "holder_address", "holder_addresses", "register_self_custody", "voter_account"]


def _new_account() -> Any:
    """A fresh key pair (eth-account, with web3's stack, loads here: on the first chain use, not at start-up)."""
    from eth_account import Account

    return Account.create()


def _tenant(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("key custody needs a tenant session")
    return tenant_id  # type: ignore[no-any-return]


async def _key_row(runtime: Any, session: AsyncSession, holder_key: str) -> ChainKey:
    row = await session.scalar(select(ChainKey).where(ChainKey.holder_key == holder_key))
    if row is None:
        account = _new_account()
        row = ChainKey(
            holder_key=holder_key,
            address=account.address,
            key_enc=runtime.vault.encrypt(_tenant(session), "0x" + bytes(account.key).hex()),
            self_custody=False,
        )
        session.add(row)
        await session.flush()
    return row


async def holder_address(runtime: Any, session: AsyncSession, holder_key: str) -> str:
    """The address voting for ``holder_key`` (created, custodial, on first use)."""
    return (await _key_row(runtime, session, holder_key)).address


async def holder_addresses(runtime: Any, session: AsyncSession, holder_keys: list[str]) -> dict[str, str]:
    """Addresses of many holder keys at once (custodial keys created for the new ones)."""
    wanted = sorted(set(holder_keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        for key, address in (await session.execute(select(ChainKey.holder_key, ChainKey.address).where(ChainKey.holder_key.in_(part)))).all():
            found[key] = address
    tenant_id = _tenant(session)
    for key in wanted:
        if key not in found:
            account = _new_account()
            session.add(ChainKey(holder_key=key, address=account.address, key_enc=runtime.vault.encrypt(tenant_id, "0x" + bytes(account.key).hex()), self_custody=False))
            found[key] = account.address
    await session.flush()
    return found


async def holder_account(runtime: Any, session: AsyncSession, holder_key: str) -> tuple[str, str | None]:
    """``(address, private_key)`` of ``holder_key``; the key is ``None`` under self custody."""
    row = await _key_row(runtime, session, holder_key)
    if row.key_enc is None:
        return row.address, None
    return row.address, runtime.vault.decrypt(_tenant(session), row.key_enc)


async def voter_account(runtime: Any, session: AsyncSession, person_id: uuid.UUID) -> tuple[str, str | None]:
    """``(address, private_key)`` of a person voting alone (custodial key created on first use).

    The private key is ``None`` when the person registered their own address (self custody).
    """
    return await holder_account(runtime, session, str(person_id))


async def register_self_custody(runtime: Any, session: AsyncSession, holder_key: str, address: str) -> ChainKey:
    """Let ``holder_key`` vote with their own ``address``; the custodial key, if any, is destroyed.

    Only allowed before the holder's units are registered on chain with another address (the caller checks:
    a registered unit's owner moves only by a registry transfer).
    """
    from eth_utils import is_address, to_checksum_address

    if not is_address(address):
        raise ValueError("not an Ethereum address")
    row = await session.scalar(select(ChainKey).where(ChainKey.holder_key == holder_key))
    if row is None:
        row = ChainKey(holder_key=holder_key, address=to_checksum_address(address), key_enc=None, self_custody=True)
        session.add(row)
    else:
        row.address, row.key_enc, row.self_custody = to_checksum_address(address), None, True
    await session.flush()
    return row
