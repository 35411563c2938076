"""EIP-712 ballots: what a voter signs and what ``OwnersGovernance`` verifies.

Domain: name ``"Linli Owners Governance"``, version ``"1"``, the chain id and the governance contract's
address, so a signature is bound to one community's contract on one chain. The ``Ballot`` struct carries
the proposal id and the voter's per-proposal nonce (``OwnersGovernance.nonces(proposalId, voter)``, 0 before
the vote), so it cannot be replayed on another proposal, another community or another chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "AGAINST",
    "FOR",
    "ABSTAIN",
    "SignedBallot",
    "ballot_typed_data",
    "ballot_digest",
    "sign_ballot",
    "recover_ballot_signer",
]

DOMAIN_NAME = "Linli Owners Governance"
DOMAIN_VERSION = "1"
AGAINST, FOR, ABSTAIN = 0, 1, 2

_TYPES = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class SignedBallot:
    """A signed vote, ready for ``castVoteBySig`` or a ``castVotesBySig`` batch."""

    proposal_id: int
    support: int
    voter: str
    nonce: int
    signature: bytes

    def as_tuple(self) -> tuple[int, int, str, int, bytes]:
        """The ``SignedBallot`` struct as web3 expects it in ``castVotesBySig``."""
        return (self.proposal_id, self.support, self.voter, self.nonce, self.signature)

    def as_args(self) -> tuple[int, int, str, int, bytes]:
        """Positional arguments of ``castVoteBySig``."""
        return self.as_tuple()


def ballot_typed_data(
    chain_id: int, governance: str, proposal_id: int, support: int, voter: str, nonce: int = 0
) -> dict[str, Any]:
    """The EIP-712 typed data (``eth_signTypedData_v4`` shape) of a ballot, for wallets that sign themselves."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **_TYPES,
        },
        "primaryType": "Ballot",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": governance,
        },
        "message": {"proposalId": proposal_id, "support": support, "voter": voter, "nonce": nonce},
    }


def ballot_digest(chain_id: int, governance: str, proposal_id: int, support: int, voter: str, nonce: int = 0) -> bytes:
    """The 32-byte digest that is signed (equals ``OwnersGovernance.hashBallot``)."""
    message = encode_typed_data(full_message=ballot_typed_data(chain_id, governance, proposal_id, support, voter, nonce))
    return bytes(_hash_eip191_message(message))


_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_BALLOT_TYPEHASH = keccak(text="Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce)")


@lru_cache(maxsize=256)
def _domain_separator(chain_id: int, governance: str) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPEHASH, keccak(text=DOMAIN_NAME), keccak(text=DOMAIN_VERSION), chain_id, governance],
        )
    )


def _fast_digest(chain_id: int, governance: str, proposal_id: int, support: int, voter: str, nonce: int) -> bytes:
    """The EIP-712 digest computed directly (what :func:`ballot_digest` returns, ~50x faster than the
    generic typed-data encoder; a custodial relayer signs a ballot per vote request)."""
    struct = keccak(abi_encode(["bytes32", "uint256", "uint8", "address", "uint256"], [_BALLOT_TYPEHASH, proposal_id, support, voter, nonce]))
    return keccak(b"\x19\x01" + _domain_separator(chain_id, governance.lower()) + struct)


def sign_ballot(
    private_key: str | bytes,
    chain_id: int,
    governance: str,
    proposal_id: int,
    support: int,
    nonce: int = 0,
) -> SignedBallot:
    """Sign a ballot with a local key (custodial or the resident's own)."""
    account = Account.from_key(private_key)
    digest = _fast_digest(chain_id, governance, proposal_id, support, account.address, nonce)
    signed = account.unsafe_sign_hash(digest)
    return SignedBallot(proposal_id, support, account.address, nonce, bytes(signed.signature))


def recover_ballot_signer(ballot: SignedBallot, chain_id: int, governance: str) -> str:
    """The address that signed ``ballot`` (a resident can check their receipt with it)."""
    message = encode_typed_data(
        full_message=ballot_typed_data(chain_id, governance, ballot.proposal_id, ballot.support, ballot.voter, ballot.nonce)
    )
    return Account.recover_message(message, signature=ballot.signature)
