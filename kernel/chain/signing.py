"""EIP-712 typed-data signing for one flat struct type: what a wallet signs and a contract verifies.

A :class:`TypedStruct` names the domain (name, version; the chain id and the verifying contract come with
each call, so a signature is bound to one contract on one chain) and the struct's fields. It builds the
``eth_signTypedData_v4`` payload for wallets that sign themselves, computes the digest directly (about 50x
faster than the generic typed-data encoder: a custodial relayer signs one message per request), signs with a
local key and recovers the signer. Which structs exist is the contributing plugin's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

# eth-abi, eth-account and eth-utils load with the first digest or signature, not with the module: a
# plugin defines its struct at import time, and the gateway's start-up should not pay web3's stack.

__all__ = ["TypedStruct"]

_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_DOMAIN_SIGNATURE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
_DYNAMIC = ("string", "bytes")


@lru_cache(maxsize=512)
def _domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    from eth_abi import encode as abi_encode
    from eth_utils import keccak

    return bytes(
        keccak(
            abi_encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [keccak(text=_DOMAIN_SIGNATURE), keccak(text=name), keccak(text=version), chain_id, verifying_contract],
            )
        )
    )


@dataclass(frozen=True)
class TypedStruct:
    """An EIP-712 domain plus one struct of atomic fields (``(name, solidity type)`` in order)."""

    domain_name: str
    domain_version: str
    primary_type: str
    fields: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        for _, kind in self.fields:
            if kind.endswith("]") or kind.startswith("tuple"):
                raise ValueError(f"{self.primary_type}: only atomic field types are supported, not {kind}")

    @cached_property
    def _typehash(self) -> bytes:
        from eth_utils import keccak

        return bytes(keccak(text=f"{self.primary_type}({','.join(f'{k} {n}' for n, k in self.fields)})"))

    def typed_data(self, chain_id: int, verifying_contract: str, message: dict[str, Any]) -> dict[str, Any]:
        """The ``eth_signTypedData_v4`` payload of ``message``."""
        return {
            "types": {"EIP712Domain": _DOMAIN_FIELDS, self.primary_type: [{"name": n, "type": k} for n, k in self.fields]},
            "primaryType": self.primary_type,
            "domain": {"name": self.domain_name, "version": self.domain_version, "chainId": chain_id, "verifyingContract": verifying_contract},
            "message": {n: message[n] for n, _ in self.fields},
        }

    def digest(self, chain_id: int, verifying_contract: str, message: dict[str, Any]) -> bytes:
        """The 32-byte digest that is signed (what the contract's ``_hashTypedDataV4`` computes)."""
        from eth_abi import encode as abi_encode
        from eth_utils import keccak

        types = ["bytes32"] + ["bytes32" if k in _DYNAMIC else k for _, k in self.fields]
        values: list[Any] = [self._typehash]
        for n, k in self.fields:
            value = message[n]
            if k == "string":
                value = keccak(text=value)
            elif k == "bytes":
                value = keccak(value)
            values.append(value)
        struct = keccak(abi_encode(types, values))
        domain = _domain_separator(self.domain_name, self.domain_version, chain_id, verifying_contract.lower())
        return keccak(b"\x19\x01" + domain + struct)

    def sign(self, private_key: str | bytes, chain_id: int, verifying_contract: str, message: dict[str, Any]) -> bytes:
        """The 65-byte signature of ``message`` with a local key."""
        from eth_account import Account

        signed = Account.from_key(private_key).unsafe_sign_hash(self.digest(chain_id, verifying_contract, message))
        return bytes(signed.signature)

    def recover(self, signature: bytes, chain_id: int, verifying_contract: str, message: dict[str, Any]) -> str:
        """The address that signed ``message`` (through the standard encoder: an independent check)."""
        from eth_account import Account
        from eth_account.messages import encode_typed_data

        encoded = encode_typed_data(full_message=self.typed_data(chain_id, verifying_contract, message))
        return str(Account.recover_message(encoded, signature=signature))
