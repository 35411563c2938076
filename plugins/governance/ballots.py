"""EIP-712 ballots: what a voter signs and what ``OwnersGovernance`` verifies.

Domain: name ``"Linli Owners Governance"``, version ``"1"``, the chain id and the governance contract's
address, so a signature is bound to one community's contract on one chain. The ``Ballot`` struct carries
the proposal id and the voter's per-proposal nonce (``OwnersGovernance.nonces(proposalId, voter)``, 0 before
the vote), so it cannot be replayed on another proposal, another community or another chain. The signing
itself is the SDK's generic typed-data signing (:class:`kernel.sdk.TypedStruct`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kernel.sdk import TypedStruct

__all__ = [
    "ABSTAIN",
    "AGAINST",
    "BALLOT",
    "FOR",
    "SignedBallot",
    "ballot_digest",
    "ballot_typed_data",
    "recover_ballot_signer",
    "sign_ballot",
]

AGAINST, FOR, ABSTAIN = 0, 1, 2

BALLOT = TypedStruct(
    domain_name="Linli Owners Governance",
    domain_version="1",
    primary_type="Ballot",
    fields=(("proposalId", "uint256"), ("support", "uint8"), ("voter", "address"), ("nonce", "uint256")),
)


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


def _message(proposal_id: int, support: int, voter: str, nonce: int) -> dict[str, Any]:
    return {"proposalId": proposal_id, "support": support, "voter": voter, "nonce": nonce}


def ballot_typed_data(chain_id: int, governance: str, proposal_id: int, support: int, voter: str, nonce: int = 0) -> dict[str, Any]:
    """The EIP-712 typed data (``eth_signTypedData_v4`` shape) of a ballot, for wallets that sign themselves."""
    return BALLOT.typed_data(chain_id, governance, _message(proposal_id, support, voter, nonce))


def ballot_digest(chain_id: int, governance: str, proposal_id: int, support: int, voter: str, nonce: int = 0) -> bytes:
    """The 32-byte digest that is signed (equals ``OwnersGovernance.hashBallot``)."""
    return BALLOT.digest(chain_id, governance, _message(proposal_id, support, voter, nonce))


def sign_ballot(private_key: str | bytes, chain_id: int, governance: str, proposal_id: int, support: int, nonce: int = 0) -> SignedBallot:
    """Sign a ballot with a local key (custodial or the resident's own)."""
    from eth_account import Account  # with web3's stack: on the first ballot, not at start-up

    account = Account.from_key(private_key)
    signed = account.unsafe_sign_hash(ballot_digest(chain_id, governance, proposal_id, support, account.address, nonce))
    return SignedBallot(proposal_id, support, account.address, nonce, bytes(signed.signature))


def recover_ballot_signer(ballot: SignedBallot, chain_id: int, governance: str) -> str:
    """The address that signed ``ballot`` (a resident can check their receipt with it)."""
    return BALLOT.recover(ballot.signature, chain_id, governance, _message(ballot.proposal_id, ballot.support, ballot.voter, ballot.nonce))
